"""Conformance over the third-party BPMN corpus (`../shared/bpmn-corpus`, see its README).

Every file ends in exactly one of two ways: it is accepted and (betsy) runs to its expected trace,
or it is rejected with problems naming the file, an element id, what is wrong and what to do.
None may be accepted and then run wrongly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import clock
from app.engine import Problem, Runtime, SpecSource, set_clock
from app.engine.loader import load_for_run
from app.engine.validation.names import HELPERS, NameContext

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "bpmn-corpus"
BETSY = CORPUS / "betsy"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEP = timedelta(milliseconds=250)
PROCESS_ID = re.compile(r"<(?:\w+:)?process\b[^>]*?\bid=\"([^\"]+)\"")

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the third-party BPMN corpus is not at {CORPUS} (see ../shared/bpmn-corpus)"
)


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.bpmn")) if CORPUS.is_dir() else []


def _process_index() -> dict[str, Path]:
    """Executable process id → corpus file defining it (for call activities across files)."""
    index: dict[str, Path] = {}
    for path in _corpus_files():
        text = path.read_text(encoding="utf-8")
        for pid in PROCESS_ID.findall(text):
            index.setdefault(pid, path)
    return index


def _group(path: Path, index: dict[str, Path]) -> list[Path]:
    """The file with every corpus file it calls (loaded together, as a deployment would)."""
    group, todo = [path], [path]
    while todo:
        text = todo.pop().read_text(encoding="utf-8")
        for called in set(re.findall(r"calledElement=\"([^\"]+)\"", text)) - set(PROCESS_ID.findall(text)):
            other = index.get(called)
            if other is not None and other not in group:
                group.append(other)
                todo.append(other)
    return group


# What betsy's harness gives every process (see the README): its start variables and its two helpers.
BETSY_NAMES = NameContext(
    platform_keys=frozenset({"test", "integerVariable", "testCaseNumber"}),
    helpers=HELPERS | {"betsy_log", "betsy_marker"},
)


def _judge(path: Path) -> tuple[list[Problem], Any]:
    result = load_for_run(_group(path, _process_index()), names=BETSY_NAMES)
    return [p for p in result.problems if p.file == str(path)], result


def _betsy_tests() -> list[tuple[str, int, dict[str, Any]]]:
    traces = BETSY / "expected_traces.json"
    if not traces.is_file():
        return []
    cases = []
    for test in json.loads(traces.read_text(encoding="utf-8"))["tests"]:
        for number, case in enumerate(test["test_cases"], start=1):
            cases.append((test["file"], number, case))
    return cases


def _ids(files: list[Path]) -> list[str]:
    return [str(p.relative_to(CORPUS)) for p in files]


@pytest.mark.parametrize("path", _corpus_files(), ids=_ids(_corpus_files()))
def test_every_file_is_accepted_or_rejected_clearly(path: Path) -> None:
    problems, result = _judge(path)
    if not problems:
        process_ids = PROCESS_ID.findall(path.read_text(encoding="utf-8"))
        assert any(pid in result.bundles for pid in process_ids), "accepted, yet nothing to run"
        return
    for problem in problems:
        line = str(problem)
        assert line.startswith(f"{path}:{problem.line}: {problem.element_id}: "), line
        assert problem.element_id and problem.element_id != "-", line
        assert problem.line > 0, line
        assert problem.message and "Traceback" not in problem.message, line
        assert problem.hint, f"no hint on what to do: {line}"


def _run(file: str, number: int, case: dict[str, Any]) -> list[str]:
    """The observed trace of one betsy test case, as betsy would record it."""
    path = BETSY / file
    problems, result = _judge(path)
    if problems:
        return ["ERROR_deployment"]
    trace: list[str] = []
    helpers = {
        "betsy_log": trace.append,
        "betsy_marker": lambda: trace.append("MARKER_exists"),
    }
    runtime = Runtime(helpers, 5.0)
    data = {
        "test": case.get("input_test"),
        "integerVariable": case.get("integerVariable", 0),
        "testCaseNumber": case.get("testCaseNumber") or number,
    }
    # The processes of one file share its version hash: each is cached under its own id too.
    sources = {
        pid: SpecSource(f"{b.hash}-{pid}", b.spec_json, b.meta["lane_groups"])
        for pid, b in result.bundles.items()
        if b.source_path == str(path)
    }
    clock.freeze(T0)
    set_clock(clock.now)
    try:
        # The file's other processes start first when betsy runs them in parallel (a receiver).
        others = [pid for pid in sources if pid != path.stem] if case.get("useParallelProcess") else []
        running = [(sources[pid], runtime.start(sources[pid], dict(data))) for pid in others]
        running.insert(0, (sources[path.stem], runtime.start(sources[path.stem], data)))
        running = _deliver_messages(runtime, running, sources, result.bundles)
        step = running[0][1]
        waited = timedelta(0)
        # Timers: move the platform clock instead of sleeping, as long as betsy would wait.
        while not step.finished and step.error is None and waited < timedelta(milliseconds=case["delay_ms"]):
            clock.advance(STEP)
            waited += STEP
            step = runtime.fire_due_timers(running[0][0], step.state)
    finally:
        clock.unfreeze()
    if any(s.error is not None for _, s in running) or step.error is not None:
        trace.append("ERROR_runtime")
    return trace


def _deliver_messages(
    runtime: Runtime, running: list[tuple[SpecSource, Any]], sources: dict[str, SpecSource], bundles: Any
) -> list[tuple[SpecSource, Any]]:
    """Messages thrown out of one process go where the platform sends them: an instance waiting
    for the message, else a new instance of a process whose message start event catches it."""
    queue = [m for _, s in running for m in s.messages_thrown]
    while queue:
        message = queue.pop(0)
        for index, (source, step) in enumerate(running):
            waiting = next((w for w in step.messages_waiting if w.name == message.name), None)
            if waiting is not None:
                step = runtime.deliver(source, step.state, (message.name, waiting.task_id, message.payload))
                running[index] = (source, step)
                break
        else:
            starts = [pid for pid in sources if bundles[pid].meta["start"].get("message") == message.name]
            if not starts:
                continue
            step = runtime.start(sources[starts[0]], dict(message.payload), message=message.name)
            running.append((sources[starts[0]], step))
        queue += step.messages_thrown
    return running


def _matches(observed: list[str], expected: list[str]) -> bool:
    if "ERROR" in expected:  # any error will do
        observed = ["ERROR" if o.startswith("ERROR_") else o for o in observed]
    return Counter(observed) == Counter(expected)


@pytest.mark.parametrize(
    ("file", "number", "case"),
    _betsy_tests(),
    ids=[f"{f}#{n}" for f, n, _ in _betsy_tests()],
)
def test_betsy_accepted_files_run_to_their_expected_trace(
    file: str, number: int, case: dict[str, Any]
) -> None:
    observed = _run(file, number, case)
    if observed == ["ERROR_deployment"]:
        # Rejected: fine whatever betsy expects, as long as the rejection is clear (see above).
        return
    assert _matches(observed, case["expected_trace"]), (
        f"{file} (test case {number}) accepted but runs wrongly: observed {sorted(observed)}, "
        f"expected {sorted(case['expected_trace'])}"
    )


def test_corpus_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Counts for the report: accepted, rejected by reason, betsy cases passing."""
    accepted, reasons = [], Counter()
    for path in _corpus_files():
        problems, _ = _judge(path)
        if problems:
            reasons[_reason(problems[0].message)] += 1
        else:
            accepted.append(path)
    passing = sum(
        1
        for file, number, case in _betsy_tests()
        if (BETSY / file) in accepted and _matches(_run(file, number, case), case["expected_trace"])
    )
    with capsys.disabled():
        print(f"\ncorpus: {len(accepted)} accepted, {sum(reasons.values())} rejected")
        for reason, count in reasons.most_common():
            print(f"  rejected {count:3d}: {reason}")
        print(f"betsy test cases passing on accepted files: {passing} of {len(_betsy_tests())}")
    assert accepted and reasons


def _reason(message: str) -> str:
    """A problem's kind: its message without names, numbers and the quoted code."""
    message = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", message.split(": ")[0])
    return message.split(";")[0][:90]
