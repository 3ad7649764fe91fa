"""The `flask` commands of API.md: validate, deploy, list, db check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import edge
from tests.api.test_processes_edit import _versions, folder  # noqa: F401 - the processes folder fixture
from tests.conftest import make_app
from tests.engine.bpmn_factory import script_process, timer_process, write
from tests.engine.mistakes import MISTAKES, Mistake

ROOT = Path(__file__).resolve().parent.parent


def test_validate_accepts_the_shipped_processes(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["processes", "validate"])
    assert result.exit_code == 0, result.output
    assert "construction_permit" in result.output and "parallel_review" in result.output


def test_one_file_is_validated_with_the_processes_it_calls(app: Any) -> None:
    """construction_permit calls parallel_review beside it: valid on its own too."""
    shipped = Path(__file__).resolve().parent.parent / "processes" / "construction_permit.bpmn"
    result = app.test_cli_runner().invoke(args=["processes", "validate", str(shipped)])
    assert result.exit_code == 0, result.output
    assert "1 file(s) valid: construction_permit" in result.output


def test_validate_names_file_line_element_and_hint(app: Any, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad_timer", timer_process("bad_timer", "PT5S"))
    evil = write(tmp_path, "evil", script_process("evil", "x = __import__('os')"))
    result = app.test_cli_runner().invoke(args=["processes", "validate", str(bad), str(evil)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(tmp_path))]
    assert len(lines) == 2, result.output
    timer_line = next(line for line in lines if "bad_timer" in line)
    file, line_no, element, rest = timer_line.split(":", 3)
    assert file.endswith("bad_timer.bpmn") and int(line_no) > 0 and element.strip() == "Timer_Wait"
    assert 'quote it: "PT5S"' in rest
    assert any("Script_Work" in line and "sandbox" in line for line in lines)


def test_validate_reports_a_missing_file_and_broken_xml(app: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions", encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["processes", "validate", str(broken)])
    assert result.exit_code == 1 and "not well-formed XML" in result.output
    result = runner.invoke(args=["processes", "validate", str(tmp_path / "absent.bpmn")])
    assert result.exit_code == 1 and "file not found" in result.output


def test_deploy_is_idempotent_and_list_shows_versions(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["processes", "deploy"])
    assert result.exit_code == 0, result.output
    assert "construction_permit: unchanged" in result.output
    listing = runner.invoke(args=["processes", "list"])
    assert listing.exit_code == 0 and "施工许可 / Construction permit" in listing.output


def test_models_and_migrations_agree(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_calendar_overrides_from_the_command_line(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "set", "2027-02-06", "workday", "--note", "春节调休"])
    assert result.exit_code == 0, result.output
    assert "2027-02-06\tworkday\t春节调休" in runner.invoke(args=["calendar", "list"]).output
    assert runner.invoke(args=["calendar", "remove", "2027-02-06"]).exit_code == 0
    assert runner.invoke(args=["calendar", "remove", "2027-02-06"]).exit_code == 1


def test_timers_sweep_command(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["timers", "sweep"])
    assert result.exit_code == 0 and "fired 0 timer(s)" in result.output


def test_demo_load_makes_cases_of_every_shipped_process(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "demo loaded: 29 cases" in result.output  # with the procedures' states and notices
    assert (
        "整改通知" in result.output and "东城区第三小学扩建工程" in result.output and "投诉" in result.output
    )
    # The permit in its 容缺 and merged-correction states, and a parallel review started on its own.
    assert "高新区人才公寓三期" in result.output and "滨江商业综合体" in result.output
    assert "北湖物流仓库" in result.output
    assert "11月质量安全监督检查情况通报" in result.output  # a notice in review


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_validate_and_deploy_refuse_each_mistake(app: Any, db: Any, folder: Path, mistake: Mistake) -> None:  # noqa: F811
    """`processes validate` prints the problem at the drawn element; `processes deploy` refuses it."""
    path = mistake.write(folder)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["processes", "validate"])
    assert result.exit_code == 1
    mine = [line for line in result.output.splitlines() if f": {mistake.element_id}: " in line]
    assert mine and mine[0].startswith(str(path)), result.output
    assert all(word in " ".join(mine) for word in mistake.words), mine
    versions = _versions(db, mistake.key)
    deployed = runner.invoke(args=["processes", "deploy"])
    assert deployed.exit_code != 0 and mistake.element_id in deployed.output
    assert _versions(db, mistake.key) == versions


UNMAPPED_LANE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="lanes" isExecutable="true">
    <bpmn:laneSet id="LaneSet"><bpmn:lane id="Lane_X" name="无名科室">
      <bpmn:flowNodeRef>Task_Check</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Check" name="审查">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="End"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Task_Check" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Check" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("migrated", [False, True], ids=["fresh_checkout", "migrated_no_groups"])
def test_validate_checks_lanes_before_any_group_exists(
    tmp_path: Path, redis_url: str, migrated: bool
) -> None:
    """A fresh checkout (no database, or one with no groups yet) still checks lanes: against the
    groups every deployment starts with, and says so."""
    fresh = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "instance", redis_url)
    runner = fresh.test_cli_runner()
    if migrated:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    bad = write(tmp_path, "lanes", UNMAPPED_LANE)
    result = runner.invoke(args=["processes", "validate", str(bad)])
    assert result.exit_code == 1, result.output
    assert "Task_Check: lane '无名科室' names no group" in result.output
    assert "no groups in the database yet" in result.output and "window" in result.output
    good = write(tmp_path, "lanes", UNMAPPED_LANE.replace('name="无名科室"', 'name="window"'))
    assert runner.invoke(args=["processes", "validate", str(good)]).exit_code == 0
    edge.of(fresh).database.dispose()
