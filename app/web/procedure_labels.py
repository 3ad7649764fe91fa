"""The words for the procedures' closed sets of codes, in the page's language."""

from __future__ import annotations

from flask_babel import gettext


def suspension_reason(code: str) -> str:
    """A suspension (挂起) reason code by name; an unknown (configured) code as it is."""
    names = {
        "expert_review": gettext("Expert review"),
        "hearing": gettext("Hearing"),
        "testing": gettext("Testing"),
        "appraisal": gettext("Appraisal"),
    }
    return names.get(code, code)


def rating_level(level: int) -> str:
    """A service rating (好差评) level by name: 5 非常满意 … 1 非常不满意."""
    names = {
        5: gettext("Very satisfied"),
        4: gettext("Satisfied"),
        3: gettext("Fairly satisfied"),
        2: gettext("Dissatisfied"),
        1: gettext("Very dissatisfied"),
    }
    return names.get(level, str(level))


RATING_LEVELS = (5, 4, 3, 2, 1)
