"""Processes: what can be started, and (for staff) their versions and live counts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.errors import Forbidden
from app.services import processes, stats

from .common import AUTH, documented_errors, require_user, session
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
            "tasks": stats.open_tasks_by_step(db, key),
        }
