"""Login through the unified identity provider (统一身份认证): the authorization code flow with PKCE
against a stand-in OpenID Connect provider this test starts (tests/oidc_stand_in.py; real HTTP both
ways, Authlib on the platform's side). The first login creates the company's account and later ones
reuse it; another person of a company the provider verified is linked to its account, a code only claimed
at local registration never; a token with a
bad signature, a wrong nonce or audience, and a replayed state are refused, and failed callbacks
lock the address out like failed logins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import delete, func, select

from app import edge
from app.models import AuditEvent, ExternalIdentity, HumanTask, User
from app.services import cases
from tests.helpers import change_settings, user_named
from tests.oidc_stand_in import CLIENT_ID, CLIENT_SECRET, OidcStandIn
from tests.web.test_applicant import company_form, credit_code

NEW_COMPANY = "91350200MA2YQ8K3X0"
ACME = "91350100M000100Y43"


@pytest.fixture
def provider(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[OidcStandIn]:
    stand_in = OidcStandIn()
    change_settings(
        monkeypatch,
        app,
        oidc_issuer=stand_in.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        login_address_max_failures=3,
    )
    yield stand_in
    stand_in.close()


def _to_provider(client: Any) -> str:
    """The platform's redirect to the provider; the provider's answer: the callback URL."""
    response = client.get("/login/sso?next=/my/cases")
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1") and "code_challenge=" in location and "nonce=" in location
    back = requests.get(location, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    return str(back.headers["Location"])


def _callback(client: Any, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def _login(app: Any) -> tuple[Any, Any]:
    client = app.test_client()
    client.set_cookie("lang", "en")
    answer = _callback(client, _to_provider(client))
    return client, answer


def _users(db: Any) -> int:
    n = int(db.scalar(select(func.count()).select_from(User)))
    db.rollback()
    return n


def test_the_first_login_creates_the_company_account_and_the_second_reuses_it(
    app: Any, db: Any, provider: OidcStandIn
) -> None:
    provider.identity = {"sub": "co-7781", "credit_code": NEW_COMPANY, "name": "海峡建设开发有限公司"}
    before = _users(db)
    client, answer = _login(app)
    assert answer.status_code == 302 and answer.headers["Location"] == "/my/cases"
    page = client.get("/my/cases")
    assert page.status_code == 200 and "海峡建设开发有限公司" in page.get_data(as_text=True)
    user = db.scalar(select(User).where(User.credit_code == NEW_COMPANY))
    assert user.company_name == "海峡建设开发有限公司" and user.kind.value == "applicant"
    assert _users(db) == before + 1
    # PKCE: the token request carried the verifier the stand-in checked against the challenge.
    assert provider.token_requests[-1]["code_verifier"]
    _client2, again = _login(app)
    assert again.status_code == 302 and _users(db) == before + 1
    links = db.scalars(select(ExternalIdentity).where(ExternalIdentity.subject == "co-7781")).all()
    assert [link.user_id for link in links] == [user.id]
    db.rollback()


def _forget(db: Any, *codes: str) -> None:
    """Accounts outlive a test (only case tables are cleaned): remove these companies'."""
    ids = select(User.id).where(User.credit_code.in_(codes))
    db.execute(delete(ExternalIdentity).where(ExternalIdentity.user_id.in_(ids)))
    db.execute(delete(User).where(User.credit_code.in_(codes)))
    db.commit()


def test_a_credit_code_claimed_at_local_registration_is_never_linked(
    app: Any, db: Any, pages: Any, provider: OidcStandIn
) -> None:
    """Review finding 1: someone registers locally with a company's credit code before the company
    ever logs in through the provider. The company's login creates its own account; the one that
    only claimed the code gets no link to it (and sees none of the company's)."""
    code = credit_code("R7")
    try:
        squatter = pages()
        form = company_form("squatter", code, company_name="冒名公司")
        assert squatter.post("/register", form, page="/register").status_code == 302
        provider.identity = {"sub": "real-co", "credit_code": code, "name": "真实建设有限公司"}
        client, answer = _login(app)
        assert answer.status_code == 302
        owners = db.scalars(select(User).where(User.credit_code == code).order_by(User.id)).all()
        assert [u.username == "squatter" for u in owners] == [True, False]
        linked = db.scalar(select(ExternalIdentity.user_id).where(ExternalIdentity.subject == "real-co"))
        assert linked == owners[1].id and owners[1].company_name == "真实建设有限公司"
        db.rollback()
        assert "真实建设有限公司" in client.get("/my/cases").get_data(as_text=True)
    finally:
        _forget(db, code)


