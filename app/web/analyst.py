"""Process pages: the list of processes and versions, a diagram with live task counts, the cases
waiting at one task, and the editor that validates and deploys (analysts and administrators).

Staff may look at processes; only analysts and administrators see the editor and may validate or
deploy. The editor's buttons post JSON with the page's CSRF token in a header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext

from app import clock
from app.errors import PermitFlowError
from app.models import ProcessVersion, User
from app.problem_words import say
from app.services import process_checks, process_views, processes
from app.services.deploy_preview import StaleBase
from app.services.editor_choices import editor_choices

from . import common, decision_editor
from . import editor_labels as labels
from .auth import current_user, login_required
from .errors import error_page
from .i18n import pick
from .sla import due_in_words

bp = Blueprint("analyst", __name__)


def _viewer() -> User | None:
    user = current_user()
    return user if process_views.may_view(user) else None


def _refused() -> ResponseReturnValue:
    return error_page(
        403, gettext("Not allowed"), gettext("Processes are shown to staff only. Nothing was changed.")
    )


def _version_links(version: ProcessVersion) -> dict[str, str]:
    short = version.hash[:12]
    return {
        "view": url_for("analyst.process_version", key=version.key, version=short),
        "download": url_for("analyst.process_download", key=version.key, version=short),
        "counts": url_for("analyst.process_counts", key=version.key, version=short),
    }


@bp.route("/processes")
@login_required
def process_list() -> ResponseReturnValue:
    """Every process with its versions and the running cases of each."""
    user = _viewer()
    if user is None:
        return _refused()
    db = common.session()
    listed = []
    for current in processes.current_versions(db):
        running = processes.running_counts(db, current.key)
        versions = [
            {"row": v, "running": running.get(v.id, 0), "links": _version_links(v)}
            for v in processes.versions_of(db, current.key)
        ]
        listed.append({"current": current, "versions": versions})
    return render_template("process_list.html", listed=listed, may_edit=process_views.may_edit(user))


@bp.route("/processes/<key>/versions/<version>")
@login_required
def process_version(key: str, version: str) -> ResponseReturnValue:
    """The diagram of one version with the waiting and overdue tasks of its cases on each task."""
    user = _viewer()
    if user is None:
        return _refused()
    db = common.session()
    row = process_views.version_of(db, process_views.known_key(db, key), version)
    counts = process_views.task_counts(db, row.id)
    return render_template(
        "process_view.html",
        version=row,
        links=_version_links(row),
        running=processes.running_counts(db, row.key).get(row.id, 0),
        may_edit=process_views.may_edit(user),
        diagram={
            "xml": row.bpmn_xml,
            "counts": counts,
            "countsUrl": _version_links(row)["counts"],
            "tasksUrl": url_for(
                "analyst.process_tasks", key=row.key, version=row.hash[:12], bpmn_id="__ID__"
            ),
            "labels": labels.count_labels(),
        },
    )


@bp.route("/processes/<key>/versions/<version>/counts")
@login_required
def process_counts(key: str, version: str) -> ResponseReturnValue:
    """The live counts of a version as JSON (the viewer refreshes its badges from here)."""
    if _viewer() is None:
        return _json_error(403, gettext("Processes are shown to staff only."))
    db = common.session()
    row = process_views.version_of(db, process_views.known_key(db, key), version)
    return jsonify({"counts": process_views.task_counts(db, row.id), "at": clock.now().isoformat()})


@bp.route("/processes/<key>/versions/<version>.bpmn")
@login_required
def process_download(key: str, version: str) -> ResponseReturnValue:
    if _viewer() is None:
        return _refused()
    db = common.session()
    row = process_views.version_of(db, process_views.known_key(db, key), version)
    response = Response(row.bpmn_xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{row.key}-{row.hash[:12]}.bpmn"'
    return response


@bp.route("/processes/<key>/versions/<version>/tasks/<bpmn_id>")
@login_required
def process_tasks(key: str, version: str, bpmn_id: str) -> ResponseReturnValue:
    """The cases waiting at one task of a version (or only the overdue ones)."""
    if _viewer() is None:
        return _refused()
    db = common.session()
    row = process_views.version_of(db, process_views.known_key(db, key), version)
    overdue = request.args.get("overdue") == "1"
    found = process_views.open_tasks_at(db, row.id, bpmn_id, overdue_only=overdue)
    now = clock.now()
    task_name = pick(found[0]) if found else bpmn_id
    return render_template(
        "process_tasks.html",
        version=row,
        links=_version_links(row),
        bpmn_id=bpmn_id,
        task_name=task_name,
        overdue=overdue,
        rows=[
            {"task": t, "late": t.due_at is not None and t.due_at < now, "due": due_in_words(t.due_at, now)}
            for t in found
        ],
        limit=process_views.LISTED_TASKS,
    )


@bp.route("/processes/<key>/edit")
@login_required
def process_edit(key: str) -> ResponseReturnValue:
    """The modeler on the current version: validate, deploy, download."""
    user = current_user()
    if not process_views.may_edit(user):
        return error_page(
            403,
            gettext("Not allowed"),
            gettext("Only analysts and administrators may edit processes. Nothing was changed."),
        )
    db = common.session()
    current = processes.current_version(db, process_views.known_key(db, key))
    return render_template(
        "process_edit.html",
        version=current,
        links=_version_links(current),
        editor={
            "xml": current.bpmn_xml,
            "key": current.key,
            "validateUrl": url_for("analyst.process_validate", key=current.key),
            "deployUrl": url_for("analyst.process_deploy", key=current.key),
            "testUrl": url_for("analyst.process_test", key=current.key),
            "diffUrl": url_for("analyst.process_diff", key=current.key),
            "labels": labels.editor_labels(),
            "panel": _panel(db),
            "decisions": decision_editor.tables_of(db, current),
            "decisionLabels": decision_editor.labels(),
        },
    )


def _panel(db: Any) -> dict[str, Any]:
    """What the properties panel offers: forms, the real groups, the lane mapping, its words."""
    choices = editor_choices(db)
    return {
        "forms": choices.forms,
        "groups": [{"slug": g.slug, "name": pick(g)} for g in choices.groups],
        "laneGroups": choices.lane_groups,
        "labels": labels.panel_labels(),
        "words": labels.modeler_words(),
    }


def _json_error(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"ok": False, "message": message, **extra}), status


def _problems_json(xml: str, problems: list[Any]) -> list[dict[str, Any]]:
    """Each problem in the page's language, named by its element's name on the diagram (its id for
    the tooltip); no file lines, which mean nothing on a diagram."""
    ids = [p.element_id for p in problems]
    shapes, names = process_views.shapes_of(xml, ids), process_views.element_names(xml, ids)
    return [
        {
            "element_id": p.element_id,
            "element_name": names.get(p.element_id),
            "shape_id": shapes.get(p.element_id),
            "message": say(p.message),
            "hint": say(p.hint) if p.hint else None,
        }
        for p in problems
    ]


class JsonRefusal(Exception):
    """A refused editor request, answered as JSON (the editor shows the message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@bp.errorhandler(JsonRefusal)
def _json_refusal(err: JsonRefusal) -> ResponseReturnValue:
    common.rollback()
    return _json_error(err.status, err.message)


def _editor_request(key: str) -> tuple[User, str, str, dict[str, str]]:
    """The editor, the process key, the posted diagram and its edited decision tables."""
    user = current_user()
    if user is None or not process_views.may_edit(user):
        raise JsonRefusal(403, gettext("Only analysts and administrators may edit processes."))
    try:
        key = process_views.known_key(common.session(), key)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("bpmn"), str):
            raise JsonRefusal(400, gettext('Send the diagram as JSON {"bpmn": "…"}.'))
        return (
            user,
            key,
            process_views.decode_xml(body["bpmn"]),
            process_views.decode_decisions(body.get("dmn")),
        )
    except PermitFlowError as err:
        raise JsonRefusal(err.status, err.message) from err


