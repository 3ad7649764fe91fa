"""Time to validate the whole processes/ folder (every check: structure, names, values, scripts,
forms, lanes), as a deploy or the editor's Validate does, and per file.

    .venv/bin/python bench/validate.py [--rounds N]

Prints p50 / max over the rounds, in seconds (issue 14 asks for under 2 s on this machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine import load_processes  # noqa: E402


def lane_groups() -> dict[str, str]:
    import yaml

    loaded = yaml.safe_load((ROOT / "processes" / "groups.yaml").read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in loaded.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    paths = sorted((ROOT / "processes").glob("*.bpmn"))
    groups = lane_groups()
    timings: dict[str, list[float]] = {"all": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        result = load_processes(paths, [ROOT / "forms"], groups)
        timings["all"].append(time.perf_counter() - started)
        if not result.ok:
            raise SystemExit("\n".join(str(p) for p in result.problems))
        for path in paths:
            started = time.perf_counter()
            load_processes([path], [ROOT / "forms", ROOT / "processes"], groups)
            timings.setdefault(path.name, []).append(time.perf_counter() - started)
    print(f"{'what':32} {'p50 s':>7} {'max s':>7}")
    for name, values in timings.items():
        values.sort()
        print(f"{name:32} {values[len(values) // 2]:7.3f} {values[-1]:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
