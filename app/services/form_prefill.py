"""Form fields bound to the applicant's account (`"x-prefill": "account.credit_code"`).

The platform knows who files: the company name and credit code were checked at registration (or
came from the unified identity provider), so a start form does not ask for them again. A bound
field is filled from the account; unless the form marks it `x-prefill-editable`, it is locked: a
submitted value that differs from the account is refused (422 at the field), from the API and the
pages alike. A field whose account value is empty (a citizen has no credit code) stays an ordinary
field. Only the applicant's own values are used, and only on their own form, so they are in clear.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.engine.form_rules import PREFILL, is_locked, prefilled_fields, value_at
from app.models import User

from . import pii

MISMATCH = "does not match the applicant's account ({source}): this field is bound to the account"


@dataclass(frozen=True)
class BoundField:
    """A field of the form filled from the account: its path, the source and the account's value."""

    path: str
    source: str
    value: str
    locked: bool


def account_values(session: Session, user: User | None) -> dict[str, str]:
    """The values an applicant's form may be bound to, by source name (empty ones left out)."""
    if user is None or user.is_staff:
        return {}
    values = {
        "account.company_name": user.company_name,
        "account.credit_code": user.credit_code,
        "account.contact_name": user.contact_name,
        "account.phone": pii.phone_of(session, user),
        "account.email": user.email,
    }
    return {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}


def bound_fields(schema: dict[str, Any] | None, values: dict[str, str]) -> list[BoundField]:
    """The form's `x-prefill` fields the account has a value for."""
    out = []
    for path, field in prefilled_fields(schema).items():
        source = str(field.get(PREFILL))
        if source in values:
            out.append(BoundField(path, source, values[source], is_locked(field)))
    return out


def _same(typed: Any, account: str, source: str) -> bool:
    if not isinstance(typed, str):
        return False
    if source == "account.credit_code":  # the code's letters are upper case; typing them lower is no lie
        return typed.strip().upper() == account.upper()
    return typed.strip() == account


def fill(schema: dict[str, Any] | None, data: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """``data`` with each bound field left empty filled from the account (a copy): an API client
    need not repeat what the platform knows."""
    filled = copy.deepcopy(data)
    for bound in bound_fields(schema, values):
        if value_at(filled, bound.path) not in (None, ""):
            continue
        *parents, name = bound.path.split(".")
        target = filled
        for part in parents:
            child = target.get(part)
            if child is None:
                child = target[part] = {}
            if not isinstance(child, dict):
                break
            target = child
        else:
            target[name] = bound.value
    return filled


def mismatches(schema: dict[str, Any] | None, data: Any, values: dict[str, str]) -> dict[str, list[str]]:
    """The locked fields whose submitted value differs from the account, with why."""
    errors: dict[str, list[str]] = {}
    for bound in bound_fields(schema, values):
        typed = value_at(data, bound.path)
        if bound.locked and typed is not None and not _same(typed, bound.value, bound.source):
            errors[bound.path] = [MISMATCH.format(source=bound.source)]
    return errors
