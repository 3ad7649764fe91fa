"""The properties a process declares its semantics with (complaint, rating, certificate) reach the
version's metadata, and wrong ones are refused by the validator with the element and a hint."""

from __future__ import annotations

from pathlib import Path

from app.engine import load_processes
from app.engine.loader import check_file

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="case_kind" value="{kind}" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="Lane_Filer" name="{lane}"><bpmn:flowNodeRef>Task_Rate</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_Window" name="window">
        <bpmn:flowNodeRef>StartEvent</bpmn:flowNodeRef><bpmn:flowNodeRef>End_Done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Rate" name="评价">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="rating" value="score" />
        <spiffworkflow:property name="rating_satisfied" value="4, 5" />
        <spiffworkflow:property name="rating_not_satisfied" value="1,2" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Done">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="case_status" value="approved" />
        <spiffworkflow:property name="certificate" value="record" />
        <spiffworkflow:property name="certificate_title" value="备案证明" />
        <spiffworkflow:property name="certificate_valid_years" value="{years}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Task_Rate" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Rate" targetRef="End_Done" />
  </bpmn:process>
</bpmn:definitions>
"""


def _write(
    folder: Path, key: str = "rated", *, kind: str = "complaint", lane: str = "applicant", years: str = "2"
) -> Path:
    path = folder / f"{key}.bpmn"
    path.write_text(XML.format(key=key, kind=kind, lane=lane, years=years), encoding="utf-8")
    return path


def test_the_declarations_reach_the_metadata(tmp_path: Path) -> None:
    result = load_processes([_write(tmp_path)], [], {})
    assert result.ok, result.problems
    meta = result.bundles["rated"].meta
    assert meta["case_kind"] == "complaint"
    assert meta["rating"] == {
        "task": "Task_Rate",
        "field": "score",
        "satisfied": ["4", "5"],
        "not_satisfied": ["1", "2"],
    }
    assert meta["certificates"] == {
        "record": {
            "type": "record",
            "title": "备案证明",
            "title_en": "备案证明",
            "valid_until": None,
            "valid_years": 2,
            "issuer": None,
        }
    }


def test_an_unknown_case_kind_is_an_ordinary_application(tmp_path: Path) -> None:
    result = load_processes([_write(tmp_path, kind="petition")], [], {})
    assert result.bundles["rated"].meta["case_kind"] == "application"


def test_a_rating_task_outside_the_applicant_lane_is_refused(tmp_path: Path) -> None:
    [problem] = check_file(_write(tmp_path, lane="window"))
    assert problem.element_id == "Task_Rate" and problem.line > 0
    assert "rating" in problem.message and "applicant" in (problem.hint or "")


def test_validity_years_must_be_a_whole_number(tmp_path: Path) -> None:
    [problem] = check_file(_write(tmp_path, years="three"))
    assert problem.element_id == "End_Done" and "certificate_valid_years" in problem.message
