"""Marshmallow schemas of the API's requests and responses (they generate the OpenAPI)."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, post_dump, validate

from app.services.calendar import SlaState
from app.services.case_view import CaseView as CaseViewModel
from app.services.tasks import MAX_PER_PAGE, InboxScope, InboxSort


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class ProcessSummary(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "content hash of the version"})
    public = fields.Boolean(required=True, metadata={"description": "startable without an account"})
    start_form = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of the start form"})


class VersionSummary(Schema):
    hash = fields.String(required=True)
    deployed_at = fields.DateTime(required=True)
    is_current = fields.Boolean(required=True)
    running_cases = fields.Integer(required=True)


class TaskCount(Schema):
    waiting = fields.Integer(required=True)
    overdue = fields.Integer(required=True)


class ProcessDetail(ProcessSummary):
    versions = fields.List(fields.Nested(VersionSummary), required=True)
    bpmn_xml = fields.String(required=True)
    forms = fields.Dict(keys=fields.String(), values=fields.Dict())
    decisions = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "the DMN decision tables of the current version: `<name>.dmn` → XML"},
    )
    tasks = fields.Dict(keys=fields.String(), values=fields.Nested(TaskCount))


class CaseCreate(Schema):
    process = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(required=True, keys=fields.String())


class CaseLinks(Schema):
    self = fields.String(required=True)
    status_page = fields.String(required=True)


class CaseCreated(Schema):
    number = fields.String(required=True)
    query_code = fields.String(required=True, metadata={"description": "shown once: keep it"})
    status = fields.String(required=True)
    links = fields.Nested(CaseLinks, required=True)


class TimelineStep(Schema):
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    group = fields.String(allow_none=True)
    state = fields.String(required=True)
    started_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_title = fields.String(allow_none=True, metadata={"description": "the form's name of the choice"})
    outcome_title_en = fields.String(allow_none=True)
    sla = fields.String(required=True)
    # A remark on the step from the process (e.g. 责令停工整改 when a major hazard stops the work).
    note = fields.String(allow_none=True)


class CaseRequest(Schema):
    task_id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True)
    due_at = fields.DateTime(allow_none=True)
    items = fields.List(fields.Raw())


class ClockPause(Schema):
    start = fields.DateTime(data_key="from", attribute="started_at")
    to = fields.DateTime(allow_none=True, attribute="ended_at")
    reason = fields.String()


class CaseClock(Schema):
    working_days_used = fields.Integer(required=True)
    limit = fields.String(allow_none=True)
    paused = fields.Boolean(required=True)
    pauses = fields.List(fields.Nested(ClockPause))


class DocumentLink(Schema):
    name = fields.String(required=True)
    name_en = fields.String()
    number = fields.String(required=True, metadata={"description": "the certificate number"})
    url = fields.String(required=True, metadata={"description": "the PDF: the applicant and staff only"})
    verify_url = fields.String(metadata={"description": "the public verification page (the QR code)"})
    issued_at = fields.DateTime()
    valid_until = fields.Date()
    status = fields.String(metadata={"description": "valid, expired or revoked"})


class RatingLink(Schema):
    level = fields.Integer(required=True, metadata={"description": "5 非常满意 … 1 非常不满意"})
    comment = fields.String(allow_none=True)
    rated_at = fields.DateTime(required=True)
    reply = fields.String(allow_none=True, metadata={"description": "the follow-up's reply to a poor rating"})
    replied_at = fields.DateTime(allow_none=True)


class CaseView(Schema):
    number = fields.String(required=True)
    process = fields.String(required=True)
    process_name = fields.String()
    process_name_en = fields.String()
    status = fields.String(required=True)
    stage = fields.String(allow_none=True)
    stage_en = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True)
    submitted_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    clock = fields.Nested(CaseClock, required=True)
    sla = fields.String(required=True)
    timeline = fields.List(fields.Nested(TimelineStep), required=True)
    requests = fields.List(fields.Nested(CaseRequest), required=True)
    documents = fields.List(fields.Nested(DocumentLink), required=True)
    data = fields.Dict(metadata={"description": "staff and the applicant only"})
    suspended = fields.Boolean(required=True, metadata={"description": "挂起: the clock is stopped by staff"})
    overrun = fields.Boolean(
        required=True,
        metadata={"description": "past its overall statutory limit (stops excluded)"},
    )
    rating = fields.Nested(RatingLink, allow_none=True, metadata={"description": "好差评, once finished"})

    @post_dump(pass_original=True)
    def _without_hidden_data(self, dumped: dict[str, Any], view: CaseViewModel, **_: Any) -> dict[str, Any]:
        # Absent, not null, for viewers who may not see the data (a query code shows the status only).
        if view.data is None:
            dumped.pop("data", None)
        return dumped


class CaseQuery(Schema):
    code = fields.String(validate=validate.Length(max=40), metadata={"description": "query code"})


STRING = {"type": "string"}


class TaskListArgs(Schema):
    # Parsed into the enums here; `type` keeps the OpenAPI saying they are strings.
    scope = fields.Enum(InboxScope, by_value=True, load_default=InboxScope.GROUP, metadata=STRING)
    process = fields.String(validate=validate.Length(max=64))
    sla = fields.Enum(SlaState, by_value=True, metadata=STRING)
    q = fields.String(validate=validate.Length(max=100))
    sort = fields.Enum(InboxSort, by_value=True, load_default=InboxSort.DUE_AT, metadata=STRING)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class SignerItem(Schema):
    """One signer of a 会签 / 或签 round (dumped from `signing_view.Signer`)."""

    task_id = fields.Integer(required=True)
    group = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    role_en = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"description": "open, completed or cancelled"})
    user = fields.String(
        allow_none=True, attribute="username", metadata={"description": "who signed, or holds the task"}
    )
    decision = fields.String(allow_none=True, metadata={"description": "approve / reject once signed"})
    completed_at = fields.DateTime(allow_none=True)


class SigningItem(Schema):
    """The 会签 / 或签 round a task is a signature of, as the task page shows it."""

    rule = fields.String(required=True, metadata={"description": "all (会签), any (或签) or a share"})
    total = fields.Integer(required=True, metadata={"description": "signers in the round"})
    signed = fields.Integer(required=True, metadata={"description": "how many have signed"})
    finished = fields.Boolean(required=True, metadata={"description": "no signature is open any more"})
    signers = fields.List(fields.Nested(SignerItem), required=True)


class TaskItem(Schema):
    """Dumped from a `TaskSummary` (the task row, its SLA state, its assignee and, for a signature
    of a co-signing round, the round's progress)."""

    id = fields.Integer(required=True, attribute="task.id")
    name = fields.String(required=True, attribute="task.name")
    name_en = fields.String(required=True, attribute="task.name_en")
    case_number = fields.String(required=True, attribute="task.case_number")
    process = fields.String(required=True, attribute="task.process_key")
    project_name = fields.String(allow_none=True, attribute="task.project_name")
    group = fields.String(allow_none=True, attribute="task.candidate_group")
    assignee = fields.String(allow_none=True, attribute="assignee_username")
    created_at = fields.DateTime(required=True, attribute="task.created_at")
    due_at = fields.DateTime(allow_none=True, attribute="task.due_at")
    sla = fields.String(required=True)
    escalation_level = fields.Integer(required=True, attribute="task.escalation_level")
    state = fields.String(required=True, attribute="task.state")
    signing = fields.Nested(
        SigningItem,
        allow_none=True,
        metadata={"description": "会签 / 或签: the round this task is a signature of; null for other tasks"},
    )


class TaskList(Schema):
    items = fields.List(fields.Nested(TaskItem), required=True)
    total = fields.Integer(
        required=True, metadata={"description": "matching tasks, counted up to 10,000 (see total_exact)"}
    )
    total_exact = fields.Boolean(
        required=True, metadata={"description": "false: more than `total` tasks match; narrow the filters"}
    )
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TaskForm(Schema):
    name = fields.String(allow_none=True)
    schema = fields.Dict(allow_none=True)
    ui_schema = fields.Dict(allow_none=True)


class CreditDeduction(Schema):
    points = fields.Integer(required=True, metadata={"description": "points deducted (a positive number)"})
    reason = fields.String(required=True, metadata={"description": "why, e.g. the case that caused it"})
    at = fields.DateTime(required=True, metadata={"description": "when the points were deducted"})


class TaskCase(Schema):
    number = fields.String(required=True)
    status = fields.String(required=True)
    stage = fields.String(allow_none=True)
    submitted_at = fields.DateTime(required=True)
    project_name = fields.String(allow_none=True)


class TaskComment(Schema):
    text = fields.String(required=True)
    author = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    visibility = fields.String()
    created_at = fields.DateTime()


class TaskAttachment(Schema):
    id = fields.String(required=True, metadata={"description": "refer to the file by this id in form data"})
    kind = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)


