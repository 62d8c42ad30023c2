"""Peak memory of one run against its length, and what holds the memory.

The run is the richest case of `bench_rich.py` (`cases.RICH_CASE` under `cases.RICH_POLICY`),
made longer in whole weeks so that about N complaints (journeys) arise, for each N of
``--sizes`` (default 100k, 250k, 500k and 1M). Each size runs in a **fresh** process:
`simcare.experiments.replicate.simulate_outcomes` once, seed 0, without the event log (no
per-contact record is kept: the run harvests its journeys as they end and adds up their
outcomes). The figure is that process's peak resident set (VmHWM on Linux), and how far it
rose above the same process's peak after its imports. The growth per 100k complaints is the
least-squares slope of the peak against the complaints of the runs.

``--breakdown`` (on by default; ``--no-breakdown`` skips it) runs one more fresh process at
the smallest size under `tracemalloc` and takes three snapshots: at the harvest halfway
through the run, at the run's end before the last harvest (the journeys still going, with
their random-number blocks, the service and contact columns, the queues), and after the
outcomes. Each line is the memory traced at one file and line divided by the complaints, so in
bytes per complaint. tracemalloc sees numpy's array buffers as well as Python objects.

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import linecache
import os
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np
from cases import RICH_CASE, RICH_POLICY, describe, for_complaints, run_outcomes
from machine import load_average, peak_rss_mib, print_machine

import simcare
from simcare.core.randomness import make_streams
from simcare.metrics.tally import Tally
from simcare.model import replication as model_replication
from simcare.model.records import RunRecord
from simcare.scenario_file import load_scenario

SIZES = (100_000, 250_000, 500_000, 1_000_000)
TARGET_MIB = 150.0
"""Issue 20: peak RSS at 2M complaints under `ignore` (it was 300 MiB at 1M before)."""


CASE = {"case": RICH_CASE, "policy": RICH_POLICY}
"""The case and policy measured (``--case``, ``--policy``); passed on to the children."""


def scenario_for(complaints: int):  # type: ignore[no-untyped-def]
    return for_complaints(load_scenario(CASE["case"]), complaints)


def child(complaints: int) -> None:
    """Run once and print JSON: peaks before and after, the run's size and wall time."""
    scenario = scenario_for(complaints)
    gc.collect()
    before = peak_rss_mib()
    start = time.perf_counter()
    values, size = run_outcomes(scenario, 0, CASE["policy"])
    seconds = time.perf_counter() - start
    after = peak_rss_mib()
    print(
        json.dumps(
            {
                "before": before,
                "peak": after,
                "journeys": size["journeys"],
                "contacts": size["contacts"],
                "seconds": seconds,
                "outcomes": len(values),
            }
        )
    )


@dataclass(frozen=True, slots=True)
class Size:
    complaints: int  # journeys that arose
    contacts: int
    peak: float  # MiB
    growth: float  # MiB above the peak after the imports
    seconds: float


def measure(complaints: int) -> Size:
    command = [sys.executable, os.path.abspath(__file__), "--child", str(complaints), *_case_args()]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child for {complaints} failed:\n{done.stderr}")
    v = json.loads(done.stdout.strip().splitlines()[-1])
    return Size(v["journeys"], v["contacts"], v["peak"], v["peak"] - v["before"], v["seconds"])


def slope_per_100k(sizes: list[Size]) -> float:
    """Least-squares MiB per 100,000 complaints."""
    if len(sizes) < 2:
        return float("nan")
    x = np.array([s.complaints for s in sizes], dtype=float)
    y = np.array([s.peak for s in sizes])
    return float(np.polyfit(x, y, 1)[0] * 100_000)


def _case_args() -> list[str]:
    """The child's ``--case`` and ``--policy``: this run's."""
    policy = ["--policy", CASE["policy"]] if CASE["policy"] else []
    return ["--case", CASE["case"], *policy]


# --- where the memory goes --------------------------------------------------------------------


def _grouped(snapshot: tracemalloc.Snapshot) -> dict[tuple[str, int], tuple[int, str]]:
    """Bytes traced per (file, line), with the file's path shortened and the line's code."""
    result: dict[tuple[str, int], tuple[int, str]] = {}
    for stat in snapshot.statistics("lineno"):
        frame = stat.traceback[0]
        short = frame.filename
        for marker in ("simcare", "simpy", "numpy"):
            at = short.rfind(os.sep + marker + os.sep)
            if at >= 0:
                short = short[at + 1 :]
                break
        size, _ = result.get((short, frame.lineno), (0, ""))
        code = linecache.getline(frame.filename, frame.lineno).strip()
        result[(short, frame.lineno)] = (size + stat.size, code)
    return result


