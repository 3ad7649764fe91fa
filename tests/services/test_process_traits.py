"""What a process declares about itself in BPMN properties, and nothing in the code names it: a
second complaint process (a copy of complaint_handling.bpmn under another key) is rated, worded and
counted as a complaint, and a second certificate-issuing process issues its own certificate type,
both deployed from a temporary folder with no Python change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from app import clock
from app.errors import NotFound
from app.models import Case, ProcessVersion
from app.services import cases, certificates, complaints, process_traits, processes, stats
from tests.helpers import complete_at, open_task, user_named
from tests.services.test_complaints import complaint

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
NOISE = "noise_complaint"
DEMOLITION = "demolition_record"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=SH)


def noise_complaint_bpmn() -> str:
    """complaint_handling.bpmn under the key noise_complaint (file name and process id), as an
    analyst would copy it: the same properties, another name."""
    text = (ROOT / "processes" / "complaint_handling.bpmn").read_text(encoding="utf-8")
    for old, new in [
        ('id="complaint_handling"', f'id="{NOISE}"'),
        ('processRef="complaint_handling"', f'processRef="{NOISE}"'),
        ('name="投诉举报" isExecutable', 'name="噪声扰民投诉" isExecutable'),
        ('value="Complaint handling"', 'value="Noise complaints"'),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


CERTIFICATE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{key}"
  targetNamespace="http://permitflow.test/bpmn">
  <bpmn:process id="{key}" name="拆除工程备案" isExecutable="true">
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Review" name="备案审查">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidate_groups" value="&quot;window&quot;" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Recorded" name="准予备案">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="case_status" value="approved" />
        <spiffworkflow:property name="certificate" value="demolition" />
        <spiffworkflow:property name="certificate_title" value="拆除工程备案证明" />
        <spiffworkflow:property name="certificate_title_en" value="Demolition Works Record" />
        <spiffworkflow:property name="certificate_valid_until" value="plan.demolished_by" />
        <spiffworkflow:property name="certificate_valid_years" value="1" />
        <spiffworkflow:property name="certificate_issuer" value="市住建局拆除工程管理办公室" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent" targetRef="Task_Review" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Review" targetRef="End_Recorded" />
  </bpmn:process>
</bpmn:definitions>
"""


def retire(db: Any, *keys: str) -> None:
    """Other tests see the shipped processes only (versions stay; no longer current)."""
    db.rollback()
    db.execute(update(ProcessVersion).where(ProcessVersion.key.in_(keys)).values(is_current=False))
    db.commit()


def deploy_noise_complaint(app: Any, db: Any, folder: Path) -> None:
    (folder / f"{NOISE}.bpmn").write_text(noise_complaint_bpmn(), encoding="utf-8")
    # It calls rectification_order like the original: the called file travels with it.
    shutil.copy(ROOT / "processes" / "rectification_order.bpmn", folder)
    with app.app_context():
        processes.deploy_processes(db, None, [folder / f"{NOISE}.bpmn", folder / "rectification_order.bpmn"])
        db.commit()


@pytest.fixture
def noise(app: Any, db: Any, tmp_path: Path) -> Iterator[str]:
    deploy_noise_complaint(app, db, tmp_path)
    yield NOISE
    retire(db, NOISE)


def test_the_shipped_processes_declare_their_semantics(db: Any) -> None:
    complaint_traits = process_traits.of_key(db, "complaint_handling")
    assert complaint_traits.complaint and complaint_traits.certificates == {}
    assert complaint_traits.rating == process_traits.RatingRule(
        "Task_Rate", "rating", frozenset({"satisfied"}), frozenset({"not_satisfied"})
    )
    permit = process_traits.of_key(db, "construction_permit")
    assert not permit.complaint and permit.rating is None
    assert permit.certificates["permit"] == process_traits.CertificateType(
        "permit",
        "建筑工程施工许可证",
        "Construction Works Permit",
        "permit_valid_until",
        3,
        "市住房和城乡建设局",
    )
    assert process_traits.complaint_keys(db) == {"complaint_handling"}
    db.rollback()


