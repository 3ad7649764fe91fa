"""The script sandbox's refusals as translatable messages (see ``messages``): our own rules, and the
refusals of RestrictedPython an author meets most, recognised by their words. Anything else the
library says is kept as it is."""

from __future__ import annotations

import re

from .messages import Text, as_text, marked

# RestrictedPython's words → our template (its parameters are the pattern's groups).
_LIBRARY = (
    (
        r'"(?P<name>[^"]+)" is an invalid variable name because it starts with "_"',
        marked('"{name}" is an invalid variable name because it starts with "_"'),
    ),
    (
        r'"(?P<name>[^"]+)" is an invalid attribute name because it starts with "_"\.',
        marked('"{name}" is an invalid attribute name because it starts with "_".'),
    ),
    (r'"(?P<name>[^"]+)" is a reserved name\.', marked('"{name}" is a reserved name.')),
    (r"(?P<name>\w+) statements are not allowed\.", marked("{name} statements are not allowed.")),
    (r"Exec calls are not allowed\.", marked("Exec calls are not allowed.")),
    (r"Eval calls are not allowed\.", marked("Eval calls are not allowed.")),
    (r'"\*" imports are not allowed\.', marked('"*" imports are not allowed.')),
)


def said(info: str) -> Text:
    """``info`` (a refusal of RestrictedPython or our own) as a translatable message."""
    if isinstance(info, Text):
        return info
    for pattern, template in _LIBRARY:
        match = re.fullmatch(pattern, info)
        if match:
            return Text(template, **match.groupdict())
    return as_text(info)


def at_line(line: object, info: str) -> Text:
    """A refusal at a line of the script, as RestrictedPython words it (``Line 3: …``)."""
    return Text("Line {line}: {info}", line=line, info=said(info))
