"""Each mistake of issue 14 is refused over HTTP: the validate endpoint lists it at the drawn element
with a hint, and a deploy of the same diagram answers 422 and stores nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.test_processes_edit import _versions, folder  # noqa: F401 - the processes folder fixture
from tests.engine.mistakes import MISTAKES, Mistake


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_validate_and_deploy_refuse_the_mistake(
    api: Any,
    db: Any,
    folder: Path,  # noqa: F811
    mistake: Mistake,
) -> None:
    xml = mistake.xml()
    checked = api.post(f"/api/v1/processes/{mistake.key}/validate", "analyst", json={"bpmn": xml})
    assert checked.status_code == 200, checked.get_json()
    body = checked.get_json()
    assert body["valid"] is False
    mine = [p for p in body["problems"] if p["element_id"] == mistake.element_id]
    assert mine, body["problems"]
    text = " ".join(p["text"] for p in mine)
    assert all(word in text for word in mistake.words), text
    assert all(p["line"] > 0 and p["hint"] for p in mine)

    path = folder / f"{mistake.key}.bpmn"
    before, versions = path.read_text(encoding="utf-8"), _versions(db, mistake.key)
    refused = api.post(f"/api/v1/processes/{mistake.key}/versions", "analyst", json={"bpmn": xml})
    assert refused.status_code == 422, refused.get_json()
    assert mistake.element_id in " ".join(refused.get_json()["errors"]["bpmn"])
    assert path.read_text(encoding="utf-8") == before
    assert _versions(db, mistake.key) == versions
