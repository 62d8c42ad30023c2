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

A run's length costs too, even without a single problem: every simulated day has its shifts
and opening hours to step through and its hours in the hourly series, and every replication its
set-up and its outcomes, which `run` and `compare` keep until the end (`run` keeps every
replication's hourly series as well, and writes them all as one ``timeseries.csv``). These costs
are counted per day, per replication and per series value (see the constants below, each with
how it was measured), so that a ``rate = "0/h"`` scenario of a billion days, or twenty thousand
replications of a month, is refused up front instead of filling the memory.
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
"""Days of journeys a replication holds at once beyond those since its last harvest (every
`JOURNEYS_PER_HARVEST` journeys), under every policy: the journeys still going, copied out of
their windows once half of a window has ended (`simcare.model.harvest`), so that one journey
left open for months pins nothing else. The richest case under ``ignore`` held 13,000 to
15,000 journeys at its harvests, 10,000 since the last one and the rest still going (about 4
days' worth), and peaked at 64, 68 and 71 MiB at 100k, 1M and 2M complaints."""

# What a run's length and its replications cost beyond their problems. Measured on 2 cores with
# ``rate = "0/h"`` scenarios built for the purpose: one replication with its hourly series of
# 2,000 and of 20,000 days (the difference, per day; 1,000 and 10,000 days give the same), and
# 1,000 and 5,000 replications of one hour (per replication), time and peak memory (ru_maxrss);
# then rounded up about 2.5 times, as the costs per complaint above are.
SECONDS_PER_DAY = 0.0005
"""Time per simulated day: its arrival window, harvest and hours (0.14 ms measured with one
channel and one team, 0.15 ms with 12 channels or 12 teams)."""
SECONDS_PER_STAFF_CHANGE = 0.000005
"""Time per change of a team's headcount or a channel's opening (2 µs: 8 daily shifts, 16
changes a day, add 0.033 ms a day)."""
SECONDS_PER_INCIDENT_DAY = 0.000025
"""Time per incident per simulated day, drawn in every window (10 µs: 10 incidents add 0.1 ms)."""
BYTES_PER_DAY = 10_000
"""Memory per simulated day, whatever the scenario (4.1 kB measured: 5.3 kB a day with one
channel and one team, less their series below)."""
BYTES_PER_SERIES_DAY = 400
"""Memory per hourly series per simulated day (190 B: 11 more channels add 2.0 kB a day, 11
more teams, with two series each, 4.2 kB)."""
BYTES_PER_STAFF_CHANGE = 200
"""Memory per change of headcount or opening, kept for the whole run (85 B measured)."""
SECONDS_PER_RUN_SCOPE = 0.0005
"""Time per replication, per scope of its outcomes (see `scopes`): its set-up and tally
(0.92 ms a replication with 5 scopes, 5.5 ms with 27: 0.2 ms a scope)."""
OUTCOME_BYTES_PER_SCOPE = 8_000
"""Memory of a replication's outcomes while kept, per scope (about 20 outcomes a scope, 88 to
330 in all, at 150 to 190 B each: 14 kB a replication with 5 scopes, 64 kB with 27)."""
BYTES_PER_SERIES_VALUE = 16
"""Memory of one hour of one series, kept for every replication of `run` (8 B: numpy floats)."""
BYTES_PER_SERIES_ROW = 500
"""Memory per row of ``timeseries.csv`` while `run` writes it (330 B measured: the rows as
dicts, then the file's text; 1.42 MB a replication of 30 days with 6 series)."""
SECONDS_PER_SERIES_ROW = 0.00001
"""Time per row of ``timeseries.csv`` (3.5 µs measured)."""

# Costs that grow with a scenario's numbers rather than its problems, measured with the loyal
# fan at ``rate = "0/h"`` for 2 days (agents) and with `simcare.model.word_of_mouth`'s
# ``poisson_quantile`` alone (pile-ons), then rounded up as the others are.
SECONDS_PER_AGENT_CHANGE = 0.000007
"""Time per agent joining or leaving a shift: staffing changes go agent by agent (2.7 µs: 80,000
agents a shift, 320,000 changes in 0.86 s)."""
BYTES_PER_AGENT = 1_200
"""Memory per agent on duty at once (470 B: 80,000 agents add 37 MB)."""
SECONDS_PER_PILE_ON_STEP = 0.0001
"""Time per step of the count of a post's pile-on comments, counted one by one up to the most
any post of a harvest has (30 to 50 µs a step, whatever the posts)."""
SECONDS_PER_PILE_ON = 0.000001
"""Time per post per step of that count (0.13 to 0.5 µs)."""
JOURNEYS_PER_HARVEST = 10_000
"""Journeys between harvests (`simcare.model.harvest.HARVEST_EVERY`): pile-ons are counted
once per harvest, for its posts."""


def expected_complaints(scenario: Scenario) -> float:
    """Complaints (journeys) expected in one replication: problems that are not silent."""
    return scenario.expected_load()[1]


def series_count(scenario: Scenario) -> int:
    """The hourly series of a replication (queues, agents on duty and busy, posts, impressions)."""
    return len(scenario.channels) + 2 * len(scenario.teams) + 3


def scopes(scenario: Scenario) -> int:
    """The scopes of a replication's outcomes: all, and each channel, team, segment, severity."""
    named = (scenario.channels, scenario.teams, scenario.segments, scenario.severities)
    return 1 + sum(len(table) for table in named)


def agent_changes_per_day(scenario: Scenario) -> float:
    """Agents joining or leaving a shift in a day, over all teams (each is simulated)."""
    changes = 0
    for team in scenario.teams.values():
        steps = team.weekly_headcount()
        counts = [count for _, count in steps]
        changes += sum(abs(b - a) for a, b in zip([counts[-1], *counts], counts, strict=False))
    return changes / 7


def agents_at_once(scenario: Scenario) -> int:
    """The most agents on duty at once, over all teams (each is held in memory)."""
    return sum(team.max_headcount for team in scenario.teams.values())


def pile_on_seconds(scenario: Scenario, complaints: float) -> float:
    """Time to count a replication's pile-on comments: one step per comment of the busiest post.

    A post gathers pile-ons while it is visible and unanswered, up to its attention span or the
    run's end: a long span at a high rate makes the count, and its time, grow with the square
    of the run's length (every post counts up to about rate × span). Bounded above, taking
    every complaint as a post left unanswered.
    """
    wom = scenario.word_of_mouth
    per_post = wom.pile_on_per_min * min(wom.attention_min, scenario.run.duration_min)
    harvests = max(1.0, complaints / JOURNEYS_PER_HARVEST)
    return per_post * (harvests * SECONDS_PER_PILE_ON_STEP + complaints * SECONDS_PER_PILE_ON)


def staff_changes_per_day(scenario: Scenario) -> float:
    """Changes of headcount (each team's shifts) and of opening (a policy's hours) in a day."""
    shifts = sum(len(team.weekly_headcount()) for team in scenario.teams.values()) / 7
    hours = max((len(policy.hours) for policy in scenario.policies.values()), default=0)
    return shifts + 2 * hours


@dataclass(frozen=True, slots=True)
class Workload:
    """The work a command asks for.

    Attributes:
        runs: replications to simulate in all (points × policies × replications).
        problems: problems expected over all the runs (complaints and silent ones).
        complaints: complaints expected over all the runs.
        largest_run_bytes: peak memory expected of the largest single replication's problems
            and agents.
        days: days simulated over all the runs.
        other_seconds: time beyond the problems: the days (shifts, hourly series), each run's
            set-up and tally, and a written ``timeseries.csv``.
        day_bytes: memory of the longest replication's days (shifts, hourly series), on top
            of ``largest_run_bytes``.
        held_bytes: memory of what the runs give, kept until the end (their outcomes; with
            `run`, every replication's hourly series and the ``timeseries.csv`` being written).
        kept: what ``held_bytes`` is, for messages.
    """

    runs: int
    problems: float
    complaints: float
    largest_run_bytes: float
    days: float = 0.0
    other_seconds: float = 0.0
    day_bytes: float = 0.0
    held_bytes: float = 0.0
    kept: str = "the outcomes of the replications"

    def hours(self, workers: int = 1) -> float:
        """Roughly how long the work takes on ``workers`` cores."""
        silent = self.problems - self.complaints
        seconds = self.complaints / COMPLAINTS_PER_SECOND + silent / PROBLEMS_PER_SECOND
        return (seconds + self.other_seconds) / max(1, workers) / 3600

    @property
    def equivalent_complaints(self) -> float:
        """The complaints and the other work, counted as complaints of the same time."""
        return self.complaints + self.other_seconds * COMPLAINTS_PER_SECOND


@dataclass(frozen=True, slots=True)
class _PerRun:
    """What one replication of a scenario costs (see the constants)."""

    problems: float
    complaints: float
    days: float
    seconds: float  # beyond its problems
    problem_bytes: float
    day_bytes: float
    outcome_bytes: float
    series_values: float  # hours × hourly series


def _whole(hours: float) -> float:
    """Hours rounded up to whole ones (the series' last hour may be short), inf as it is."""
    return float(math.ceil(hours)) if math.isfinite(hours) else hours


def _per_run(scenario: Scenario, records: int) -> _PerRun:
    problems, complaints = scenario.expected_load()
    days = scenario.run.duration_min / MINUTES_PER_DAY
    changes = staff_changes_per_day(scenario)
    series = series_count(scenario)
    per_day = (
        SECONDS_PER_DAY
        + changes * SECONDS_PER_STAFF_CHANGE
        + agent_changes_per_day(scenario) * SECONDS_PER_AGENT_CHANGE
        + len(scenario.incidents) * SECONDS_PER_INCIDENT_DAY
    )
    # Shifts go on through the drain after the last problem (`Scenario.drain_min`).
    simulated_days = scenario.stop_min / MINUTES_PER_DAY
    return _PerRun(
        problems=problems,
        complaints=complaints,
        days=days,
        seconds=simulated_days * per_day
        + scopes(scenario) * SECONDS_PER_RUN_SCOPE
        + pile_on_seconds(scenario, complaints),
        problem_bytes=replication_bytes(problems, complaints, days, records, len(scenario.channels))
        + agents_at_once(scenario) * BYTES_PER_AGENT,
        day_bytes=days * (BYTES_PER_DAY + series * BYTES_PER_SERIES_DAY)
        + simulated_days * changes * BYTES_PER_STAFF_CHANGE,
        outcome_bytes=scopes(scenario) * OUTCOME_BYTES_PER_SCOPE,
        series_values=_whole(days * 24) * series,
    )


def estimate(
    scenarios: Iterable[Scenario],
    runs_each: int,
    records: int = 0,
    *,
    held: int | None = None,
    series: bool = False,
    written: bool = False,
) -> Workload:
    """The workload of ``runs_each`` replications (× policies) of each scenario (point).

    Args:
        scenarios: the scenarios (points) run.
        runs_each: replications of each (× policies).
        records: how many whole records of a replication are held at once (an event log keeps
            every replication's; a story, one).
        held: how many runs' outcomes are kept at once (default: all of them; a sweep keeps
            a point's).
        series: every replication's hourly series is kept (`run`).
        written: ... and written as one ``timeseries.csv`` (`run --out`).
    """
    costs = [_per_run(scenario, records) for scenario in scenarios]
    runs = len(costs) * runs_each
    seconds = sum(cost.seconds for cost in costs) * runs_each
    outcomes = runs if held is None else held
    kept = max((cost.outcome_bytes for cost in costs), default=0.0) * outcomes
    what = f"the outcomes of {_replications(outcomes)}" + (" (one point's)" if held else "")
    if series:
        values = sum(cost.series_values for cost in costs) * runs_each
        kept += values * BYTES_PER_SERIES_VALUE
        what = f"the outcomes and hourly series of {_replications(runs)}"
        if written:
            kept += values * BYTES_PER_SERIES_ROW
            seconds += values * SECONDS_PER_SERIES_ROW
            what += ", and the timeseries.csv written from them"
    return Workload(
        runs=runs,
        problems=sum(cost.problems for cost in costs) * runs_each,
        complaints=sum(cost.complaints for cost in costs) * runs_each,
        largest_run_bytes=max((cost.problem_bytes for cost in costs), default=0.0),
        days=sum(cost.days for cost in costs) * runs_each,
        other_seconds=seconds,
        day_bytes=max((cost.day_bytes for cost in costs), default=0.0),
        held_bytes=kept,
        kept=what,
    )


def replication_bytes(
    problems: float, complaints: float, days: float, records: int, channels: int
) -> float:
    """Peak memory of a replication of ``days`` days, holding ``records`` whole records."""
    window = problems * BYTES_PER_PROBLEM + complaints * BYTES_PER_COMPLAINT
    since_harvest = JOURNEYS_PER_HARVEST / complaints if complaints > 0 else 1.0
    held = window * min(1.0, DAYS_HELD / days + since_harvest) if days > 0 else window
    tally = TALLY_BYTES + channels * BIN_BYTES_PER_CHANNEL
    kept = complaints * records * BYTES_PER_COMPLAINT if records else 0.0  # not inf × 0
    return held + tally + kept


def _memory_bytes() -> float:
    """The memory this process may use (inf where it is not known).

    The machine's, or less if a limit is set on the process (``ulimit -v``, as a cluster's
    job may run under).
    """
    try:
        memory = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        memory = math.inf
    try:
        import resource  # POSIX only

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return memory
    return memory if limit in (resource.RLIM_INFINITY, -1) else min(memory, float(limit))


def _about(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return f"an unbounded number of {unit}"
    return f"about {value:,.0f} {unit}" if value < 1e15 else f"about {value:.2g} {unit}"


def _gib(need: float) -> str:
    return f"about {need / 2**30:,.3g} GiB" if math.isfinite(need) else "unbounded memory"


def _replications(runs: int) -> str:
    return f"{runs:,} replication{'s' * (runs != 1)}"


def _duration(workload: Workload, workers: int) -> str:
    hours = workload.hours(workers)
    if not math.isfinite(hours):
        return "for ever"
    time = f"{hours:,.0f} hours" if hours >= 2 else f"{hours * 60:,.0f} minutes"
    return f"roughly {time} on {workers} core{'s' if workers != 1 else ''}"


def check(workload: Workload, max_complaints: float, workers: int = 1) -> ArgumentError | None:
    """Why the work should not start (an error to raise or show), or None if it may.

    Refused: a single replication that would not fit in this machine's memory (whatever the
    cap), or the results the runs keep; more complaints in all than ``max_complaints``, or
    more work counted as complaints of the same time (long runs with few complaints).
    """
    memory = _memory_bytes()
    one = workload.largest_run_bytes + workload.day_bytes
    if not one <= 0.8 * memory:  # also refuses NaN
        return ArgumentError(
            f"one replication would need {_gib(one)} of memory (this process may use "
            f"{memory / 2**30:,.0f} GiB); lower problems.rate or run.duration (or the agents, "
            "who are all held at once)"
        )
    if not one + workload.held_bytes <= 0.8 * memory:
        return ArgumentError(
            f"{workload.kept}, held in memory at once with a replication running, would need "
            f"{_gib(one + workload.held_bytes)} (this process may use {memory / 2**30:,.0f} GiB); "
            "run fewer replications or a shorter run.duration"
        )
    if workload.complaints > max_complaints:
        return ArgumentError(
            f"this would simulate {_about(workload.complaints, 'complaints')} in "
            f"{_replications(workload.runs)}, {_duration(workload, workers)}; "
            "that is more than ",
            MAX_COMPLAINTS_ARG,
            f" ({max_complaints:,.0f}). Raise ",
            MAX_COMPLAINTS_ARG,
            " to run it anyway",
        )
    if not workload.equivalent_complaints <= max_complaints:
        return ArgumentError(
            f"this would simulate {_about(workload.days, 'days')} in "
            f"{_replications(workload.runs)}, {_duration(workload, workers)}, most of it beyond "
            "the complaints (each day's shifts, agent by agent, and hourly series, each "
            "replication's set-up, pile-on comments counted one by one); that is more work than ",
            MAX_COMPLAINTS_ARG,
            f" ({max_complaints:,.0f}) allows, counting {COMPLAINTS_PER_SECOND:,} complaints "
            "a second. Raise ",
            MAX_COMPLAINTS_ARG,
            " to run it anyway, or shorten run.duration (or word_of_mouth.attention)",
        )
    return None
