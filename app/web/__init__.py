"""Pages (Jinja2): one blueprint per area, session login with CSRF protection on every form.

The JSON API under /api/ uses bearer tokens: CSRF is checked for the pages' blueprints only.
Errors of the whole app are answered by :mod:`app.web.errors` (pages in both languages, JSON in
the API's shape for the API and for requests that ask for JSON).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from app import edge

from .i18n import LANGUAGES, PermitFlowBabel, current_language, pick, select_locale

csrf = CSRFProtect()
babel = PermitFlowBabel()


def _blueprints() -> list[Any]:
    """The pages' blueprints; importing a module registers its views on its blueprint."""
    from . import (
        admin,
        analyst,
        analyst_diff,  # noqa: F401  (the differences before a deploy, on the blueprint `analyst`)
        applicant,
        apply,  # noqa: F401  (the applicant's forms, on the blueprint `applicant`)
        audit_pages,
        auth,
        comment_pages,  # noqa: F401  (comments from the task pages, on the blueprint `inbox`)
        complaints,
        dashboard,
        dashboard_drill,  # noqa: F401  (the dashboard's drill-down, on the blueprint `dashboard`)
        inbox,
        inbox_bulk,  # noqa: F401  (the inbox's bulk actions, on the blueprint `inbox`)
        inbox_filters,  # noqa: F401  (saved inbox filters, on the blueprint `inbox`)
        notification_pages,
        operations,
        procedure_pages,  # noqa: F401  (procedures on the status and task pages)
        public_disclosure,  # noqa: F401  (信息公开 and the project page, on the blueprint `public`)
        public_notices,  # noqa: F401  (notices and their feed, on the blueprint `public`)
        public_pages,
        search_pages,  # noqa: F401  (the staff case search, on the blueprint `inbox`)
        sso,  # noqa: F401  (login through the identity provider, on the blueprint `account`)
        staff_start,  # noqa: F401  (staff-started processes, on the blueprint `inbox`)
        substitute_pages,  # noqa: F401  (委托: naming a substitute, on the blueprint `inbox`)
        task_pages,  # noqa: F401  (the task pages, on the blueprint `inbox`)
        track,
        track_actions,  # noqa: F401  (the status page's actions, on the blueprint `track`)
        track_complaint,  # noqa: F401  (a complaint's evidence photos, on the blueprint `track`)
        track_recover,  # noqa: F401  (a lost query code sent again, on the blueprint `track`)
        vendor,
        verify,
    )

    return [
        public_pages.bp,
        auth.bp,
        inbox.bp,
        applicant.bp,
        track.bp,
        complaints.bp,
        verify.bp,
        analyst.bp,
        dashboard.bp,
        admin.bp,
        audit_pages.bp,
        notification_pages.bp,
        vendor.bp,
        operations.bp,
    ]


def _template_helpers() -> dict[str, Any]:
    from .auth import current_user
    from .display import attachment_kind, group_name, localtime, sign_rule_words
    from .notification_pages import unread_notifications
    from .sso import sso_enabled

    return {
        "pick": pick,
        "current_user": current_user,
        "languages": LANGUAGES,
        "current_language": current_language,
        "localtime": localtime,
        "group_name": group_name,
        "attachment_kind": attachment_kind,
        "sign_rule_words": sign_rule_words,
        "unread_notifications": unread_notifications,
        "sso_enabled": sso_enabled,
    }


def init_web(app: Flask) -> None:
    """Register the pages, sessions, CSRF protection and translations on ``app``."""
    settings = edge.of(app).settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure in production whatever the TLS setting: a session cookie never travels in clear text.
        SESSION_COOKIE_SECURE=settings.secure_cookies or settings.production,
        # The API is exempt (bearer tokens); the pages' hook below calls csrf.protect() itself.
        WTF_CSRF_CHECK_DEFAULT=False,
        # Tied to the session; a reviewer may keep a form open for a working day.
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    pages = _blueprints()
    for blueprint in pages:
        app.register_blueprint(blueprint)
    page_areas = frozenset(blueprint.name for blueprint in pages)

    @app.before_request
    def _protect_forms() -> None:
        if request.blueprint in page_areas:
            csrf.protect()

    app.context_processor(_template_helpers)
