"""The words the process viewer's and editor's scripts show, in the page's language."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from .library_words import bpmn_words


def count_labels() -> dict[str, str]:
    return {
        "waiting": gettext("waiting"),
        "overdue": gettext("overdue"),
        "importWarnings": gettext("The diagram opened with warnings:"),
        "importFailed": gettext("The diagram could not be shown:"),
        "updated": gettext("Counts updated at"),
    }


def editor_labels() -> dict[str, str]:
    return {
        "checking": gettext("Checking…"),
        "testing": gettext("Running the process tests…"),
        "deploying": gettext("Deploying…"),
        "comparing": gettext("Comparing with the current version…"),
        "confirmDeploy": gettext("Check the differences, then confirm the deploy."),
        "notDeployed": gettext("Not deployed: nothing was changed."),
        "valid": gettext("No problems: the diagram can be deployed."),
        "wholeFile": gettext("The whole diagram"),
        "showOnDiagram": gettext("Show on the diagram"),
        "failed": gettext("The server did not answer; nothing was deployed. Try again."),
        "importFailed": gettext("The diagram could not be opened:"),
        "unsaved": gettext("The diagram has changes that are not deployed."),
    }


# The PermitFlow properties of the panel (frontend/src/permitflow_properties.js), as people call them.
PROPERTY_LABELS = {
    "name_en": lazy_gettext("English name"),
    "time_limit": lazy_gettext("Time limit"),
    "case_prefix": lazy_gettext("Case number prefix"),
    "case_kind": lazy_gettext("Kind of case"),
    "formJsonSchemaFilename": lazy_gettext("Form"),
    "formUiSchemaFilename": lazy_gettext("Form layout"),
    "candidate_groups": lazy_gettext("Candidate groups (Python expression)"),
    "clock": lazy_gettext("Statutory clock stops while this task is open"),
    "returnable_to": lazy_gettext("May be returned to (task ids)"),
    "request_items": lazy_gettext("Items asked of the applicant (expression)"),
    "supervising_group": lazy_gettext("Escalations go to the supervisors of"),
    "supervisors_only": lazy_gettext("Only the group's heads (supervisors) take it"),
    "performer_credit_code": lazy_gettext("Done by the company with credit code (expression)"),
    "note": lazy_gettext("Timeline note (expression)"),
    "public": lazy_gettext("Anyone may start it without an account"),
    "starters": lazy_gettext("Staff groups that may start it"),
    "case_status": lazy_gettext("Case status at this end"),
    "certificate": lazy_gettext("Certificate type issued"),
    "certificate_title": lazy_gettext("Certificate title"),
    "certificate_title_en": lazy_gettext("Certificate title in English"),
    "certificate_issuer": lazy_gettext("Certificate issuer"),
    "certificate_valid_until": lazy_gettext("Field holding the last valid day"),
    "certificate_valid_years": lazy_gettext("Validity in years when that field is empty"),
    "escalation_level": lazy_gettext("Escalation level when it fires"),
    "notify": lazy_gettext("Who is reminded when it fires"),
    "credit_deduction": lazy_gettext("Credit points deducted (expression)"),
    "credit_of": lazy_gettext("Company whose credit is deducted (expression)"),
}


def panel_labels() -> dict[str, str]:
    """The words of the PermitFlow group of the properties panel (the README section "Authoring a
    process" says what each property does)."""
    words = {f"prop.{name}": f"{label} · {name}" for name, label in PROPERTY_LABELS.items()}
    return {
        **words,
        "group": gettext("PermitFlow"),
        "none": gettext("(none)"),
        "condition": gettext("Condition (Python)"),
        "variableName": gettext("Store the form's answer under (variableName)"),
        "laneGroup": gettext("Group doing this lane's tasks"),
        "help.time_limit": gettext("e.g. 5wd (working days), 3d (days), 4h (hours)"),
        "help.candidate_groups": gettext('e.g. "fire", or agency for a review per agency'),
        "help.condition": gettext('e.g. floor_area > 20000 and project_type == "commercial"'),
        "help.laneGroup": gettext("Chosen from the groups of this deployment"),
        "help.returnable_to": gettext("Comma-separated ids of earlier user tasks"),
        "bad.time_limit": gettext("Write e.g. 5wd, 3d or 4h."),
        "bad.certificate_valid_years": gettext("A whole number of years."),
        "bad.escalation_level": gettext("A whole number."),
        "value.applicant": gettext("The case's applicant"),
        "value.application": gettext("application"),
        "value.complaint": gettext("complaint"),
        "value.approved": gettext("approved"),
        "value.rejected": gettext("rejected"),
        "value.closed": gettext("closed"),
    }


def modeler_words() -> dict[str, str]:
    """bpmn-js's own words (the panel's general groups, the palette, the context pad) that the
    editor shows most, in the page's language."""
    return {
        **bpmn_words(),
        "General": gettext("General"),
        "Name": gettext("Name"),
        "ID": gettext("ID"),
        "Documentation": gettext("Documentation"),
        "Element documentation": gettext("Element documentation"),
        "Timer": gettext("Timer"),
        "Type": gettext("Type"),
        "Value": gettext("Value"),
        "Date": gettext("Date"),
        "Duration": gettext("Duration"),
        "Cycle": gettext("Cycle"),
        "Process": gettext("Process"),
        "Executable": gettext("Executable"),
        "Multi-instance": gettext("Multi-instance"),
        "Toggle Token Simulation": gettext("Toggle Token Simulation"),
        "Select an element to edit its properties.": gettext("Select an element to edit its properties."),
    }


def deployed_message(outcome: Any, short: str) -> str:
    """What a deploy did: a new version, an earlier one current again, or nothing."""
    if outcome.created:
        message = gettext("Deployed: version %(version)s is now current.", version=short)
        if outcome.callers:
            message += " " + gettext(
                "Processes calling it got a new version too: %(keys)s.", keys=", ".join(outcome.callers)
            )
    elif outcome.switched:
        message = gettext(
            "Version %(version)s, deployed before, is the current version again.", version=short
        )
    else:
        message = gettext(
            "No change: the diagram is the same as the current version %(version)s, so no new version "
            "was deployed.",
            version=short,
        )
    return message
