"""Moving a running workflow to a new version of its process (engine level, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import clock
from app.engine import Runtime, SpecSource, load_processes, set_clock
from app.engine.migration import MigrationRefused, migrate_state, plan_migration
from tests.engine.bpmn_factory import HEAD, TAIL, boundary_timer_process, write


def _user_task(task_id: str, name: str, incoming: str, outgoing: str) -> str:
    return f"""    <bpmn:userTask id="{task_id}" name="{name}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>
    </bpmn:userTask>
"""


def _chain(key: str, *tasks: tuple[str, str]) -> str:
    """Start → the user tasks in order → End."""
    body = '    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
    previous = "StartEvent"
    for n, (task_id, name) in enumerate(tasks):
        body += _user_task(task_id, name, f"f{n}", f"f{n + 1}")
        body += f'    <bpmn:sequenceFlow id="f{n}" sourceRef="{previous}" targetRef="{task_id}" />\n'
        previous = task_id
    last = len(tasks)
    body += f'    <bpmn:endEvent id="End"><bpmn:incoming>f{last}</bpmn:incoming></bpmn:endEvent>\n'
    body += f'    <bpmn:sequenceFlow id="f{last}" sourceRef="{previous}" targetRef="End" />\n'
    return HEAD.format(key=key) + body + TAIL


def _source(folder: Path, key: str, xml: str) -> SpecSource:
    folder.mkdir(parents=True, exist_ok=True)
    result = load_processes([write(folder, key, xml)], [], {})
    assert result.ok, result.problems
    bundle = result.bundles[key]
    return SpecSource(bundle.hash, bundle.spec_json, {})


V1 = [("Task_Check", "检查"), ("Task_Sign", "签发")]


def test_renaming_and_adding_tasks_after_the_current_one_migrates(tmp_path: Path) -> None:
    old = _source(tmp_path / "v1", "permit", _chain("permit", *V1))
    new = _source(
        tmp_path / "v2",
        "permit",
        _chain("permit", ("Task_Check", "检查"), ("Task_Sign", "签发决定"), ("Task_Archive", "归档")),
    )
    runtime = Runtime({}, 1.0)
    step = runtime.start(old, {"applicant": "甲"})
    [check] = step.ready

    plan = plan_migration(old, new, step.state)
    assert plan.possible and plan.reason is None
    assert plan.current == ["Task_Check"]
    assert "Task_Sign" in plan.changed and plan.added == ["Task_Archive"] and plan.removed == []

    moved = migrate_state(old, new, step.state, runtime)
    # The task the case is at keeps its id (its inbox row and SLA stay) and its data.
    assert [t.id for t in moved.ready] == [check.id] and moved.data["applicant"] == "甲"
    after_check = runtime.complete(new, moved.state, check.id, {})
    assert [t.name for t in after_check.ready] == ["签发决定"]
    after_sign = runtime.complete(new, after_check.state, after_check.ready[0].id, {})
    assert [t.bpmn_id for t in after_sign.ready] == ["Task_Archive"]
    done = runtime.complete(new, after_sign.state, after_sign.ready[0].id, {})
    assert done.finished and done.error is None


def test_removing_the_task_the_case_waits_at_is_refused(tmp_path: Path) -> None:
    old = _source(tmp_path / "v1", "permit", _chain("permit", *V1))
    new = _source(tmp_path / "v2", "permit", _chain("permit", ("Task_Sign", "签发")))
    runtime = Runtime({}, 1.0)
    step = runtime.start(old, {})

    plan = plan_migration(old, new, step.state)
    assert not plan.possible and plan.removed == ["Task_Check"]
    assert plan.reason and "Task_Check" in plan.reason and "no longer has" in plan.reason
    with pytest.raises(MigrationRefused, match="Task_Check"):
        runtime.migrate(old, new, step.state)

    # Once the case is past it, the removal no longer blocks… unless the case has passed it:
    # its completed task would name a spec the new version lacks.
    later = runtime.complete(old, step.state, step.ready[0].id, {})
    late_plan = plan_migration(old, new, later.state)
    assert not late_plan.possible and "has passed" in (late_plan.reason or "")


def test_changing_the_kind_of_the_current_task_is_refused(tmp_path: Path) -> None:
    old = _source(tmp_path / "v1", "permit", _chain("permit", *V1))
    manual = _chain("permit", *V1).replace("bpmn:userTask", "bpmn:manualTask")
    new = _source(tmp_path / "v2", "permit", manual)
    step = Runtime({}, 1.0).start(old, {})
    plan = plan_migration(old, new, step.state)
    assert not plan.possible and "UserTask" in (plan.reason or "")


def test_a_waiting_boundary_timer_keeps_its_due_time(tmp_path: Path) -> None:
    old = _source(tmp_path / "v1", "review", boundary_timer_process("review", '"PT2H"'))
    # v2 renames the review and lengthens the timer: running cases keep the due time they have.
    new_xml = boundary_timer_process("review", '"PT5H"').replace('name="审查"', 'name="材料审查"')
    new = _source(tmp_path / "v2", "review", new_xml)
    set_clock(clock.now)
    start = datetime(2026, 11, 17, 1, 0, tzinfo=UTC)
    clock.freeze(start)
    runtime = Runtime({}, 1.0)
    step = runtime.start(old, {})
    assert [t.due_at for t in step.timers] == [start + timedelta(hours=2)]

    clock.advance(timedelta(hours=1))
    moved = runtime.migrate(old, new, step.state)
    assert [t.name for t in moved.ready] == ["材料审查"]
    assert [t.id for t in moved.ready] == [t.id for t in step.ready]
    assert [(t.task_id, t.due_at) for t in moved.timers] == [
        (step.timers[0].task_id, start + timedelta(hours=2))
    ]

    clock.advance(timedelta(hours=1, seconds=1))
    fired = runtime.fire_due_timers(new, moved.state)
    assert not fired.timers and [t.name for t in fired.ready] == ["材料审查"]  # non-interrupting
