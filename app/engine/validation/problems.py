"""What a check reports: a problem names the file, the line, the element id, what is wrong and, where
there is one, what to write instead. Plus the few XML look-ups every check uses to place a problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lxml import etree

from ..messages import Text

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    element_id: str
    # English (the CLI prints it as it is) and translatable by the edges (see app/engine/messages.py).
    message: Text
    hint: Text | None

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {self.element_id}: {self.message}{hint}"


class Report(Protocol):
    """Records a problem at an element of the file being checked."""

    def __call__(self, el: Any, message: Text, hint: Text | None, element_id: str | None = None) -> None: ...


# Parts of a drawn element that may carry ids of their own the diagram never shows.
_UNDRAWN = ("extensionElements",)


def _drawn(el: Any) -> bool:
    name = local_name(el.tag)
    return not name.endswith("EventDefinition") and name not in _UNDRAWN


def owning_id(el: Any) -> str:
    """The id of the element, or of the nearest enclosing element that has one, skipping event
    definitions and other parts the diagram does not draw (an analyst looks for the event)."""
    while el is not None:
        if el.get("id") and _drawn(el):
            return str(el.get("id"))
        el = el.getparent()
    return "-"


def short(code: str, limit: int = 80) -> str:
    """``code`` on one line, cut to ``limit`` characters."""
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


def local_name(tag: Any) -> str:
    """The tag without its namespace (comments and processing instructions have none)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def id_ref(value: str | None) -> str:
    """An id reference without its namespace prefix (`tns:Message_1` → `Message_1`)."""
    return (value or "").strip().split(":")[-1]
