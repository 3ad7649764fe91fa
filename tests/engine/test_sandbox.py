"""Process code runs in a sandbox: imports, file access and dunder walks are refused, at
validation where the code shows it and at run time where it does not."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.engine import Runtime, ScriptRefused, SpecSource, load_processes, set_clock
from app.engine.sandbox import SandboxEnvironment
from app.engine.validation.names import HELPERS, NameContext
from tests.engine.bpmn_factory import (
    condition_process,
    script_process,
    timer_process,
    timer_then_script_process,
    write,
)

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
    """`open` compiles (it is only a name): the names check refuses it at validation, and should a
    deployment's checks let it through (here: one claiming to provide `open`), the run refuses it."""
    refused = _load(tmp_path, kind, OPEN)
    assert not refused.bundles and any("'open'" in p.message for p in refused.problems), refused.problems
    path = write(tmp_path, f"evil_{kind}", BUILDERS[kind](f"evil_{kind}", OPEN))
    result = load_processes([path], [], {}, names=NameContext(helpers=HELPERS | {"open"}))
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


# -- limits a script can neither catch nor switch off ----------------------------------------------

# The red team's script: a bare `except:` used to swallow the budget (and rq's job timeout).
RED_TEAM = "try:\n    while True: pass\nexcept:\n    pass"
# Still allowed (`except Exception`), so only the budget can stop them. The first one used to
# swallow the budget's error and, with tracing switched off by it, loop for ever.
LOOP_IN_TRY = "n = 0\nwhile True:\n    try:\n        n = n + 1\n    except Exception:\n        pass"
TRY_AROUND_LOOP = "n = 0\ntry:\n    while True:\n        n = n + 1\nexcept Exception:\n    pass"
# No loop statement and no try: a generator that would run for minutes in one expression.
RUNAWAY_EXPRESSION = "sum(1 for i in range(999) for j in range(999) for k in range(999)) > 0"
BUDGET = 0.3
PLACEHOLDER = "placeholder_code = 1"


def _source(tmp_path: Path, key: str, xml: str, *, code: str | None = None) -> SpecSource:
    """Deploy ``xml``; with ``code``, put it where ``PLACEHOLDER`` was after validation, as a
    version deployed before the validator refused it would hold it."""
    result = load_processes([write(tmp_path, key, xml)], [], {})
    assert result.ok, result.problems
    bundle = result.bundles[key]
    spec_json = bundle.spec_json
    if code is not None:
        assert json.dumps(PLACEHOLDER) in spec_json
        spec_json = spec_json.replace(json.dumps(PLACEHOLDER), json.dumps(code))
    return SpecSource(bundle.hash + ("-old" if code else ""), spec_json, {})


def _ended(fn):  # type: ignore[no-untyped-def]
    """``fn()``; fails (instead of hanging the suite) when it never ends. How long it took is not
    asserted (a loaded machine would make that flaky): the error naming the budget or the size
    limit shows which guard stopped it, and a guard switched off never ends here."""
    outcome: list[object] = []
    runner = threading.Thread(target=lambda: outcome.append(fn()), daemon=True)
    runner.start()
    runner.join(timeout=BUDGET + 30)
    assert outcome, "the run did not end"
    return outcome[0]


@pytest.mark.parametrize(
    "script",
    [LOOP_IN_TRY, TRY_AROUND_LOOP, "n = 0\nwhile True:\n    n = n + 1"],
    ids=["try_in_loop", "try_around_loop", "plain"],
)
def test_a_looping_start_script_puts_the_case_in_error_within_its_budget(tmp_path: Path, script: str) -> None:
    source = _source(tmp_path, "loop_start", script_process("loop_start", script))
    step = _ended(lambda: Runtime({}, BUDGET).start(source, {}))
    assert step.error is not None and "budget" in step.error.message
    assert step.error.bpmn_id == "Script_Work" and step.error.task_name == "计算"
    assert not step.ready


