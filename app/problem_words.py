"""The engine's messages (validation problems, simulation findings, process tests) in the reader's
language, for the edges that show them: the editor in the page's language, the API by the request's
``Accept-Language`` (English when it names neither language). The CLI prints them as they are, in
English (``str(problem)``: ``FILE:LINE: ELEMENT_ID: message (hint)``).

The engine hands over :class:`app.engine.Text` (template + parameters); this is the one place that
turns them into the reader's words (``app/translations``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from flask_babel import force_locale, gettext

from app.engine import Problem, translated

# Accept-Language tags → the catalogue's locale.
API_LANGUAGES = {"zh-cn": "zh_CN", "zh": "zh_CN", "zh-hans": "zh_CN", "en": "en"}
API_DEFAULT = "en"


def say(value: object) -> str:
    """``value`` (a Text, or any text) in the current locale."""
    return translated(value, gettext)


def problem_line(problem: Problem) -> str:
    """``FILE:LINE: ELEMENT_ID: message (hint)`` in the current locale (the API's ``text``)."""
    hint = f" ({say(problem.hint)})" if problem.hint else ""
    return f"{problem.file}:{problem.line}: {problem.element_id}: {say(problem.message)}{hint}"


def api_language() -> str:
    """The request's Accept-Language as ``zh_CN`` or ``en``; English when it names neither."""
    best = request.accept_languages.best_match(list(API_LANGUAGES), default="")
    return API_LANGUAGES.get(best.lower(), API_DEFAULT)


@contextmanager
def in_api_language() -> Iterator[None]:
    """Say engine messages in the language the API request asks for."""
    with force_locale(api_language()):
        yield
