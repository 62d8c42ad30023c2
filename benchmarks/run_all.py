"""Every benchmark of issue 6 in one command, then one table of the six targets.

Runs, in this order, each benchmark script's ``main`` with the arguments below (each script
still runs on its own, and prints its full report here as it would there):

1. `bench_core.py` - Erlang A case A3: simcare, a tutorial SimPy model and Ciw, 200k
   customers each; target simcare >= 6x Ciw.
2. `bench_rich.py` - the richest built-in case at ~200k complaints, against Ciw on a plain
   M/M/c; target >= 1x Ciw. Then one run of each of 8 rich cases (``--survey``) and a
   cProfile of one more run (``--no-profile`` skips it).
3. `bench_memory.py` - peak RSS of one run of the rich case at 100k, 250k, 500k and 1M
   complaints, each in a fresh process, and a tracemalloc breakdown; target <= 300 MiB at 1M
   and flat in run length.
4. `bench_large.py` - the Nespresso case x 3.7 for a year (~6M contacts) on one core;
   target < 90 s.
5. `bench_parallel.py --part efficiency --points 40` - a sweep of 40 points x 2 policies x
   10 replications on 2 worker processes; target >= 90% parallel efficiency.
6. `bench_startup.py` - `simcare --help` in fresh processes; target < 0.3 s.

``--quick`` runs every part small (under a minute in all): a smoke check that everything runs,
not figures to quote. The figures depend on the machine and its load; the ratios are measured
side by side in the same invocation. These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_core
import bench_large
import bench_memory
import bench_parallel
import bench_rich
import bench_startup
from machine import load_average, print_machine

import simcare

PARTS = ("core", "rich", "memory", "large", "parallel", "startup")
# The robustness and optimise workloads (their own issues) join here: a name in PARTS, its
# arguments in `arguments`, its figure in the summary, like the six above.


def arguments(quick: bool, repeats: int, profile: bool, dask: bool) -> dict[str, list[str]]:
    """Each part's command-line arguments, full or quick."""
    if quick:
        return {
            "core": ["--quick", "--no-memory"],
            "rich": ["--quick"],
            "memory": ["--quick", "--lines", "5"],
            "large": ["--quick"],
            "parallel": [
                "--part",
                "efficiency",
                "--points",
                "8",
                "--replications",
                "2",
                "--repeats",
                "1",
                "--tasks",
                "20",
                "--no-breakdown",
            ],
            "startup": ["--quick"],
        }
    r = str(repeats)
    return {
        "core": ["--complaints", "200000", "--repeats", r, "--no-memory"],
        "rich": [
            "--complaints",
            "200000",
            "--repeats",
            r,
            "--survey",
            *(["--profile", "25"] if profile else []),
        ],
        "memory": [],
        "large": [],
        "parallel": [
            "--part",
            "all" if dask else "efficiency",
            "--points",
            "40",
            "--replications",
            "10",
            "--repeats",
            r,
            "--no-breakdown",
            "--no-profiler-off",
        ],
        "startup": ["--runs", "10", "--import-runs", "5"],
    }


@dataclass(frozen=True, slots=True)
class Row:
    target: str
    measured: str
    runs: str
    goal: str
    met: bool | None
    reference: str


def _yes(met: bool | None) -> str:
    return "-" if met is None else "met" if met else "MISSED"


