"""An electronic certificate (电子证照) issued when a case ends approved, e.g. a construction permit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, str40, str64, str200


class Certificate(Base):
    """One certificate per case. ``signature`` is an HMAC-SHA256 (with the certificate key named by
    ``key_id``) over the canonical content (services.certificate_signing.canonical), so an edited
    row or a forged number shows."""

    __tablename__ = "certificate"

    id: Mapped[intpk]
    # 施工许可证号 style: the issue year and an 8-digit serial, e.g. "202600000017".
    number: Mapped[str40] = mapped_column(unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str64]
    holder_name: Mapped[str200]
    holder_credit_code: Mapped[str | None] = mapped_column(String(18))
    project_name: Mapped[str200]
    project_code: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(200))
    floor_area: Mapped[float | None]
    investment: Mapped[float | None]
    issuer: Mapped[str200]
    issued_at: Mapped[datetime]
    valid_until: Mapped[date] = mapped_column(Date)
    signature: Mapped[str] = mapped_column(String(64))
    # Which certificate key signed it (services.certificates.key_id); None: the SECRET_KEY, as
    # before key ids. Keys can rotate: earlier keys stay listed and their certificates verify.
    key_id: Mapped[str | None] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None]
