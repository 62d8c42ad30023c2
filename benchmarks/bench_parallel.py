"""Parallel efficiency of a sweep on local worker processes and on a Dask cluster.

One sweep plan (by default the loyal-fan case at 1-4 social-desk agents under two policies; with
``--points N``, N = 4k points: those 4 staffing levels times k escalation shares) is run four
ways through `simcare.experiments.sweep.run_sweep`:

* **serial** - ``workers=1``, in this process (the reference time T1);
* **processes** - ``workers=W``, a spawn-context process pool (`ProcessExecutor`); the clock
  includes starting the pool and shutting it down, which is what a user waits for;
* **dask** - ``scheduler=ADDRESS`` of a ``distributed.LocalCluster`` with W single-threaded
  worker processes, started before the clock (a user gives the address of a running cluster)
  and closed after it; the clock includes connecting the client. Each repeat gets a fresh
  cluster, so that an idle cluster's CPU does not fall on the other runs;
* **dask, worker profiler off** - the same with ``distributed.worker.profile.enabled`` False
  in the cluster's Dask config (skip with ``--no-profiler-off``). The profiler is a thread in
  each worker that samples the running task's stack every 10 ms; this line shows what it
  costs a CPU-bound simulation.

The repeats are interleaved (serial, processes, dask, dask without profiler, serial, ...), and
the table shows the median wall time of each way and its range. Efficiency = T1 / (W x T).
Every run's numbers are compared with the first serial run's, value by value (NaN equal to
NaN): a fast run with other numbers would be worthless. For each repeat the script also
reports the CPU that other processes on the machine used meanwhile (busy CPU in /proc/stat
minus this process tree's), so that a disturbed repeat can be seen.

Besides the wall times the script measures where the parallel time goes:

* the pool's start-up (a fresh pool running W empty tasks) and the cost of one task through
  each executor (many tasks with zero replications, which still carry their scenario);
* for Dask, the round trip of trivial ``client.submit`` calls, one at a time and in a batch;
* **timelines**: the engine's own tasks, in the engine's order, on a fresh spawn pool and on a
  Dask cluster, each timed inside its worker (wall and CPU time of the task's thread, and of
  the worker's other threads), so that start-up, the idle tail at the end, waiting for a core
  or the GIL, and slower simulation code can be told apart.

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import importlib
import math
import multiprocessing
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from machine import print_machine

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
"""The 4 points of the default sweep; `settings_for` adds a second setting for more points."""
POLICIES = ("delete", "reply_public")
GOAL = 0.90
"""The parallel-efficiency goal on W workers."""


def settings_for(points: int) -> list[str]:
    """The sweep's settings for ``points`` points: the 4 staffing levels, times ``points / 4``
    escalation shares evenly spaced from 0.3 to 0.9 when there are more than 4 points."""
    if points < 4 or points % 4:
        raise ValueError("--points must be a multiple of 4")
    if points == 4:
        return list(SETTINGS)
    shares = np.linspace(0.3, 0.9, points // 4)
    values = ",".join(f"{share:.4g}" for share in shares)
    return [*SETTINGS, f"behaviour.escalate_share={values}"]


@dataclass(frozen=True, slots=True)
class ParallelReport:
    """The efficiencies of one invocation (None: that way was not run)."""

    points: int
    simulations: int
    workers: int
    serial_s: float
    repeats: int
    processes: float | None
    dask: float | None
    dask_quiet: float | None
    same: bool


# --- timing a sweep ---------------------------------------------------------------------------


def _own_cpu() -> float:
    """CPU seconds of this process, its reaped children and its live descendants (Linux)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
    family = {os.getpid()}
    grown = True
    while grown:
        new = {pid for pid, parent in parents.items() if parent in family} - family
        family |= new
        grown = bool(new)
    family.discard(os.getpid())
    return total + sum(ticks[pid] for pid in family) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[float, float]:
    """Busy CPU seconds of the whole machine, and seconds stolen by the hypervisor (Linux)."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


class CpuMeter:
    """CPU used by everything else on the machine while something ran: the busy CPU of the
    whole machine minus that of this process tree (NaN where /proc is missing)."""

    def __init__(self) -> None:
        self.available = os.path.exists("/proc/stat")
        self._start = self._read()

    def _read(self) -> tuple[float, float, float]:
        if not self.available:
            return math.nan, math.nan, math.nan
        own = _own_cpu()
        machine, steal = _machine_cpu()
        return own, machine, steal

    def others(self) -> tuple[float, float]:
        """(CPU s of other processes, CPU s stolen) since the meter was made."""
        own, machine, steal = self._read()
        own0, machine0, steal0 = self._start
        return max(0.0, (machine - machine0) - (own - own0)), steal - steal0


@dataclass(frozen=True, slots=True)
class Timed:
    """One timed sweep: its result, wall seconds, when the first task came back, the CPU
    seconds this process used meanwhile (for Dask: the scheduler, nannies and client), and the
    CPU seconds other processes on the machine used meanwhile (a check on the figures)."""

    result: SweepResult
    seconds: float
    first_result: float
    parent_cpu: float
    others_cpu: float
    stolen_cpu: float


def timed_sweep(plan: SweepPlan, **options: Any) -> Timed:
    first = math.nan
    meter = CpuMeter()
    cpu = time.process_time()
    start = time.perf_counter()

    def progress(done: int, planned: int) -> None:
        nonlocal first
        if done and math.isnan(first):
            first = time.perf_counter() - start

    result = run_sweep(plan, on_progress=progress, **options)
    seconds = time.perf_counter() - start
    parent = time.process_time() - cpu
    return Timed(result, seconds, first, parent, *meter.others())


@dataclass(slots=True)
class Line:
    """One way of running the sweep, over the repeats."""

    label: str
    runs: list[Timed] = field(default_factory=list)
    checks: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def same(self) -> bool:
        return all(same for same, _ in self.checks)


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


TaskTiming = tuple[int, float, float, float, float]


def timed_task(task: Task) -> TaskTiming:
    """Run a task in a worker: (pid, start, end, CPU s of this thread, CPU s of the process).

    perf_counter is system-wide on Linux, so starts and ends compare across processes. The
    process CPU minus the thread's is what the worker's other threads (for Dask: its event
    loop, heartbeats, profiler) used while the task ran.
    """
    start = time.perf_counter()
    thread = time.thread_time()
    process = time.process_time()
    run_task(task)
    return (
        os.getpid(),
        start,
        time.perf_counter(),
        time.thread_time() - thread,
        time.process_time() - process,
    )


@dataclass(frozen=True, slots=True)
class Breakdown:
    wall: float
    startup: float  # mean over workers of (first task start - clock start)
    busy: float  # wall seconds inside tasks, summed over all tasks
    task_cpu: float  # CPU seconds of the threads running the tasks
    other_cpu: float  # CPU seconds of the workers' other threads while tasks ran
    parent_cpu: float  # CPU seconds of this process (for Dask: scheduler, nannies, client)
    others_cpu: float  # CPU seconds of other processes on the machine
    tail: float  # last end - the earliest time a worker ran out of work
    tasks_per_worker: list[int]


def summarise_timeline(
    rows: list[TaskTiming], start: float, cpu: float, meter: CpuMeter
) -> Breakdown:
    wall = time.perf_counter() - start
    parent_cpu = time.process_time() - cpu
    others_cpu, _ = meter.others()
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, begin, end, _, _ in rows:
        by_worker.setdefault(pid, []).append((begin - start, end - start))
    last_ends = [max(e for _, e in spans) for spans in by_worker.values()]
    return Breakdown(
        wall=wall,
        startup=statistics.fmean(min(b for b, _ in spans) for spans in by_worker.values()),
        busy=sum(end - begin for _, begin, end, _, _ in rows),
        task_cpu=sum(thread for *_, thread, _ in rows),
        other_cpu=sum(max(0.0, process - thread) for *_, thread, process in rows),
        parent_cpu=parent_cpu,
        others_cpu=others_cpu,
        tail=max(last_ends) - min(last_ends),
        tasks_per_worker=sorted((len(spans) for spans in by_worker.values()), reverse=True),
    )


def pool_timeline(tasks: list[Task], workers: int) -> Breakdown:
    """The engine's tasks on a fresh spawn pool like `ProcessExecutor`'s (start-up included)."""
    meter = CpuMeter()
    cpu = time.process_time()
    start = time.perf_counter()
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(timed_task, task) for task in tasks]
    rows = [future.result() for future in futures]
    pool.shutdown(wait=True)
    return summarise_timeline(rows, start, cpu, meter)


def dask_timeline(distributed: Any, address: str, tasks: list[Task]) -> Breakdown:
    """The engine's tasks on the running cluster, submitted like `DaskExecutor` does."""
    meter = CpuMeter()
    cpu = time.process_time()
    start = time.perf_counter()
    client = distributed.Client(address, set_as_default=False)
    try:
        rows = client.gather([client.submit(timed_task, task, pure=False) for task in tasks])
    finally:
        client.close()
    return summarise_timeline(rows, start, cpu, meter)


