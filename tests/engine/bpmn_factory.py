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


def boundary_timer_process(
    key: str, duration: str, *, interrupting: bool = False, escalation_level: int = 1, slow_loops: int = 0
) -> str:
    """A review task (group `window`, 1 working day) with a timer on its boundary.

    When the timer fires, the escalation path runs (optionally a deliberately slow script first)
    and ends; a non-interrupting timer leaves the review open.
    """
    slow = (
        f"""    <bpmn:scriptTask id="Script_Slow" name="慢脚本" scriptFormat="python">
      <bpmn:incoming>f_timer</bpmn:incoming><bpmn:outgoing>f_slow</bpmn:outgoing>
      <bpmn:script>n = 0
while n &lt; {slow_loops}:
    n = n + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_slow" sourceRef="Script_Slow" targetRef="End_Escalated" />
"""
        if slow_loops
        else '    <bpmn:sequenceFlow id="f_skip" sourceRef="Script_Slow" targetRef="End_Escalated" />\n'
    )
    timer_target = "Script_Slow" if slow_loops else "End_Escalated"
    slow = slow if slow_loops else ""
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Task_Review" />
    <bpmn:userTask id="Task_Review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
        <spiffworkflow:property name="name_en" value="Review" />
        <spiffworkflow:property name="time_limit" value="1wd" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Timer_Escalate" name="催办" attachedToRef="Task_Review" cancelActivity="{str(interrupting).lower()}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="escalation_level" value="{escalation_level}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f_timer</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_Escalate">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(duration)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_timer" sourceRef="Timer_Escalate" targetRef="{timer_target}" />
{slow}    <bpmn:endEvent id="End_Escalated" name="已催办"><bpmn:incoming>{"f_slow" if slow_loops else "f_timer"}</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_end" sourceRef="Task_Review" targetRef="End" />
"""
        + TAIL
    )


def timer_then_script_process(key: str, duration: str, script: str) -> str:
    """A timer, then a script task, then a review: the script runs when the timer fires."""
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="Timer_Wait" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_Wait">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(duration)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="Script_Work" name="计算" scriptFormat="python">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Timer_Wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="Timer_Wait" targetRef="Script_Work" />
    <bpmn:sequenceFlow id="f3" sourceRef="Script_Work" targetRef="Task_Review" />
"""
        + USER_TASK.format(incoming="f3")
        + TAIL
    )


def timer_beside_script_process(key: str, duration: str, script: str) -> str:
    """Two branches from the start: a timer that waits, and a review followed by a script; a
    failing script stops the case on an error while the timer still waits."""
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="Gateway_Split">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_wait</bpmn:outgoing><bpmn:outgoing>f_review</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:intermediateCatchEvent id="Timer_Wait" name="等待">
      <bpmn:incoming>f_wait</bpmn:incoming><bpmn:outgoing>f_waited</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_Wait">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(duration)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="End_Waited"><bpmn:incoming>f_waited</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="Task_Review" name="审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
        <spiffworkflow:property name="name_en" value="Review" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_review</bpmn:incoming><bpmn:outgoing>f_reviewed</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Script_Work" name="计算" scriptFormat="python">
      <bpmn:incoming>f_reviewed</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="End"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Gateway_Split" />
    <bpmn:sequenceFlow id="f_wait" sourceRef="Gateway_Split" targetRef="Timer_Wait" />
    <bpmn:sequenceFlow id="f_waited" sourceRef="Timer_Wait" targetRef="End_Waited" />
    <bpmn:sequenceFlow id="f_review" sourceRef="Gateway_Split" targetRef="Task_Review" />
    <bpmn:sequenceFlow id="f_reviewed" sourceRef="Task_Review" targetRef="Script_Work" />
    <bpmn:sequenceFlow id="f_end" sourceRef="Script_Work" targetRef="End" />
"""
        + TAIL
    )


def two_scripts_process(key: str, first: str, second: str) -> str:
    """Two script tasks in a row, then a review."""
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Setup" name="准备" scriptFormat="python">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:script>{escape(first)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="Script_Work" name="计算" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(second)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f0" sourceRef="StartEvent" targetRef="Script_Setup" />
    <bpmn:sequenceFlow id="f1" sourceRef="Script_Setup" targetRef="Script_Work" />
    <bpmn:sequenceFlow id="f2" sourceRef="Script_Work" targetRef="Task_Review" />
"""
        + USER_TASK.format(incoming="f2")
        + TAIL
    )


def script_then_condition_process(key: str, setup: str, condition: str) -> str:
    """A script task, then a gateway whose condition leads to a review (else to an end)."""
    test = escape(condition)
    return (
        HEAD.format(key=key)
        + f"""    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Setup" name="准备" scriptFormat="python">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:script>{escape(setup)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f0" sourceRef="StartEvent" targetRef="Script_Setup" />
    <bpmn:exclusiveGateway id="Gateway_Check" default="f_default">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f_default</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="Script_Setup" targetRef="Gateway_Check" />
    <bpmn:sequenceFlow id="f2" sourceRef="Gateway_Check" targetRef="Task_Review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{test}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_default" sourceRef="Gateway_Check" targetRef="End2" />
    <bpmn:endEvent id="End2"><bpmn:incoming>f_default</bpmn:incoming></bpmn:endEvent>
"""
        + USER_TASK.format(incoming="f2")
        + TAIL
    )