def test_a_second_complaint_process_is_rated_and_counted_as_a_complaint(db: Any, noise: str) -> None:
    assert process_traits.complaint_keys(db) == {"complaint_handling", noise}
    # The complaint page files with the first one unless told which.
    assert complaints.complaint_process(db) == "complaint_handling"
    assert complaints.complaint_process(db, noise) == noise
    with clock.travel_to(at(16, 9)):
        started = complaints.file_complaint(db, None, complaint(), [], max_bytes=1, process=noise)
        db.commit()
    case = started.case
    assert case.process_key == noise and case.number.startswith("TS")
    complete_at(
        db, case, "Task_Triage", "dispatcher", {"decision": "route", "department": "environment"}, at(16, 10)
    )
    complete_at(
        db, case, "Task_Handle", "env_officer", {"decision": "answered", "answer": "已处理"}, at(18, 10)
    )
    db.expire_all()
    waiting = db.get(Case, case.id)
    rating = complaints.rating_task(db, waiting)
    assert rating is not None and rating.id == open_task(db, case, "Task_Rate").id
    db.expire_all()
    with clock.travel_to(at(19, 9)):
        complaints.rate(db, db.get(Case, case.id), None, {"rating": "satisfied"})
        db.commit()
    db.expire_all()
    assert db.get(Case, case.id).rating == "satisfied"

    with clock.travel_to(at(30, 9)):
        report = stats.bureau_stats(db, process=noise, start=date(2026, 11, 1), end=date(2026, 11, 30))
    [figures] = report.processes
    assert figures.process == noise and figures.name == "噪声扰民投诉"
    assert figures.complaint_satisfaction == 1.0 and figures.complaint_answer_working_days == 3.0
    assert report.totals.complaint_satisfaction == 1.0
    db.rollback()


def test_a_process_without_the_property_is_no_complaint(app: Any, db: Any, tmp_path: Path) -> None:
    """The same file without case_kind and rating: no rating task, no complaint figures."""
    text = noise_complaint_bpmn().replace('<spiffworkflow:property name="case_kind" value="complaint" />', "")
    text = text.replace('<spiffworkflow:property name="rating" value="rating" />', "")
    (tmp_path / f"{NOISE}.bpmn").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "processes" / "rectification_order.bpmn", tmp_path)
    try:
        with app.app_context():
            processes.deploy_processes(
                db, None, [tmp_path / f"{NOISE}.bpmn", tmp_path / "rectification_order.bpmn"]
            )
            db.commit()
        traits = process_traits.of_key(db, NOISE)
        assert not traits.complaint and traits.rating is None
        assert NOISE not in process_traits.complaint_keys(db)
        with pytest.raises(NotFound):
            complaints.complaint_process(db, NOISE)
        db.rollback()
    finally:
        retire(db, NOISE)


@pytest.fixture
def demolition(app: Any, db: Any, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / f"{DEMOLITION}.bpmn"
    path.write_text(CERTIFICATE_BPMN.format(key=DEMOLITION), encoding="utf-8")
    with app.app_context():
        processes.deploy_processes(db, None, [path])
        db.commit()
    yield DEMOLITION
    retire(db, DEMOLITION)


def _recorded(db: Any, key: str, data: dict[str, Any]) -> Case:
    with clock.travel_to(at(16, 9)):
        case = cases.start_case(db, user_named(db, "acme"), key, data).case
        db.commit()
    complete_at(db, case, "Task_Review", "clerk", {"decision": "approve"}, at(17, 10))
    db.expire_all()
    return db.get(Case, case.id)


def test_a_second_certificate_type_is_named_and_dated_by_its_end_event(db: Any, demolition: str) -> None:
    builder = {"name": "华建第一工程有限公司", "credit_code": "91110108MA01ABCD1E"}
    dated = _recorded(
        db,
        demolition,
        {"project_name": "旧厂房拆除", "builder": builder, "plan": {"demolished_by": "2027-03-31"}},
    )
    undated = _recorded(db, demolition, {"project_name": "仓库拆除", "builder": builder})
    with clock.travel_to(at(18, 9)):
        [doc] = certificates.documents(db, dated)
        assert (doc.name, doc.name_en, doc.valid_until.isoformat()) == (
            "拆除工程备案证明",
            "Demolition Works Record",
            "2027-03-31",
        )
        [other] = certificates.documents(db, undated)
        assert other.valid_until.isoformat() == "2027-11-17"  # no date given: the declared 1 year
        check = certificates.verification(db, doc.number)
        assert check["genuine"] and (check["kind"], check["title"]) == ("demolition", "拆除工程备案证明")
        assert check["issuer"] == "市住建局拆除工程管理办公室"
        [cert] = certificates.for_case(db, dated)
        pdf = certificates.render_pdf(db, cert)
    assert pdf.startswith(b"%PDF")
    db.rollback()
