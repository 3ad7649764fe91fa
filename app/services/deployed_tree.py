"""The deployed processes as files: the current version of every process, with the forms and
decision tables stored with it, read out of the database.

The database is the source of truth for what is deployed. Any number of web machines serve the
editor, so an editor deploy must not read (or write) one machine's processes folder: it loads the
edited diagram among these files instead, and `flask processes export` writes them back for git."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from . import platform, processes


def current_files(session: Session) -> dict[str, str]:
    """File name → text of the deployed processes: ``<key>.bpmn`` of every current version, and
    the called BPMN files, decision tables (``*.dmn``) and forms (``forms/<name>``) stored with them.

    A process's own current version wins over the copy a caller bundled of it (that copy may be
    older); of two bundled copies of a form or table, the most recently deployed one wins."""
    versions = sorted(processes.current_versions(session), key=lambda v: (v.deployed_at, v.id))
    found: dict[str, str] = {}
    for version in versions:
        for name, content in sorted(version.files.items()):
            folder, _, base = name.partition("/")
            if folder in {"bpmn", "dmn", "forms"} and base and "/" not in base:
                found[base if folder != "forms" else name] = _text(content)
    for version in versions:
        found[f"{version.key}.bpmn"] = version.bpmn_xml
    return found


def lane_groups(session: Session) -> dict[str, str]:
    """The lane → group mapping the current versions were deployed with (``groups.yaml``)."""
    merged: dict[str, str] = {}
    for version in sorted(processes.current_versions(session), key=lambda v: (v.deployed_at, v.id)):
        merged.update({str(k): str(v) for k, v in (version.meta.get("lane_groups") or {}).items()})
    return merged


def _text(content: Any) -> str:
    # Forms are stored parsed; the version hash covers the parsed schema, so layout does not matter.
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def write_to(session: Session, folder: Path, forms_folder: Path) -> list[Path]:
    """Write the deployed processes into ``folder`` and their forms into ``forms_folder``; answers
    the paths written, sorted."""
    written = []
    for name, content in current_files(session).items():
        path = forms_folder / name.removeprefix("forms/") if name.startswith("forms/") else folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return sorted(written)


@contextmanager
def scratch_folder(session: Session) -> Iterator[Path]:
    """A temporary folder holding the deployed processes, removed on leaving."""
    with tempfile.TemporaryDirectory(prefix="pf-deployed-") as scratch:
        folder = Path(scratch)
        write_to(session, folder, folder)  # forms beside the BPMN files are found first
        groups = lane_groups(session)
        if groups:  # merged with this machine's groups.yaml by the loader
            (folder / "groups.yaml").write_text(yaml.safe_dump(groups, allow_unicode=True), encoding="utf-8")
        yield folder


def shown_path(session: Session, key: str) -> str:
    """Where the process's file lives in the git workflow (what a version records as its source)."""
    return str(platform.of(session).processes_dir / f"{key}.bpmn")
