"""A new query code for a case whose complainant lost it (the code is the only key an anonymous
complainant has). The caller has already matched the phone or e-mail address given at filing;
here, under the case's lock, the old code is replaced at most once per window, and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import TooManyRequests
from app.models import AuditEvent, Case, HumanTask

from .. import audit, case_numbers, platform
from .commands import ReplaceQueryCode, StepOutcome

REPLACED = "case.query_code_replaced"


def replace_code(
    session: Session, command: ReplaceQueryCode, case: Case, _open: list[HumanTask]
) -> StepOutcome:
    hours = platform.of(session).settings.code_recovery_hours
    now = clock.now()
    last = session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.case_id == case.id, AuditEvent.action == REPLACED
        )
    )
    ends = last + timedelta(hours=hours) if last is not None else None  # UTCDateTime: aware
    if ends is not None and ends > now:
        # Whoever holds the phone or mailbox already has the new code; another within the window
        # would let someone who guessed the contact cycle codes under the complainant's feet.
        wait = ends - now
        raise TooManyRequests(
            f"a new query code was already sent for this case in the last {hours} hours",
            retry_after=max(1, int(wait.total_seconds())),
        )
    code = case_numbers.new_code()
    case.query_code_hash = case_numbers.hash_code(session, case.number, code)
    audit.record(session, REPLACED, actor=None, case=case, detail={"channel": command.channel})
    return StepOutcome(case, query_code=code)
