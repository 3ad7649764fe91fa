"""The README documents every setting and every command a newcomer needs."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [env for env, _default, _help in Settings.documented() if f"`{env}`" not in README]
    assert missing == []


def test_the_two_commands_are_documented() -> None:
    assert "make run" in README and "make test" in README
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.rstrip().splitlines()[-1] == "make test"


def test_the_production_section_says_which_machine_needs_each_setting() -> None:
    section = README.split("## Production: many machines", 1)[1].split("\n## ", 1)[0]
    table = section.split("**Settings per machine.**", 1)[1].split("\n\n", 2)[1]
    missing = [env for env, _default, _help in Settings.documented() if f"`{env}`" not in table]
    assert missing == []
    for endpoint in ("/healthz", "/readyz", "/metrics", "flask backup create"):
        assert endpoint in section
