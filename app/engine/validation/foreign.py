"""Other engines' extensions (Camunda, Activiti, Flowable, Zeebe, Drools): behaviour this engine would
silently drop, each with what to write instead."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..messages import Text
from .problems import Report, local_name, owning_id, short

FOREIGN_ENGINES = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://activiti.org/bpmn": "activiti",
    "http://flowable.org/bpmn": "flowable",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://www.jboss.org/drools": "drools",
}
# Attributes of other engines that carry behaviour this engine would silently drop.
FOREIGN_ATTRIBUTES = {
    "class": Text("write the logic as a script task in Python"),
    "expression": Text("write the logic as a script task in Python"),
    "delegateExpression": Text("write the logic as a script task in Python"),
    "type": Text("write the logic as a script task in Python"),
    "topic": Text("write the logic as a script task in Python"),
    "resultVariable": Text("assign the result in a Python script task"),
    "formKey": Text("use the property formJsonSchemaFilename naming a JSON Schema in forms/"),
    "formRef": Text("use the property formJsonSchemaFilename naming a JSON Schema in forms/"),
    "assignee": Text("put the task in a lane named after a group, or set the candidate_groups property"),
    "candidateGroups": Text(
        "put the task in a lane named after a group, or set the candidate_groups property"
    ),
    "candidateUsers": Text(
        "put the task in a lane named after a group, or set the candidate_groups property"
    ),
    "dueDate": Text("set the task's time_limit property, e.g. 5wd"),
    "followUpDate": Text("set the task's time_limit property, e.g. 5wd"),
    "priority": Text("remove it (tasks have no priority here)"),
    "decisionRef": Text("write the decision as a Python script task"),
    "mapDecisionResult": Text("write the decision as a Python script task"),
    "collection": Text("use loopDataInputRef / a Python loopCardinality on the multi-instance"),
    "elementVariable": Text("use a dataInput item on the multi-instance"),
    "initiator": Text("the platform records who started the case; remove it"),
    "calledElementBinding": Text("remove it (the called process's current file is used)"),
    "variableMappingClass": Text("pass data to the called process through the case data"),
    "variableMappingDelegateExpression": Text("pass data to the called process through the case data"),
}
FOREIGN_ELEMENTS = {
    "executionListener": Text("write the listener's logic as a script task (or a preScript/postScript)"),
    "taskListener": Text("write the listener's logic as a preScript/postScript of the task"),
    "inputOutput": Text("compute inputs and outputs in a Python script task"),
    "formData": Text("describe the form as a JSON Schema named by the property formJsonSchemaFilename"),
    "formField": Text("describe the form as a JSON Schema named by the property formJsonSchemaFilename"),
    "in": Text("the called process sees the case data; remove the mapping"),
    "out": Text("the called process's data comes back into the case data; remove the mapping"),
    "connector": Text("write the logic as a script task in Python"),
    "field": Text("write the logic as a script task in Python"),
    "script": Text("write the script as a Python scriptTask"),
    "taskDefinition": Text("write the logic as a script task in Python"),
    "ioMapping": Text("compute inputs and outputs in a Python script task"),
    "assignmentDefinition": FOREIGN_ATTRIBUTES["assignee"],
    "formDefinition": Text("use the property formJsonSchemaFilename naming a JSON Schema in forms/"),
    "calledElement": Text("set calledElement on the callActivity"),
    "loopCharacteristics": Text("use BPMN multiInstanceLoopCharacteristics"),
    "subscription": Text("declare the correlation keys with the property correlation on the message element"),
    "onEntry": Text("write the logic as a script task in Python"),
    "onExit": Text("write the logic as a script task in Python"),
}


def check_foreign(root: Any, add: Report) -> None:
    """Another engine's attributes anywhere, and its elements inside extensionElements."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in el.attrib:
            qname = etree.QName(name)
            engine = FOREIGN_ENGINES.get(qname.namespace or "")
            if engine and qname.localname in FOREIGN_ATTRIBUTES:
                add(
                    el,
                    Text(
                        '{engine}:{attribute}="{value}" is {engine}-specific and ignored by this engine',
                        engine=engine,
                        attribute=qname.localname,
                        value=short(el.get(name), 60),
                    ),
                    FOREIGN_ATTRIBUTES[qname.localname],
                )
        qname = etree.QName(el.tag)
        engine = FOREIGN_ENGINES.get(qname.namespace or "")
        parent = el.getparent()
        if (
            engine
            and qname.localname in FOREIGN_ELEMENTS
            and parent is not None
            and local_name(parent.tag) == "extensionElements"
        ):
            add(
                el,
                Text(
                    "{engine}:{element} is {engine}-specific and ignored by this engine",
                    engine=engine,
                    element=qname.localname,
                ),
                FOREIGN_ELEMENTS[qname.localname],
                owning_id(parent),
            )
