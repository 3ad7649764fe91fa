"""Path simulation and process tests on the engine alone (no Flask, no database): the shipped
processes run clean down every path and their tests pass covering every gateway branch; copies
broken the way an analyst breaks them fail, naming the element and the path that broke."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from app.engine import ProcessBundle
from app.engine.simulation import read_test, run_test, simulate
from app.engine.simulation.reading import read_process
from app.engine.simulation.sample_data import from_pattern, sample

from .shipped_copy import PROCESSES, by_id, load_copy

SHIPPED = [
    "complaint_handling",
    "construction_permit",
    "notice_publication",
    "parallel_review",
    "rectification_order",
]
TESTS = sorted((PROCESSES / "tests").glob("*.json"))


def check(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """Form validation as the platform reports it (field path -> messages)."""
    found: dict[str, list[str]] = {}
    for error in Draft202012Validator(schema).iter_errors(data):
        path = ".".join(map(str, error.absolute_path))
        message = error.message
        if error.validator == "required":
            missing = error.message.split("'")[1]
            path, message = (f"{path}.{missing}" if path else missing), "is required"
        found.setdefault(path or "data", []).append(message)
    return found


def _now() -> datetime:
    return datetime.now(UTC)


HELPERS = {
    "now": lambda: _now().isoformat(),
    "mask": lambda code: code,
    "working_days": lambda n: (_now() + timedelta(days=int(n))).isoformat(),
    "due_in": lambda limit: (_now() + timedelta(days=5)).isoformat(),
    "working_days_between": lambda a, b: 1,
}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: Any) -> dict[str, ProcessBundle]:
    result = load_copy(tmp_path_factory.mktemp("shipped"))
    assert result.ok, result.problems
    return result.bundles


@pytest.mark.parametrize("key", SHIPPED)
def test_every_path_of_a_shipped_process_runs_clean_and_takes_every_branch(
    shipped: dict[str, ProcessBundle], key: str
) -> None:
    report = simulate(shipped[key], HELPERS, check)
    assert report.failures == []
    assert [b.flow_id for b in report.uncovered] == []
    assert not report.truncated and report.branches
    assert report.ended and report.paths >= len(report.ended)
    assert report.cpu_seconds < 30


def _edited(tmp_path: Path, key: str, element_id: str, change: Any) -> ProcessBundle:
    result = load_copy(tmp_path, key, lambda root: change(by_id(root, element_id)))
    assert result.ok, result.problems
    return result.bundles[key]


def test_a_condition_testing_a_value_no_form_sets_is_a_branch_no_path_takes(tmp_path: Path) -> None:
    def misspell(flow: Any) -> None:
        condition = flow[-1] if len(flow) else None
        assert condition is not None and "passed" in (condition.text or "")
        condition.text = condition.text.replace('"passed"', '"pass"')

    report = simulate(
        _edited(tmp_path, "rectification_order", "Flow_Verified_Passed", misspell), HELPERS, check
    )
    assert [b.flow_id for b in report.uncovered] == ["Flow_Verified_Passed"]
    # Every verification now loops back: no path ends, which simulation says too.
    assert any(f.kind == "no_end" for f in report.failures)
    assert not report.ok


def test_a_script_failing_on_one_path_is_reported_with_that_path(tmp_path: Path) -> None:
    def divide(task: Any) -> None:
        script = next(child for child in task if child.tag.endswith("script"))
        script.text += "\nratio = 1 // (rounds - 1)"

    report = simulate(_edited(tmp_path, "rectification_order", "Script_Reopen", divide), HELPERS, check)
    [failure] = report.failures
    assert failure.kind == "error" and failure.element_id == "Script_Reopen"
    assert "ZeroDivisionError" in failure.message or "division" in failure.message
    assert any(step.startswith("Task_Verify (decision=failed") for step in failure.trail), failure.trail
    # The passing path still ends; the failing branch was still taken up to the script.
    assert report.ended == {"closed": report.ended["closed"]}


@pytest.mark.parametrize("path", TESTS, ids=[p.name for p in TESTS])
def test_every_shipped_process_test_passes(shipped: dict[str, ProcessBundle], path: Path) -> None:
    key, name = path.name.split(".")[:2]
    test = read_test(path.read_text(encoding="utf-8"), key=key, name=name, file=path.name)
    outcome = run_test(shipped[key], test, HELPERS, check)
    assert outcome.passed, outcome
    assert outcome.tasks == [s["task"] for s in test.steps if "task" in s]


def test_the_shipped_tests_of_each_process_take_every_gateway_branch(
    shipped: dict[str, ProcessBundle],
) -> None:
    taken: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in TESTS:
        key, name = path.name.split(".")[:2]
        test = read_test(path.read_text(encoding="utf-8"), key=key, name=name, file=path.name)
        taken[key] |= run_test(shipped[key], test, HELPERS, check).taken
    assert sorted(taken) == SHIPPED
    for key in SHIPPED:
        branches = read_process({f"{key}.bpmn": shipped[key].bpmn_xml}, f"{key}.bpmn").branches
        assert branches
        assert [b.flow_id for b in branches if (b.gateway_id, b.target_id) not in taken[key]] == [], key


def test_a_test_fails_at_the_step_where_a_broken_copy_goes_another_way(tmp_path: Path) -> None:
    def misspell(flow: Any) -> None:
        flow[-1].text = flow[-1].text.replace('"reject"', '"refuse"')

    bundle = _edited(tmp_path, "construction_permit", "Flow_Decision_Reject", misspell)
    path = PROCESSES / "tests" / "construction_permit.decision_refused.json"
    test = read_test(
        path.read_text(encoding="utf-8"), key=bundle.key, name="decision_refused", file=path.name
    )
    outcome = run_test(bundle, test, HELPERS, check)
    assert not outcome.passed
    assert outcome.step == len(test.steps) + 1
    assert "expected the end rejected; it ended approved" in outcome.message


def test_a_test_naming_a_task_the_process_does_not_open_fails_at_that_step(
    shipped: dict[str, ProcessBundle],
) -> None:
    text = json.dumps(
        {
            "steps": [
                {"task": "Task_Acceptance", "data": {"decision": "accept"}},
                {"task": "Task_Decision", "data": {"decision": "approve"}},
            ],
            "expect": {"status": "approved"},
        }
    )
    test = read_test(text, key="construction_permit", name="skips_review", file="x.json")
    outcome = run_test(shipped["construction_permit"], test, HELPERS, check)
    assert (outcome.passed, outcome.step, outcome.element_id) == (False, 2, "Task_Decision")
    assert "open tasks: Task_PlanningReview" in outcome.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[]", "JSON object"),
        ('{"steps": [], "expect": {}}', '"status" or "waiting"'),
        ('{"steps": [{"task": "A", "timer": "B"}], "expect": {"status": "closed"}}', "either"),
        ('{"stepz": [], "expect": {"status": "closed"}}', "unknown keys"),
        ("{", "not JSON"),
    ],
)
def test_a_malformed_test_file_says_what_is_wrong(text: str, words: str) -> None:
    from app.engine.simulation.process_tests import TestFileError

    with pytest.raises(TestFileError, match=words.replace("(", r"\(").replace('"', '"')):
        read_test(text, key="k", name="n", file="f.json")


def test_sample_data_fits_the_shipped_forms() -> None:
    forms = Path(PROCESSES).parent / "forms"
    for path in sorted(forms.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        from app.engine.simulation.sample_data import complete

        data = complete(schema, sample(schema), check)
        assert check(schema, data) == {}, path.name
    assert from_pattern("^1[3-9][0-9]{9}$") == "13" + "0" * 9
