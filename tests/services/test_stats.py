"""The bureau's statistics against values computed by hand, across National Day 2026.

Calendar (chinese_calendar): Thu 1 – Wed 7 October 2026 are holidays, Sat 10 October is a make-up
working day (调休), Sun 11 October is off. Working days count from the day after the start up to and
including the day of the end (用时 N 个工作日).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.models import Case, CaseStatus, HumanTask
from app.services import cases, platform, stats
from app.services.calendar import remove_override, set_override
from app.services.demo import permit_application
from tests.helpers import complete_at, fire_at, user_named

SH = ZoneInfo("Asia/Shanghai")
APPROVE = {"decision": "approve"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def _submit(db: Any, when: datetime, name: str) -> int:
    with clock.travel_to(when):
        started = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application(name)
        )
        db.commit()
    return started.case.id


@pytest.fixture
def scenario(db: Any) -> dict[str, int]:
    """Four permit cases around National Day (every time is Asia/Shanghai)."""
    # A: approved across the holiday; the environmental review is late and escalated.
    a = _submit(db, at(9, 29, 9), "统计A")
    complete_at(db, a, "Task_Acceptance", "clerk", {"decision": "accept"}, at(9, 30, 10))
    # Reviews created 30 Sep 10:00, due 13 Oct 17:30 (8, 9, 10, 12, 13 October).
    complete_at(db, a, "Task_PlanningReview", "planner", APPROVE, at(10, 8, 10))
    complete_at(db, a, "Task_FireReview", "fire_officer", APPROVE, at(10, 10, 11))
    fire_at(db, a, at(10, 13, 17, 31))  # the environmental review becomes overdue: escalation 1
    complete_at(db, a, "Task_EnvironmentReview", "env_officer", APPROVE, at(10, 14, 9))
    decision = {"decision": "approve", "permit_valid_until": "2028-12-31"}
    complete_at(db, a, "Task_Decision", "permit_officer", decision, at(10, 15, 10))

    # B: a correction round (clock stopped), then refused by the fire review.
    b = _submit(db, at(10, 12, 9), "统计B")
    correct = {"decision": "correct", "correction_items": ["资金证明需银行盖章"]}
    complete_at(db, b, "Task_Acceptance", "clerk", correct, at(10, 12, 11))
    complete_at(db, b, "Task_Correction", "acme", {"response": "已补充"}, at(10, 15, 15))
    complete_at(db, b, "Task_Acceptance", "clerk", {"decision": "accept"}, at(10, 16, 9))
    complete_at(db, b, "Task_PlanningReview", "planner", APPROVE, at(10, 19, 10))
    refuse = {"decision": "reject", "comment": "消防通道宽度不足"}
    complete_at(db, b, "Task_FireReview", "fire_officer", refuse, at(10, 20, 10))
    complete_at(db, b, "Task_EnvironmentReview", "env_officer", APPROVE, at(10, 21, 10))

    # C: acceptance never done: due Tue 20 Oct 17:30, overdue and escalated on 21 October.
    c = _submit(db, at(10, 19, 9), "统计C")
    fire_at(db, c, at(10, 21, 9))

    # D: submitted Friday 30 October, acceptance due Monday 2 November: nothing late yet.
    d = _submit(db, at(10, 30, 9), "统计D")
    return {"a": a, "b": b, "c": c, "d": d}


def _report(db: Any, **kw: Any) -> stats.StatsReport:
    with clock.travel_to(at(10, 31, 12)):
        report = stats.bureau_stats(db, **kw)
    db.rollback()
    return report


def _by_step(report: stats.StatsReport) -> dict[str, stats.StepStats]:
    return {s.bpmn_id: s for s in report.steps}


def _by_group(report: stats.StatsReport) -> dict[str | None, stats.GroupStats]:
    return {g.group: g for g in report.groups}


def test_scenario_is_what_the_hand_computation_assumes(db: Any, scenario: dict[str, int]) -> None:
    db.expire_all()
    a, b, c, d = (db.get(Case, scenario[k]) for k in "abcd")
    assert (a.status, a.completed_at) == (CaseStatus.APPROVED, at(10, 15, 10))
    assert (b.status, b.completed_at) == (CaseStatus.REJECTED, at(10, 21, 10))
    assert c.status is CaseStatus.IN_PROGRESS and d.status is CaseStatus.IN_PROGRESS
    # B's clock stood still from the correction notice to the applicant's answer.
    assert len(b.clock_pauses) == 1
    pause = b.clock_pauses[0]
    assert datetime.fromisoformat(pause["from"]) == at(10, 12, 11)
    assert datetime.fromisoformat(pause["to"]) == at(10, 15, 15)
    env = db.scalar(
        select(HumanTask).where(HumanTask.case_id == a.id, HumanTask.bpmn_id == "Task_EnvironmentReview")
    )
    assert env.due_at == at(10, 13, 17, 30) and env.escalation_level == 1
    acceptance_c = db.scalar(select(HumanTask).where(HumanTask.case_id == c.id))
    assert acceptance_c.due_at == at(10, 20, 17, 30) and acceptance_c.escalation_level == 1
    db.rollback()


def test_every_figure_of_the_whole_period(db: Any, scenario: dict[str, int]) -> None:
    report = _report(db, start=date(2026, 9, 28), end=date(2026, 10, 31))
    assert [p.process for p in report.processes] == ["construction_permit"]
    permit = report.processes[0]
    assert permit.name == "施工许可" and permit.name_en == "Construction permit"
    # Received A, B, C, D; completed A (approved) and B (rejected).
    assert (permit.cases_received, permit.cases_completed) == (4, 2)
    assert (permit.cases_approved, permit.cases_rejected) == (1, 1)
    # Case working days. A: 29 Sep → 15 Oct = 30 Sep, 8, 9, 10 (Sat, make-up), 12, 13, 14, 15 = 8.
    # B: 12 Oct → 21 Oct = 13, 14, 15, 16, 19, 20, 21 = 7, minus the pause 12 → 15 Oct
    #    (13, 14, 15 = 3) = 4.  Average (8 + 4) / 2 = 6.0; p90 rank ceil(0.9 × 2) = 2 → 8.
    assert permit.case_average_working_days == 6.0
    assert permit.case_p90_working_days == 8
    # Tasks completed: A 5 (acceptance, 3 reviews, decision) + B 6 (acceptance, correction,
    # acceptance, 3 reviews) = 11; on time all but A's environmental review: 10 / 11.
    assert permit.tasks_completed == 11
    assert permit.on_time_rate == round(10 / 11, 4) == 0.9091
    # Overdue: A's environmental review (completed late) + C's acceptance (open past due).
    assert (permit.overdue, permit.escalated) == (2, 2)
    # No complaint process: the complaint fields are null.
    assert permit.complaint_answer_working_days is None and permit.complaint_satisfaction is None

    steps = _by_step(report)
    assert set(steps) == {
        "Task_Acceptance",
        "Task_Correction",
        "Task_PlanningReview",
        "Task_FireReview",
        "Task_EnvironmentReview",
        "Task_Decision",
    }
    acceptance = steps["Task_Acceptance"]
    # A: 29 Sep 09:00 → 30 Sep 10:00 = 1; B: 12 Oct 09:00 → 12 Oct 11:00 = 0 (same day);
    # B again: 15 Oct 15:00 → 16 Oct 09:00 = 1.  Average 2 / 3 = 0.67; p90 rank 3 of [0, 1, 1] = 1.
    assert acceptance.name == "受理审查" and acceptance.name_en == "Acceptance check"
    assert (acceptance.tasks_completed, acceptance.average_working_days, acceptance.p90_working_days) == (
        3,
        0.67,
        1,
    )
    # All three within their 1-working-day limit; C's open acceptance is overdue and escalated.
    assert (acceptance.on_time_rate, acceptance.overdue, acceptance.escalated) == (1.0, 1, 1)

    # B's correction: 12 Oct 11:00 → 15 Oct 15:00 = 13, 14, 15 = 3 (limit 10 working days).
    correction = steps["Task_Correction"]
    assert (correction.tasks_completed, correction.average_working_days, correction.p90_working_days) == (
        1,
        3.0,
        3,
    )
    assert (correction.on_time_rate, correction.overdue, correction.escalated) == (1.0, 0, 0)

    # Planning. A: 30 Sep 10:00 → 8 Oct (1 to 7 October are holidays) = 1; B: 16 → 19 Oct = 1.
    planning = steps["Task_PlanningReview"]
    assert (planning.tasks_completed, planning.average_working_days, planning.p90_working_days) == (
        2,
        1.0,
        1,
    )
    assert (planning.on_time_rate, planning.overdue, planning.escalated) == (1.0, 0, 0)

    # Fire. A: 30 Sep → Sat 10 Oct = 8, 9, 10 = 3; B: 16 → 20 Oct = 19, 20 = 2.
    # Average 2.5; p90 rank ceil(1.8) = 2 of [2, 3] = 3.
    fire = steps["Task_FireReview"]
    assert (fire.tasks_completed, fire.average_working_days, fire.p90_working_days) == (2, 2.5, 3)
    assert (fire.on_time_rate, fire.overdue, fire.escalated) == (1.0, 0, 0)

    # Environment. A: 30 Sep → 14 Oct = 8, 9, 10, 12, 13, 14 = 6 (due 13 Oct: late);
    # B: 16 → 21 Oct = 19, 20, 21 = 3.  Average 4.5; p90 = 6; on time 1 of 2.
    env = steps["Task_EnvironmentReview"]
    assert (env.tasks_completed, env.average_working_days, env.p90_working_days) == (2, 4.5, 6)
    assert (env.on_time_rate, env.overdue, env.escalated) == (0.5, 1, 1)

    # Decision. A: 14 Oct 09:00 → 15 Oct 10:00 = 1 (limit 2 working days: on time).
    decision = steps["Task_Decision"]
    assert (decision.tasks_completed, decision.average_working_days, decision.p90_working_days) == (
        1,
        1.0,
        1,
    )
    assert (decision.on_time_rate, decision.overdue, decision.escalated) == (1.0, 0, 0)

    # Groups: here each step belongs to exactly one group.
    groups = _by_group(report)
    assert set(groups) == {"window", "applicant", "planning", "fire", "environment", "construction"}
    pairs = {
        "window": acceptance,
        "applicant": correction,
        "planning": planning,
        "fire": fire,
        "environment": env,
        "construction": decision,
    }
    for slug, step in pairs.items():
        g = groups[slug]
        assert (
            g.tasks_completed,
            g.average_working_days,
            g.p90_working_days,
            g.on_time_rate,
            g.overdue,
            g.escalated,
        ) == (
            step.tasks_completed,
            step.average_working_days,
            step.p90_working_days,
            step.on_time_rate,
            step.overdue,
            step.escalated,
        ), slug


def test_the_period_limits_what_counts(db: Any, scenario: dict[str, int]) -> None:
    # 12 – 20 October: received B and C; completed A (15 Oct); B finished on the 21st.
    report = _report(db, start=date(2026, 10, 12), end=date(2026, 10, 20))
    permit = report.processes[0]
    assert (permit.cases_received, permit.cases_completed, permit.cases_approved) == (2, 1, 1)
    assert (permit.case_average_working_days, permit.case_p90_working_days) == (8.0, 8)
    steps = _by_step(report)
    # A's planning (8 Oct) and fire (10 Oct) reviews fall before the period; B's fall in it.
    assert steps["Task_PlanningReview"].tasks_completed == 1
    assert steps["Task_FireReview"].average_working_days == 2.0
    # A's environmental review (14 Oct, late) is in; B's (21 Oct) is not.
    assert (steps["Task_EnvironmentReview"].tasks_completed, steps["Task_EnvironmentReview"].overdue) == (
        1,
        1,
    )
    # C's acceptance was due 20 Oct 17:30 (in the period) and is still open: overdue.
    assert steps["Task_Acceptance"].overdue == 1
    # Acceptances completed: B's two (12 and 16 Oct): 0 and 1 working days.
    assert steps["Task_Acceptance"].tasks_completed == 2
    assert steps["Task_Acceptance"].average_working_days == 0.5

    # Before anything happened: nothing at all.
    empty = _report(db, start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert (empty.processes, empty.steps, empty.groups) == ([], [], [])
    # From alone / to alone are open-ended.
    assert _report(db, start=date(2026, 10, 30)).processes[0].cases_received == 1
    assert _report(db, end=date(2026, 9, 29)).processes[0].cases_received == 1


def test_group_and_process_filters(db: Any, scenario: dict[str, int]) -> None:
    report = _report(db, group="environment", start=date(2026, 9, 28), end=date(2026, 10, 31))
    # Cases in which the environmental group had a task: A and B.
    permit = report.processes[0]
    assert (permit.cases_received, permit.cases_completed) == (2, 2)
    assert [s.bpmn_id for s in report.steps] == ["Task_EnvironmentReview"]
    assert [g.group for g in report.groups] == ["environment"]
    assert (permit.tasks_completed, permit.on_time_rate, permit.overdue, permit.escalated) == (2, 0.5, 1, 1)

    window = _report(db, group="window")
    assert window.processes[0].cases_received == 4  # every case has an acceptance task
    assert window.groups[0].overdue == 1

    assert _report(db, process="construction_permit").processes[0].cases_received == 4
    nothing = _report(db, process="complaint_handling")
    assert (nothing.processes, nothing.steps, nothing.groups) == ([], [], [])


def test_complaint_answer_time_and_satisfaction(db: Any, scenario: dict[str, int]) -> None:
    """No complaint process ships yet: rows with such a key stand in for its cases."""
    version_id = db.get(Case, scenario["a"]).process_version_id
    closed = [
        # 9 Oct → 13 Oct: 10, 12, 13 = 3 working days; satisfied.
        (at(10, 9, 9), at(10, 13, 16), {"rating": "satisfied"}),
        # 30 Sep → 9 Oct: 8, 9 = 2; not satisfied.
        (at(9, 30, 9), at(10, 9, 9), {"rating": "not_satisfied"}),
        # 19 → 23 Oct: 20, 21, 22, 23 = 4; not rated.
        (at(10, 19, 9), at(10, 23, 9), {}),
    ]
    for index, (submitted, completed, data) in enumerate(closed):
        db.add(
            Case(
                number=f"TS-{index}",
                query_code_hash="x",
                process_key="complaint_handling",
                process_version_id=version_id,
                status=CaseStatus.CLOSED,
                submitted_at=submitted,
                completed_at=completed,
                clock_pauses=[],
                data=data,
                rating=data.get("rating"),  # as services.gateway stores it
                state="{}",
                state_format="test",
                updated_at=completed,
            )
        )
    db.commit()
    report = _report(db, start=date(2026, 9, 28), end=date(2026, 10, 31))
    by_key = {p.process: p for p in report.processes}
    complaint = by_key["complaint_handling"]
    assert (complaint.cases_received, complaint.cases_completed) == (3, 3)
    assert (complaint.cases_approved, complaint.cases_rejected) == (0, 0)
    # (3 + 2 + 4) / 3 = 3.0 working days; satisfied 1 of the 2 rated.
    assert complaint.complaint_answer_working_days == 3.0
    assert complaint.case_p90_working_days == 4
    assert complaint.complaint_satisfaction == 0.5
    assert by_key["construction_permit"].complaint_satisfaction is None


def test_p90_is_the_nearest_rank() -> None:
    assert stats.p90([]) is None
    assert stats.p90([5]) == 5
    assert stats.p90(list(range(1, 11))) == 9  # rank ceil(9.0) = 9
    assert stats.p90(list(range(1, 12))) == 10  # rank ceil(9.9) = 10
    assert stats.p90([7, 1, 3]) == 7  # rank ceil(2.7) = 3 of [1, 3, 7]
    assert stats.average([0, 1, 1]) == 0.67


def test_working_days_match_the_calendar(app: Any, db: Any) -> None:
    calendar = platform.calendar(db)
    db.rollback()
    counter = stats.WorkingDays(calendar)
    rng = random.Random(20261001)
    base = at(9, 1, 0)
    for _ in range(300):
        start = base + timedelta(hours=rng.randrange(0, 24 * 90))
        end = start + timedelta(hours=rng.randrange(-48, 24 * 40))
        assert counter.between(start, end) == calendar.working_days_between(start, end), (start, end)
    # The pause of a case is subtracted, clipped to the case's completion.
    pauses = [{"from": at(10, 12, 11).isoformat(), "to": at(10, 15, 15).isoformat(), "reason": "x"}]
    assert counter.case_days(at(10, 12, 9), at(10, 21, 10), pauses) == 4
    open_pause = [{"from": at(10, 19, 9).isoformat(), "to": None}]
    assert counter.case_days(at(10, 12, 9), at(10, 21, 10), open_pause) == 5


def test_start_after_end_is_refused(app: Any, db: Any) -> None:
    with pytest.raises(ValueError):
        stats.bureau_stats(db, start=date(2026, 10, 2), end=date(2026, 10, 1))


def test_durations_are_stored_when_steps_end_as_the_calendar_counts_them(
    db: Any, scenario: dict[str, int]
) -> None:
    """Each closed task keeps the calendar's count at its completion, across National Day; each
    finished case its working days with the clock stop excluded (A: 8, B: 7 - 3 paused = 4)."""
    calendar = platform.calendar(db)
    tasks = db.scalars(select(HumanTask).where(HumanTask.state != "open")).all()
    assert len(tasks) >= 10
    for task in tasks:
        assert task.completed_at is not None
        assert task.working_days == calendar.working_days_between(task.created_at, task.completed_at)
        assert task.on_time == (None if task.due_at is None else task.completed_at <= task.due_at)
    by_bpmn = {(t.case_id, t.bpmn_id): t for t in tasks if t.state == "completed"}
    # A's environmental review: 30 Sep 10:00 → 14 Oct 09:00 = 8, 9, 10, 12, 13, 14 = 6, late.
    env = by_bpmn[(scenario["a"], "Task_EnvironmentReview")]
    assert (env.working_days, env.on_time) == (6, False)
    # B's correction stopped the clock: 12 Oct 11:00 → 15 Oct 15:00 = 3 working days.
    assert by_bpmn[(scenario["b"], "Task_Correction")].working_days == 3
    a, b = db.get(Case, scenario["a"]), db.get(Case, scenario["b"])
    assert (a.working_days, b.working_days) == (8, 4)
    assert b.clock_pauses and b.clock_pauses[0]["to"] is not None
    # Still open: nothing stored yet.
    c = db.get(Case, scenario["c"])
    assert c.working_days is None and c.status not in (CaseStatus.APPROVED, CaseStatus.REJECTED)
    assert db.scalars(select(HumanTask.working_days).where(HumanTask.state == "open")).all() == [None] * len(
        db.scalars(select(HumanTask.id).where(HumanTask.state == "open")).all()
    )


def test_a_calendar_override_added_later_does_not_rewrite_stored_durations(
    db: Any, scenario: dict[str, int]
) -> None:
    before = _report(db)
    try:
        # Declared afterwards: a holiday on 13 October, a day A's and B's steps already spent.
        set_override(db, None, date(2026, 10, 13), False, "later")
        db.commit()
        platform.of(db).calendars.forget()
        after = _report(db)
        a = db.get(Case, scenario["a"])
        assert a.completed_at is not None
        # The calendar counts one day fewer now, the record does not.
        assert platform.calendar(db).working_days_between(a.submitted_at, a.completed_at) == 7
        assert a.working_days == 8
        assert after.totals.case_average_working_days == before.totals.case_average_working_days == 6.0
        assert [s.average_working_days for s in after.steps] == [s.average_working_days for s in before.steps]
    finally:
        remove_override(db, None, date(2026, 10, 13))
        db.commit()
        platform.of(db).calendars.forget()
