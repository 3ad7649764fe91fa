"""The layer rules of ARCHITECTURE.md, checked on the import graph of app/."""

from __future__ import annotations

import ast
from pathlib import Path

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
