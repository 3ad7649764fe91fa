"""Before a deploy from the editor: what the edited diagram changes against the current version and
how many running cases stay on the versions they run (cases never move by a deploy; see
``migration``). The analyst confirms these differences; the deploy then names the version they were
against, and is refused (409) when another deploy made a different version current meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.engine.diagram_diff import DiagramDiff
from app.engine.table_diff import diff_versions
from app.errors import Conflict
from app.models import ProcessVersion

from . import processes


class StaleBase(Conflict):
    """The differences the analyst confirmed were against a version that is no longer current."""

    def __init__(self, current_hash: str) -> None:
        super().__init__(
            f"the current version is now {current_hash[:12]}, not the one whose differences were "
            "confirmed: nothing was deployed. Look at the differences again",
            {"base": ["not the current version"]},
        )
        self.current_hash = current_hash

    @classmethod
    def check(cls, base: str | None, current_hash: str) -> None:
        """Refuse a deploy confirmed against ``base`` when ``current_hash`` is current now."""
        if base is not None and base != current_hash:
            raise cls(current_hash)


@dataclass(frozen=True)
class DeployPreview:
    """Against which current version, the diagram's differences from it, and the running cases that
    stay on their versions: on the current one, and on all of the process's versions."""

    current: ProcessVersion
    diff: DiagramDiff
    running_on_current: int
    running: int


def preview_deploy(
    session: Session, key: str, xml: str, tables: dict[str, str] | None = None
) -> DeployPreview:
    """The differences of ``xml`` and of the edited decision ``tables`` (``<name>.dmn`` → XML; the
    others stay as the current version has them) from the current version of ``key`` (nothing is
    stored; who may see them is who may deploy: ``process_views.require_editor``)."""
    current = processes.current_version(session, key)
    running = processes.running_counts(session, key)
    before = processes.decision_files(current)
    diff = diff_versions(current.bpmn_xml, before, xml, {**before, **(tables or {})})
    return DeployPreview(current, diff, running.get(current.id, 0), sum(running.values()))
