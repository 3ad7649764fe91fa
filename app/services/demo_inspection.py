"""Demo cases of supervision: anonymous complaints and rectification orders (整改通知) against the
demo contractor, in the states a newcomer should see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.models import User

from . import cases
from .demo import APPLICANTS, _do, district_of, project_code_of


def load_complaint_cases(session: Session, users: dict[str, User], real_now: Any) -> list[str]:
    """Anonymous complaints: one waiting for triage, one answered (substantiated: the contractor loses
    credit points) and waiting for its rating."""
    made: list[str] = []

    def file(description: str, days_ago: float) -> int:
        with clock.travel_to(real_now - timedelta(days=days_ago)):
            started = cases.start_case(
                session,
                None,
                "complaint_handling",
                {"category": "noise_dust", "location": "北湖区滨江路88号工地", "description": description},
            )
        made.append(f"{started.case.number} (投诉; query code {started.query_code})")
        return started.case.id

    file("工地每晚22点后仍在施工，噪声扰民。", 0.2)
    answered = file("工地出入口未设冲洗设施，道路扬尘严重。", 3)
    with clock.travel_to(real_now - timedelta(days=2.5)):
        _do(
            session,
            users,
            answered,
            "Task_Triage",
            "dispatcher",
            {"decision": "route", "department": "environment"},
        )
    with clock.travel_to(real_now - timedelta(days=1)):
        _do(
            session,
            users,
            answered,
            "Task_Handle",
            "env_officer",
            {
                "decision": "answered",
                "answer": "经查属实，已责令施工单位设置车辆冲洗平台并洒水降尘，复查合格。",
                # Substantiated against the contractor: it loses credit points (the reason names the case).
                "substantiated": True,
                "company": {"name": APPLICANTS[1][1], "credit_code": APPLICANTS[1][2]},
            },
        )
    return made


def rectification_order(project: str, *levels: str) -> dict[str, Any]:
    """A rectification order against the demo contractor (buildco)."""
    return {
        "project_name": project,
        "project_code": project_code_of(project),
        "district": district_of(project),
        "contractor": {"name": APPLICANTS[1][1], "credit_code": APPLICANTS[1][2]},
        "findings": [
            {"description": text, "hazard_level": level}
            for text, level in zip(
                ["脚手架连墙件缺失", "临边防护栏杆高度不足", "配电箱未设漏电保护"], levels, strict=False
            )
        ],
        "legal_basis": "《建设工程安全生产管理条例》第二十八条",
    }


def load_rectification_cases(session: Session, users: dict[str, User], real_now: Any) -> list[str]:
    """Orders waiting for the contractor, waiting for verification, and overdue (the worker then
    escalates it and deducts credit)."""
    made: list[str] = []

    def issue(order: dict[str, Any], days_ago: float) -> int:
        with clock.travel_to(real_now - timedelta(days=days_ago)):
            started = cases.start_case(session, users["inspector"], "rectification_order", order)
        made.append(
            f"{started.case.number} (整改通知 {order['project_name']}; query code {started.query_code})"
        )
        return started.case.id

    issue(rectification_order("滨江花园二期", "general", "serious"), 1)
    reported = issue(rectification_order("城西商业综合体", "general"), 2)
    with clock.travel_to(real_now - timedelta(days=1)):
        _do(
            session,
            users,
            reported,
            "Task_Rectify",
            "buildco",
            {"entries": [{"finding_index": 0, "measures": "已补设连墙件并复查"}]},
        )
    # On the site of a granted permit: its project page lists the permit and this order.
    issue(rectification_order("东城区第三小学扩建工程", "general", "general"), 12)
    return made
