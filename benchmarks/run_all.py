"""Every benchmark of issues 6, 18, 19 and 20 in one command, then one table of the targets.

Runs, in this order, each benchmark script's ``main`` with the arguments below (each script
still runs on its own, and prints its full report here as it would there):

1. `bench_core.py` - Erlang A case A3: simcare (`simulate`, and the path `simcare run`
   takes), a tutorial SimPy model, Ciw and a pure-Python heapq loop, 200k customers each, CPU
   time; targets: the run path >= 8x Ciw and >= 0.7x the heapq loop.
2. `bench_rich.py` - the richest built-in case at ~200k complaints, against Ciw on a plain
   M/M/c; target >= 1.5x Ciw. Then one run of each of 8 rich cases (``--survey``) and a
   cProfile of one more run (``--no-profile`` skips it).
3. `bench_memory.py --policy ignore` - peak RSS of one run of the rich case under `ignore` at
   100k and 2M complaints, each in a fresh process; target <= 150 MiB at 2M.
4. `bench_large.py` - the Nespresso case x 3.7 for a year (~6M contacts) on one core;
   target < 90 s.
5. `bench_parallel.py --part efficiency --points 40` - a sweep of 40 points x 2 policies x
   10 replications on 2 worker processes; target >= 90% parallel efficiency.
6. `bench_startup.py` - `simcare --help` in fresh processes; target < 0.3 s.
7. `bench_robustness.py` - the loyal-fan case over its default ranges, 64 worlds x 5
   policies x 5 replications on 2 workers; target < 5 minutes.
8. `bench_optimise.py` - `optimise` on the loyal-fan case's two teams (4 shifts) for net
   value on 2 workers; target < 5 minutes, and its simulations against an exhaustive grid's.
9. `bench_memory.py --case silence_and_the_groundswell --policy ignore` - as part 3, for the
   groundswell case; target <= 150 MiB at 2M.
10. `bench_scale.py` - CPU per complaint of the rich case scaled x26 against x1, fresh
    processes alternating; target <= 1.2x.
11. `bench_pile_on.py --policy ignore` - the rich case with pile-ons at their cap against
    none, CPU time; target <= 1.3x.

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
import bench_optimise
import bench_parallel
import bench_pile_on
import bench_rich
import bench_robustness
import bench_scale
import bench_startup
from machine import load_average, print_machine

import simcare

SCRIPTS: dict[str, tuple[str, Callable[[list[str]], Any]]] = {
    "core": ("bench_core.py", bench_core.main),
    "rich": ("bench_rich.py", bench_rich.main),
    "memory": ("bench_memory.py", bench_memory.main),
    "large": ("bench_large.py", bench_large.main),
    "parallel": ("bench_parallel.py", bench_parallel.main),
    "startup": ("bench_startup.py", bench_startup.main),
    "robustness": ("bench_robustness.py", bench_robustness.main),
    "optimise": ("bench_optimise.py", bench_optimise.main),
    "groundswell": ("bench_memory.py", bench_memory.main),
    "scale": ("bench_scale.py", bench_scale.main),
    "pile_on": ("bench_pile_on.py", bench_pile_on.main),
}
"""Each part's script and its ``main``, in the order they run."""
PARTS = tuple(SCRIPTS)
GROUNDSWELL = ["--case", "silence_and_the_groundswell", "--policy", "ignore"]
MEMORY_SIZES = "100000,2000000"


