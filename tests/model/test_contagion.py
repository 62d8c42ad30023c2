"""Contagion: silent problems of a shared cause come forward when complaints stand unanswered."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario import Contagion, Scenario
from simcare.scenario_file import load_scenario

CASE = "silence_and_the_groundswell"


@pytest.fixture(scope="module")
def swell() -> Scenario:
    """The groundswell case over six days (the incident starts on day 2)."""
    case = load_scenario(CASE)
    return dataclasses.replace(case, run=dataclasses.replace(case.run, duration_min=6 * 1440.0))


def _cause(scenario: Scenario) -> int:
    cause = scenario.contagion.cause
    assert cause is not None
    return list(scenario.severities).index(cause)


def test_contagion_off_gives_the_model_without_it(swell: Scenario) -> None:
    # Nobody coming forward must leave every outcome as without contagion (same seed).
    off = dataclasses.replace(swell, contagion=Contagion())
    mute = dataclasses.replace(swell, contagion=Contagion(swell.contagion.cause, come_forward=0.0))
    for replication in range(2):
        assert outcomes(simulate(mute, 7, replication), mute) == outcomes(
            simulate(off, 7, replication), off
        )


def test_contagion_recruits_only_silent_problems_of_the_cause(swell: Scenario) -> None:
    # Every customer who comes forward was a silent problem of the cause: the silent ones and
    # the recruits add up to the silent ones without contagion, and never exceed the base.
    off = dataclasses.replace(swell, contagion=Contagion())
    wild = dataclasses.replace(
        swell, contagion=dataclasses.replace(swell.contagion, come_forward=1.0, affinity=1e6)
    )
    cause = _cause(swell)
    for replication in range(2):
        runaway, calm = simulate(wild, 3, replication), simulate(off, 3, replication)
        came = int(runaway.came_forward.sum())
        assert came > 0
        assert runaway.silent[:, cause].sum() + came == calm.silent[:, cause].sum()
        assert runaway.silent.min() >= 0
        assert runaway.churn.silent_left.min() >= 0
        assert len(runaway.journeys) <= sum(wild.customer_base().values())
        np.testing.assert_array_equal(runaway.problems, calm.problems)


def test_without_the_shared_cause_silence_creates_no_journeys(swell: Scenario) -> None:
    # No incident, no problems of the cause: ignoring starts no more journeys than answering.
    quiet = dataclasses.replace(swell, incidents=())
    for replication in range(2):
        counts = set()
        for policy in ("ignore", "acknowledge_then_private"):
            values = outcomes(simulate(quiet, 11, replication, policy), quiet)
            assert values[("contagion_journeys", "all")] == 0
            counts.add(values[("journeys", "all")])
        assert len(counts) == 1


def test_largest_wave_is_the_busiest_day(swell: Scenario) -> None:
    record = simulate(swell, 5, 0, "ignore")
    values = outcomes(record, swell)
    assert values[("contagion_journeys", "all")] == record.came_forward.sum() > 0
    assert values[("largest_wave", "all")] == record.came_forward.max()
    assert 0 < values[("contagion_share", "all")] < 1


def test_contagion_does_not_depend_on_when_journeys_are_harvested(
    swell: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = outcomes(simulate(swell, 9, 0, "acknowledge_then_private"), swell)
    monkeypatch.setattr("simcare.model.replication.HARVEST_EVERY", 1)
    chunked = outcomes(simulate(swell, 9, 0, "acknowledge_then_private"), swell)
    assert chunked.keys() == whole.keys()
    for key, value in whole.items():
        assert chunked[key] == pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True), key


def test_a_shorter_memory_never_recruits_more(swell: Scenario) -> None:
    # The same customers, exposed for less long: the recruits can only be fewer.
    forgetful = dataclasses.replace(
        swell, contagion=dataclasses.replace(swell.contagion, memory_min=12 * 60.0)
    )
    for replication in range(2):
        short = simulate(forgetful, 4, replication, "ignore").came_forward.sum()
        full = simulate(swell, 4, replication, "ignore").came_forward.sum()
        assert short < full


def test_every_policy_meets_the_same_customers_and_recruits_come_last(swell: Scenario) -> None:
    # The journeys that were there anyway keep their places, whatever contagion adds.
    cause = _cause(swell)
    records = [simulate(swell, 6, 0, policy) for policy in ("ignore", "acknowledge_then_private")]
    bases = []
    for record in records:
        recruits = int(record.came_forward.sum())
        assert recruits > 0
        base = len(record.journeys) - recruits
        bases.append(record.journeys.start_min[:base])
        # Recruits complain about the cause; each journey's contacts and posts stay its own.
        assert (record.journey_severity[base:] == cause).all()
        first = record.attempt == 0
        np.testing.assert_array_equal(
            np.sort(record.arrival_min[first]), np.sort(record.journeys.start_min)
        )
        np.testing.assert_array_equal(
            record.arrival_min[first][np.argsort(record.journey[first])], record.journeys.start_min
        )
    np.testing.assert_array_equal(bases[0], bases[1])
