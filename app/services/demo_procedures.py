"""Demo cases in the states the administrative procedures make: suspended, extended, returned,
withdrawn, rated poorly with its follow-up open, an opinion asked for (加签) and a reviewer away
with a substitute (委托) — so a newcomer sees each of them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.models import User

from . import case_procedures, platform, substitutions, tasks, timers
from .demo import REVIEWED, Story, open_task, open_tasks


def load_procedure_cases(session: Session, users: dict[str, User], real_now: datetime) -> list[str]:
    story = Story(session, users, real_now)
    _clock_stories(story)
    _decision_stories(story)
    _colleague_stories(story)
    _co_sign_story(story)
    return story.made


def _clock_stories(story: Story) -> None:
    """挂起 for an expert review; 延期 asked and approved."""
    session, users = story.session, story.users
    suspended = story.start("临港物流园综合楼（专家论证中）", 5)
    story.run(suspended, 4.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.act(
        3,
        lambda: case_procedures.suspend_case(
            session, users["planner"], suspended.number, "expert_review", "组织专家论证"
        ),
    )
    extended = story.start("科创园孵化器改造（已延期）", 2)
    story.act(
        1.9,
        lambda: case_procedures.request_extension(
            session, users["clerk"], extended.number, 3, "需现场核实产权"
        ),
    )
    approval = open_task(session, extended.id, "procedure.extension_approval")
    story.act(
        1.8, lambda: tasks.complete_task(session, users["window_chief"], approval.id, {"decision": "approve"})
    )


def _decision_stories(story: Story) -> None:
    """退回 to acceptance, 撤回 by the applicant, and a refusal rated 非常不满意 (follow-up opened)."""
    session, users = story.session, story.users
    returned = story.start("西湖路沿街商铺（退回受理）", 6)
    story.run(returned, 5.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(returned, 4, *REVIEWED)
    decision = open_task(session, returned.id, "Task_Decision")
    story.act(
        1,
        lambda: case_procedures.return_task(
            session, users["permit_officer"], decision.id, "Task_Acceptance", "建设工程规划许可证复印件不清晰"
        ),
    )
    withdrawn = story.start("老城区临时仓储棚（已撤回）", 3)
    story.act(
        2,
        lambda: case_procedures.withdraw_case(
            session, users["acme"], withdrawn.number, "项目选址调整，撤回申请"
        ),
    )
    rated = story.start("北湖小学风雨操场（差评回访）", 9)
    story.run(rated, 8.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    reject = {"decision": "reject", "comment": "消防车道宽度不足 4 米"}
    story.run(rated, 7, REVIEWED[0], ("Task_FireReview", "fire_officer", reject), REVIEWED[2])
    story.act(
        1, lambda: case_procedures.rate_case(session, users["acme"], rated.number, 1, "驳回理由没有讲清楚")
    )


def _colleague_stories(story: Story) -> None:
    """超时默认: the environment agency let its limit pass (默认同意); 加签: the fire reviewer
    waits for the environment officer's opinion; 委托: the environment
    officer is away this week and the civil defence officer substitutes (their inbox shows it)."""
    session, users = story.session, story.users
    asked = story.start("滨江地下综合管廊（加签征求意见）", 2)
    story.run(asked, 1.9, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    review = open_task(session, asked.id, "Task_FireReview")
    question = "管廊通风口与消防疏散口的间距是否满足环保要求？"
    story.act(
        1.5,
        lambda: case_procedures.consult(
            session, users["fire_officer"], review.id, question, users=["env_officer"], time_limit="2wd"
        ),
    )
    deemed = story.start("东湖片区配套幼儿园（环保超时默认同意）", 15)
    story.run(deemed, 14.9, ("Task_Acceptance", "clerk", {"decision": "accept"}), REVIEWED[0], REVIEWED[1])
    story.act(2, lambda: timers.fire_due(session, deemed.id))  # the environment review never came
    calendar = platform.calendar(session)
    today = calendar.local_date(story.real_now)
    away = substitutions.SubstituteRequest(
        "civil_officer", today - timedelta(days=1), today + timedelta(days=6)
    )
    story.act(1.2, lambda: substitutions.set_substitute(session, users["env_chief"], "env_officer", away))


def _co_sign_story(story: Story) -> None:
    """会签: a permit above 5,000万 granted by the officer, signed by the section chief, waiting
    for the deputy director (the inbox and the task page show "1 of 2 signed")."""
    session, users = story.session, story.users
    large = story.start("高新区智能制造产业园（会签中）", 4, total_investment=12800.5)
    story.run(large, 3.9, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(large, 2.5, *REVIEWED)
    grant = {"decision": "approve", "permit_valid_until": "2029-12-31"}
    story.run(large, 0.6, ("Task_Decision", "permit_officer", grant))
    chief = next(
        t for t in open_tasks(session, large.id, "Task_CoSign") if t.candidate_group == "construction"
    )
    story.act(
        0.3,
        lambda: tasks.complete_task(
            session, users["construction_chief"], chief.id, {"decision": "approve", "opinion": "同意发证"}
        ),
    )
