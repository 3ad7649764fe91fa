"""`flask processes simulate` and `flask processes test` on the shipped processes."""

from __future__ import annotations

from typing import Any


def test_simulate_reports_paths_and_branches(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["processes", "simulate", "rectification_order"])
    assert result.exit_code == 0, result.output
    assert "rectification_order: 9 paths" in result.output and "2/2 gateway branches" in result.output


def test_test_runs_every_shipped_test_and_names_unknown_keys(app: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["processes", "test"])
    assert result.exit_code == 0, result.output
    assert "PASS processes/tests/construction_permit.deficient_supplemented.json" in result.output
    assert "21 of 21 process test(s) pass" in result.output
    missing = runner.invoke(args=["processes", "test", "no_such_process"])
    assert missing.exit_code == 1 and "no valid process 'no_such_process'" in missing.output