def _span(function: object) -> tuple[int, int]:
    lines, first = inspect.getsourcelines(function)  # type: ignore[arg-type]
    return first, first + len(lines) - 1


def _parts() -> list[tuple[str, str, tuple[int, int] | None]]:
    """(label, file, line span or None for the whole file), first match wins."""
    from simcare.model import journeys, word_of_mouth

    return [
        (
            "journeys' random-number blocks (draw_block)",
            "simcare/model/journeys.py",
            _span(journeys.draw_block),
        ),
        (
            "journeys' word-of-mouth numbers (draw_mouth)",
            "simcare/model/word_of_mouth.py",
            _span(word_of_mouth.draw_mouth),
        ),
        ("arrival batches (problems.py)", "simcare/model/problems.py", None),
        ("harvesting (harvest.py: the chunks)", "simcare/model/harvest.py", None),
        ("run state (served/extra columns, timers, queues)", "simcare/model/replication.py", None),
        ("run state (served/extra columns, timers, queues)", "simcare/model/state.py", None),
        ("run state (served/extra columns, timers, queues)", "simcare/model/queues.py", None),
        ("run state (served/extra columns, timers, queues)", "simcare/model/arrivals.py", None),
        ("run state (served/extra columns, timers, queues)", "simcare/model/staffing.py", None),
        ("journeys and posts (journeys.py)", "simcare/model/journeys.py", None),
        ("word of mouth, churn", "simcare/model/word_of_mouth.py", None),
        ("word of mouth, churn", "simcare/model/loyalty.py", None),
        ("outcomes tally (metrics/)", "simcare/metrics/", None),
        ("SimPy events", "simpy/", None),
        ("numpy temporaries", "numpy/", None),
    ]


def _by_part(grouped: dict[tuple[str, int], tuple[int, str]]) -> dict[str, int]:
    parts = _parts()
    totals: dict[str, int] = {}
    for (filename, lineno), (size, _) in grouped.items():
        label = "other"
        for name, prefix, span in parts:
            if filename.startswith(prefix) and (span is None or span[0] <= lineno <= span[1]):
                label = name
                break
        totals[label] = totals.get(label, 0) + size
    return totals


def breakdown_child(complaints: int, lines: int) -> None:
    """Run once under tracemalloc; print bytes per complaint by file and line at three moments."""
    scenario = scenario_for(complaints)
    snapshots: dict[str, tracemalloc.Snapshot] = {}
    replication = model_replication.Replication(scenario, make_streams(0, 0), policy=CASE["policy"])
    harvest = replication._harvest
    days = scenario.run.duration_min / 1440
    size = {"journeys": 0, "contacts": 0}
    tally = Tally(scenario)

    def add(chunk: RunRecord) -> None:
        tally.add(chunk)
        size["journeys"] += len(chunk.journeys)
        size["contacts"] += len(chunk)

    def harvest_with_snapshots(now: float, final: bool = False) -> None:
        if final or (not snapshots and now >= days / 2 * 1440):
            gc.collect()
            label = "at the run's end, before the last harvest" if final else "halfway"
            snapshots[label] = tracemalloc.take_snapshot()
        harvest(now, final)

    replication._harvest = harvest_with_snapshots  # type: ignore[method-assign]
    tracemalloc.start(1)
    run = replication.run(add, keep_record=False)
    values = tally.outcomes(run)
    del replication, run  # what is left of the run after its last harvest is small
    gc.collect()
    snapshots["after the outcomes (the tally alone)"] = tracemalloc.take_snapshot()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    journeys, contacts = size["journeys"], size["contacts"]
    print(
        f"breakdown: {journeys:,} complaints, {contacts:,} contacts ({contacts / journeys:.2f} "
        f"per complaint), {len(values)} outcomes; tracemalloc peak {peak / 2**20:.0f} MiB = "
        f"{peak / journeys:,.0f} B per complaint"
    )
    for label, snapshot in snapshots.items():
        grouped = _grouped(snapshot)
        total = sum(traced for traced, _ in grouped.values())
        print(
            f"  {label}: {total / 2**20:.1f} MiB traced = {total / journeys:,.0f} B per complaint"
        )
        for part, traced in sorted(_by_part(grouped).items(), key=lambda item: -item[1]):
            print(
                f"    {traced / journeys:>8,.1f} B/complaint {traced / contacts:>7,.1f} B/contact"
                f"  {part}"
            )
        print("    the largest lines:")
        ranked = sorted(grouped.items(), key=lambda item: -item[1][0])
        for (filename, lineno), (size, code) in ranked[:lines]:
            print(
                f"    {size / journeys:>8,.1f} B/complaint {size / 2**20:>7.1f} MiB  "
                f"{filename}:{lineno}  {code[:70]}"
            )