def test_the_company_the_provider_vouches_for_performs_its_orders_and_the_squatter_does_not(
    app: Any, db: Any, pages: Any, provider: OidcStandIn
) -> None:
    """Security review (session 8), finding 1: the account the provider created has its code
    verified and receives the company's rectification order; the one that typed the code does not."""
    code = credit_code("R9")
    try:
        squatter = pages()
        assert (
            squatter.post("/register", company_form("squatter9", code), page="/register").status_code == 302
        )
        provider.identity = {"sub": "real-co-9", "credit_code": code, "name": "真实建设有限公司"}
        client, answer = _login(app)
        assert answer.status_code == 302
        owners = db.scalars(select(User).where(User.credit_code == code).order_by(User.id)).all()
        assert [u.credit_code_verified for u in owners] == [False, True]
        db.rollback()
        order = {
            "project_name": "海峡广场",
            "project_code": "2026-350100-47-01-909090",
            "contractor": {"name": "真实建设有限公司", "credit_code": code},
            "findings": [{"description": "未佩戴安全帽", "hazard_level": "general"}],
            "legal_basis": "《建设工程安全生产管理条例》第三十二条",
        }
        started = cases.start_case(db, user_named(db, "inspector"), "rectification_order", order).case
        db.commit()
        task = db.scalar(select(HumanTask.id).where(HumanTask.case_id == started.id))
        db.rollback()
        assert f"/tasks/{task}" in client.get("/my/cases").get_data(as_text=True)
        assert f"/tasks/{task}" not in squatter.get("/my/cases").get_data(as_text=True)
    finally:
        _forget(db, code)


def test_another_person_of_a_company_the_provider_verified_is_linked(
    app: Any, db: Any, provider: OidcStandIn
) -> None:
    code = credit_code("R8")
    try:
        provider.identity = {"sub": "co-first", "credit_code": code, "name": "海峡建设"}
        assert _login(app)[1].status_code == 302
        before = _users(db)
        provider.identity = {"sub": "co-second", "credit_code": code, "name": "海峡建设"}
        assert _login(app)[1].status_code == 302
        assert _users(db) == before
        links = db.scalars(
            select(ExternalIdentity.user_id).where(ExternalIdentity.subject.in_(["co-first", "co-second"]))
        ).all()
        assert len(links) == 2 and len(set(links)) == 1
        linked = db.scalar(select(func.count()).where(AuditEvent.action == "account.linked"))
        assert linked >= 1
        db.rollback()
    finally:
        _forget(db, code)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("bad_signature", "BadSignatureError"),
        ("wrong_nonce", "InvalidClaimError"),
        ("wrong_audience", "ClaimError"),
    ],
)
def test_a_token_that_does_not_verify_is_refused(
    app: Any, db: Any, provider: OidcStandIn, mode: str, reason: str
) -> None:
    provider.identity = {"sub": f"mallory-{mode}", "credit_code": NEW_COMPANY}
    provider.mode = mode
    before = _users(db)
    client, answer = _login(app)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 401 and "could not be verified" in html
    assert _users(db) == before
    assert client.get("/my/cases").status_code == 302  # not logged in
    [refused] = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "login.sso_refused")).all()
    assert reason in refused["reason"], refused  # refused for what is wrong with the token
    db.rollback()


def test_a_replayed_state_is_refused(app: Any, db: Any, provider: OidcStandIn) -> None:
    provider.identity = {"sub": "replay-1", "credit_code": NEW_COMPANY}
    client = app.test_client()
    url = _to_provider(client)
    assert _callback(client, url).status_code == 302  # the genuine callback logs in
    # The same callback again, in this browser (its state was used) or in another one.
    assert _callback(client, url).status_code == 401
    assert _callback(app.test_client(), url).status_code == 401


def test_failed_callbacks_lock_the_address_out(app: Any, provider: OidcStandIn) -> None:
    provider.identity = {"sub": "mallory", "credit_code": NEW_COMPANY}
    provider.mode = "bad_signature"
    for _ in range(3):
        assert _login(app)[1].status_code == 401
    provider.mode = ""
    assert _login(app)[1].status_code == 429  # even a good token waits now


def test_without_an_issuer_there_is_no_sso(app: Any) -> None:
    client = app.test_client()
    assert client.get("/login/sso").status_code == 404
    assert 'id="sso-login"' not in client.get("/login").get_data(as_text=True)


def test_the_login_page_offers_sso_when_configured(app: Any, provider: OidcStandIn) -> None:
    assert 'id="sso-login"' in app.test_client().get("/login").get_data(as_text=True)


def test_failed_callbacks_from_one_address_do_not_lock_another(app: Any, provider: OidcStandIn) -> None:
    """The lockout is the address's: no one locks the callback for everybody."""
    for _ in range(edge.of(app).settings.login_max_failures + 1):
        bad = app.test_client().get(
            "/login/sso/callback?state=x&code=y", environ_base={"REMOTE_ADDR": "198.51.100.9"}
        )
        assert bad.status_code in (401, 429)
    provider.identity = {"sub": "someone-else", "credit_code": NEW_COMPANY}
    assert _login(app)[1].status_code == 302  # 127.0.0.1 is not locked
