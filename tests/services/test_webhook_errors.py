"""A delivery's failure reason is stored in English and said again in the reader's language from
the same templates (services/webhook_errors.py): every reason an attempt writes is recognised."""

from __future__ import annotations

from app.engine import Text
from app.services import webhook_errors as we
from app.services.webhook_urls import PRIVATE_URL


def test_every_stored_reason_comes_back_as_its_template_and_values() -> None:
    for template, params in [
        (we.REFUSED, {"reason": PRIVATE_URL}),
        (we.NO_ANSWER, {"seconds": "0.5"}),
        (we.UNREACHABLE, {"detail": "ConnectionRefusedError: [Errno 111] Connection refused"}),
        (we.UNSENDABLE, {"detail": "UnicodeEncodeError: 'ascii' codec can't encode"}),
        (we.ANSWERED, {"status": 503}),
        (we.DELETED, {}),
    ]:
        stored = str(we.error(template, **params))
        again = we.explained(stored)
        assert again.template == template and str(again) == stored
        assert {k: str(v) for k, v in again.params.items()} == {k: str(v) for k, v in params.items()}
    reason = we.explained(str(we.error(we.REFUSED, reason=PRIVATE_URL))).params["reason"]
    assert isinstance(reason, Text) and reason.template == PRIVATE_URL  # translated in its turn


def test_a_long_detail_is_cut_to_what_the_log_keeps_and_other_text_is_kept() -> None:
    long = str(we.error(we.UNREACHABLE, detail="x" * 900))
    assert len(long) == we.MAX_CHARS and we.explained(long).template == we.UNREACHABLE
    assert we.explained("something else entirely").template == "{detail}"
