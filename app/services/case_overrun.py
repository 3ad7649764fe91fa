"""Statutory overrun: running cases past their overall limit (days the clock stood still and an
approved extension excluded), for the inbox, My cases, the status page and the statistics. The
stored ``case.due_at`` never runs ahead of the true due time (pauses only move it later), so the
database narrows the search and the clock's rule (case_clock.is_overrun) decides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.models import Case, CaseStatus

from . import platform
from .case_clock import is_overrun

RUNNING = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT)


def overrun_ids(session: Session, case_ids: Iterable[int], now: datetime) -> set[int]:
    """Of ``case_ids``, the cases past their statutory limit at ``now``."""
    ids = sorted(set(case_ids))
    if not ids:
        return set()
    rows = session.scalars(select(Case).where(Case.id.in_(ids), Case.status.in_(RUNNING), Case.due_at < now))
    calendar = platform.calendar(session)
    return {case.id for case in rows if is_overrun(calendar, case, now)}


def count_overrun(session: Session, filters: list[ColumnElement[bool]], now: datetime) -> int:
    """Running cases (matching ``filters`` on ``case``) past their statutory limit at ``now``."""
    calendar = platform.calendar(session)
    rows = session.scalars(select(Case).where(Case.status.in_(RUNNING), Case.due_at < now, *filters))
    return sum(1 for case in rows if is_overrun(calendar, case, now))
