"""Demo notices (信息发布): two published through the whole review, one waiting for the section
head, made through the real services like every demo case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.models import User

from . import cases
from .demo import Story

NOTICES = [
    (
        {
            "title": "关于开展2026年冬季建筑施工安全生产大检查的通知",
            "kind": "notice",
            "level": "local",
            "business": "safety",
            "body": "各建设、施工、监理单位：\n\n为做好冬季施工安全工作，局决定开展安全生产大检查。\n\n"
            "## 检查内容\n\n1. 深基坑、高支模、起重机械等危险性较大的分部分项工程；\n"
            "2. 冬季防火、防滑、防冻措施；\n3. 施工现场扬尘治理。\n\n请各单位于12月20日前完成自查。",
        },
        True,
    ),
    (
        {
            "title": "住房和城乡建设部关于进一步加强建设工程质量管理的意见（转发）",
            "kind": "policy",
            "level": "national",
            "business": "quality",
            "body": "现将《关于进一步加强建设工程质量管理的意见》转发给你们，请认真贯彻执行。\n\n"
            "- 落实建设单位工程质量首要责任；\n- 严格执行竣工验收制度。",
        },
        True,
    ),
    (
        {
            "title": "11月质量安全监督检查情况通报",
            "kind": "supervision",
            "level": "local",
            "business": "quality",
            "body": "11月共检查在建项目42个，下达整改通知12份，已全部完成整改。",
        },
        False,
    ),
]


def load_notice_cases(session: Session, users: dict[str, User], real_now: Any) -> list[str]:
    """The notices: published ones approved by the section head and the leader, one in review."""
    story = Story(session, users, real_now)
    made: list[str] = []
    for i, (notice, published) in enumerate(NOTICES):
        # The one in review arrived this morning; the published ones last week.
        with clock.travel_to(real_now - timedelta(days=6 - i if published else 0.2)):
            started = cases.start_case(
                session, users["publisher"], "notice_publication", {"notice": notice, "publication": "now"}
            )
        made.append(f"{started.case.number} ({notice['title']})")
        if published:
            story.run(
                started.case,
                5 - i,
                ("Task_SectionReview", "notice_chief", {"decision": "approve"}),
                ("Task_LeaderReview", "director", {"decision": "approve"}),
            )
    return made
