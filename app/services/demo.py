"""Demo groups, users and cases (`flask demo load`). Idempotent for groups and users."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, Group, HumanTask, Membership, TaskState, User, UserKind

from . import cases, disclosure, pii, platform, processes, tasks, timers
from .auth import hash_password
from .seed_groups import GROUPS

# username, display name, groups as (slug, is_supervisor), roles
STAFF = [
    ("clerk", "王窗口", [("window", False)], []),
    ("window_chief", "李科长（窗口）", [("window", True)], []),
    ("planner", "赵规划", [("planning", False)], []),
    ("planning_chief", "钱科长（规划）", [("planning", True)], []),
    ("fire_officer", "孙消防", [("fire", False)], []),
    ("fire_chief", "周科长（消防）", [("fire", True)], []),
    ("env_officer", "吴环保", [("environment", False)], []),
    ("env_chief", "郑科长（环保）", [("environment", True)], []),
    ("civil_officer", "冯人防", [("civil_defence", False)], []),
    ("civil_chief", "陈科长（人防）", [("civil_defence", True)], []),
    ("permit_officer", "褚审批", [("construction", False)], []),
    ("construction_chief", "卫科长（审批）", [("construction", True)], []),
    ("inspector", "蒋监督员", [("inspection", False)], []),
    ("inspection_chief", "沈站长", [("inspection", True)], []),
    ("dispatcher", "韩调度", [("complaint_desk", False)], []),
    ("desk_chief", "杨科长（投诉）", [("complaint_desk", True)], []),
    ("publisher", "刘发布", [("publisher", False)], []),
    ("notice_chief", "何科长（信息审核）", [("notice_review", True)], []),
    ("director", "朱局长", [("bureau", True)], []),
    ("deputy", "秦副局长", [("bureau", False)], []),
    ("analyst", "许分析师", [], ["analyst"]),
    ("admin", "系统管理员", [], ["admin"]),
    ("auditor", "审计员", [], ["auditor"]),
]

APPLICANTS = [
    ("acme", "北湖城市建设投资有限公司", "91350100M000100Y43", "13812345678"),
    ("buildco", "华建第一工程有限公司", "91110108MA01ABCD1E", "13987654321"),
]
# The person to call about each company's applications (prefilled into its start forms).
CONTACTS = {"acme": "张伟", "buildco": "李强"}


# The demo city's districts (forms' `district`, the dashboard's map), told by the project's name.
DISTRICT_WORDS = [
    ("高新", "gaoxin"),
    ("经开", "jingkai"),
    ("临港", "jingkai"),
    ("南山", "nanshan"),
    ("城南", "nanshan"),
    ("东城", "dongcheng"),
    ("老城", "dongcheng"),
    ("西城", "xicheng"),
    ("城西", "xicheng"),
    ("西湖", "xicheng"),
]


def district_of(name: str) -> str:
    """The district a demo project lies in (北湖区 unless its name says otherwise)."""
    return next((code for word, code in DISTRICT_WORDS if word in name), "beihu")


def project_code_of(name: str) -> str:
    """A demo project's own unified project code (统一项目代码), the same for every case of it."""
    serial = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**6
    return f"2026-350100-47-01-{serial:06d}"


def demo_permit(name: str) -> dict[str, Any]:
    """A demo permit application under the project's own code (its project page lists them)."""
    return {**permit_application(name), "project_code": project_code_of(name)}


def permit_application(
    name: str, floor_area: float = 45600, total_investment: float = 4800.0
) -> dict[str, Any]:
    """A complete, valid construction permit application for the demo company."""
    return {
        "project_name": name,
        "project_code": "2026-350100-47-01-123456",
        "district": district_of(name),
        "builder": {
            "name": APPLICANTS[0][1],
            "credit_code": APPLICANTS[0][2],
            "contact_name": "张伟",
            "contact_phone": APPLICANTS[0][3],
        },
        "contractor": {"name": APPLICANTS[1][1], "credit_code": APPLICANTS[1][2]},
        "supervisor_company": {"name": "正衡工程监理有限公司"},
        "total_investment": total_investment,
        "floor_area": floor_area,
        "planned_start": "2027-03-01",
        "planned_finish": "2028-12-31",
    }


