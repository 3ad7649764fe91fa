"""The editor's Validate also simulates every path; its Test button runs the process tests and
shows pass or fail per test in the user's language."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.api.test_processes_edit import SHIPPED, folder  # noqa: F401 - the fixture
from tests.web.test_analyst_pages import _data

KEY = "rectification_order"


def test_validate_simulates_and_test_runs_the_process_tests(pages: Any, folder: Path) -> None:  # noqa: F811
    shutil.copytree(SHIPPED / "tests", folder / "tests", dirs_exist_ok=True)
    for language, words in (
        ("en", ("Simulated", "Pass", "Fail", "step 3")),
        ("zh_CN", ("已模拟", "通过", "未通过", "第 3 步")),
    ):
        analyst = pages("analyst", language=language)
        html = analyst.get(f"/processes/{KEY}/edit").get_data(as_text=True)
        editor = _data(html)
        assert 'id="btn-test"' in html
        headers = {"X-CSRFToken": analyst.csrf(f"/processes/{KEY}/edit")}
        valid = analyst.client.post(
            editor["validateUrl"], json={"bpmn": editor["xml"]}, headers=headers
        ).get_json()
        assert valid["ok"] is True and words[0] in valid["message"]

        tested = analyst.client.post(
            editor["testUrl"], json={"bpmn": editor["xml"]}, headers=headers
        ).get_json()
        assert tested["ok"] is True and {t["status"] for t in tested["tests"]} == {words[1]}

        broken = editor["xml"].replace(
            'verification["decision"] == "passed"', 'verification["decision"] == "pass"'
        )
        failing = analyst.client.post(editor["testUrl"], json={"bpmn": broken}, headers=headers).get_json()
        assert failing["ok"] is False and words[2] in {t["status"] for t in failing["tests"]}
        assert any(t["detail"].startswith(words[3]) for t in failing["tests"]), failing["tests"]
        checked = analyst.client.post(
            editor["validateUrl"], json={"bpmn": broken}, headers=headers
        ).get_json()
        flows = {p["element_id"]: p["shape_id"] for p in checked["problems"]}
        assert flows.get("Flow_Verified_Passed") == "Flow_Verified_Passed"
