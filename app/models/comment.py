"""Comments on a case (意见与备注): internal among staff, or shared with the applicant."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk
from .case import enum_column


class CommentVisibility(enum.StrEnum):
    INTERNAL = "internal"  # staff only
    SHARED = "shared"  # also the applicant, on the status page


class CaseComment(Base):
    """One comment; never edited (the trail of who said what, when)."""

    __tablename__ = "case_comment"
    __table_args__ = (Index("ix_case_comment_case_created", "case_id", "created_at"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The author's group on the case when written (None: the applicant, an admin).
    group: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(2000))
    visibility: Mapped[CommentVisibility] = mapped_column(enum_column(CommentVisibility, 16))
    created_at: Mapped[datetime]
