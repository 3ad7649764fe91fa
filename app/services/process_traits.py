"""What a process declares about itself in its BPMN properties, read from a version's metadata.

The platform never names a process (ARCHITECTURE.md): whether cases are complaints (the person who
filed is the complainant, the answer is rated, the statistics count them among complaints), where
and how the rating is given, and which certificates the process issues are properties an analyst
sets on any process (README, "Authoring a process"). app/engine/loader.py turns them into the
version's ``meta``; this module reads them back as typed values.

Versions deployed before these properties existed have no such keys in their metadata: for those,
the current version of the same process speaks for it (it is what the analysts declare today).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Case

from . import processes

COMPLAINT = "complaint"
# The normalised ratings stored as ``case.rating`` and counted by the statistics.
SATISFIED, NOT_SATISFIED = "satisfied", "not_satisfied"
RATED = (SATISFIED, NOT_SATISFIED)


@dataclass(frozen=True)
class RatingRule:
    """Where the person who filed the case rates it (``task``, a BPMN task id), the data field
    holding the rating, and which of its values count as satisfied and as not satisfied."""

    task: str
    field: str
    satisfied: frozenset[str]
    not_satisfied: frozenset[str]

    def rating_of(self, data: dict[str, Any]) -> str | None:
        """The rating in ``data``, normalised to :data:`SATISFIED` / :data:`NOT_SATISFIED`."""
        value = data.get(self.field)
        if isinstance(value, bool) or not isinstance(value, str | int):
            return None
        text = str(value)
        if text in self.satisfied:
            return SATISFIED
        if text in self.not_satisfied:
            return NOT_SATISFIED
        return None


@dataclass(frozen=True)
class CertificateType:
    """A certificate a process issues, as its end event declares it."""

    kind: str
    title: str
    title_en: str
    valid_until: str | None = None  # data field (or dotted path) with the last day of validity
    valid_years: int | None = None  # validity when that field is empty
    issuer: str | None = None


@dataclass(frozen=True)
class Traits:
    """A process's declared semantics."""

    key: str
    complaint: bool
    rating: RatingRule | None
    certificates: dict[str, CertificateType]


def _has_traits(meta: dict[str, Any]) -> bool:
    return "case_kind" in meta


def _rating(raw: Any) -> RatingRule | None:
    if not isinstance(raw, dict) or not raw.get("task") or not raw.get("field"):
        return None
    return RatingRule(
        str(raw["task"]),
        str(raw["field"]),
        frozenset(str(v) for v in raw.get("satisfied") or []),
        frozenset(str(v) for v in raw.get("not_satisfied") or []),
    )


def _certificate(kind: str, raw: Any) -> CertificateType:
    raw = raw if isinstance(raw, dict) else {}
    return CertificateType(
        kind=kind,
        title=str(raw.get("title") or kind),
        title_en=str(raw.get("title_en") or raw.get("title") or kind),
        valid_until=raw.get("valid_until") or None,
        valid_years=raw.get("valid_years") if isinstance(raw.get("valid_years"), int) else None,
        issuer=raw.get("issuer") or None,
    )


def traits_of(key: str, meta: dict[str, Any]) -> Traits:
    """The traits in one version's metadata (none declared: an ordinary application process)."""
    return Traits(
        key=key,
        complaint=meta.get("case_kind") == COMPLAINT,
        rating=_rating(meta.get("rating")),
        certificates={
            str(kind): _certificate(str(kind), raw) for kind, raw in (meta.get("certificates") or {}).items()
        },
    )


def of_key(session: Session, key: str) -> Traits:
    """The traits of the current version of process ``key`` (unknown process: none)."""
    try:
        version = processes.current_version(session, key)
    except NotFound:
        return traits_of(key, {})
    return traits_of(key, version.meta or {})


def of_case(session: Session, case: Case) -> Traits:
    """The traits of the version the case runs (or, for a version deployed before they were
    declared, of the process's current version)."""
    version = processes.version_by_id(session, case.process_version_id)
    if _has_traits(version.meta):
        return traits_of(case.process_key, version.meta)
    return of_key(session, case.process_key)


def complaint_keys(session: Session) -> set[str]:
    """The processes whose current version declares its cases complaints."""
    return {
        v.key for v in processes.current_versions(session) if (v.meta or {}).get("case_kind") == COMPLAINT
    }


def certificate_type(session: Session, case: Case | None, kind: str) -> CertificateType:
    """What the certificate type ``kind`` is called and how long it is valid: as the case's
    version declares it, else as any current version declares it, else just its name."""
    if case is not None:
        declared = of_case(session, case).certificates.get(kind)
        if declared is not None:
            return declared
    for version in processes.current_versions(session):
        raw = (version.meta or {}).get("certificates") or {}
        if kind in raw:
            return _certificate(kind, raw[kind])
    return CertificateType(kind, kind, kind)
