"""What a case's status page shows: the clock and its stops, the holder (masked), the documents,
the open correction requests with their forms, and the complainant's rating form."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from app.models import Attachment, Case, User
from app.services import (
    attachments,
    case_comments,
    cases,
    complaint_view,
    complaints,
    pii,
    process_traits,
    processes,
    refusal_decision,
    tasks,
)
from app.services.case_access import CaseAccess, access_to_case
from app.services.case_view import CaseView, CorrectionRequest
from app.services.credit_code import mask_credit_code, mask_phone
from app.services.procedure_choices import applicant_choices

from . import common, schema_form
from .display import group_name
from .i18n import current_language, pick
from .procedure_labels import RATING_LEVELS, rating_level, suspension_reason
from .track_access import granted, may_rate

ATTACHMENTS_KEY = attachments.REFERENCES  # a form's object of typed attachments: kind -> id


def _limit_days(limit: str | None) -> int | None:
    match = re.fullmatch(r"(\d+)wd", limit or "")
    return int(match.group(1)) if match else None


def _pauses(view: CaseView) -> list[dict[str, Any]]:
    """The clock stops, each with its reason (the name of the step that stopped it) in the page's
    language."""
    codes = set(common.settings().suspension_reasons.split(","))
    return [
        {
            "from": p.started_at,
            "to": p.ended_at,
            # A suspension (挂起) stores its reason code, not a step's name.
            "reason": suspension_reason(p.reason) if p.reason in codes else pick(p, "reason"),
        }
        for p in view.clock.pauses
    ]


def _holder(case: Case) -> dict[str, Any] | None:
    """Who applied, as public pages may show it: companies by name, codes and phones masked."""
    if case.applicant_id is None:
        return None
    applicant = common.session().get(User, case.applicant_id)
    if applicant is None or not applicant.company_name:
        return None
    return {
        "name": applicant.company_name,
        "credit_code": mask_credit_code(applicant.credit_code),
        "phone": mask_phone(pii.phone_of(common.session(), applicant)),
    }


def _attachment_kinds(schema: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The typed attachments a form asks for: (kind, title) from its `attachments` object."""
    props = ((schema or {}).get("properties") or {}).get(ATTACHMENTS_KEY) or {}
    return [(kind, pick(sub, "title") or kind) for kind, sub in (props.get("properties") or {}).items()]


def attachment_choices(fields: list[schema_form.Field], uploaded: list[Attachment]) -> None:
    """Turn the form's attachment-id inputs into choices among the files uploaded to the case."""
    for group in fields:
        if group.kind != "group" or group.path != ATTACHMENTS_KEY:
            continue
        # One note for the whole group (the schema's own description speaks of ids, not files).
        group.help = gettext("Upload the files under “Documents” below first, then choose each one here.")
        for child in group.children:
            kind = child.path.rsplit(".", 1)[-1]
            files = [a for a in uploaded if a.kind == kind] or list(uploaded)
            child.kind = "select"
            child.help = ""
            child.options = [(a.uid, f"{a.filename} · {a.created_at:%Y-%m-%d}") for a in reversed(files)]
            child.values = {a.uid: a.uid for a in files}


def _request_forms(case: Case, user: User, requests: list[CorrectionRequest]) -> list[dict[str, Any]]:
    """Each open correction request with the form that answers it (from its JSON Schema)."""
    db = common.session()
    uploaded = attachments.case_attachments(db, case)
    out = []
    for item in requests:
        detail = tasks.task_detail(db, user, item.task_id)
        fields = schema_form.build_fields(detail.form.schema)
        attachment_choices(fields, uploaded)
        out.append(
            {
                **asdict(item),
                "fields": fields,
                "schema": detail.form.schema,
                "kinds": _attachment_kinds(detail.form.schema),
                "labels": schema_form.labels(fields),
            }
        )
    return out


