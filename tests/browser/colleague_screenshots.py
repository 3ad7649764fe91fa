"""Screenshots of the pages issue 17 added or changed, for review by eye: the fire reviewer's task
with an opinion pending (加签), the opinion task, the substitute's inbox and the substitute page
(委托), a case past its statutory limit on the status page, My cases, the inbox and the dashboard;
zh-CN and English, desktop and phone. Writes PNGs to screenshots/ (or the folder given).

    .venv/bin/python -m tests.browser.colleague_screenshots [FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app import edge
from app.models import Case, HumanTask, TaskState
from tests.browser.screenshots import OUT, SIZES, build_app, log_in, served


def _targets(app: Any) -> dict[str, list[tuple[str, str]]]:
    with edge.of(app).database.unit_of_work() as session:
        opinion = session.scalar(
            select(HumanTask).where(HumanTask.procedure == "consultation", HumanTask.state == TaskState.OPEN)
        )
        assert opinion is not None
        asking = (opinion.context or {})["asking_task_id"]
        late = session.scalar(select(Case.number).where(Case.project_name.like("%超时默认%")))
        return {
            "fire_officer": [(f"/tasks/{asking}", "task-consultation-pending")],
            "env_officer": [(f"/tasks/{opinion.id}", "task-opinion")],
            "civil_officer": [("/inbox?scope=group", "inbox-substitute")],
            "env_chief": [("/inbox/substitute", "substitute-page")],
            "clerk": [("/inbox", "inbox-overrun")],
            "director": [("/dashboard", "dashboard-overrun")],
            "acme": [(f"/track/{late}", "status-overrun"), ("/my/cases", "my-cases-overrun")],
        }


def shoot(chromium: Any, url: str, out: Path, language: str, size: str, targets: dict[str, Any]) -> None:
    width, height = SIZES[size]
    for username, pages in targets.items():
        context = chromium.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = log_in(context, url, language, username)
        for path, name in pages:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}-{language}-{size}.png"), full_page=True)
        context.close()
    print(f"screenshots for {language}-{size} written to {out}")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        targets = _targets(app)
        with served(app) as (url, chromium):
            for language in ("zh_CN", "en"):
                for size in SIZES:
                    shoot(chromium, url, out, language, size, targets)


if __name__ == "__main__":
    main()
