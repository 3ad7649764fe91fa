"""STYLE.md: ruff and mypy clean on app/ (run in the suite so CI keeps them clean)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "app", "tests", "bench", "worker.py", "wsgi.py")
    assert result.returncode == 0, result.stdout + result.stderr
    result = _run(str(BIN / "ruff"), "format", "--check", "app", "tests", "bench", "worker.py", "wsgi.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_on_app() -> None:
    result = _run(str(BIN / "mypy"), "app")
    assert result.returncode == 0, result.stdout + result.stderr
