"""Throughput of the simcare engine against two references on the same M/M/c+M contact centre.

The system is Erlang A case "A3" (`simcare.core.theory.WORKED_CASES["A3"]`): Poisson arrivals at
200 calls/h, exponential handling with mean 180 s, 9 agents, exponential patience with mean
120 s. It is overloaded (10 Erlangs offered to 9 agents), so abandonment matters. The run is
sized so that about ``--complaints`` customers arrive: duration = complaints / 200 hours.

Five lines simulate that system from an empty start to the same simulated time:

* **simcare** - `simcare.simulate` (the time includes generating the arrivals and
  building the run record);
* **simcare run** - the path `simcare run`, `compare` and `sweep` take for a replication
  (`simcare.experiments.single.simulate_outcomes`: journeys harvested in chunks as they end,
  tallied into outcomes, no record kept), through `cases.run_outcomes`;
* **SimPy reference** - `simpy_reference` below: a model written the way a SimPy tutorial
  writes it (a process per customer, ``simpy.Resource``, abandonment by
  ``yield request | env.timeout(patience)``, draws one at a time from a numpy Generator);
* **Ciw reference** - `ciw_reference` below: the same M/M/c+M in Ciw 3 (if installed);
* **heapq reference** - `heapq_reference` below: the simplest pure-Python event loop for an
  M/M/c+M (a heap of timed events, a FIFO queue, `random.expovariate`), the floor a
  hand-written simulator reaches without SimPy.

Times are CPU seconds of this process (`time.process_time`), so that other work on a shared
machine does not count; every line runs in this one process. Only the simulation is timed:
imports and the printing of results are outside the clock.
Repeats are interleaved (simcare, simcare run, SimPy, Ciw, heapq, simcare, ...) so that drifts
in machine speed fall on all alike, and the ratios are taken within this one invocation. Peak
memory is measured in a fresh subprocess per implementation (its peak RSS), never around a
timed run.

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import math
import os
import random  # noqa: TID251 - the heapq reference is pure Python by design, seeded
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import simpy
from cases import run_outcomes
from machine import peak_rss_mib, print_machine

import simcare
from simcare.core.theory import WORKED_CASES, erlang_a
from simcare.model.replication import simulate
from simcare.scenario import Behaviour, Distribution, DistributionKind, Scenario, Shift
from simcare.scenario_file import load_scenario

try:
    import ciw
except ImportError:  # the reference is optional: pip install -e '.[bench]'
    ciw = None

CASE = WORKED_CASES["A3"]
ARRIVALS_PER_HOUR = CASE.arrivals_per_min * 60.0
MEASURE_FROM_MIN = 120.0
"""The sanity lines count customers arriving after this time (the same cut for all three)."""

CIW_MISSING = "Ciw not installed: pip install -e '.[bench]'"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One timed run: how many customers arrived, CPU seconds, and the sanity measures."""

    customers: int
    seconds: float
    measured: int
    answered: int
    p_abandon: float
    asa_s: float

    @property
    def rate(self) -> float:
        """Customers simulated per CPU second."""
        return self.customers / self.seconds


def _sanity(
    customers: int, seconds: float, arrival: np.ndarray, answered: np.ndarray, wait: np.ndarray
) -> Outcome:
    """Summarise resolved customers (answered or abandoned) arriving after the cut."""
    keep = arrival >= MEASURE_FROM_MIN
    answered = answered[keep]
    wait = wait[keep]
    measured = int(keep.sum())
    served = int(answered.sum())
    p_abandon = 1.0 - served / measured if measured else math.nan
    asa_s = float(wait[answered].mean()) * 60.0 if served else math.nan
    return Outcome(customers, seconds, measured, served, p_abandon, asa_s)


# --- simcare ------------------------------------------------------------------------------


def simcare_scenario(duration_min: float) -> Scenario:
    """The built-in textbook case turned into Erlang A case A3, run for ``duration_min``."""
    base = load_scenario("textbook_contact_centre")
    channel = replace(
        base.channels["phone"],
        patience=Distribution(DistributionKind.EXPONENTIAL, CASE.mean_patience_min),
    )
    team = replace(
        base.teams["agents"],
        handle_time={"phone": Distribution(DistributionKind.EXPONENTIAL, CASE.mean_handle_min)},
        shifts=(Shift(tuple(range(7)), 0.0, 0.0, CASE.agents),),
    )
    scenario = replace(
        base,
        problems=replace(base.problems, problems_per_min=CASE.arrivals_per_min),
        channels={"phone": channel},
        teams={"agents": team},
        run=replace(base.run, duration_min=duration_min, warmup_min=0.0),
        # Erlang A: a caller who gives up leaves for good (no retry, no escalation).
        behaviour=Behaviour(max_attempts=1),
    )
    # Every problem becomes a call, so problems_per_min is the arrival rate.
    assert all(s.complaint_share == 1.0 for s in scenario.severities.values())
    return scenario


