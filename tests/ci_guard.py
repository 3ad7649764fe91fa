"""CI cannot pass by skipping (issue 15): under ``CI=true`` a test that skips because something it
needs is missing (``../shared``, chromium, PostgreSQL, Redis, …) fails instead, naming what is missing.

A skip that is part of a test's design (a PostgreSQL-only behaviour on the SQLite run) says so with
``not_applicable(reason)``; only those still skip in CI. Loaded by ``tests/conftest.py`` and usable
as a plugin on its own (``-p tests.ci_guard``), which is how its own test runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

NOT_APPLICABLE = "not applicable here: "


def in_ci() -> bool:
    """CI services set ``CI=true``; ``0``/``false``/empty mean a local run."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def not_applicable(reason: str) -> NoReturn:
    """Skip a test whose subject does not exist in this parametrization (kept as a skip in CI)."""
    pytest.skip(NOT_APPLICABLE + reason)


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """Turn an environment skip into a failure when running in CI."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if NOT_APPLICABLE in reason:
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in CI, which must provide what this test needs: {reason}\n"
        "(CI=true turns skips into failures; a skip by design uses tests.ci_guard.not_applicable)"
    )
