"""How much work a command asks for, estimated from the scenario before anything runs.

A scenario typed by hand can ask for a trillion complaints (a rate of ``1e9/day``, a duration
of ``100000d``); a sweep can multiply a reasonable run by a hundred thousand points. Both are
caught here, up front, with an estimate, instead of filling the machine's memory or running
for days. The estimates are expectations (Poisson means), not bounds.

The costs are rounded up from measurements. Time: about 4 µs per complaint and 1 µs per problem
that stays silent (the textbook case). Memory: a replication holds its arrival windows only
while their journeys go on (about 520 bytes per complaint and 85 per silent problem, for some
days' worth), plus the outcome tally, a few MB whatever the run's length (the exact medians and
p90s give way to fixed bins beyond 100,000 contacts); a kept record (an event log, a story)
adds about 550 bytes per complaint (the richest case at 500k).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simcare.core.errors import Arg, ArgumentError
from simcare.core.units import MINUTES_PER_DAY

if TYPE_CHECKING:  # the command line reads the defaults here without loading the model
    from simcare.scenario import Scenario

MAX_COMPLAINTS = 1_000_000_000
"""Default cap on the complaints a whole command may simulate (``max_complaints``): about
three hours on one core at simcare's measured rate, longer on a busy machine."""
MAX_COMPLAINTS_ARG = Arg("max_complaints")

COMPLAINTS_PER_SECOND = 100_000
"""A conservative per-core rate, for telling the user roughly how long a job would take."""
PROBLEMS_PER_SECOND = 500_000
"""The same for problems that stay silent (drawn, counted, never simulated as contacts)."""

BYTES_PER_COMPLAINT = 1_000
"""Memory per complaint of a held window (draws, arrival, contacts) or of a kept record."""
BYTES_PER_PROBLEM = 150
"""Memory per problem, silent or not, of a held window (its arrival and traits)."""
TALLY_BYTES = 4_000_000
"""Memory of a replication's outcome tally, whatever its length: the times behind the medians
and p90s, up to `simcare.metrics.binning.EXACT_VALUES` of them (2 MB measured), rounded up."""
BIN_BYTES_PER_CHANNEL = 500_000
"""Memory of the bins that replace those times beyond the limit, per channel (443 kB)."""
DAYS_HELD = 10
"""Days of arrival windows a replication holds at once, at most in the usual case (it harvests
every `simcare.model.replication.HARVEST_EVERY` journeys)."""


def expected_problems_and_complaints(scenario: Scenario) -> tuple[float, float]:
    """Problems and complaints (journeys) expected in one replication, incidents included.

    The hour-of-day and day-of-week profiles average to 1 over a week, so the base rate times
    the duration is exact for whole weeks and close otherwise.
    """
    severities = list(scenario.severities.values())
    total_share = sum(severity.share for severity in severities)
    mix = (
        sum(s.share * s.complaint_share for s in severities) / total_share
        if total_share > 0
        else 0.0
    )
    duration = scenario.run.duration_min
    problems = scenario.problems.problems_per_min * duration
    complaints = problems * mix
    for incident in scenario.incidents:
        length = min(duration, incident.start_min + incident.duration_min) - incident.start_min
        extra = incident.extra_problems_per_min * max(0.0, length)
        forced = scenario.severities.get(incident.severity) if incident.severity else None
        problems += extra
        complaints += extra * (forced.complaint_share if forced is not None else mix)
    return problems, complaints


def expected_complaints(scenario: Scenario) -> float:
    """Complaints (journeys) expected in one replication: problems that are not silent."""
    return expected_problems_and_complaints(scenario)[1]


@dataclass(frozen=True, slots=True)
class Workload:
    """The work a command asks for.

    Attributes:
        runs: replications to simulate in all (points × policies × replications).
        problems: problems expected over all the runs (complaints and silent ones).
        complaints: complaints expected over all the runs.
        largest_run_bytes: peak memory expected of the largest single replication.
    """

    runs: int
    problems: float
    complaints: float
    largest_run_bytes: float

    def hours(self, workers: int = 1) -> float:
        """Roughly how long the work takes on ``workers`` cores."""
        silent = self.problems - self.complaints
        seconds = self.complaints / COMPLAINTS_PER_SECOND + silent / PROBLEMS_PER_SECOND
        return seconds / max(1, workers) / 3600


def estimate(scenarios: Iterable[Scenario], runs_each: int, records: int = 0) -> Workload:
    """The workload of ``runs_each`` replications (× policies) of each scenario (point).

    ``records``: how many whole records of a replication are held at once (an event log keeps
    every replication's; a story, one).
    """
    per_run = []
    largest = 0.0
    for scenario in scenarios:
        problems, complaints = expected_problems_and_complaints(scenario)
        per_run.append((problems, complaints))
        days = scenario.run.duration_min / MINUTES_PER_DAY
        bytes_ = replication_bytes(problems, complaints, days, records, len(scenario.channels))
        largest = max(largest, bytes_)
    return Workload(
        runs=len(per_run) * runs_each,
        problems=sum(problems for problems, _ in per_run) * runs_each,
        complaints=sum(complaints for _, complaints in per_run) * runs_each,
        largest_run_bytes=largest,
    )


def replication_bytes(
    problems: float, complaints: float, days: float, records: int, channels: int
) -> float:
    """Peak memory of a replication of ``days`` days, holding ``records`` whole records."""
    window = problems * BYTES_PER_PROBLEM + complaints * BYTES_PER_COMPLAINT
    held = window * min(1.0, DAYS_HELD / days) if days > 0 else window
    tally = TALLY_BYTES + channels * BIN_BYTES_PER_CHANNEL
    kept = complaints * records * BYTES_PER_COMPLAINT if records else 0.0  # not inf × 0
    return held + tally + kept


def _memory_bytes() -> float:
    """This machine's physical memory (inf where it cannot be read)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


def _about(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return f"an unbounded number of {unit}"
    return f"about {value:,.0f} {unit}" if value < 1e15 else f"about {value:.2g} {unit}"


def check(workload: Workload, max_complaints: float, workers: int = 1) -> ArgumentError | None:
    """Why the work should not start (an error to raise or show), or None if it may.

    Refused: a single replication that would not fit in this machine's memory (whatever the
    cap), or more complaints in all than ``max_complaints``.
    """
    memory = _memory_bytes()
    need = workload.largest_run_bytes
    if not need <= 0.8 * memory:  # also refuses NaN
        size = f"about {need / 2**30:,.3g} GiB" if math.isfinite(need) else "unbounded memory"
        return ArgumentError(
            f"one replication would need {size} of memory (this machine has "
            f"{memory / 2**30:,.0f} GiB); lower problems.rate or run.duration"
        )
    if workload.complaints > max_complaints:
        hours = workload.hours(workers)
        time = f"{hours:,.0f} hours" if hours >= 2 else f"{hours * 60:,.0f} minutes"
        return ArgumentError(
            f"this would simulate {_about(workload.complaints, 'complaints')} in "
            f"{workload.runs:,} replications, roughly {time} on {workers} "
            f"core{'s' if workers != 1 else ''}; that is more than ",
            MAX_COMPLAINTS_ARG,
            f" ({max_complaints:,.0f}). Raise ",
            MAX_COMPLAINTS_ARG,
            " to run it anyway",
        )
    return None