def print_losses(name: str, timeline: Breakdown, serial: float, workers: int) -> None:
    ideal = serial / workers
    waiting = timeline.busy - timeline.task_cpu
    parts = [
        ("start-up (mean start of a worker's first task)", timeline.startup),
        ("idle tail at the end / workers", timeline.tail / workers),
        (
            f"task threads off the CPU, waiting for a core or the GIL "
            f"({waiting / timeline.busy:.1%} of task time) / workers",
            waiting / workers,
        ),
        (
            f"slower code (task CPU {timeline.task_cpu / serial - 1:+.1%} vs serial) / workers",
            (timeline.task_cpu - serial) / workers,
        ),
    ]
    parts.append(
        ("rest (dispatch, results, shutdown)", timeline.wall - ideal - sum(p for _, p in parts))
    )
    print(
        f"timeline: {name}: the engine's {sum(timeline.tasks_per_worker)} tasks timed inside "
        f"the workers: wall {timeline.wall:.2f} s ({serial / (workers * timeline.wall):.1%}), "
        f"workers ran {'/'.join(str(n) for n in timeline.tasks_per_worker)} tasks"
    )
    print(
        f"          CPU s: task threads {timeline.task_cpu:.2f}, the workers' other threads "
        f"{timeline.other_cpu:.2f}, this process {timeline.parent_cpu:.2f}, other processes "
        f"{timeline.others_cpu:.2f} (serial run: {serial:.2f} s)"
    )
    print(
        f"          {timeline.wall - ideal:+7.2f} s over the ideal {ideal:.2f} s "
        "(second column: share of the wall time) ="
    )
    for label, seconds in parts:
        print(f"          {seconds:+7.2f} s {seconds / timeline.wall:>+6.1%}  {label}")


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
    sequential_ms: float  # submit one trivial task, wait for it, next
    batch_ms: float  # submit all trivial tasks, then gather
    executor_connect: float  # DaskExecutor(address) and two empty tasks (workers import simcare)
    executor_ms: float  # empty simcare tasks through DaskExecutor, in a batch


