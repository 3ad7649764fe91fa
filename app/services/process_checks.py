"""Checks a process passes before it goes live, beyond validation: path simulation and the
analysts' process tests (``processes/tests/<key>.<name>.json``).

Both run the engine in memory on the bundle about to be deployed: no case row, notification,
credit record or certificate is ever written. The platform's helpers (working days from the
calendar) are the real ones; the applicant's credit score is part of each path or test.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.engine import Problem, ProcessBundle, Text, marked, replaced
from app.engine.simulation import SimulationReport, TestOutcome, read_test, run_test, simulate
from app.engine.simulation.process_tests import TestFileError
from app.errors import InvalidData, ProcessInvalid

from . import deployed_tree, forms, platform, processes

TESTS_FOLDER = "tests"
SIMULATION_SECONDS = 25.0


def form_check(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """The problems the platform's own form validation finds in ``data`` (empty: it would pass)."""
    try:
        forms.validate_form(schema, data)
    except InvalidData as err:
        return {k: list(v) for k, v in err.errors.items()}
    return {}


def _helpers(session: Session) -> dict[str, Any]:
    plat = platform.of(session)
    return {**plat.runtime.helpers, **platform.process_helpers(session)}


def simulate_bundle(session: Session, bundle: ProcessBundle) -> SimulationReport:
    """Every path of the process run in memory (see ``app.engine.simulation``)."""
    budget = platform.of(session).settings.script_time_budget
    return simulate(
        bundle, _helpers(session), form_check, script_budget=budget, max_seconds=SIMULATION_SECONDS
    )


def simulation_problems(report: SimulationReport, file: str) -> list[Problem]:
    """What simulation found, as problems the editor and the CLI show like validation's."""
    found = []
    kinds = {
        "error": marked("a simulated path ends in an engine error: {detail}"),
        "stuck": marked("a simulated path waits for ever: {detail}"),
        "no_end": marked("a simulated path never reaches an end: {detail}"),
    }
    for failure in report.failures:
        element = failure.element_id or "-"
        if failure.trail:
            message = Text(kinds[failure.kind], detail=failure.message)
            hint = Text("path: {trail}", trail=" → ".join(failure.trail))
        else:  # no path at all: every one loops back or stops before an end event
            message, hint = failure.message, Text("check the conditions on the way to the end events")
        found.append(Problem(file, report.lines.get(element, 0), element, message, hint))
    for branch in report.uncovered:
        label = f"{branch.flow_id} ({branch.name})" if branch.name else branch.flow_id
        found.append(
            Problem(
                file,
                branch.line,
                branch.flow_id,
                Text(
                    "no simulated path takes the flow {flow} out of {gateway}",
                    flow=label,
                    gateway=branch.gateway_name or branch.gateway_id,
                ),
                Text(
                    "its condition is never true for any value the forms and scripts can set: "
                    "check the names and values it tests"
                ),
            )
        )
    return found


def test_files(folder: Path, key: str) -> list[Path]:
    """The process tests of ``key``: ``<folder>/tests/<key>.<name>.json``."""
    return sorted((folder / TESTS_FOLDER).glob(f"{key}.*.json"))


def run_tests(session: Session, bundle: ProcessBundle, folder: Path | None = None) -> list[TestOutcome]:
    """Run every test of the process found beside its BPMN file (or in ``folder``)."""
    folder = folder if folder is not None else Path(bundle.source_path).parent
    outcomes = []
    helpers = _helpers(session)
    for path in test_files(folder, bundle.key):
        name = path.name.removeprefix(f"{bundle.key}.").removesuffix(".json")
        shown = f"processes/{TESTS_FOLDER}/{path.name}"
        try:
            test = read_test(path.read_text(encoding="utf-8"), key=bundle.key, name=name, file=shown)
        except (TestFileError, UnicodeDecodeError) as err:
            detail = err.args[0] if isinstance(err, TestFileError) and err.args else str(err)
            invalid = Text("the test file is not valid: {detail}", detail=detail)
            outcomes.append(TestOutcome(bundle.key, name, shown, False, invalid))
            continue
        outcomes.append(run_test(bundle, test, helpers, form_check))
    return outcomes


def test_problems(outcomes: list[TestOutcome]) -> list[Problem]:
    """Each failing test as a problem naming the test, its step and the element it stopped at."""
    return [
        Problem(
            o.file,
            0,
            o.element_id or "-",
            Text("process test {name} fails: {detail}", name=o.name, detail=o.message)
            if o.step is None
            else Text(
                "process test {name} fails at step {step}: {detail}",
                name=o.name,
                step=o.step,
                detail=o.message,
            ),
            Text("fix the process, or the test if the process is right"),
        )
        for o in outcomes
        if not o.passed
    ]


def refuse_failing_tests(session: Session, bundles: list[ProcessBundle], folder: Path | None = None) -> None:
    """Raise ProcessInvalid (422) naming each failing test and step; nothing is deployed."""
    problems = [p for b in bundles for p in test_problems(run_tests(session, b, folder))]
    if problems:
        raise ProcessInvalid(
            f"{len(problems)} process test(s) fail: nothing was deployed",
            {"processes": [str(p) for p in problems]},
        )


@dataclass(frozen=True)
class Edited:
    """An edited diagram loaded as the new ``<key>.bpmn``: its bundle, or its problems (those of
    the diagram and of the edited decision tables, named as files of the processes folder)."""

    bundle: ProcessBundle | None
    problems: list[Problem]


def load_edited(session: Session, key: str, xml: str, decisions: dict[str, str] | None = None) -> Edited:
    """``xml`` as ``<key>.bpmn`` and ``decisions`` (``<name>.dmn`` → XML) as those files, loaded with
    the deployed processes (as the database holds them, whichever machine asks), as a deploy loads it."""
    decisions = decisions or {}
    with (
        tempfile.TemporaryDirectory(prefix="pf-edited-") as scratch,
        deployed_tree.scratch_folder(session) as folder,
    ):
        path = Path(scratch) / f"{key}.bpmn"
        path.write_text(xml, encoding="utf-8")
        for name, text in decisions.items():
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        others = [p for p in sorted(folder.glob("*.bpmn")) if p.name != path.name]
        tables = sorted(Path(scratch).glob("*.dmn")) + [
            p for p in sorted(folder.glob("*.dmn")) if p.name not in decisions
        ]
        result = processes.read_processes(session, [path, *others], dmn_paths=tables)
        shown = {str(path): f"processes/{key}.bpmn"} | {
            str(Path(scratch) / name): f"processes/{name}" for name in decisions
        }
        own = [
            Problem(shown[p.file], p.line, p.element_id, replaced(p.message, scratch, "processes"), p.hint)
            for p in result.problems
            if p.file in shown
        ]
    return Edited(result.bundles.get(key) if not own else None, own)


def current_bundle(session: Session, key: str) -> ProcessBundle:
    """The process ``key`` as its file in the processes folder reads now."""
    folder = platform.of(session).processes_dir
    result = processes.read_processes(session, sorted(folder.glob("*.bpmn")))
    if key not in result.bundles:
        own = [str(p) for p in result.problems if Path(p.file).stem == key]
        raise ProcessInvalid(f"processes/{key}.bpmn does not load", {"processes": own or ["no such file"]})
    return result.bundles[key]


def processes_folder(session: Session) -> Path:
    """The processes folder of this app (its ``tests/`` hold the process tests)."""
    return platform.of(session).processes_dir
