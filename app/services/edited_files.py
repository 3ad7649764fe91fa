"""The files an editor deploy writes into the processes folder (each replaced in one step, all put
back when the deploy fails), and whether they would change anything."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from app.models import ProcessVersion

from . import processes


def same_diagram(a: str, b: str) -> bool:
    """Whether two BPMN texts say the same thing, whatever their layout and prefixes."""
    try:
        return bool(
            etree.canonicalize(a, strip_text=True, rewrite_prefixes=True)
            == etree.canonicalize(b, strip_text=True, rewrite_prefixes=True)
        )
    except (etree.XMLSyntaxError, ValueError):
        return False


def write_file(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so no reader ever sees half a file."""
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def unchanged(current: ProcessVersion, xml: str, decisions: dict[str, str], folder: Path) -> bool:
    """Whether deploying would change nothing: the same diagram (layout aside) and each decision
    table the same as the one stored with the current version (or, when it stores none of that
    name, as the file already in the processes folder)."""
    if not same_diagram(xml, current.bpmn_xml):
        return False
    stored = processes.decision_files(current)
    for name, xml_text in decisions.items():
        before = stored.get(name)
        if before is None and (folder / name).exists():
            before = (folder / name).read_text(encoding="utf-8")
        if before is None or not same_diagram(xml_text, before):
            return False
    return True


def write_all(folder: Path, texts: dict[str, str]) -> Callable[[], None]:
    """Write the files (name → text) into ``folder``; the function returned puts them back."""
    before = {
        name: (folder / name).read_text(encoding="utf-8") if (folder / name).exists() else None
        for name in texts
    }

    def undo() -> None:
        for name, text in before.items():
            if text is None:
                (folder / name).unlink(missing_ok=True)
            else:
                write_file(folder / name, text)

    try:
        for name, text in texts.items():
            write_file(folder / name, text)
    except Exception:
        undo()
        raise
    return undo
