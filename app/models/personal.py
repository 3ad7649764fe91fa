"""Personal data given in forms (a complainant's contact, phone and ID numbers), kept out of the
case data and the workflow state: they hold a reference, this table the encrypted value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk


class PersonalValue(Base):
    """One value of a form field its JSON Schema marks ``x-personal``: AES-256-GCM ciphertext
    (services/pii.py) and a keyed hash of it for look-ups. The case data names it by ``ref``."""

    __tablename__ = "personal_value"
    __table_args__ = (Index("ix_personal_value_case", "case_id", "id"),)

    id: Mapped[intpk]
    # What the case data and the workflow state hold instead of the value ("pii-ref:<hex>").
    ref: Mapped[str] = mapped_column(String(48), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    # The field's path in the form's data (`contact.phone`), to tell what a value was given as.
    field: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    lookup_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