def arguments(quick: bool, repeats: int, profile: bool, dask: bool) -> dict[str, list[str]]:
    """Each part's command-line arguments, full or quick."""
    if quick:
        return {
            "core": ["--quick", "--no-memory"],
            "rich": ["--quick"],
            "memory": ["--quick", "--policy", "ignore", "--no-breakdown"],
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
            "robustness": ["--quick"],
            "optimise": ["--quick"],
            "groundswell": ["--quick", *GROUNDSWELL, "--no-breakdown"],
            "scale": ["--complaints", "5000", "--days", "1", "--repeats", "1"],
            "pile_on": ["--complaints", "5000", "--policy", "ignore", "--repeats", "1"],
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
        "memory": ["--policy", "ignore", "--sizes", MEMORY_SIZES, "--no-breakdown"],
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
        "robustness": [],
        "optimise": [],
        "groundswell": [*GROUNDSWELL, "--sizes", MEMORY_SIZES, "--no-breakdown"],
        "scale": ["--factor", "26", "--repeats", r],
        "pile_on": ["--complaints", "50000", "--policy", "ignore", "--repeats", r],
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
        result.extend(_core_rows(core))
    rich = reports.get("rich")
    if rich is not None:
        result.append(
            Row(
                "2 richest case, complaints/s",
                f"{rich.rate:,.0f}/s ({rich.contact_rate:,.0f} contacts/s)",
                f"median of {rich.repeats}",
                ">= 1.5x Ciw M/M/c",
                None if rich.ratio is None else rich.ratio >= 1.5,
                "Ciw not installed"
                if rich.ciw_rate is None
                else f"{rich.ratio:.2f}x Ciw M/M/c ({rich.ciw_rate:,.0f}/s); by contacts "
                f"{rich.contact_rate / rich.ciw_rate:.2f}x",
            )
        )
    memory = reports.get("memory")
    if memory is not None:
        result.append(_memory_row("3 peak memory, rich, ignore", memory))
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
    study = reports.get("robustness")
    if study is not None:
        result.append(
            Row(
                f"7 robustness, {study.worlds} worlds",
                f"{study.seconds:.1f} s",
                f"1 run, {study.workers} workers",
                "< 5 min",
                study.seconds < bench_robustness.TARGET_S,
                f"{study.simulations:,} simulations; load {study.load_before} → {study.load_after}",
            )
        )
    optimised = reports.get("optimise")
    if optimised is not None:
        result.append(
            Row(
                "8 optimise loyal fan, 4 shifts",
                f"{optimised.seconds:.0f} s, {optimised.simulations:,} runs",
                "1 run",
                f"< {bench_optimise.TARGET_S:.0f} s, {optimised.workers} workers",
                optimised.seconds < bench_optimise.TARGET_S,
                f"grid: {optimised.grid_most:,} runs "
                f"({optimised.simulations / optimised.grid_most:.1%} of it); "
                f"plan {optimised.staffing}",
            )
        )
    result.extend(_issue_20_rows(reports))
    return result


def _core_rows(core: Any) -> list[Row]:
    """Erlang A through the run path against Ciw and against the heapq loop."""
    mine = core.medians["simcare run"]
    ciw = core.medians.get("Ciw")
    heap = core.medians["heapq"]
    simpy = core.medians.get("SimPy")
    ratio = mine / ciw if ciw else math.nan
    alone = core.medians["simcare"]
    return [
        Row(
            "1 Erlang A (A3), run path",
            f"{mine:,.0f}/s",
            f"median of {core.repeats}",
            ">= 8x Ciw",
            None if ciw is None else ratio >= 8.0,
            (f"{ratio:.2f}x Ciw ({ciw:,.0f}/s)" if ciw else "Ciw not installed")
            + (f", {mine / simpy:.2f}x SimPy" if simpy else "")
            + (f"; simulate alone {alone / ciw:.2f}x Ciw" if ciw else ""),
        ),
        Row(
            "1 Erlang A, run path vs heapq",
            f"{mine / heap:.2f}x",
            f"median of {core.repeats}",
            ">= 0.7x heapq",
            mine / heap >= 0.7,
            f"heapq loop {heap:,.0f}/s; simulate alone {alone / heap:.2f}x",
        ),
    ]


def _memory_row(target: str, memory: Any) -> Row:
    """Peak RSS at the largest size against issue 20's 150 MiB."""
    large, small = memory.largest, memory.smallest
    goal = bench_memory.TARGET_MIB
    return Row(
        f"{target}, {large.complaints / 1e6:.2g}M",
        f"{large.peak:,.0f} MiB, {memory.per_100k:+.1f} MiB/100k",
        "1 run per size",
        f"<= {goal:.0f} MiB",
        large.peak <= goal,
        f"{small.peak:,.0f} MiB at {small.complaints / 1e3:,.0f}k; "
        f"{large.peak / goal:.2f}x the goal; {large.seconds:.0f} s",
    )


def _issue_20_rows(reports: dict[str, Any]) -> list[Row]:
    """Parts 9-11: the groundswell's memory, a large centre, pile-ons at their cap."""
    result: list[Row] = []
    groundswell = reports.get("groundswell")
    if groundswell is not None:
        result.append(_memory_row("9 peak memory, groundswell, ignore", groundswell))
    scale = reports.get("scale")
    if scale is not None:
        result.append(
            Row(
                "10 rich case x26 / x1, per complaint",
                f"{scale:.2f}x",
                "median, fresh processes",
                "<= 1.2x",
                scale <= 1.2,
                "CPU µs per complaint, x26 for 7 days against x1 at ~150k",
            )
        )
    pile_on = reports.get("pile_on")
    if pile_on is not None:
        result.append(
            Row(
                "11 pile-on at its cap / none",
                f"{pile_on['quantile']:.2f}x",
                "median, interleaved",
                "<= 1.3x",
                pile_on["quantile"] <= 1.3,
                f"the walk k = 0, 1, 2, ... (before issue 20): {pile_on['walk']:.2f}x",
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
    argv_of = arguments(args.quick, args.repeats, not args.no_profile, args.dask)
    loads = [load_average()]
    start = time.perf_counter()
    reports: dict[str, Any] = {}
    for number, name in enumerate(PARTS, start=1):
        if name not in chosen:
            continue
        script, run = SCRIPTS[name]
        print(f"{'=' * 20} ({number}) {script} {' '.join(argv_of[name])}", flush=True)
        reports[name] = run(argv_of[name])
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
