"""Each mistake of issue 14 in the analyst's editor: Validate lists it with the shape to mark on the
diagram, Deploy refuses it and nothing changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.test_processes_edit import folder  # noqa: F401 - the processes folder fixture
from tests.engine.mistakes import MISTAKES, Mistake
from tests.web.test_analyst_pages import _current, _data


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_the_editor_marks_and_refuses_the_mistake(
    pages: Any,
    db: Any,
    folder: Path,  # noqa: F811
    mistake: Mistake,
) -> None:
    analyst = pages("analyst")
    editor = _data(analyst.get(f"/processes/{mistake.key}/edit").get_data(as_text=True))
    headers = {"X-CSRFToken": analyst.csrf(f"/processes/{mistake.key}/edit")}
    xml = mistake.xml()

    checked = analyst.client.post(editor["validateUrl"], json={"bpmn": xml}, headers=headers)
    assert checked.status_code == 200
    body = checked.get_json()
    assert body["ok"] is False
    mine = [p for p in body["problems"] if p["element_id"] == mistake.element_id]
    assert mine, body["problems"]
    # Marked on the diagram at the element itself (elements these edits add have no shape: none).
    drawn = f'bpmnElement="{mistake.element_id}"' in xml
    assert {p["shape_id"] for p in mine} == {mistake.element_id if drawn else None}

    before = _current(db, mistake.key)
    refused = analyst.client.post(editor["deployUrl"], json={"bpmn": xml}, headers=headers)
    assert refused.status_code == 422
    assert mistake.element_id in {p["element_id"] for p in refused.get_json()["problems"]}
    assert _current(db, mistake.key) == before
