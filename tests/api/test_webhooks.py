"""`/api/v1/webhooks`: admins only, http(s) URLs reaching allowed addresses only, known event
types only; the secret is shown once; every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import AuditEvent


def test_admins_subscribe_list_and_delete_and_bad_subscriptions_are_refused(api: Any, db: Any) -> None:
    body = {"url": "http://127.0.0.1:9/hook", "events": ["case.closed", "case.started"]}
    assert api.post("/api/v1/webhooks", "clerk", json=body).status_code == 403
    assert api.get("/api/v1/webhooks", "clerk").status_code == 403
    for url, message in [
        ("ftp://127.0.0.1/hook", "is not an http:// or https:// URL"),
        ("http://10.0.0.7/hook", "private, loopback or link-local"),  # not in the allow setting
        ("http://[::1]:8080/hook", "private, loopback or link-local"),
        # IPv6 forms that reach a private IPv4 address (NAT64, 6to4, IPv4-compatible)
        ("http://[64:ff9b::a00:1]/hook", "private, loopback or link-local"),
        ("http://[2002:7f00:1::]/hook", "private, loopback or link-local"),
        ("http://[::127.0.0.1]/hook", "private, loopback or link-local"),
        ("https://example.com/钩子", "outside ASCII"),  # would fail at every attempt, never here
        ("http://user:pw@127.0.0.1/hook", "is not an http:// or https:// URL"),
    ]:
        refused = api.post("/api/v1/webhooks", "admin", json={**body, "url": url})
        assert refused.status_code == 422, url
        assert message in refused.get_json()["errors"]["url"][0], url
    unknown = api.post("/api/v1/webhooks", "admin", json={**body, "events": ["case.exploded"]})
    assert unknown.status_code == 422 and "events" in unknown.get_json()["errors"]

    made = api.post("/api/v1/webhooks", "admin", json=body)
    assert made.status_code == 201
    created = made.get_json()
    assert len(created["secret"]) >= 32
    [item] = api.get("/api/v1/webhooks", "admin").get_json()["items"]
    assert item["id"] == created["id"] and item["events"] == ["case.started", "case.closed"]
    assert "secret" not in item
    assert api.delete(f"/api/v1/webhooks/{created['id']}", "admin").status_code == 204
    assert api.delete(f"/api/v1/webhooks/{created['id']}", "admin").status_code == 404
    assert api.get("/api/v1/webhooks", "admin").get_json()["items"] == []
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("webhook.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["webhook.created", "webhook.deleted"]
    db.rollback()
