"""A deploy that changes only a decision table is a change: the editor's diff names the table and
the rule that changed (its entry before and after, by the column's label), in the page's language,
and the audit event of the deploy keeps it in its summary. An unchanged table is not listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine.table_diff import diff_tables
from tests.api.test_processes_edit import folder  # noqa: F401 - the processes folder fixture
from tests.web.test_deploy_diff import _editor, _events, with_planning_limit

TABLE = "review_agencies.dmn"
FIRE_RULE = "<text>&gt;= 1000</text>"


def _lowered(xml: str) -> str:
    assert xml.count(FIRE_RULE) == 1
    # A threshold no other test deploys: the same table deployed before would be that version again.
    return xml.replace(FIRE_RULE, "<text>&gt;= 700</text>")


def test_a_table_only_change_is_listed_in_the_diff_and_kept_by_the_audit(
    pages: Any,
    db: Any,
    folder: Path,  # noqa: F811
) -> None:
    analyst, editor, headers = _editor(pages, "zh_CN")
    table = _lowered(editor["decisions"][TABLE])
    body = {"bpmn": editor["xml"], "dmn": {TABLE: table}}
    answer = analyst.client.post(editor["diffUrl"], json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    diff = answer.get_json()
    assert diff["empty"] is False
    assert (diff["added"], diff["removed"], diff["changed"]) == ([], [], [])
    [changed] = diff["tables"]
    assert changed["file"] == TABLE and changed["name"] == "确定审查部门"
    assert "1 个决策表有修改" in diff["summary"]
    assert (changed["added"], changed["removed"], changed["table"]) == ([], [], [])
    [rule] = changed["changed"]
    assert rule["rule_id"] == "Rule_2" and rule["name"] == "规则 2"
    assert rule["changes"] == [{"facet": "建筑面积（m²）", "before": ">= 1000", "after": ">= 700"}]

    # The same table posted unchanged, with the diagram changed: only the diagram is listed.
    same = {"bpmn": with_planning_limit(editor["xml"], "3wd"), "dmn": {TABLE: editor["decisions"][TABLE]}}
    answer = analyst.client.post(editor["diffUrl"], json=same, headers=headers)
    assert answer.get_json()["tables"] == [] and len(answer.get_json()["changed"]) == 1

    deployed = analyst.client.post(editor["deployUrl"], json={**body, "base": diff["base"]}, headers=headers)
    assert deployed.status_code in (200, 201), deployed.get_json()
    event = _events(db, "process.deployed")[-1]
    assert event.actor == "analyst"
    assert event.detail["diff"]["tables"][TABLE]["changed"] == {"Rule_2": ["建筑面积（m²）"]}
    assert (
        "table review_agencies.dmn: rules added 0, removed 0, changed 1 (Rule_2)" in event.detail["changes"]
    )


def test_the_table_diff_reads_rules_added_removed_and_the_hit_policy() -> None:
    original = (Path(__file__).resolve().parents[2] / "processes" / TABLE).read_text(encoding="utf-8")
    start, rest = original.split('<rule id="Rule_2">', 1)
    rule_two, after = rest.split("</rule>", 1)
    without = start + after.lstrip()
    extra = without.replace(
        "</decisionTable>", rule_two.join(['<rule id="Rule_New">', "</rule></decisionTable>"])
    )
    edited = extra.replace('hitPolicy="COLLECT"', 'hitPolicy="UNIQUE"')
    [found] = diff_tables({TABLE: original}, {TABLE: edited})
    assert [r.rule_id for r in found.added] == ["Rule_New"]
    assert [r.rule_id for r in found.removed] == ["Rule_2"] and found.removed[0].number == 2
    assert found.changed == []
    assert [(c.facet, c.before, c.after) for c in found.table] == [("hitPolicy", "COLLECT", "UNIQUE")]
    assert diff_tables({TABLE: original}, {TABLE: original}) == []
    [gone] = diff_tables({TABLE: original}, {})
    assert gone.added == [] and len(gone.removed) == original.count("<rule ")
