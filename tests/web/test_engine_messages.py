"""The validator's, the sandbox's and the simulation's messages in the analyst's language: every message
template of the engine (``Text``/``marked``) is translated into Chinese with the same fields, none is
built from an f-string (which no catalogue could hold), hints point into the product (the README), and
the editor and the API say them in the reader's language, naming elements, without file lines."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from app.engine import Text, translated
from tests.api.test_processes_edit import BROKEN_TIMER, KEY, folder  # noqa: F401 - fixture
from tests.web.test_analyst_pages import _data
from tests.web.test_translations import ENGINE_KEYWORDS, ROOT, TRANSLATIONS

# Where the engine words what it reports (and the two services that word problems of their own).
MESSAGE_SOURCES = [
    *sorted((ROOT / "app" / "engine").rglob("*.py")),
    ROOT / "app" / "services" / "process_checks.py",
    ROOT / "app" / "services" / "process_views.py",
]


def _templates() -> dict[str, str]:
    """Every message template in the sources → where it is (file:line)."""
    found: dict[str, str] = {}
    for path in MESSAGE_SOURCES:
        for line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=ENGINE_KEYWORDS
        ):
            if isinstance(message, str):
                found.setdefault(message, f"{path.relative_to(ROOT)}:{line}")
    return found


def _catalogue(language: str) -> dict[str, Any]:
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def _fields(template: str) -> list[str]:
    return sorted(
        name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None
    )


def test_the_sources_hold_the_templates() -> None:
    templates = _templates()
    # The loader, the structure checks, the sandbox, the simulation and the process tests all word theirs.
    for expected in (
        "calls process '{name}', which is not among the loaded files",
        "{element} has no incoming sequence flow: it never runs",
        "refused by the script sandbox: {detail}",
        "print() is not supported; store what you want to keep in a variable",
        "waits for ever: no task is open, no timer is set and the process has not ended",
        "expected the end {status}; it ended {ended}",
        "time_limit '{value}' does not parse",
    ):
        assert expected in templates
    assert len(templates) > 200


def test_every_engine_message_template_is_translated_into_chinese() -> None:
    catalogue = _catalogue("zh_CN")
    untranslated = {
        t: where for t, where in _templates().items() if t not in catalogue or not catalogue[t].string
    }
    assert untranslated == {}, "add them to app/translations/zh_CN/LC_MESSAGES/messages.po"
    fuzzy = [t for t in _templates() if catalogue[t].fuzzy]
    assert fuzzy == []
    wrong_fields = {
        t: catalogue[t].string for t in _templates() if _fields(t) != _fields(catalogue[t].string)
    }
    assert wrong_fields == {}
    still_english = [
        t for t in _templates() if catalogue[t].string == t and re.search(r"[a-z]{4} [a-z]{4}", t)
    ]
    assert still_english == []


def test_english_catalogue_says_the_templates_as_they_are() -> None:
    catalogue = _catalogue("en")
    assert {
        t: catalogue[t].string for t in _templates() if catalogue.get(t) is None or catalogue[t].string != t
    } == {}


def test_no_message_is_built_from_an_f_string() -> None:
    """A template is a literal (or a constant naming one): an f-string would be a new message per value."""
    built = []
    for path in MESSAGE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ENGINE_KEYWORDS and node.args:
                first = node.args[0]
                if not isinstance(first, ast.Constant | ast.Name | ast.Attribute | ast.Subscript):
                    built.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert built == []


def test_hints_point_into_the_product() -> None:
    """Hints name the README's sections, never a file outside the product (API.md, ../shared)."""
    outside = [t for t in _templates() if re.search(r"API\.md|ARCHITECTURE|DOMAIN\.md|shared/", t)]
    assert outside == []
    assert any("README" in t and "Authoring a process" in t for t in _templates())


def test_a_text_is_said_template_by_template() -> None:
    inner = Text("the property {name}", name="time_limit")
    message = Text("{what} reads '{name}', which nothing sets on any path before it", what=inner, name="x")
    assert message == "the property time_limit reads 'x', which nothing sets on any path before it"
    words = {
        "the property {name}": "属性 {name}",
        "{what} reads '{name}', which nothing sets on any path before it": "{what}读取了“{name}”",
    }
    assert translated(message, lambda t: words.get(t, t)) == "属性 time_limit读取了“x”"
    # A translation that lost a field says the English rather than failing.
    assert translated(Text("empty {tag}", tag="timeDate"), lambda t: "空的 {label}") == "empty timeDate"


@pytest.mark.parametrize(
    ("language", "expected", "foreign"),
    [
        ("zh_CN", "不是 Python 表达式", "is not a Python expression"),
        ("en", "is not a Python expression", "不是"),
    ],
)
def test_the_editor_says_problems_in_the_page_language_by_element_name(
    pages: Any,
    folder: Path,  # noqa: F811
    language: str,
    expected: str,
    foreign: str,
) -> None:
    analyst = pages("analyst", language=language)
    editor = _data(analyst.get(f"/processes/{KEY}/edit").get_data(as_text=True))
    headers = {"X-CSRFToken": analyst.csrf(f"/processes/{KEY}/edit")}
    broken = editor["xml"].replace(*BROKEN_TIMER)
    body = analyst.client.post(editor["validateUrl"], json={"bpmn": broken}, headers=headers).get_json()
    [problem] = body["problems"]
    assert expected in problem["message"] and foreign not in problem["message"]
    # Named as the diagram shows it (the id is for the tooltip); no file line, no file name.
    assert problem["element_name"] == "整改逾期" and problem["element_id"] == "Timer_Overdue"
    assert "line" not in problem and "text" not in problem
    assert ".bpmn" not in problem["message"] + (problem["hint"] or "")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("zh-CN,zh;q=0.9", "不是 Python 表达式"),
        ("en-US,en;q=0.8", "is not a Python expression"),
        (None, "is not a Python expression"),
    ],
)
def test_the_api_says_problems_in_the_accept_language(
    api: Any,
    folder: Path,  # noqa: F811
    accept: str | None,
    expected: str,
) -> None:
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8").replace(*BROKEN_TIMER)
    headers = {"Accept-Language": accept} if accept else {}
    body = api.post(
        f"/api/v1/processes/{KEY}/validate", "analyst", json={"bpmn": xml}, headers=headers
    ).get_json()
    [problem] = body["problems"]
    assert expected in problem["message"] and expected in problem["text"]
    assert problem["element_name"] == "整改逾期"
    # The API keeps the CLI's place: file and line.
    assert problem["text"].startswith(f"processes/{KEY}.bpmn:{problem['line']}: Timer_Overdue: ")


def test_a_refused_deploy_says_its_problems_in_the_accept_language(
    api: Any,
    folder: Path,  # noqa: F811
) -> None:
    xml = (folder / f"{KEY}.bpmn").read_text(encoding="utf-8").replace(*BROKEN_TIMER)
    refused = api.post(
        f"/api/v1/processes/{KEY}/versions",
        "analyst",
        json={"bpmn": xml},
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    [line] = refused.get_json()["errors"]["bpmn"]
    assert line.startswith(f"processes/{KEY}.bpmn:") and "不是 Python 表达式" in line
