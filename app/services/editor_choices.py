"""What the editor's properties panel offers to choose from: the forms of the forms folder, the real
groups (for lanes and supervising groups) and the lane names `processes/groups.yaml` maps to them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Group

from . import platform


@dataclass(frozen=True)
class GroupChoice:
    slug: str
    name: str
    name_en: str


@dataclass(frozen=True)
class EditorChoices:
    forms: list[str]
    groups: list[GroupChoice]
    lane_groups: dict[str, str]


def editor_choices(session: Session) -> EditorChoices:
    """The forms, groups and lane mapping of this deployment."""
    plat = platform.of(session)
    forms = sorted(p.name for p in plat.forms_dir.glob("*.json"))
    groups = [
        GroupChoice(g.slug, g.name, g.name_en) for g in session.scalars(select(Group).order_by(Group.slug))
    ]
    return EditorChoices(forms, groups, dict(plat.lane_groups(plat.processes_dir)))
