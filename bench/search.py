"""Latency of the case search (`GET /api/v1/search`) at many cases, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--cases 100000,1000000] [--backends sqlite,postgresql]

For each size and backend: a fresh database (migrated, demo users, shipped processes), ``N``
construction-permit cases bulk-loaded (not through the engine: SQLite the driver's
``executemany`` in one transaction, PostgreSQL ``COPY``) with realistic Chinese project names
(place + kind + phase), builders and contractors (some hundreds of companies) and addresses
(district, road, house number), each case's search row written with the same functions the step
path uses (services/search_text.py: the tsvector on PostgreSQL, the FTS5 grams on SQLite); then
``ANALYZE``. As ``planner`` through Flask's test client, ``--requests`` timed requests per kind
of query, each a different sample: two characters of a project's name, a project's full name,
an address fragment (road + number), a company's name, a district (two characters matching
about 1 case in 12: the ranked candidates are capped), a case number. p50 / p95 in ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Api, Summary, bench_env, load_average, table  # noqa: E402
from inbox import CHUNK, JSON_COLUMNS, _case_rows, _chunks, _context, _sqlite_insert  # noqa: E402

from app import edge  # noqa: E402
from app.services.search_text import fts_grams, tsvector_literal  # noqa: E402

PLACES = list("翠湖滨江锦绣阳光金桥御景龙湖碧桂万科华府星河蓝湾紫荆海棠梧桐凤凰麒麟青山白鹭天鹅桃源")
DISTRICTS = ["北湖区", "南山区", "东城区", "西岸区", "高新区", "经开区", "江北区", "临港新区",
             "老城区", "滨海区", "青云县", "白石镇"]  # fmt: skip
ROOTS = list("长江黄河人民和平新华学府育才建设解放中山友谊胜利光明幸福东风朝阳文化")
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
]
KINDS += ["污水处理厂", "幼儿园", "工业厂房", "安置房", "产业园", "养老中心"]
PHASES = ["", "一期", "二期", "三期", "（A地块）", "（B地块）", "四期"]
SUFFIXES = ["建设集团有限公司", "建工有限公司", "置业有限公司", "工程有限公司", "房地产开发有限公司"]
TIMED_USER = "planner"


def _place(rng: random.Random) -> str:
    return rng.choice(PLACES) + rng.choice(PLACES)


def _road(rng: random.Random) -> str:
    return rng.choice(ROOTS) + rng.choice(ROOTS) + rng.choice(["路", "街", "大道", "西路", "北路"])


def _company(rng: random.Random) -> str:
    return _place(rng) + rng.choice(SUFFIXES)


def _fill(rng: random.Random, cases: list[dict]) -> Iterator[dict]:
    """Give each case its text and yield its search row (head and body as the index keeps them)."""
    for case in cases:
        name = _place(rng) + rng.choice(["花园", "府", "苑", "城", "广场", ""]) + rng.choice(KINDS)
        name += rng.choice(PHASES)
        district = rng.choice(DISTRICTS)
        address = f"{district}{_road(rng)}{rng.randint(1, 999)}号"
        builder, contractor = _company(rng), _company(rng)
        code = f"2026-3501{rng.randint(0, 99):02d}-47-01-{rng.randint(0, 999999):06d}"
        case["project_name"], case["project_code"] = name, code
        case["data"] = {"project_name": name, "project_code": code, "district": district, "location": address,
                        "builder": {"name": builder}, "contractor": {"name": contractor}}  # fmt: skip
        head = " · ".join([case["number"], name, code, builder, contractor])
        body = "\n".join([district, address, "同意，按规定办理施工许可。"])
        yield {"case_id": case["id"], "head": head, "body": body, "indexed_at": case["submitted_at"]}


def seed(env: Any, n: int, rng: random.Random) -> tuple[list[dict], float]:
    from app.models import Case, CaseSearch

    t0 = time.perf_counter()
    gc.disable()
    try:
        users, version_id, now = _context(env)
        cases = _case_rows(rng, n, users, version_id, now)
        rows = list(_fill(rng, cases))
        engine = edge.of(env.app).database.engine
        if env.backend == "postgresql":
            for row in rows:
                row["grams"] = tsvector_literal(row["head"], row["body"])
            _copy(engine, ((Case.__table__, cases), (CaseSearch.__table__, rows)))
        else:
            _sqlite_insert(engine, ((Case.__table__, cases), (CaseSearch.__table__, rows)))
            raw = engine.raw_connection()
            try:
                raw.driver_connection.executemany(
                    "INSERT INTO case_search_fts(rowid, head, body) VALUES (?, ?, ?)",
                    ((r["case_id"], fts_grams(r["head"]), fts_grams(r["body"])) for r in rows),
                )
                raw.driver_connection.execute("ANALYZE")
                raw.driver_connection.commit()
            finally:
                raw.close()
        return cases, time.perf_counter() - t0
    finally:
        gc.enable()


# The migration's bigram index (c9f1d3e5a7b2_case_search.py), dropped while loading and built
# after: kept up to date row by row, it made COPY of 1,000,000 search rows take about 10 minutes.
GIN_INDEX = "CREATE INDEX ix_case_search_grams ON case_search USING gin (grams)"


def _copy(engine: Any, tables: tuple[tuple[Any, list[dict]], ...]) -> None:
    import json

    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("DROP INDEX ix_case_search_grams")
        for tbl, rows in tables:
            for chunk in _chunks(rows, CHUNK):
                cols = list(chunk[0].keys())
                names = ", ".join(f'"{c}"' for c in cols)
                with raw.cursor() as cur, cur.copy(f'COPY "{tbl.name}" ({names}) FROM STDIN') as copy:
                    for row in chunk:
                        copy.write_row(
                            tuple(
                                json.dumps(row[c]) if c in JSON_COLUMNS and row[c] is not None else row[c]
                                for c in cols
                            )  # fmt: skip
                        )
        raw.execute("SET maintenance_work_mem = '256MB'")
        raw.execute(GIN_INDEX)
        raw.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql('VACUUM (ANALYZE) "case"')
        conn.exec_driver_sql("VACUUM (ANALYZE) case_search")


def queries(rng: random.Random, cases: list[dict]) -> dict[str, Callable[[], str]]:
    def pick() -> dict:
        return rng.choice(cases)

    def two_chars() -> str:
        name = pick()["project_name"]
        at = rng.randrange(0, 2)
        return name[at : at + 2]

    return {
        "2 chars of a name": two_chars,
        "full project name": lambda: pick()["project_name"],
        "address fragment": lambda: pick()["data"]["location"][-8:],
        "company name": lambda: pick()["data"]["builder"]["name"],
        "district (common)": lambda: rng.choice(DISTRICTS)[:2],
        "case number": lambda: pick()["number"],
    }


def measure(env: Any, cases: list[dict], requests: int, rng: random.Random) -> list[list[Any]]:
    """Each kind of query through the API (the whole request) and through the service alone (the
    search's own cost: the SQL and the highlights, without HTTP, login and JSON)."""
    from sqlalchemy import select

    from app.models import User
    from app.services import search

    api = Api(app=env.app)
    database = edge.of(env.app).database
    rows = []
    for kind, make in queries(rng, cases).items():
        samples, service, found = [], [], 0
        for i in range(requests + 5):
            q = make()
            t0 = time.perf_counter()
            status, body = api.call("GET", f"/api/v1/search?q={q}", TIMED_USER)
            elapsed = (time.perf_counter() - t0) * 1000
            if status != 200:
                raise RuntimeError(f"{q}: {status} {body}")
            with env.app.app_context(), database.unit_of_work(write=False) as session:
                user = session.scalar(select(User).where(User.username == TIMED_USER))
                t1 = time.perf_counter()
                search.search_cases(session, user, search.SearchQuery(q=q))
                alone = (time.perf_counter() - t1) * 1000
            if i >= 5:  # warm-up
                samples.append(elapsed)
                service.append(alone)
                found += len(body["items"])
        s, a = Summary.of(samples), Summary.of(service)
        rows.append([kind, len(samples), round(s.p50, 1), round(s.p95, 1), round(a.p50, 1), round(a.p95, 1),
                     round(found / len(samples), 1)])  # fmt: skip
    api.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="100000", help="comma-separated sizes")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    for n in [int(x) for x in args.cases.split(",")]:
        for backend in args.backends.split(","):
            rng = random.Random(args.seed)
            with bench_env(backend, shipped_processes=True) as env:
                cases, seconds = seed(env, n, rng)
                print(
                    f"\n{backend}, {n:,} cases (loaded in {seconds:.0f} s; load average {load_average()})",
                    flush=True,
                )
                rows = measure(env, cases, args.requests, rng)
                print(
                    table(
                        ["query", "requests", "API p50", "API p95", "search p50", "search p95", "hits/page"],
                        rows,
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
