"""The scenarios the benchmarks run: built-in cases, made longer or larger, nothing else changed.

Two ways to make a case bigger:

* `for_complaints` - the case as it is, run for more whole weeks (same rates, same staff, same
  weekly pattern), so that about N complaints arise. Incidents stay where the file puts them.
* `scaled_up` - the same weeks with every rate multiplied by a factor (problems and incidents)
  and every shift's headcount multiplied by the same factor (rounded), so that each agent sees
  about the same load: a bigger centre of the same kind.

A *complaint* here is a journey: a problem that became a first contact. Its retries,
escalations, reposts and follow-ups are further *contacts* of the same journey.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

from simcare.core.randomness import make_streams
from simcare.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from simcare.metrics import Outcomes
from simcare.metrics.tally import Tally
from simcare.model.records import RunRecord
from simcare.model.replication import Replication
from simcare.scenario import Scenario

RICH_CASE = "no_cross_sell_in_crisis"
RICH_POLICY = "solve_then_follow_up"
"""The richest built-in case for throughput (see README.md, "The richest case")."""

LARGE_CASE = "deeper_not_broader"
"""The Nespresso case: one customer-relations centre, phone and email."""


def complaint_share(scenario: Scenario, severity: str | None = None) -> float:
    """Share of problems that become complaints: one severity's, or the mix's."""
    if severity is not None:
        return scenario.severities[severity].complaint_share
    table = scenario.severities.values()
    total = sum(s.share for s in table)
    return sum(s.share * s.complaint_share for s in table) / total


def complaints_per_week(scenario: Scenario) -> float:
    """Expected complaints in one week of the base rate (incidents left out)."""
    problems = scenario.problems
    per_week = sum(
        problems.rate_at_hour(day, hour) * 60.0 for day in range(7) for hour in range(24)
    )
    return per_week * complaint_share(scenario)


def expected_complaints(scenario: Scenario) -> float:
    """Expected complaints over the whole run, incidents included."""
    duration = scenario.run.duration_min
    weeks = duration / MINUTES_PER_WEEK
    total = complaints_per_week(scenario) * weeks
    for incident in scenario.incidents:
        overlap = max(0.0, min(duration, incident.start_min + incident.duration_min))
        overlap -= min(overlap, incident.start_min)
        total += (
            incident.extra_problems_per_min * overlap * complaint_share(scenario, incident.severity)
        )
    return total


def for_complaints(scenario: Scenario, complaints: int) -> Scenario:
    """The case run for the whole number of weeks closest to ``complaints`` (at least one,
    and at least one more than the warm-up takes)."""
    shortest = math.floor(scenario.run.warmup_min / MINUTES_PER_WEEK) + 1
    weeks = max(shortest, round(complaints / complaints_per_week(scenario)))
    return replace(scenario, run=replace(scenario.run, duration_min=weeks * MINUTES_PER_WEEK))


def scaled_up(scenario: Scenario, factor: float, days: float | None = None) -> Scenario:
    """Every rate times ``factor``, every shift's agents times ``factor`` (at least 1)."""
    teams = {
        name: replace(
            team,
            shifts=tuple(
                replace(shift, agents=max(1, round(shift.agents * factor))) for shift in team.shifts
            ),
        )
        for name, team in scenario.teams.items()
    }
    run = scenario.run
    if days is not None:
        run = replace(run, duration_min=days * MINUTES_PER_DAY)
    return replace(
        scenario,
        problems=replace(
            scenario.problems, problems_per_min=scenario.problems.problems_per_min * factor
        ),
        incidents=tuple(
            replace(i, extra_problems_per_min=i.extra_problems_per_min * factor)
            for i in scenario.incidents
        ),
        teams=teams,
        run=run,
    )


def describe(scenario: Scenario) -> str:
    """One line: duration, rate, complaints expected, agents at the weekly peak."""
    peak = sum(max(count for _, count in t.weekly_headcount()) for t in scenario.teams.values())
    days = scenario.run.duration_min / MINUTES_PER_DAY
    rate = scenario.problems.problems_per_min * MINUTES_PER_DAY
    return (
        f"{days:,.0f} days, {rate:,.0f} problems/day, ~{expected_complaints(scenario):,.0f} "
        f"complaints expected, {len(scenario.channels)} channels, {len(scenario.teams)} teams, "
        f"{peak} agents at the weekly peak"
    )


def fingerprint(outcomes: dict[tuple[str, str], float]) -> str:
    """A short hash of every outcome of a run (exact float values), to compare runs by."""
    text = ";".join(
        f"{name}|{scope}={value!r}" for (name, scope), value in sorted(outcomes.items())
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_outcomes(
    scenario: Scenario, seed: int, policy: str | None = None
) -> tuple[Outcomes, dict[str, int]]:
    """`simcare.experiments.replicate.simulate_outcomes` (what compare and sweep run for a
    replication), counting on the way the run's journeys, contacts and answered contacts."""
    tally = Tally(scenario)
    size = {"journeys": 0, "contacts": 0, "answered": 0}

    def add(chunk: RunRecord) -> None:
        tally.add(chunk)
        size["journeys"] += len(chunk.journeys)
        size["contacts"] += len(chunk)
        size["answered"] += int(chunk.answered.sum())

    replication = Replication(scenario, make_streams(seed, 0), policy=policy)
    return tally.outcomes(replication.run(add, keep_record=False)), size
