"""Parallel efficiency of a sweep on local worker processes and on a Dask cluster.

One sweep plan (by default the loyal-fan case at 1-4 social-desk agents under two policies) is
run three ways through `simcare.experiments.sweep.run_sweep`:

* **serial** - ``workers=1``, in this process (the reference time T1);
* **processes** - ``workers=W``, a spawn-context process pool (`ProcessExecutor`); the clock
  includes starting the pool and shutting it down, which is what a user waits for;
* **dask** - ``scheduler=ADDRESS`` of a ``distributed.LocalCluster`` with W single-threaded
  worker processes, started before the clock (a user gives the address of a running cluster);
  the clock includes connecting the client.

Efficiency = T1 / (W x T). Every parallel run's numbers are compared with the serial run's,
value by value (NaN equal to NaN); a fast run with other numbers would be worthless.

Besides the wall times the script measures where the parallel time goes:

* the pool's start-up (a fresh pool running two empty tasks) and the cost of one task through
  each executor (many tasks with zero replications, which still carry their scenario);
* a **breakdown** run: the engine's own tasks, in the engine's order, on a plain spawn pool,
  each timed inside its worker, so that start-up, the idle tail at the end and any slow-down
  of the simulation when W processes share the machine can be told apart;
* for Dask, the round trip of trivial ``client.submit`` calls, one at a time and in a batch.

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import importlib
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import simcare
from simcare.experiments.engine import run_points
from simcare.experiments.execution import (
    Executor,
    Finished,
    Task,
    chunk_size,
    make_executor,
    run_task,
)
from simcare.experiments.sweep import SweepPlan, SweepResult, plan_sweep, run_sweep

SCENARIO = "loyal_fan_deleted_post"
SETTINGS = ("teams.social_desk.shifts.0.agents=1:4:1",)
POLICIES = ("delete", "reply_public")
GOAL = 0.90
"""The parallel-efficiency goal on W workers."""


# --- timing a sweep ---------------------------------------------------------------------------


@dataclass(slots=True)
class Timed:
    """One timed sweep: its result, wall seconds, and when each task came back."""

    label: str
    result: SweepResult
    seconds: float
    returns: list[float] = field(default_factory=list)
    """Seconds after the start at which a task's results arrived (in order)."""

    @property
    def first_result(self) -> float:
        return self.returns[0] if self.returns else math.nan


def timed_sweep(label: str, plan: SweepPlan, **options: Any) -> Timed:
    returns: list[float] = []
    last_done = 0
    start = time.perf_counter()

    def progress(done: int, planned: int) -> None:
        nonlocal last_done
        if done > last_done:
            returns.append(time.perf_counter() - start)
            last_done = done

    result = run_sweep(plan, on_progress=progress, **options)
    seconds = time.perf_counter() - start
    return Timed(label, result, seconds, returns)


def _same_value(a: object, b: object) -> bool:
    if a == b:
        return True
    try:
        return math.isnan(a) and math.isnan(b)  # type: ignore[arg-type]
    except TypeError:
        return False


def compare_results(reference: SweepResult, other: SweepResult) -> tuple[bool, str]:
    """Whether two sweeps gave the same numbers (NaN equal to NaN), and how many were compared."""
    if reference.runs.keys() != other.runs.keys():
        return False, f"points differ: {sorted(reference.runs)} vs {sorted(other.runs)}"
    compared = 0
    for point, run in reference.runs.items():
        theirs = other.runs[point]
        if run.error or theirs.error:
            return False, f"point {point} failed: {run.error or theirs.error}"
        if run.values.keys() != theirs.values.keys():
            return False, f"point {point}: policies differ"
        for policy, replications in run.values.items():
            their_replications = theirs.values[policy]
            if len(replications) != len(their_replications):
                return False, f"point {point} {policy}: replication counts differ"
            for index, (mine, their) in enumerate(
                zip(replications, their_replications, strict=True)
            ):
                if mine.keys() != their.keys():
                    return False, f"point {point} {policy} replication {index}: outcomes differ"
                for key, value in mine.items():
                    if not _same_value(value, their[key]):
                        return False, (
                            f"point {point} {policy} replication {index} {key}: "
                            f"{value!r} vs {their[key]!r}"
                        )
                    compared += 1
    return True, f"{compared:,} values"


