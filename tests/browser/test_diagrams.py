"""Every shipped diagram opens in bpmn-js as analysts see it: no import warnings, every flow node and
sequence flow drawn (no missing DI), and no two flow-node shapes on top of each other (boundary
events sit on their host, and a subprocess holds its children: both allowed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VIEWER = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))

INSPECT = """async (xml) => {
  const viewer = new window.BpmnJS({ container: "#canvas" });
  const { warnings } = await viewer.importXML(xml);
  const registry = viewer.get("elementRegistry");
  const missing = [];
  const visit = (container) => {
    for (const el of container.flowElements || []) {
      if ((el.$instanceOf("bpmn:FlowNode") || el.$instanceOf("bpmn:SequenceFlow")) && !registry.get(el.id)) {
        missing.push(el.id);
      }
      visit(el);
    }
  };
  for (const root of viewer.getDefinitions().rootElements) {
    if (root.$instanceOf("bpmn:Process")) { visit(root); }
  }
  const shapes = registry.filter((e) => !e.waypoints && e.type !== "label" && e.businessObject
    && e.businessObject.$instanceOf("bpmn:FlowNode") && !e.businessObject.$instanceOf("bpmn:BoundaryEvent"));
  const inside = (child, parent) => {
    for (let p = child.parent; p; p = p.parent) { if (p === parent) return true; }
    return false;
  };
  const overlaps = [];
  for (let i = 0; i < shapes.length; i++) {
    for (let j = i + 1; j < shapes.length; j++) {
      const a = shapes[i], b = shapes[j];
      if (inside(a, b) || inside(b, a)) continue;
      const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (w > 0 && h > 0) overlaps.push(a.id + " overlaps " + b.id);
    }
  }
  return { warnings: warnings.map((w) => w.message), missing, overlaps, shapes: shapes.length };
}"""


@pytest.fixture(scope="module")
def viewer_page() -> Iterator[Any]:
    from tests.browser.conftest import CHROMIUM

    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.name for p in DIAGRAMS])
def test_diagram_opens_complete_and_without_overlaps(viewer_page: Any, path: Path) -> None:
    page = viewer_page.new_page(viewport={"width": 1600, "height": 1000})
    try:
        page.set_content('<div id="canvas" style="width:1600px;height:1000px"></div>')
        page.add_script_tag(path=str(VIEWER))
        found = page.evaluate(INSPECT, path.read_text(encoding="utf-8"))
    finally:
        page.close()
    assert found["shapes"] > 0, f"{path.name}: nothing drawn"
    assert found["warnings"] == [], f"{path.name}: import warnings"
    assert found["missing"] == [], f"{path.name}: flow elements without a shape or edge (no DI)"
    assert found["overlaps"] == [], f"{path.name}: shapes on top of each other"