def run_simcare(duration_min: float, seed: int) -> Outcome:
    """Time one `simcare.simulate` call (arrival generation and records included)."""
    scenario = simcare_scenario(duration_min)
    gc.collect()
    start = time.process_time()
    record = simulate(scenario, seed, 0)
    seconds = time.process_time() - start
    answered = record.answered
    resolved = answered | record.abandoned
    return _sanity(
        len(record),
        seconds,
        record.arrival_min[resolved],
        answered[resolved],
        record.wait_min[resolved],
    )


def run_simcare_path(duration_min: float, seed: int) -> Outcome:
    """Time one replication the way `simcare run` makes it (outcomes only, no record).

    It keeps no per-customer arrays, so it has no sanity measures (``measured`` is 0).
    """
    scenario = simcare_scenario(duration_min)
    gc.collect()
    start = time.process_time()
    _, size = run_outcomes(scenario, seed)
    seconds = time.process_time() - start
    return Outcome(size["journeys"], seconds, 0, 0, math.nan, math.nan)


# --- the SimPy reference: a tutorial-style model ------------------------------------------


def simpy_reference(
    duration_min: float, seed: int
) -> tuple[int, list[float], list[bool], list[float]]:
    """Simulate A3 the way a SimPy tutorial would; return (arrivals, arrival, answered, wait).

    One process per customer; agents are a ``simpy.Resource``; a customer abandons when the
    patience timeout fires before the request is granted. Every random number is drawn one at
    a time from a numpy Generator, when it is needed (the straightforward way; drawing in
    blocks would be faster, but that is no longer the tutorial model).
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=CASE.agents)
    mean_gap = 1.0 / CASE.arrivals_per_min
    arrivals = 0
    arrival_log: list[float] = []
    answered_log: list[bool] = []
    wait_log: list[float] = []

    def customer(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        arrived = env.now
        patience = rng.exponential(CASE.mean_patience_min)
        with agents.request() as request:
            result = yield request | env.timeout(patience)
            arrival_log.append(arrived)
            wait_log.append(env.now - arrived)
            if request in result:
                answered_log.append(True)
                yield env.timeout(rng.exponential(CASE.mean_handle_min))
            else:
                answered_log.append(False)  # gave up; leaving the `with` withdraws the request

    def source(env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        nonlocal arrivals
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            arrivals += 1
            env.process(customer(env))

    env.process(source(env))
    env.run(until=duration_min)
    return arrivals, arrival_log, answered_log, wait_log


def run_simpy(duration_min: float, seed: int) -> Outcome:
    """Time one run of the tutorial-style SimPy model."""
    gc.collect()
    start = time.process_time()
    arrivals, arrival, answered, wait = simpy_reference(duration_min, seed)
    seconds = time.process_time() - start
    return _sanity(
        arrivals, seconds, np.asarray(arrival), np.asarray(answered, dtype=bool), np.asarray(wait)
    )


# --- the Ciw reference ----------------------------------------------------------------------


def ciw_reference(duration_min: float, seed: int) -> Any:
    """Simulate A3 in Ciw 3 (M/M/c with exponential reneging) and return the Simulation."""
    assert ciw is not None, CIW_MISSING
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=CASE.arrivals_per_min)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / CASE.mean_handle_min)],
        number_of_servers=[CASE.agents],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1.0 / CASE.mean_patience_min)],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(duration_min)
    return simulation


def run_ciw(duration_min: float, seed: int) -> Outcome:
    """Time one Ciw run; collecting its records afterwards is not timed."""
    gc.collect()
    start = time.process_time()
    simulation = ciw_reference(duration_min, seed)
    seconds = time.process_time() - start
    records = simulation.get_all_records(only=["service", "renege"])
    arrival = np.array([r.arrival_date for r in records])
    answered = np.array([r.record_type == "service" for r in records], dtype=bool)
    wait = np.array([r.waiting_time for r in records])
    return _sanity(simulation.nodes[0].number_of_individuals, seconds, arrival, answered, wait)


# --- the heapq reference: the simplest pure-Python event loop ---------------------------------

_ARRIVE, _LEAVE, _GIVE_UP = 0, 1, 2


def heapq_reference(
    duration_min: float, seed: int
) -> tuple[int, list[float], list[bool], list[float]]:
    """Simulate A3 with a heap of (time, kind, customer) events; return as `simpy_reference`.

    A caller who finds a free agent is served at once; the others queue in arrival order with
    a give-up event at their patience. An agent who finishes takes the first caller still
    waiting (callers who gave up are skipped when reached).
    """
    rng = random.Random(seed)
    rate = CASE.arrivals_per_min
    handle_rate, patience_rate = 1.0 / CASE.mean_handle_min, 1.0 / CASE.mean_patience_min
    events: list[tuple[float, int, int]] = [(rng.expovariate(rate), _ARRIVE, 0)]
    waiting: deque[int] = deque()
    arrived: list[float] = []
    waiting_now: list[bool] = []
    arrival_log: list[float] = []
    answered_log: list[bool] = []
    wait_log: list[float] = []

    def resolve(who: int, answered: bool, now: float) -> None:
        arrival_log.append(arrived[who])
        answered_log.append(answered)
        wait_log.append(now - arrived[who])

    free = CASE.agents
    while events:
        now, kind, who = heapq.heappop(events)
        if now > duration_min:
            break
        if kind == _ARRIVE:
            arrived.append(now)
            heapq.heappush(events, (now + rng.expovariate(rate), _ARRIVE, len(arrived)))
            if free:
                free -= 1
                waiting_now.append(False)
                resolve(who, True, now)
                heapq.heappush(events, (now + rng.expovariate(handle_rate), _LEAVE, who))
            else:
                waiting_now.append(True)
                waiting.append(who)
                heapq.heappush(events, (now + rng.expovariate(patience_rate), _GIVE_UP, who))
        elif kind == _GIVE_UP:
            if waiting_now[who]:
                waiting_now[who] = False
                resolve(who, False, now)
        else:
            while waiting and not waiting_now[waiting[0]]:
                waiting.popleft()
            if waiting:
                next_one = waiting.popleft()
                waiting_now[next_one] = False
                resolve(next_one, True, now)
                heapq.heappush(events, (now + rng.expovariate(handle_rate), _LEAVE, next_one))
            else:
                free += 1
    return len(arrived), arrival_log, answered_log, wait_log


def run_heapq(duration_min: float, seed: int) -> Outcome:
    """Time one run of the heapq loop."""
    gc.collect()
    start = time.process_time()
    arrivals, arrival, answered, wait = heapq_reference(duration_min, seed)
    seconds = time.process_time() - start
    return _sanity(
        arrivals, seconds, np.asarray(arrival), np.asarray(answered, dtype=bool), np.asarray(wait)
    )


RUNNERS: dict[str, Callable[[float, int], Outcome]] = {
    "simcare": run_simcare,
    "simcare run": run_simcare_path,
    "SimPy": run_simpy,
    "Ciw": run_ciw,
    "heapq": run_heapq,
}


# --- memory, in a fresh process per implementation -------------------------------------------


_maxrss_mib = peak_rss_mib
"""Peak RSS of this process so far, in MiB (VmHWM on Linux; see `machine.peak_rss_mib`)."""


MODELS: dict[str, Callable[[float, int], object]] = {
    "simcare": lambda duration, seed: simulate(simcare_scenario(duration), seed, 0),
    "SimPy": simpy_reference,
    "Ciw": ciw_reference,
    "heapq": heapq_reference,
}
"""The bare simulations, for the memory child: no timing, no sanity summary afterwards."""


def memory_child(name: str, duration_min: float) -> None:
    """Run one implementation once, keep its result alive, and print peak RSS as JSON."""
    before = _maxrss_mib()
    result = MODELS[name](duration_min, 0)
    after = _maxrss_mib()
    print(json.dumps({"before": before, "peak": after}))
    del result


def measure_memory(name: str, duration_min: float) -> tuple[float, float] | None:
    """Return (peak RSS, peak growth over the imports) in MiB, from a subprocess."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--memory-of",
        name,
        "--duration-min",
        repr(duration_min),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    values = json.loads(done.stdout.strip().splitlines()[-1])
    return values["peak"], values["peak"] - values["before"]


