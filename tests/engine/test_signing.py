"""会签 / 或签: the validator accepts the signing pattern and refuses other multi-instance human
tasks naming the element; the tally ends a round by its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.signing import rule_share, tally
from tests.engine.test_validation import flow, only, problems_of, process

GOOD_LOOP = """<bpmn:multiInstanceLoopCharacteristics{attrs}>
        <bpmn:loopDataInputRef>signers</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>signatures</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="signer" name="signer" />
        <bpmn:outputDataItem id="signature" name="signature" />
        <bpmn:completionCondition>{condition}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>"""


def _round(
    rule: str | None = "all",
    *,
    attrs: str = "",
    condition: str = 'signing["complete"]',
    loop: str | None = None,
    variable: str = "signature",
) -> str:
    prop = f'<spiffworkflow:property name="sign_rule" value="{rule}" />' if rule is not None else ""
    body = f"""    <bpmn:scriptTask id="Script_Signers" scriptFormat="python">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_sign</bpmn:outgoing>
      <bpmn:script>signers = [{{"group": "construction"}}, {{"group": "bureau"}}]</bpmn:script>
    </bpmn:scriptTask>
{flow("f_sign", "Script_Signers", "Task_Sign")}    <bpmn:userTask id="Task_Sign" name="会签">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value='signer["group"]' />{prop}
      </spiffworkflow:properties><spiffworkflow:variableName>{variable}</spiffworkflow:variableName></bpmn:extensionElements>
      <bpmn:incoming>f_sign</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing>
      {loop if loop is not None else GOOD_LOOP.format(attrs=attrs, condition=condition)}
    </bpmn:userTask>
{flow("f_last", "Task_Sign", "End")}"""
    return process("signing", body, first="Script_Signers")


@pytest.mark.parametrize("rule", ["all", "any", "2/3", "0.6", "60%"])
def test_the_signing_pattern_is_accepted(tmp_path: Path, rule: str) -> None:
    assert problems_of(tmp_path, "signing", _round(rule)) == []


def test_a_multi_instance_user_task_without_a_rule_is_refused(tmp_path: Path) -> None:
    only(problems_of(tmp_path, "signing", _round(None)), "Task_Sign", "sign_rule")


def test_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    only(problems_of(tmp_path, "signing", _round("most")), "Task_Sign", "'most'", "2/3")


def test_a_sequential_round_is_refused(tmp_path: Path) -> None:
    xml = _round(attrs=' isSequential="true"')
    only(problems_of(tmp_path, "signing", xml), "Task_Sign", "sequential")


def test_a_hand_written_completion_condition_is_refused(tmp_path: Path) -> None:
    xml = _round(condition="len(signatures) &gt;= 1")
    assert [
        p.element_id for p in problems_of(tmp_path, "signing", xml) if "completion condition" in str(p)
    ] == ["Task_Sign"]


def test_a_round_by_cardinality_is_refused(tmp_path: Path) -> None:
    loop = """<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>
      <bpmn:completionCondition>signing["complete"]</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>"""
    problems = [p for p in problems_of(tmp_path, "signing", _round(loop=loop)) if p.element_id == "Task_Sign"]
    assert any("input collection" in str(p) for p in problems), [str(p) for p in problems]


def test_the_signature_must_be_kept_under_the_output_item(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "signing", _round(variable="other"))
    assert any(p.element_id == "Task_Sign" and "output item" in str(p) for p in problems), [
        str(p) for p in problems
    ]


def test_a_sign_rule_on_a_single_task_is_refused(tmp_path: Path) -> None:
    body = """    <bpmn:userTask id="Task_One" name="决定">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value='"construction"' />
        <spiffworkflow:property name="sign_rule" value="all" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_last</bpmn:outgoing>
    </bpmn:userTask>
""" + flow("f_last", "Task_One", "End")
    only(
        problems_of(tmp_path, "single", process("single", body, first="Task_One")),
        "Task_One",
        "not multi-instance",
    )


@pytest.mark.parametrize(
    ("rule", "total", "approved", "refused", "outcome"),
    [
        ("all", 3, 2, 0, None),  # all-sign waits for every signer
        ("all", 3, 3, 0, "approved"),
        ("all", 3, 1, 1, "rejected"),  # 一票否决: one refusal ends the round
        ("any", 3, 1, 0, "approved"),
        ("any", 3, 0, 1, "rejected"),  # the first signature decides, whatever it says
        ("2/3", 3, 1, 0, None),
        ("2/3", 3, 2, 0, "approved"),
        ("2/3", 3, 1, 2, "rejected"),
        ("60%", 5, 2, 2, None),  # 3 of 5 needed: the last signer can still make it
        ("60%", 5, 1, 3, "rejected"),  # 3 of 5 needed, only 1 left to sign
        ("0.6", 5, 3, 1, "approved"),
    ],
)
def test_the_tally_ends_a_round_by_its_rule(
    rule: str, total: int, approved: int, refused: int, outcome: str | None
) -> None:
    state = tally(rule, total, approved, refused)
    assert (state["outcome"], state["complete"]) == (outcome, outcome is not None)


@pytest.mark.parametrize("bad", ["", "most", "0", "3/2", "1/0", "150%"])
def test_no_rule_outside_all_any_and_shares(bad: str) -> None:
    with pytest.raises(ValueError):
        rule_share(bad)
