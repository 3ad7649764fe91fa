"""Applicant accounts: registering a company or a citizen, logging in, and "My cases"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app.models import User
from app.services.credit_code import check_character
from tests.conftest import PASSWORD
from tests.helpers import submit_permit

GOOD_PASSWORD = "Beihu-2026-build"


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def credit_code(seed: str) -> str:
    """A valid unified social credit code (correct check character) made from ``seed``."""
    first17 = ("91350100MA" + seed.upper() + "0000000")[:17]
    return first17 + check_character(first17)


def company_form(username: str, code: str, **changes: str) -> dict[str, str]:
    form = {
        "kind": "company",
        "company_name": "闽江建设发展有限公司",
        "credit_code": code,
        "contact_name": "林芳",
        "phone": "13905910001",
        "email": "linfang@example.com",
        "username": username,
        "password": GOOD_PASSWORD,
    }
    form.update(changes)
    return form


def _forget(db: Any, *usernames: str) -> None:
    """Registered users outlive a test (only case tables are cleaned): remove them."""
    db.execute(delete(User).where(User.username.in_(usernames)))
    db.commit()


def test_a_company_registers_lands_on_my_cases_and_logs_in_again(pages: Any, db: Any) -> None:
    browser = pages()
    code = credit_code("R1")
    try:
        response = browser.post("/register", company_form("minjiang", code.lower()), page="/register")
        assert response.status_code == 302 and response.headers["Location"] == "/my/cases"
        html = _text(browser.get("/my/cases"))
        assert "Welcome, 闽江建设发展有限公司. Your account is ready." in html
        assert "You have no cases yet" in html
        user = db.scalar(select(User).where(User.username == "minjiang"))
        assert user.credit_code == code and user.company_name == "闽江建设发展有限公司"
        assert user.contact_name == "林芳" and user.kind.value == "applicant"
        assert user.password_hash.startswith("$argon2") and GOOD_PASSWORD not in user.password_hash
        db.rollback()
        # Log in again through /login: applicants land on My cases.
        again = pages()
        token = again.csrf("/login")
        response = again.client.post(
            "/login", data={"username": "minjiang", "password": GOOD_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        assert again.get(response.headers["Location"]).headers["Location"] == "/my/cases"
    finally:
        _forget(db, "minjiang")


def test_a_citizen_registers_without_a_credit_code(pages: Any, db: Any) -> None:
    browser = pages()
    form = {
        "kind": "citizen",
        "full_name": "陈小明",
        "phone": "0591-87654321",
        "email": "xiaoming@example.com",
        "username": "xiaoming",
        "password": GOOD_PASSWORD,
        "credit_code": "ignored",
    }
    try:
        assert browser.post("/register", form, page="/register").status_code == 302
        user = db.scalar(select(User).where(User.username == "xiaoming"))
        assert user.display_name == "陈小明" and user.credit_code is None and user.company_name is None
        db.rollback()
    finally:
        _forget(db, "xiaoming")


def test_every_problem_is_listed_by_its_field_and_nothing_is_saved(pages: Any, db: Any) -> None:
    browser = pages()
    wrong_check = credit_code("R2")[:17] + ("0" if credit_code("R2")[17] != "0" else "1")
    form = company_form("bad name!", wrong_check, phone="12345", email="nobody", password="short1")
    response = browser.post("/register", form, page="/register")
    assert response.status_code == 422
    html = _text(response)
    assert 'id="r-credit_code-error"><span>This is not a valid unified social credit code.</span>' in html
    assert 'id="r-phone-error"' in html and 'id="r-email-error"' in html and 'id="r-username-error"' in html
    assert "This password is too weak" in html
    assert 'value="闽江建设发展有限公司"' in html  # what was typed is kept …
    assert "short1" not in html  # … except the password
    missing = browser.post("/register", {"kind": "company"}, page="/register")
    assert missing.status_code == 422 and _text(missing).count("This field is required.") >= 6
    assert db.scalar(select(User).where(User.username == "bad name!")) is None


def test_a_taken_username_or_credit_code_is_refused_clearly(pages: Any, db: Any) -> None:
    browser = pages()
    # acme exists (demo data) with the credit code 91350100M000100Y43.
    response = browser.post("/register", company_form("ACME", "91350100M000100Y43"), page="/register")
    assert response.status_code == 422
    html = _text(response)
    assert "This username is taken already" in html
    assert "An account with this unified social credit code exists already" in html
    assert db.scalar(select(User).where(User.username == "ACME")) is None


def test_password_strength_rules() -> None:
    from app.services.accounts import password_problem

    assert password_problem(GOOD_PASSWORD, "minjiang") is None
    for weak in ("short1", "onlyletterslong", "1234567890123", "minjiang2026x", "aaaaaaaa1111"):
        assert password_problem(weak, "minjiang"), weak


def test_my_cases_lists_the_applicants_own_cases(api: Any, pages: Any) -> None:
    mine = submit_permit(api, "北湖安置房")["number"]
    html = _text(pages("acme").get("/my/cases"))
    assert mine in html and "北湖安置房" in html and "Acceptance check" in html and "In progress" in html
    assert f'href="/track/{mine}"' in html
    assert mine not in _text(pages("buildco").get("/my/cases"))
    assert pages("clerk").get("/my/cases").headers["Location"] == "/inbox"
    assert pages().get("/my/cases").status_code == 302  # a login first


def test_logged_in_users_are_sent_on_from_the_register_page(pages: Any) -> None:
    assert pages("acme").get("/register").status_code == 302
    assert PASSWORD  # demo users keep the shared password


def test_a_visitor_sent_to_log_in_from_a_start_button_registers_and_goes_on_to_that_form(
    pages: Any, db: Any
) -> None:
    """The guide's Start button leads a visitor to log in; one who registers instead lands on the
    form they wanted, not on an empty My cases; an outside `next` is never followed."""
    browser = pages()
    login = browser.get("/apply/construction_permit")
    assert login.status_code == 302
    login_page = _text(browser.get(login.headers["Location"]))
    assert "/register?next=/apply/construction_permit" in login_page
    form_page = _text(browser.get("/register?next=/apply/construction_permit"))
    assert 'name="next" value="/apply/construction_permit"' in form_page
    try:
        form = company_form("minjiang2", credit_code("R7"), next="/apply/construction_permit")
        response = browser.post("/register", form, page="/register")
        assert response.status_code == 302 and response.headers["Location"] == "/apply/construction_permit"
        stranger = pages()
        form = company_form("minjiang3", credit_code("R8"), next="//evil.example/")
        response = stranger.post("/register", form, page="/register")
        assert response.status_code == 302 and response.headers["Location"] == "/my/cases"
    finally:
        _forget(db, "minjiang2", "minjiang3")
