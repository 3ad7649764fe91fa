"""`flask processes export`: the deployed versions, as the database holds them, back into files
that load as the very same versions (the git workflow's way back from editor deploys)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.services import processes
from tests.helpers import change_settings


def test_export_writes_the_current_versions_that_load_as_the_same_versions(
    app: Any, db: Any, tmp_path: Path
) -> None:
    result = app.test_cli_runner().invoke(args=["processes", "export", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    current = {v.key: v for v in processes.current_versions(db)}
    assert current, "the demo processes are deployed"
    for key, version in current.items():
        assert (tmp_path / "processes" / f"{key}.bpmn").read_text(encoding="utf-8") == version.bpmn_xml
        for name, stored in version.files.items():
            if name.startswith("forms/"):
                exported = (tmp_path / "forms" / name.removeprefix("forms/")).read_text(encoding="utf-8")
                assert json.loads(exported) == stored
            elif name.startswith("dmn/"):
                assert (tmp_path / "processes" / name.removeprefix("dmn/")).read_text(
                    encoding="utf-8"
                ) == stored
    assert f"exported {len(list(tmp_path.rglob('*.*')))} file(s)" in result.output

    with app.app_context():
        loaded = processes.read_processes(db, sorted((tmp_path / "processes").glob("*.bpmn")))
    assert not loaded.problems, loaded.problems
    assert {k: b.hash for k, b in loaded.bundles.items()} == {k: v.hash for k, v in current.items()}
    db.rollback()


def test_export_without_dir_writes_the_configured_folders(
    app: Any, db: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    change_settings(monkeypatch, app, processes_dir=str(tmp_path / "p"), forms_dir=str(tmp_path / "f"))
    result = app.test_cli_runner().invoke(args=["processes", "export"])
    assert result.exit_code == 0, result.output
    permit = processes.current_version(db, "construction_permit")
    assert (tmp_path / "p" / "construction_permit.bpmn").read_text(encoding="utf-8") == permit.bpmn_xml
    start_form = permit.meta["start"]["form"]
    assert (
        json.loads((tmp_path / "f" / start_form).read_text(encoding="utf-8"))
        == permit.files[f"forms/{start_form}"]
    )
    db.rollback()
