"""A large centre against a small one: CPU time per complaint of the rich case, x1 and scaled.

The richest case (`cases.RICH_CASE` under `cases.RICH_POLICY`) for about ``--complaints``
complaints as it is (whole weeks), and scaled ``--factor`` times (`cases.scaled_up`: every
rate and every shift's headcount, for ``--days`` days). Each run is a fresh process, the two
alternating, ``--repeats`` times; the figure is CPU time per complaint (journey), the median
of each, and their ratio. A larger centre holds more pending events at once (follow-ups a
day ahead, retries, patience timers): the ratio says what that costs. Reported, not asserted.

    python benchmarks/bench_scale.py --factor 26 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from cases import RICH_CASE, RICH_POLICY, for_complaints, run_outcomes, scaled_up
from machine import load_average

from simcare.scenario_file import load_scenario


def child(factor: float, complaints: int, days: float) -> None:
    """Run once and print JSON: CPU seconds and complaints."""
    base = load_scenario(RICH_CASE)
    scenario = for_complaints(base, complaints) if factor == 1 else scaled_up(base, factor, days)
    start = time.process_time()
    _, size = run_outcomes(scenario, 0, RICH_POLICY)
    print(json.dumps({"cpu": time.process_time() - start, "journeys": size["journeys"]}))


def measure(factor: float, complaints: int, days: float) -> tuple[float, int]:
    """CPU µs per complaint of one fresh run, and its complaints."""
    command = [sys.executable, os.path.abspath(__file__), "--child", str(factor)]
    command += ["--complaints", str(complaints), "--days", str(days)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    value = json.loads(done.stdout.strip().splitlines()[-1])
    return value["cpu"] / value["journeys"] * 1e6, value["journeys"]


def main(argv: list[str] | None = None) -> float | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=26.0)
    parser.add_argument("--complaints", type=int, default=150_000, help="of the x1 run")
    parser.add_argument("--days", type=float, default=7.0, help="of the scaled run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.complaints, args.days)
        return None
    print(f"simcare scale benchmark - {RICH_CASE} under {RICH_POLICY}, load {load_average()}")
    runs: dict[float, list[float]] = {1.0: [], args.factor: []}
    sizes: dict[float, int] = {}
    for _ in range(args.repeats):
        for factor in runs:
            per_complaint, sizes[factor] = measure(factor, args.complaints, args.days)
            runs[factor].append(per_complaint)
    small, large = (statistics.median(runs[f]) for f in (1.0, args.factor))
    for factor, values in runs.items():
        listed = ", ".join(f"{v:.2f}" for v in values)
        print(f"x{factor:<5g}: {sizes[factor]:>9,} complaints, {listed} µs CPU per complaint")
    print(f"ratio   : x{args.factor:g} / x1 = {large / small:.2f} (medians; target <= 1.2)")
    return large / small


if __name__ == "__main__":
    main()
