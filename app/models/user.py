"""People and the groups they work in."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, intpk, str64, str200


class UserKind(enum.StrEnum):
    STAFF = "staff"
    APPLICANT = "applicant"


class User(Base):
    """An account: agency staff, or an applicant (company or citizen)."""

    __tablename__ = "user"

    id: Mapped[intpk]
    username: Mapped[str64] = mapped_column(unique=True)
    display_name: Mapped[str200]
    password_hash: Mapped[str] = mapped_column(String(255))
    kind: Mapped[UserKind] = mapped_column(
        Enum(UserKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    # Global roles beyond group work: "analyst", "admin", "auditor".
    roles: Mapped[list[str]] = mapped_column(default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped to revoke every token issued before (logout everywhere, password change).
    token_version: Mapped[int] = mapped_column(default=1)
    # Bumped at logout: every page session cookie of the user saved before then stops working.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    company_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    # Whether someone who can vouch for it confirmed the credit code (the identity provider at an
    # SSO login, or staff in the admin console). A code typed at local registration is only
    # claimed: until verified, the account performs no company's tasks (services/performer_tasks.py).
    credit_code_verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The person to call about the company's applications (for citizens: themselves).
    contact_name: Mapped[str | None] = mapped_column(String(100))
    # Encrypted at rest (services/pii.py): "pii1:<key id>:<nonce + ciphertext>"; found by phone_hash.
    phone: Mapped[str | None] = mapped_column(String(200))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # The user asked for SMS (services/sms.py) besides e-mail and the notification centre.
    sms_opt_in: Mapped[bool] = mapped_column(default=False, server_default=false())
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_staff(self) -> bool:
        return self.kind is UserKind.STAFF

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])


class Group(Base):
    """An agency group (planning, fire, …) identified by its slug."""

    __tablename__ = "group"

    id: Mapped[intpk]
    slug: Mapped[str64] = mapped_column(unique=True)
    name: Mapped[str200]
    name_en: Mapped[str200]
    # The group an overdue escalation rises to after the supervisor (e.g. "bureau").
    escalates_to: Mapped[str | None] = mapped_column(String(64))


class Membership(Base):
    """A user in a group; supervisors (督办) receive the group's escalations and may reassign."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "group_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"), index=True)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="memberships")
    group: Mapped[Group] = relationship(lazy="joined")
