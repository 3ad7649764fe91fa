# ruff: noqa: F811  (pytest fixtures imported from other test modules are named as arguments)
"""A lost query code (查询码找回): the complainant gives the complaint number and the phone or e-mail
address given at filing; a new code goes there by a job (SMS to a stand-in SMS gateway over real
HTTP, e-mail to a real SMTP server), the old code and the browsers that proved it stop working, a
second recovery within the window (from any address) sends nothing, a match, a mismatch and an
unknown number get one answer and all count against the address, and nothing sealed travels in
clear through the queue."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app import clock, edge
from app.models import AuditEvent, Case
from app.services import code_recovery
from tests.conftest import ROOT
from tests.jobs.test_notifications import smtp_server  # noqa: F401 - the real SMTP fixture
from tests.jobs.test_timer_batches import queue  # noqa: F401 - the real rq queue, emptied
from tests.services.test_sms import SECRET, StandIn, stand_in  # noqa: F401 - the SMS stand-in
from tests.web.test_complaints import FORM, file, ticket

PHONE = "13812345678"


@pytest.fixture
def delivering(app: Any, stand_in: StandIn, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The jobs' settings: the SMS stand-in and the SMTP server."""
    _inbox, port = smtp_server
    settings = replace(
        edge.of(app).settings,
        sms_url=stand_in.url,
        sms_key_id="pf",
        sms_secret=SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
    )
    monkeypatch.setattr(edge, "settings", lambda: settings)
    return settings


def _filed(pages: Any, contact: dict[str, str]) -> tuple[Any, str, str]:
    browser = pages()
    response = file(browser, {**FORM, **{f"contact.{k}": v for k, v in contact.items()}})
    number, code = ticket(browser, response)
    return browser, number, code


def _recover(pages: Any, number: str, contact: str) -> Any:
    browser = pages()
    return browser.post("/track/recover", {"number": number, "contact": contact}, page="/track/recover")


def _run_sends(app: Any, queue: Any) -> list[str]:
    jobs = [j for j in queue.jobs if j.func_name == "app.jobs.code_recovery.send_code"]
    with app.app_context():
        results = [job.perform() for job in jobs]
    for job in jobs:
        job.delete()
    return results


def _sent_notice(response: Any) -> str:
    html = response.get_data(as_text=True)
    return re.search(r'id="recover-sent">(.*?)</div>', html, re.S).group(1)


def _looks_up(pages: Any, number: str, code: str) -> int:
    browser = pages()
    return int(browser.post("/track", {"number": number, "code": code}, page="/track").status_code)


def test_a_lost_code_is_sent_again_by_sms_and_the_old_one_stops_working(
    app: Any,
    db: Any,
    pages: Any,
    queue: Any,
    delivering: Any,
    stand_in: StandIn,
) -> None:
    first_browser, number, old_code = _filed(pages, {"phone": PHONE})
    assert first_browser.get(f"/track/{number}").status_code == 200  # it proved the code by filing
    # Sealed: neither the phone number nor a code is in the queue in clear.
    answer = _recover(pages, number, "138 1234 5678")  # spaces as people type them
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "recover-sent" in html and PHONE not in html
    [job] = [j for j in queue.jobs if j.func_name == "app.jobs.code_recovery.send_code"]
    assert PHONE not in json.dumps([str(a) for a in job.args]) and job.args[0] == "sms"
    assert _run_sends(app, queue) == ["sent"]
    [sms] = stand_in.received
    body = json.loads(sms["body"])
    assert body["to"] == PHONE and number in body["text"]
    new_code = re.search(r"新查询码：([A-Z0-9]{8})", body["text"]).group(1)
    assert new_code != old_code
    assert _looks_up(pages, number, old_code) == 404
    assert _looks_up(pages, number, new_code) == 302
    # The browser that proved the old code lost its access with it.
    assert "Track a case" in first_browser.get(f"/track/{number}").get_data(as_text=True)
    case = db.scalar(select(Case).where(Case.number == number))
    events = db.execute(
        select(AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.case_id == case.id, AuditEvent.action.like("case.query%")
        )
    ).all()
    assert [tuple(e) for e in events] == [("case.query_code_replaced", {"channel": "sms"})]
    db.rollback()


