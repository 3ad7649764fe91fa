"""Applicant accounts: a company (建设单位) or a citizen registers to submit and follow cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidData
from app.models import User, UserKind

from . import audit, pii
from .auth import hash_password
from .credit_code import is_valid_credit_code

COMPANY = "company"
CITIZEN = "citizen"
PASSWORD_MIN_LENGTH = 10

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,63}")
# Mainland mobile numbers, or a landline with its area code (0591-87654321).
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
# Passwords people pick first; refused even when they are long enough.
COMMON_PASSWORDS = {"password123", "1234567890", "12345678910", "qwertyuiop", "abc1234567", "a123456789"}

# The messages of refused registrations, stable so that pages can say them in the user's language.
REQUIRED = "is required"
TAKEN_USERNAME = "is already taken"
TAKEN_CREDIT_CODE = "an account with this credit code exists already"
BAD_USERNAME = "use 3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
BAD_CREDIT_CODE = "is not a valid unified social credit code (check character wrong)"
BAD_PHONE = "is not a valid phone number"
BAD_EMAIL = "is not a valid e-mail address"
WEAK_PASSWORD = "is too weak: use at least 10 characters with letters and digits, not your username"
BAD_KIND = "must be company or citizen"
TOO_LONG = "is too long"


@dataclass(frozen=True)
class Registration:
    """What a registering applicant enters. ``name`` is the company's or the citizen's name."""

    kind: str
    username: str
    password: str
    name: str
    phone: str
    email: str
    contact_name: str = ""
    credit_code: str = ""


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` is too weak, or None."""
    if len(password) < PASSWORD_MIN_LENGTH or len(password) > 256:
        return WEAK_PASSWORD
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return WEAK_PASSWORD
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (username and username.lower() in lowered) or len(set(password)) < 5:
        return WEAK_PASSWORD
    return None


def _problems(session: Session, reg: Registration) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if reg.kind not in (COMPANY, CITIZEN):
        add("kind", BAD_KIND)
    if not reg.username:
        add("username", REQUIRED)
    elif not USERNAME.fullmatch(reg.username):
        add("username", BAD_USERNAME)
    elif session.scalar(select(User.id).where(func.lower(User.username) == reg.username.lower())):
        add("username", TAKEN_USERNAME)
    if not reg.name:
        add("name", REQUIRED)
    elif len(reg.name) > 200:
        add("name", TOO_LONG)
    if reg.kind == COMPANY:
        if not reg.credit_code:
            add("credit_code", REQUIRED)
        elif not is_valid_credit_code(reg.credit_code):
            add("credit_code", BAD_CREDIT_CODE)
        elif session.scalar(
            select(User.id).where(
                User.credit_code == reg.credit_code.upper(), User.kind == UserKind.APPLICANT
            )
        ):
            add("credit_code", TAKEN_CREDIT_CODE)
        if not reg.contact_name:
            add("contact_name", REQUIRED)
        elif len(reg.contact_name) > 100:
            add("contact_name", TOO_LONG)
    if not reg.phone:
        add("phone", REQUIRED)
    elif not PHONE.fullmatch(reg.phone):
        add("phone", BAD_PHONE)
    if not reg.email:
        add("email", REQUIRED)
    elif len(reg.email) > 200 or not EMAIL.fullmatch(reg.email):
        add("email", BAD_EMAIL)
    if not reg.password:
        add("password", REQUIRED)
    else:
        problem = password_problem(reg.password, reg.username)
        if problem:
            add("password", problem)
    return errors


def create_applicant(session: Session, reg: Registration) -> User:
    """Create an applicant account. Every problem is listed at once (InvalidData, by field);
    a username or credit code that is taken already is one of them. Flushes, never commits."""
    reg = Registration(
        kind=reg.kind,
        username=reg.username.strip(),
        password=reg.password,
        name=reg.name.strip(),
        phone=reg.phone.strip().replace(" ", ""),
        email=reg.email.strip(),
        contact_name=reg.contact_name.strip(),
        credit_code=reg.credit_code.strip().upper(),
    )
    errors = _problems(session, reg)
    if errors:
        raise InvalidData("the registration is not valid: " + ", ".join(sorted(errors)), errors)
    company = reg.kind == COMPANY
    user = User(
        username=reg.username,
        display_name=reg.name,
        password_hash=hash_password(reg.password),
        kind=UserKind.APPLICANT,
        roles=[],
        company_name=reg.name if company else None,
        credit_code=reg.credit_code if company else None,
        contact_name=reg.contact_name if company else reg.name,
        email=reg.email,
        created_at=clock.now(),
    )
    pii.set_phone(session, user, reg.phone)
    session.add(user)
    session.flush()
    audit.record(session, "account.registered", actor=user, detail={"kind": reg.kind, "user_id": user.id})
    return user