def ensure_groups_and_users(session: Session, password: str) -> dict[str, User]:
    groups = {g.slug: g for g in session.scalars(select(Group))}
    for slug, name, name_en, escalates_to in GROUPS:
        if slug not in groups:
            groups[slug] = Group(slug=slug, name=name, name_en=name_en, escalates_to=escalates_to)
            session.add(groups[slug])
    session.flush()
    users = {u.username: u for u in session.scalars(select(User))}
    hashed, now = hash_password(password), clock.now()
    for username, display, memberships, roles in STAFF:
        user = users.get(username)
        if user is None:
            user = User(
                username=username,
                display_name=display,
                password_hash=hashed,
                kind=UserKind.STAFF,
                roles=roles,
                created_at=now,
            )
            session.add(user)
            users[username] = user
        else:
            user.password_hash = hashed
        session.flush()
        have = {m.group_id for m in user.memberships}
        for slug, supervisor in memberships:
            if groups[slug].id not in have:
                user.memberships.append(Membership(group_id=groups[slug].id, is_supervisor=supervisor))
    for username, company, code, phone in APPLICANTS:
        user = users.get(username)
        if user is None:
            users[username] = User(
                username=username,
                display_name=company,
                password_hash=hashed,
                kind=UserKind.APPLICANT,
                roles=[],
                company_name=company,
                credit_code=code,
                contact_name=CONTACTS.get(username),
                created_at=now,
            )
            pii.set_phone(session, users[username], phone)
            session.add(users[username])
        else:
            user.password_hash = hashed
        users[username].credit_code_verified = users[username].credit_code == code  # window-checked
    session.flush()
    return users


def open_task(session: Session, case_id: int, bpmn_id: str) -> HumanTask:
    task = session.scalar(
        select(HumanTask).where(
            HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN
        )
    )
    assert task is not None, f"demo: no open {bpmn_id}"
    return task


def open_tasks(session: Session, case_id: int, bpmn_id: str) -> list[HumanTask]:
    """The case's open tasks with that BPMN id (a signing round has one per signer)."""
    stmt = select(HumanTask).where(
        HumanTask.case_id == case_id, HumanTask.bpmn_id == bpmn_id, HumanTask.state == TaskState.OPEN
    )
    return list(session.scalars(stmt.order_by(HumanTask.id)))


def _do(
    session: Session, users: dict[str, User], case_id: int, bpmn_id: str, who: str, data: dict[str, Any]
) -> None:
    tasks.complete_task(session, users[who], open_task(session, case_id, bpmn_id).id, data)


def load_cases(session: Session, users: dict[str, User]) -> list[str]:
    """Sample permit cases at every stage and SLA state, made through the real services."""
    acme = users["acme"]
    made: list[str] = []
    real_now = clock.now()

    def start(name: str, days_ago: float) -> int:
        with clock.travel_to(real_now - timedelta(days=days_ago)):
            started = cases.start_case(session, acme, "construction_permit", demo_permit(name))
        made.append(f"{started.case.number} ({name}; query code {started.query_code})")
        return started.case.id

    approve = {"decision": "approve"}
    start("北湖新城安置房二期", 0.1)  # waiting for acceptance, on time
    start("高新区研发中心一号楼", 12)  # acceptance overdue: escalated to the bureau (level 2)
    # Whatever day the demo is loaded on: an acceptance in its warning time (due soon, yellow) and
    # one just overdue, escalated to its supervisor only (level 1).
    story = Story(session, users, real_now)
    story.start(  # agencies' 5-working-day reviews in their warning time
        "北湖大道人行天桥（即将到期）", _days_ago(session, real_now, "warning"), "parallel_review"
    )
    made += story.made
    start("东城区社区服务中心（刚超期）", _days_ago(session, real_now, "overdue_level_1"))
    corr = start("经开区标准厂房", 3)
    with clock.travel_to(real_now - timedelta(days=2.9)):
        _do(
            session,
            users,
            corr,
            "Task_Acceptance",
            "clerk",
            {"decision": "correct", "correction_items": ["施工合同缺少签章页", "资金证明需银行盖章"]},
        )
    rev = start("南山区滨水公园配套用房", 6)
    with clock.travel_to(real_now - timedelta(days=5.5)):
        _do(session, users, rev, "Task_Acceptance", "clerk", {"decision": "accept"})
    with clock.travel_to(real_now - timedelta(days=4)):
        _do(session, users, rev, "Task_PlanningReview", "planner", approve)
    # Granted twice over: the second one's publication (信息公开) withheld by the window's chief.
    _grant(session, users, real_now, start("东城区第三小学扩建工程", 9), 8)
    kept = start("经开区变电站配套楼（暂缓公开）", 10)
    _grant(session, users, real_now, kept, 9)
    kept_number = session.scalar(select(Case.number).where(Case.id == kept))
    with clock.travel_to(real_now - timedelta(days=4)):
        disclosure.withhold(session, users["window_chief"], str(kept_number), "涉及电力设施安全，暂缓公开")
    made += load_review_cases(session, users, real_now)
    from .demo_inspection import load_complaint_cases, load_rectification_cases  # they build on this module
    from .demo_notices import load_notice_cases
    from .demo_procedures import load_procedure_cases

    made += load_rectification_cases(session, users, real_now)
    made += load_complaint_cases(session, users, real_now)
    made += load_procedure_cases(session, users, real_now)
    made += load_notice_cases(session, users, real_now)
    fire_due_timers(session)
    return made


