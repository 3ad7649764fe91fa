"""Messages the engine reports (validation problems, refusals of the script sandbox, simulation
findings), kept translatable without the engine knowing any language machinery.

A :class:`Text` is the English message itself (a ``str``: the CLI prints it as it is) that also
remembers its template and parameters, so an edge (API, pages) can say it in the reader's language:
``Text("time_limit '{value}' does not parse", value="5x")``. A parameter may be a Text (translated
too), a list (its items translated and joined with "; ") or anything else (shown as it is: ids,
names, values the author wrote). Templates use ``str.format`` fields; a literal brace is doubled.
``pybabel extract -k Text -k marked`` finds the templates (see the README, "Development").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

LIST_SEPARATOR = "; "


def _english(value: object) -> str:
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(_english(v) for v in value)
    return str(value)


class Text(str):
    """An English message with the template and parameters it was made from."""

    template: str
    params: Mapping[str, object]

    def __new__(cls, template: str, /, **params: object) -> Text:
        self = super().__new__(cls, template.format(**{k: _english(v) for k, v in params.items()}))
        self.template = template
        self.params = params
        return self

    def __reduce__(self) -> Any:  # a Text survives pickling (rq jobs, caches) as a Text
        return (_rebuild, (self.template, dict(self.params)))

    def replaced(self, old: str, new: str) -> Text:
        """The same message with ``old`` replaced by ``new`` in its parameters (e.g. a scratch folder)."""
        return Text(self.template, **{k: replaced(v, old, new) for k, v in self.params.items()})


def _rebuild(template: str, params: dict[str, object]) -> Text:
    return Text(template, **params)


def replaced(value: Any, old: str, new: str) -> Any:
    """``value`` with ``old`` replaced by ``new`` in its text, its parameters kept translatable."""
    if isinstance(value, Text):
        return value.replaced(old, new)
    if isinstance(value, list | tuple):
        return [replaced(v, old, new) for v in value]
    return value.replace(old, new) if isinstance(value, str) else value


def as_text(value: str) -> Text:
    """A message that is not one of ours (a library's words): kept as it is, untranslated."""
    return value if isinstance(value, Text) else Text("{detail}", detail=value)


def translated(value: object, gettext: Callable[[str], str]) -> str:
    """``value`` said with ``gettext`` (template by template); the English text when a translation
    does not fit its parameters."""
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(translated(v, gettext) for v in value)
    if not isinstance(value, Text):
        return str(value)
    params = {k: translated(v, gettext) for k, v in value.params.items()}
    try:
        return gettext(value.template).format(**params)
    except (KeyError, IndexError, ValueError):
        return value.template.format(**params)


def marked(template: str) -> str:
    """A template kept for later (``Text(template, **params)``): marked so ``pybabel extract -k
    marked`` finds it."""
    return template
