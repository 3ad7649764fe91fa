"""Comments on a case: internal among the staff working on it, or shared with the applicant (and then
shown on the status page). A comment adds to the case's record; it changes neither its workflow,
its status nor its tasks, so it does not go through the step path, but it is audited like a step.

Who may do what is decided here for the API and the pages (`comment_rights`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, InvalidData, NotFound
from app.models import Case, CaseComment, CommentVisibility, HumanTask, User

from . import audit
from .gateway import APPLICANT_GROUP
from .task_access import escalated_from, group_slugs

MAX_TEXT = 2000


@dataclass(frozen=True)
class CommentView:
    """A comment as the API (`items`) and the pages show it."""

    id: int
    author: str | None  # login name (None: a deleted account)
    author_name: str | None  # display name, for the pages
    group: str | None
    text: str
    visibility: CommentVisibility
    created_at: datetime


@dataclass(frozen=True)
class CommentRights:
    """What one user may do with the comments of one case."""

    read_internal: bool  # staff see every comment; the applicant only the shared ones
    read_shared: bool
    write: bool
    write_internal: bool  # staff only: the applicant's comments are always shared


def _case_groups(session: Session, case: Case) -> set[str]:
    """The staff groups that had a task on the case, open or done."""
    stmt = select(HumanTask.candidate_group).where(HumanTask.case_id == case.id).distinct()
    return {g for g in session.scalars(stmt) if g and g != APPLICANT_GROUP}


def comment_rights(session: Session, user: User | None, case: Case) -> CommentRights:
    """Staff read every comment; staff of a group with a task on the case (members and supervisors),
    the bureau's leaders and admins write; the applicant reads the shared ones and writes shared."""
    if user is None or not user.is_active:
        return CommentRights(False, False, False, False)
    if user.is_staff:
        works = bool(_case_groups(session, case) & set(group_slugs(user)))
        writes = works or user.has_role("admin") or bool(escalated_from(session, user))
        return CommentRights(True, True, writes, writes)
    applicant = case.applicant_id is not None and case.applicant_id == user.id
    return CommentRights(False, applicant, applicant, False)


def list_comments(session: Session, user: User | None, case: Case) -> list[CommentView]:
    """The comments ``user`` may read, oldest first."""
    rights = comment_rights(session, user, case)
    if not rights.read_shared:
        # As for the case itself: whoever may not see it learns nothing, not even that it exists.
        raise NotFound("no case with this number and query code")
    stmt = select(CaseComment, User).outerjoin(User, User.id == CaseComment.author_id)
    stmt = stmt.where(CaseComment.case_id == case.id)
    if not rights.read_internal:
        stmt = stmt.where(CaseComment.visibility == CommentVisibility.SHARED)
    rows = session.execute(stmt.order_by(CaseComment.created_at, CaseComment.id)).tuples()
    return [_view(comment, author) for comment, author in rows]


def shared_comments(session: Session, case: Case) -> list[CommentView]:
    """The comments shared with the applicant (the status page shows them to those who see it)."""
    stmt = (
        select(CaseComment, User)
        .outerjoin(User, User.id == CaseComment.author_id)
        .where(CaseComment.case_id == case.id, CaseComment.visibility == CommentVisibility.SHARED)
        .order_by(CaseComment.created_at, CaseComment.id)
    )
    return [_view(comment, author) for comment, author in session.execute(stmt).tuples()]


def add_comment(session: Session, user: User, case: Case, text: str, visibility: str | None) -> CommentView:
    """Add a comment; refused (nothing stored) when the user may not write or the text is unusable."""
    rights = comment_rights(session, user, case)
    if not rights.read_shared:
        raise NotFound("no case with this number and query code")
    if not rights.write:
        raise Forbidden("only staff working on the case, supervisors and its applicant may comment")
    cleaned = (text or "").replace("\x00", "").strip()
    if not cleaned or len(cleaned) > MAX_TEXT:
        message = "write the comment" if not cleaned else f"a comment has at most {MAX_TEXT} characters"
        raise InvalidData(message, {"text": [message]})
    try:
        chosen = CommentVisibility(visibility or CommentVisibility.INTERNAL.value)
    except ValueError:
        raise InvalidData(
            "visibility is internal or shared", {"visibility": ["internal or shared"]}
        ) from None
    if not rights.write_internal:
        chosen = CommentVisibility.SHARED  # the applicant's comments are for the staff and itself
    groups = sorted(_case_groups(session, case) & set(group_slugs(user)))
    comment = CaseComment(
        case_id=case.id,
        author_id=user.id,
        group=groups[0] if groups else None,
        text=cleaned,
        visibility=chosen,
        created_at=clock.now(),
    )
    session.add(comment)
    session.flush()
    audit.record(
        session,
        "case.commented",
        actor=user,
        case=case,
        detail={"comment_id": comment.id, "visibility": chosen.value},
    )
    return _view(comment, user)


def _view(comment: CaseComment, author: User | None) -> CommentView:
    return CommentView(
        id=comment.id,
        author=author.username if author else None,
        author_name=author.display_name if author else None,
        group=comment.group,
        text=comment.text,
        visibility=comment.visibility,
        created_at=comment.created_at,
    )
