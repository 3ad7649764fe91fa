"""The differences of an edited diagram from another version: elements added, removed and changed,
what changed in each, and layout never a change."""

from __future__ import annotations

from pathlib import Path

from app.engine.diagram_diff import diff_diagrams

SHIPPED = Path(__file__).resolve().parents[2] / "processes"
REVIEW = (SHIPPED / "parallel_review.bpmn").read_text(encoding="utf-8")


def _with_planning_limit(xml: str, limit: str) -> str:
    head, task = xml.split('<bpmn:userTask id="Task_PlanningReview"', 1)
    task = task.replace('name="time_limit" value="5wd"', f'name="time_limit" value="{limit}"', 1)
    return head + '<bpmn:userTask id="Task_PlanningReview"' + task


def test_the_same_diagram_has_no_difference() -> None:
    assert diff_diagrams(REVIEW, REVIEW).empty


def test_a_changed_time_limit_is_the_task_property_that_changed() -> None:
    diff = diff_diagrams(REVIEW, _with_planning_limit(REVIEW, "3wd"))
    assert (diff.added, diff.removed) == ([], [])
    [task] = diff.changed
    assert (task.element_id, task.kind, task.name) == ("Task_PlanningReview", "userTask", "规划审查")
    assert [(c.facet, c.before, c.after) for c in task.changes] == [("property time_limit", "5wd", "3wd")]
    assert diff.summary() == {
        "added": [],
        "removed": [],
        "changed": {"Task_PlanningReview": ["property time_limit"]},
    }
    assert diff.in_words() == "added 0, removed 0, changed 1: Task_PlanningReview (property time_limit)"


def test_layout_alone_is_no_change() -> None:
    moved = REVIEW.replace('<dc:Bounds x="', '<dc:Bounds x="1', 3)
    assert moved != REVIEW
    assert diff_diagrams(REVIEW, moved).empty


def test_added_removed_and_renamed_elements() -> None:
    flow = '<bpmn:sequenceFlow id="Flow_Extra" sourceRef="Task_PlanningReview" targetRef="StartEvent_1" />'
    task = '<bpmn:userTask id="Task_PlanningReview" name="规划审查">'
    assert task in REVIEW
    edited = REVIEW.replace(task, task.replace("规划审查", "规划复审")).replace(
        "</bpmn:process>", flow + "</bpmn:process>", 1
    )
    diff = diff_diagrams(REVIEW, edited)
    assert "Flow_Extra" in [e.element_id for e in diff.added]
    renamed = {e.element_id: e for e in diff.changed}["Task_PlanningReview"]
    assert ("name", "规划审查", "规划复审") in [(c.facet, c.before, c.after) for c in renamed.changes]
    back = diff_diagrams(edited, REVIEW)
    assert "Flow_Extra" in [e.element_id for e in back.removed]


def test_a_changed_condition_names_the_flow() -> None:
    start = REVIEW.index("<bpmn:conditionExpression")
    end = REVIEW.index("</bpmn:conditionExpression>", start)
    body = REVIEW[REVIEW.index(">", start) + 1 : end]
    edited = REVIEW[:start] + REVIEW[start:end].replace(body, body + " and True") + REVIEW[end:]
    [flow] = diff_diagrams(REVIEW, edited).changed
    assert flow.kind == "sequenceFlow"
    [change] = flow.changes
    assert change.facet == "conditionExpression" and change.after.endswith("and True")


def test_a_default_attribute_left_out_is_no_change() -> None:
    """bpmn-js leaves out attributes at their BPMN default (cancelActivity="true") when it saves."""
    assert 'cancelActivity="true" ' in REVIEW
    assert diff_diagrams(REVIEW, REVIEW.replace('cancelActivity="true" ', "")).empty
    assert not diff_diagrams(
        REVIEW, REVIEW.replace('cancelActivity="true" ', 'cancelActivity="false" ', 1)
    ).empty
