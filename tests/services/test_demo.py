"""The demo data: loading it twice (`make run` again) adds nothing the second time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app import clock
from app.models import Attachment, Case, HumanTask, ServiceRating, Substitution, TaskState
from app.services import demo, demo_files
from app.services.calendar import SlaState, sla_state
from tests.conftest import PASSWORD


def test_loading_the_demo_twice_adds_no_second_set_of_cases(db: Any) -> None:
    demo.load(db, password=PASSWORD, with_cases=True, echo=lambda _m: None)
    db.commit()
    count = db.scalar(select(func.count()).select_from(Case))
    assert count and count >= 20
    summary = demo.load(db, password=PASSWORD, with_cases=True, echo=lambda _m: None)
    db.commit()
    assert db.scalar(select(func.count()).select_from(Case)) == count
    assert "none added" in summary
    # The procedures' states are among them: a suspended, a withdrawn, a rated case with its follow-up.
    statuses = set(db.scalars(select(Case.status)))
    assert "withdrawn" in statuses
    assert any(p.get("kind") == "suspension" for c in db.scalars(select(Case)) for p in c.clock_pauses or [])
    assert db.scalar(select(func.count()).select_from(ServiceRating).where(ServiceRating.level == 1)) == 1
    procedures = set(db.scalars(select(HumanTask.procedure).where(HumanTask.procedure.is_not(None))))
    assert {"follow_up", "extension_approval", "consultation"} <= procedures
    # Each new state: extended, returned, deemed consent, an opinion pending (加签), a substitute (委托).
    assert db.scalar(select(func.count()).select_from(Case).where(Case.extension_days > 0)) >= 1
    outcomes = set(db.scalars(select(HumanTask.outcome).where(HumanTask.outcome.is_not(None))))
    assert {"returned", "deemed_consent"} <= outcomes
    pending = select(func.count()).select_from(HumanTask)
    assert db.scalar(pending.where(HumanTask.procedure == "consultation", HumanTask.state == "open")) == 1
    assert db.scalar(select(func.count()).select_from(Substitution)) == 1  # not added again
    # 会签: one permit waits at the co-sign step, the section chief signed, the bureau's pending.
    signing = [t for t in db.scalars(select(HumanTask).where(HumanTask.bpmn_id == "Task_CoSign"))]
    assert sorted((t.candidate_group, t.state) for t in signing) == [
        ("bureau", TaskState.OPEN),
        ("construction", TaskState.COMPLETED),
    ]
    # A newcomer sees every SLA colour and every escalation level among the open tasks, and the
    # cases spread over the demo city's districts (the dashboard's map).
    open_tasks = db.scalars(select(HumanTask).where(HumanTask.state == TaskState.OPEN)).all()
    now = clock.now()
    assert {sla_state(now, t.due_at, t.warn_at) for t in open_tasks} == set(SlaState)
    assert {t.escalation_level for t in open_tasks} == {0, 1, 2}
    districts = {(c.data or {}).get("district") for c in db.scalars(select(Case))}
    # Every permit and joint review carries a real PDF and a real PNG (the previews have something).
    permits = db.scalars(select(Case.id).where(Case.process_key.in_(demo_files.WITH_FILES))).all()
    files = db.execute(select(Attachment.case_id, Attachment.content_type, Attachment.size)).all()
    for case_id in permits:
        assert {t for c, t, _s in files if c == case_id} == {"application/pdf", "image/png"}, case_id
    # Real files, not a few magic bytes: a two-page PDF and a 160x120 image.
    assert all(size > (1000 if t == "application/pdf" else 200) for c, t, size in files if c in permits)
    assert {"beihu", "gaoxin", "jingkai", "nanshan", "dongcheng", "xicheng"} <= districts
