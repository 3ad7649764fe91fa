"""Every audit action the code records has a human label on the audit pages, in both languages."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from flask_babel import force_locale

from app.web.audit_pages import ACTION_LABELS

APP = Path(__file__).resolve().parents[2] / "app"


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def recorded_actions() -> set[str]:
    """Action codes passed to audit.record(...), to tasks._record(...) and as `action=` to the gateway."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            on_audit = isinstance(func, ast.Attribute) and getattr(func.value, "id", "") == "audit"
            if name == "record" and on_audit and len(node.args) >= 2:
                found |= _strings(node.args[1])
            elif name == "_record" and node.args:
                found |= _strings(node.args[-1])
            for keyword in node.keywords:
                if keyword.arg == "action":
                    found |= _strings(keyword.value)
    return {code for code in found if "." in code and " " not in code}


def test_the_scan_finds_the_actions_of_every_kind() -> None:
    actions = recorded_actions()
    # One of each way an action is recorded (a direct call, a conditional, the gateway, task claims).
    assert {"setting.changed", "user.disabled", "task.completed", "task.claimed"} <= actions


def test_every_recorded_action_has_a_label() -> None:
    assert recorded_actions() - set(ACTION_LABELS) == set()


def test_labels_are_translated(app: Any) -> None:
    with app.test_request_context():
        with force_locale("en"):
            english = {code: str(label) for code, label in ACTION_LABELS.items()}
        with force_locale("zh_CN"):
            chinese = {code: str(label) for code, label in ACTION_LABELS.items()}
    assert english["group.member_added"] == "Group member added"
    untranslated = [code for code in ACTION_LABELS if chinese[code] == english[code]]
    assert untranslated == []
    assert len(set(chinese.values())) == len(chinese)  # no two actions read the same
