"""The leadership dashboard: who sees it, its numbers are services/stats.py's, filters in the URL,
the CSV is the statistics API's, labels in both languages."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app import clock
from app.models import Case, CaseStatus, HumanTask, ProcessVersion, TaskState
from app.services import audit, durations, platform, stats
from app.web.dashboard import default_period

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 30, 10, 0, tzinfo=SH)
PERIOD = "from=2026-10-01&to=2026-10-31"


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=SH)


def _case(db: Any, n: int, key: str, submitted: datetime, **kw: Any) -> Case:
    version = db.scalar(select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.is_current))
    case = Case(
        number=f"DASH{n:04d}",
        query_code_hash="x",
        process_key=key,
        process_version_id=version.id,
        status=kw.pop("status", CaseStatus.IN_PROGRESS),
        project_name=f"驾驶舱项目{n}",
        submitted_at=submitted,
        clock_pauses=[],
        data=kw.pop("data", {}),
        state="{}",
        state_format="test",
        updated_at=submitted,
        **kw,
    )
    db.add(case)
    db.flush()
    return case


def _task(db: Any, case: Case, bpmn_id: str, group: str, created: datetime, **kw: Any) -> None:
    db.add(
        HumanTask(
            case_id=case.id,
            case_number=case.number,
            process_key=case.process_key,
            spiff_task_id=f"{case.number}-{bpmn_id}",
            bpmn_id=bpmn_id,
            name=f"环节{bpmn_id}",
            name_en=f"Step {bpmn_id}",
            candidate_group=group,
            state=kw.pop("state", TaskState.COMPLETED),
            created_at=created,
            **kw,
        )
    )


@pytest.fixture
def scenario(db: Any) -> None:
    """October 2026: permits received, one approved in 3 working days, one rejected; a task done
    late and escalated, one open and overdue now; a complaint answered and rated satisfied."""
    done = _case(
        db,
        1,
        "construction_permit",
        _at(8),
        status=CaseStatus.APPROVED,
        completed_at=_at(13),
        due_at=_at(19, 17),
    )
    _task(db, done, "Task_Acceptance", "window", _at(8), completed_at=_at(9), due_at=_at(9, 17))
    _task(
        db,
        done,
        "Task_FireReview",
        "fire",
        _at(9),
        completed_at=_at(13),
        due_at=_at(12, 17),
        escalation_level=1,
    )
    rejected = _case(  # past its statutory due time
        db,
        2,
        "construction_permit",
        _at(12),
        status=CaseStatus.REJECTED,
        completed_at=_at(14),
        due_at=_at(13, 17),
    )
    _task(db, rejected, "Task_Acceptance", "window", _at(12), completed_at=_at(14), due_at=_at(13, 17))
    running = _case(db, 3, "construction_permit", _at(20))
    _task(db, running, "Task_Acceptance", "window", _at(20), state=TaskState.OPEN, due_at=_at(21, 17))
    _case(db, 4, "construction_permit", datetime(2026, 9, 20, 10, 0, tzinfo=SH))  # before the period
    complaint = _case(
        db,
        5,
        "complaint_handling",
        _at(15),
        status=CaseStatus.CLOSED,
        completed_at=_at(22),
        data={"rating": "satisfied"},
        rating="satisfied",  # as services.gateway stores it
    )
    _task(db, complaint, "Task_Triage", "complaint_desk", _at(15), completed_at=_at(16), due_at=_at(16, 17))
    db.commit()


def _tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="([a-z_0-9]+)">([^<]*)<', html))


def _charts(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.DOTALL)
    assert match
    return dict(json.loads(match.group(1)))


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("director", 200),
        ("deputy", 200),  # a bureau leader who supervises nothing
        ("window_chief", 200),
        ("admin", 200),
        ("auditor", 200),
        ("clerk", 403),
        ("planner", 403),
        ("acme", 403),
    ],
)
def test_who_sees_the_dashboard(pages: Any, username: str, status: int) -> None:
    browser = pages(username)
    assert browser.get("/dashboard").status_code == status
    assert browser.get("/dashboard.csv").status_code == status
    linked = 'href="/dashboard"' in browser.get("/track").get_data(as_text=True)
    assert linked == (status == 200)


def test_visitors_are_sent_to_log_in(pages: Any) -> None:
    response = pages().get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_tiles_and_charts_are_the_statistics_of_the_period(pages: Any, db: Any, scenario: None) -> None:
    with clock.travel_to(NOW):
        html = pages("director").get(f"/dashboard?{PERIOD}").get_data(as_text=True)
        report = stats.bureau_stats(db, start=date(2026, 10, 1), end=date(2026, 10, 31))
        _unit, trend = stats.trend(db, start=date(2026, 10, 1), end=date(2026, 10, 31))
    db.rollback()
    totals = report.totals
    # By hand: 4 received in October, 3 completed (1 approved, 1 rejected, 1 closed complaint).
    assert (totals.cases_received, totals.cases_completed) == (4, 3)
    assert (totals.cases_approved, totals.cases_rejected) == (1, 1)
    # 4 tasks completed with a due time, 2 on time… the fire review and the rejected acceptance late.
    assert totals.tasks_completed == 4 and totals.on_time_rate == 0.5
    assert (totals.open_tasks, totals.overdue_now, totals.escalated) == (1, 1, 1)
    assert totals.complaint_satisfaction == 1.0

    tiles = _tiles(html)
    assert tiles == {
        "cases_received": str(totals.cases_received),
        "cases_completed": str(totals.cases_completed),
        "on_time_rate": "50.0%",
        "overdue_now": str(totals.overdue_now),
        "escalated": str(totals.escalated),
        "case_average_working_days": f"{totals.case_average_working_days:g}",
        "complaint_answer_working_days": f"{totals.complaint_answer_working_days:g}",
        "complaint_satisfaction": "100.0%",
        "service_rating_average": "—",  # no 好差评 in this scenario
        # Case level beside the tasks: 1 of the 2 permits with a due time finished within it.
        "case_on_time_rate": "Cases within their statutory limit: 50.0%",
        "cases_overdue_now": "0 cases past their statutory limit",
    }
    assert totals.case_on_time_rate == 0.5
    charts = _charts(html)
    assert [(p["received"], p["completed"], p["on_time_rate"]) for p in charts["processes"]] == [
        (p.cases_received, p.cases_completed, p.on_time_rate) for p in report.processes
    ]
    assert [(g["tasks_completed"], g["overdue"], g["escalated"]) for g in charts["groups"]] == [
        (g.tasks_completed, g.overdue, g.escalated) for g in report.groups
    ]
    assert [(s["average"], s["p90"]) for s in charts["steps"]] == [
        (s.average_working_days, s.p90_working_days) for s in report.steps if s.tasks_completed
    ]
    # October by day: the trend adds up to the period's figures.
    points = charts["trend"]["points"]
    assert charts["trend"]["unit"] == "day" and len(points) == 31 == len(trend)
    assert sum(p["received"] for p in points) == totals.cases_received
    assert sum(p["completed"] for p in points) == totals.cases_completed
    assert points[7]["received"] == 1 and points[12]["completed"] == 1  # 8 and 13 October


def test_filters_stay_in_the_url_and_narrow_the_figures(pages: Any, db: Any, scenario: None) -> None:
    with clock.travel_to(NOW):
        html = pages("director").get(f"/dashboard?{PERIOD}&group=fire").get_data(as_text=True)
        report = stats.bureau_stats(db, group="fire", start=date(2026, 10, 1), end=date(2026, 10, 31))
    db.rollback()
    assert _tiles(html)["cases_received"] == str(report.totals.cases_received) == "1"
    assert '<option value="fire" selected>' in html
    assert 'value="2026-10-01"' in html and 'value="2026-10-31"' in html
    assert "/dashboard.csv?group=fire&amp;from=2026-10-01&amp;to=2026-10-31" in html


def test_the_csv_is_the_statistics_apis(pages: Any, api: Any, scenario: None) -> None:
    with clock.travel_to(NOW):
        mine = pages("director").get(f"/dashboard.csv?{PERIOD}&process=construction_permit")
        theirs = api.get(f"/api/v1/stats?format=csv&{PERIOD}&process=construction_permit", "director")
    assert mine.status_code == 200 and mine.mimetype == "text/csv"
    assert mine.data.startswith("\ufeff".encode()) and mine.data == theirs.data
    assert "construction_permit" in mine.headers["Content-Disposition"]


def test_unusable_filters_are_named_next_to_their_field(pages: Any) -> None:
    response = pages("director").get("/dashboard?from=2026-13-40&to=2026-01-01&process=nope")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="e-from"><span>Write the date as YYYY-MM-DD', html)
    assert re.search(r'id="e-process"><span>There is no such process', html)
    assert pages("director").get("/dashboard?from=2026-10-31&to=2026-10-01").status_code == 422
    assert pages("director").get("/dashboard.csv?from=bad").status_code == 422


def test_labels_in_both_languages(pages: Any) -> None:
    english = pages("director", language="en").get("/dashboard").get_data(as_text=True)
    chinese = pages("director", language="zh_CN").get("/dashboard").get_data(as_text=True)
    assert "On-time rate" in english and _charts(english)["labels"]["received"] == "Cases received"
    assert "按时办结率" in chinese and _charts(chinese)["labels"]["received"] == "受理件数"
    assert "/vendor/echarts/dist/echarts.min.js" in chinese


def test_the_default_period_is_the_last_twelve_months() -> None:
    assert default_period(date(2026, 11, 21)) == (date(2025, 12, 1), date(2026, 11, 21))
    assert default_period(date(2026, 1, 5)) == (date(2025, 2, 1), date(2026, 1, 5))


def test_trend_periods_are_days_weeks_or_months() -> None:
    unit, buckets = stats.trend_buckets(date(2026, 1, 1), date(2026, 12, 31))
    assert unit == "month" and len(buckets) == 12 and buckets[1] == (date(2026, 2, 1), date(2026, 2, 28))
    unit, buckets = stats.trend_buckets(date(2026, 10, 1), date(2026, 11, 30))
    assert unit == "week" and buckets[0] == (date(2026, 10, 1), date(2026, 10, 4))
    assert buckets[-1][1] == date(2026, 11, 30)
    assert sum((b - a).days + 1 for a, b in buckets) == 61
    assert stats.trend_buckets(date(2020, 1, 1), date(2026, 12, 31))[1][0][0] == date(2022, 1, 1)


def test_rows_finished_before_durations_were_stored_count_the_same_and_are_backfilled(
    db: Any, scenario: None
) -> None:
    """The scenario's rows are inserted as they were before the migration: no stored durations."""
    periods = [(date(2026, 9, 1), date(2026, 10, 31)), (date(2026, 10, 1), date(2026, 10, 31))]

    def figures() -> tuple[list[stats.StatsReport], list[Any]]:
        reports = [stats.bureau_stats(db, start=a, end=b) for a, b in periods]
        return reports, [stats.trend(db, start=a, end=b, group=g) for a, b in periods for g in (None, "fire")]

    with clock.travel_to(NOW):
        assert db.scalar(select(func.count()).where(HumanTask.working_days.is_not(None))) == 0
        legacy, legacy_trends = figures()
        filled = durations.backfill(db)
        stored, trends = figures()
        calendar = platform.calendar(db)
        tasks = db.scalars(select(HumanTask).where(HumanTask.state == TaskState.COMPLETED)).all()
        finished = db.scalars(select(Case).where(Case.completed_at.is_not(None))).all()
    assert filled == (len(tasks), len(finished)) and tasks and finished
    for task in tasks:
        assert task.completed_at is not None
        assert task.working_days == calendar.working_days_between(task.created_at, task.completed_at)
        assert task.on_time == (None if task.due_at is None else task.completed_at <= task.due_at)
    for case in finished:
        assert case.completed_at is not None
        assert case.working_days == calendar.working_days_between(case.submitted_at, case.completed_at)
    db.rollback()
    assert stored[0].totals.case_average_working_days is not None
    assert legacy == stored
    assert sum(p.cases_received for p in trends[0][1]) == 5  # 20 September and 4 in October
    assert legacy_trends == trends


def test_figures_are_kept_a_minute_unless_a_case_changes(pages: Any, db: Any, scenario: None) -> None:
    browser = pages("director")
    with clock.travel_to(NOW):
        first = _tiles(browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True))
        # A change no audit event records (only a hand edit does that): the kept figures stay.
        db.execute(update(HumanTask).where(HumanTask.state == TaskState.OPEN).values(escalation_level=1))
        db.commit()
        assert _tiles(browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True)) == first
    with clock.travel_to(NOW + timedelta(minutes=1)):
        later = _tiles(browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True))
    assert int(later["escalated"]) == int(first["escalated"]) + 1
    with clock.travel_to(NOW + timedelta(minutes=1)):
        # An audited change is seen at once.
        audit.record(db, "test.touched", actor=None)
        db.execute(update(HumanTask).where(HumanTask.state == TaskState.OPEN).values(escalation_level=0))
        db.commit()
        assert _tiles(browser.get(f"/dashboard?{PERIOD}").get_data(as_text=True)) == first
