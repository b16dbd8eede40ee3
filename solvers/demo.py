"""``make demo``: solve the showcase set listed in ``instances/showcase.csv`` and print a table.

Each row: instance, kind, method picked by ``auto``, status, objective, the published
optimum, whether the answer passed the model's independent check, and the time.

    python -m allotment.solvers.demo [--dir instances] [--time-limit 60]
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from allotment.models import load

from .api import solve

__all__ = ["run_demo"]


def _default_dir() -> Path:
    here = Path.cwd() / "instances"
    return here if (here / "showcase.csv").is_file() else Path(__file__).resolve().parents[1] / "instances"


def run_demo(folder: Path, time_limit: float | None = 60.0) -> int:
    """Solve every row of ``folder/showcase.csv``; returns 0 when all match their known optimum."""
    with open(folder / "showcase.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = f"{'instance':<30} {'kind':<26} {'method':<12} {'status':<9} {'objective':>11} {'known':>9} " \
             f"{'check':<6} {'seconds':>8}"
    print(header)
    print("-" * len(header))
    bad = with_known = 0
    for row in rows:
        model = load(folder / row["file"])
        result = solve(model, time_limit=time_limit)
        known = float(row["known_optimum"]) if row.get("known_optimum") else None
        verdict = "-"
        if result.answer is not None:
            report = model.check(result.answer)
            verdict = "ok" if report.feasible else "FAILED"
        with_known += known is not None
        matched = known is None or (result.objective is not None and abs(result.objective - known) <= 1e-6 * max(1, abs(known)))
        bad += (verdict != "ok") or not matched
        obj = "-" if result.objective is None else f"{result.objective:.6g}"
        kn = "-" if known is None else f"{known:.6g}"
        print(f"{row['file']:<30} {model.kind:<26} {result.method:<12} {result.status.value:<9} {obj:>11} {kn:>9} "
              f"{verdict:<6} {result.runtime:>8.3f}")
    print(f"\n{len(rows) - bad} of {len(rows)} instances solved with a verified answer, matching the known optimum "
          f"where there is one ({with_known} of them).")
    return 0 if bad == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="folder with showcase.csv (default: ./instances)")
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    return run_demo(args.dir or _default_dir(), args.time_limit)


if __name__ == "__main__":
    sys.exit(main())
