"""A complainant on a phone and on a desktop, without an account: files a complaint with a photo and a
phone number, finds on the status page what was filed (the photo's thumbnail loads), the handling
deadline and the steps in complaint words; loses the code, gets a new one by SMS (a stand-in SMS
gateway over real HTTP, the job run from the real queue) and the old code stops working. axe-core
checks each page."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from app import edge
from tests.services.test_sms import SECRET, StandIn, stand_in  # noqa: F401 - the SMS stand-in

PHONE = "13812345678"
WORDS = {
    "zh_CN": {
        "filed": "投诉内容",
        "deadline": "办理期限",
        "who": "投诉人",
        "sent": "新的查询码已发送至该处",
    },
    "en": {
        "filed": "What was filed",
        "deadline": "Handling deadline",
        "who": "Complainant",
        "sent": "a new query code has been sent there",
    },
}


def _png(path: Path) -> Path:
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes((200, 120, 40)) * 64 for _ in range(48))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def _send_queued_codes(app: Any, redis_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = Queue(edge.of(app).settings.queue_name, connection=redis.Redis.from_url(redis_url))
    monkeypatch.setattr(edge, "settings", lambda: settings)
    with app.app_context():
        for job in queue.jobs:
            if job.func_name == "app.jobs.code_recovery.send_code":
                assert job.perform() == "sent"
                job.delete()


@pytest.mark.parametrize(("lang", "width"), [("zh_CN", 1366), ("en", 390)], ids=["zh-desktop", "en-phone"])
def test_a_complainant_follows_the_complaint_and_recovers_a_lost_code(
    app: Any,
    live_server: Any,
    browser: Any,
    redis_url: str,
    stand_in: StandIn,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    lang: str,
    width: int,
) -> None:
    words = WORDS[lang]
    url = live_server.url
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": url}])
    page = context.new_page()
    page.goto(url + "/complaints/new")
    page.locator("[name=category]").first.wait_for()
    if page.locator("select[name=category]").count():
        page.select_option("select[name=category]", "noise_dust")
    else:
        page.check("input[name=category][value=noise_dust]")
    page.fill("[name=location]", "北湖区滨江路88号工地")
    page.fill("[name=description]", "夜间施工噪声扰民。")
    page.fill("[name='contact.phone']", PHONE)
    page.set_input_files("input[name=photos]", str(_png(tmp_path / "photo.png")))
    page.locator("form button[type=submit]").last.click()
    number = page.locator("#ticket-number").inner_text()
    old_code = page.locator("#ticket-code").inner_text()
    page.locator("a.btn-primary", has_text=re.compile(".")).last.click()
    page.wait_for_load_state("networkidle")
    body = page.locator("main").inner_text()
    assert words["filed"] in body and words["deadline"] in body and words["who"] in body
    assert "北湖区滨江路88号工地" in body and PHONE not in page.content()
    photo = page.locator(".evidence-photos img").first
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 64
    browser.axe(page)

    # Lost: a new code by SMS from the recovery page, linked from the lookup.
    other = browser.new_context(viewport={"width": width, "height": 900})
    other.add_cookies([{"name": "lang", "value": lang, "url": url}])
    phone = other.new_page()
    phone.goto(url + "/track")
    phone.locator("#recover-link").click()
    phone.fill("#number", number)
    phone.fill("#contact", PHONE)
    phone.locator("form button[type=submit]").click()
    assert words["sent"] in phone.locator("#recover-sent").inner_text()
    browser.axe(phone)
    settings = replace(edge.of(app).settings, sms_url=stand_in.url, sms_key_id="pf", sms_secret=SECRET)
    _send_queued_codes(app, redis_url, settings, monkeypatch)
    [message] = stand_in.received
    new_code = re.search(r"新查询码：([A-Z0-9]{8})", json.loads(message["body"])["text"]).group(1)

    phone.goto(url + "/track")
    phone.fill("#number", number)
    phone.fill("#code", old_code)
    phone.locator("form button[type=submit]").click()
    assert phone.locator("#track-error").is_visible()  # the old code stopped working
    phone.fill("#code", new_code)
    phone.locator("form button[type=submit]").click()
    phone.wait_for_url(re.compile(f"/track/{number}$"))
    # The first browser proved the old code: its access went with it.
    page.goto(url + f"/track/{number}")
    assert page.locator("#code").is_visible()
    context.close()
    other.close()
