"""The forms of the tasks the platform opens for administrative procedures (JSON Schema, zh-CN
titles with `x-title-en`, like the analysts' forms): validated on the server as every form is."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "string", "minLength": 1, "maxLength": 2000}

SCHEMAS: dict[str, dict[str, Any]] = {
    "procedure/follow_up": {
        "title": "差评回访",
        "x-title-en": "Follow-up of a poor rating",
        "type": "object",
        "required": ["reply"],
        "properties": {
            "reply": {
                **_TEXT,
                "title": "回访答复（申请人可见）",
                "x-title-en": "Reply (the applicant sees it)",
            }
        },
        "additionalProperties": False,
    },
    "procedure/supervision_reply": {
        "title": "督办回复",
        "x-title-en": "Reply to a supervision order",
        "type": "object",
        "required": ["reply"],
        "properties": {
            "reply": {**_TEXT, "title": "回复", "x-title-en": "Reply"},
        },
        "additionalProperties": False,
    },
    "procedure/consultation": {
        "title": "加签意见",
        "x-title-en": "Opinion asked for",
        "type": "object",
        "required": ["opinion"],
        "properties": {
            "opinion": {**_TEXT, "title": "意见", "x-title-en": "Opinion"},
        },
        "additionalProperties": False,
    },
    "procedure/extension_approval": {
        "title": "延期审批",
        "x-title-en": "Extension approval",
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {
                "type": "string",
                "title": "审批意见",
                "x-title-en": "Decision",
                "oneOf": [
                    {"const": "approve", "title": "同意延期", "x-title-en": "Approve the extension"},
                    {"const": "refuse", "title": "不同意延期", "x-title-en": "Refuse the extension"},
                ],
            },
            "comment": {
                "type": "string",
                "maxLength": 2000,
                "title": "说明",
                "x-title-en": "Comment",
            },
        },
        "additionalProperties": False,
    },
}


def schema_of(form_key: str | None) -> dict[str, Any] | None:
    return SCHEMAS.get(form_key or "")
