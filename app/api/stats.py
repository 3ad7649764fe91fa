"""Statistics (统计): the bureau's figures per process, step and agency group, as JSON or CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.services import stats, stats_access
from app.services.stats_csv import csv_export

from .common import AUTH, documented_errors, require_user, session

blp = Blueprint("stats", __name__, description="Statistics (leaders, supervisors, admins, auditors)")

# Dates far outside any case's life are refused rather than overflowing the calendar arithmetic.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


def _date_field(name: str, description: str) -> fields.Date:
    return fields.Date(
        data_key=name,
        validate=validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": description},
    )


class StatsArgs(Schema):
    process = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "process key"})
    group = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "group slug"})
    # `from` is a Python keyword: the attributes are start/end, the query names from/to.
    start = _date_field("from", "first day of the period (local date, included)")
    end = _date_field("to", "last day of the period (local date, included)")
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

    @validates_schema
    def _period(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("must not be after `to`", "from")


class _TaskFigures(Schema):
    tasks_completed = fields.Integer(required=True)
    average_working_days = fields.Float(allow_none=True, required=True)
    p90_working_days = fields.Integer(allow_none=True, required=True)
    on_time_rate = fields.Float(allow_none=True, required=True, metadata={"description": "0..1"})
    overdue = fields.Integer(required=True)
    escalated = fields.Integer(required=True)


class StepStatsSchema(_TaskFigures):
    process = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)


class GroupStatsSchema(_TaskFigures):
    group = fields.String(allow_none=True, required=True)


class ProcessStatsSchema(Schema):
    process = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    name_en = fields.String(allow_none=True, required=True)
    cases_received = fields.Integer(required=True)
    cases_completed = fields.Integer(required=True)
    cases_approved = fields.Integer(required=True)
    cases_rejected = fields.Integer(required=True)
    case_average_working_days = fields.Float(allow_none=True, required=True)
    case_p90_working_days = fields.Integer(allow_none=True, required=True)
    case_on_time_rate = fields.Float(
        allow_none=True,
        required=True,
        metadata={"description": "completed cases within their statutory limit (0..1)"},
    )
    tasks_completed = fields.Integer(required=True)
    on_time_rate = fields.Float(allow_none=True, required=True)
    overdue = fields.Integer(required=True)
    escalated = fields.Integer(required=True)
    complaint_answer_working_days = fields.Float(allow_none=True, required=True)
    complaint_satisfaction = fields.Float(allow_none=True, required=True)
    service_ratings = fields.Integer(required=True, metadata={"description": "好差评 given in the period"})
    service_rating_average = fields.Float(
        allow_none=True, required=True, metadata={"description": "5 非常满意 … 1 非常不满意"}
    )
    poor_ratings = fields.Integer(
        required=True, metadata={"description": "差评 (levels 1–2), each followed up"}
    )
    poor_ratings_answered = fields.Integer(required=True, metadata={"description": "of which replied"})


class TotalsSchema(ProcessStatsSchema):
    open_tasks = fields.Integer(required=True)
    overdue_now = fields.Integer(required=True, metadata={"description": "open tasks past their due time"})
    escalated_now = fields.Integer(required=True)
    cases_overdue_now = fields.Integer(
        required=True,
        metadata={"description": "running cases past their overall statutory limit (stops excluded)"},
    )


class StatsReportSchema(Schema):
    start = fields.Date(allow_none=True, required=True, data_key="from")
    end = fields.Date(allow_none=True, required=True, data_key="to")
    process = fields.String(allow_none=True, required=True)
    group = fields.String(allow_none=True, required=True)
    generated_at = fields.DateTime(required=True)
    processes = fields.List(fields.Nested(ProcessStatsSchema), required=True)
    steps = fields.List(fields.Nested(StepStatsSchema), required=True)
    groups = fields.List(fields.Nested(GroupStatsSchema), required=True)
    totals = fields.Nested(TotalsSchema, required=True)


def _filename(report: stats.StatsReport) -> str:
    parts = ["permitflow-stats"]
    parts += [report.process] if report.process else []
    parts += [report.group] if report.group else []
    parts += [report.start.isoformat() if report.start else "start"] if report.start or report.end else []
    parts += [report.end.isoformat() if report.end else "now"] if report.start or report.end else []
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in "_".join(parts))
    return f"{safe}.csv"


@blp.route("/stats")
class Statistics(MethodView):
    @blp.arguments(StatsArgs, location="query")
    @blp.response(200, StatsReportSchema)
    @blp.doc(
        security=AUTH,
        responses={
            200: {
                "content": {
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "`format=csv`: UTF-8 with BOM, headers in Chinese and English",
                        }
                    }
                }
            }
        },
    )
    @documented_errors(blp, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """The bureau's statistics: per process, step and agency group.

        For the bureau's leaders, supervisors of any group, admins and auditors (others: 403).

        Query: `process`, `group`, `from` and `to` (local dates, both included) and `format`
        (`json` or `csv`). Times are whole working days (holidays excluded, make-up working days
        included, counted from the day after the start; a case's clock stops are not counted);
        the 90th percentile is the nearest-rank value.
        """
        stats_access.check_stats_access(require_user())
        report = stats.bureau_stats(
            session(),
            process=args.get("process"),
            group=args.get("group"),
            start=args.get("start"),
            end=args.get("end"),
        )
        if args["format"] == "csv":
            response = Response("\ufeff" + csv_export(report), mimetype="text/csv")
            response.headers["Content-Disposition"] = f'attachment; filename="{_filename(report)}"'
            response.headers["Cache-Control"] = "private, no-store"
            return response
        return report