# --- the engine's tasks and a per-task timeline ------------------------------------------------


class _Recorder(Executor):
    """Collects the tasks `run_points` makes for ``workers`` workers, without running them."""

    description = "recorder"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.tasks: list[Task] = []
        self._pending: list[Task] = []

    def submit(self, task: Task) -> None:
        self.tasks.append(task)
        self._pending.append(task)

    def next_finished(self) -> Finished:
        return self._pending.pop(0), []

    def close(self) -> None:
        pass


def engine_tasks(plan: SweepPlan, workers: int) -> list[Task]:
    """The tasks, in submission order, that the engine sends to ``workers`` workers."""
    recorder = _Recorder(workers)
    points = [(i, plan.scenario(i)) for i in range(len(plan.points))]
    run_points(points, plan.policies, plan.seed, plan.replications, recorder)
    return recorder.tasks


def timed_task(task: Task) -> tuple[int, float, float, int]:
    """Run a task in a worker: (pid, start, end, replications). perf_counter is system-wide."""
    start = time.perf_counter()
    outcomes = run_task(task)
    return os.getpid(), start, time.perf_counter(), len(outcomes)


@dataclass(frozen=True, slots=True)
class Breakdown:
    wall: float
    startup: float  # mean over workers of (first task start - pool creation)
    busy: float  # seconds of simulation summed over all tasks
    tail: float  # last end - the earliest time a worker ran out of work
    workers_seen: int
    tasks_per_worker: list[int]


def breakdown(tasks: list[Task], workers: int) -> Breakdown:
    start = time.perf_counter()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(timed_task, task) for task in tasks]
    rows = [future.result() for future in futures]
    pool.shutdown(wait=True)
    wall = time.perf_counter() - start
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, begin, end, _ in rows:
        by_worker.setdefault(pid, []).append((begin - start, end - start))
    first_starts = [min(b for b, _ in spans) for spans in by_worker.values()]
    last_ends = [max(e for _, e in spans) for spans in by_worker.values()]
    busy = sum(e - b for spans in by_worker.values() for b, e in spans)
    return Breakdown(
        wall=wall,
        startup=statistics.fmean(first_starts),
        busy=busy,
        tail=max(last_ends) - min(last_ends),
        workers_seen=len(by_worker),
        tasks_per_worker=sorted((len(spans) for spans in by_worker.values()), reverse=True),
    )


# --- per-task cost of the executors -----------------------------------------------------------


def empty_tasks(plan: SweepPlan, count: int) -> list[Task]:
    """Tasks of zero replications: all the cost of a task (its scenario travels) but no work."""
    scenario = plan.scenario(0)
    return [Task(0, scenario, plan.policies[0], plan.seed, 0, 0) for _ in range(count)]


def drain(executor: Executor, tasks: list[Task]) -> float:
    """Submit the tasks at once, as the engine does, and wait for all; return seconds."""
    start = time.perf_counter()
    for task in tasks:
        executor.submit(task)
    for _ in tasks:
        _, result = executor.next_finished()
        if isinstance(result, BaseException):
            raise result
    return time.perf_counter() - start


def pool_costs(plan: SweepPlan, workers: int, count: int) -> tuple[float, float, float]:
    """A fresh pool: (seconds to start and return `workers` empty tasks, ms per empty task in a
    batch of ``count``, seconds to shut down)."""
    start = time.perf_counter()
    with make_executor(workers) as executor:
        drain(executor, empty_tasks(plan, workers))
        startup = time.perf_counter() - start
        per_task = drain(executor, empty_tasks(plan, count)) / count * 1000.0
        closing = time.perf_counter()
    return startup, per_task, time.perf_counter() - closing


def noop(value: int) -> int:
    return value


@dataclass(frozen=True, slots=True)
class DaskCosts:
    cluster_start: float
    sequential_ms: float  # submit one trivial task, wait for it, next
    batch_ms: float  # submit all trivial tasks, then gather
    executor_connect: float  # DaskExecutor(address) and two empty tasks (workers import simcare)
    executor_ms: float  # empty simcare tasks through DaskExecutor, in a batch


