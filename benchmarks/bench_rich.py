"""Throughput of simcare on its richest built-in case, against Ciw on a plain M/M/c, same run.

The case is `cases.RICH_CASE` under `cases.RICH_POLICY` (no_cross_sell_in_crisis under
solve_then_follow_up), run for as many whole weeks as give about ``--complaints`` complaints
(journeys). Nothing else is changed: same rates, staff, shifts and behaviour as the file.

* **simcare** - `simcare.experiments.replicate.simulate_outcomes(scenario, seed, 0, policy)`,
  what compare and sweep run for a replication: the simulation and its outcomes, added up as
  its journeys end (`cases.run_outcomes`, which also counts them). Complaints/s = journeys
  (first contacts) per second; contacts/s (retries, escalations and follow-ups included) is
  printed beside it.
* **Ciw M/M/c** - Erlang C case C1 (200 calls/h, exponential 180 s, 14 servers, nobody
  abandons) in Ciw 3, run for as long as gives the same number of customers. Building the
  network and the simulation, and the run, are timed; collecting the records afterwards is not.

Times are CPU seconds of this process (`time.process_time`: other work on a shared machine
does not count), except the survey's, which are wall seconds. Repeats are interleaved
(simcare, Ciw, simcare, ...). Every simcare repeat uses the same seed,
so the outcomes must be identical from one repeat to the next; the script checks that and
prints a fingerprint of them (a hash of every outcome's exact value), to compare with a run
of another version of simcare. ``--profile`` adds a cProfile of one more run, sorted by own
time (tottime). ``--survey`` adds one run of each of the other rich built-in cases
(`SURVEY`), each made longer in whole weeks to about ``--survey-complaints`` complaints, to
show how far the cost of a complaint varies from case to case. These are reported figures,
not asserted tests.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import statistics
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from cases import RICH_CASE, RICH_POLICY, describe, fingerprint, for_complaints, run_outcomes
from machine import load_average, print_machine

import simcare
from simcare.core.theory import WORKED_CASES, erlang_c
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario

try:
    import ciw
except ImportError:  # the reference is optional: pip install -e '.[bench]'
    ciw = None

SURVEY = (
    ("no_cross_sell_in_crisis", "solve_then_follow_up"),
    ("no_cross_sell_in_crisis", "scripted_pitch"),
    ("silence_and_the_groundswell", "speak_up_early"),
    ("loyal_fan_deleted_post", "delete"),
    ("geotagged_store_complaints", "clerk_walks_up"),
    ("value_equation_walmart", "acknowledge_then_private"),
    ("value_equation_zappos", "service_as_marketing"),
    ("deeper_not_broader", "coffee_conversation"),
)
"""Built-in cases with the behaviour each turns on, under the policy that turns on most."""

MMC = WORKED_CASES["C1"]
MMC_PER_HOUR = MMC.arrivals_per_min * 60.0


@dataclass(frozen=True, slots=True)
class SimcareRun:
    journeys: int
    contacts: int
    seconds: float
    fingerprint: str
    values: int

    @property
    def rate(self) -> float:
        """Complaints (journeys) per CPU second, the run and its outcomes."""
        return self.journeys / self.seconds


@dataclass(frozen=True, slots=True)
class CiwRun:
    customers: int
    seconds: float
    mean_wait_s: float

    @property
    def rate(self) -> float:
        return self.customers / self.seconds


def rich_scenario(complaints: int, case: str = RICH_CASE) -> Scenario:
    return for_complaints(load_scenario(case), complaints)


def run_simcare(scenario: Scenario, policy: str | None, seed: int) -> SimcareRun:
    gc.collect()
    start = time.process_time()
    values, size = run_outcomes(scenario, seed, policy)
    seconds = time.process_time() - start
    return SimcareRun(size["journeys"], size["contacts"], seconds, fingerprint(values), len(values))


def ciw_mmc(duration_min: float, seed: int) -> Any:
    """Erlang C case C1 in Ciw 3: M/M/14, no abandonment; return the Simulation."""
    assert ciw is not None
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=MMC.arrivals_per_min)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / MMC.mean_handle_min)],
        number_of_servers=[MMC.agents],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(duration_min)
    return simulation


def run_ciw(duration_min: float, seed: int) -> CiwRun:
    gc.collect()
    start = time.process_time()
    simulation = ciw_mmc(duration_min, seed)
    seconds = time.process_time() - start
    waits = [r.waiting_time for r in simulation.get_all_records(only=["service"])]
    mean_wait = float(np.mean(waits)) * 60.0 if waits else math.nan
    return CiwRun(simulation.nodes[0].number_of_individuals, seconds, mean_wait)


def profile(scenario: Scenario, policy: str | None, seed: int, lines: int) -> str:
    """cProfile of one run and its outcomes, top ``lines`` functions by own time."""
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    run_outcomes(scenario, seed, policy)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(
        r"(replication|arrivals|queues|staffing|state|harvest|journeys|problems|word_of_mouth"
        r"|loyalty|tally|series|binning)\.py",
        lines,
    )
    return out.getvalue()


def survey(complaints: int, seed: int) -> None:
    """One run of each case of `SURVEY`: complaints/s, contacts and answers per complaint."""
    print(
        f"survey  : one run of each, ~{complaints:,} complaints (whole weeks), seed {seed}; "
        "wall time of the run and its outcomes"
    )
    print(
        f"          {'case':<29}{'policy':<26}{'weeks':>6}{'complaints':>11}{'contacts':>9}"
        f"{'answered':>9}{'/s':>9}{'contacts/s':>11}"
    )
    for case, policy in SURVEY:
        scenario = rich_scenario(complaints, case)
        gc.collect()
        start = time.perf_counter()
        _, size = run_outcomes(scenario, seed, policy)
        seconds = time.perf_counter() - start
        journeys, contacts = size["journeys"], size["contacts"]
        print(
            f"          {case:<29}{policy:<26}{scenario.run.duration_min / 10080:>6.0f}"
            f"{journeys:>11,}{contacts / journeys:>9.2f}"
            f"{size['answered'] / journeys:>9.2f}{journeys / seconds:>9,.0f}"
            f"{contacts / seconds:>11,.0f}",
            flush=True,
        )
    print("          contacts and answered: per complaint")


@dataclass(frozen=True, slots=True)
class RichReport:
    case: str
    policy: str
    journeys: int
    contacts: int
    rate: float  # median complaints/s
    contact_rate: float
    ciw_rate: float | None
    repeats: int
    same: bool

    @property
    def ratio(self) -> float | None:
        return None if self.ciw_rate is None else self.rate / self.ciw_rate


def main(argv: list[str] | None = None) -> RichReport:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=200_000, help="complaints per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per implementation")
    parser.add_argument("--ciw-complaints", type=int, default=None, help="a smaller Ciw size")
    parser.add_argument("--case", default=RICH_CASE, help=f"built-in case (default {RICH_CASE})")
    parser.add_argument(
        "--policy", default=None, help=f"policy (default {RICH_POLICY} for the default case)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="smoke run: 10,000 complaints, once")
    parser.add_argument(
        "--profile",
        type=int,
        nargs="?",
        const=25,
        default=0,
        metavar="LINES",
        help="also profile one run with cProfile and print the top LINES (default 25)",
    )
    parser.add_argument(
        "--survey", action="store_true", help="also run each case of SURVEY once (see above)"
    )
    parser.add_argument("--survey-complaints", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.complaints, args.repeats, args.survey_complaints = 10_000, 1, 5_000
    if args.complaints < 1_000 or args.repeats < 1:
        parser.error("use --complaints >= 1000 and --repeats >= 1")
    policy = args.policy or (RICH_POLICY if args.case == RICH_CASE else None)

    scenario = rich_scenario(args.complaints, args.case)
    policy_name = scenario.policy(policy).name
    ciw_customers = args.ciw_complaints or args.complaints
    ciw_duration = ciw_customers / MMC_PER_HOUR * 60.0

    print(f"simcare richest-case benchmark - {args.case} under {policy_name}")
    print(f"case    : {describe(scenario)}")
    print(
        f"ciw     : M/M/c, Erlang C case C1: {MMC_PER_HOUR:.0f} calls/h, exp mean "
        f"{MMC.mean_handle_min * 60:.0f} s, {MMC.agents} servers, no abandonment; "
        f"{ciw_duration / 60:,.0f} simulated hours (~{ciw_customers:,} customers)"
    )
    print_machine(
        {
            "simcare": simcare.__version__,
            "numpy": np.__version__,
            "ciw": ciw.__version__ if ciw is not None else "not installed",
        }
    )
    print(f"load    : 1-min load average {load_average()} before the runs")
    print(f"runs    : {args.repeats} repeat(s), interleaved; simcare seed {args.seed} every repeat")
    print(flush=True)

    mine: list[SimcareRun] = []
    theirs: list[CiwRun] = []
    for repeat in range(args.repeats):
        mine.append(run_simcare(scenario, policy, args.seed))
        if ciw is not None:
            theirs.append(run_ciw(ciw_duration, repeat))

    rates = [r.rate for r in mine]
    median = statistics.median(rates)
    contact_rate = statistics.median(r.contacts / r.seconds for r in mine)
    print(
        f"{'implementation':<28}{'complaints':>11}{'contacts':>10}{'median /s':>11}{'min /s':>9}"
        f"{'max /s':>9}{'contacts/s':>11}{'median s':>9}"
    )
    print(
        f"{'simcare ' + policy_name:<28}{mine[0].journeys:>11,}{mine[0].contacts:>10,}"
        f"{median:>11,.0f}{min(rates):>9,.0f}{max(rates):>9,.0f}{contact_rate:>11,.0f}"
        f"{statistics.median(r.seconds for r in mine):>9.2f}"
    )
    ciw_rate = None
    if theirs:
        ciw_rates = [r.rate for r in theirs]
        ciw_rate = statistics.median(ciw_rates)
        print(
            f"{'Ciw M/M/c (C1)':<28}{statistics.median(r.customers for r in theirs):>11,.0f}"
            f"{'-':>10}{ciw_rate:>11,.0f}{min(ciw_rates):>9,.0f}{max(ciw_rates):>9,.0f}{'-':>11}"
            f"{statistics.median(r.seconds for r in theirs):>9.2f}"
        )
    else:
        print("Ciw not installed: pip install -e '.[bench]'")
    print(
        "          complaints = journeys (first contacts); contacts add retries, escalations,"
        " follow-ups;\n          simcare's clock covers the run and its outcomes; /s = complaints"
        " (Ciw: customers) per CPU second"
    )
    print()
    if ciw_rate is not None:
        print(f"ratio   : simcare complaints/s / Ciw M/M/c customers/s = {median / ciw_rate:5.2f}x")
        exact = erlang_c(MMC.arrivals_per_min, MMC.mean_handle_min, MMC.agents, MMC.target_min)
        waits = statistics.fmean(r.mean_wait_s for r in theirs)
        print(f"sanity  : Ciw mean wait {waits:.2f} s, Erlang C exact {exact.asa_min * 60:.2f} s")
    prints = {r.fingerprint for r in mine}
    same = len(prints) == 1
    print(
        f"results : {'same' if same else 'DIFFERENT'} outcomes in every repeat (seed {args.seed}, "
        f"{mine[0].values} outcomes): fingerprint {', '.join(sorted(prints))}"
    )
    if args.survey:
        print()
        survey(args.survey_complaints, args.seed)
    print(f"load    : 1-min load average {load_average()} after the runs")
    if args.profile:
        print()
        print(
            f"profile : cProfile of one more run (seed {args.seed}); top {args.profile} by tottime"
        )
        print(profile(scenario, policy, args.seed, args.profile))
    return RichReport(
        args.case,
        policy_name,
        mine[0].journeys,
        mine[0].contacts,
        median,
        contact_rate,
        ciw_rate,
        args.repeats,
        same,
    )


if __name__ == "__main__":
    main()
