"""Files uploaded to a case: kept under instance/uploads/<case id>/<uid>, described here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str64, str200


class StoredFile:
    """What is known of any uploaded file. The original file name is kept only to show and to name
    downloads; the stored file is named by ``uid`` alone, so no uploaded name ever becomes a path."""

    id: Mapped[intpk]
    # The public id (uuid4 hex): named in URLs and referenced from form data.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str64]
    filename: Mapped[str200]
    # Detected from the content, never taken from the name or the client's header.
    content_type: Mapped[str64]
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str64]


class Attachment(StoredFile, Base):
    """One file uploaded to a case."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_case", "case_id", "id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
