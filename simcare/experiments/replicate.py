"""Replications of one scenario: one run and its outcomes, and the mean and 95% CI of many."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simcare.core.randomness import make_streams
from simcare.core.stats import Estimate, estimate
from simcare.metrics import Outcomes
from simcare.metrics.series import SeriesTally, TimeSeries
from simcare.metrics.tally import Tally
from simcare.model.records import RunRecord
from simcare.model.replication import Replication
from simcare.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Replicated:
    """What one replication gives: its outcomes, and on request its series and record."""

    outcomes: Outcomes
    series: TimeSeries | None
    record: RunRecord | None


def simulate_replication(
    scenario: Scenario,
    seed: int = 0,
    replication: int = 0,
    policy: str | None = None,
    *,
    series: bool = False,
    keep_record: bool = False,
) -> Replicated:
    """Run one replication: its outcomes, and its hourly series and whole record on request.

    Outcomes and series are added up as the run harvests its journeys, so without the record
    memory does not grow with the run's length (beyond two floats per contact for the medians
    and p90s).
    """
    tally = Tally(scenario)
    hourly = None
    if series:
        hourly = SeriesTally(
            scenario.run.duration_min,
            len(scenario.channels),
            len(scenario.teams),
            scenario.word_of_mouth.attention_min,
        )

    def add(chunk: RunRecord) -> None:
        tally.add(chunk)
        if hourly is not None:
            hourly.add(chunk)

    replica = Replication(scenario, make_streams(seed, replication), policy=policy)
    run = replica.run(add, keep_record)
    return Replicated(
        tally.outcomes(run),
        None if hourly is None else hourly.series(run),
        run if keep_record else None,
    )


def simulate_outcomes(
    scenario: Scenario, seed: int = 0, replication: int = 0, policy: str | None = None
) -> Outcomes:
    """Run one replication and return its outcomes alone (what compare and sweep need)."""
    return simulate_replication(scenario, seed, replication, policy).outcomes


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One outcome in one scope, summarised across replications."""

    outcome: str
    scope: str
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class RunResult:
    """What `run_replications` returns: per-replication values, their summary, the series.

    Attributes:
        per_replication: one dict of outcomes per replication, in replication order.
        series: hourly time series per replication.
        records: the raw per-contact records, only when asked for (they are large).
    """

    scenario: Scenario
    seed: int
    policy: str
    per_replication: list[Outcomes]
    summary: list[SummaryRow]
    series: list[TimeSeries]
    records: list[RunRecord] | None = None

    @property
    def replications(self) -> int:
        """How many replications were run."""
        return len(self.per_replication)

    def estimate(self, outcome: str, scope: str = "all") -> Estimate:
        """Return the summary of one outcome; KeyError names what is missing."""
        for row in self.summary:
            if row.outcome == outcome and row.scope == scope:
                return row.estimate
        raise KeyError(f"no outcome {outcome!r} in scope {scope!r}")


def summarise(per_replication: list[Outcomes]) -> list[SummaryRow]:
    """Return the mean and 95% CI of every outcome, in the order they were first reported."""
    keys = list(dict.fromkeys(key for values in per_replication for key in values))
    return [
        SummaryRow(
            outcome,
            scope,
            estimate([v.get((outcome, scope), float("nan")) for v in per_replication]),
        )
        for outcome, scope in keys
    ]


def run_replications(
    scenario: Scenario,
    replications: int = 20,
    seed: int = 2024,
    *,
    policy: str | None = None,
    keep_records: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run independent replications of a scenario and summarise them.

    Replication ``r`` draws from streams keyed by (seed, r) only, so any subset of
    replications, run anywhere, gives the same numbers.

    Args:
        scenario: what to simulate.
        replications: how many independent runs.
        seed: base seed; replication r uses streams spawned from (seed, r).
        policy: the response policy (default: the scenario's ``run.policy``).
        keep_records: keep every replication's per-contact records (for an event log).
        on_progress: called with the number of replications finished so far.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    per_replication: list[Outcomes] = []
    series: list[TimeSeries] = []
    records: list[RunRecord] = []
    for replication in range(replications):
        done = simulate_replication(
            scenario, seed, replication, policy, series=True, keep_record=keep_records
        )
        assert done.series is not None
        per_replication.append(done.outcomes)
        series.append(done.series)
        if done.record is not None:
            records.append(done.record)
        if on_progress is not None:
            on_progress(replication + 1)
    return RunResult(
        scenario=scenario,
        seed=seed,
        policy=scenario.policy(policy).name,
        per_replication=per_replication,
        summary=summarise(per_replication),
        series=series,
        records=records if keep_records else None,
    )
