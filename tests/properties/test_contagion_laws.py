"""Laws of contagion: it only ever adds the silent customers of the cause, as journeys of theirs.

Hypothesis draws how contagious the case is and the policy; each example runs the groundswell
case, cut short, with and without contagion on the same customers (common random numbers).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from simcare.core.errors import ScenarioError
from simcare.model.replication import simulate
from simcare.scenario import Contagion, Scenario
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import load_scenario, loads_scenario

_CASE = load_scenario("silence_and_the_groundswell")
SWELL = dataclasses.replace(_CASE, run=dataclasses.replace(_CASE.run, duration_min=4 * 1440.0))
CAUSE = list(SWELL.severities).index("score_drop")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    come_forward=st.floats(0.0, 1.0),
    affinity=st.floats(0.1, 1e6),
    policy=st.sampled_from(sorted(BUILTIN_POLICIES)),
    replication=st.integers(0, 3),
)
@example(come_forward=0.5, affinity=1000.0, policy="ignore", replication=0)  # 1,427 recruits
def test_contagion_adds_only_silent_customers_of_the_cause(
    come_forward: float, affinity: float, policy: str, replication: int
) -> None:
    on = dataclasses.replace(
        SWELL, contagion=Contagion("score_drop", come_forward=come_forward, affinity=affinity)
    )
    off = dataclasses.replace(SWELL, contagion=Contagion())
    with_it, without = simulate(on, 13, replication, policy), simulate(off, 13, replication, policy)
    recruits = int(with_it.came_forward.sum())
    base = len(without.journeys)
    # The customers who were there anyway, unchanged and first; then the recruits.
    assert len(with_it.journeys) == base + recruits
    np.testing.assert_array_equal(with_it.journeys.start_min[:base], without.journeys.start_min)
    assert (with_it.journey_severity[base:] == CAUSE).all()
    # Each recruit was a silent customer of the cause: never more than there were.
    assert with_it.silent[:, CAUSE].sum() + recruits == without.silent[:, CAUSE].sum()
    assert with_it.silent.min() >= 0
    assert (with_it.churn.silent_left <= with_it.silent).all()
    assert with_it.problems == without.problems
    assert len(with_it.journeys) <= sum(on.customer_base().values())


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('cause = "score_fall"', r"contagion\.cause: unknown severity 'score_fall'"),
        ("cause = 3", r"contagion\.cause"),
        ('cause = "score_drop"\ncome_forward = 1.5', r"contagion\.come_forward: expected a share"),
        ('cause = "score_drop"\naffinity = 0', r"contagion\.affinity"),
        ('cause = "score_drop"\nmemory = "-1d"', r"contagion\.memory"),
        ('cause = "score_drop"\ncome_froward = 0.1', r"did you mean 'come_forward'"),
    ],
)
def test_a_bad_contagion_table_names_the_key(table: str, expected: str) -> None:
    text = '[problems]\nrate = "10/h"\n[severities.score_drop]\n[channels.forum]\n'
    text += 'visibility = "public"\nmode = "async"\n[contagion]\n' + table + "\n"
    with pytest.raises(ScenarioError, match=expected):
        loads_scenario(text, "shop.toml")


def test_contagion_off_is_a_scenario_without_the_table() -> None:
    scenario: Scenario = loads_scenario('[problems]\nrate = "10/h"\n[channels.phone]\n', "a.toml")
    assert scenario.contagion == Contagion()