@bp.route("/processes/<key>/validate", methods=["POST"])
@login_required
def process_validate(key: str) -> ResponseReturnValue:
    """Check the edited diagram exactly as `flask processes validate` does, then (when it is
    valid) simulate every path as `flask processes simulate` does; nothing is stored."""
    _user, key, xml, tables = _editor_request(key)
    db = common.session()
    edited = process_checks.load_edited(db, key, xml, tables)
    problems = edited.problems
    simulated = ""
    if edited.bundle is not None:
        report = process_checks.simulate_bundle(db, edited.bundle)
        problems = process_checks.simulation_problems(report, f"processes/{key}.bpmn")
        simulated = " " + gettext(
            "Simulated %(paths)d paths; %(covered)d of %(total)d gateway branches taken.",
            paths=report.paths,
            covered=len(report.branches) - len(report.uncovered),
            total=len(report.branches),
        )
    common.rollback()
    message = (
        gettext("No problems: the diagram can be deployed.")
        if not problems
        else ngettext(
            "%(num)d problem: fix it before deploying.",
            "%(num)d problems: fix them before deploying.",
            len(problems),
        )
    )
    return jsonify(
        {"ok": not problems, "message": message + simulated, "problems": _problems_json(xml, problems)}
    )


@bp.route("/processes/<key>/test", methods=["POST"])
@login_required
def process_test(key: str) -> ResponseReturnValue:
    """Run the process tests (processes/tests/<key>.<name>.json) against the edited diagram, as
    `flask processes test` and every deploy do; nothing is stored."""
    _user, key, xml, tables = _editor_request(key)
    db = common.session()
    edited = process_checks.load_edited(db, key, xml, tables)
    if edited.bundle is None:
        common.rollback()
        return _json_error(
            422,
            gettext("The diagram has problems: validate it and fix them first."),
            problems=_problems_json(xml, edited.problems),
        )
    outcomes = process_checks.run_tests(db, edited.bundle, process_checks.processes_folder(db))
    common.rollback()
    failing = [o for o in outcomes if not o.passed]
    if not outcomes:
        message = gettext("This process has no tests (processes/tests/%(key)s.*.json).", key=key)
    elif failing:
        message = ngettext(
            "%(num)d of %(total)d test fails.",
            "%(num)d of %(total)d tests fail.",
            len(failing),
            total=len(outcomes),
        )
    else:
        message = ngettext("The test passes.", "All %(num)d tests pass.", len(outcomes))
    return jsonify(
        {
            "ok": bool(outcomes) and not failing,
            "message": message,
            # Marked on the diagram where a test stopped at an element; the list says the rest.
            "problems": _problems_json(
                xml, [p for p in process_checks.test_problems(outcomes) if p.element_id != "-"]
            ),
            "tests": [_test_json(o) for o in outcomes],
        }
    )


