"""An application the applicant has started in the browser but not submitted yet (草稿)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .attachment import StoredFile
from .base import Base, intpk, str64


class Draft(Base):
    """The start form as typed so far. Deleted when the application is submitted: the case then
    holds the data and the files."""

    __tablename__ = "draft"
    __table_args__ = (Index("ix_draft_applicant_updated", "applicant_id", "updated_at"),)

    id: Mapped[intpk]
    # The public id (uuid4 hex) named in the page's address; the row id is never shown.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    process_key: Mapped[str64]
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DraftAttachment(StoredFile, Base):
    """A file uploaded to a draft, stored under <uploads>/drafts/<draft uid>/<uid>. On submission it
    becomes an Attachment of the new case with the same uid, so form data naming it stays valid."""

    __tablename__ = "draft_attachment"
    __table_args__ = (Index("ix_draft_attachment_draft", "draft_id", "id"),)

    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
