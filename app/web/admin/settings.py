"""The admin console's run-time settings that are safe to change, with their allowed ranges."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext

from app.errors import InvalidData
from app.services import runtime_settings

from .. import common
from ..i18n import current_language
from .console import admin_required, bp, console_page, field_errors, form_text, me, refused

SETTING_HELP = {
    "sla_warning_ratio": lazy_gettext(
        "A task warns when this share of its time limit (in working days) has passed, or when only "
        "its last working day is left. Between 0.5 and 0.95."
    ),
    "escalation_working_days": lazy_gettext(
        "Working days after a task became overdue (and its group's supervisors were told) before "
        "the escalation rises to the group's escalation group. From 1 to 10."
    ),
}
SETTING_LABELS = {
    "sla_warning_ratio": lazy_gettext("Due-date warning threshold"),
    "escalation_working_days": lazy_gettext("Escalation to level 2 after (working days)"),
}


def _settings_page(
    form: dict[str, Any] | None = None, errors: dict[str, Any] | None = None, status: int = 200
) -> Any:
    return console_page(
        "admin/settings.html",
        "settings",
        form,
        errors,
        status,
        items=runtime_settings.listing(common.session()),
        labels=SETTING_LABELS,
        helps=SETTING_HELP,
        cache_seconds=int(runtime_settings.CACHE_SECONDS),
        english=current_language() == "en",
    )


@bp.route("/admin/settings")
@admin_required
def admin_settings() -> ResponseReturnValue:
    """Run-time settings that are safe to change, with their allowed ranges."""
    return _settings_page()


@bp.route("/admin/settings", methods=["POST"])
@admin_required
def admin_save_settings() -> ResponseReturnValue:
    db = common.session()
    form = {key: form_text(key, 32).strip() for key in runtime_settings.SPECS}
    errors: dict[str, list[str]] = {}
    changed = 0
    for key, raw in form.items():
        if raw == "":
            continue
        try:
            changed += runtime_settings.change(db, me(), key, raw)
        except InvalidData as err:
            spec = runtime_settings.SPECS[key]
            messages = field_errors(err).get(key, [])
            if runtime_settings.OUT_OF_RANGE in err.errors.get(key, []):
                messages = [gettext("Allowed: %(min)s to %(max)s.", min=spec.minimum, max=spec.maximum)]
            errors[key] = messages
    if errors:
        refused()
        return _settings_page(form, errors, 422)
    common.commit()
    flash(
        gettext("The settings were saved.") if changed else gettext("Nothing was changed."),
        "success" if changed else "info",
    )
    return redirect(url_for("admin.admin_settings"))


@bp.route("/admin/settings/<key>/reset", methods=["POST"])
@admin_required
def admin_reset_setting(key: str) -> ResponseReturnValue:
    if key not in runtime_settings.SPECS:
        abort(404)
    runtime_settings.reset(common.session(), me(), key)
    common.commit()
    flash(gettext("The setting is back to its default."), "success")
    return redirect(url_for("admin.admin_settings"))
