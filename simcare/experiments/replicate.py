"""Replications of one scenario: their outcomes, series and records, and the mean and 95% CI.

One replication alone is `simcare.experiments.single`'s (its names are here too, as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.stats import Estimate
from simcare.experiments.execution import Task, chunk_size, make_executor
from simcare.experiments.single import Replicated, simulate_outcomes, simulate_replication
from simcare.experiments.summary import (
    Summary,
    SummaryRow,
    counted,
    group_labels,
    html_table,
    summarise,
    text_table,
)
from simcare.metrics import Outcomes
from simcare.metrics.series import TimeSeries
from simcare.model.records import RunRecord
from simcare.model.replication import simulate as simulate_scenario
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario

__all__ = [
    "Replicated",
    "RunResult",
    "SummaryRow",
    "run_replications",
    "simulate_outcomes",
    "simulate_replication",
    "summarise",
]


@dataclass(frozen=True, slots=True, repr=False)
class RunResult:
    """What `run_replications` returns: per-replication values, their summary, the series.

    Attributes:
        per_replication: one dict of outcomes per replication, in replication order.
        summary: the mean and 95% CI of every outcome and scope (see `Summary`).
        series: hourly time series per replication.
        records: the raw per-contact records, only when asked for (they are large).
    """

    scenario: Scenario
    seed: int
    policy: str
    per_replication: list[Outcomes]
    summary: Summary
    series: list[TimeSeries]
    records: list[RunRecord] | None = None

    @property
    def replications(self) -> int:
        """How many replications were run."""
        return len(self.per_replication)

    def estimate(self, outcome: str, scope: str = "all") -> Estimate:
        """Return the summary of one outcome; KeyError names what is missing."""
        return self.summary.estimate(outcome, scope)

    def to_frame(self) -> Any:
        """The summary as a pandas DataFrame, one row per outcome and scope (see `Summary`)."""
        return self.summary.to_frame()

    def _title(self) -> tuple[str, str]:
        """What ran, and how many times."""
        runs = counted(self.replications, "replication", "replications")
        return f"{self.scenario.name} under {self.policy}", f"{runs}, seed {self.seed}"

    def __repr__(self) -> str:
        return "\n".join(
            [
                "RunResult: {}\n{}; mean ±95% half-width:".format(*self._title()),
                *text_table(self.summary, group_labels(self.summary)),
                f"({len(self.summary)} outcomes and scopes in .summary; .to_frame() for a table)",
            ]
        )

    def _repr_html_(self) -> str:
        return html_table(self.summary, group_labels(self.summary), "; ".join(self._title()))


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A scenario as given, or loaded from a TOML file or a built-in case's name.

    Raises:
        ScenarioError: the file or case is missing or invalid.
        TypeError: ``scenario`` is none of these.
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    raise TypeError(
        "scenario: expected a Scenario, a TOML file's path or a built-in case's name, found "
        f"{type(scenario).__name__}"
    )


def simulate(
    scenario: Scenario | str | Path, seed: int = 0, replication: int = 0, policy: str | None = None
) -> RunRecord:
    """Run one replication of a scenario (or a TOML file, or a case by name); return its records.

    See `simcare.model.replication.simulate`, which takes a `Scenario` only.
    """
    return simulate_scenario(as_scenario(scenario), seed, replication, policy)


def run_replications(
    scenario: Scenario | str | Path,
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
        scenario: what to simulate: a `Scenario`, a TOML file, or a built-in case by name.
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
    scenario = as_scenario(scenario)
    name = scenario.policy(policy).name
    done = _replicate(scenario, replications, seed, name, keep_records, workers, on_progress)
    per_replication = [replicated.outcomes for replicated in done]
    return RunResult(
        scenario=scenario,
        seed=seed,
        policy=name,
        per_replication=per_replication,
        summary=Summary(summarise(per_replication, name)),
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
