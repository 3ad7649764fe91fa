"""Processes: what can be started, and (for staff) their versions and live counts."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from app import problem_words
from app.errors import Forbidden, InvalidData, PermitFlowError, ProcessInvalid, UnsupportedType
from app.services import process_checks, process_views, processes, stats
from app.services.migration import migrate_cases

from .common import AUTH, commit, documented_errors, require_user, session
from .schemas import ProcessDetail, ProcessSummary

blp = Blueprint("processes", __name__, description="Processes")


def _summary(version: Any) -> dict[str, Any]:
    return {
        "key": version.key,
        "name": version.name,
        "name_en": version.name_en,
        "version": version.hash,
        "public": version.meta["start"]["public"],
        "start_form": processes.form_schema(version, version.meta["start"]["form"]),
    }


@blp.route("/processes")
class ProcessList(MethodView):
    @blp.response(200, ProcessSummary(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Startable processes with their start forms (JSON Schema)."""
        return [_summary(v) for v in processes.current_versions(session())]


@blp.route("/processes/<string:key>")
class ProcessItem(MethodView):
    @blp.response(200, ProcessDetail)
    @blp.doc(security=AUTH)
    @documented_errors(blp, 401, 403, 404)
    def get(self, key: str) -> dict[str, Any]:
        """A process's versions, BPMN, forms and running cases per task (staff only)."""
        user = require_user()
        if not user.is_staff:
            raise Forbidden("process details are for staff")
        db = session()
        versions = processes.versions_of(db, key[:64])
        current = next((v for v in versions if v.is_current), versions[0])
        running = processes.running_counts(db, key)
        return {
            **_summary(current),
            "versions": [
                {
                    "hash": v.hash,
                    "deployed_at": v.deployed_at,
                    "is_current": v.is_current,
                    "running_cases": running.get(v.id, 0),
                }
                for v in versions
            ],
            "bpmn_xml": current.bpmn_xml,
            "forms": {
                k.removeprefix("forms/"): v for k, v in current.files.items() if k.startswith("forms/")
            },
            "decisions": processes.decision_files(current),
            "tasks": stats.open_tasks_by_step(db, key),
        }


# ---------------------------------------------------------------- analysts: validate, deploy, migrate


class BpmnBody(Schema):
    bpmn = fields.String(required=True, metadata={"description": "the whole BPMN 2.0 XML of <key>.bpmn"})
    dmn = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "edited decision tables, `<name>.dmn` → the whole DMN XML; checked and "
            "deployed with the diagram (the other .dmn files of processes/ as they are)"
        },
    )


class ProblemSchema(Schema):
    line = fields.Integer(required=True)
    element_id = fields.String(required=True, metadata={"description": "'-' when the file as a whole"})
    element_name = fields.String(
        allow_none=True, metadata={"description": "the element's name on the diagram, when it has one"}
    )
    message = fields.String(required=True, metadata={"description": "in the Accept-Language (zh-CN or en)"})
    hint = fields.String(allow_none=True, required=True)
    text = fields.String(required=True, metadata={"description": "FILE:LINE: ELEMENT_ID: message (hint)"})


class ValidationResult(Schema):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class DeployResult(Schema):
    key = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "hash of the current version"})
    created = fields.Boolean(required=True, metadata={"description": "false: unchanged, no new version"})
    callers = fields.List(
        fields.String(), required=True, metadata={"description": "calling processes redeployed with it"}
    )


class MigrationRequest(Schema):
    from_version = fields.String(required=True, validate=validate.Length(min=4, max=64), data_key="from")
    to_version = fields.String(required=True, validate=validate.Length(min=4, max=64), data_key="to")
    dry_run = fields.Boolean(load_default=True)


class MigrationOutcomeSchema(Schema):
    case_number = fields.String(required=True)
    moved = fields.Boolean(required=True)
    possible = fields.Boolean(required=True)
    reason = fields.String(allow_none=True, required=True)


class MigrationResult(Schema):
    dry_run = fields.Boolean(required=True)
    cases = fields.List(fields.Nested(MigrationOutcomeSchema), required=True)


XML_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": BpmnBody},
        "application/xml": {"schema": {"type": "string", "maxLength": process_views.MAX_BPMN_BYTES}},
    },
}


def problem_dicts(problems: list[Any], xml: str = "") -> list[dict[str, Any]]:
    """The problems in the request's language (Accept-Language; English by default)."""
    names = process_views.element_names(xml, [p.element_id for p in problems]) if xml else {}
    say = problem_words.say
    with problem_words.in_api_language():
        return [
            {
                "line": p.line,
                "element_id": p.element_id,
                "element_name": names.get(p.element_id),
                "message": say(p.message),
                "hint": say(p.hint) if p.hint else None,
                "text": problem_words.problem_line(p),
            }
            for p in problems
        ]


