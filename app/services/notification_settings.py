"""A user's own notification settings (staff and applicants alike): the mobile number texts go to
and whether they want texts at all (SMS is opt-in; e-mail always goes). Which kinds are texted and
how many per hour are the platform's settings (`PERMITFLOW_SMS_KINDS`, `PERMITFLOW_SMS_PER_HOUR`);
the page shows them so nobody is surprised."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import InvalidData
from app.models import User

from . import audit, pii, platform, sms
from .accounts import BAD_PHONE, PHONE
from .credit_code import mask_phone

PHONE_NEEDED = "is needed to receive text messages"


@dataclass(frozen=True)
class NotificationSettings:
    """What the settings page shows: the phone (masked), the opt-in, what is texted and how often."""

    phone_masked: str | None
    has_phone: bool
    sms_opt_in: bool
    texted_kinds: tuple[str, ...]
    per_hour: int
    sms_available: bool  # an SMS provider is configured


def settings_of(session: Session, user: User) -> NotificationSettings:
    settings = platform.of(session).settings
    phone = pii.phone_of(session, user)
    return NotificationSettings(
        phone_masked=mask_phone(phone) if phone else None,
        has_phone=bool(phone),
        sms_opt_in=user.sms_opt_in,
        texted_kinds=tuple(sorted(sms.texted_kinds(settings))),
        per_hour=settings.sms_per_hour,
        sms_available=bool(settings.sms_url),
    )


def save_settings(session: Session, user: User, *, sms_opt_in: bool, phone: str | None) -> None:
    """Change the user's SMS opt-in and (when ``phone`` is given and not empty) their phone number.
    Opting in needs a number; a refused change changes nothing. Audited. Flushes."""
    new_phone = "".join((phone or "").split()) or None
    if new_phone is not None and not PHONE.fullmatch(new_phone):
        raise InvalidData("the settings are not valid", errors={"phone": [BAD_PHONE]})
    if sms_opt_in and new_phone is None and not pii.phone_of(session, user):
        raise InvalidData("the settings are not valid", errors={"phone": [PHONE_NEEDED]})
    changed: dict[str, object] = {}
    if new_phone is not None and new_phone != pii.phone_of(session, user):
        pii.set_phone(session, user, new_phone)
        changed["phone"] = "changed"  # never the number itself in the trail
    if sms_opt_in != user.sms_opt_in:
        user.sms_opt_in = sms_opt_in
        changed["sms_opt_in"] = sms_opt_in
    if changed:
        audit.record(session, "user.notification_settings", actor=user, detail=changed)
    session.flush()
