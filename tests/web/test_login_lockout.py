"""Every login path shares one lockout, keyed by username and address, with a budget per address.

An attacker can neither guess a password without limit (the token endpoint counts like the page
login) nor lock a chosen user out from an address of their own; lockouts and their end are audited.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from app.models import AuditEvent
from tests.conftest import PASSWORD

ATTACKER = "10.9.9.9"
OFFICE = "10.1.1.1"


def _token(api: Any, username: str, password: str, address: str = ATTACKER) -> Any:
    return api.client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _page_login(pages: Any, username: str, password: str, address: str) -> Any:
    browser = pages()
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser.login(username, password)


def _guard(app: Any) -> Any:
    from app.limits import login_guard

    with app.app_context():
        return login_guard()


def _events(db: Any, action: str) -> list[dict[str, Any]]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    found = [{"actor": e.actor, "detail": e.detail} for e in db.scalars(query)]
    db.rollback()  # end the read, so the app can write (SQLite)
    return found


def test_the_token_endpoint_locks_after_repeated_wrong_passwords(api: Any) -> None:
    for _ in range(5):  # PERMITFLOW_LOGIN_MAX_FAILURES
        assert _token(api, "admin", "guess").status_code == 401
    locked = _token(api, "admin", PASSWORD)  # the right password, but locked from this address
    assert locked.status_code == 429, locked.get_json()
    body = locked.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["message"].startswith("too many failed logins")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert _token(api, "Admin", PASSWORD).status_code == 429  # case variants share the lock


def test_nobody_locks_a_chosen_user_out_from_an_address_of_their_own(api: Any, pages: Any) -> None:
    for _ in range(8):
        _token(api, "admin", "guess", ATTACKER)
    assert _token(api, "admin", PASSWORD, OFFICE).status_code == 200
    assert _page_login(pages, "admin", PASSWORD, OFFICE).status_code == 302


def test_a_lock_on_one_path_holds_on_the_other(api: Any, pages: Any) -> None:
    for _ in range(5):
        assert _token(api, "deputy", "guess").status_code == 401
    page = _page_login(pages, "deputy", PASSWORD, ATTACKER)
    assert page.status_code == 429 and "locked" in page.get_data(as_text=True)
    for _ in range(5):
        assert _page_login(pages, "clerk", "guess", OFFICE).status_code == 401
    assert _token(api, "clerk", PASSWORD, OFFICE).status_code == 429


def test_one_address_cannot_spread_guesses_over_many_usernames(api: Any) -> None:
    for number in range(20):  # PERMITFLOW_LOGIN_ADDRESS_MAX_FAILURES, never 5 on one name
        assert _token(api, f"user{number % 10}", "guess").status_code == 401
    refused = _token(api, "clerk", PASSWORD)  # another user's right password: the address is locked
    assert refused.status_code == 429
    assert _token(api, "clerk", PASSWORD, OFFICE).status_code == 200


def test_lockouts_and_their_end_are_audited(
    api: Any, app: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_guard(app), "lockout_seconds", 1)
    for _ in range(5):
        _token(api, "deputy", "guess")
    [locked] = _events(db, "login.locked")
    assert locked["actor"] == "system"
    assert locked["detail"] == {"scope": "account", "username": "deputy", "address": ATTACKER, "seconds": 1}
    assert _events(db, "login.unlocked") == []
    time.sleep(1.5)  # Redis ends the lock
    assert _token(api, "deputy", PASSWORD).status_code == 200
    [ended] = _events(db, "login.unlocked")
    assert ended["detail"]["username"] == "deputy" and ended["detail"]["address"] == ATTACKER
    assert _token(api, "deputy", PASSWORD).status_code == 200
    assert len(_events(db, "login.unlocked")) == 1  # reported once


def test_the_address_lock_is_audited_and_shown_on_the_login_page(pages: Any, db: Any) -> None:
    for number in range(20):
        _page_login(pages, f"user{number % 10}", "guess", ATTACKER)
    [locked] = _events(db, "login.locked")
    assert locked["detail"]["scope"] == "address" and locked["detail"]["username"] is None
    page = _page_login(pages, "clerk", PASSWORD, ATTACKER)
    assert page.status_code == 429
    assert "Too many failed attempts from your address" in page.get_data(as_text=True)
