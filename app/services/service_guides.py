"""Service guides (办事指南): what a process needs before an applicant starts it, generated from
the current version's BPMN and its start form, so that an analyst's deploy is the guide's update.

The guide's texts (what the process is for, who may apply, fees, legal basis) are process
properties (`purpose`, `applicants`, `fees`, `legal_basis`, each with an `_en` twin); the
materials are the start form's `attachments`; the steps are the user tasks with their lanes'
groups and `time_limit`s; the overall limit is the process's `time_limit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import parse_time_limit
from app.errors import NotFound
from app.models import Group, ProcessVersion

from . import drafts, guide_flow, processes

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# What a guide's public diagram keeps of the BPMN: the drawing, never the scripts, conditions or
# properties (internal rules are not published).
HIDDEN_TAGS = (f"{{{BPMN}}}script", f"{{{BPMN}}}conditionExpression", f"{{{BPMN}}}extensionElements")


class StartedBy(Enum):
    """Who starts a case of the process, which decides the guide's wording and its Start link."""

    ANYONE = "anyone"  # public: e.g. complaints, no account needed
    APPLICANT = "applicant"  # a registered company or citizen
    STAFF = "staff"  # members of the `starters` groups (an inspector's rectification order)


@dataclass(frozen=True)
class TimeLimit:
    amount: int
    unit: str  # "wd" (working days), "d" (calendar days) or "h"


@dataclass(frozen=True)
class Material:
    kind: str
    title: str
    title_en: str
    required: bool


@dataclass(frozen=True)
class GuideStep:
    bpmn_id: str
    name: str
    name_en: str
    group: str | None
    group_name: str | None
    group_name_en: str | None
    limit: TimeLimit | None
    by_applicant: bool


@dataclass(frozen=True)
class ServiceGuide:
    key: str
    name: str
    name_en: str
    version_ref: str
    deployed_at: datetime
    started_by: StartedBy
    starters: list[str]
    texts: dict[str, str]
    materials: list[Material]
    steps: list[GuideStep]
    limit: TimeLimit | None
    case_kind: str

    @property
    def required_materials(self) -> list[Material]:
        return [m for m in self.materials if m.required]

    def text(self, name: str, english: bool) -> str:
        """A guide text in the page's language (the Chinese one when no English is given)."""
        return (self.texts.get(f"{name}_en") if english else None) or self.texts.get(name, "")


def listed(session: Session) -> list[ServiceGuide]:
    """The guides of the home page: every process the public or an applicant may start."""
    # The home page's cards need no steps: no diagram is walked and no group read per visit.
    found = [guide_of(session, v, with_steps=False) for v in _guided_versions(session)]
    return [g for g in found if g.started_by is not StartedBy.STAFF]


def guide(session: Session, key: str) -> ServiceGuide:
    """The guide of the current version of ``key``; NotFound for a process nobody starts from its
    own start form (one only called by another process)."""
    for version in _guided_versions(session):
        if version.key == key:
            return guide_of(session, version)
    raise NotFound(f"no service guide for process {key}")


def public_diagram(session: Session, key: str) -> str:
    """The guide's read-only flow of ``key`` (a key :func:`guide` found): the current version's BPMN
    without scripts, conditions or properties."""
    version = processes.current_version(session, key)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(version.bpmn_xml.encode(), parser)
    for tag in HIDDEN_TAGS:
        for el in list(root.iter(tag)):
            el.getparent().remove(el)
    return etree.tostring(root, encoding="unicode")


def _guided_versions(session: Session) -> list[ProcessVersion]:
    versions = processes.current_versions(session)
    called = {key for v in versions for key in v.meta.get("calls") or []}
    return [v for v in versions if v.meta["start"].get("form") and v.key not in called]


def guide_of(session: Session, version: ProcessVersion, *, with_steps: bool = True) -> ServiceGuide:
    meta = version.meta
    schema = processes.form_schema(version, meta["start"]["form"]) or {}
    starters = list(meta["start"].get("starters") or [])
    if meta["start"]["public"]:
        started_by = StartedBy.ANYONE
    else:
        started_by = StartedBy.STAFF if starters else StartedBy.APPLICANT
    return ServiceGuide(
        key=version.key,
        name=version.name,
        name_en=version.name_en,
        version_ref=version.ref,
        deployed_at=version.deployed_at,
        started_by=started_by,
        starters=starters,
        texts=dict(meta.get("guide") or {}),
        materials=[
            Material(
                kind=k.kind,
                title=k.schema.get("title") or k.kind,
                title_en=k.schema.get("x-title-en") or k.schema.get("title") or k.kind,
                required=k.required,
            )
            for k in drafts.attachment_kinds(schema)
        ],
        steps=_steps(session, version) if with_steps else [],
        limit=_limit(meta.get("time_limit")),
        case_kind=meta.get("case_kind", "application"),
    )


def _steps(session: Session, version: ProcessVersion) -> list[GuideStep]:
    tasks = version.meta.get("tasks") or {}
    order, named_groups = guide_flow.walk(version.bpmn_xml, version.key, version.files or {})
    chosen = {bpmn_id: named_groups.get(bpmn_id) or t.get("group") for bpmn_id, t in tasks.items()}
    slugs = {slug for slug in chosen.values() if slug}
    groups = {g.slug: g for g in session.scalars(select(Group).where(Group.slug.in_(slugs)))} if slugs else {}
    steps = []
    for bpmn_id in sorted(tasks, key=lambda i: order.get(i, len(order))):
        task = tasks[bpmn_id]
        slug = chosen[bpmn_id]
        group = groups.get(slug) if slug else None
        steps.append(
            GuideStep(
                bpmn_id=bpmn_id,
                name=task.get("name") or bpmn_id,
                name_en=task.get("name_en") or task.get("name") or bpmn_id,
                group=slug,
                # A lane naming no known group is the applicant's own (补正, 整改).
                group_name=group.name if group else None,
                group_name_en=group.name_en if group else None,
                limit=_limit(task.get("time_limit")),
                by_applicant=group is None,
            )
        )
    return steps


def _limit(value: str | None) -> TimeLimit | None:
    parsed = parse_time_limit(value or "")
    return TimeLimit(*parsed) if parsed else None


def start_target(guide: ServiceGuide) -> tuple[str, dict[str, str]]:
    """The endpoint (and its arguments) the guide's Start button leads to."""
    if guide.started_by is StartedBy.ANYONE and guide.case_kind == "complaint":
        return "complaints.complaint_new", {"process": guide.key}
    return "applicant.apply", {"key": guide.key}
