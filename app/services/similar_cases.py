"""Similar open cases for a task that merges duplicates (the complaint desk's triage): cases of
the same process, still open, recent, sharing the fields the task names (``similar_same``, e.g.
the category) and whose text overlaps (``similar_text``: the location, the description), found by
the case search and ranked by how much they share. The task declares this in the BPMN
(engine/process_meta.py ``merge``); merging is completing the task with the other case's
number (``merge_field``) and the ``merge_values``, the same completion as typing the number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseStatus, HumanTask, User

from .case_access import readable_cases
from .search import SearchHit, hits, ranked_ids
from .search_text import Query

RECENT_DAYS = 30
SHOWN = 5
OPEN = (CaseStatus.IN_PROGRESS, CaseStatus.WAITING_FOR_APPLICANT)


@dataclass(frozen=True)
class MergeRule:
    field: str
    values: dict[str, str]
    same: tuple[str, ...]
    text: tuple[str, ...]

    def submission(self, number: str) -> dict[str, str]:
        """What completing the task as a merge into case ``number`` submits."""
        return {**self.values, self.field: number}


def merge_rule(version: Any, task: HumanTask) -> MergeRule | None:
    """The merge the task declares (``version``: anything with the version's ``meta``)."""
    raw = ((version.meta or {}).get("tasks", {}).get(task.bpmn_id) or {}).get("merge")
    if not isinstance(raw, dict) or not raw.get("field"):
        return None
    return MergeRule(
        str(raw["field"]),
        {str(k): str(v) for k, v in (raw.get("values") or {}).items()},
        tuple(raw.get("same") or ()),
        tuple(raw.get("text") or ()),
    )


def similar_open_cases(session: Session, viewer: User, case: Case, rule: MergeRule) -> list[SearchHit]:
    """Up to :data:`SHOWN` open cases like ``case``, the most alike first."""
    data = case.data or {}
    texts = [data[f] for f in rule.text if isinstance(data.get(f), str)]
    query = Query.overlapping(texts)
    if not query.parts:
        return []
    conditions: list[Any] = [
        readable_cases(viewer),
        Case.process_key == case.process_key,
        Case.status.in_(OPEN),
        Case.id != case.id,
        Case.submitted_at >= clock.now() - timedelta(days=RECENT_DAYS),
    ]
    ids, _total = ranked_ids(session, query, conditions, limit=10 * SHOWN)
    same = {f: data.get(f) for f in rule.same}
    if same and ids:
        found = session.execute(select(Case.id, Case.data).where(Case.id.in_(ids))).tuples()
        alike = {cid for cid, other in found if all((other or {}).get(f) == v for f, v in same.items())}
        ids = [i for i in ids if i in alike]
    return hits(session, query, ids[:SHOWN])
