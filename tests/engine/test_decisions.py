"""Business rule tasks with DMN decision tables: checked when loading (each problem names the table
and the business rule task), bundled and hashed with the process, run by SpiffWorkflow's DMN engine
in the script sandbox, and simulated."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from app.engine import SpecSource, load_processes
from app.engine.loader import check_file, load_for_run
from app.engine.runtime import Runtime
from app.engine.simulation import simulate
from app.engine.simulation.reading import read_process
from tests.engine.bpmn_factory import write
from tests.engine.test_simulation import HELPERS, check

ROOT = Path(__file__).resolve().parents[2] / "processes"

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f_start" sourceRef="StartEvent" targetRef="Script_Data" />
    <bpmn:scriptTask id="Script_Data">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_data</bpmn:outgoing>
      <bpmn:script>area = 50
kind = "shop"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_data" sourceRef="Script_Data" targetRef="Rule_Pick" />
    <bpmn:businessRuleTask id="Rule_Pick" name="选择部门">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f_data</bpmn:incoming><bpmn:outgoing>f_rule</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f_rule" sourceRef="Rule_Pick" targetRef="Gateway_Big" />
    <bpmn:exclusiveGateway id="Gateway_Big" default="f_small"><bpmn:incoming>f_rule</bpmn:incoming>
      <bpmn:outgoing>f_big</bpmn:outgoing><bpmn:outgoing>f_small</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_big" sourceRef="Gateway_Big" targetRef="End_Big">
      <bpmn:conditionExpression>"fire" in {reads}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="Gateway_Big" targetRef="End_Small" />
    <bpmn:endEvent id="End_Big"><bpmn:incoming>f_big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End_Small"><bpmn:incoming>f_small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="t" namespace="http://t">
  <decision id="Decision_Pick" name="部门">
    <decisionTable id="Table_Pick" hitPolicy="{policy}">
      <input id="In_Area" label="面积">
        <inputExpression id="e1" typeRef="number"><text>{input}</text></inputExpression></input>
      <input id="In_Kind" label="类型">
        <inputExpression id="e2" typeRef="string"><text>kind</text></inputExpression></input>
      <output id="Out" label="部门" name="{output}" typeRef="{type}" />
{rules}    </decisionTable>
  </decision>
</definitions>
"""


def rule(n: int, area: str, kind: str, out: str) -> str:
    return (
        f'      <rule id="R{n}"><inputEntry id="R{n}a"><text>{area}</text></inputEntry>'
        f'<inputEntry id="R{n}k"><text>{kind}</text></inputEntry>'
        f'<outputEntry id="R{n}o"><text>{out}</text></outputEntry></rule>\n'
    )


RULES = (
    rule(1, "-", "-", '"planning"')
    + rule(2, "&gt;= 40", "-", '"fire"')
    + rule(3, "-", '? in ("shop", "hall")', '"environment"')
)


def files(
    tmp_path: Path,
    *,
    policy: str = "COLLECT",
    rules: str = RULES,
    input_: str = "area",
    output: str = "agencies",
    type_: str = "string",
    decision: str = "Decision_Pick",
    reads: str = "agencies",
) -> Path:
    (tmp_path / "pick.dmn").write_text(
        DMN.format(policy=policy, rules=rules, input=input_, output=output, type=type_), encoding="utf-8"
    )
    return write(tmp_path, "picks", BPMN.format(key="picks", decision=decision, reads=reads))


def only_problem(path: Path, *words: str) -> str:
    problems = check_file(path)
    assert len(problems) == 1, [str(p) for p in problems]
    text = str(problems[0])
    assert problems[0].element_id == "Rule_Pick" and problems[0].file == str(path), text
    for word in ("decision table '部门'", "business rule task '选择部门'", *words):
        assert word in text, text
    return text


def test_a_business_rule_task_with_its_table_is_accepted_and_bundled(tmp_path: Path) -> None:
    path = files(tmp_path)
    result = load_for_run([path])
    assert result.problems == []
    bundle = result.bundles["picks"]
    assert bundle.files["dmn/pick.dmn"] == (tmp_path / "pick.dmn").read_text(encoding="utf-8")
    # The table is part of the version: another threshold, another hash.
    files(tmp_path, rules=RULES.replace("&gt;= 40", "&gt;= 60"))
    assert load_for_run([path]).bundles["picks"].hash != bundle.hash


def test_collect_runs_every_matching_rule_in_the_sandbox(tmp_path: Path) -> None:
    bundle = load_for_run([files(tmp_path)]).bundles["picks"]
    step = Runtime({}, 1.0).start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.finished and step.error is None
    assert step.data["agencies"] == ["planning", "fire", "environment"]


def test_first_takes_the_first_matching_rule(tmp_path: Path) -> None:
    bundle = load_for_run([files(tmp_path, policy="FIRST", output="agency", reads="[agency]")]).bundles[
        "picks"
    ]
    step = Runtime({}, 1.0).start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.data["agency"] == "planning"


def test_unique_refuses_two_matching_rules_at_run_time(tmp_path: Path) -> None:
    bundle = load_for_run([files(tmp_path, policy="UNIQUE", output="agency", reads="[agency]")]).bundles[
        "picks"
    ]
    step = Runtime({}, 1.0).start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.error is not None
    assert "UNIQUE" in step.error.message and "1, 2, 3" in step.error.message


def test_one_matching_rule_under_unique_runs(tmp_path: Path) -> None:
    rules = rule(1, "&lt; 40", "-", '"planning"') + rule(2, "&gt;= 40", "-", '"fire"')
    bundle = load_for_run(
        [files(tmp_path, policy="UNIQUE", rules=rules, output="agency", reads="[agency]")]
    ).bundles["picks"]
    step = Runtime({}, 1.0).start(SpecSource(bundle.hash, bundle.spec_json, {}), {})
    assert step.error is None and step.data["agency"] == "fire"


