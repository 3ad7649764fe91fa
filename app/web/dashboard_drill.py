"""The dashboard's drill-down (on the blueprint `dashboard`): every tile and chart bar links to the
list of cases or tasks behind its figure, with the same filters (services/stats_drill.py)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.services import stats_drill
from app.services.stats_drill import Metric

from . import common
from .auth import current_user, login_required
from .dashboard import _choices, bp, can_see_dashboard, group_label, read_filters
from .dashboard_map import district_names
from .errors import error_page
from .i18n import pick


def metric_titles() -> dict[Metric, str]:
    """What each list is, in the page's language."""
    return {
        Metric.CASES_RECEIVED: gettext("Cases received"),
        Metric.CASES_COMPLETED: gettext("Cases completed"),
        Metric.CASES_APPROVED: gettext("Approved"),
        Metric.CASES_REJECTED: gettext("Rejected"),
        Metric.TASKS_COMPLETED: gettext("Tasks completed"),
        Metric.OVERDUE: gettext("Overdue"),
        Metric.ESCALATED: gettext("Escalated"),
        Metric.OPEN_TASKS: gettext("Open tasks"),
        Metric.OVERDUE_NOW: gettext("Overdue now"),
        Metric.CASES_OPEN: gettext("Open cases"),
        Metric.CASES_OPEN_ORDERS: gettext("Open rectification orders"),
    }


@bp.route("/dashboard/list")
@login_required
def drill_down() -> ResponseReturnValue:
    """The cases or tasks behind one figure of the dashboard."""
    user = current_user()
    if not can_see_dashboard(user):
        abort(403)
    versions, groups = _choices()
    filters = read_filters(request.args, {v.key for v in versions}, {g.slug for g in groups})
    problems = list(filters.errors.values())
    try:
        metric = Metric(request.args.get("metric", ""))
    except ValueError:
        problems.insert(0, gettext("There is no such figure."))
    if problems:
        return error_page(400, gettext("This list cannot be shown"), " ".join(problems))
    step = common.no_nul(request.args.get("step") or "")[:200] or None
    district = common.no_nul(request.args.get("district") or "")[:100] or None
    chosen = stats_drill.DrillFilters(
        filters.process, filters.group, filters.start, filters.end, step, district
    )
    found = stats_drill.drill_down(common.session(), user, metric, chosen)
    names = {v.key: pick(v) for v in versions}
    return render_template(
        "dashboard_list.html",
        found=found,
        title=metric_titles()[metric],
        filters=filters,
        step=step,
        district=district_names().get(district or "", district),
        names=names,
        group_label=group_label,
        back=url_for("dashboard.dashboard", **filters.args()),
        limit=stats_drill.LIMIT,
    )