def dask_costs(
    distributed: Any, address: str, plan: SweepPlan, count: int, cluster_start: float
) -> DaskCosts:
    client = distributed.Client(address, set_as_default=False)
    try:
        client.gather([client.submit(noop, i, pure=False) for i in range(20)])  # warm up
        start = time.perf_counter()
        for i in range(count):
            client.submit(noop, i, pure=False).result()
        sequential = (time.perf_counter() - start) / count * 1000.0
        start = time.perf_counter()
        client.gather([client.submit(noop, i, pure=False) for i in range(count)])
        batch = (time.perf_counter() - start) / count * 1000.0
    finally:
        client.close()
    start = time.perf_counter()
    with make_executor(scheduler=address) as executor:
        drain(executor, empty_tasks(plan, executor.workers))
        connect = time.perf_counter() - start
        per_task = drain(executor, empty_tasks(plan, count)) / count * 1000.0
    return DaskCosts(cluster_start, sequential, batch, connect, per_task)


# --- the report -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def print_machine(distributed: Any) -> None:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(f"machine : {platform.platform()}; {_cpu_model()}")
    print(
        f"          cpu_count={os.cpu_count()}"
        + (f", usable={affinity}" if affinity is not None else "")
    )
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    dask_version = distributed.__version__ if distributed is not None else "not installed"
    print(
        f"versions: simcare {simcare.__version__}, numpy {np.__version__}, "
        f"distributed {dask_version}"
    )


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # not on this platform
        return "unknown"


def row(label: str, seconds: float, efficiency: str, first: float, tasks: str, same: str) -> None:
    first_text = f"{first:.2f}" if not math.isnan(first) else "-"
    print(f"{label:<26}{seconds:>9.2f}{efficiency:>12}{first_text:>11}{tasks:>8}  {same}")


