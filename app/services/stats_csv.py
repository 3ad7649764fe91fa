"""The bureau's statistics as one CSV table (Excel opens it), the same from the API and the dashboard."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from app.services import stats

# The CSV columns: (header in Chinese / English, key of the value in a row).
CSV_COLUMNS: list[tuple[str, str]] = [
    ("层级 / Level", "level"),
    ("流程 / Process", "process"),
    ("环节 / Step", "step"),
    ("部门 / Group", "group"),
    ("办件数 / Cases received", "cases_received"),
    ("办结数 / Cases completed", "cases_completed"),
    ("准予数 / Approved", "cases_approved"),
    ("不予数 / Rejected", "cases_rejected"),
    ("办结任务数 / Tasks completed", "tasks_completed"),
    ("平均用时（工作日） / Average working days", "average"),
    ("90%用时（工作日） / 90th percentile working days", "p90"),
    ("按时率 / On-time rate", "on_time_rate"),
    ("逾期数 / Overdue", "overdue"),
    ("督办数 / Escalated", "escalated"),
    ("投诉答复平均用时（工作日） / Complaint answer working days", "complaint_answer_working_days"),
    ("满意率 / Satisfaction", "complaint_satisfaction"),
    ("好差评数 / Service ratings", "service_ratings"),
    ("好差评平均等级 / Average rating (5 = very satisfied)", "service_rating_average"),
    ("差评数 / Poor ratings", "poor_ratings"),
    ("差评已回访 / Poor ratings answered", "poor_ratings_answered"),
]


def _csv_rows(report: stats.StatsReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for p in report.processes:
        rows.append(
            {
                **asdict(p),
                "level": "流程 / process",
                "process": p.process + (f" {p.name}" if p.name else ""),
                "average": p.case_average_working_days,
                "p90": p.case_p90_working_days,
            }
        )
    for s in report.steps:
        rows.append(
            {
                **asdict(s),
                "level": "环节 / step",
                "step": f"{s.bpmn_id} {s.name} / {s.name_en}",
                "average": s.average_working_days,
                "p90": s.p90_working_days,
            }
        )
    for g in report.groups:
        rows.append(
            {
                **asdict(g),
                "level": "部门 / group",
                "process": "",
                "group": g.group or "",
                "average": g.average_working_days,
                "p90": g.p90_working_days,
            }
        )
    return rows


def csv_export(report: stats.StatsReport) -> str:
    """The report as one CSV table: processes (case figures), then steps, then groups."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in CSV_COLUMNS])
    for row in _csv_rows(report):
        writer.writerow(["" if row.get(key) is None else row.get(key) for _, key in CSV_COLUMNS])
    return out.getvalue()
