"""Why a webhook delivery's attempt failed, as the delivery log keeps it: English text (the API,
the logs, the audit trail) made from the templates below, so that a page can say the same in its
reader's language (``explained``) — rows written before this module included."""

from __future__ import annotations

import re

from app.engine.messages import Text, marked

from .webhook_urls import BAD_URL, NON_ASCII_URL, PRIVATE_URL, TOO_LONG_URL, UNRESOLVED_URL

REFUSED = marked("refused: the URL {reason}")
NO_ANSWER = marked("no answer within {seconds} s")
UNREACHABLE = marked("could not be reached: {detail}")
UNSENDABLE = marked("could not be sent: {detail}")
ANSWERED = marked("the receiver answered {status}")
DELETED = marked("the subscription was deleted")
TEMPLATES = (REFUSED, NO_ANSWER, UNREACHABLE, UNSENDABLE, ANSWERED, DELETED)
URL_REASONS = frozenset({BAD_URL, PRIVATE_URL, UNRESOLVED_URL, TOO_LONG_URL, NON_ASCII_URL})
# The longest a stored reason is (the column holds 500 characters).
MAX_CHARS = 500


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    # Odd parts are field names: each matches what was put there (text the template's words
    # around it delimit; the last field takes the rest, a truncated detail included).
    source = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(source + r"\Z", re.DOTALL)


_PATTERNS = [(t, _pattern(t)) for t in TEMPLATES]


def error(template: str, **params: object) -> Text:
    """A failure reason from one of the templates, its parameter cut so that it fits the log."""
    text = Text(template, **params)
    excess = len(text) - MAX_CHARS
    if excess <= 0:
        return text
    return Text(template, **{k: str(v)[: max(0, len(str(v)) - excess)] for k, v in params.items()})


def explained(stored: str) -> Text:
    """The stored reason again as a template and its parameters (translatable); text that none
    of the templates made is kept as it is."""
    for template, pattern in _PATTERNS:
        found = pattern.match(stored)
        if found is not None:
            params: dict[str, object] = dict(found.groupdict())
            if params.get("reason") in URL_REASONS:
                params["reason"] = Text(str(params["reason"]))  # the URL check's own words, translated
            return Text(template, **params)
    return Text("{detail}", detail=stored)
