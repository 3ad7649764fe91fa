"""The admin console's rules: run-time settings that the timers really use, accounts, groups,
calendar days; every change audited with before and after."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app import clock
from app.errors import InvalidData, NotAuthenticated
from app.models import AuditEvent, Case, HumanTask, Timer, TimerKind
from app.services import admin, auth, cases, runtime_settings
from app.services.demo import permit_application
from tests.helpers import fire_at, user_named

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SH)  # acceptance has 1 working day: due Tue 17:30


def _submit(db: Any, at: datetime, name: str) -> Case:
    with clock.travel_to(at):
        started = cases.start_case(
            db, user_named(db, "acme"), "construction_permit", permit_application(name)
        )
        db.commit()
    return started.case


def _acceptance(db: Any, case: Case) -> HumanTask:
    db.expire_all()
    task = db.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.bpmn_id == "Task_Acceptance")
    )
    assert task is not None
    return task


def _events(db: Any, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_warning_ratio_moves_the_warning_moment(db: Any) -> None:
    admin_user = user_named(db, "admin")
    before = _acceptance(db, _submit(db, MONDAY, "默认预警"))
    due = datetime(2026, 11, 17, 17, 30, tzinfo=SH)
    assert before.due_at == due
    # 80% of the time from Monday 9:00 to Tuesday 17:30 (32.5 hours) = 26 hours.
    assert before.warn_at == MONDAY + timedelta(hours=26)

    assert runtime_settings.change(db, admin_user, "sla_warning_ratio", "0.5") is True
    db.commit()
    after_case = _submit(db, MONDAY, "提前预警")
    after = _acceptance(db, after_case)
    assert after.due_at == due
    assert after.warn_at == MONDAY + timedelta(hours=16, minutes=15)
    warning = db.scalar(
        select(Timer).where(Timer.human_task_id == after.id, Timer.kind == TimerKind.SLA_WARNING)
    )
    assert warning is not None and warning.due_at == after.warn_at

    # The warning really goes off at the new moment: nothing a second before, the warning after.
    assert fire_at(db, after_case, after.warn_at - timedelta(seconds=1)) == 0
    assert fire_at(db, after_case, after.warn_at + timedelta(seconds=1)) == 1
    assert [e.case_id for e in _events(db, "task.sla_warning")] == [after_case.id]

    [changed] = _events(db, "setting.changed")
    assert changed.actor == "admin"
    assert changed.detail == {"key": "sla_warning_ratio", "before": 0.8, "after": 0.5}


def test_the_escalation_delay_moves_level_two(db: Any) -> None:
    runtime_settings.change(db, user_named(db, "admin"), "escalation_working_days", 4)
    db.commit()
    case = _submit(db, MONDAY, "延后升级")
    task = _acceptance(db, case)
    assert fire_at(db, case, task.due_at + timedelta(seconds=1)) == 2  # the warning and the overdue
    level2 = db.scalar(
        select(Timer).where(Timer.human_task_id == task.id, Timer.kind == TimerKind.ESCALATION)
    )
    # 4 working days after Tuesday 17 November: the close of Monday 23 November (default 2: Thursday).
    assert level2.due_at == datetime(2026, 11, 23, 17, 30, tzinfo=SH)


@pytest.mark.parametrize(
    ("key", "raw", "problem"),
    [
        ("sla_warning_ratio", "0.2", runtime_settings.OUT_OF_RANGE),
        ("sla_warning_ratio", "1", runtime_settings.OUT_OF_RANGE),
        ("sla_warning_ratio", "abc", runtime_settings.NOT_A_NUMBER),
        ("sla_warning_ratio", "nan", runtime_settings.NOT_A_NUMBER),
        ("escalation_working_days", "2.5", runtime_settings.NOT_WHOLE),
        ("escalation_working_days", "0", runtime_settings.OUT_OF_RANGE),
        ("escalation_working_days", "11", runtime_settings.OUT_OF_RANGE),
        ("workday_end", "18:00", runtime_settings.UNKNOWN),
    ],
)
def test_settings_outside_their_range_are_refused(db: Any, key: str, raw: str, problem: str) -> None:
    with pytest.raises(InvalidData) as refused:
        runtime_settings.change(db, user_named(db, "admin"), key, raw)
    assert refused.value.errors == {key: [problem]}
    db.rollback()
    assert runtime_settings.listing(db)[0].value == 0.8
    assert _events(db, "setting.changed") == []


def test_a_reset_setting_is_the_default_again_and_a_same_value_is_no_change(db: Any) -> None:
    boss = user_named(db, "admin")
    assert runtime_settings.change(db, boss, "escalation_working_days", "2") is False
    runtime_settings.change(db, boss, "escalation_working_days", "3")
    db.commit()
    assert runtime_settings.escalation_working_days(db) == 3
    assert runtime_settings.reset(db, boss, "escalation_working_days") is True
    db.commit()
    assert runtime_settings.escalation_working_days(db) == 2
    assert [(e.detail["before"], e.detail["after"]) for e in _events(db, "setting.changed")] == [
        (2, 3),
        (3, 2),
    ]


def _staff(db: Any, username: str, **kw: Any) -> Any:
    new = admin.NewStaff(username=username, display_name="测试用户", password="Secret-pass-42", **kw)
    user = admin.create_staff(db, user_named(db, "admin"), new)
    db.commit()
    return user


def test_a_disabled_account_cannot_log_in_nor_use_its_token(app: Any, db: Any) -> None:
    user = _staff(db, "svc_disable_1", groups=("fire",), roles=("auditor",))
    token, _ = auth.issue_token(user, "k", 3600)
    assert auth.user_from_token(db, token, "k").id == user.id
    admin.set_active(db, user_named(db, "admin"), "svc_disable_1", False)
    db.commit()
    with pytest.raises(NotAuthenticated):
        auth.authenticate(db, "svc_disable_1", "Secret-pass-42")
    with pytest.raises(NotAuthenticated):
        auth.user_from_token(db, token, "k")
    admin.set_active(db, user_named(db, "admin"), "svc_disable_1", True)
    db.commit()
    assert auth.authenticate(db, "svc_disable_1", "Secret-pass-42").id == user.id
    with pytest.raises(NotAuthenticated):  # enabling again does not bring old tokens back
        auth.user_from_token(db, token, "k")
    [off] = _events(db, "user.disabled")
    assert off.detail == {"user": "svc_disable_1", "before": {"active": True}, "after": {"active": False}}
    assert len(_events(db, "user.enabled")) == 1
    [created] = _events(db, "user.created")
    assert created.detail["after"] == {"roles": ["auditor"], "groups": ["fire"], "supervises": []}


def test_admins_cannot_lock_themselves_out(db: Any) -> None:
    boss = user_named(db, "admin")
    with pytest.raises(InvalidData):
        admin.set_active(db, boss, "admin", False)
    with pytest.raises(InvalidData):
        admin.set_roles(db, boss, "admin", ["auditor"])
    db.rollback()
    assert user_named(db, "admin").is_active


def test_new_staff_is_checked_field_by_field(db: Any) -> None:
    with pytest.raises(InvalidData) as refused:
        admin.create_staff(
            db,
            user_named(db, "admin"),
            admin.NewStaff(
                username="clerk", display_name="", password="short", groups=("nope",), roles=("root",)
            ),
        )
    assert set(refused.value.errors) == {"username", "display_name", "password", "groups", "roles"}


def test_groups_members_and_supervisors(db: Any) -> None:
    boss = user_named(db, "admin")
    _staff(db, "svc_member_1")
    admin.create_group(db, boss, "svc_quality", "质量监督", "Quality", "bureau")
    admin.add_member(db, boss, "svc_quality", "svc_member_1")
    admin.set_supervisor(db, boss, "svc_quality", "svc_member_1", True)
    db.commit()
    group = admin.group_by_slug(db, "svc_quality")
    assert [(u.username, sup) for u, sup in admin.members(db, group)] == [("svc_member_1", True)]
    with pytest.raises(InvalidData):
        admin.add_member(db, boss, "svc_quality", "svc_member_1")
    with pytest.raises(InvalidData) as refused:
        admin.update_group(db, boss, "svc_quality", "质量监督", "Quality", "svc_quality")
    assert refused.value.errors == {"escalates_to": [admin.ESCALATES_TO_SELF]}
    db.rollback()
    admin.remove_member(db, boss, "svc_quality", "svc_member_1")
    db.commit()
    assert admin.members(db, admin.group_by_slug(db, "svc_quality")) == []
    assert _events(db, "group.supervisor_set")[0].detail["before"] == {"supervisor": False}
    assert _events(db, "group.member_removed")[0].detail["before"] == {"supervisor": True}


def test_a_holiday_entered_for_next_year_moves_deadlines(db: Any) -> None:
    boss = user_named(db, "admin")
    day = date(2031, 1, 2)  # a Thursday, beyond what the holiday library may know
    calendar_before = runtime_settings.platform.calendar(db)
    start = datetime(2031, 1, 1, 9, 0, tzinfo=SH)
    assert calendar_before.add_working_days(start, 1) == datetime(2031, 1, 2, 17, 30, tzinfo=SH)
    admin.set_day(db, boss, "2031-01-02", "holiday", "元旦调休")
    db.commit()
    assert [o.day for o in admin.overrides_of_year(db, 2031)] == [day]
    assert runtime_settings.platform.calendar(db).add_working_days(start, 1) == datetime(
        2031, 1, 3, 17, 30, tzinfo=SH
    )
    admin.set_day(db, boss, "2031-01-02", "workday", "改为工作日")
    assert admin.remove_day(db, boss, "2031-01-02") is True
    db.commit()
    changes = _events(db, "calendar.override")
    assert changes[0].detail["before"] is None
    assert changes[1].detail["before"] == {"is_workday": False, "note": "元旦调休"}
    assert _events(db, "calendar.override_removed")[0].detail["before"] == {
        "is_workday": True,
        "note": "改为工作日",
    }
    with pytest.raises(InvalidData) as refused:
        admin.set_day(db, boss, "2031-02-30", "party", "")
    assert set(refused.value.errors) == {"day", "kind", "note"}
