"""Saved inbox filters: save the current query under a name, for oneself or a group; the link
brings the query back; refusals are said on the page and store nothing; only the owner deletes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from app.models import SavedFilter


def _count(db: Any) -> int:
    n = db.scalar(select(func.count()).select_from(SavedFilter)) or 0
    db.rollback()
    return int(n)


def _links(html: str) -> dict[str, str]:
    found = re.findall(r'<li class="saved-filter">\s*<a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    return {name: href.replace("&amp;", "&") for href, name in found}


def test_a_saved_filter_brings_its_query_back_and_is_shared_with_the_group(pages: Any, db: Any) -> None:
    clerk = pages("clerk")
    token = clerk.csrf("/inbox")
    saved = clerk.client.post(
        "/inbox/filters?sla=overdue&sort=created_at&q=北湖&page=3",
        data={"csrf_token": token, "name": "超期·北湖", "group": "window"},
    )
    assert saved.status_code == 302 and "sla=overdue" in saved.headers["Location"]
    clerk.client.post("/inbox/filters?scope=mine", data={"csrf_token": token, "name": "我的"})
    html = clerk.get("/inbox").get_data(as_text=True)
    links = _links(html)
    assert set(links) == {"超期·北湖", "我的"}
    href = links["超期·北湖"]
    assert "sla=overdue" in href and "sort=created_at" in href and "page=" not in href
    opened = clerk.get(href).get_data(as_text=True)
    assert '<option value="overdue" selected>' in opened and 'aria-current="true"' in opened

    # The window chief (same group) sees the shared one, not the clerk's own; a planner neither.
    chief = _links(pages("window_chief").get("/inbox").get_data(as_text=True))
    assert set(chief) == {"超期·北湖"}
    assert _links(pages("planner").get("/inbox").get_data(as_text=True)) == {}
    # Only the owner deletes it.
    shared = db.scalar(select(SavedFilter.id).where(SavedFilter.name == "超期·北湖"))
    db.rollback()
    other = pages("window_chief")
    assert (
        other.client.post(
            f"/inbox/filters/{shared}/delete", data={"csrf_token": other.csrf("/inbox")}
        ).status_code
        == 403
    )
    assert clerk.client.post(f"/inbox/filters/{shared}/delete", data={"csrf_token": token}).status_code == 302
    assert set(_links(clerk.get("/inbox").get_data(as_text=True))) == {"我的"}


def test_refusals_are_said_in_the_page_language_and_store_nothing(pages: Any, db: Any) -> None:
    clerk = pages("clerk", language="zh_CN")
    token = clerk.csrf("/inbox")
    before = _count(db)
    empty = clerk.client.post(
        "/inbox/filters", data={"csrf_token": token, "name": "  "}, follow_redirects=True
    )
    assert "请为筛选命名" in empty.get_data(as_text=True)
    foreign = clerk.client.post(
        "/inbox/filters", data={"csrf_token": token, "name": "消防的", "group": "fire"}, follow_redirects=True
    )
    assert "只能与您所在的组共享" in foreign.get_data(as_text=True)
    assert _count(db) == before
    clerk.client.post("/inbox/filters", data={"csrf_token": token, "name": "同名"})
    again = clerk.client.post(
        "/inbox/filters", data={"csrf_token": token, "name": "同名"}, follow_redirects=True
    )
    assert "已有同名筛选" in again.get_data(as_text=True) and _count(db) == before + 1
    assert clerk.client.post("/inbox/filters/999999/delete", data={"csrf_token": token}).status_code == 404
