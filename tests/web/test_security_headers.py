"""Security headers on every response, Secure cookies in production, and sessions revoked at logout."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import edge
from tests.conftest import make_app

PATHS = ["/login", "/api/v1/processes", "/static/css/app.css", "/no-such-page", "/api/v1/no-such-thing"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: Any, path: str) -> None:
    response = client.get(path)
    response.close()  # the static file's handle
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src-elem"] == "'self'"
    assert "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP, development


def test_the_api_docs_page_loads_swagger_ui_from_this_origin(client: Any) -> None:
    """swagger-ui-dist comes from npm like the other libraries: no CDN, and only the docs page may
    run its inline start-up script."""
    docs = client.get("/api/v1/docs")
    policy = docs.headers["Content-Security-Policy"]
    assert "http" not in policy and "frame-ancestors 'none'" in policy
    assert (
        "unsafe-inline"
        not in client.get("/login").headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    html = docs.get_data(as_text=True)
    for name in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/vendor/swagger-ui-dist/{name}" in html
        with client.get(f"/vendor/swagger-ui-dist/{name}") as served:
            assert served.status_code == 200 and len(served.data) > 1000
    assert client.get("/vendor/swagger-ui-dist/index.html").status_code == 404


def test_the_api_docs_page_references_only_assets_of_this_origin(client: Any) -> None:
    """No CDN and no outside validator: a government network reaches nothing else."""
    html = client.get("/api/v1/docs").get_data(as_text=True)
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert len(references) == 3, references  # the stylesheet and the two scripts
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert '"validatorUrl": null' in html


@pytest.fixture
def production_app(app: Any, tmp_path: Any, redis_url: str) -> Any:
    """The same database served in production mode (keys set)."""
    settings = edge.of(app).settings
    application = make_app(
        settings.database_url, tmp_path, redis_url, env="production", cert_key="test-cert-key"
    )
    yield application
    edge.of(application).database.dispose()


def test_production_sends_hsts_and_a_secure_session_cookie(production_app: Any) -> None:
    from tests.web.conftest import PageClient

    browser = PageClient(production_app)
    response = browser.login("clerk")
    assert response.status_code == 302
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_hsts_behind_tls(app: Any, tmp_path: Any, redis_url: str) -> None:
    settings = edge.of(app).settings
    application = make_app(settings.database_url, tmp_path, redis_url, secure_cookies=True)
    try:
        assert "Strict-Transport-Security" in application.test_client().get("/login").headers
    finally:
        edge.of(application).database.dispose()


def test_a_session_cookie_saved_before_logout_no_longer_works_after(app: Any, pages: Any) -> None:
    browser = pages("clerk")
    saved = browser.client.get_cookie("session").value
    assert browser.get("/inbox").status_code == 200
    assert browser.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/inbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert pages("clerk").get("/inbox").status_code == 200  # logging in again works
