"""Customers learn: the memory of complainants, and problems drawn from the customer base."""

from __future__ import annotations

import dataclasses

import numpy as np

from simcare.model.learning import HELPED, IGNORED, LEFT, NONE, Memory, learned_share
from simcare.model.problems import ProblemSource
from simcare.scenario import Learning
from simcare.scenario_file import load_scenario

WHEEL = load_scenario("squeaky_wheel")


def _memory(scenario=WHEEL) -> Memory:
    return Memory(scenario, np.random.default_rng(5))


def test_the_last_journey_counts_and_leaving_is_for_good() -> None:
    memory = _memory()
    memory._remember(np.array([7, 3, 7]), np.array([HELPED, IGNORED, IGNORED], dtype=np.uint8))
    assert memory.state_of(np.array([3, 7, 9])).tolist() == [IGNORED, IGNORED, NONE]
    memory._remember(np.array([3, 3]), np.array([LEFT, HELPED], dtype=np.uint8))
    memory._remember(np.array([3]), np.array([HELPED], dtype=np.uint8))
    assert memory.state_of(np.array([3])).tolist() == [LEFT]
    assert memory.ids.tolist() == [3, 7]  # sorted, one entry per customer who complained


def test_learned_share_keeps_never_and_always_and_moves_the_rest() -> None:
    share = np.array([0.0, 0.3, 1.0])
    assert learned_share(share, np.full(3, 1.0)).tolist() == share.tolist()
    doubled = learned_share(share, np.full(3, 2.0))
    assert doubled[0] == 0.0
    assert doubled[2] == 1.0
    assert 0.3 < doubled[1] < 1.0
    assert np.isclose(doubled[1] / (1 - doubled[1]), 2 * 0.3 / 0.7)


def test_customers_who_left_have_no_more_problems_and_the_volume_falls() -> None:
    def source(memory: Memory | None) -> ProblemSource:
        return ProblemSource(WHEEL, np.random.default_rng(1), np.random.default_rng(2), memory)

    memory = _memory()
    learning, plain = source(memory), source(None)
    first = learning.window(0.0, 1440.0 * 30)
    plain.window(0.0, 1440.0 * 30)
    assert first.customer is not None
    assert len(first.customer) == len(first)
    # Half the base leaves: their problems go, and fewer arise than without learning.
    gone = np.arange(0, 20000, 2)
    memory._remember(gone, np.full(len(gone), LEFT, dtype=np.uint8))
    later, later_plain = (
        learning.window(1440.0 * 30, 1440.0 * 60),
        plain.window(1440.0 * 30, 1440.0 * 60),
    )
    assert later.customer is not None
    assert not np.isin(later.customer, gone).any()
    assert later.problems < 0.6 * later_plain.problems


def test_a_helped_customer_complains_more_and_in_public() -> None:
    memory = _memory()
    segment = np.zeros(20000, dtype=np.int64)
    draw = np.random.default_rng(3).random(20000)
    share = np.full(20000, 0.3)
    email = np.zeros(20000, dtype=np.int64)
    _, _, complains, channel = memory.assign(segment, draw, share, email)
    memory._remember(np.arange(20000), np.full(20000, HELPED, dtype=np.uint8))
    _, _, learned, learned_channel = memory.assign(segment, draw, share, email)
    assert learned.sum() > 1.5 * complains.sum()
    assert (channel == 0).all()
    assert 0.5 < (learned_channel == 1).mean() < 0.7


def test_learning_off_leaves_the_problem_draws_alone() -> None:
    neutral = dataclasses.replace(
        WHEEL,
        learning=Learning(
            enabled=True, helped_complain_odds=1, helped_public_share=0, ignored_complain_odds=1
        ),
    )
    with_memory = ProblemSource(
        neutral, np.random.default_rng(1), np.random.default_rng(2), _memory(neutral)
    ).window(0.0, 1440.0)
    without = ProblemSource(neutral, np.random.default_rng(1), np.random.default_rng(2)).window(
        0.0, 1440.0
    )
    # Nobody remembers anything yet: the same complaints, now with their customers.
    np.testing.assert_array_equal(with_memory.time, without.time)
    np.testing.assert_array_equal(with_memory.channel, without.channel)
    assert without.customer is None