class TaskDetail(Schema):
    task = fields.Nested(TaskItem, required=True, attribute="summary")
    form = fields.Nested(TaskForm, required=True)
    case = fields.Nested(TaskCase, required=True)
    data = fields.Dict(required=True)
    comments = fields.List(fields.Nested(TaskComment), required=True)
    attachments = fields.List(fields.Nested(TaskAttachment), required=True)
    credit_score = fields.Integer(
        allow_none=True,
        metadata={"description": "the applicant company's credit score (100 plus its records); null if none"},
    )
    credit_deductions = fields.List(
        fields.Nested(CreditDeduction),
        required=True,
        metadata={"description": "the same company's latest deductions, newest first (at most 5)"},
    )


class CompleteRequest(Schema):
    data = fields.Dict(required=True, keys=fields.String())


class CompleteResponse(Schema):
    case_number = fields.String(required=True)
    status = fields.String(required=True)
    stage = fields.String(allow_none=True)
    stage_en = fields.String(allow_none=True)


class AttachmentForm(Schema):
    kind = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[a-z][a-z0-9_]*$")],
        metadata={"description": "what the document is, e.g. `construction_contract`"},
    )


class AttachmentUpload(Schema):
    file = Upload(required=True, metadata={"description": "PDF, JPEG or PNG"})


