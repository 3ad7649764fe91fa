"""Whether an editor deploy would change anything: the same diagram (layout aside) and tables."""

from __future__ import annotations

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
