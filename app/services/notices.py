"""Notices (通知公告 / 政策法规 / 监督动态): what the public sees of the notices a review process
published.

A process publishes a notice when it declares the process property ``notice`` (the data key holding
``{title, body, kind, level, business}``; shipped: ``notice_publication``): its case, once finished
``approved``, is a published notice dated at its completion; its files are the start form's ``files``
rows (``{name, file}``). Whether, when and after whose approval it is published is the BPMN's
business, not this module's. A published notice is withdrawn with a reason through the step path
(the withholding of a publication, audited); a withdrawn or unfinished one is a 404 publicly.
The body is Markdown rendered with raw HTML off and sanitized again (nh3), so no script, no
``javascript:`` link and no markup of the author's reaches a reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.errors import Forbidden, InvalidData, NotFound
from app.models import Case, CaseStatus, User

from . import attachments, disclosure, processes, steps

KINDS = ("notice", "policy", "supervision")
LEVELS = ("national", "local")
BUSINESSES = ("safety", "quality")
PER_PAGE = 20
MAX_PAGE = 10_000
MAX_QUERY = 100
TAGS = {"p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em", "a", "code",
        "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "del"}  # fmt: skip
_MARKDOWN = (
    MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
)


@dataclass(frozen=True)
class NoticeFile:
    uid: str
    name: str


@dataclass(frozen=True)
class PublishedNotice:
    number: str
    title: str
    kind: str
    level: str
    business: str
    body: str  # Markdown as written
    published_at: datetime
    files: list[NoticeFile]

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)


def render_markdown(text: str) -> str:
    """Safe HTML of a Markdown text: no raw HTML, only plain tags, links http(s)/mailto only."""
    html = _MARKDOWN.render(text)
    return nh3.clean(
        html, tags=TAGS, attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"}
    )


def notice_keys(session: Session) -> dict[str, str]:
    """Process key → the data key of the notice its approved cases publish."""
    found = {}
    for version in processes.current_versions(session):
        key = ((version.meta or {}).get("guide") or {}).get("notice")
        if key:
            found[version.key] = str(key)
    return found


@dataclass(frozen=True)
class NoticeFilter:
    """What a reader asks of the notices: a section, level and business (empty: any) and words
    the title or the body holds."""

    kind: str = ""
    level: str = ""
    business: str = ""
    q: str = ""


@dataclass(frozen=True)
class NoticePage:
    """One page of the published notices that match, newest first, and how many match in all."""

    items: list[PublishedNotice]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _field(key: str, name: str) -> ColumnElement[str]:
    return Case.data[(key, name)].as_string()


def _matching(keys: dict[str, str], wanted: NoticeFilter) -> ColumnElement[bool]:
    """The published notices matching ``wanted``, as one condition on ``case``: every filter is
    in the query (never applied to a first batch of rows), so each matching notice is found."""
    words = wanted.q.strip()[:MAX_QUERY]
    per_process = []
    for process_key, key in keys.items():
        conditions = [Case.process_key == process_key, _field(key, "title").is_not(None)]
        for name, value in (("kind", wanted.kind), ("level", wanted.level), ("business", wanted.business)):
            if value:
                conditions.append(_field(key, name) == value)
        if words:
            # Plain, literal text: a % or _ typed by a reader is that character, never a wildcard.
            conditions.append(
                or_(
                    _field(key, "title").icontains(words, autoescape=True),
                    _field(key, "body").icontains(words, autoescape=True),
                )
            )
        per_process.append(and_(*conditions))
    return and_(
        Case.status == CaseStatus.APPROVED,
        Case.withheld_at.is_(None),
        Case.completed_at.is_not(None),
        or_(*per_process),
    )


def _item(case: Case, key: str) -> PublishedNotice | None:
    data = case.data or {}
    notice = data.get(key)
    if not isinstance(notice, dict) or not isinstance(notice.get("title"), str):
        return None
    listed = data.get("files")
    rows: list[Any] = listed if isinstance(listed, list) else []
    files = [
        NoticeFile(str(r["file"]), str(r.get("name") or ""))
        for r in rows
        if isinstance(r, dict) and isinstance(r.get("file"), str)
    ]
    assert case.completed_at is not None
    return PublishedNotice(
        number=case.number,
        title=notice["title"],
        kind=str(notice.get("kind") or ""),
        level=str(notice.get("level") or ""),
        business=str(notice.get("business") or ""),
        body=str(notice.get("body") or ""),
        published_at=case.completed_at,
        files=files,
    )


def published(
    session: Session, wanted: NoticeFilter, *, page: int = 1, per_page: int | None = None
) -> NoticePage:
    """Page ``page`` of the published notices matching ``wanted``, newest first, among all of
    them (``per_page``: default :data:`PER_PAGE`). An unknown filter value is refused (400), not
    silently ignored."""
    per_page = per_page or PER_PAGE
    for name, value, allowed in (("category", wanted.kind, KINDS), ("level", wanted.level, LEVELS),
                                 ("business", wanted.business, BUSINESSES)):  # fmt: skip
        if value and value not in allowed:
            raise InvalidData(f"unknown {name}", {name: [f"one of {', '.join(allowed)}"]})
    keys = notice_keys(session)
    page = min(max(page, 1), MAX_PAGE)
    if not keys:
        return NoticePage([], 0, page, per_page)
    condition = _matching(keys, wanted)
    total = int(session.scalar(select(func.count()).select_from(Case).where(condition)) or 0)
    rows = session.scalars(
        select(Case)
        .where(condition)
        .order_by(Case.completed_at.desc(), Case.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [n for c in rows if (n := _item(c, keys[c.process_key]))]
    return NoticePage(items, total, page, per_page)


def _case(session: Session, number: str) -> tuple[Case, PublishedNotice]:
    keys = notice_keys(session)
    case = session.scalar(select(Case).where(Case.number == number[:40]))
    if (
        case is None
        or case.process_key not in keys
        or case.status != CaseStatus.APPROVED
        or case.withheld_at is not None
        or case.completed_at is None
    ):
        raise NotFound("no such notice")
    item = _item(case, keys[case.process_key])
    if item is None:
        raise NotFound("no such notice")
    return case, item


def published_notice(session: Session, number: str) -> PublishedNotice:
    """One published notice; NotFound for a withdrawn, unfinished or unknown one."""
    return _case(session, number)[1]


def notice_file(session: Session, number: str, uid: str) -> attachments.StoredFile:
    """A file of a published notice (only the files its rows name); NotFound otherwise."""
    case, item = _case(session, number)
    if uid not in {f.uid for f in item.files}:
        raise NotFound("no such file of this notice")
    return attachments.stored_file(session, case, uid)


def withdraw(session: Session, actor: User, number: str, reason: str) -> Case:
    """Withdraw a published notice (with the reason, audited); the same people who withhold a
    disclosure may: leaders, admins, and the heads of a group that reviewed this notice (not the
    head of any group). Flushes, never commits."""
    case = _case(session, number)[0]
    if case.id not in disclosure.withholdable(session, actor, [case]):
        raise Forbidden("only the reviewing section's heads, leaders and admins withdraw a notice")
    return steps.advance(session, steps.WithholdDisclosure(case.id, actor, reason)).case