def _grant(session: Session, users: dict[str, User], real_now: Any, case_id: int, days_ago: int) -> None:
    """Walk a permit from acceptance to its grant, a step a day from ``days_ago``."""
    approve = {"decision": "approve"}
    steps = [
        ("Task_Acceptance", "clerk", {"decision": "accept"}),
        ("Task_PlanningReview", "planner", approve),
        ("Task_FireReview", "fire_officer", approve),
        ("Task_EnvironmentReview", "env_officer", approve),
        ("Task_Decision", "permit_officer", {"decision": "approve", "permit_valid_until": "2028-12-31"}),
    ]
    for offset, (bpmn_id, who, data) in enumerate(steps):
        with clock.travel_to(real_now - timedelta(days=days_ago - offset)):
            _do(session, users, case_id, bpmn_id, who, data)


def fire_due_timers(session: Session) -> None:
    """What the worker's sweep would do first: the warnings, overdue notices and escalations (督办,
    levels 1 and 2) of the stories told in the past go off now, so the demo shows each of them."""
    for _round in range(5):  # an overdue task's level-2 escalation is due once level 1 fired
        if sum(timers.fire_due(session, case_id) for case_id in timers.due_case_ids(session)) == 0:
            return


ACCEPTANCE_LIMIT = "1wd"  # the shipped permit's acceptance (construction_permit.bpmn)
REVIEW_LIMIT = "5wd"  # each agency's review (parallel_review.bpmn)


def _days_ago(session: Session, now: Any, state: str) -> float:
    """How long ago to submit a permit so that its acceptance is, now, in its warning time
    (``warning``: the agencies' reviews of a parallel review, as a 1-working-day acceptance has no
    warning time overnight) or overdue by less than the 2 working days that raise it to the bureau
    (``overdue_level_1``), by the platform's calendar (holidays and weekends included)."""
    cal = platform.calendar(session)
    for hours in range(1, 24 * 20):  # by the hour; the close of a working day is at a half hour
        limit = REVIEW_LIMIT if state == "warning" else ACCEPTANCE_LIMIT
        due, warn = cal.due(now - timedelta(hours=hours), limit)
        assert due is not None and warn is not None
        if state == "warning" and warn < now < due:
            return hours / 24
        if state == "overdue_level_1" and due < now < cal.add_working_days(due, 2):
            return hours / 24
    raise AssertionError(f"no submission time gives {state}")


