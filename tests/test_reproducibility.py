"""Same seed, same numbers; new replication, new draws; same customers whatever the staffing."""

from __future__ import annotations

import dataclasses

import numpy as np
from conftest import always, exponential, one_line

from simcare.core.randomness import STREAMS, make_streams
from simcare.experiments.replicate import run_replications
from simcare.model.replication import simulate
from simcare.scenario_file import load_scenario

CUSTOMER_COLUMNS = ("arrival_min", "channel", "segment", "severity", "followers", "deadline_min")


def test_same_seed_gives_identical_records():
    scenario = load_scenario("textbook_contact_centre")
    first, second = simulate(scenario, 7, 3), simulate(scenario, 7, 3)
    for field in dataclasses.fields(first):
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


def test_another_replication_or_seed_draws_other_customers():
    scenario = load_scenario("textbook_contact_centre")
    base = simulate(scenario, 7, 0).arrival_min
    for other in (simulate(scenario, 7, 1), simulate(scenario, 8, 0)):
        assert not np.array_equal(base[:100], other.arrival_min[:100])


def test_streams_are_independent_per_purpose():
    streams = make_streams(1, 0)
    assert set(streams) == set(STREAMS)
    firsts = {name: rng.random() for name, rng in streams.items()}
    assert len(set(firsts.values())) == len(STREAMS)


def test_staffing_does_not_change_the_customers():
    """Common random numbers: a staffing or patience change meets the very same customers."""
    lean = one_line(rate_per_min=2.0, agents=3, patience=exponential(5.0), duration_min=2000.0)
    rich = dataclasses.replace(
        lean, teams={"agents": dataclasses.replace(lean.teams["agents"], shifts=always(9))}
    )
    a, b = simulate(lean, 11), simulate(rich, 11)
    for column in CUSTOMER_COLUMNS:
        np.testing.assert_array_equal(getattr(a, column), getattr(b, column))
    assert a.abandoned.sum() > b.abandoned.sum()  # and the policy difference shows


def test_replications_are_the_same_run_alone_or_in_a_batch():
    scenario = load_scenario("textbook_contact_centre")
    batch = run_replications(scenario, replications=3, seed=5)
    alone = run_replications(scenario, replications=1, seed=5)
    assert batch.per_replication[0] == alone.per_replication[0]