def test_the_red_team_script_deployed_before_the_check_is_refused_when_run(tmp_path: Path) -> None:
    source = _source(tmp_path, "red_team", script_process("red_team", PLACEHOLDER), code=RED_TEAM)
    step = _ended(lambda: Runtime({}, BUDGET).start(source, {}))
    assert step.error is not None and "except:" in step.error.message
    assert step.error.bpmn_id == "Script_Work" and not step.ready


def test_a_runaway_condition_puts_the_case_in_error_within_its_budget(tmp_path: Path) -> None:
    source = _source(tmp_path, "loop_condition", condition_process("loop_condition", RUNAWAY_EXPRESSION))
    step = _ended(lambda: Runtime({}, BUDGET).start(source, {}))
    assert step.error is not None and "budget" in step.error.message
    assert step.error.bpmn_id == "Gateway_Check" and not step.ready


def test_a_runaway_timer_expression_puts_the_case_in_error_within_its_budget(tmp_path: Path) -> None:
    xml = timer_process("loop_timer", f'"PT1S" if {RUNAWAY_EXPRESSION} else "PT2S"')
    step = _ended(lambda: Runtime({}, BUDGET).start(_source(tmp_path, "loop_timer", xml), {}))
    assert step.error is not None and "budget" in step.error.message
    assert step.error.bpmn_id == "Timer_Wait"


@pytest.mark.parametrize(
    "script", [LOOP_IN_TRY, TRY_AROUND_LOOP, RED_TEAM], ids=["try", "try_around", "red_team"]
)
def test_a_looping_script_after_a_timer_puts_the_case_in_error(tmp_path: Path, script: str) -> None:
    xml = timer_then_script_process("loop_after_timer", '"PT1H"', PLACEHOLDER)
    source = _source(tmp_path, "loop_after_timer", xml, code=script)
    set_clock(clock.now)
    clock.freeze(datetime(2026, 11, 17, 2, 0, tzinfo=UTC))
    runtime = Runtime({}, BUDGET)
    waiting = runtime.start(source, {})
    assert waiting.error is None and [t.bpmn_id for t in waiting.timers] == ["Timer_Wait"]
    clock.advance(timedelta(hours=1, seconds=1))
    fired = _ended(lambda: runtime.fire_due_timers(source, waiting.state))
    assert fired.error is not None and fired.error.bpmn_id == "Script_Work" and not fired.ready


@pytest.mark.parametrize(
    ("script", "operation"),
    [
        ("x = 7**(10**7)", "**"),
        ("x = pow(7, 10**7)", "**"),
        ("x = 1 << 10**8", "<<"),
        ("x = 'a'*(2*10**9)", "*"),
        ("x = [0] * 10**9", "*"),
        ("x = 'a'.ljust(2*10**9)", "ljust"),
        ("x = '-'.join(['a' * 4000000] * 1000)", "join"),
        ("x = f'{1:>2000000000}'", "format"),
        ("x = '%2000000000d' % 1", "%"),
        ("s = 'a' * 4000000\ns = s + s", "+"),
        ("x = 'ab'\nx *= 10**9", "*"),
    ],
)
def test_one_huge_operation_is_refused_at_once_naming_it(script: str, operation: str) -> None:
    env = SandboxEnvironment({}, 5.0)
    wrapped = f"try:\n    {script.replace(chr(10), chr(10) + '    ')}\nexcept Exception:\n    x = 'caught'"
    for code in (script, wrapped):  # not an Exception: a script cannot catch it and carry on
        with pytest.raises(ScriptRefused) as refused:
            env.execute(code, {})
        assert refused.value.message.startswith(operation) or f"{operation}:" in refused.value.message
        assert "limited" in refused.value.message


def test_the_huge_power_and_string_put_the_case_in_error(tmp_path: Path) -> None:
    for n, script in enumerate(["x = 7**(10**7)", "x = 'a'*(2*10**9)"]):
        source = _source(tmp_path, f"huge_{n}", script_process(f"huge_{n}", script))
        step = _ended(lambda: Runtime({}, 2.0).start(source, {}))  # noqa: B023
        assert step.error is not None and step.error.bpmn_id == "Script_Work"
        assert "limited" in step.error.message