def said(err: process_views.DiagramRejected) -> ProcessInvalid:
    """The refusal with each problem line in the request's language (Accept-Language)."""
    with problem_words.in_api_language():
        lines = [problem_words.problem_line(p) for p in err.problems]
    return ProcessInvalid(err.message, {"bpmn": lines})


def submitted_bpmn() -> str:
    """The diagram from an XML body or a JSON body ``{"bpmn": "..."}``."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("bpmn"), str):
            raise InvalidData('send JSON {"bpmn": "<the BPMN XML>"}', {"bpmn": ["a string is required"]})
        return process_views.decode_xml(body["bpmn"])
    if request.mimetype not in ("application/xml", "text/xml"):
        raise UnsupportedType(
            f"send the diagram as application/xml or as JSON, not {request.mimetype or 'no content type'}"
        )
    return process_views.decode_xml(request.get_data())


def submitted_decisions() -> dict[str, str]:
    """The edited decision tables of a JSON body (``{"dmn": {"<name>.dmn": "<XML>"}}``); none from XML."""
    body = request.get_json(silent=True) if request.is_json else None
    return process_views.decode_decisions(body.get("dmn") if isinstance(body, dict) else None)


def submitted_base() -> str | None:
    """The version hash the client's edit started from (JSON ``base`` or ``?base=``), if sent."""
    body = request.get_json(silent=True) if request.is_json else None
    base = body.get("base") if isinstance(body, dict) and "base" in body else request.args.get("base")
    if base is not None and not (isinstance(base, str) and re.fullmatch(r"[0-9a-f]{64}", base)):
        raise InvalidData("base must be a version hash (64 hex digits)", {"base": ["not a version hash"]})
    return base


def _editor_and_key(key: str) -> str:
    process_views.require_editor(require_user())
    return process_views.known_key(session(), key)


@blp.route("/processes/<string:key>/validate")
class ProcessValidate(MethodView):
    @blp.doc(security=AUTH, requestBody=XML_BODY)
    @blp.response(200, ValidationResult)
    @documented_errors(blp, 401, 403, 404, 413, 415, 422)
    def post(self, key: str) -> dict[str, Any]:
        """Check an edited diagram as the new `<key>.bpmn`, as `flask processes validate` does
        (with the processes it calls, its forms and groups). Analysts and administrators only.
        Nothing is stored."""
        key = _editor_and_key(key)
        xml = submitted_bpmn()
        problems = process_views.validate_xml(session(), key, xml, submitted_decisions())
        return {"valid": not problems, "problems": problem_dicts(problems, xml)}


@blp.route("/processes/<string:key>/versions")
class ProcessVersions(MethodView):
    @blp.doc(security=AUTH, requestBody=XML_BODY)
    @blp.response(201, DeployResult)
    @documented_errors(blp, 401, 403, 404, 409, 413, 415, 422)
    def post(self, key: str) -> Any:
        """Deploy an edited diagram and its edited decision tables (`dmn`): checked first (422 with
        every problem, nothing stored) among the deployed processes as the database holds them (no
        machine's files are read or written), then deployed; processes calling it or running an
        edited table get a new version too. `base` (JSON field or query parameter): the version hash
        the edit started from; when another version is current now, 409 naming it and nothing is
        deployed. The same diagram and tables as the current version give no new version
        (200, `created: false`). Analysts and administrators only."""
        key = _editor_and_key(key)
        user = require_user()
        try:
            outcome = process_views.deploy_xml(
                session(), user, key, submitted_bpmn(), submitted_decisions(), base=submitted_base()
            )
        except process_views.DiagramRejected as err:
            raise said(err) from err
        commit()
        body = {
            "key": key,
            "version": outcome.version.hash,
            "created": outcome.created,
            "callers": outcome.callers,
        }
        return body, 201 if outcome.created else 200