@pytest.mark.parametrize("policy", ["RULE ORDER", "ANY", "PRIORITY", "OUTPUT ORDER"])
def test_hit_policies_the_engine_runs_otherwise_are_refused(tmp_path: Path, policy: str) -> None:
    only_problem(files(tmp_path, policy=policy), f"hit policy {policy} is not supported", "FIRST")


def test_collect_with_an_aggregation_is_refused(tmp_path: Path) -> None:
    path = files(tmp_path)
    dmn = tmp_path / "pick.dmn"
    dmn.write_text(
        dmn.read_text(encoding="utf-8").replace(
            'hitPolicy="COLLECT"', 'hitPolicy="COLLECT" aggregation="SUM"'
        )
    )
    only_problem(path, "aggregation SUM")


def test_an_output_needs_a_type(tmp_path: Path) -> None:
    only_problem(files(tmp_path, type_=""), "output '部门' has no supported type")


def test_an_output_value_must_fit_its_type(tmp_path: Path) -> None:
    rules = rule(1, "-", "-", '"planning"') + rule(2, "-", "-", "3")
    only_problem(files(tmp_path, type_="number", rules=rules), "rule 1, output '部门'", "is not a number")


def test_an_input_entry_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    rules = RULES.replace("&gt;= 40", "[1..5]")
    only_problem(files(tmp_path, rules=rules), "rule 2, input '面积'", "[1..5]")


def test_a_feel_list_is_refused_with_its_python_form(tmp_path: Path) -> None:
    rules = RULES.replace('? in ("shop", "hall")', '"shop","hall"')
    only_problem(files(tmp_path, rules=rules), "rule 3, input '类型'", 'write ? in ("shop","hall")')


def test_an_input_reading_an_unknown_name_is_refused_by_the_names_check(tmp_path: Path) -> None:
    text = only_problem(files(tmp_path, input_="areaa"), "input '面积'", "reads 'areaa'")
    assert "did you mean area?" in text


def test_what_the_table_sets_is_known_after_it(tmp_path: Path) -> None:
    problems = check_file(files(tmp_path, reads="agencie"))
    assert [p.element_id for p in problems] == ["f_big"]
    assert "reads 'agencie'" in str(problems[0]) and "did you mean agencies?" in str(problems[0])


def test_an_unknown_decision_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    problems = check_file(files(tmp_path, decision="Decision_Nope"))
    assert len(problems) == 1
    assert "calls decision 'Decision_Nope'" in str(problems[0]) and "Decision_Pick" in str(problems[0])


def test_a_file_with_two_decisions_is_refused_on_its_own(tmp_path: Path) -> None:
    path = files(tmp_path)
    dmn = tmp_path / "pick.dmn"
    text = dmn.read_text(encoding="utf-8")
    start, end = text.index("  <decision "), text.index("</definitions>")
    other = text[start:end].replace('id="', 'id="Other_')
    dmn.write_text(text[:end] + other + "</definitions>\n", encoding="utf-8")
    problems = load_for_run([path]).problems
    assert any(p.file == str(dmn) and "2 decisions" in p.message for p in problems), [
        str(p) for p in problems
    ]
    assert any(p.element_id == "Rule_Pick" and "Decision_Pick" in p.message for p in problems)


def _shipped(tmp_path: Path) -> Any:
    for name in ("parallel_review.bpmn", "review_agencies.dmn"):
        shutil.copy(ROOT / name, tmp_path)
    return load_processes([tmp_path / "parallel_review.bpmn"], [ROOT.parent / "forms"], {})


def test_the_parallel_review_chooses_its_agencies_with_the_shipped_table(tmp_path: Path) -> None:
    result = _shipped(tmp_path)
    assert result.problems == [], [str(p) for p in result.problems]
    bundle = result.bundles["parallel_review"]
    assert "dmn/review_agencies.dmn" in bundle.files
    runtime = Runtime(HELPERS, 2.0)
    source = SpecSource(bundle.hash, bundle.spec_json, {})
    cases = [
        ({"floor_area": 500}, ["planning"]),
        ({"floor_area": 1000}, ["planning", "fire"]),
        ({"floor_area": 999, "building_height": 24}, ["planning", "fire"]),
        ({"floor_area": 800, "project_type": "commercial"}, ["planning", "fire", "environment"]),
        ({"floor_area": 800, "project_type": "industrial"}, ["planning", "environment"]),
        ({"floor_area": 20000}, ["planning", "fire", "environment"]),
        ({"floor_area": 500, "underground_area": 1}, ["planning", "civil_defence"]),
    ]
    for data, agencies in cases:
        step = runtime.start(source, data)
        assert step.error is None, (data, step.error)
        assert step.data["agencies"] == agencies and step.data["pending"] == agencies, data
        assert step.data["review_round"] == 1 and step.data["deemed_consent"]["fire"] is True


def test_simulation_tries_the_tables_thresholds_and_takes_every_branch(tmp_path: Path) -> None:
    bundle = _shipped(tmp_path).bundles["parallel_review"]
    tested = read_process({k: v for k, v in bundle.files.items() if k.startswith("dmn/")}, "-").tested
    assert {1000, 20000} <= tested.values_for("floor_area") and 24 in tested.values_for("building_height")
    assert {"commercial", "industrial", "public"} <= tested.values_for("project_type")
    # Every path and branch of the shipped processes: tests/engine/test_simulation.py.
    report = simulate(bundle, HELPERS, check)
    assert report.failures == [] and report.uncovered == []
