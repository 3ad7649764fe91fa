"""The shipped processes loaded as the platform loads them, optionally with one file edited in a copy
(the way an analyst breaks a process in the editor)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from app.engine import LoadResult, load_processes
from app.engine.validation.problems import NS

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, FORMS = ROOT / "processes", ROOT / "forms"


def lane_groups() -> dict[str, str]:
    loaded = yaml.safe_load((PROCESSES / "groups.yaml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in loaded.items()}


def load_copy(
    tmp_path: Path, key: str | None = None, edit: Callable[[Any], None] | None = None
) -> LoadResult:
    """Every shipped process, ``key``'s file changed by ``edit`` (on its lxml tree) in a copy."""
    folder = tmp_path / "processes"
    shutil.copytree(PROCESSES, folder, dirs_exist_ok=True)
    if key is not None and edit is not None:
        path = folder / f"{key}.bpmn"
        tree = etree.parse(str(path))
        edit(tree.getroot())
        tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return load_processes(sorted(folder.glob("*.bpmn")), [FORMS], lane_groups())


def by_id(root: Any, element_id: str) -> Any:
    return root.xpath(f"//*[@id='{element_id}']")[0]


def delete(root: Any, *element_ids: str) -> None:
    """Delete elements the way the editor does: with their sequence flows and incoming/outgoing marks."""
    for element_id in element_ids:
        el = by_id(root, element_id)
        flows = [el] if etree.QName(el).localname == "sequenceFlow" else []
        flows += root.xpath(
            f"//bpmn:sequenceFlow[@sourceRef='{element_id}' or @targetRef='{element_id}']", namespaces=NS
        )
        for flow in {id(f): f for f in flows}.values():
            flow_id = flow.get("id")
            for mark in root.xpath(
                f"//bpmn:incoming[text()='{flow_id}'] | //bpmn:outgoing[text()='{flow_id}']", namespaces=NS
            ):
                mark.getparent().remove(mark)
            for owner in root.xpath(f"//*[@default='{flow_id}']"):
                del owner.attrib["default"]
            if flow.getparent() is not None:
                flow.getparent().remove(flow)
        if el.getparent() is not None:
            el.getparent().remove(el)
