"""The leadership dashboard (领导驾驶舱): the bureau's figures as tiles, charts and tables.

Every number comes from app/services/stats.py (SQL over case and task rows); the CSV download is
the statistics API's CSV of the same report. Filters live in the URL, so a view can be shared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from redis.exceptions import RedisError
from sqlalchemy import func, select

from app import clock, edge
from app.models import AuditEvent, Case, Group, HumanTask, User
from app.services import processes, stats, stats_access
from app.services.stats_csv import csv_export

from . import common
from .auth import current_user, login_required
from .dashboard_map import geojson_response, map_view
from .display import group_name
from .i18n import pick

bp = Blueprint("dashboard", __name__)

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def can_see_dashboard(user: User | None) -> bool:
    """Whoever may see the statistics (services.stats_access decides, for the API too)."""
    return stats_access.may_see_stats(user)


@bp.app_context_processor
def _dashboard_helpers() -> dict[str, Any]:
    return {"can_see_dashboard": can_see_dashboard}


@dataclass
class Filters:
    process: str | None
    group: str | None
    start: date
    end: date
    errors: dict[str, str]

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "process": self.process,
            "group": self.group,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            **changes,
        }
        return {k: v for k, v in values.items() if v}


def default_period(today: date) -> tuple[date, date]:
    """The last twelve calendar months, this one included."""
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def _day(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValueError(gettext("Write the date as YYYY-MM-DD.")) from None
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValueError(gettext("Choose a date between 2000 and 2100."))
    return day


def read_filters(args: Any, known_processes: set[str], known_groups: set[str]) -> Filters:
    """The filters in the URL; an unusable one is named in ``errors`` and its default used."""
    errors: dict[str, str] = {}
    today = _local_today()
    start, end = default_period(today)
    process = (args.get("process") or "").strip() or None
    if process is not None and process not in known_processes:
        errors["process"] = gettext("There is no such process.")
        process = None
    group = (args.get("group") or "").strip() or None
    if group is not None and group not in known_groups:
        errors["group"] = gettext("There is no such group.")
        group = None
    chosen: dict[str, date | None] = {}
    for key in ("from", "to"):
        try:
            chosen[key] = _day(args.get(key))
        except ValueError as err:
            errors[key] = str(err)
            chosen[key] = None
    start, end = chosen["from"] or start, chosen["to"] or end
    if start > end:
        errors["from"] = gettext("The start must not be after the end.")
        start, end = default_period(today)
    return Filters(process, group, start, end, errors)


def _local_today() -> date:
    return clock.now().astimezone(ZoneInfo(common.settings().timezone)).date()


def _choices() -> tuple[list[Any], list[Group]]:
    db = common.session()
    return processes.current_versions(db), list(db.scalars(select(Group).order_by(Group.slug)))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _number(value: float | int | None) -> str:
    return "—" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def chart_data(
    report: stats.StatsReport, unit: str, trend: list[stats.TrendPoint], names: dict[str, str]
) -> dict[str, Any]:
    """What dashboard.js draws, with every label already in the page's language."""
    return {
        "labels": _chart_labels(),
        "processes": [
            {
                "name": names.get(p.process) or p.process,
                "drill": {"process": p.process},
                "received": p.cases_received,
                "completed": p.cases_completed,
                "on_time_rate": p.on_time_rate,
            }
            for p in report.processes
        ],
        "groups": [
            {
                "name": group_label(g.group),
                "drill": {"group": g.group} if g.group else None,
                "tasks_completed": g.tasks_completed,
                "overdue": g.overdue,
                "escalated": g.escalated,
                "on_time_rate": g.on_time_rate,
            }
            for g in report.groups
        ],
        "steps": [
            {
                "name": pick(s),
                "drill": {"process": s.process, "step": s.bpmn_id},
                "average": s.average_working_days,
                "p90": s.p90_working_days,
            }
            for s in report.steps
            if s.tasks_completed
        ],
        "trend": {
            "unit": unit,
            "points": [
                {
                    "label": _period_label(unit, p.start),
                    "drill": {"from": p.start.isoformat(), "to": p.end.isoformat()},
                    "received": p.cases_received,
                    "completed": p.cases_completed,
                    "on_time_rate": p.on_time_rate,
                }
                for p in trend
            ],
        },
    }


def _chart_labels() -> dict[str, str]:
    return {
        "received": gettext("Cases received"),
        "completed": gettext("Cases completed"),
        "on_time_rate": gettext("On-time rate"),
        "tasks_completed": gettext("Tasks completed"),
        "overdue": gettext("Overdue"),
        "escalated": gettext("Escalated"),
        "average": gettext("Average working days"),
        "p90": gettext("90th percentile working days"),
        "cases": gettext("Cases"),
        "tasks": gettext("Tasks"),
        "working_days": gettext("Working days"),
        "empty": gettext("No data in this period."),
    }


def group_label(slug: str | None) -> str:
    return group_name(slug) if slug else gettext("No group")


def _period_label(unit: str, first: date) -> str:
    if unit == "month":
        return first.strftime("%Y-%m")
    return first.strftime("%m-%d")


def _report(filters: Filters) -> stats.StatsReport:
    return stats.bureau_stats(
        common.session(), process=filters.process, group=filters.group, start=filters.start, end=filters.end
    )


# Adding up a year takes a few hundred milliseconds (stored durations); leaders reload and share
# the same view. The figures are kept this long under a key that changes with the filters, the
# minute and the newest case, task and audit event (every change of a case is audited), so a
# cached view is never older than the data it shows by more than a minute of the clock.
CACHE_SECONDS = 60


