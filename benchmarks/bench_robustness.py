"""Robustness study wall time: the loyal-fan case over its default ranges (issue 18).

64 plausible worlds (and the scenario as written) × the five built-in policies × 5
replications, on local worker processes (2 by default), from the command to the verdicts:
planning (every world's scenario built and checked), the simulations, and the analysis
(shares, PRCC drivers with their bootstrap, rules). Target: under 5 minutes on 2 cores.

``--quick`` runs 2 replications in the fewest worlds the ranges allow: a smoke check, not a
figure to quote. These are reported figures, not asserted tests; they depend on the machine
and its load (printed).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from machine import load_average, print_machine

import simcare
from simcare.experiments.robustness import robustness
from simcare.experiments.robustness_design import uncertain_inputs
from simcare.scenario_file import load_scenario

CASE = "loyal_fan_deleted_post"
POLICIES = ("delete", "ignore", "reply_public", "reply_private", "acknowledge_then_private")
TARGET_S = 300.0


@dataclass(frozen=True, slots=True)
class Report:
    """What one timed study took."""

    worlds: int
    policies: int
    replications: int
    workers: int
    seconds: float
    verdicts: int
    load_before: str
    load_after: str

    @property
    def simulations(self) -> int:
        """Simulations: the worlds and the scenario as written, × policies × replications."""
        return (self.worlds + 1) * self.policies * self.replications


def fewest_worlds() -> int:
    """The fewest worlds the case's default ranges allow: one per input, plus 3."""
    return len(uncertain_inputs(load_scenario(CASE))) + 3


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the fewest worlds x 2 replications")
    parser.add_argument("--samples", type=int, default=64, help="plausible worlds (64)")
    parser.add_argument("--replications", type=int, default=5, help="per world and policy (5)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (2)")
    args = parser.parse_args(argv)
    samples, replications = (8, 2) if args.quick else (args.samples, args.replications)
    print_machine({"simcare": simcare.__version__})
    before = load_average()
    start = time.perf_counter()
    result = robustness(
        CASE,
        POLICIES,
        "delete",
        samples=max(samples, fewest_worlds()),
        replications=replications,
        workers=args.workers,
    )
    seconds = time.perf_counter() - start
    report = Report(
        result.worlds,
        len(POLICIES),
        replications,
        args.workers,
        seconds,
        len(result.verdicts),
        before,
        load_average(),
    )
    print(
        f"{CASE}: {report.worlds} worlds x {report.policies} policies x {replications} "
        f"replications ({report.simulations:,} simulations) on {args.workers} workers: "
        f"{seconds:.1f} s ({seconds / 60:.2f} min; target < {TARGET_S / 60:.0f} min); "
        f"{report.verdicts} verdicts; load {before} before, {report.load_after} after"
    )
    for line in result.lines():
        print(f"  {line}")
    return report


if __name__ == "__main__":
    main()