def breakdown(complaints: int, lines: int) -> str:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--breakdown-child",
        str(complaints),
        "--lines",
        str(lines),
        *_case_args(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"breakdown child failed:\n{done.stderr}")
    return done.stdout.rstrip()


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemoryReport:
    sizes: list[Size]
    per_100k: float

    @property
    def largest(self) -> Size:
        return max(self.sizes, key=lambda s: s.complaints)

    @property
    def smallest(self) -> Size:
        return min(self.sizes, key=lambda s: s.complaints)


def main(argv: list[str] | None = None) -> MemoryReport | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="complaints per run, comma-separated",
    )
    parser.add_argument("--no-breakdown", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--lines", type=int, default=12, help="lines per breakdown snapshot")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k and 20k complaints")
    parser.add_argument("--case", default=RICH_CASE, help="built-in case (default: the richest)")
    parser.add_argument("--policy", default=None, help="policy (default: the richest case's)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--breakdown-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    CASE["case"] = args.case
    CASE["policy"] = args.policy or (RICH_POLICY if args.case == RICH_CASE else None)
    if args.child:
        child(args.child)
        return None
    if args.breakdown_child:
        breakdown_child(args.breakdown_child, args.lines)
        return None
    if args.quick:
        args.sizes = "10000,20000"
    wanted = sorted(int(s) for s in args.sizes.split(","))

    policy = CASE["policy"] or load_scenario(CASE["case"]).run.policy
    print(f"simcare memory benchmark - {CASE['case']} under {policy}, one run per size")
    print(f"case    : per size, {describe(scenario_for(wanted[0]))} (smallest)")
    print_machine({"simcare": simcare.__version__, "numpy": np.__version__})
    print(f"load    : 1-min load average {load_average()} before the runs", flush=True)
    print()
    sizes = [measure(n) for n in wanted]
    print(
        f"{'complaints':>11}{'contacts':>11}{'weeks':>7}{'peak RSS MiB':>14}{'(+ run)':>9}"
        f"{'B/complaint':>13}{'run s':>8}"
    )
    for n, size in zip(wanted, sizes, strict=True):
        weeks = scenario_for(n).run.duration_min / (7 * 1440)
        print(
            f"{size.complaints:>11,}{size.contacts:>11,}{weeks:>7.0f}{size.peak:>14.0f}"
            f"{size.growth:>9.0f}{size.growth * 2**20 / size.complaints:>13,.0f}"
            f"{size.seconds:>8.1f}"
        )
    per_100k = slope_per_100k(sizes)
    small, large = sizes[0], sizes[-1]
    print(
        "          peak RSS of a fresh process running simulate_outcomes once (seed 0); "
        "(+ run) = the rise\n          above its peak after the imports; B/complaint = "
        "(+ run) / complaints"
    )
    print()
    if len(sizes) > 1:
        print(
            f"growth  : {per_100k:.1f} MiB per 100k complaints (least squares over the sizes); "
            f"{small.complaints:,} -> {large.complaints:,}: {small.peak:.0f} -> "
            f"{large.peak:.0f} MiB (x{large.peak / small.peak:.2f} for "
            f"x{large.complaints / small.complaints:.1f} the complaints)"
        )
    verdict = "met" if large.peak <= TARGET_MIB else "NOT met"
    print(
        f"goal    : <= {TARGET_MIB:.0f} MiB at {large.complaints:,} complaints and flat in run "
        f"length: {large.peak:.0f} MiB, {per_100k:+.1f} MiB per 100k -> {verdict}"
        + ("" if per_100k < 1.0 else " (not flat)")
    )
    if not args.no_breakdown:
        print()
        print(breakdown(wanted[0], args.lines))
    return MemoryReport(sizes, per_100k)


if __name__ == "__main__":
    main()
