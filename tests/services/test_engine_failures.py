"""Whatever the engine raises at run time puts the case in `error` (element and message), never a 500.

The versions here are broken after validation (the spec itself is edited), as a value the validator
cannot see would be: a timer duration the engine's parser refuses and a script that fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.engine import load_processes
from app.models import Case, ProcessVersion
from app.services import processes

PUBLIC_START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="public" value="true" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>
    {middle}
    <bpmn:endEvent id="End"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Step" />
    <bpmn:sequenceFlow id="f2" sourceRef="Step" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""
TIMER = """<bpmn:intermediateCatchEvent id="Step" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_Step">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>"""
SCRIPT = """<bpmn:scriptTask id="Step" name="计算">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>total = 1</bpmn:script>
    </bpmn:scriptTask>"""


@pytest.fixture
def deploy_broken(app: Any, db: Any, tmp_path: Path) -> Iterator[Any]:
    """Deploys a valid one-step process, then breaks its stored spec with ``old`` → ``new``."""
    keys: list[str] = []

    def deploy(key: str, middle: str, old: str, new: str) -> None:
        path = tmp_path / f"{key}.bpmn"
        path.write_text(PUBLIC_START.format(key=key, middle=middle), encoding="utf-8")
        result = load_processes([path], [], {})
        assert result.ok, result.problems
        bundle = result.bundles[key]
        assert old in bundle.spec_json
        spec_json = bundle.spec_json.replace(old, new)
        broken = replace(bundle, spec_json=spec_json, hash=bundle.hash[:-6] + "broken")
        with app.app_context():
            processes.deploy_bundle(db, None, broken)
        db.commit()
        keys.append(key)

    yield deploy
    # Versions outlive a test: take these out of the list of processes again.
    for version in db.scalars(select(ProcessVersion).where(ProcessVersion.key.in_(keys))):
        version.is_current = False
    db.commit()


def _started_case(api: Any, db: Any, key: str) -> Case:
    response = api.post("/api/v1/cases", None, json={"process": key, "data": {}})
    assert response.status_code < 500, response.get_json()
    db.expire_all()
    case = db.scalar(select(Case).join(ProcessVersion).where(ProcessVersion.key == key))
    assert case is not None, response.get_json()
    return case


def test_a_refused_timer_value_puts_the_case_in_error(api: Any, db: Any, deploy_broken: Any) -> None:
    deploy_broken("broken_timer", TIMER, '\\"PT1H\\"', '\\"P5WD\\"')
    case = _started_case(api, db, "broken_timer")
    assert case.status.value == "error"
    assert "Invalid duration" in str(case.error)
    assert "Step" in str(case.error)


def test_a_failing_script_puts_the_case_in_error(api: Any, db: Any, deploy_broken: Any) -> None:
    deploy_broken("broken_script", SCRIPT, "total = 1", "total = 1 / 0")
    case = _started_case(api, db, "broken_script")
    assert case.status.value == "error"
    assert "Step" in str(case.error)
