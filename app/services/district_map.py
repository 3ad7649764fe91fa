"""一张图: the dashboard's district map, from the open work as it stands now. Each case lies in the
district its data names (the forms' field ``district``, a code such as ``beihu``; the map's GeoJSON
features carry the same code in ``properties.code``). Per district: the open cases, the open tasks
past their due time, and the open rectification orders (open cases of the processes the setting
`PERMITFLOW_MAP_ORDER_PROCESSES` names). Each figure drills down to its list (services/stats_drill.py,
with the filter ``district``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden
from app.models import Case, CaseStatus, HumanTask, TaskState, User

from . import platform, stats_access

FIELD = "district"  # the data field that names a case's district
OPEN = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT)


@dataclass(frozen=True)
class DistrictFigures:
    """The open work of one district (``district`` is the code the forms store)."""

    district: str
    open_cases: int = 0
    overdue_tasks: int = 0
    open_orders: int = 0


def district_of_case() -> Any:
    """The district code of a case, read from its JSON data in SQL (SQLite and PostgreSQL)."""
    return Case.data[FIELD].as_string()


def in_district(district: str) -> ColumnElement[bool]:
    return district_of_case() == district


def order_processes(session: Session) -> list[str]:
    """The processes whose open cases count as open rectification orders (a setting)."""
    raw = platform.of(session).settings.map_order_processes
    return [key.strip() for key in raw.split(",") if key.strip()]


def district_figures(session: Session, user: User | None) -> list[DistrictFigures]:
    """Every district with open work, by code; cases that name no district are left out."""
    if not stats_access.may_see_stats(user):
        raise Forbidden(stats_access.REFUSED)
    district = district_of_case()
    named = district.is_not(None)
    is_open = Case.status.in_(OPEN)
    found: dict[str, dict[str, int]] = {}

    def add(rows: Any, figure: str) -> None:
        for code, count in rows:
            if isinstance(code, str) and code:
                found.setdefault(code, {})[figure] = int(count)

    add(
        session.execute(select(district, func.count()).where(is_open, named).group_by(district)), "open_cases"
    )
    orders = order_processes(session)
    if orders:
        stmt = select(district, func.count()).where(is_open, named, Case.process_key.in_(orders))
        add(session.execute(stmt.group_by(district)), "open_orders")
    late = (
        select(district, func.count())
        .select_from(HumanTask)
        .join(Case, Case.id == HumanTask.case_id)
        .where(HumanTask.state == TaskState.OPEN, HumanTask.due_at < clock.now(), named)
        .group_by(district)
    )
    add(session.execute(late), "overdue_tasks")
    return [DistrictFigures(code, **figures) for code, figures in sorted(found.items())]
