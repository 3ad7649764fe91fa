"""The decision tables the process editor opens with dmn-js: those stored with the current version
(its business rule tasks' and those of the processes it calls) and the other `.dmn` files of the
processes folder, which a business rule task may call. Edited tables go back with the diagram."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from app.models import ProcessVersion
from app.services import platform, processes

from .library_words import dmn_words


def tables_of(session: Session, version: ProcessVersion) -> dict[str, str]:
    """``<name>.dmn`` → XML: the version's own tables first, then the folder's other ones."""
    tables = processes.decision_files(version)
    folder = platform.of(session).processes_dir
    for path in sorted(folder.glob("*.dmn")):
        if path.name not in tables:
            tables[path.name] = path.read_text(encoding="utf-8")
    return tables


def labels() -> dict[str, Any]:
    """The decision editor's words, in the page's language."""
    return {
        "title": gettext("Decision tables"),
        "intro": gettext(
            'Business rule tasks run these DMN tables. Entries are Python: >= 1000, "shop", '
            '? in ("a", "b"); - matches anything.'
        ),
        "edit": gettext("Edit table"),
        "edited": gettext("edited, not deployed"),
        "openTask": gettext("Open its decision table"),
        "noTable": gettext("This business rule task names no decision table of this process."),
        "save": gettext("Save into the draft"),
        "cancel": gettext("Cancel"),
        "saved": gettext("Saved into the draft: Validate and Deploy send it with the diagram."),
        "importFailed": gettext("The decision table could not be opened:"),
        "unsaved": gettext("The diagram has changes that are not deployed."),
        "words": dmn_words(),
    }
