"""The words the process viewer's and editor's scripts show, in the page's language."""

from __future__ import annotations

from flask_babel import gettext


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