def rows(reports: dict[str, Any]) -> list[Row]:
    result: list[Row] = []
    core = reports.get("core")
    if core is not None:
        mine = core.medians["simcare"]
        ciw = core.medians.get("Ciw")
        simpy = core.medians.get("SimPy")
        ratio = mine / ciw if ciw else math.nan
        result.append(
            Row(
                "1 Erlang A (A3), customers/s",
                f"{mine:,.0f}/s",
                f"median of {core.repeats}",
                ">= 6x Ciw",
                None if ciw is None else ratio >= 6.0,
                (f"{ratio:.2f}x Ciw ({ciw:,.0f}/s)" if ciw else "Ciw not installed")
                + (f", {mine / simpy:.2f}x SimPy" if simpy else ""),
            )
        )
    rich = reports.get("rich")
    if rich is not None:
        result.append(
            Row(
                "2 richest case, complaints/s",
                f"{rich.rate:,.0f}/s ({rich.contact_rate:,.0f} contacts/s)",
                f"median of {rich.repeats}",
                ">= 1x Ciw M/M/c",
                None if rich.ratio is None else rich.ratio >= 1.0,
                "Ciw not installed"
                if rich.ciw_rate is None
                else f"{rich.ratio:.2f}x Ciw M/M/c ({rich.ciw_rate:,.0f}/s); by contacts "
                f"{rich.contact_rate / rich.ciw_rate:.2f}x",
            )
        )
    memory = reports.get("memory")
    if memory is not None:
        large, small = memory.largest, memory.smallest
        flat = memory.per_100k < 1.0
        result.append(
            Row(
                f"3 peak memory, {large.complaints / 1e6:.2g}M complaints",
                f"{large.peak:,.0f} MiB, {memory.per_100k:+.1f} MiB/100k",
                "1 run per size",
                "<= 300 MiB, flat",
                large.peak <= 300.0 and flat,
                f"x{large.peak / small.peak:.2f} from {small.complaints / 1e3:,.0f}k; "
                f"{large.peak / 300.0:.2f}x the goal",
            )
        )
    big = reports.get("large")
    if big is not None:
        how = "1 run" if big.days == 365 else f"1 run of {big.days:g} d, extrapolated"
        result.append(
            Row(
                f"4 large centre, a year ({big.contacts * 365 / big.days / 1e6:.1f}M contacts)",
                f"{big.year_seconds:.1f} s, {big.peak:,.0f} MiB",
                how + (", 1 core" if big.pinned else ""),
                "< 90 s, 1 core",
                big.year_seconds < 90.0,
                f"{big.year_seconds / 90.0:.2f}x the goal",
            )
        )
    parallel = reports.get("parallel")
    if parallel is not None and parallel.processes is not None:
        result.append(
            Row(
                f"5 sweep {parallel.points} pts, {parallel.workers} workers",
                f"{parallel.processes:.1%}",
                f"median of {parallel.repeats}",
                ">= 90%",
                parallel.processes >= 0.90,
                f"serial {parallel.serial_s:.1f} s, {parallel.simulations} runs"
                + ("" if parallel.same else "; NUMBERS DIFFER")
                + ("" if parallel.dask is None else f"; Dask {parallel.dask:.1%}"),
            )
        )
    startup = reports.get("startup")
    if startup is not None:
        result.append(
            Row(
                "6 simcare --help",
                f"{startup.help_s:.3f} s",
                f"median of {startup.runs}",
                "< 0.3 s",
                startup.help_s < 0.3,
                f"python -c pass {startup.python_s:.3f} s; import simcare.cli "
                f"{startup.import_cli_s:.3f} s"
                + (
                    ""
                    if startup.uncached_s is None
                    else f"; no bytecode {startup.uncached_s:.3f} s"
                ),
            )
        )
    return result


def print_table(table: list[Row]) -> None:
    headers = ("target", "measured", "runs", "goal", "met?", "vs reference")
    cells = [(r.target, r.measured, r.runs, r.goal, _yes(r.met), r.reference) for r in table]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)).rstrip())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every part small: a smoke check")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats where repeated (3)")
    parser.add_argument("--only", default=",".join(PARTS), help="parts to run, comma-separated")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile of part 2")
    parser.add_argument("--dask", action="store_true", help="part 5 also on a Dask LocalCluster")
    args = parser.parse_args(argv)
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(chosen) - set(PARTS)
    if unknown or args.repeats < 1:
        parser.error(f"parts are {', '.join(PARTS)}; --repeats >= 1")
    parts: dict[str, Callable[[list[str]], Any]] = {
        "core": bench_core.main,
        "rich": bench_rich.main,
        "memory": bench_memory.main,
        "large": bench_large.main,
        "parallel": bench_parallel.main,
        "startup": bench_startup.main,
    }
    argv_of = arguments(args.quick, args.repeats, not args.no_profile, args.dask)
    loads = [load_average()]
    start = time.perf_counter()
    reports: dict[str, Any] = {}
    for number, name in enumerate(PARTS, start=1):
        if name not in chosen:
            continue
        script = f"bench_{name}.py"
        print(f"{'=' * 20} ({number}) {script} {' '.join(argv_of[name])}", flush=True)
        reports[name] = parts[name](argv_of[name])
        loads.append(load_average())
        print(flush=True)
    minutes = (time.perf_counter() - start) / 60.0

    print("=" * 20 + " summary")
    print(
        f"simcare {simcare.__version__} benchmarks"
        + (" (--quick: smoke check only)" if args.quick else "")
    )
    print_machine({"simcare": simcare.__version__})
    print(
        f"load    : 1-min load average before and after each part: {', '.join(loads)}; "
        f"{minutes:.1f} min in all"
    )
    print()
    print_table(rows(reports))


if __name__ == "__main__":
    main()