@blp.route("/processes/<string:key>/migrations")
class ProcessMigrations(MethodView):
    @blp.doc(
        security=AUTH,
        requestBody={"required": True, "content": {"application/json": {"schema": MigrationRequest}}},
    )
    @blp.response(200, MigrationResult)
    @documented_errors(blp, 401, 403, 404, 422)
    def post(self, key: str) -> dict[str, Any]:
        """Move the running cases of one version to another, case by case (`dry_run`, the default,
        only says which could move and why the others cannot). Analysts and administrators only."""
        key = _editor_and_key(key)
        try:
            args = MigrationRequest().load(request.get_json(silent=True) or {})
        except ValidationError as err:
            raise InvalidData("the migration request is not valid", _messages(err.messages)) from err
        try:
            outcomes = migrate_cases(
                session(), require_user(), key, args["from_version"], args["to_version"], args["dry_run"]
            )
        except PermitFlowError as err:
            if type(err) is PermitFlowError:  # a bad or ambiguous version names the field
                raise InvalidData(err.message, {"versions": [err.message]}) from err
            raise
        if not args["dry_run"]:
            commit()
        return {
            "dry_run": args["dry_run"],
            "cases": [
                {"case_number": o.case_number, "moved": o.moved, "possible": o.possible, "reason": o.reason}
                for o in outcomes
            ],
        }


def _messages(raw: Any) -> dict[str, list[str]]:
    if isinstance(raw, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in raw.items()}
    return {"_schema": [str(raw)]}


# ---------------------------------------------------------------- analysts: simulate, test


class SimulationResult(Schema):
    ok = fields.Boolean(required=True, metadata={"description": "no path breaks, every branch is taken"})
    paths = fields.Integer(required=True)
    branches = fields.Integer(required=True, metadata={"description": "outgoing flows of deciding gateways"})
    covered = fields.Integer(required=True, metadata={"description": "branches some simulated path took"})
    seconds = fields.Float(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class TestResultSchema(Schema):
    name = fields.String(required=True)
    file = fields.String(required=True, metadata={"description": "processes/tests/<key>.<name>.json"})
    passed = fields.Boolean(required=True)
    step = fields.Integer(allow_none=True, required=True, metadata={"description": "0: the start"})
    element_id = fields.String(allow_none=True, required=True)
    message = fields.String(required=True)


class TestRunResult(Schema):
    passed = fields.Boolean(required=True)
    tests = fields.List(fields.Nested(TestResultSchema), required=True)


def _edited_bundle(key: str) -> Any:
    """The submitted diagram as the new `<key>.bpmn`; 422 with its problems when it does not load."""
    edited = process_checks.load_edited(session(), key, submitted_bpmn(), submitted_decisions())
    if edited.bundle is None:
        raise said(process_views.DiagramRejected(edited.problems))
    return edited.bundle


@blp.route("/processes/<string:key>/simulate")
class ProcessSimulate(MethodView):
    @blp.doc(security=AUTH, requestBody=XML_BODY)
    @blp.response(200, SimulationResult)
    @documented_errors(blp, 401, 403, 404, 413, 415, 422)
    def post(self, key: str) -> dict[str, Any]:
        """Run an edited diagram in memory down every path through its gateways, as `flask
        processes simulate` does: paths ending in an engine error, waiting for ever or never
        ending, and branches no path takes, as problems. Nothing is stored. Analysts and
        administrators only; 422 when the diagram does not validate."""
        key = _editor_and_key(key)
        report = process_checks.simulate_bundle(session(), _edited_bundle(key))
        problems = process_checks.simulation_problems(report, f"processes/{key}.bpmn")
        return {
            "ok": report.ok,
            "paths": report.paths,
            "branches": len(report.branches),
            "covered": len(report.branches) - len(report.uncovered),
            "seconds": round(report.seconds, 3),
            "problems": problem_dicts(problems),
        }


@blp.route("/processes/<string:key>/test")
class ProcessTestRun(MethodView):
    @blp.doc(security=AUTH, requestBody=XML_BODY)
    @blp.response(200, TestRunResult)
    @documented_errors(blp, 401, 403, 404, 413, 415, 422)
    def post(self, key: str) -> dict[str, Any]:
        """Run the process tests (`processes/tests/<key>.<name>.json`) against an edited diagram,
        as `flask processes test` and every deploy do. Nothing is stored. Analysts and
        administrators only; 422 when the diagram does not validate."""
        key = _editor_and_key(key)
        db = session()
        outcomes = process_checks.run_tests(db, _edited_bundle(key), process_checks.processes_folder(db))
        with problem_words.in_api_language():
            messages = [problem_words.say(o.message) for o in outcomes]
        return {
            "passed": all(o.passed for o in outcomes),
            "tests": [
                {
                    "name": o.name,
                    "file": o.file,
                    "passed": o.passed,
                    "step": o.step,
                    "element_id": o.element_id,
                    "message": message,
                }
                for o, message in zip(outcomes, messages, strict=True)
            ],
        }