def _cache() -> Any:
    return edge.state().redis


def _cache_key(filters: Filters) -> str:
    db = common.session()
    newest = db.execute(
        select(
            select(func.max(Case.id)).scalar_subquery(),
            select(func.max(HumanTask.id)).scalar_subquery(),
            select(func.max(AuditEvent.id)).scalar_subquery(),
        )
    ).one()
    minute = clock.now().replace(second=0, microsecond=0)
    parts = [str(db.get_bind().engine.url), filters.args(), list(newest), minute.isoformat()]
    return "permitflow:dashboard:" + hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _stored(report: stats.StatsReport, unit: str, trend: list[stats.TrendPoint]) -> str:
    return json.dumps(
        {"report": asdict(report), "unit": unit, "trend": [asdict(p) for p in trend]}, default=str
    )


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _restored(text: bytes) -> tuple[stats.StatsReport, str, list[stats.TrendPoint]]:
    data = json.loads(text)
    raw = data["report"]
    report = stats.StatsReport(
        start=_date_or_none(raw["start"]),
        end=_date_or_none(raw["end"]),
        process=raw["process"],
        group=raw["group"],
        generated_at=datetime.fromisoformat(raw["generated_at"]),
        processes=[stats.ProcessStats(**p) for p in raw["processes"]],
        steps=[stats.StepStats(**s) for s in raw["steps"]],
        groups=[stats.GroupStats(**g) for g in raw["groups"]],
        totals=stats.Totals(**raw["totals"]),
    )
    trend = [
        stats.TrendPoint(
            **{**p, "start": date.fromisoformat(p["start"]), "end": date.fromisoformat(p["end"])}
        )
        for p in data["trend"]
    ]
    return report, str(data["unit"]), trend


_BESIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard-trend")


def _trend_apart(app: Flask, filters: Filters) -> tuple[str, list[stats.TrendPoint]]:
    with app.app_context(), edge.db().unit_of_work(write=False) as session:
        return stats.trend(
            session, process=filters.process, group=filters.group, start=filters.start, end=filters.end
        )


def figures(filters: Filters) -> tuple[stats.StatsReport, str, list[stats.TrendPoint]]:
    """The report and the trend of the filters, from the cache when the data has not changed."""
    key = _cache_key(filters)
    try:
        cached = _cache().get(key)
    except RedisError:
        cached = None  # no cache: add up afresh
    if cached:
        try:
            return _restored(cached)
        except (ValueError, KeyError, TypeError):
            pass
    if edge.db().is_sqlite:
        report = _report(filters)
        unit, trend = stats.trend(
            common.session(),
            process=filters.process,
            group=filters.group,
            start=filters.start,
            end=filters.end,
        )
    else:
        # The trend and the report read different rows: on PostgreSQL the trend runs on a connection
        # of its own meanwhile (the server works on both at once), so the page costs the slower of
        # the two. (SQLite does its work in this process, under the GIL: nothing to gain there.)
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's target
        trend_job = _BESIDE.submit(_trend_apart, app, filters)
        report = _report(filters)
        unit, trend = trend_job.result()
    with contextlib.suppress(RedisError):
        _cache().set(key, _stored(report, unit, trend), ex=CACHE_SECONDS)
    return report, unit, trend


def _viewer() -> User:
    user = current_user()
    if not can_see_dashboard(user):
        abort(403)
    assert user is not None
    return user


@bp.route("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    """Tiles, charts per process, agency, step and period, and the tables behind them."""
    user = _viewer()
    versions, groups = _choices()
    filters = read_filters(request.args, {v.key for v in versions}, {g.slug for g in groups})
    report, unit, trend = figures(filters)
    names = {v.key: pick(v) for v in versions}
    for p in report.processes:
        names.setdefault(p.process, pick(p) or p.process)
    return render_template(
        "dashboard.html",
        report=report,
        totals=report.totals,
        filters=filters,
        versions=versions,
        groups=groups,
        names=names,
        # Each bar links to the list behind it (web/dashboard_drill.py): dashboard.js adds the bar's
        # own filter ("drill" of its item) and its series' figure to these.
        charts={
            **chart_data(report, unit, trend, names),
            "drill": {"url": url_for("dashboard.drill_down"), "args": filters.args()},
        },
        percent=_percent,
        number=_number,
        group_label=group_label,
        csv_url=url_for("dashboard.dashboard_csv", **filters.args()),
        district_map=map_view(user),
    ), (422 if filters.errors else 200)


@bp.route("/dashboard/districts.geojson")
@login_required
def districts_geojson() -> ResponseReturnValue:
    """The city's districts for the dashboard's map (一张图)."""
    _viewer()
    return geojson_response()


@bp.route("/dashboard.csv")
@login_required
def dashboard_csv() -> ResponseReturnValue:
    """The same report as the statistics API's CSV (UTF-8 with BOM: Excel reads the Chinese)."""
    _viewer()
    versions, groups = _choices()
    filters = read_filters(request.args, {v.key for v in versions}, {g.slug for g in groups})
    if filters.errors:
        abort(422)
    report = _report(filters)
    response = Response("\ufeff" + csv_export(report), mimetype="text/csv")
    name = "_".join(
        ["permitflow-dashboard", *(x for x in (filters.process, filters.group) if x)]
        + [filters.start.isoformat(), filters.end.isoformat()]
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
