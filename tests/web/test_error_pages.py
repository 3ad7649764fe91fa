"""Errors, answered once for the whole app: a page in the visitor's language for people, JSON in
the API's shape for the API and for requests that ask for JSON."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from app.errors import NotFound

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON = {"Accept": "application/json"}
SHAPE = {"code", "status", "message", "errors"}


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _page(response: Any, status: int) -> str:
    """The HTML error page of ``response``, checked to be one."""
    assert response.status_code == status, _text(response)[:300]
    assert response.mimetype == "text/html"
    html = _text(response)
    assert f'<p class="error-code">{status}</p>' in html
    return html


def _json(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, _text(response)[:300]
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert set(body) == SHAPE and body["code"] == status, body
    return body


def _links(html: str) -> set[str]:
    return set(re.findall(r'<a class="btn[^"]*" href="([^"]+)"', html))


# ---------------------------------------------------------------- pages, both languages


def test_an_unknown_address_is_a_page_in_chinese_by_default(pages: Any) -> None:
    html = _page(pages(language=None).get("/nope", headers={"Accept": BROWSER}), 404)
    assert '<html lang="zh-CN">' in html and "未找到" in html and "此页面不存在" in html
    assert "Not found" not in html
    # A visitor: look a case up, or log in (and come back here).
    assert {"/track", "/login?next=/nope"} <= _links(html)
    assert "查询办件" in html and ">登录</a>" in html


def test_an_unknown_address_in_english_by_the_language_cookie(pages: Any) -> None:
    html = _page(pages(language="en").get("/nope/deeper"), 404)
    assert '<html lang="en">' in html and "Not found" in html
    assert "This page does not exist" in html and "Look up a case" in html
    assert "未找到" not in html


def test_a_reviewer_on_the_admin_console_gets_a_403_page(pages: Any) -> None:
    clerk = pages("clerk", language="zh_CN")
    for path in ("/admin", "/admin/users", "/audit"):
        html = _page(clerk.get(path, headers={"Accept": BROWSER}), 403)
        assert "无权访问" in html and "您无权打开此页面" in html and "返回待办" in html
        assert "/inbox" in _links(html)
    clerk.set_language("en")
    html = _page(clerk.get("/admin"), 403)
    assert "Not allowed" in html and "You are not allowed to open this page" in html
    assert "Back to the inbox" in html


def test_an_applicant_is_sent_back_to_their_cases(pages: Any) -> None:
    html = _page(pages("acme").get("/audit"), 403)
    assert "Back to my cases" in html and "/my/cases" in _links(html)


def test_going_back_is_offered_to_a_page_of_this_site_only(pages: Any) -> None:
    clerk = pages("clerk")
    html = _page(clerk.get("/admin", headers={"Referer": "http://localhost/inbox?sort=created_at"}), 403)
    assert "/inbox?sort=created_at" in _links(html) and "Go back" in html
    html = _page(clerk.get("/admin", headers={"Referer": "http://evil.example/inbox"}), 403)
    assert "Go back" not in html and "evil.example" not in html


def test_a_wrong_method_is_a_405_page_that_says_what_is_allowed(pages: Any) -> None:
    response = pages(language=None).get("/logout")
    html = _page(response, 405)
    assert "无法以此方式操作" in html
    assert "POST" in response.headers["Allow"]
    assert "Not possible this way" in _page(pages("clerk").post("/inbox"), 405)


def test_a_request_over_the_size_limit_is_a_413_page(
    app: Any, pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = pages(language="zh_CN")
    token = browser.csrf("/complaints/new")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    form = {"csrf_token": token, "photos": (io.BytesIO(b"\0" * 8192), "big.png")}
    response = browser.client.post("/complaints/new", data=form, content_type="multipart/form-data")
    html = _page(response, 413)
    assert "文件过大" in html
    form = {"csrf_token": token, "photos": (io.BytesIO(b"\0" * 8192), "big.png")}
    asked = browser.client.post(
        "/complaints/new", data=form, content_type="multipart/form-data", headers=JSON
    )
    assert _json(asked, 413)["message"].startswith("文件不能超过")


def test_a_form_without_its_csrf_token_is_a_400_page(pages: Any) -> None:
    html = _page(pages("clerk", language="zh_CN").client.post("/logout"), 400)
    assert "表单已过期" in html
    english = _page(pages("clerk").client.post("/logout", data={"csrf_token": "forged"}), 400)
    assert "The form has expired" in english and "Nothing was changed" in english


def test_an_error_inside_a_page_is_a_500_page(app: Any, pages: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_kw: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "track.track", broken)
    html = _page(pages(language=None).get("/track"), 500)
    assert "系统出错" in html and "已记录" in html
    assert _json(pages().get("/track", headers=JSON), 500)["message"].startswith("An internal error")


def test_a_domain_error_in_a_page_is_the_page_of_its_status(
    app: Any, pages: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(**_kw: Any) -> Any:
        raise NotFound("no such thing")

    monkeypatch.setitem(app.view_functions, "dashboard.dashboard", missing)
    html = _page(pages("director", language=None).get("/dashboard"), 404)
    assert "未找到" in html and "no such thing" not in html


# ---------------------------------------------------------------- JSON for those who ask


def test_json_for_a_page_request_that_asks_for_it(pages: Any) -> None:
    body = _json(pages(language="en").get("/nope", headers=JSON), 404)
    assert body["status"] == "Not Found" and "does not exist" in body["message"] and body["errors"] == {}
    body = _json(pages("clerk", language="zh_CN").get("/admin", headers=JSON), 403)
    assert "无权" in body["message"]
    assert _json(pages("clerk").client.post("/logout", headers=JSON), 400)["message"].startswith("The form")
    assert _json(pages().get("/logout", headers=JSON), 405)["status"] == "Method Not Allowed"


def test_the_wildcard_and_a_browser_get_pages(pages: Any) -> None:
    browser = pages()
    for accept in ("*/*", BROWSER, "application/json;q=0.5, text/html"):
        _page(browser.get("/nope", headers={"Accept": accept}), 404)
    _json(browser.get("/nope", headers={"Accept": "application/json, */*;q=0.1"}), 404)


def test_the_api_answers_json_whatever_the_browser_asks(api: Any, pages: Any) -> None:
    browser = pages(language="zh_CN")
    body = _json(browser.get("/api/v1/nope", headers={"Accept": BROWSER}), 404)
    assert body["status"] == "Not Found"
    assert _json(browser.get("/api/v1/auth/token", headers={"Accept": BROWSER}), 405)["code"] == 405
    refused = _json(api.get("/api/v1/tasks/999999", "clerk"), 404)
    assert refused["message"] and refused["errors"] == {}
