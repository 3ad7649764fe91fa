"""信息公开: withholding a finished case from the public disclosure, with the reason (audited)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, InvalidData
from app.models import Case, HumanTask

from .. import audit
from .commands import StepOutcome, WithholdDisclosure

MAX_REASON = 500


def withhold(
    session: Session, command: WithholdDisclosure, case: Case, _open: list[HumanTask]
) -> StepOutcome:
    reason = command.reason.strip()
    if not reason:
        raise InvalidData("a reason is required to withhold a publication", {"reason": ["is required"]})
    if len(reason) > MAX_REASON:
        raise InvalidData("the reason is too long", {"reason": [f"at most {MAX_REASON} characters"]})
    if not case.status.is_final:
        raise Conflict("only a finished case is published; this one is still running")
    if case.withheld_at is not None:
        raise Conflict("this case's publication is already withheld")
    case.withheld_at, case.withheld_reason = clock.now(), reason
    audit.record(
        session, "case.disclosure_withheld", actor=command.actor, case=case, detail={"reason": reason}
    )
    return StepOutcome(case)