# --- the report -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoreReport:
    """Median customers/s per implementation over the repeats, and the repeats' count."""

    medians: dict[str, float]
    customers: int
    repeats: int


def main(argv: list[str] | None = None) -> CoreReport | None:
    """Parse the options, run the interleaved repeats and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=200_000, help="expected arrivals per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per implementation")
    parser.add_argument(
        "--ciw-complaints",
        type=int,
        default=None,
        help="a smaller size for Ciw only, if it is too slow (default: same as --complaints)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 complaints, once")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--memory-of", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--duration-min", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_of:
        memory_child(args.memory_of, args.duration_min)
        return None
    if args.quick:
        args.complaints, args.repeats = 5_000, 1
    if args.complaints < 1_000 or args.repeats < 1:
        parser.error("use --complaints >= 1000 and --repeats >= 1")

    def duration_for(complaints: int) -> float:
        return complaints / ARRIVALS_PER_HOUR * 60.0

    sizes = {name: duration_for(args.complaints) for name in RUNNERS}
    if ciw is None:
        del sizes["Ciw"]
    elif args.ciw_complaints is not None:
        sizes["Ciw"] = duration_for(args.ciw_complaints)

    theory = erlang_a(
        CASE.arrivals_per_min,
        CASE.mean_handle_min,
        CASE.agents,
        CASE.mean_patience_min,
        CASE.target_min,
    )
    print("simcare core benchmark - M/M/c+M, Erlang A case A3")
    print(
        f"system  : {ARRIVALS_PER_HOUR:.0f} calls/h, handling exp mean "
        f"{CASE.mean_handle_min * 60:.0f} s, {CASE.agents} agents, patience exp mean "
        f"{CASE.mean_patience_min * 60:.0f} s (offered load "
        f"{theory.offered_load_erlangs:.1f} Erlangs)"
    )
    print_machine(
        {
            "simcare": simcare.__version__,
            "simpy": simpy.__version__,
            "numpy": np.__version__,
            "ciw": ciw.__version__ if ciw is not None else "not installed",
        }
    )
    for name, duration in sizes.items():
        print(
            f"size    : {name:<8} {duration / 60:,.1f} simulated hours "
            f"(~{duration / 60 * ARRIVALS_PER_HOUR:,.0f} customers), {args.repeats} repeat(s)"
        )
    if ciw is None:
        print(CIW_MISSING)
    elif args.ciw_complaints is not None and args.ciw_complaints != args.complaints:
        print(
            f"NOTE    : Ciw run at {args.ciw_complaints:,} customers (not {args.complaints:,}) "
            "to keep the benchmark short; its rate is per customer, so still comparable."
        )
    print()

    outcomes: dict[str, list[Outcome]] = {name: [] for name in sizes}
    for repeat in range(args.repeats):
        for name, duration in sizes.items():
            outcomes[name].append(RUNNERS[name](duration, repeat))

    memory: dict[str, tuple[float, float] | None] = {}
    if not args.no_memory:
        for name, duration in sizes.items():
            if name in MODELS:
                memory[name] = measure_memory(name, duration)

    print(
        f"{'implementation':<16}{'customers/run':>14}{'median /s':>12}{'min /s':>11}"
        f"{'max /s':>11}{'median s':>10}{'peak RSS MiB':>14}{'(+ run)':>9}"
    )
    medians: dict[str, float] = {}
    for name, runs in outcomes.items():
        rates = [run.rate for run in runs]
        medians[name] = statistics.median(rates)
        rss = memory.get(name)
        rss_text = f"{rss[0]:>14.0f}{rss[1]:>9.0f}" if rss else f"{'-':>14}{'-':>9}"
        print(
            f"{name:<16}{statistics.median(r.customers for r in runs):>14,.0f}"
            f"{medians[name]:>12,.0f}{min(rates):>11,.0f}{max(rates):>11,.0f}"
            f"{statistics.median(r.seconds for r in runs):>10.2f}{rss_text}"
        )
    if memory:
        print("memory  : peak RSS of a fresh process running that implementation once (seed 0);")
        print("          (+ run) = how far the peak rose above that process after its imports")
    print()
    for mine in ("simcare", "simcare run"):
        for name in ("SimPy", "Ciw", "heapq"):
            if name in medians:
                ratio = medians[mine] / medians[name]
                print(f"ratio   : {mine:<11} / {name:<6} = {ratio:5.2f}x")
    print()
    print(
        f"sanity  : customers arriving after {MEASURE_FROM_MIN / 60:.0f} h, answered or "
        "abandoned, all repeats pooled"
    )
    exact_asa_s = theory.asa_min * 60.0
    print(f"  {'Erlang A (exact)':<16} P(abandon)={theory.p_abandon:.4f}  ASA={exact_asa_s:6.2f} s")
    for name, runs in outcomes.items():
        measured = sum(run.measured for run in runs)
        if not measured:  # the run path keeps no per-customer arrays to check
            continue
        served = sum(run.answered for run in runs)
        p_abandon = 1.0 - served / measured
        asa = sum(run.asa_s * run.answered for run in runs) / served
        print(
            f"  {name:<16} P(abandon)={p_abandon:.4f}  ASA={asa:6.2f} s  ({measured:,} customers)"
        )
    return CoreReport(
        medians, int(statistics.median(r.customers for r in outcomes["simcare"])), args.repeats
    )


if __name__ == "__main__":
    main()
