"""Simulating a process before it is deployed: every path in memory, and the analysts' tests."""

from .paths import PathFailure, SimulationReport, simulate
from .process_tests import ProcessTest, TestOutcome, read_test, run_test
from .sample_data import Check

__all__ = [
    "Check",
    "PathFailure",
    "ProcessTest",
    "SimulationReport",
    "TestOutcome",
    "read_test",
    "run_test",
    "simulate",
]
