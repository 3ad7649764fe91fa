"""Pages through Flask's test client, logged in with a session like a browser."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient:
    """One browser: a cookie jar, the last CSRF token seen, and the language cookie."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def csrf(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = TOKEN.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        token = self.csrf("/login")
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kw: Any
    ) -> Any:
        """POST a form with the CSRF token of ``page`` (default: the inbox)."""
        form = dict(data or {})
        form.setdefault("csrf_token", self.csrf(page or "/inbox"))
        return self.client.post(path, data=form, **kw)

    def set_language(self, code: str) -> None:
        self.client.set_cookie("lang", code)


@pytest.fixture
def pages(app: Any) -> Any:
    """A factory of logged-in browsers: ``pages("clerk")``."""

    def make(username: str | None = None, language: str | None = "en") -> PageClient:
        client = PageClient(app)
        if language:
            client.set_language(language)
        if username:
            response = client.login(username)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make
