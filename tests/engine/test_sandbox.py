"""Process code runs in a sandbox: imports, file access and dunder walks are refused, at
validation where the code shows it and at run time where it does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.engine import Runtime, ScriptRefused, SpecSource, load_processes, set_clock
from app.engine.sandbox import SandboxEnvironment
from tests.engine.bpmn_factory import condition_process, script_process, timer_process, write

IMPORT = "__import__('os').system('touch /tmp/pwned')"
OPEN = "open('/etc/passwd').read()"
WALK = "().__class__.__bases__[0].__subclasses__()"

# As a statement in a script, an expression elsewhere.
BUILDERS = {
    "script": lambda key, code: script_process(key, f"x = {code}"),
    "condition": lambda key, code: condition_process(key, f"bool({code})"),
    "timer": lambda key, code: timer_process(key, f'"PT1S" if {code} else "PT2S"'),
}


def _load(tmp_path: Path, kind: str, code: str):  # type: ignore[no-untyped-def]
    key = f"evil_{kind}"
    path = write(tmp_path, key, BUILDERS[kind](key, code))
    return load_processes([path], [], {})


@pytest.mark.parametrize("kind", list(BUILDERS))
@pytest.mark.parametrize("attack", [IMPORT, WALK], ids=["import", "dunder_walk"])
def test_refused_when_validating(tmp_path: Path, kind: str, attack: str) -> None:
    result = _load(tmp_path, kind, attack)
    assert not result.bundles
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert "sandbox" in problem.message and 'starts with "_"' in problem.message
    assert problem.line > 0 and problem.element_id != "-"


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_file_access_refused_when_running(tmp_path: Path, kind: str) -> None:
    """`open` compiles (it is only a name), so the run itself must refuse it."""
    result = _load(tmp_path, kind, OPEN)
    assert result.ok, result.problems
    bundle = next(iter(result.bundles.values()))
    runtime = Runtime({}, 1.0)
    step = runtime.start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.error is not None
    assert "open" in step.error.message
    assert not step.ready  # the case stops; nothing after the refused code runs


@pytest.mark.parametrize("attack", [IMPORT, OPEN, WALK, "getattr(1, '__class__')", "type(1).mro()"])
@pytest.mark.parametrize("mode", ["evaluate", "execute"])
def test_sandbox_environment_refuses(attack: str, mode: str) -> None:
    env = SandboxEnvironment({}, 1.0)
    with pytest.raises((ScriptRefused, NameError)):
        if mode == "evaluate":
            env.evaluate(attack, {})
        else:
            env.execute(f"x = {attack}", {})


def test_scripts_can_do_ordinary_work() -> None:
    env = SandboxEnvironment({"double": lambda n: 2 * n}, 1.0)
    data = {
        "reviews": {"fire": {"decision": "reject", "comment": "通道"}, "planning": {"decision": "approve"}}
    }
    env.execute(
        "outcome = 'rejected' if any(r['decision'] == 'reject' for r in reviews.values()) else 'ok'\n"
        "reasons = [{'agency': k, 'comment': v.get('comment', '')} for k, v in reviews.items()"
        " if v['decision'] == 'reject']\n"
        "n = 1\nn += double(2)\nitems = sorted(reviews)\n",
        data,
    )
    assert data["outcome"] == "rejected"
    assert data["reasons"] == [{"agency": "fire", "comment": "通道"}]
    assert data["n"] == 5 and data["items"] == ["fire", "planning"]
    assert "double" not in data  # helpers never leak into case data


def test_runaway_script_is_stopped_by_its_time_budget() -> None:
    env = SandboxEnvironment({}, 0.2)
    with pytest.raises(ScriptRefused, match="budget"):
        env.execute("while True: pass", {})


def test_helper_names_cannot_be_shadowed_by_data() -> None:
    env = SandboxEnvironment({"now": lambda: "t"}, 1.0)
    with pytest.raises(ScriptRefused, match="now"):
        env.execute("x = 1", {"now": "data"})


def test_engine_timers_follow_the_platform_clock(tmp_path: Path) -> None:
    path = write(tmp_path, "wait_a_day", timer_process("wait_a_day", '"P1D"'))
    result = load_processes([path], [], {})
    bundle = result.bundles["wait_a_day"]
    source = SpecSource(bundle.hash, bundle.spec_json, {})
    set_clock(clock.now)
    start = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
    clock.freeze(start)
    runtime = Runtime({}, 1.0)
    step = runtime.start(source, {})
    assert not step.ready and [t.due_at for t in step.timers] == [start + timedelta(days=1)]
    clock.advance(timedelta(hours=23))
    assert not runtime.fire_due_timers(source, step.state).ready
    clock.advance(timedelta(hours=1, seconds=1))
    fired = runtime.fire_due_timers(source, step.state)
    assert [t.bpmn_id for t in fired.ready] == ["Task_Review"] and not fired.timers


def test_due_of_gives_the_due_time_of_a_tasks_own_limit(tmp_path: Path) -> None:
    from app.services.calendar import WorkCalendar
    from tests.engine.bpmn_factory import boundary_timer_process

    xml = (
        boundary_timer_process("due_of_review", 'due_of("Task_Review")')
        .replace("<bpmn:timeDuration", "<bpmn:timeDate")
        .replace("</bpmn:timeDuration>", "</bpmn:timeDate>")
    )
    path = write(tmp_path, "due_of_review", xml)
    result = load_processes([path], [], {})
    assert result.ok, result.problems
    bundle = result.bundles["due_of_review"]
    calendar = WorkCalendar()
    set_clock(clock.now)
    clock.freeze(datetime(2026, 11, 17, 1, 0, tzinfo=UTC))  # Tuesday 09:00 in Shanghai
    runtime = Runtime({"due_in": lambda limit: calendar.due(clock.now(), limit)[0].isoformat()}, 1.0)
    step = runtime.start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.error is None
    # Task_Review has time_limit 1wd: due at the close of Wednesday, 17:30 Shanghai = 09:30 UTC.
    assert [t.due_at for t in step.timers] == [datetime(2026, 11, 18, 9, 30, tzinfo=UTC)]
