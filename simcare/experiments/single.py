"""One replication of a scenario: its outcomes, and on request its hourly series and record.

Below `execution` (whose workers run it) and `replicate` (which summarises many of them).
"""

from __future__ import annotations

from dataclasses import dataclass

from simcare.core.randomness import make_streams
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
