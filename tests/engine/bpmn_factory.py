"""Tiny BPMN files built in tests, one construct each (no DI: the engine does not need it)."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
"""
TAIL = """  </bpmn:process>
</bpmn:definitions>
"""
USER_TASK = """    <bpmn:userTask id="Task_Review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
        <spiffworkflow:property name="name_en" value="Review" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_end" sourceRef="Task_Review" targetRef="End" />
"""


def script_process(key: str, script: str) -> str:
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Work" name="计算" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Script_Work" />
    <bpmn:sequenceFlow id="f2" sourceRef="Script_Work" targetRef="Task_Review" />
"""
        + USER_TASK.format(incoming="f2")
        + TAIL
    )


def condition_process(key: str, condition: str) -> str:
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="Gateway_Check" default="f_default">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Gateway_Check" />
    <bpmn:sequenceFlow id="f2" sourceRef="Gateway_Check" targetRef="Task_Review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_default" sourceRef="Gateway_Check" targetRef="End2" />
    <bpmn:endEvent id="End2"><bpmn:incoming>f_default</bpmn:incoming></bpmn:endEvent>
"""
        + USER_TASK.format(incoming="f2")
        + TAIL
    )


def timer_process(key: str, expression: str) -> str:
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Timer_Wait" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_Wait">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Timer_Wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="Timer_Wait" targetRef="Task_Review" />
"""
        + USER_TASK.format(incoming="f2")
        + TAIL
    )


def write(folder: Path, key: str, xml: str) -> Path:
    path = folder / f"{key}.bpmn"
    path.write_text(xml, encoding="utf-8")
    return path
