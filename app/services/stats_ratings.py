"""好差评 in the statistics: per process, the service ratings given in the period, their average
level, the poor ones (1–2) and how many of those were answered by their follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ServiceRating

from .stats_sql import within
from .steps.procedures import POOR


@dataclass
class RatingFigures:
    ratings: int = 0
    level_sum: int = 0
    poor: int = 0
    answered: int = 0  # poor ratings whose follow-up replied

    @property
    def average(self) -> float | None:
        return round(self.level_sum / self.ratings, 2) if self.ratings else None


def rating_figures(
    session: Session, process: str | None, group: str | None, begin: datetime | None, stop: datetime | None
) -> dict[str, RatingFigures]:
    """The ratings given in ``begin``..``stop`` per process key (filtered like the cases)."""
    poor = ServiceRating.level <= POOR
    stmt = select(
        ServiceRating.process_key,
        func.count(),
        func.sum(ServiceRating.level),
        func.count().filter(poor),
        func.count(ServiceRating.replied_at).filter(poor),
    ).where(within(ServiceRating.created_at, begin, stop))
    if process:
        stmt = stmt.where(ServiceRating.process_key == process)
    if group:
        stmt = stmt.where(ServiceRating.group == group)
    rows = session.execute(stmt.group_by(ServiceRating.process_key))
    return {
        key: RatingFigures(int(n), int(total or 0), int(low or 0), int(answered or 0))
        for key, n, total, low, answered in rows
    }
