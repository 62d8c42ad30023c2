"""First response and resolution per journey, checked against a journey-by-journey count."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simcare.metrics.tally import outcomes
from simcare.model.journeys import ContactKind, Result
from simcare.model.records import RESOLVED_ENDS, RunRecord
from simcare.model.replication import simulate
from simcare.scenario import Mode, Scenario
from simcare.scenario_file import load_scenario


@pytest.fixture(scope="module")
def fan() -> Scenario:
    """The loyal-fan case over six days, two of them warm-up."""
    case = load_scenario("loyal_fan_deleted_post")
    run = dataclasses.replace(case.run, duration_min=6 * 1440.0, warmup_min=2 * 1440.0)
    return dataclasses.replace(case, run=run)


def first_channels(record: RunRecord) -> list[int]:
    """Each journey's first channel, read from its first complaint."""
    first = {}
    for row in range(len(record)):
        if record.kind[row] == ContactKind.COMPLAINT and record.attempt[row] == 0:
            first[int(record.journey[row])] = int(record.channel[row])
    return [first[j] for j in range(len(record.journeys))]


def journey_times(
    record: RunRecord, scenario: Scenario, deletion_answers: bool = False
) -> list[tuple[int, float, float]]:
    """Per measured journey: (first channel, first response, resolution), one loop at a time.

    ``deletion_answers`` counts a deletion as an answer (the old, wrong definition), to show
    that the checks below can tell the difference.
    """
    live = [c.mode is Mode.LIVE for c in scenario.channels.values()]
    journeys, end = record.journeys, record.end_min  # censored when problems stop
    answers = [end] * len(journeys)
    for row in range(len(record)):
        if record.kind[row] == ContactKind.FOLLOW_UP or np.isnan(record.service_start_min[row]):
            continue
        if record.result[row] == Result.DELETED and not deletion_answers:
            continue
        start = record.service_start_min[row]
        answered_at = start if live[record.channel[row]] else start + record.handle_min[row]
        j = int(record.journey[row])
        if answered_at <= end:
            answers[j] = min(answers[j], answered_at)
    rows: list[tuple[int, float, float]] = []
    for j, channel in enumerate(first_channels(record)):
        start = journeys.start_min[j]
        if start < record.warmup_min:
            continue
        fixed_in_time = journeys.end[j] in RESOLVED_ENDS and journeys.end_min[j] <= end
        fixed = journeys.end_min[j] if fixed_in_time else end
        rows.append((channel, float(answers[j] - start), float(fixed - start)))
    return rows


@pytest.mark.parametrize("policy", ["delete", "reply_public", "acknowledge_then_private"])
def test_first_response_and_resolution_count_journeys(fan: Scenario, policy: str) -> None:
    record = simulate(fan, 11, 0, policy)
    values = outcomes(record, fan)
    rows = journey_times(record, fan)
    assert len(rows) > 300
    scopes = {"all": None} | {f"channel:{name}": code for code, name in enumerate(fan.channels)}
    for scope, code in scopes.items():
        chosen = [r for r in rows if code is None or r[0] == code]
        for column, outcome in ((1, "first_response"), (2, "resolution")):
            times = [r[column] for r in chosen]
            for q, stat in ((0.5, "median"), (0.9, "p90")):
                got = values[(f"{outcome}_{stat}_min", scope)]
                assert got == pytest.approx(np.quantile(times, q)), (scope, outcome, stat)


def test_a_deletion_is_neither_a_response_nor_a_resolution(fan: Scenario) -> None:
    record = simulate(fan, 11, 0, "delete")
    values = outcomes(record, fan)
    deleted = record.result == Result.DELETED
    assert deleted.sum() > 100
    # Journeys whose only answers were deletions count until the end of the run...
    rows = journey_times(record, fan)
    wrong = journey_times(record, fan, deletion_answers=True)
    median = values[("first_response_median_min", "all")]
    assert median == pytest.approx(np.median([r[1] for r in rows]))
    # Counting the deletions as answers would give a faster figure: the check can fail.
    assert np.median([r[1] for r in wrong]) < 0.8 * median