def _test_json(outcome: Any) -> dict[str, Any]:
    where = ""
    if not outcome.passed and outcome.step is not None:
        where = gettext("step %(step)d", step=outcome.step) + ": "
    return {
        "name": outcome.name,
        "file": outcome.file,
        "passed": outcome.passed,
        "status": gettext("Pass") if outcome.passed else gettext("Fail"),
        "detail": "" if outcome.passed else where + say(outcome.message),
    }


@bp.route("/processes/<key>/deploy", methods=["POST"])
@login_required
def process_deploy(key: str) -> ResponseReturnValue:
    """Validate, then deploy it (no file is written); refused whole with the problems."""
    user, key, xml, tables = _editor_request(key)
    body = request.get_json(silent=True) or {}
    base = body.get("base") if isinstance(body.get("base"), str) else None
    try:
        outcome = process_views.deploy_xml(common.session(), user, key, xml, tables, base=base)
    except StaleBase as err:
        common.rollback()
        return _json_error(
            409,
            gettext(
                "Another deploy made version %(version)s current since you looked at the differences; "
                "nothing was deployed. Deploy again to see the differences from it.",
                version=err.current_hash[:12],
            ),
        )
    except process_views.DiagramRejected as err:
        common.rollback()
        count = len(err.problems)
        return _json_error(
            422,
            ngettext(
                "Not deployed: %(num)d problem must be fixed first.",
                "Not deployed: %(num)d problems must be fixed first.",
                count,
            ),
            problems=_problems_json(xml, err.problems),
        )
    except PermitFlowError as err:
        common.rollback()
        return _json_error(err.status, err.message)
    common.commit()
    short = outcome.version.hash[:12]
    message = labels.deployed_message(outcome, short)
    return jsonify(
        {
            "ok": True,
            "created": outcome.created,
            "version": outcome.version.hash,
            "message": message,
            "view": url_for("analyst.process_version", key=key, version=short),
            "list": url_for("analyst.process_list"),
        }
    )