def efficiency_text(serial: float, seconds: float, workers: int) -> str:
    return f"{serial / (workers * seconds):.1%}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replications",
        type=int,
        default=75,
        help="replications per point and policy (default 75: 600 runs, about a minute serial)",
    )
    parser.add_argument("--part", choices=["efficiency", "dask", "all"], default="all")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--tasks", type=int, default=500, help="trivial tasks timed for the per-task cost"
    )
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip the per-task timeline run"
    )
    args = parser.parse_args(argv)
    if args.replications < 1 or args.workers < 2 or args.tasks < 1:
        parser.error("use --replications >= 1, --workers >= 2 and --tasks >= 1")

    distributed: Any
    try:
        distributed = importlib.import_module("distributed")
    except ImportError:
        distributed = None
    if args.part in ("dask", "all") and distributed is None:
        parser.error("the Dask part needs distributed: pip install -e '.[dask]'")

    workers = args.workers
    plan = plan_sweep(
        SCENARIO, list(SETTINGS), policies=list(POLICIES), replications=args.replications
    )
    simulations = len(plan.points) * len(plan.policies) * plan.replications
    tasks = engine_tasks(plan, workers)
    chunk = chunk_size(simulations, workers, plan.replications)

    print(f"simcare parallel benchmark - sweep on {workers} workers")
    print(
        f"sweep   : {SCENARIO}, {', '.join(SETTINGS)} ({len(plan.points)} points) x "
        f"{', '.join(plan.policies)} x {plan.replications} replications = {simulations} runs"
    )
    sizes = sorted({task.count for task in tasks})
    print(
        f"tasks   : {len(tasks)} on {workers} workers (chunk_size {chunk}; "
        f"{'-'.join(str(s) for s in sizes)} replications each); serial: {simulations} of 1"
    )
    print_machine(distributed)
    load_before = _load()
    print(f"load    : 1-min load average {load_before} before the runs (other work skews all)")
    print()
    sys.stdout.flush()

    serial = timed_sweep("serial (workers=1)", plan, workers=1)
    per_run = serial.seconds / simulations
    mean_task = serial.seconds / len(tasks)
    timed: list[tuple[Timed, bool, str]] = []
    costs: tuple[float, float, float] | None = None
    timeline: Breakdown | None = None
    dask: DaskCosts | None = None

    if args.part in ("efficiency", "all"):
        pool = timed_sweep(f"processes (workers={workers})", plan, workers=workers)
        timed.append((pool, *compare_results(serial.result, pool.result)))
        costs = pool_costs(plan, workers, args.tasks)
        if not args.no_breakdown:
            timeline = breakdown(tasks, workers)

    if args.part in ("dask", "all"):
        start = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        cluster_start = time.perf_counter() - start
        try:
            address = cluster.scheduler_address
            dask_run = timed_sweep(f"dask ({workers} procs x 1 thread)", plan, scheduler=address)
            timed.append((dask_run, *compare_results(serial.result, dask_run.result)))
            dask = dask_costs(distributed, address, plan, args.tasks, cluster_start)
        finally:
            cluster.close()

    print(
        f"{'run':<26}{'wall s':>9}{'efficiency':>12}{'1st res s':>11}{'tasks':>8}  "
        "same numbers as serial"
    )
    row(serial.label, serial.seconds, "-", serial.first_result, str(simulations), "(reference)")
    for run, same, detail in timed:
        verdict = f"{'yes' if same else 'NO'} ({detail})"
        row(
            run.label,
            run.seconds,
            efficiency_text(serial.seconds, run.seconds, workers),
            run.first_result,
            str(len(tasks)),
            verdict,
        )
    print(
        f"\nserial  : {per_run * 1000:.0f} ms per replication; mean task on {workers} workers "
        f"= {mean_task:.2f} s of simulation; ideal parallel time T1/{workers} = "
        f"{serial.seconds / workers:.2f} s; goal {GOAL:.0%}"
    )

    if costs is not None:
        startup, per_task, closing = costs
        print(
            f"pool    : start-up {startup:.2f} s (fresh pool, {workers} empty tasks back), "
            f"shutdown {closing:.2f} s, {per_task:.2f} ms per empty task "
            f"({per_task / 1000 / mean_task:.3%} of a mean task)"
        )
    if timeline is not None:
        ideal = serial.seconds / workers
        slower = timeline.busy / serial.seconds - 1.0
        print(
            f"timeline: plain spawn pool, engine's {len(tasks)} tasks timed in the workers: "
            f"wall {timeline.wall:.2f} s ({serial.seconds / (workers * timeline.wall):.1%}), "
            f"{timeline.workers_seen} workers ran "
            f"{'/'.join(str(n) for n in timeline.tasks_per_worker)} tasks"
        )
        rest = timeline.wall - ideal - timeline.startup - timeline.tail / workers
        rest -= (timeline.busy - serial.seconds) / workers
        losses: list[tuple[str, float]] = [
            ("worker start-up (mean first task start)", timeline.startup),
            ("idle tail / workers", timeline.tail / workers),
            (
                f"slower simulation ({slower:+.1%} busy time vs serial) / workers",
                (timeline.busy - serial.seconds) / workers,
            ),
            ("rest (dispatch, results, shutdown)", rest),
        ]
        print(f"          lost against ideal {ideal:.2f} s: {timeline.wall - ideal:+.2f} s =")
        for name, seconds in losses:
            print(
                f"          {seconds:+7.2f} s  {name} "
                f"({seconds / timeline.wall:.1%} of the wall time)"
            )
    if dask is not None:
        print(
            f"dask    : LocalCluster start {dask.cluster_start:.2f} s (not in the sweep's "
            f"wall time); executor connect + first tasks {dask.executor_connect:.2f} s"
        )
        print(
            f"          trivial client.submit: {dask.sequential_ms:.2f} ms per task one at a "
            f"time, {dask.batch_ms:.2f} ms per task in a batch of {args.tasks}"
        )
        print(
            f"          empty simcare tasks via DaskExecutor: {dask.executor_ms:.2f} ms per task "
            f"= {dask.executor_ms / 1000 / mean_task:.3%} of a mean task ({mean_task:.2f} s)"
        )
    print(f"load    : 1-min load average {_load()} after the runs")
    print()
    for run, same, _ in timed:
        efficiency = serial.seconds / (workers * run.seconds)
        status = "met" if efficiency >= GOAL else f"NOT met (by {GOAL - efficiency:.1%})"
        print(f"goal    : {run.label}: {efficiency:.1%} -> {status}")
        if not same:
            print(f"WARNING : {run.label} gave different numbers from the serial run")


if __name__ == "__main__":
    main()
