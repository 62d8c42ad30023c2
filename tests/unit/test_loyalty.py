"""Churn on hand-made journeys: exact leave probabilities, and the draws against them."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import exponential

from simcare.model.journeys import FAILURE_OF_END
from simcare.model.loyalty import (
    MOST_PEOPLE,
    Heard,
    Reach,
    leave_probability,
    lifetime_value,
    people_reached,
    public_reach,
    silent_churn,
)
from simcare.model.records import JourneyEnd, Journeys
from simcare.model.replication import simulate
from simcare.scenario import (
    Behaviour,
    Channel,
    Churn,
    Loss,
    Problems,
    Scenario,
    Segment,
    Severity,
    WordOfMouth,
)
from simcare.scenario.policy import Compensation, CrossSell, Depth, FollowUp, Policy
from simcare.scenario_file import load_scenario

Z999 = 3.29  # two-sided 99.9% normal quantile
CASE = Path(__file__).resolve().parents[2] / "scenarios" / "loyal_fan_deleted_post.toml"
E = JourneyEnd
PLAIN = Policy("plain")


def world(
    loyalties: tuple[float, ...] = (0.8,), churn_: Churn | None = None, **wom: float
) -> Scenario:
    """Severities "mild" (small loss) then "severe" (large loss); one segment per loyalty."""
    return Scenario(
        name="loyalty",
        problems=Problems(1.0),
        channels={"phone": Channel("phone")},
        severities={
            "mild": Severity("mild", loss=Loss.SMALL),
            "severe": Severity("severe", loss=Loss.LARGE),
        },
        segments={f"s{i}": Segment(f"s{i}", loyalty=value) for i, value in enumerate(loyalties)},
        churn=churn_ or Churn(),
        word_of_mouth=WordOfMouth(**wom),
    )


EXPECTED = 2.0  # minutes a phone customer expects to wait (a private live channel)


def journeys(
    ends: list[int],
    *,
    anger: float | list[float] | None = None,
    attempts: int | list[int] = 1,
    answered: int | list[int] = 1,
    follow_ups: int | list[int] = 0,
    wait: float | list[float] = EXPECTED,
) -> Journeys:
    """Journeys starting at 0 on the phone, first answered after ``wait`` minutes (NaN: never)."""
    n = len(ends)

    def column(value: object, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), n).copy()

    waited = column(wait, float)
    return Journeys(
        start_min=np.zeros(n),
        end=np.asarray(ends, dtype=np.int8),
        end_min=np.where(np.isnan(waited), EXPECTED, waited),
        anger=column(first_anger(ends) if anger is None else anger, float),
        attempts=column(attempts, np.int64),
        answered=column(answered, np.int64),
        escalations=np.zeros(n, dtype=np.int64),
        went_public=np.zeros(n, dtype=bool),
        follow_ups=column(follow_ups, np.int64),
        channel=np.zeros(n, dtype=np.int16),
        first_response_min=waited,
        cause=np.zeros(n, dtype=np.int8),
    )


def first_anger(ends: list[int]) -> list[float]:
    """The anger of a one-contact journey that ended so: 1, plus the failure's step."""
    steps = Behaviour().anger_steps
    return [
        1.0 + (steps[FAILURE_OF_END[E(end)]] if E(end) in FAILURE_OF_END else 0.0) for end in ends
    ]


def leave(
    scenario: Scenario,
    ends: list[int],
    policy: Policy = PLAIN,
    *,
    segment: int | list[int] = 0,
    severity: int | list[int] = 0,
    **columns: object,
) -> np.ndarray:
    n = len(ends)
    return leave_probability(
        journeys(ends, **columns),
        np.broadcast_to(segment, n),
        np.broadcast_to(severity, n),
        scenario,
        policy,
    )


def odds(p: float) -> float:
    return p / (1 - p)


def probability(odds_: float) -> float:
    return odds_ / (1 + odds_)


ALL_ENDS = [end for end in E if end is not E.OPEN]
# TARP repurchase (small loss: 95 / 70 / 46; large: 82 / 54 / 19): leave = 1 − repurchase.
SMALL = [0.05, 0.30, 0.30, 0.54, 0.54, 0.54, 0.54]
LARGE = [0.18, 0.46, 0.46, 0.81, 0.81, 0.81, 0.81]


