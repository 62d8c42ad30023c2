"""How much work a command asks for, estimated from the scenario before anything runs.

A scenario typed by hand can ask for a trillion complaints (a rate of ``1e9/day``, a duration
of ``100000d``); a sweep can multiply a reasonable run by a hundred thousand points. Both are
caught here, up front, with an estimate, instead of filling the machine's memory or running
for days. The estimates are expectations (Poisson means), not bounds.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

from simcare.scenario import Scenario

MAX_COMPLAINTS = 1_000_000_000
"""Default cap on the complaints a whole command may simulate (``--max-complaints``): about
three hours on one core at simcare's measured rate, longer on a busy machine."""

COMPLAINTS_PER_SECOND = 100_000
"""A conservative per-core rate, for telling the user roughly how long a job would take."""

BYTES_PER_COMPLAINT = 1_000
"""Peak memory of one replication per complaint, rounded up from the benchmarks (records,
journeys, posts and the outcomes worked out from them), for refusing a run that cannot fit."""


def expected_complaints(scenario: Scenario) -> float:
    """Complaints (journeys) expected in one replication: problems that are not silent."""
    severities = list(scenario.severities.values())
    total_share = sum(severity.share for severity in severities)
    if not total_share > 0:
        return 0.0
    mix = sum(s.share * s.complaint_share for s in severities) / total_share
    duration = scenario.run.duration_min
    complaints = scenario.problems.problems_per_min * duration * mix
    for incident in scenario.incidents:
        length = min(duration, incident.start_min + incident.duration_min) - incident.start_min
        forced = scenario.severities.get(incident.severity) if incident.severity else None
        share = forced.complaint_share if forced is not None else mix
        complaints += incident.extra_problems_per_min * max(0.0, length) * share
    return complaints


@dataclass(frozen=True, slots=True)
class Workload:
    """The work a command asks for.

    Attributes:
        runs: replications to simulate in all (points × policies × replications).
        complaints: complaints expected over all the runs.
        largest_run: complaints expected in the largest single replication.
    """

    runs: int
    complaints: float
    largest_run: float

    def hours(self, workers: int = 1) -> float:
        """Roughly how long the work takes on ``workers`` cores."""
        return self.complaints / COMPLAINTS_PER_SECOND / max(1, workers) / 3600


def estimate(scenarios: Iterable[Scenario], runs_each: int) -> Workload:
    """The workload of ``runs_each`` replications (× policies) of each scenario (point)."""
    per_run = [expected_complaints(scenario) for scenario in scenarios]
    return Workload(
        runs=len(per_run) * runs_each,
        complaints=sum(per_run) * runs_each,
        largest_run=max(per_run, default=0.0),
    )


def _memory_bytes() -> float:
    """This machine's physical memory (inf where it cannot be read)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return math.inf


def _count(value: float) -> str:
    return f"{value:,.0f}" if value < 1e15 else f"{value:.2g}"


def check(workload: Workload, max_complaints: float, workers: int = 1) -> str | None:
    """Why the work should not start (a message for the user), or None if it may.

    Refused: a single replication whose records would not fit in this machine's memory
    (whatever the cap), or more complaints in all than ``max_complaints``.
    """
    memory = _memory_bytes()
    if not math.isfinite(workload.largest_run) or workload.largest_run * BYTES_PER_COMPLAINT > (
        0.8 * memory
    ):
        need = workload.largest_run * BYTES_PER_COMPLAINT / 2**30
        return (
            f"one replication would simulate about {_count(workload.largest_run)} complaints, "
            f"needing about {need:,.3g} GiB of memory (this machine has "
            f"{memory / 2**30:,.0f} GiB); lower problems.rate or run.duration"
        )
    if workload.complaints > max_complaints:
        hours = workload.hours(workers)
        time = f"{hours:,.0f} hours" if hours >= 2 else f"{hours * 60:,.0f} minutes"
        return (
            f"this would simulate about {_count(workload.complaints)} complaints in "
            f"{workload.runs:,} replications, roughly {time} on {workers} "
            f"core{'s' if workers != 1 else ''}; that is more than --max-complaints "
            f"({_count(max_complaints)}). Raise --max-complaints to run it anyway"
        )
    return None
