"""The editor's last look before Deploy: the differences of the edited diagram from the current
version (added, removed and changed elements, and what changed in each), marked on the diagram, and
how many running cases stay on their versions; the analyst confirms them in a dialog, and the deploy
names the version they were against (on the blueprint ``analyst``)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext, ngettext

from app.engine.diagram_diff import ElementDiff, FacetChange
from app.services import deploy_preview, process_views

from . import common
from .analyst import _editor_request, _json_error, _problems_json, bp
from .auth import login_required

# The parts of an element people recognise, by the facet the diff names (others are shown as named).
_FACETS = {
    "name": lazy_gettext("Name"),
    "conditionExpression": lazy_gettext("Condition"),
    "script": lazy_gettext("Script"),
    "timerEventDefinition/timeDuration": lazy_gettext("Timer (duration)"),
    "timerEventDefinition/timeDate": lazy_gettext("Timer (date)"),
    "timerEventDefinition/timeCycle": lazy_gettext("Timer (cycle)"),
    "preScript": lazy_gettext("Script before the task"),
    "postScript": lazy_gettext("Script after the task"),
    "variableName": lazy_gettext("Stored under"),
    "calledElement": lazy_gettext("Called process"),
    "type": lazy_gettext("Element type"),
}


def _facet(facet: str) -> str:
    if facet.startswith("property "):
        return gettext("Property %(name)s", name=facet.removeprefix("property "))
    label = _FACETS.get(facet)
    return str(label) if label is not None else facet


def _change(change: FacetChange) -> dict[str, Any]:
    return {"facet": _facet(change.facet), "before": change.before, "after": change.after}


def _element(element: ElementDiff, shapes: dict[str, str]) -> dict[str, Any]:
    return {
        "element_id": element.element_id,
        "name": element.name or element.element_id,
        "kind": element.kind,
        "shape_id": shapes.get(element.element_id),
        "changes": [_change(c) for c in element.changes],
    }


@bp.route("/processes/<key>/diff", methods=["POST"])
@login_required
def process_diff(key: str) -> ResponseReturnValue:
    """The differences of the edited diagram from the current version; nothing is stored. A diagram
    with problems is refused as Deploy would refuse it (422 with the problems): no dialog."""
    _user, key, xml = _editor_request(key)
    db = common.session()
    problems = process_views.validate_xml(db, key, xml)
    if problems:
        common.rollback()
        return _json_error(
            422,
            ngettext(
                "Not deployed: %(num)d problem must be fixed first.",
                "Not deployed: %(num)d problems must be fixed first.",
                len(problems),
            ),
            problems=_problems_json(xml, problems),
        )
    preview = deploy_preview.preview_deploy(db, key, xml)
    common.rollback()
    diff = preview.diff
    ids = [e.element_id for e in diff.added + diff.changed]
    shapes = process_views.shapes_of(xml, ids)
    current = preview.current.hash[:12]
    return jsonify(
        {
            "base": preview.current.hash,
            "empty": diff.empty,
            "added": [_element(e, shapes) for e in diff.added],
            "removed": [_element(e, {}) for e in diff.removed],
            "changed": [_element(e, shapes) for e in diff.changed],
            "summary": gettext(
                "Against the current version %(version)s: %(added)d added, %(removed)d removed, "
                "%(changed)d changed.",
                version=current,
                added=len(diff.added),
                removed=len(diff.removed),
                changed=len(diff.changed),
            )
            if not diff.empty
            else gettext("No element differs from the current version %(version)s.", version=current),
            "running": ngettext(
                "%(num)d running case stays on the version it runs (%(current)d on the current version "
                "%(version)s); cases never move by a deploy.",
                "%(num)d running cases stay on the versions they run (%(current)d on the current version "
                "%(version)s); cases never move by a deploy.",
                preview.running,
                current=preview.running_on_current,
                version=current,
            ),
            "running_cases": preview.running,
            "running_on_current": preview.running_on_current,
        }
    )