def test_lifetime_value_is_the_gupta_lehmann_multiple():
    # r = 0.8, i = 0.1: 0.8 / 0.3 = 2.67 × the annual value.
    assert lifetime_value(Segment("s", annual_value=100.0, loyalty=0.8), Churn()) == (
        pytest.approx(100 * 0.8 / 0.3)
    )
    assert lifetime_value(Segment("s", loyalty=0.0), Churn()) == 0.0


def test_the_reference_customer_leaves_by_the_tarp_row_of_each_end():
    # Loyalty at the reference, anger 1 and an answer as soon as expected: nothing scales.
    scenario = world()
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=0), SMALL)
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=1), LARGE)


def test_a_journey_still_open_is_no_churn_unless_counted_as_unresolved():
    assert leave(world(), [E.OPEN])[0] == 0.0
    counted = world(churn_=Churn(open_as_unresolved=True))
    np.testing.assert_allclose(leave(counted, [E.OPEN]), [0.54])


def test_follow_through_carries_out_a_share_of_stated_intentions_in_the_tarp_order():
    scenario = world(churn_=Churn(follow_through=0.4))
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=0), [0.4 * p for p in SMALL])
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=1), [0.4 * p for p in LARGE])
    silent = np.array([[40_000, 40_000]])
    left = silent_churn(silent, scenario, np.random.default_rng(3))[0]
    for cell, p in ((0, 0.4 * 0.63), (1, 0.4 * 0.91)):
        assert abs(left[cell] / silent[0, cell] - p) < Z999 * math.sqrt(p * (1 - p) / 40_000)


@pytest.mark.parametrize("share", [-0.1, 1.5, math.nan])
def test_follow_through_must_be_a_share(share: float) -> None:
    with pytest.raises(ValueError, match="follow_through"):
        Churn(follow_through=share)


def test_loyalty_scales_the_odds_against_the_reference():
    # Leaving a year: 0.2 at the reference (odds 1/4); 0.1 (odds 1/9); 0.4 (odds 2/3).
    scenario = world((0.8, 0.9, 0.6))
    ends = [E.RESOLVED, E.UNRESOLVED] * 3
    p = leave(scenario, ends, segment=[0, 0, 1, 1, 2, 2])
    expected = [
        probability(odds(base) * factor)
        for factor in (1.0, (1 / 9) / (1 / 4), (2 / 3) / (1 / 4))
        for base in (0.30, 0.54)
    ]
    np.testing.assert_allclose(p, expected)
    assert p.max() < 1.0  # no customer is certain to leave because of a multiplier


def test_anger_from_earlier_failures_scales_the_odds():
    # The row prices the first anger (1) and the last failure's step (unresolved: 1); failures
    # before it (anger above 2 here) raise the odds, e^(0.2 per unit).
    p = leave(world(), [E.UNRESOLVED] * 3, anger=[4.0, 2.0, 2.5])
    expected = [probability(odds(0.54) * math.exp(0.2 * (a - 2))) for a in (4.0, 2.0, 2.5)]
    np.testing.assert_allclose(p, expected)
    # A quick fix after two ignored contacts (anger 3) is no longer the row's own customer.
    fixed = leave(world(), [E.RESOLVED_QUICKLY], anger=3.0)
    np.testing.assert_allclose(fixed, [probability(odds(0.05) * math.exp(0.4))])


def test_waiting_longer_than_expected_raises_the_odds_and_shorter_lowers_them():
    # wait_effect 0.3 per log(1 + w / e), from w = e; waits past 10 e count as 10 e.
    waits = [0.0, EXPECTED, 4 * EXPECTED, 10 * EXPECTED, 1000 * EXPECTED, math.nan]
    p = leave(world(), [E.RESOLVED] * len(waits), wait=waits)
    ratios = [0.0, 1.0, 4.0, 10.0, 10.0, 10.0]  # never answered: the latest answer of all
    expected = [probability(odds(0.30) * ((1 + r) / 2) ** 0.3) for r in ratios]
    np.testing.assert_allclose(p, expected)


def test_the_recovery_paradox_applies_only_when_on_and_only_to_a_first_mild_quick_fix():
    ends = [E.RESOLVED_QUICKLY] * 3 + [E.RESOLVED]
    kwargs = {"attempts": [1, 2, 1, 1], "severity": [0, 0, 1, 0]}
    on = world(churn_=Churn(recovery_paradox=True, paradox_boost=0.02))
    # 0.95 × 1.02 = 0.969: risk 0.031; second attempt, severe, or not quick: no boost.
    np.testing.assert_allclose(leave(on, ends, **kwargs), [0.031, 0.05, 0.18, 0.30])
    big = world(churn_=Churn(recovery_paradox=True, paradox_boost=0.08))
    assert leave(big, ends, **kwargs)[0] < 1e-8  # 0.95 × 1.08 capped at 1: nobody leaves
    off = world(churn_=Churn(recovery_paradox=False, paradox_boost=0.08))
    np.testing.assert_allclose(leave(off, ends, **kwargs), [0.05, 0.05, 0.18, 0.30])


