"""The layer rules of ARCHITECTURE.md, checked on the import graph of app/."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# package -> app packages it must not import
FORBIDDEN = {
    "engine": {"api", "web", "jobs", "cli", "services", "models", "db", "extensions"},
    "models": {"api", "web", "jobs", "cli", "services", "engine"},
    "services": {"api", "web", "jobs", "cli"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                package = path.relative_to(APP).parts[:-1]
                base = list(package[: len(package) - node.level + 1])
                names.add(".".join(["app", *base, node.module]))
            else:
                names.add(node.module)
    return names


def test_spiffworkflow_is_imported_only_inside_the_engine() -> None:
    offenders = [
        str(p.relative_to(APP))
        for p in APP.rglob("*.py")
        if "engine" not in p.relative_to(APP).parts
        and any(n.startswith("SpiffWorkflow") for n in _imports(p))
    ]
    assert offenders == []


def test_dependencies_point_downwards() -> None:
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in (APP / package).rglob("*.py"):
            for name in _imports(path):
                parts = name.split(".")
                if parts[0] == "app" and len(parts) > 1 and parts[1] in forbidden:
                    problems.append(f"{path.relative_to(APP)} imports {name}")
    assert problems == []


def test_only_config_reads_the_environment() -> None:
    offenders = [
        str(p.relative_to(APP))
        for p in APP.rglob("*.py")
        if p.name != "config.py" and "os.environ" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


# The same rules as contracts in pyproject.toml, checked by import-linter on the whole import graph
# (indirect chains too, which the walk above does not follow).
ROOT = APP.parent
CONTRACTS = {
    c["name"]: c
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}
ENGINE_ALONE = "The engine imports nothing of app outside itself"
EDGES_APART = "The edges (API, pages, jobs, CLI) never import each other"
NO_FLASK_BELOW_EDGES = "Services and models never import Flask or its request machinery"
SPIFF_IN_ENGINE = "Only the engine imports SpiffWorkflow"
LAYERS = "Layers: edges, then services, then engine and models"


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the `app` package found in ``project`` with the contracts of its pyproject.toml."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            "--config",
            str(project / "pyproject.toml"),
        ],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _broken(output: str) -> str:
    """The report's part after the summary: only broken contracts are named there."""
    return output.partition("Broken contracts")[2]


def test_the_import_contracts_are_kept() -> None:
    assert set(CONTRACTS) == {ENGINE_ALONE, EDGES_APART, NO_FLASK_BELOW_EDGES, SPIFF_IN_ENGINE, LAYERS}
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    """A copy of app/ and pyproject.toml, to break on purpose."""
    shutil.copytree(
        APP, tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__", "static", "templates")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(project: Path, module: str, statement: str) -> None:
    path = project / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}  # noqa\n", encoding="utf-8")


def test_a_service_importing_the_pages_breaks_the_layers(app_copy: Path) -> None:
    _add_import(app_copy, "app/services/audit.py", "import app.web")
    result = _lint_imports(app_copy)
    assert result.returncode != 0
    broken = _broken(result.stdout)
    assert LAYERS in broken and "app.services is not allowed to import app.web" in broken
    # Through app.web the service would also reach Flask.
    assert NO_FLASK_BELOW_EDGES in broken
    assert ENGINE_ALONE not in broken and SPIFF_IN_ENGINE not in broken


def test_a_service_importing_spiffworkflow_is_refused(app_copy: Path) -> None:
    _add_import(app_copy, "app/services/audit.py", "import SpiffWorkflow")
    result = _lint_imports(app_copy)
    assert result.returncode != 0
    broken = _broken(result.stdout)
    assert SPIFF_IN_ENGINE in broken and "app.services.audit" in broken
    assert LAYERS not in broken and EDGES_APART not in broken


def test_the_engine_importing_the_rest_of_app_is_refused(app_copy: Path) -> None:
    _add_import(app_copy, "app/engine/types.py", "from app import clock")
    result = _lint_imports(app_copy)
    assert result.returncode != 0
    broken = _broken(result.stdout)
    assert ENGINE_ALONE in broken and "app.engine is not allowed to import app.clock" in broken


def test_one_edge_importing_another_is_refused(app_copy: Path) -> None:
    _add_import(app_copy, "app/web/verify.py", "import app.jobs.email")
    result = _lint_imports(app_copy)
    assert result.returncode != 0
    broken = _broken(result.stdout)
    assert EDGES_APART in broken and "app.web is not allowed to import app.jobs" in broken


MODULE_LINES = 400
FUNCTION_LINES = 60


def _oversized(root: Path) -> list[str]:
    """Modules over MODULE_LINES lines and functions over FUNCTION_LINES lines below ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(root.parent)
        if source.count("\n") > MODULE_LINES:
            found.append(f"{where}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES:
                    found.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_and_functions_stay_small() -> None:
    """Small modules that say what they hold, functions that do one thing: split by concern."""
    assert _oversized(APP) == []


def test_the_size_check_finds_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(FUNCTION_LINES))
    (package / "long.py").write_text(f"def long():\n{body}\n", encoding="utf-8")
    (package / "short.py").write_text("def short():\n    return 1\n", encoding="utf-8")
    assert _oversized(package) == [f"pkg/long.py:1 long: {FUNCTION_LINES + 1} lines"]
