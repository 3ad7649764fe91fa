"""Statutory overrun: a running case past its overall limit (stops excluded) is flagged for the
inbox, My cases, the status view and the statistics (cases overdue now, case on-time rate)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from app.services import case_overrun, case_procedures, cases, platform, stats
from tests.helpers import complete_at, user_named
from tests.services.test_procedures import MONDAY, at, fresh, submit


def test_a_case_past_its_limit_is_flagged_and_counted(db: Any) -> None:
    late, stopped = submit(db), submit(db)
    with clock.travel_to(at(16, 10)):
        case_procedures.suspend_case(db, user_named(db, "clerk"), stopped.number, "expert_review")
        db.commit()
    due = fresh(db, late).due_at
    assert due == platform.calendar(db).add_working_days(MONDAY, 7)  # the process's 7wd
    with clock.travel_to(due - timedelta(minutes=1)):
        assert case_overrun.overrun_ids(db, [late.id, stopped.id], clock.now()) == set()
        assert stats.bureau_stats(db).totals.cases_overdue_now == 0
    with clock.travel_to(due + timedelta(hours=1)):
        # The suspended case's clock stood still since Monday: it is not past its limit.
        assert case_overrun.overrun_ids(db, [late.id, stopped.id], clock.now()) == {late.id}
        report = stats.bureau_stats(db)
        assert report.totals.cases_overdue_now == 1
        assert report.totals.overdue_now >= 1  # the step level beside it
        assert cases.public_view(db, fresh(db, late), with_data=False).overrun is True
        assert cases.public_view(db, fresh(db, stopped), with_data=False).overrun is False
    with clock.travel_to(due + timedelta(days=1)):
        assert stats.bureau_stats(db, process="complaint_handling").totals.cases_overdue_now == 0


def test_the_case_on_time_rate_beside_the_tasks(db: Any) -> None:
    on_time, overran = submit(db), submit(db)
    due = fresh(db, overran).due_at
    assert due is not None
    reject = {"decision": "reject", "comment": "不符合规划条件"}
    complete_at(db, on_time, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    complete_at(db, on_time, "Task_PlanningReview", "planner", reject, at(16, 11))
    complete_at(db, on_time, "Task_FireReview", "fire_officer", {"decision": "approve"}, at(16, 12))
    complete_at(db, on_time, "Task_EnvironmentReview", "env_officer", {"decision": "approve"}, at(16, 13))
    later = due + timedelta(days=1)
    complete_at(db, overran, "Task_Acceptance", "clerk", {"decision": "accept"}, later)
    complete_at(db, overran, "Task_PlanningReview", "planner", reject, later + timedelta(minutes=1))
    complete_at(
        db, overran, "Task_FireReview", "fire_officer", {"decision": "approve"}, later + timedelta(minutes=2)
    )
    complete_at(
        db,
        overran,
        "Task_EnvironmentReview",
        "env_officer",
        {"decision": "approve"},
        later + timedelta(minutes=3),
    )
    assert fresh(db, on_time).status.is_final and fresh(db, overran).status.is_final
    with clock.travel_to(later + timedelta(hours=1)):
        report = stats.bureau_stats(db, process="construction_permit")
    assert report.totals.case_on_time_rate == 0.5
    [permit] = report.processes
    assert (permit.cases_with_limit, permit.cases_on_time, permit.case_on_time_rate) == (2, 1, 0.5)
    assert report.totals.cases_overdue_now == 0  # finished cases are no longer "overdue now"