@pytest.mark.parametrize(
    "policy",
    [
        Policy("comp", compensation=Compensation(cost=5.0, satisfaction=0.5)),
        Policy("deep", depth=Depth(handle_factor=1.5, satisfaction=0.5)),
    ],
)
def test_compensation_and_depth_cut_the_odds_of_resolved_journeys_only(policy):
    expected = [
        probability(odds(value) * (0.5 if end.resolved else 1.0))
        for value, end in zip(SMALL, ALL_ENDS, strict=True)
    ]
    np.testing.assert_allclose(leave(world(), ALL_ENDS, policy), expected)


def test_follow_up_cuts_the_odds_only_when_one_was_made():
    policy = Policy("follow", follow_up=FollowUp(60.0, exponential(5.0), satisfaction=0.25))
    ends = [E.RESOLVED, E.RESOLVED, E.UNRESOLVED]
    p = leave(world(), ends, policy, follow_ups=[1, 0, 1])
    np.testing.assert_allclose(p, [probability(odds(0.30) * 0.75), 0.30, 0.54])


def test_cross_selling_raises_the_odds_of_answered_journeys():
    policy = Policy("sell", cross_sell=CrossSell(extra_min=2.0, revenue=3.0, dissatisfaction=0.5))
    ends = [E.RESOLVED, E.UNRESOLVED, E.IGNORED, E.UNRESOLVED]
    p = leave(world(), ends, policy, answered=[1, 2, 0, 0])
    expected = [probability(odds(0.30) * 1.5), probability(odds(0.54) * 1.5), 0.54, 0.54]
    np.testing.assert_allclose(p, expected)


def test_modifiers_multiply_the_odds_and_never_reach_certainty():
    policy = Policy(
        "all",
        compensation=Compensation(cost=1.0, satisfaction=0.5),
        depth=Depth(handle_factor=1.2, satisfaction=0.2),
        follow_up=FollowUp(60.0, exponential(5.0), satisfaction=0.5),
        cross_sell=CrossSell(extra_min=1.0, revenue=1.0, dissatisfaction=3.0),
    )
    p = leave(world(), [E.RESOLVED, E.UNRESOLVED], policy, follow_ups=1)
    expected = [probability(odds(0.30) * 0.5 * 0.8 * 0.5 * 4), probability(odds(0.54) * 4)]
    np.testing.assert_allclose(p, expected)
    assert p.max() < 1.0
    keeps_all = Policy("keep", compensation=Compensation(cost=1.0, satisfaction=1.0))
    assert leave(world(), [E.RESOLVED], keeps_all, anger=1e300)[0] == 0.0


def test_the_share_who_leave_matches_the_probability_in_a_run():
    # Each complainant leaves with their own probability: over a run, the leavers' count is a
    # sum of Bernoullis, within 3.29 sd of the sum of the probabilities.
    record = simulate(load_scenario(CASE), 5, 0, "reply_public")
    p = record.churn.leave_probability
    assert 0.05 < p.mean() < 0.95
    assert len(p) > 2000
    left = record.churn.left
    assert abs(left.sum() - p.sum()) < Z999 * math.sqrt((p * (1 - p)).sum())
    assert not left[p == 0].any()
    assert left[p == 1].all()


def test_a_riskier_journey_never_has_fewer_leavers_under_another_policy():
    # The uniform a complainant's churn is drawn with belongs to the customer, so whichever
    # policy gives them a higher probability of leaving also has them leave whenever the
    # other does (common random numbers).
    scenario = load_scenario(CASE)
    records = [simulate(scenario, 7, 0, policy) for policy in ("reply_public", "delete")]
    # The customers who complain anyway, listed before contagion's recruits (who may differ).
    n = min(len(r.journeys) - int(r.came_forward.sum()) for r in records)
    public, deleted = (
        dataclasses.replace(
            r.churn, leave_probability=r.churn.leave_probability[:n], left=r.churn.left[:n]
        )
        for r in records
    )
    riskier = deleted.leave_probability >= public.leave_probability
    assert (deleted.left[riskier] >= public.left[riskier]).all()
    assert (public.left[~riskier] >= deleted.left[~riskier]).all()
    assert riskier.any()
    assert (~riskier).any()
    assert (deleted.left != public.left).any()


