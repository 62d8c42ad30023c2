"""A large centre for a year on one core: wall time and peak memory of one run.

The centre is the Nespresso case, `cases.LARGE_CASE` (deeper_not_broader: phone and email,
one team of coffee specialists on nine shifts, under its own policy coffee_conversation), made
``--scale`` times bigger with `cases.scaled_up`: the problem rate and every shift's headcount
times the factor, so each agent meets the same load. With the default factor, 3.7, a year
brings about 5.4 million complaints and 6 million contacts across the two channels.

The run is one fresh process, pinned to one CPU with ``taskset -c 0`` where taskset exists:
`simcare.experiments.replicate.simulate_outcomes` (`cases.run_outcomes`), seed 0, no event
log. It reports the wall time of the run and its outcomes, the contacts and complaints, and the
process's peak resident set (VmHWM). With ``--days D`` it runs D days instead and
**extrapolates** the time to the year linearly (the rates and staffing repeat every week, so
time per contact does not depend on the length); the memory is not extrapolated.

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from cases import LARGE_CASE, describe, run_outcomes, scaled_up
from machine import load_average, peak_rss_mib, print_machine

import simcare
from simcare.scenario_file import load_scenario

SCALE = 3.7
YEAR_DAYS = 365
TARGET_S = 90.0


def child(scale: float, days: float) -> None:
    scenario = scaled_up(load_scenario(LARGE_CASE), scale, days)
    gc.collect()
    before = peak_rss_mib()
    start = time.perf_counter()
    values, size = run_outcomes(scenario, 0)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "journeys": size["journeys"],
                "contacts": size["contacts"],
                "served": size["answered"],
                "before": before,
                "peak": peak_rss_mib(),
                "outcomes_count": len(values),
                "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            }
        )
    )


@dataclass(frozen=True, slots=True)
class LargeReport:
    days: float
    seconds: float  # measured, the run and its outcomes
    year_seconds: float  # extrapolated to 365 days when days < 365
    journeys: int
    contacts: int
    peak: float
    pinned: bool


def main(argv: list[str] | None = None) -> LargeReport | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=SCALE, help=f"size factor (default {SCALE})")
    parser.add_argument("--days", type=float, default=YEAR_DAYS, help="simulated days (365)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 7 days, extrapolated")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.days = 7.0
    if args.child:
        child(args.scale, args.days)
        return None

    scenario = scaled_up(load_scenario(LARGE_CASE), args.scale, args.days)
    print(f"simcare large-centre benchmark - {LARGE_CASE} x {args.scale:g}, one run")
    print(f"case    : {describe(scenario)}")
    print_machine({"simcare": simcare.__version__, "numpy": np.__version__})
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        "--scale",
        repr(args.scale),
        "--days",
        repr(args.days),
    ]
    taskset = shutil.which("taskset")
    pinned = taskset is not None and not args.no_pin
    if pinned:
        command = [taskset, "-c", "0", *command]
    print(f"process : {'pinned to CPU 0 with taskset' if pinned else 'not pinned'}")
    print(f"load    : 1-min load average {load_average()} before the run", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"large-centre child failed:\n{done.stderr}")
    v = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = v["seconds"]
    year = seconds * YEAR_DAYS / args.days
    print(f"load    : 1-min load average {load_average()} after the run")
    print()
    print(
        f"run     : {args.days:g} days: {v['journeys']:,} complaints, {v['contacts']:,} contacts "
        f"({v['served']:,} answered), {v['outcomes_count']} outcomes"
    )
    print(
        f"time    : {seconds:.1f} s (the run and its outcomes); "
        f"{v['contacts'] / seconds:,.0f} contacts/s, "
        f"{v['journeys'] / seconds:,.0f} complaints/s (CPUs usable: {v['cpus']})"
    )
    print(
        f"memory  : peak RSS {v['peak']:,.0f} MiB (+{v['peak'] - v['before']:,.0f} MiB above the "
        f"imports) = {(v['peak'] - v['before']) * 2**20 / v['journeys']:,.0f} B per complaint"
    )
    if args.days != YEAR_DAYS:
        print(
            f"year    : EXTRAPOLATED from {args.days:g} days: {year:.1f} s for {YEAR_DAYS} days "
            f"(~{v['contacts'] * YEAR_DAYS / args.days:,.0f} contacts)"
        )
    verdict = "met" if year < TARGET_S else "NOT met"
    print(f"goal    : a year in under {TARGET_S:.0f} s on one core: {year:.1f} s -> {verdict}")
    return LargeReport(args.days, seconds, year, v["journeys"], v["contacts"], v["peak"], pinned)


if __name__ == "__main__":
    main()