class AttachmentLinks(Schema):
    download = fields.String(required=True)


class AttachmentCreated(Schema):
    id = fields.String(required=True, metadata={"description": "refer to the file by this id in form data"})
    kind = fields.String(required=True)
    filename = fields.String(required=True, metadata={"description": "the uploaded name, without any path"})
    content_type = fields.String(required=True, metadata={"description": "detected from the content"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    links = fields.Nested(AttachmentLinks, required=True)


class VerifiedHolder(Schema):
    name = fields.String(required=True)
    credit_code = fields.String(
        allow_none=True, metadata={"description": "unified social credit code, last 6 characters masked"}
    )


class VerifiedProject(Schema):
    name = fields.String(required=True)
    code = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    floor_area = fields.Float(allow_none=True, metadata={"description": "m²"})
    investment = fields.Float(allow_none=True, metadata={"description": "10,000 CNY (万元)"})


class Verification(Schema):
    genuine = fields.Boolean(required=True)
    number = fields.String(required=True)
    kind = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    holder = fields.Nested(VerifiedHolder, allow_none=True)
    project = fields.Nested(VerifiedProject, allow_none=True)
    issuer = fields.String(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    status = fields.String(
        allow_none=True,
        validate=validate.OneOf(["valid", "expired", "revoked"]),
        metadata={"description": "null when not genuine"},
    )
