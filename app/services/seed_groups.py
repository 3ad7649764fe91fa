"""The groups every deployment starts with (`flask demo load`, `make run`): slug, name, English name,
the group its escalations rise to. Also what lanes are checked against before any group exists."""

from __future__ import annotations

GROUPS = [
    ("window", "窗口受理", "Acceptance window", "bureau"),
    ("planning", "规划审查", "Planning review", "bureau"),
    ("fire", "消防审查", "Fire safety review", "bureau"),
    ("environment", "环保审查", "Environmental review", "bureau"),
    ("civil_defence", "人防审查", "Civil air defence review", "bureau"),
    ("construction", "住建局审批科", "Construction bureau permits", "bureau"),
    ("inspection", "质量安全监督站", "Quality and safety supervision", "bureau"),
    ("complaint_desk", "投诉受理", "Complaint desk", "bureau"),
    ("publisher", "信息发布", "Publishers", "bureau"),
    ("notice_review", "信息审核科", "Information review section", "bureau"),
    ("bureau", "局领导", "Bureau leadership", None),
]
SEED_SLUGS = frozenset(slug for slug, *_ in GROUPS)
