"""CI cannot pass by skipping, and a hung test fails (issue 15): pytest is run on small test files
in a fresh folder, with and without ``CI=true``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SKIPPING = """
import pytest
from tests.ci_guard import not_applicable

CORPUS_PRESENT = False

@pytest.mark.skipif(not CORPUS_PRESENT, reason="the corpus is not at ../shared/bpmn-corpus")
def test_needs_the_corpus():
    pass

def test_needs_chromium():
    pytest.skip("chromium is not installed")

def test_postgresql_only():
    not_applicable("row locks are PostgreSQL's")

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""

HANGING = """
import time

def test_hangs():
    time.sleep(60)
"""


def _pytest(folder: Path, source: str, *args: str, ci: str | None) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-p", "tests.ci_guard", "-p", "no:cacheprovider", "-rA"]
    return subprocess.run(
        [*command, "-n", "0", *args, "test_sample.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_dependency_skips_locally(tmp_path: Path) -> None:
    run = _pytest(tmp_path, SKIPPING, ci=None)
    assert run.returncode == 0, run.stdout
    assert "3 skipped, 1 xfailed" in run.stdout


def test_under_ci_a_missing_dependency_fails_naming_it(tmp_path: Path) -> None:
    run = _pytest(tmp_path, SKIPPING, ci="true")
    assert run.returncode == 1, run.stdout
    # A skip mark fails in the setup phase (an error), a skip in the body as a failure.
    assert "1 failed, 1 skipped, 1 xfailed, 1 error" in run.stdout
    assert "ERROR test_sample.py::test_needs_the_corpus" in run.stdout
    assert "FAILED test_sample.py::test_needs_chromium" in run.stdout
    assert "skipped in CI, which must provide what this test needs" in run.stdout
    assert "the corpus is not at ../shared/bpmn-corpus" in run.stdout
    # A skip by design (the other database's behaviour) stays a skip.
    assert "not applicable here: row locks" in run.stdout


def test_ci_false_is_a_local_run(tmp_path: Path) -> None:
    assert _pytest(tmp_path, SKIPPING, ci="false").returncode == 0


def test_a_hung_test_fails_with_a_timeout_message(tmp_path: Path) -> None:
    run = _pytest(tmp_path, HANGING, "--timeout", "1", ci=None)
    assert run.returncode == 1, run.stdout
    assert "Timeout (>1.0s)" in run.stdout or "Timeout >1.0s" in run.stdout, run.stdout
    assert "1 failed" in run.stdout


def test_the_project_sets_a_per_test_timeout() -> None:
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < int(options["timeout"]) <= 600
    constraints = (ROOT / "constraints.txt").read_text().splitlines()
    assert any(line.startswith("pytest-timeout==") for line in constraints)