def test_what_a_run_builds_in_total_is_limited() -> None:
    env = SandboxEnvironment({}, 30.0)
    with pytest.raises(ScriptRefused, match="built more than"):
        env.execute("x = [[0] * 1000000 for i in range(999)]", {})


@pytest.mark.parametrize(
    ("script", "says"),
    [
        (RED_TEAM, "bare `except:`"),
        ("try:\n    x = 1\nexcept BaseException:\n    x = 2", "`except BaseException`"),
        ("try:\n    x = 1\nexcept (ValueError, BaseException) as e:\n    x = 2", "`except BaseException`"),
        ("def f():\n    try:\n        return 1\n    finally:\n        return 2\nx = f()", "`return` inside"),
    ],
    ids=["bare", "base_exception", "in_a_tuple", "return_in_finally"],
)
def test_handlers_that_could_catch_the_limits_are_refused_when_validating(
    tmp_path: Path, script: str, says: str
) -> None:
    path = write(tmp_path, "catch_all", script_process("catch_all", script))
    result = load_processes([path], [], {})
    assert not result.bundles and len(result.problems) == 1
    problem = result.problems[0]
    assert says in problem.message and "limits" in problem.message, problem.message
    assert problem.file.endswith("catch_all.bpmn") and problem.line > 0
    assert problem.element_id == "Script_Work"


# BaseException is no name in scripts, but a class's `mro()` still hands it over: the compile-time
# check cannot see such a handler, so the run itself must fail (every later time check raises
# again, and a limit the script caught fails the run once it ends).
CAUGHT_THROUGH_MRO = [
    "B = ArithmeticError.mro()[2]\nn = 0\ntry:\n    while True:\n        n = n + 1\nexcept B:\n    n = -1",
    "B = ArithmeticError.mro()[2]\nwhile True:\n    try:\n        while True:\n            pass\n"
    "    except B:\n        pass",
]


@pytest.mark.parametrize("script", CAUGHT_THROUGH_MRO, ids=["around_the_loop", "inside_a_loop"])
def test_a_limit_caught_through_another_road_still_fails_the_run(script: str) -> None:
    data: dict[str, object] = {}

    def run() -> object:
        try:
            SandboxEnvironment({}, BUDGET).execute(script, data)
        except ScriptRefused as err:
            return err.message
        return None

    assert _ended(run) == f"the script ran longer than its budget of {BUDGET:g} s"
    assert data == {}  # nothing of the failed run reaches the task data


def test_base_exception_is_not_even_a_name_in_scripts() -> None:
    env = SandboxEnvironment({}, 1.0)
    with pytest.raises(NameError):
        env.execute("B = BaseException", {})


def test_ordinary_loops_functions_and_formatting_still_work() -> None:
    env = SandboxEnvironment({}, 1.0)
    data: dict[str, object] = {"items": [3, 1, 2]}
    env.execute(
        "def total(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"
        "s = total(items)\nn = 0\nwhile n < 10:\n    n += 1\n"
        "label = f'{s:>4}|{n!r}|' + '%03d' % s + 'x' * 3 + '-'.join(['a', 'b']).upper()\n"
        "sq = sorted(map(lambda v: v ** 2, items))\nbig = 2 ** 64\n",
        data,
    )
    assert data["s"] == 6 and data["n"] == 10
    assert data["label"] == "   6|10|006xxxA-B"
    assert data["sq"] == [1, 4, 9] and data["big"] == 2**64


def test_a_failing_script_names_the_line_that_failed(tmp_path: Path) -> None:
    source = _source(tmp_path, "fails", script_process("fails", "x = 1\ny = x / 0\nz = 2"))
    step = Runtime({}, 1.0).start(source, {})
    assert step.error is not None and "ZeroDivisionError" in step.error.message
    assert (step.error.bpmn_id, step.error.line, step.error.source_line) == ("Script_Work", 2, "y = x / 0")
