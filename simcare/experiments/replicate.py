"""Replications of one scenario: their outcomes, series and records, and the mean and 95% CI.

One replication alone is `simcare.experiments.single`'s (its names are here too, as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simcare.core.stats import Estimate, estimate
from simcare.experiments.execution import Task, chunk_size, make_executor
from simcare.experiments.single import Replicated, simulate_outcomes, simulate_replication
from simcare.metrics import Outcomes
from simcare.metrics.series import TimeSeries
from simcare.model.records import RunRecord
from simcare.scenario import Scenario

__all__ = [
    "Replicated",
    "RunResult",
    "SummaryRow",
    "run_replications",
    "simulate_outcomes",
    "simulate_replication",
    "summarise",
]


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
    workers: int = 1,
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
        workers: local worker processes (1: in this process); the numbers are the same.
        on_progress: called with the number of replications finished so far.

    Raises:
        ScenarioError: an unknown policy, before anything runs.
        WorkerDiedError: a worker process died (killed, out of memory) and was not replaced.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    name = scenario.policy(policy).name
    done = _replicate(scenario, replications, seed, name, keep_records, workers, on_progress)
    per_replication = [replicated.outcomes for replicated in done]
    return RunResult(
        scenario=scenario,
        seed=seed,
        policy=name,
        per_replication=per_replication,
        summary=summarise(per_replication),
        series=[replicated.series for replicated in done if replicated.series is not None],
        records=[r.record for r in done if r.record is not None] if keep_records else None,
    )


def _replicate(
    scenario: Scenario,
    replications: int,
    seed: int,
    policy: str,
    keep_records: bool,
    workers: int,
    on_progress: Callable[[int], None] | None,
) -> list[Replicated]:
    """Every replication whole (outcomes, series, record if kept), in replication order.

    A replication that raises stops the run with its error (from a worker, with the worker's
    traceback as its cause), as it would in this process.
    """
    with make_executor(workers) as executor:
        size = chunk_size(replications, executor.workers, replications)
        for first in range(0, replications, size):
            count = min(size, replications - first)
            executor.submit(
                Task(0, scenario, policy, seed, first, count, series=True, keep_record=keep_records)
            )
        if on_progress is not None:
            on_progress(0)  # under way: a progress line can say how much there is to do
        chunks: dict[int, list[Replicated]] = {}
        finished = 0
        while finished < replications:
            task, result = executor.next_finished()
            if isinstance(result, BaseException):
                raise result
            chunks[task.first] = result
            finished += task.count
            if on_progress is not None:
                on_progress(finished)
    return [replicated for _, chunk in sorted(chunks.items()) for replicated in chunk]