def _upload_kinds(version: Any, requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The kinds of document to offer: those the open requests ask for, else the start form's."""
    kinds: list[tuple[str, str]] = []
    for item in requests:
        kinds += [k for k in item["kinds"] if k not in kinds]
    if not kinds:
        start_form = processes.form_schema(version, (version.meta.get("start") or {}).get("form"))
        kinds = _attachment_kinds(start_form)
    return kinds


def _groups_now(view: CaseView) -> str:
    """The groups working on the case now, by name, in the page's language."""
    slugs = {step.group for step in view.timeline if step.state == "open" and step.group}
    return ("、" if current_language() != "en" else ", ").join(group_name(slug) for slug in sorted(slugs))


def _answer(view: CaseView) -> str | None:
    """A complaint's answer: the last note a step wrote."""
    return next((step.note for step in reversed(view.timeline) if step.note), None)


def render_status(
    case: Case,
    user: User | None,
    *,
    status: int = 200,
    answering: int | None = None,
    values: Any = None,
    errors: dict[str, list[str]] | None = None,
    general_errors: list[str] | None = None,
    upload_error: str | None = None,
    rating_values: Any = None,
    rating_errors: dict[str, list[str]] | None = None,
    procedure_error: str | None = None,
) -> ResponseReturnValue:
    """The status page of ``case`` as ``user`` (None: a browser that proved the query code) sees it."""
    db = common.session()
    view = cases.public_view(db, case, with_data=False)
    traits = process_traits.of_case(db, case)
    if traits.complaint:
        # The complainant's one task is the rating, shown as such (not as a correction request).
        view = view.without_requests()
    version = processes.version_by_id(db, case.process_version_id)
    access = access_to_case(db, case, user)
    is_applicant, can_upload = access.applicant, access.upload
    requests = _request_forms(case, user, view.requests) if is_applicant and user else []
    kinds = _upload_kinds(version, requests)
    pauses = _pauses(view)
    context = {
        "case": case,
        "view": view,
        "version": version,
        "is_applicant": is_applicant,
        "is_staff": access.staff,
        "holder": _holder(case),
        "limit_days": _limit_days(view.clock.limit),
        "pauses": pauses,
        "requests": requests,
        "answering": answering,
        "values": values or {},
        "errors": errors or {},
        "general_errors": general_errors or [],
        "attachments": attachments.case_attachments(db, case) if (is_applicant or can_upload) else [],
        "can_upload": can_upload,
        "upload_kinds": kinds,
        "upload_error": upload_error,
        "rating": rating_form(case, user),
        # Complaint-style processes (BPMN property case_kind): the complainant's wording and answer.
        "is_complaint": traits.complaint,
        "answer": _answer(view) if traits.complaint else None,
        "rating_values": rating_values or {},
        "rating_errors": rating_errors or {},
        "max_upload_mb": max(1, common.settings().max_upload_bytes // (1024 * 1024)),
        "kind_titles": {**dict(kinds), "other": gettext("Other document")},
        "groups_now": _groups_now(view),
        **_procedure_context(db, case, user, view, pauses, complaint=traits.complaint),
        "procedure_error": procedure_error,
        **complaint_context(db, case, access, complaint=traits.complaint),
    }
    return render_template("track.html", **context), status


def _procedure_context(
    db: Any, case: Case, user: User | None, view: CaseView, pauses: list[dict[str, Any]], *, complaint: bool
) -> dict[str, Any]:
    """What the page shows of comments and procedures (撤回, 好差评, 催办, 挂起, refusal decision)."""
    return {
        # Shared comments (templates/track_comments.html): for the applicant and staff only, never
        # for a browser that only proved the query code.
        "shared_comments": case_comments.shared_comments(db, case)
        if case_comments.comment_rights(db, user, case).read_shared
        else [],
        # 撤回, 好差评, 催办: the same answer the step path acts on (complaints keep their own rating).
        "choices": applicant_choices(db, case, user, rating_allowed=not complaint),
        "refusal": refusal_decision.refusal_of(db, case),
        "rating_levels": RATING_LEVELS,
        "rating_level": rating_level,
        "suspension": next((p for p in reversed(pauses) if p["to"] is None), None)
        if view.suspended
        else None,
    }


def rating_form(case: Case, user: User | None) -> dict[str, Any] | None:
    """The rating form of a complaint waiting for this viewer's rating, else None."""
    if not may_rate(case, user):
        return None
    db = common.session()
    task = complaints.rating_task(db, case)
    if task is None:
        return None
    fields = schema_form.build_fields(complaints.rating_schema(db, task))
    return {"task": task, "fields": fields, "answer": (task.context or {}).get("note")}


def complaint_context(db: Any, case: Case, access: CaseAccess, *, complaint: bool) -> dict[str, Any]:
    """The template's `filed` (None when not shown) and `handling_due`."""
    if not complaint:
        return {"filed": None, "handling_due": None}
    shown = complaint_view.may_see_filed(access, complaint=True, code_proved=granted(case))
    return {
        "filed": complaint_view.filed_complaint(db, case) if shown else None,
        "handling_due": complaint_view.handling_due(db, case) if not case.status.is_final else None,
    }
