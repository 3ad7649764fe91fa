"""How pages show shared values: times in the platform's time zone, groups by their names."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import format_datetime, gettext
from sqlalchemy import select

from app.models import Group

from . import common
from .i18n import pick


def localtime(moment: Any, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A UTC time shown in the platform's time zone (Asia/Shanghai)."""
    return "" if moment is None else str(format_datetime(moment, fmt))


def group_name(slug: str | None) -> str:
    """A group's name in the page's language (the groups are read once per request)."""
    if not slug:
        return ""
    if "group_names" not in g:
        g.group_names = {grp.slug: grp for grp in common.session().scalars(select(Group))}
    group = g.group_names.get(slug)
    if slug == "applicant":
        return gettext("Applicant")
    return pick(group) if group is not None else slug


def attachment_kind(kind: str, titles: dict[str, Any] | None = None) -> str:
    """An attachment type in the page's language: the title a form gives it (``titles``: kind ->
    its schema), else the platform's own kinds (complaint evidence, photos), else the kind."""
    schema = (titles or {}).get(kind)
    if isinstance(schema, dict) and pick(schema, "title"):
        return pick(schema, "title")
    known = {
        "evidence": gettext("Evidence"),
        "photo": gettext("Photo"),
        "attachment": gettext("Attachment"),
    }
    return known.get(kind, kind)


def sign_rule_words(rule: str | None) -> str:
    """A signing round's rule in words (会签 / 或签 / a share of the signers)."""
    text = (rule or "all").strip().lower()
    if text == "all":
        return gettext("All-sign (会签): every signer must agree; one refusal ends the round")
    if text == "any":
        return gettext("Any-sign (或签): the first signature decides; the others are cancelled")
    return gettext("Ratio signing: %(share)s of the signers must agree", share=rule)
