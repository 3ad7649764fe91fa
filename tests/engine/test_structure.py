"""Structural soundness: what deleting a flow or a task in the editor leaves behind is refused, at the
drawn element, with a line and a hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine import Problem, check_file
from tests.engine.bpmn_factory import write
from tests.engine.shipped_copy import by_id, delete, load_copy
from tests.engine.test_validation import simple

PERMIT = "construction_permit"


def _problems(tmp_path: Path, edit: Any, key: str = PERMIT) -> list[Problem]:
    result = load_copy(tmp_path, key, edit)
    assert key not in result.bundles, "a broken process was accepted"
    problems = [p for p in result.problems if p.file.endswith(f"{key}.bpmn")]
    for problem in problems:
        assert problem.line > 0 and problem.hint, str(problem)
    return problems


def _at(problems: list[Problem], element_id: str, *words: str) -> Problem:
    found = [p for p in problems if p.element_id == element_id]
    assert found, [str(p) for p in problems]
    for word in words:
        assert any(word in str(p) for p in found), [str(p) for p in found]
    return found[0]


def test_the_shipped_processes_are_sound(tmp_path: Path) -> None:
    result = load_copy(tmp_path)
    assert result.ok, [str(p) for p in result.problems]


def test_deleting_the_approve_flow_is_refused(tmp_path: Path) -> None:
    # 准予许可: the default flow of 是否准予许可 (into 是否会签); the issuing part can no longer be reached.
    problems = _problems(tmp_path, lambda root: delete(root, "Flow_Decision_Approve"))
    _at(problems, "Gateway_CoSignNeeded", "no incoming sequence flow", "connect a sequence flow")
    _at(problems, "Gateway_Held", "cannot be reached")


def test_deleting_the_review_passed_flow_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda root: delete(root, "Flow_Review_Approved"))
    _at(problems, "Task_Decision", "审批决定", "never runs")


def test_deleting_the_issue_flow_is_refused(tmp_path: Path) -> None:
    # 发证: the default flow of 是否容缺; only the conditional flow is left.
    problems = _problems(tmp_path, lambda root: delete(root, "Flow_Held_Issue"))
    _at(problems, "Gateway_Held", "single outgoing flow", "default flow")


def test_deleting_the_decision_task_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda root: delete(root, "Task_Decision"))
    # Its flow in came from 决定汇合 (after the review, or a refused co-signing round).
    _at(problems, "Gateway_Decision", "no incoming sequence flow")
    _at(problems, "Gateway_CoSignNeeded", "cannot be reached")


def test_a_user_task_with_no_incoming_flow_is_refused(tmp_path: Path) -> None:
    def cut(root: Any) -> None:
        # The flow into 补正材料 now starts elsewhere: the task is drawn but nothing leads to it.
        by_id(root, "Flow_Count_Correction").set("targetRef", "Gateway_AcceptanceMerge")

    problems = _problems(tmp_path, cut)
    _at(problems, "Task_Correction", "补正材料", "no incoming sequence flow")


def test_a_flow_whose_target_names_nothing_is_reported_at_the_flow(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path, lambda root: by_id(root, "Flow_Held_Issue").set("targetRef", "EndEvent_Gone")
    )
    problem = _at(problems, "Flow_Held_Issue", "targetRef='EndEvent_Gone' names nothing")
    assert "connect both ends" in (problem.hint or "")


def test_a_default_naming_no_flow_of_the_gateway_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, lambda root: by_id(root, "Gateway_Held").set("default", "Flow_Gone"))
    _at(problems, "Gateway_Held", "default flow 'Flow_Gone'")


def test_a_boundary_event_attached_to_nothing_is_refused(tmp_path: Path) -> None:
    def detach(root: Any) -> None:
        boundary = root.xpath("//*[local-name()='boundaryEvent']")[0]
        boundary.set("attachedToRef", "Task_Gone")

    result = load_copy(tmp_path, "parallel_review", detach)
    problems = [p for p in result.problems if "attached to 'Task_Gone'" in p.message]
    assert problems and problems[0].line > 0, [str(p) for p in result.problems]


def test_a_loop_with_no_way_out_is_refused(tmp_path: Path) -> None:
    def close_the_loop(root: Any) -> None:
        # 是否补齐 loses its way to the end: every path goes back to 补齐容缺材料.
        by_id(root, "Flow_Supplement_Issue").set("targetRef", "Script_StillMissing")

    problems = _problems(tmp_path, close_the_loop)
    _at(problems, "Task_Supplement", "no path from", "loop")


def test_a_reference_to_an_undefined_message_names_the_drawn_event(tmp_path: Path) -> None:
    wait = """    <bpmn:intermediateCatchEvent id="Wait_Reply" name="等待答复">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MessageDef_Reply" messageRef="Message_Gone" />
    </bpmn:intermediateCatchEvent>
"""
    path = write(tmp_path, "msg", simple("msg", wait, "Wait_Reply"))
    problem = next(p for p in check_file(path) if "Message_Gone" in p.message)
    assert problem.element_id == "Wait_Reply" and problem.line > 0 and "define" in (problem.hint or "")
