"""Demo cases in the states the administrative procedures make: suspended, extended, returned,
withdrawn, rated poorly with its follow-up open — so a newcomer sees each of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import HumanTask, TaskState, User

from . import case_procedures, cases, tasks
from .demo import permit_application

Step = tuple[str, str, dict[str, Any]]
APPROVE = {"decision": "approve"}
REVIEWS: list[Step] = [
    ("Task_PlanningReview", "planner", APPROVE),
    ("Task_FireReview", "fire_officer", APPROVE),
    ("Task_EnvironmentReview", "env_officer", APPROVE),
]


@dataclass
class _Story:
    """Demo cases told step by step at times in the past, by case number, through the services."""

    session: Session
    users: dict[str, User]
    real_now: datetime
    made: list[str] = field(default_factory=list)

    def at(self, days_ago: float) -> Any:
        return clock.travel_to(self.real_now - timedelta(days=days_ago))

    def start(self, name: str, days_ago: float) -> str:
        with self.at(days_ago):
            started = cases.start_case(
                self.session, self.users["acme"], "construction_permit", permit_application(name)
            )
        self.made.append(f"{started.case.number} ({name}; query code {started.query_code})")
        return started.case.number

    def run(self, number: str, days_ago: float, *steps: Step) -> None:
        with self.at(days_ago):
            for bpmn_id, who, data in steps:
                tasks.complete_task(
                    self.session, self.users[who], _open(self.session, number, bpmn_id).id, data
                )

    def act(self, days_ago: float, call: Callable[[], Any]) -> Any:
        with self.at(days_ago):
            return call()


def load_procedure_cases(session: Session, users: dict[str, User], real_now: datetime) -> list[str]:
    story = _Story(session, users, real_now)
    _clock_stories(story)
    _decision_stories(story)
    return story.made


def _clock_stories(story: _Story) -> None:
    """挂起 for an expert review; 延期 asked and approved."""
    session, users = story.session, story.users
    suspended = story.start("临港物流园综合楼（专家论证中）", 5)
    story.run(suspended, 4.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.act(
        3,
        lambda: case_procedures.suspend_case(
            session, users["planner"], suspended, "expert_review", "组织专家论证"
        ),
    )
    extended = story.start("科创园孵化器改造（已延期）", 2)
    story.act(
        1.9, lambda: case_procedures.request_extension(session, users["clerk"], extended, 3, "需现场核实产权")
    )
    approval = _open(session, extended, "procedure.extension_approval")
    story.act(
        1.8, lambda: tasks.complete_task(session, users["window_chief"], approval.id, {"decision": "approve"})
    )


def _decision_stories(story: _Story) -> None:
    """退回 to acceptance, 撤回 by the applicant, and a refusal rated 非常不满意 (follow-up opened)."""
    session, users = story.session, story.users
    returned = story.start("西湖路沿街商铺（退回受理）", 6)
    story.run(returned, 5.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(returned, 4, *REVIEWS)
    decision = _open(session, returned, "Task_Decision")
    story.act(
        1,
        lambda: case_procedures.return_task(
            session, users["permit_officer"], decision.id, "Task_Acceptance", "建设工程规划许可证复印件不清晰"
        ),
    )
    withdrawn = story.start("老城区临时仓储棚（已撤回）", 3)
    story.act(
        2, lambda: case_procedures.withdraw_case(session, users["acme"], withdrawn, "项目选址调整，撤回申请")
    )
    rated = story.start("北湖小学风雨操场（差评回访）", 9)
    story.run(rated, 8.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    reject = {"decision": "reject", "comment": "消防车道宽度不足 4 米"}
    story.run(rated, 7, REVIEWS[0], ("Task_FireReview", "fire_officer", reject), REVIEWS[2])
    story.act(1, lambda: case_procedures.rate_case(session, users["acme"], rated, 1, "驳回理由没有讲清楚"))


def _open(session: Session, number: str, bpmn_id: str) -> HumanTask:
    task = session.scalar(
        select(HumanTask).where(
            HumanTask.case_number == number, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN
        )
    )
    assert task is not None, f"demo: no open {bpmn_id} on {number}"
    return task
