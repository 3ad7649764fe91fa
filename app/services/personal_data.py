"""Personal data given in forms, kept out of the case data and the workflow state (issue 15).

A form's JSON Schema marks a personal field with ``"x-personal": true`` (a complainant's name,
phone and ID number, a builder's contact person and phone). The step path seals a submission right
after validating it: each marked value is replaced by a reference (``pii-ref:<random hex>``) and
stored once, AES-256-GCM encrypted under ``PERMITFLOW_PII_KEY`` (services/pii.py), in
``personal_value`` with a keyed hash of it for look-ups. So the case data, the serialized workflow,
the task rows' submissions, the audit trail and the notifications hold the reference only, and
scripts see it as an opaque string (they can test whether it was given, not read it).

Whoever may see the data sees the values: :func:`reveal` puts them back into what the pages and the
API show, for references of that case only (a reference typed into another case's form reveals
nothing). :func:`cases_with` finds cases by a value through its hash; :func:`rotate` re-encrypts
under a new key (``flask pii rotate``): the references, and with them the workflow state, never
change.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Draft, PersonalValue

from .pii import PREFIX, PiiCipher, cipher

MARK = "x-personal"
REF_PREFIX = "pii-ref:"


@dataclass
class Sealed:
    """A submission with its personal values replaced by references; the values, until kept."""

    data: dict[str, Any]
    values: list[tuple[str, str, Any]] = field(default_factory=list)  # (ref, field path, value)

    def keep(self, session: Session, case_id: int) -> None:
        """Store the values of this submission, encrypted, for the case. Flushes nothing."""
        c, now = cipher(session), clock.now()
        for ref, path, value in self.values:
            row = PersonalValue(ref=ref, case_id=case_id, field=path[:200], created_at=now)
            _store(row, c, value)
            session.add(row)
        self.values = []


def _store(row: PersonalValue, c: PiiCipher, value: Any) -> None:
    """The value encrypted (as JSON, so its type comes back) and the keyed hash of its text."""
    row.value = c.encrypt(json.dumps(value, ensure_ascii=False)) or ""
    row.lookup_hash = c.lookup_hash(value if isinstance(value, str) else json.dumps(value)) or ""


def seal(schema: dict[str, Any] | None, data: dict[str, Any]) -> Sealed:
    """``data`` (already valid against ``schema``) with every value of a field marked personal
    replaced by a new reference; empty values stay as they are (nothing was given)."""
    sealed = Sealed(data={})
    sealed.data = _sealed(schema, data, "", sealed.values)
    return sealed


def _sealed(schema: Any, value: Any, path: str, found: list[tuple[str, str, Any]]) -> Any:
    if not isinstance(schema, dict):
        return value
    if schema.get(MARK) is True:
        if value is None or value == "" or value == [] or value == {}:
            return value
        ref = REF_PREFIX + secrets.token_hex(16)
        found.append((ref, path, value))
        return ref
    if isinstance(value, dict):
        props = schema.get("properties")
        props = props if isinstance(props, dict) else {}
        return {k: _sealed(props.get(k), v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_sealed(schema.get("items"), v, f"{path}[]", found) for v in value]
    return value


def marks_personal(schema: Any) -> bool:
    """Whether any field of ``schema`` is marked personal."""
    if isinstance(schema, dict):
        return schema.get(MARK) is True or any(marks_personal(v) for v in schema.values())
    if isinstance(schema, list):
        return any(marks_personal(v) for v in schema)
    return False


def values_of(session: Session, case_id: int, refs: set[str]) -> dict[str, Any]:
    """The plain values of these references of the case (others are not looked up)."""
    if not refs:
        return {}
    c = cipher(session)
    rows = session.scalars(
        select(PersonalValue).where(PersonalValue.case_id == case_id, PersonalValue.ref.in_(sorted(refs)))
    )
    return {row.ref: json.loads(c.decrypt(row.value) or "null") for row in rows}


def reveal(session: Session, case_id: int, value: Any) -> Any:
    """``value`` (case data, a submission, a task's context) with the case's references replaced by
    their values: for those the caller has already allowed to see it."""
    known = values_of(session, case_id, set(_strings(value, REF_PREFIX)))
    return _put_back(value, known) if known else value


def _put_back(value: Any, known: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _put_back(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [_put_back(v, known) for v in value]
    if isinstance(value, str) and value in known:
        return known[value]
    return value


def cases_with(session: Session, value: str, field_path: str | None = None) -> list[int]:
    """Ids of the cases to which ``value`` was given in a personal field (``field_path``: only in
    that field), found by its keyed hash: no value is decrypted or compared in clear."""
    stmt = select(PersonalValue.case_id).where(
        PersonalValue.lookup_hash == cipher(session).lookup_hash(value)
    )
    if field_path is not None:
        stmt = stmt.where(PersonalValue.field == field_path)
    return sorted(set(session.scalars(stmt)))


def encrypt_marked(session: Session, schema: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """For a draft (typed so far, not yet a case): the marked values encrypted in place."""
    sealed = seal(schema, data)
    if not sealed.values:
        return sealed.data
    c = cipher(session)
    known = {ref: c.encrypt(json.dumps(value, ensure_ascii=False)) for ref, _path, value in sealed.values}
    return dict(_put_back(sealed.data, known))


def decrypt_marked(session: Session, data: Any) -> Any:
    """A draft's data with the values :func:`encrypt_marked` encrypted in clear again."""
    c = cipher(session)
    known = {}
    for value in _strings(data, PREFIX + ":"):
        try:
            known[value] = json.loads(c.decrypt(value) or "null")
        except ValueError:  # typed by someone, or sealed under a key no longer known: as it is
            continue
    return _put_back(data, known) if known else data


def _strings(value: Any, prefix: str) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str) and item.startswith(prefix):
            yield item


def rotate(session: Session) -> int:
    """Re-encrypt (and re-hash) every personal value, and every one in a draft, not under the
    current key; how many. Flushes."""
    c = cipher(session)
    changed = 0
    for row in session.scalars(select(PersonalValue).order_by(PersonalValue.id)):
        if c.is_current(row.value):
            continue
        _store(row, c, json.loads(c.decrypt(row.value) or "null"))
        changed += 1
    for draft in session.scalars(select(Draft).order_by(Draft.id)):
        old = [v for v in _strings(draft.data, PREFIX + ":") if not c.is_current(v)]
        if old:
            draft.data = dict(_put_back(draft.data, {v: c.encrypt(c.decrypt(v)) for v in old}))
            changed += len(old)
    session.flush()
    return changed