def dask_costs(distributed: Any, address: str, plan: SweepPlan, count: int) -> DaskCosts:
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
    return DaskCosts(sequential, batch, connect, per_task)


# --- the report -------------------------------------------------------------------------------


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # not on this platform
        return "unknown"


def row(line: Line, serial: float, workers: int, tasks: int, same: str) -> None:
    runs = line.runs
    walls = [run.seconds for run in runs]
    efficiency = (
        "-" if line.label.startswith("serial") else f"{serial / (workers * line.seconds):.1%}"
    )
    print(
        f"{line.label:<26}{line.seconds:>8.2f}{min(walls):>8.2f}-{max(walls):<7.2f}{efficiency:>6}"
        f"{statistics.median(run.first_result for run in runs):>10.2f}"
        f"{statistics.median(run.parent_cpu for run in runs):>12.2f}{tasks:>7}  {same}"
    )


def main(argv: list[str] | None = None) -> ParallelReport:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replications",
        type=int,
        default=100,
        help="replications per point and policy (default 100: 800 runs, about a minute serial)",
    )
    parser.add_argument(
        "--points",
        type=int,
        default=4,
        help="points of the sweep, a multiple of 4 (default 4; more adds escalation shares)",
    )
    parser.add_argument("--part", choices=["efficiency", "dask", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=3, help="timed sweeps per way (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--tasks", type=int, default=500, help="trivial tasks timed for the per-task cost"
    )
    parser.add_argument(
        "--no-breakdown", action="store_true", help="skip the per-task timeline runs"
    )
    parser.add_argument(
        "--no-profiler-off",
        action="store_true",
        help="skip the Dask sweeps with the workers' profiler turned off",
    )
    args = parser.parse_args(argv)
    if args.replications < 1 or args.repeats < 1 or args.workers < 2 or args.tasks < 1:
        parser.error("use --replications, --repeats, --tasks >= 1 and --workers >= 2")
    if args.points < 4 or args.points % 4:
        parser.error("use --points 4, 8, 12, ... (a multiple of 4)")
    settings = settings_for(args.points)

    distributed: Any
    dask_config: Any
    try:
        distributed = importlib.import_module("distributed")
        dask_config = importlib.import_module("dask.config")
    except ImportError:
        distributed = dask_config = None
    run_pool = args.part in ("efficiency", "all")
    run_dask = args.part in ("dask", "all")
    if run_dask and distributed is None:
        parser.error("the Dask part needs distributed: pip install -e '.[dask]'")

    workers = args.workers
    plan = plan_sweep(SCENARIO, settings, policies=list(POLICIES), replications=args.replications)
    simulations = len(plan.points) * len(plan.policies) * plan.replications
    tasks = engine_tasks(plan, workers)
    chunk = chunk_size(simulations, workers, plan.replications)

    print(f"simcare parallel benchmark - sweep on {workers} workers")
    print(
        f"sweep   : {SCENARIO}, {' x '.join(settings)} ({len(plan.points)} points) x "
        f"{', '.join(plan.policies)} x {plan.replications} replications = {simulations} runs; "
        f"{args.repeats} repeat(s), interleaved"
    )
    sizes = sorted({task.count for task in tasks})
    print(
        f"tasks   : {len(tasks)} on {workers} workers (chunk_size {chunk}: "
        f"{'-'.join(str(s) for s in sizes)} replications each); serial: {simulations} tasks of 1"
    )
    print_machine(
        {
            "simcare": simcare.__version__,
            "numpy": np.__version__,
            "distributed": distributed.__version__ if distributed is not None else "not installed",
        }
    )
    print(f"load    : 1-min load average {_load()} before the runs (other work skews all)")
    print()
    sys.stdout.flush()

    serial = Line("serial (workers=1)")
    pool = Line(f"processes (workers={workers})")
    dask = Line(f"dask ({workers} procs x 1 thread)")
    quiet = Line("dask, worker profiler off")
    costs: tuple[float, float, float] | None = None
    timelines: list[tuple[str, Breakdown]] = []
    dask_cost: DaskCosts | None = None
    cluster_starts: list[float] = []

    def start_cluster(profile: bool = True) -> Any:
        # A fresh cluster for each use, closed before the next timed run, so that its idle
        # CPU (heartbeats, event loops) does not fall on the other runs. profile=False turns
        # off the workers' statistical profiler (a thread sampling the task's stack every
        # 10 ms), which the Dask config passes on to the worker processes.
        start = time.perf_counter()
        with dask_config.set({"distributed.worker.profile.enabled": profile}):
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        cluster_starts.append(time.perf_counter() - start)
        return cluster

    for _ in range(args.repeats):
        serial.runs.append(timed_sweep(plan, workers=1))
        reference = serial.runs[0].result
        serial.checks.append(compare_results(reference, serial.runs[-1].result))
        if run_pool:
            pool.runs.append(timed_sweep(plan, workers=workers))
            pool.checks.append(compare_results(reference, pool.runs[-1].result))
        if run_dask:
            with start_cluster() as cluster:
                dask.runs.append(timed_sweep(plan, scheduler=cluster.scheduler_address))
            dask.checks.append(compare_results(reference, dask.runs[-1].result))
            if not args.no_profiler_off:
                with start_cluster(profile=False) as cluster:
                    quiet.runs.append(timed_sweep(plan, scheduler=cluster.scheduler_address))
                quiet.checks.append(compare_results(reference, quiet.runs[-1].result))
    if run_pool:
        costs = pool_costs(plan, workers, args.tasks)
        if not args.no_breakdown:
            timelines.append(("processes", pool_timeline(tasks, workers)))
    if run_dask:
        with start_cluster() as cluster:
            address = cluster.scheduler_address
            dask_cost = dask_costs(distributed, address, plan, args.tasks)
            if not args.no_breakdown:
                timelines.append(("dask", dask_timeline(distributed, address, tasks)))

    t1 = serial.seconds
    mean_task = t1 / len(tasks)
    print(
        f"{'run':<26}{'median':>8}{'min-max s':>13}{'eff.':>8}{'1st res':>10}"
        f"{'parent CPU':>12}{'tasks':>7}  same numbers as serial"
    )
    lines = [(serial, simulations), (pool, len(tasks)), (dask, len(tasks)), (quiet, len(tasks))]
    for line, count in lines:
        if line.runs:
            detail = line.checks[-1][1] if line.same else next(d for ok, d in line.checks if not ok)
            verdict = f"{'yes' if line.same else 'NO'} ({detail}, every repeat)"
            row(line, t1, workers, count, verdict)
    print(
        "          times in s; eff. = median serial / (workers x median); parent CPU = CPU s "
        "of this process during the sweep"
    )
    for line in (serial, pool, dask, quiet):
        if line.runs:
            each = ", ".join(
                f"{run.seconds:.2f} ({run.others_cpu:.1f}/{run.stolen_cpu:.1f})"
                for run in line.runs
            )
            print(f"repeats : {line.label:<26}{each}")
    print(
        "          wall s of each repeat (CPU s of other processes on the machine / CPU s stolen "
        "by the VM host;\n          well above 0 means that repeat was disturbed)"
    )
    print(
        f"serial  : {t1 / simulations * 1000:.0f} ms per replication; mean task on {workers} "
        f"workers = {mean_task:.2f} s of simulation; ideal parallel time T1/{workers} = "
        f"{t1 / workers:.2f} s; goal {GOAL:.0%}"
    )
    if costs is not None:
        startup, per_task, closing = costs
        print(
            f"pool    : start-up {startup:.2f} s (fresh pool, {workers} empty tasks back), "
            f"shutdown {closing:.2f} s; {per_task:.2f} ms per empty task in a batch of "
            f"{args.tasks} ({per_task / 1000 / mean_task:.3%} of a mean task)"
        )
    if dask_cost is not None:
        print(
            f"dask    : LocalCluster start {statistics.median(cluster_starts):.2f} s (median; "
            f"outside the sweep's clock); DaskExecutor connect + {workers} empty tasks "
            f"{dask_cost.executor_connect:.2f} s"
        )
        print(
            f"          trivial client.submit: {dask_cost.sequential_ms:.2f} ms per task one at "
            f"a time, {dask_cost.batch_ms:.2f} ms per task in a batch of {args.tasks}"
        )
        print(
            f"          empty simcare tasks via DaskExecutor, batch of {args.tasks}: "
            f"{dask_cost.executor_ms:.2f} ms per task = "
            f"{dask_cost.executor_ms / 1000 / mean_task:.3%} of a mean task ({mean_task:.2f} s)"
        )
    for name, timeline in timelines:
        print_losses(name, timeline, t1, workers)
    print(f"load    : 1-min load average {_load()} after the runs")
    print()
    for line in (pool, dask, quiet):
        if line.runs:
            efficiency = t1 / (workers * line.seconds)
            status = "met" if efficiency >= GOAL else f"NOT met (short by {GOAL - efficiency:.1%})"
            print(f"goal    : {line.label}: {efficiency:.1%} -> {status}")
            if not line.same:
                print(f"WARNING : {line.label} gave different numbers from the serial run")

    def efficiency_of(line: Line) -> float | None:
        return t1 / (workers * line.seconds) if line.runs else None

    return ParallelReport(
        points=len(plan.points),
        simulations=simulations,
        workers=workers,
        serial_s=t1,
        repeats=args.repeats,
        processes=efficiency_of(pool),
        dask=efficiency_of(dask),
        dask_quiet=efficiency_of(quiet),
        same=all(line.same for line in (serial, pool, dask, quiet) if line.runs),
    )


if __name__ == "__main__":
    main()
