"""Enterprise credit (信用评价): every change of a company's score is a row with its reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str200


class CreditRecord(Base):
    """A change of a company's credit score: ``delta`` points (negative for a deduction)."""

    __tablename__ = "credit_record"

    id: Mapped[intpk]
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    delta: Mapped[int]
    reason: Mapped[str200]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"), index=True)
    # The BPMN element that caused it (e.g. the overdue event), if any.
    source: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
