"""Laws of customers who learn: problems come from the base, and who left has no more.

Hypothesis draws how strongly customers learn, the policy and the replication; each example
runs a small version of the squeaky-wheel case (a short year, a small base) and watches every
window of problems as it arises.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcare.core.errors import ScenarioError
from simcare.core.randomness import make_streams
from simcare.metrics.tally import outcomes
from simcare.model.problems import ArrivalBatch
from simcare.model.replication import Replication, simulate
from simcare.scenario import Learning
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import load_scenario, loads_scenario

_CASE = load_scenario("squeaky_wheel")
SHORT = dataclasses.replace(_CASE, run=dataclasses.replace(_CASE.run, duration_min=60 * 1440.0))
BASE = 300  # against 1,800 problems expected: each customer has several
SMALL = dataclasses.replace(
    SHORT,
    segments={
        name: dataclasses.replace(segment, customers=float(BASE))
        for name, segment in SHORT.segments.items()
    },
)
POLICIES = sorted({*BUILTIN_POLICIES, *SMALL.policies} - {"delete", "approach_in_store"})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    helped=st.floats(0.1, 50.0),
    ignored=st.floats(0.1, 50.0),
    public=st.floats(0.0, 1.0),
    policy=st.sampled_from(POLICIES),
    replication=st.integers(0, 3),
)
def test_problems_come_from_the_base_and_who_left_has_no_more(
    helped: float, ignored: float, public: float, policy: str, replication: int
) -> None:
    scenario = dataclasses.replace(
        SMALL,
        learning=Learning(
            enabled=True,
            helped_complain_odds=helped,
            helped_public_share=public,
            ignored_complain_odds=ignored,
            ignored_open_share=public,
        ),
    )
    run = Replication(scenario, make_streams(17, replication), policy=policy)
    memory = run.learning
    assert memory is not None
    window = run.source.window
    complainants: set[int] = set()

    def watched(start: float, end: float) -> ArrivalBatch:
        left = memory.left()
        batch = window(start, end)
        assert batch.customer is not None
        # Who has left has no more problems, and every complainant is one of the base.
        assert not np.isin(batch.customer, left).any()
        assert ((batch.customer >= 0) & (batch.customer < BASE)).all()
        complainants.update(batch.customer.tolist())
        return batch

    run.source.window = watched  # type: ignore[method-assign]
    record = run.run()
    assert len(complainants) <= BASE
    assert memory.customers_remembered() <= BASE
    assert len(memory.left()) <= int(record.churn.left.sum())
    assert len(memory.left()) > 0  # the law was tested against customers who had left


def test_learning_off_is_the_model_without_it() -> None:
    """Off, the other sizes do nothing: the same outcomes, number for number."""
    off = dataclasses.replace(SHORT, learning=Learning())
    tuned = dataclasses.replace(SHORT, learning=Learning(helped_complain_odds=9.0))
    for policy in ("ignore", "answer_every_tweet"):
        first = outcomes(simulate(off, 3, 0, policy), off)
        second = outcomes(simulate(tuned, 3, 0, policy), tuned)
        assert first == second
        assert ("public_complaints_per_customer", "all") not in first


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("enabled = 1", r"learning\.enabled"),
        ("helped_complain_odds = 0", r"learning\.helped_complain_odds"),
        ("helped_public_share = 1.5", r"learning\.helped_public_share: expected a share"),
        ("ignored_complain_odds = -1", r"learning\.ignored_complain_odds"),
        ("ignored_open_share = -0.1", r"learning\.ignored_open_share"),
        ("enabeld = true", r"did you mean 'enabled'"),
    ],
)
def test_a_bad_learning_table_names_the_key(table: str, expected: str) -> None:
    text = '[problems]\nrate = "10/h"\n[channels.twitter]\nvisibility = "public"\n'
    text += 'mode = "async"\n[learning]\n' + table + "\n"
    with pytest.raises(ScenarioError, match=expected):
        loads_scenario(text, "telecom.toml")
