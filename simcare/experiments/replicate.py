"""Replications of one scenario: one run and its outcomes, and the mean and 95% CI of many."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.randomness import make_streams
from simcare.core.stats import Estimate
from simcare.experiments.summary import (
    Summary,
    counted,
    group_labels,
    html_table,
    summarise,
    text_table,
)
from simcare.metrics import Outcomes
from simcare.metrics.series import SeriesTally, TimeSeries
from simcare.metrics.tally import Tally
from simcare.model.records import RunRecord
from simcare.model.replication import Replication
from simcare.model.replication import simulate as simulate_scenario
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario


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
        on_progress: called with the number of replications finished so far.
    """
    if replications < 1:
        raise ValueError("replications must be >= 1")
    scenario = as_scenario(scenario)
    chosen = scenario.policy(policy).name
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
        policy=chosen,
        per_replication=per_replication,
        summary=Summary(summarise(per_replication, chosen)),
        series=series,
        records=records if keep_records else None,
    )