def test_silent_problems_leave_by_the_no_complaint_row():
    # Small loss 1 − 0.37, large loss 1 − 0.09; loyalty 0.9 scales the odds by 4/9.
    scenario = world((0.8, 0.9))
    silent = np.array([[20_000, 20_000], [20_000, 0]])
    silent_left = silent_churn(silent, scenario, np.random.default_rng(2))
    expected = np.array(
        [[0.63, 0.91], [probability(odds(0.63) * 4 / 9), probability(odds(0.91) * 4 / 9)]]
    )
    assert silent_left.dtype == np.int64
    assert silent_left[1, 1] == 0
    for cell in ((0, 0), (0, 1), (1, 0)):
        p = expected[cell]
        share = silent_left[cell] / silent[cell]
        assert abs(share - p) < Z999 * math.sqrt(p * (1 - p) / silent[cell])


def heard(negative: float, positive: float = 0.0, told_bad: float = 0.0, told_good: float = 0.0):
    return Heard(negative, positive, told_bad, told_good)


def test_people_reached_saturate_at_the_pool():
    assert people_reached(1000.0, 0.0) == 0.0
    assert people_reached(0.0, 1e9) == 0.0
    assert people_reached(1000.0, 10.0) == pytest.approx(1000 * (1 - math.exp(-0.01)))
    assert people_reached(1000.0, math.inf) == 1000.0
    views = np.geomspace(1, 1e12, 50)
    reached = [people_reached(5e5, v) for v in views]
    assert all(b >= a for a, b in itertools.pairwise(reached))
    assert all(r <= min(v, 5e5) for r, v in zip(reached, views, strict=True))


def test_bystanders_are_drawn_from_customers_without_a_problem():
    scenario = world(customer_share=0.2, bystander_churn=0.002)
    customers, problems = 1_000_000.0, 100_000
    reach = public_reach(heard(1e6), customers, problems, scenario, np.random.default_rng(0))
    pool = customers - problems
    assert reach.bystanders_reached == round(pool * (1 - math.exp(-2e5 / pool)))
    trials, p = reach.bystanders_reached, 0.002
    assert abs(reach.bystanders_left - trials * p) < Z999 * math.sqrt(trials * p * (1 - p))


def test_a_good_answer_in_view_steadies_the_customers_who_see_it():
    scenario = world(customer_share=0.5, bystander_churn=0.01, good_answer_steadies=0.5)
    rng = np.random.default_rng(3)
    reach = public_reach(heard(5e5, 5e5), 1e7, 0, scenario, rng)
    trials, p = reach.bystanders_reached, 0.01 * (1 - 0.5 * 0.5)
    assert abs(reach.bystanders_left - trials * p) < Z999 * math.sqrt(trials * p * (1 - p))


def test_prospects_hear_bad_and_good_things_within_their_pool():
    scenario = world(prospect_share=0.3, prospects=1e6, prospect_deterred=0.01, prospect_won=0.02)
    rng = np.random.default_rng(5)
    reach = public_reach(heard(3e5, 1e5, 1e5, 2e5), 1e6, 0, scenario, rng)
    seen = 1e6 * (1 - math.exp(-1.2e5 / 1e6))
    bad, good = seen * 0.75 + 3e4, seen * 0.25 + 6e4
    for count, trials, p in ((reach.prospects_lost, bad, 0.01), (reach.prospects_won, good, 0.02)):
        assert abs(count - trials * p) < Z999 * math.sqrt(trials * p * (1 - p))


@pytest.mark.parametrize("impressions", [1e25, math.inf])
def test_nobody_is_reached_twice_however_many_views(impressions: float) -> None:
    scenario = world(customer_share=0.2, bystander_churn=0.5, prospect_share=0.3, prospects=1e9)
    reach = public_reach(
        heard(impressions, 0, impressions), 1e9, 10, scenario, np.random.default_rng(1)
    )
    assert reach.bystanders_reached == 1e9 - 10
    assert abs(reach.bystanders_left - (1e9 - 10) / 2) < Z999 * math.sqrt(1e9 / 4)
    assert 0 <= reach.prospects_lost <= 1e9
    nobody = world(customer_share=0.0, prospect_share=0.0)
    assert public_reach(heard(impressions), 1e9, 0, nobody, np.random.default_rng(1)) == Reach(
        0, 0, 0, 0
    )
    assert MOST_PEOPLE >= 1e9
