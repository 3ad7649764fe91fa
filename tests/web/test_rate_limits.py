"""Guessing query codes, and floods of submissions without an account, are refused per address.

Past the limit every lookup with a code from that address is refused, the right code included,
until the window ends: a guesser never learns which code was right. Other addresses, and the
applicant logged in (no code needed), are not affected.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.helpers import change_settings, permit_application, submit_permit


def _limiter(app: Any, name: str) -> Any:
    from app.limits import lookup_limiter, submit_limiter

    with app.app_context():
        return lookup_limiter() if name == "lookup" else submit_limiter()


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    return body


def test_guessing_is_refused_after_the_limit_even_with_the_right_code(api: Any, pages: Any) -> None:
    created = submit_permit(api)
    number, code = created["number"], created["query_code"]
    for attempt in range(10):  # PERMITFLOW_LOOKUP_MAX_FAILURES
        _error(api.get(f"/api/v1/cases/{number}?code=WRONG{attempt:03d}"), 404)
    body = _error(api.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": code}), 429)
    assert body["message"].startswith("too many wrong query codes from your address; try again in 10 minute")
    response = api.get(f"/api/v1/cases/{number}?code={code}")
    assert 0 < int(response.headers["Retry-After"]) <= 600
    # The status page counts against the same budget.
    browser = pages()
    page = browser.post("/track", {"number": number, "code": code}, page="/track")
    assert page.status_code == 429 and "Too many wrong query codes" in page.get_data(as_text=True)
    assert browser.get(f"/track/{number}?code={code}").status_code == 429
    # Another address, and the applicant logged in, are not affected.
    other = api.client.get(f"/api/v1/cases/{number}?code={code}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200
    assert api.get(f"/api/v1/cases/{number}", "acme").status_code == 200
    assert pages("acme").get(f"/track/{number}").status_code == 200


def test_the_right_code_works_again_when_the_window_has_passed(
    api: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = _limiter(app, "lookup")
    monkeypatch.setattr(limiter, "limit", 2)
    monkeypatch.setattr(limiter, "window_seconds", 2)
    created = submit_permit(api)
    number, code = created["number"], created["query_code"]
    for attempt in range(2):
        _error(api.get(f"/api/v1/cases/{number}?code=WRONG{attempt:03d}"), 404)
    _error(api.get(f"/api/v1/cases/{number}?code={code}"), 429)
    time.sleep(2.5)  # Redis expires the window's counter
    assert api.get(f"/api/v1/cases/{number}?code={code}").status_code == 200


def test_right_codes_are_not_counted(api: Any) -> None:
    created = submit_permit(api)
    for _ in range(15):
        assert api.get(f"/api/v1/cases/{created['number']}?code={created['query_code']}").status_code == 200


def test_submissions_without_an_account_are_limited_per_address(
    api: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_limiter(app, "submit"), "limit", 3)
    body = {"process": "construction_permit", "data": permit_application("匿名")}
    for _ in range(3):
        _error(api.post("/api/v1/cases", json=body), 401)  # this process needs an account
    refused = _error(api.post("/api/v1/cases", json=body), 429)
    assert "too many submissions without an account" in refused["message"]
    assert api.post("/api/v1/cases", "acme", json=body).status_code == 201  # applicants are not limited


def test_the_limiter_counts_and_decides_in_one_step(app: Any) -> None:
    """Twelve attempts at once against a limit of five: exactly five get through, whatever the
    interleaving (a check, then a hit, would let several see the last free attempt)."""
    from app.errors import TooManyRequests
    from app.services.rate_limit import AttemptLimiter

    base = _limiter(app, "submit")
    limiter = AttemptLimiter(base.client, "race", limit=5, window_seconds=600)
    start = threading.Barrier(12)

    def attempt(_: int) -> bool:
        start.wait()
        try:
            limiter.take("10.9.9.9", "too many")
        except TooManyRequests as err:
            assert 0 < err.retry_after <= 600
            return False
        return True

    for _ in range(3):
        limiter.reset("10.9.9.9")
        with ThreadPoolExecutor(12) as pool:
            assert sum(pool.map(attempt, range(12))) == 5
        assert 0 < base.client.ttl(limiter._key("10.9.9.9")) <= 600
    limiter.reset("10.9.9.9")


def test_complaints_of_an_account_are_limited_per_account(
    app: Any, db: Any, pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logged in, an applicant has a budget of its own, filing anonymously or not, and parallel
    submissions never get past it."""

    from tests.web.test_complaints import FORM, counts, file

    change_settings(monkeypatch, app, public_submit_limit=3)
    before = counts(db)[0]
    acme = [pages("acme") for _ in range(6)]

    def submit(i: int) -> int:
        browser = acme[i]
        form = {**FORM, "anonymous": "1"} if i % 2 else FORM
        return int(file(browser, form).status_code)

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(submit, range(6)))
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert counts(db)[0] == before + 3
    refused = file(acme[0])
    assert refused.status_code == 429 and "Too many complaints were filed from your account" in (
        refused.get_data(as_text=True)
    )
    # Another account, and a visitor without one, have budgets of their own.
    buildco = pages("buildco")
    assert file(buildco).status_code == 302
    visitor = pages()
    assert file(visitor).status_code == 302
    monkeypatch.undo()


def test_certificate_verification_is_limited_per_address(api: Any, pages: Any) -> None:
    for number in range(30):  # PERMITFLOW_VERIFY_LIMIT, the API and the page counted together
        path = f"/api/v1/verify/2026{number:08d}" if number % 2 else f"/verify/2026{number:08d}"
        assert api.client.get(path).status_code == 200
    body = _error(api.get("/api/v1/verify/202600000001"), 429)
    assert body["message"].startswith("too many certificate verifications from your address")
    assert 0 < int(api.get("/api/v1/verify/202600000001").headers["Retry-After"]) <= 60
    assert pages().get("/verify/202600000001").status_code == 429
    other = api.client.get("/api/v1/verify/202600000001", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_behind_a_proxy_the_budget_is_the_clients_not_the_proxys(
    app: Any, api: Any, tmp_path: Any, redis_url: str
) -> None:
    """PERMITFLOW_PROXY_HOPS=1: the address the last proxy appended to X-Forwarded-For counts; the
    default (0) trusts no header, so there everyone behind one proxy shares its budget."""
    from app import edge
    from tests.conftest import make_app

    behind = make_app(edge.of(app).settings.database_url, tmp_path, redis_url, proxy_hops=1)
    try:
        client = behind.test_client()

        def lookup(via: Any, forwarded: str) -> int:
            return int(
                via.get(
                    "/api/v1/cases/SG-NONE-1?code=WRONG000",
                    environ_base={"REMOTE_ADDR": "10.0.0.2"},
                    headers={"X-Forwarded-For": forwarded},
                ).status_code
            )

        for _ in range(10):  # PERMITFLOW_LOOKUP_MAX_FAILURES
            assert lookup(client, "198.51.100.7") == 404
        assert lookup(client, "198.51.100.7") == 429
        # A forged first value changes nothing: only the hop the proxy appended is trusted.
        assert lookup(client, "203.0.113.9, 198.51.100.7") == 429
        assert lookup(client, "198.51.100.8") == 404  # another client behind the same proxy
        # Without the setting the header is ignored: the proxy's address is everyone's.
        for _ in range(10):
            lookup(api.client, "198.51.100.20")
        assert lookup(api.client, "198.51.100.21") == 429
    finally:
        edge.of(behind).database.dispose()
