"""The case as applicants, the public and staff see it: typed view models that `cases.public_view`
builds and the API (through its schemas) and the pages read."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from .calendar import SlaState


@dataclass(frozen=True)
class TimelineStep:
    """One step of the case: the submission, then each human task in the order it was created."""

    name: str
    name_en: str
    group: str | None
    state: str  # open | completed | cancelled
    started_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    outcome: str | None
    sla: SlaState
    outcome_title: str | None = None  # the form's name of the outcome's choice
    outcome_title_en: str | None = None
    note: str | None = None  # a remark of the process on the step (e.g. 责令停工整改)


@dataclass(frozen=True)
class ClockPause:
    """A stop of the statutory clock while the case waited (for the applicant). Stored on the case
    as ``{"from": iso, "to": iso | None, "reason": step name}``."""

    started_at: datetime
    ended_at: datetime | None
    reason: str  # the name of the step that stopped the clock (zh-CN)
    reason_en: str  # the same step's English name, when the timeline knows it

    @classmethod
    def from_stored(cls, stored: dict[str, Any], english: dict[str, str]) -> ClockPause:
        """A pause as `Case.clock_pauses` stores it, with the English name from ``english``."""
        reason = stored.get("reason") or ""
        return cls(
            started_at=datetime.fromisoformat(stored["from"]),
            ended_at=datetime.fromisoformat(stored["to"]) if stored.get("to") else None,
            reason=reason,
            reason_en=english.get(reason, ""),
        )


@dataclass(frozen=True)
class CaseClock:
    """The statutory clock: working days used of the limit, and its stops."""

    working_days_used: int
    limit: str | None  # e.g. "20wd"
    paused: bool
    pauses: list[ClockPause]


@dataclass(frozen=True)
class CorrectionRequest:
    """An open task of the applicant's: what the bureau asks them to correct or provide."""

    task_id: int
    name: str
    name_en: str
    due_at: datetime | None
    items: list[Any]  # what the reviewer wrote, as the form recorded it


@dataclass(frozen=True)
class CaseDocument:
    """A certificate issued on the case."""

    name: str
    name_en: str
    number: str  # the certificate number
    url: str  # the PDF (the applicant and staff only)
    verify_url: str  # the public verification page (the QR code)
    issued_at: datetime
    valid_until: date
    status: str  # valid | expired | revoked


@dataclass(frozen=True)
class RatingView:
    """好差评: the applicant's rating of the finished case and the follow-up's reply, if any."""

    level: int  # 5 非常满意 … 1 非常不满意
    comment: str | None
    rated_at: datetime
    reply: str | None
    replied_at: datetime | None


@dataclass(frozen=True)
class CaseView:
    """The case's status, clock, timeline, open requests, certificates and (for staff and the
    applicant) its data."""

    number: str
    process: str
    process_name: str
    process_name_en: str
    status: str
    stage: str | None
    stage_en: str | None
    project_name: str | None
    submitted_at: datetime
    completed_at: datetime | None
    due_at: datetime | None
    clock: CaseClock
    sla: SlaState
    timeline: list[TimelineStep]
    requests: list[CorrectionRequest]
    documents: list[CaseDocument]
    data: dict[str, Any] | None = None  # None: the viewer may not see it
    suspended: bool = False  # 挂起: staff stopped the statutory clock for an excluded period
    rating: RatingView | None = None
    overrun: bool = False  # running and past its overall statutory limit (stops excluded)

    def without_requests(self) -> CaseView:
        """The same view with no correction requests (e.g. a complaint, whose one applicant task
        is the rating, shown as such)."""
        return replace(self, requests=[])
