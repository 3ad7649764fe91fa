"""Other engines' extensions (Camunda, Activiti, Flowable, Zeebe, Drools): behaviour this engine would
silently drop, each with what to write instead."""

from __future__ import annotations

from typing import Any

from lxml import etree

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
    "class": "write the logic as a script task in Python",
    "expression": "write the logic as a script task in Python",
    "delegateExpression": "write the logic as a script task in Python",
    "type": "write the logic as a script task in Python",
    "topic": "write the logic as a script task in Python",
    "resultVariable": "assign the result in a Python script task",
    "formKey": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "formRef": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "assignee": "put the task in a lane named after a group, or set the candidate_groups property",
    "candidateGroups": "put the task in a lane named after a group, or set the candidate_groups property",
    "candidateUsers": "put the task in a lane named after a group, or set the candidate_groups property",
    "dueDate": "set the task's time_limit property, e.g. 5wd",
    "followUpDate": "set the task's time_limit property, e.g. 5wd",
    "priority": "remove it (tasks have no priority here)",
    "decisionRef": "write the decision as a Python script task",
    "mapDecisionResult": "write the decision as a Python script task",
    "collection": "use loopDataInputRef / a Python loopCardinality on the multi-instance",
    "elementVariable": "use a dataInput item on the multi-instance",
    "initiator": "the platform records who started the case; remove it",
    "calledElementBinding": "remove it (the called process's current file is used)",
    "variableMappingClass": "pass data to the called process through the case data",
    "variableMappingDelegateExpression": "pass data to the called process through the case data",
}
FOREIGN_ELEMENTS = {
    "executionListener": "write the listener's logic as a script task (or a preScript/postScript)",
    "taskListener": "write the listener's logic as a preScript/postScript of the task",
    "inputOutput": "compute inputs and outputs in a Python script task",
    "formData": "describe the form as a JSON Schema named by the property formJsonSchemaFilename",
    "formField": "describe the form as a JSON Schema named by the property formJsonSchemaFilename",
    "in": "the called process sees the case data; remove the mapping",
    "out": "the called process's data comes back into the case data; remove the mapping",
    "connector": "write the logic as a script task in Python",
    "field": "write the logic as a script task in Python",
    "script": "write the script as a Python scriptTask",
    "taskDefinition": "write the logic as a script task in Python",
    "ioMapping": "compute inputs and outputs in a Python script task",
    "assignmentDefinition": FOREIGN_ATTRIBUTES["assignee"],
    "formDefinition": "use the property formJsonSchemaFilename naming a JSON Schema in forms/",
    "calledElement": "set calledElement on the callActivity",
    "loopCharacteristics": "use BPMN multiInstanceLoopCharacteristics",
    "subscription": "PermitFlow does not deliver messages between cases",
    "onEntry": "write the logic as a script task in Python",
    "onExit": "write the logic as a script task in Python",
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
                    f'{engine}:{qname.localname}="{short(el.get(name), 60)}" is {engine}-specific and '
                    "ignored by this engine",
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
                f"{engine}:{qname.localname} is {engine}-specific and ignored by this engine",
                FOREIGN_ELEMENTS[qname.localname],
                owning_id(parent),
            )
