"""Every page route of the app (every GET rule outside the API and the static files) answers its
403 and 404 as an HTML error page in the visitor's language, never JSON or a bare werkzeug page:
with unknown ids for routes that take one (404), and as a signed-in user who may not open it (403:
an applicant on staff pages, a reviewer on the console and the audit pages)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import inbox_task, submit_permit

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WORDS = {
    "zh_CN": {403: "无权访问", 404: "未找到", "lang": '<html lang="zh-CN">'},
    "en": {403: "Not allowed", 404: "Not found", "lang": '<html lang="en">'},
}
NOT_PAGES = ("/api/", "/static/", "/vendor/", "/healthz", "/metrics", "/openapi")
UNKNOWN = {"int": "987654", "string": "ZZ99999999", "path": "nope/zz", "default": "ZZ99999999"}


def page_rules(app: Any) -> list[Any]:
    """The app's GET page rules (the API and the files it serves are not pages)."""
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.rule.startswith(NOT_PAGES) and rule.endpoint != "static"
        ),
        key=lambda r: r.rule,
    )


def with_unknown_values(rule: Any) -> str:
    """The rule's path with a value that names nothing in each of its placeholders."""

    def value(match: re.Match[str]) -> str:
        converter = (match.group(1) or "default").split("(")[0]
        return UNKNOWN.get(converter, UNKNOWN["default"])

    return re.sub(r"<(?:([a-z]+(?:\([^)]*\))?):)?[a-z_]+>", value, rule.rule)


def _is_error_page(response: Any, status: int, language: str) -> None:
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html", (response.request.path, response.mimetype, html[:200])
    assert f'<p class="error-code">{status}</p>' in html, (response.request.path, html[:300])
    words = WORDS[language]
    assert words["lang"] in html and words[status] in html, (response.request.path, language)


# Routes that take a value and rightly answer something other than 404 for one naming nothing.
NOT_404 = {
    # Staff are sent to their inbox (applications are filed by applicants); an applicant gets a 404.
    "/apply/<key>": 302,
    # The look-up form: an unknown number and a known one without its query code look the same.
    "/track/<number>": 200,
    # The public certificate check says "no such certificate" as its answer.
    "/verify/<certificate_no>": 200,
}
# Page routes a signed-in applicant may not open (everything of staff's).
STAFF_ONLY = {
    "/admin",
    "/admin/calendar",
    "/admin/groups",
    "/admin/settings",
    "/admin/users",
    "/admin/webhooks",
    "/audit",
    "/dashboard",
    "/dashboard.csv",
    "/dashboard/list",
    "/dashboard/districts.geojson",
    "/inbox/substitute",
    "/processes",
}
# The dashboard is for leaders and analysts: a reviewer gets a 403.
LEADERS_ONLY = {"/dashboard", "/dashboard.csv", "/dashboard/list", "/dashboard/districts.geojson"}
# What only admins (and the console's own) may open: a reviewer gets a 403.
ADMIN_ONLY = {
    "/admin",
    "/admin/calendar",
    "/admin/groups",
    "/admin/settings",
    "/admin/users",
    "/admin/webhooks",
    "/audit",
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_route_with_unknown_ids_is_a_404_page(app: Any, pages: Any, language: str) -> None:
    admin, applicant = pages("admin", language=language), pages("acme", language=language)
    checked = []
    for rule in page_rules(app):
        if not rule.arguments:
            continue
        path = with_unknown_values(rule)
        response = admin.get(path, headers={"Accept": BROWSER})
        if rule.rule in NOT_404:
            assert response.status_code == NOT_404[rule.rule], path
            response = applicant.get(path, headers={"Accept": BROWSER})
            if response.status_code != 404:
                continue
        assert response.status_code == 404, (path, response.status_code)
        _is_error_page(response, 404, language)
        checked.append(rule.rule)
    assert len(checked) >= 15 and "/tasks/<int:task_id>" in checked and "/apply/<key>" in checked


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_route_refused_is_a_403_page(app: Any, api: Any, pages: Any, language: str) -> None:
    rules = [rule.rule for rule in page_rules(app) if not rule.arguments]
    assert set(rules) >= STAFF_ONLY, STAFF_ONLY - set(rules)  # the lists follow the app's routes
    refused: dict[str, set[str]] = {}
    for user in ("acme", "clerk"):
        who = pages(user, language=language)
        for path in rules:
            response = who.get(path, headers={"Accept": BROWSER})
            # 404: a page switched off by a setting (single sign-on without a provider configured).
            assert response.status_code in (200, 302, 403, 404), (user, path, response.status_code)
            if response.status_code in (403, 404):
                _is_error_page(response, response.status_code, language)
            if response.status_code == 403:
                refused.setdefault(user, set()).add(path)
    assert refused["acme"] == STAFF_ONLY
    assert refused["clerk"] == ADMIN_ONLY | LEADERS_ONLY

    # Routes that take a value, with one naming a real thing the user may not open.
    number = submit_permit(api, "错误页项目")["number"]
    task = inbox_task(api, "clerk", number)
    forbidden = {
        "planner": [f"/tasks/{task['id']}", "/start/rectification_order", "/admin/users/clerk"],
        "acme": [f"/cases/{number}/audit", f"/tasks/{task['id']}", "/processes/construction_permit/edit"],
        "clerk": ["/processes/construction_permit/edit", "/admin/groups/planning"],
    }
    for user, paths in forbidden.items():
        who = pages(user, language=language)
        for path in paths:
            response = who.get(path, headers={"Accept": BROWSER})
            assert response.status_code == 403, (user, path, response.status_code)
            _is_error_page(response, 403, language)