def test_a_second_recovery_within_the_window_is_refused_and_changes_nothing(
    app: Any,
    db: Any,
    pages: Any,
    queue: Any,
    delivering: Any,
    stand_in: StandIn,
) -> None:
    _browser, number, _old = _filed(pages, {"phone": PHONE})
    assert _recover(pages, number, PHONE).status_code == 200
    _run_sends(app, queue)
    new_code = re.search(r"新查询码：([A-Z0-9]{8})", json.loads(stand_in.received[0]["body"])["text"]).group(
        1
    )
    first = _recover(pages, number, PHONE)
    # Another address (a stranger who knows the number and the phone) gets the same page, and the
    # case's window - not the address's budget - keeps the code the complainant was sent.
    stranger = pages()
    stranger.client.environ_base["REMOTE_ADDR"] = "198.51.100.30"
    again = stranger.post("/track/recover", {"number": number, "contact": PHONE}, page="/track/recover")
    assert again.status_code == first.status_code == 200
    assert _sent_notice(again) == _sent_notice(first)
    assert _run_sends(app, queue) == [] and len(stand_in.received) == 1
    assert _looks_up(pages, number, new_code) == 302  # the code sent first still works
    # After the window a new recovery is possible again.
    window = timedelta(hours=edge.of(app).settings.code_recovery_hours)
    with clock.travel_to(clock.now() + window + timedelta(minutes=1)):
        assert _recover(pages, number, PHONE).status_code == 200
    assert _run_sends(app, queue) == ["sent"]


def test_a_match_a_mismatch_and_an_unknown_number_get_one_answer_and_all_count(
    app: Any,
    db: Any,
    pages: Any,
    queue: Any,
    delivering: Any,
    stand_in: StandIn,
) -> None:
    _browser, number, code = _filed(pages, {"phone": PHONE})
    right = _recover(pages, number, PHONE)
    wrong = _recover(pages, number, "13900000000")
    unknown = _recover(pages, "TS20990101000000", PHONE)
    # One answer whether the contact matches or not: no oracle of who filed what.
    assert right.status_code == wrong.status_code == unknown.status_code == 200
    assert _sent_notice(right) == _sent_notice(wrong) == _sent_notice(unknown)
    assert _run_sends(app, queue) == ["sent"]
    code = re.search(r"新查询码：([A-Z0-9]{8})", json.loads(stand_in.received[0]["body"])["text"]).group(1)
    assert _run_sends(app, queue) == []
    limit = edge.of(app).settings.lookup_max_failures
    for _ in range(limit - 3):  # every attempt counts, the matching one too
        _recover(pages, number, "13900000000")
    blocked = _recover(pages, number, PHONE)  # now even the right contact waits
    assert blocked.status_code == 429 and _run_sends(app, queue) == []
    assert _looks_up(pages, number, code) in (302, 429)  # the code itself is unchanged
    case = db.scalar(select(Case).where(Case.number == number))
    replaced = db.scalar(
        select(func.count()).where(
            AuditEvent.case_id == case.id, AuditEvent.action == "case.query_code_replaced"
        )
    )
    assert replaced == 1
    db.rollback()


def test_a_code_goes_by_e_mail_to_the_address_given(
    app: Any,
    db: Any,
    pages: Any,
    queue: Any,
    delivering: Any,
    smtp_server: Any,
) -> None:
    inbox, _port = smtp_server
    _browser, number, old_code = _filed(pages, {"email": "Zhang.San@Example.com"})
    answer = _recover(pages, number, "zhang.san@example.com")
    assert answer.status_code == 200 and "Zhang" not in answer.get_data(as_text=True)
    assert _recover(pages, number, PHONE).status_code == 200  # no phone was given: nothing sent
    assert _recover(pages, number, "ZHANG.SAN@example.com").status_code == 200  # once per window
    assert _run_sends(app, queue) == ["sent"]
    [message] = inbox.messages
    assert message["To"] == "zhang.san@example.com"
    new_code = re.search(r"新查询码：([A-Z0-9]{8})", message.get_payload(decode=True).decode()).group(1)
    assert _looks_up(pages, number, new_code) == 302 and _looks_up(pages, number, old_code) == 404


def test_a_complaint_filed_without_contact_cannot_be_recovered(
    app: Any,
    pages: Any,
    queue: Any,
    delivering: Any,
) -> None:
    _browser, number, _code = _filed(pages, {})
    assert _recover(pages, number, PHONE).status_code == 200
    assert _run_sends(app, queue) == []


def test_the_form_marks_name_the_recovery_fields() -> None:
    schema = json.loads((ROOT / "forms" / "complaint.schema.json").read_text(encoding="utf-8"))
    assert sorted(code_recovery.recovery_fields(schema)) == [
        ("contact.email", "email"),
        ("contact.phone", "sms"),
    ]
    assert code_recovery.normalise("+86 138-1234-5678") == ("sms", PHONE)
    assert code_recovery.normalise(" A@B.cn ") == ("email", "a@b.cn")
    assert code_recovery.normalise("not a phone") is None
