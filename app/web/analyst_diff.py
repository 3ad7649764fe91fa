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
from app.engine.table_diff import RuleDiff, TableDiff
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


def _rule(rule: RuleDiff) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "name": gettext("Rule %(num)d", num=rule.number),
        "description": rule.description,
        "changes": [
            _change(
                FacetChange(
                    gettext("Description") if c.facet == "description" else c.facet, c.before, c.after
                )
            )
            for c in rule.changes
        ],
    }


_TABLE_FACETS = {"hitPolicy": lazy_gettext("Hit policy"), "columns": lazy_gettext("Columns")}


def _table(table: TableDiff) -> dict[str, Any]:
    """A decision table's differences: its rules added, removed and changed (by row and column)."""
    return {
        "file": table.file,
        "decision_id": table.decision_id,
        "name": table.name,
        "summary": gettext(
            "Decision table %(name)s: %(added)d rules added, %(removed)d removed, %(changed)d changed.",
            name=table.name,
            added=len(table.added),
            removed=len(table.removed),
            changed=len(table.changed),
        ),
        "added": [_rule(r) for r in table.added],
        "removed": [_rule(r) for r in table.removed],
        "changed": [_rule(r) for r in table.changed],
        "table": [
            {"facet": str(_TABLE_FACETS.get(c.facet, c.facet)), "before": c.before, "after": c.after}
            for c in table.table
        ],
    }


def _summary(diff: Any, current: str) -> str:
    if diff.empty:
        return gettext("No element differs from the current version %(version)s.", version=current)
    said = gettext(
        "Against the current version %(version)s: %(added)d added, %(removed)d removed, %(changed)d changed.",
        version=current,
        added=len(diff.added),
        removed=len(diff.removed),
        changed=len(diff.changed),
    )
    if diff.tables:
        said += " " + ngettext(
            "%(num)d decision table changed.", "%(num)d decision tables changed.", len(diff.tables)
        )
    return said


@bp.route("/processes/<key>/diff", methods=["POST"])
@login_required
def process_diff(key: str) -> ResponseReturnValue:
    """The differences of the edited diagram from the current version; nothing is stored. A diagram
    with problems is refused as Deploy would refuse it (422 with the problems): no dialog."""
    _user, key, xml, tables = _editor_request(key)
    db = common.session()
    problems = process_views.validate_xml(db, key, xml, tables)
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
    preview = deploy_preview.preview_deploy(db, key, xml, tables)
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
            "tables": [_table(t) for t in diff.tables],
            "summary": _summary(diff, current),
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