@dataclass
class Story:
    """Demo cases told step by step at times in the past, through the real services."""

    session: Session
    users: dict[str, User]
    real_now: Any
    made: list[str] = field(default_factory=list)

    def at(self, days_ago: float) -> Any:
        return clock.travel_to(self.real_now - timedelta(days=days_ago))

    def start(self, name: str, days_ago: float, process: str = "construction_permit", **extra: Any) -> Case:
        data = {**demo_permit(name), **extra}
        if process == "parallel_review":
            keys = ("project_name", "floor_area", "project_type", "building_height", "underground_area")
            data = {k: data[k] for k in keys if k in data}
        with self.at(days_ago):
            started = cases.start_case(self.session, self.users["acme"], process, data)
        self.made.append(f"{started.case.number} ({name}; query code {started.query_code})")
        return started.case

    def run(self, case: Case, days_ago: float, *steps: tuple[str, str, dict[str, Any]]) -> None:
        with self.at(days_ago):
            for bpmn_id, who, data in steps:
                _do(self.session, self.users, case.id, bpmn_id, who, data)

    def act(self, days_ago: float, call: Callable[[], Any]) -> Any:
        """A procedure (挂起, 延期, 退回, …) carried out at that time."""
        with self.at(days_ago):
            return call()


APPROVE = {"decision": "approve"}
REVIEWED = [
    ("Task_PlanningReview", "planner", APPROVE),
    ("Task_FireReview", "fire_officer", APPROVE),
    ("Task_EnvironmentReview", "env_officer", APPROVE),
]


def load_review_cases(session: Session, users: dict[str, User], real_now: Any) -> list[str]:
    """Permits in the states of the full process (容缺 held, merged agency corrections, an agency
    overdue, refused) and a parallel review started on its own."""
    story = Story(session, users, real_now)
    # 容缺受理: granted, the certificate held until the missing documents arrive.
    held = story.start("高新区人才公寓三期", 6)
    missing = {"decision": "accept_deficient", "missing_documents": ["资金证明原件", "监理合同"]}
    story.run(held, 5.8, ("Task_Acceptance", "clerk", missing))
    story.run(held, 3, *REVIEWED)
    story.run(held, 1, ("Task_Decision", "permit_officer", APPROVE))
    # In parallel review with the fire review overdue (the other agencies approved).
    late = story.start("城南商业街改造工程", 14)
    story.run(late, 13.5, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(late, 12, REVIEWED[0], REVIEWED[2])
    _agency_outcomes(story)
    # A parallel review started on its own: industrial, so planning and environment review it.
    story.start("北湖物流仓库", 1, "parallel_review", project_type="industrial", floor_area=800)
    return story.made


def _agency_outcomes(story: Story) -> None:
    """Four agencies of which fire and civil air defence ask for corrections (one merged notice),
    and a permit refused because an agency rejected it."""
    merged = story.start(
        "滨江商业综合体", 4, project_type="commercial", building_height=96, underground_area=12000
    )
    story.run(merged, 3.8, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(
        merged,
        2,
        ("Task_PlanningReview", "planner", APPROVE),
        (
            "Task_FireReview",
            "fire_officer",
            {"decision": "correct", "correction_items": ["补充消防车道平面图"]},
        ),
        ("Task_EnvironmentReview", "env_officer", APPROVE),
        (
            "Task_CivilDefenceReview",
            "civil_officer",
            {"decision": "correct", "correction_items": ["人防工程面积计算书"]},
        ),
    )
    refused = story.start("西城区临时展厅", 8)
    story.run(refused, 7.5, ("Task_Acceptance", "clerk", {"decision": "accept"}))
    story.run(
        refused,
        6,
        REVIEWED[0],
        ("Task_FireReview", "fire_officer", {"decision": "reject", "comment": "疏散通道宽度不足"}),
    )
    story.run(refused, 5.9, REVIEWED[2])


def load(session: Session, *, password: str, with_cases: bool, echo: Callable[[str], Any] = print) -> str:
    users = ensure_groups_and_users(session, password)
    echo(f"groups and users ready ({len(users)} users; password '{password}')")
    deployed = processes.deploy_processes(session, None)
    echo("processes: " + ", ".join(f"{d.key} {'new' if d.created else 'unchanged'}" for d in deployed))
    if not with_cases:
        return "demo loaded (no cases)"
    existing = session.scalar(select(func.count()).select_from(Case)) or 0
    if existing:
        # Loading twice (`make run` again) must not add a second set of sample cases.
        return f"demo loaded: the database already holds {existing} cases, none added"
    made = load_cases(session, users)
    from .demo_files import attach_samples

    files = attach_samples(session, users["acme"])
    for line in made:
        echo(f"  case {line}")
    return f"demo loaded: {len(made)} cases, {files} documents"
