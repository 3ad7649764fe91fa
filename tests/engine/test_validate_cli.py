"""`flask processes validate PATH` on a file written for another tool: its real problems, one line
each (FILE:LINE: ELEMENT_ID: message (hint)), and the file-name rule of deployment as a problem of
its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.engine.bpmn_factory import condition_process, write


def test_validate_reports_a_foreign_files_real_problems(app: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "invoice-approval", condition_process("Process_Invoice", "${!approved}"))
    result = app.test_cli_runner().invoke(args=["processes", "validate", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert len(lines) == 2, result.output
    juel = next(line for line in lines if "expression language" in line)
    file, line_no, element, rest = juel.split(":", 3)
    assert int(line_no) > 0 and element.strip() == "f2"
    assert "(write it as Python: not approved)" in rest
    stem = next(line for line in lines if "no executable process with id 'invoice-approval'" in line)
    assert "Process_Invoice" in stem and "rename the file to Process_Invoice.bpmn" in stem
