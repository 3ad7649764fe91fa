"""转办 / 委托: a substitute for a date range receives the tasks assigned or offered to the absent
person, acts on them with both names audited; who may set it, and the refusals (nothing stored)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app import clock
from app.errors import Conflict, Forbidden, InvalidData
from app.models import AuditEvent, Substitution
from app.services import substitutions, tasks
from app.services.substitutions import SubstituteRequest
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_procedures import at, submit

WEEK = SubstituteRequest("env_officer", date(2026, 11, 16), date(2026, 11, 20))


def _rows(db: Any) -> tuple[int, int]:
    counts = (
        db.scalar(select(func.count()).select_from(Substitution)),
        db.scalar(select(func.count()).select_from(AuditEvent)),
    )
    db.rollback()
    return counts


def test_the_substitute_gets_the_absent_persons_tasks(db: Any) -> None:
    case = submit(db)
    planner, env = user_named(db, "planner"), user_named(db, "env_officer")
    with clock.travel_to(at(16, 9, 30)):
        substitutions.set_substitute(db, planner, "me", WEEK)
        db.commit()
    complete_at(db, case, "Task_Acceptance", "clerk", {"decision": "accept"}, at(16, 10))
    review = open_task(db, case, "Task_PlanningReview")
    with clock.travel_to(at(16, 11)):
        group = tasks.list_inbox(db, env, tasks.InboxQuery(scope=tasks.InboxScope.GROUP)).items
        assert review.id in [t.id for t in group]  # offered to the planning group: reaches env too
        assert tasks.task_detail(db, env, review.id).permissions.complete
    complete_at(db, case, "Task_PlanningReview", "env_officer", {"decision": "approve"}, at(16, 12))
    event = db.scalar(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == "task.completed")
        .order_by(AuditEvent.id.desc())
    )
    assert event.detail["on_behalf_of"] == "planner" and event.actor_id == env.id
    # After the period nothing reaches the substitute any more.
    with clock.travel_to(at(23, 9)):
        fire = open_task(db, case, "Task_FireReview")
        assert substitutions.on_behalf_of(db, env, fire) is None
        mine = tasks.list_inbox(db, env, tasks.InboxQuery(scope=tasks.InboxScope.GROUP)).items
        assert all(t.candidate_group == "environment" for t in mine)


def test_a_claimed_task_reaches_the_substitute_for_one_process_only(db: Any) -> None:
    case = submit(db)
    clerk, chief, planner = user_named(db, "clerk"), user_named(db, "window_chief"), user_named(db, "planner")
    task = open_task(db, case, "Task_Acceptance")
    with clock.travel_to(at(16, 9, 10)):
        tasks.claim_task(db, clerk, task.id)
        only_permits = SubstituteRequest(
            "planner", date(2026, 11, 16), date(2026, 11, 18), "construction_permit"
        )
        substitutions.set_substitute(db, chief, "clerk", only_permits)  # the supervisor, for the ill clerk
        db.commit()
    with clock.travel_to(at(16, 9, 20)):
        mine = tasks.list_inbox(db, planner, tasks.InboxQuery(scope=tasks.InboxScope.MINE)).items
        assert task.id in [t.id for t in mine]
    complete_at(db, case, "Task_Acceptance", "planner", {"decision": "accept"}, at(16, 9, 30))


def test_substitution_refusals_change_nothing(db: Any) -> None:
    planner, env, fire = (user_named(db, n) for n in ("planner", "env_officer", "fire_officer"))
    acme = user_named(db, "acme")

    def refused(error: type[Exception], call: Any) -> None:
        before = _rows(db)
        with clock.travel_to(at(16, 9)), pytest.raises(error):
            call()
        db.rollback()
        assert _rows(db) == before

    refused(Forbidden, lambda: substitutions.set_substitute(db, fire, "planner", WEEK))  # not their chief
    refused(Forbidden, lambda: substitutions.set_substitute(db, acme, "me", WEEK))
    refused(InvalidData, lambda: substitutions.set_substitute(db, env, "me", WEEK))  # oneself
    past = SubstituteRequest("env_officer", date(2026, 11, 2), date(2026, 11, 6))
    refused(InvalidData, lambda: substitutions.set_substitute(db, planner, "me", past))
    unknown = SubstituteRequest("env_officer", date(2026, 11, 16), date(2026, 11, 20), "no_such_process")
    refused(InvalidData, lambda: substitutions.set_substitute(db, planner, "me", unknown))
    refused(Conflict, lambda: substitutions.end_substitute(db, planner, "me"))
    with clock.travel_to(at(16, 9)):
        substitutions.set_substitute(db, planner, "me", WEEK)
        db.commit()
    overlapping = SubstituteRequest(
        "fire_officer", date(2026, 11, 20), date(2026, 11, 27), "construction_permit"
    )
    refused(Conflict, lambda: substitutions.set_substitute(db, planner, "me", overlapping))
    with clock.travel_to(at(16, 9)):
        assert len(substitutions.end_substitute(db, user_named(db, "planning_chief"), "planner")) == 1
        db.commit()
        substitutions.set_substitute(db, planner, "me", overlapping)  # ended: the period is free again
        db.commit()
