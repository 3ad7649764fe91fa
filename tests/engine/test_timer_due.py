"""A BPMN timer goes off at its due time itself, as the platform's timer rows do (`due_at <= now`):
SpiffWorkflow alone fires only once the due time has passed (engine level, no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.engine import Runtime, SpecSource, load_processes, set_clock
from tests.engine.bpmn_factory import boundary_timer_process, timer_process, write

START = datetime(2026, 11, 17, 1, 0, tzinfo=UTC)
DUE = START + timedelta(hours=2)
JUST_BEFORE = DUE - timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def _engine_clock() -> Iterator[None]:
    set_clock(clock.now)
    yield
    clock.unfreeze()


def _source(folder: Path, key: str, xml: str) -> SpecSource:
    result = load_processes([write(folder, key, xml)], [], {})
    assert result.ok, result.problems
    bundle = result.bundles[key]
    return SpecSource(bundle.hash, bundle.spec_json, {})


def _waiting(tmp_path: Path, xml: str) -> tuple[Runtime, SpecSource, str]:
    source = _source(tmp_path, "timed", xml)
    runtime = Runtime({}, 1.0)
    clock.freeze(START)
    step = runtime.start(source, {})
    assert [t.due_at for t in step.timers] == [DUE]
    return runtime, source, step.state


@pytest.mark.parametrize(
    ("kind", "expression"),
    [("timeDuration", '"PT2H"'), ("timeDate", f'"{DUE.isoformat()}"')],
)
def test_a_timer_goes_off_at_its_due_time_and_not_a_microsecond_before(
    tmp_path: Path, kind: str, expression: str
) -> None:
    xml = timer_process("timed", expression).replace("timeDuration", kind)
    runtime, source, state = _waiting(tmp_path, xml)
    clock.freeze(JUST_BEFORE)
    early = runtime.fire_due_timers(source, state)
    assert [t.due_at for t in early.timers] == [DUE] and early.ready == []
    clock.freeze(DUE)
    on_time = runtime.fire_due_timers(source, early.state)
    assert on_time.timers == [] and [t.bpmn_id for t in on_time.ready] == ["Task_Review"]


def test_a_cycle_timer_moves_on_at_its_due_time(tmp_path: Path) -> None:
    xml = boundary_timer_process("timed", '"R3/PT2H"').replace("timeDuration", "timeCycle")
    runtime, source, state = _waiting(tmp_path, xml)
    clock.freeze(JUST_BEFORE)
    early = runtime.fire_due_timers(source, state)
    assert [t.due_at for t in early.timers] == [DUE]
    clock.freeze(DUE)
    on_time = runtime.fire_due_timers(source, early.state)
    assert [t.due_at for t in on_time.timers] == [DUE + timedelta(hours=2)]
    assert [t.bpmn_id for t in on_time.ready] == ["Task_Review"]  # non-interrupting
