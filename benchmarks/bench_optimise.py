"""`simcare optimise` on the loyal-fan case: two teams, four shifts, for net value.

The case's two desks each get a second shift with no agents (the email desk 15:00-21:00 on
weekdays, the social desk 17:00-23:00 every day, when most posts arrive), so the search has
four headcounts to set. It runs once from theory's start on ``--workers`` local processes and
reports the wall time (target: under 5 minutes on 2 cores), the simulations it ran, and the
simulations an exhaustive grid over the same box would need: every combination of 0 to
``--most-agents`` agents per shift, each at the replications the search's decisions took at
most (and, a lower bound, at its first round).

These are reported figures, not asserted tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from dataclasses import dataclass

from machine import load_average, print_machine

import simcare
from simcare.experiments.optimise import Goal, Rounds, optimise
from simcare.experiments.replicate import as_scenario
from simcare.scenario import Scenario, Shift

TARGET_S = 300.0
CASE = "loyal_fan_deleted_post"


@dataclass(frozen=True, slots=True)
class OptimiseReport:
    seconds: float
    simulations: int
    grid_most: int
    grid_first: int
    staffing: dict[str, list[int] | int]
    workers: int
    quick: bool


def four_shifts(days: int | None) -> Scenario:
    """The loyal-fan case with an evening shift (no agents yet) added to each desk."""
    fan = as_scenario(CASE)
    weekdays, daily = tuple(range(5)), tuple(range(7))
    extra = {
        "email_desk": Shift(weekdays, 15 * 60.0, 21 * 60.0, 0),
        "social_desk": Shift(daily, 17 * 60.0, 23 * 60.0, 0),
    }
    teams = {
        name: dataclasses.replace(team, shifts=(*team.shifts, extra[name]))
        for name, team in fan.teams.items()
    }
    scenario = dataclasses.replace(fan, teams=teams)
    if days is not None:  # --quick: a shorter run
        run = dataclasses.replace(
            fan.run, duration_min=days * 1440.0, warmup_min=min(fan.run.warmup_min, 1440.0)
        )
        scenario = dataclasses.replace(scenario, run=run)
    return scenario


def main(argv: list[str] | None = None) -> OptimiseReport:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (2)")
    parser.add_argument("--first", type=int, default=10, help="first-round replications (10)")
    parser.add_argument("--most", type=int, default=40, help="most replications a decision (40)")
    parser.add_argument("--most-agents", type=int, default=5, help="the grid's box per shift (5)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 days, 2/4 replications")
    args = parser.parse_args(argv)
    if args.quick:
        args.first, args.most = 2, 4
    scenario = four_shifts(4 if args.quick else None)

    print("simcare optimise benchmark: loyal fan, 2 teams, 4 shifts, net value")
    print_machine({"simcare": simcare.__version__})
    print(f"load    : 1-min load average {load_average()} before the run", flush=True)
    start = time.perf_counter()
    result = optimise(
        scenario,
        goal=Goal(),
        seed=args.seed,
        rounds=Rounds(args.first, args.most),
        workers=args.workers,
        on_step=lambda text: print(f"  {text}", flush=True),
    )
    seconds = time.perf_counter() - start
    points = (args.most_agents + 1) ** len(result.space.levers)
    report = OptimiseReport(
        seconds,
        result.simulations,
        points * args.most,
        points * args.first,
        result.space.by_team(result.staffing),
        args.workers,
        args.quick,
    )
    net = result.difference("net_value")
    print(
        f"plan    : {report.staffing} under {result.policy} (theory's start "
        f"{result.space.by_team(result.start)}; now {result.space.by_team(result.current)})"
    )
    print(
        f"value   : net value {net.estimate.mean:+,.0f} ±{net.estimate.half_width:,.0f} "
        f"against now, better in {net.better} of {net.pairs} replications"
    )
    print(
        f"time    : {seconds:.1f} s on {args.workers} workers (target < {TARGET_S:.0f} s); "
        f"load {load_average()} after"
    )
    print(
        f"runs    : {result.simulations:,} simulations over {result.candidates} staffings; an "
        f"exhaustive grid of {points:,} points (0-{args.most_agents} agents a shift) needs "
        f"{report.grid_most:,} at {args.most} replications, {report.grid_first:,} at {args.first}"
    )
    return report


if __name__ == "__main__":
    main()
