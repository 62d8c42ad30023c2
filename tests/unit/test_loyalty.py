"""Churn on hand-made journeys: exact leave probabilities, and the draws against them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import exponential

from simcare.model.loyalty import (
    MOST_PEOPLE,
    bystander_churn,
    leave_probability,
    lifetime_value,
    silent_churn,
)
from simcare.model.records import JourneyEnd, Journeys
from simcare.model.replication import simulate
from simcare.scenario import (
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


def journeys(
    ends: list[int],
    *,
    anger: float | list[float] = 1.0,
    attempts: int | list[int] = 1,
    answered: int | list[int] = 1,
    follow_ups: int | list[int] = 0,
) -> Journeys:
    n = len(ends)

    def column(value: object, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), n).copy()

    return Journeys(
        start_min=np.zeros(n),
        end=np.asarray(ends, dtype=np.int8),
        end_min=np.zeros(n),
        anger=column(anger, float),
        attempts=column(attempts, np.int64),
        answered=column(answered, np.int64),
        escalations=np.zeros(n, dtype=np.int64),
        went_public=np.zeros(n, dtype=bool),
        follow_ups=column(follow_ups, np.int64),
    )


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


ALL_ENDS = list(E)
# TARP repurchase (small loss: 95 / 70 / 46; large: 82 / 54 / 19): leave = 1 − repurchase.
SMALL = [0.05, 0.30, 0.30, 0.54, 0.54, 0.54, 0.54, 0.54]
LARGE = [0.18, 0.46, 0.46, 0.81, 0.81, 0.81, 0.81, 0.81]


def test_lifetime_value_is_the_gupta_lehmann_multiple():
    # r = 0.8, i = 0.1: 0.8 / 0.3 = 2.67 × the annual value.
    assert lifetime_value(Segment("s", annual_value=100.0, loyalty=0.8), Churn()) == (
        pytest.approx(100 * 0.8 / 0.3)
    )
    assert lifetime_value(Segment("s", loyalty=0.0), Churn()) == 0.0


def test_leave_probability_follows_the_tarp_row_of_each_end():
    scenario = world()
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=0), SMALL)
    np.testing.assert_allclose(leave(scenario, ALL_ENDS, severity=1), LARGE)


def test_loyalty_scales_the_risk_against_the_reference():
    # Loyalty 0.9 halves the risk; 0.6 doubles it (0.54 × 2 is capped at 1).
    scenario = world((0.8, 0.9, 0.6))
    ends = [E.RESOLVED, E.UNRESOLVED] * 3
    p = leave(scenario, ends, segment=[0, 0, 1, 1, 2, 2])
    np.testing.assert_allclose(p, [0.30, 0.54, 0.15, 0.27, 0.60, 1.0])


def test_anger_raises_the_risk_and_never_makes_it_negative():
    p = leave(world(), [E.UNRESOLVED] * 3, anger=[3.0, 0.0, 1.0])
    np.testing.assert_allclose(p, [0.54 * 1.5, 0.54 * 0.75, 0.54])
    calm = world(churn_=Churn(anger_effect=2.0))
    np.testing.assert_allclose(leave(calm, [E.UNRESOLVED], anger=0.0), [0.0])


def test_the_recovery_paradox_applies_only_when_on_and_only_to_a_first_mild_quick_fix():
    ends = [E.RESOLVED_QUICKLY] * 3 + [E.RESOLVED]
    kwargs = {"attempts": [1, 2, 1, 1], "severity": [0, 0, 1, 0]}
    on = world(churn_=Churn(recovery_paradox=True, paradox_boost=0.02))
    # 0.95 × 1.02 = 0.969: risk 0.031; second attempt, severe, or not quick: no boost.
    np.testing.assert_allclose(leave(on, ends, **kwargs), [0.031, 0.05, 0.18, 0.30])
    big = world(churn_=Churn(recovery_paradox=True, paradox_boost=0.08))
    assert leave(big, ends, **kwargs)[0] == 0.0  # 0.95 × 1.08 capped at 1
    off = world(churn_=Churn(recovery_paradox=False, paradox_boost=0.08))
    np.testing.assert_allclose(leave(off, ends, **kwargs), [0.05, 0.05, 0.18, 0.30])


@pytest.mark.parametrize(
    "policy",
    [
        Policy("comp", compensation=Compensation(cost=5.0, satisfaction=0.5)),
        Policy("deep", depth=Depth(handle_factor=1.5, satisfaction=0.5)),
    ],
)
def test_compensation_and_depth_cut_the_risk_of_resolved_journeys_only(policy):
    expected = [value * (0.5 if end.resolved else 1.0) for value, end in zip(SMALL, E, strict=True)]
    np.testing.assert_allclose(leave(world(), ALL_ENDS, policy), expected)


def test_follow_up_cuts_the_risk_only_when_one_was_made():
    policy = Policy("follow", follow_up=FollowUp(60.0, exponential(5.0), satisfaction=0.25))
    ends = [E.RESOLVED, E.RESOLVED, E.UNRESOLVED]
    p = leave(world(), ends, policy, follow_ups=[1, 0, 1])
    np.testing.assert_allclose(p, [0.30 * 0.75, 0.30, 0.54])


def test_cross_selling_raises_the_risk_of_answered_journeys():
    policy = Policy("sell", cross_sell=CrossSell(extra_min=2.0, revenue=3.0, dissatisfaction=0.5))
    ends = [E.RESOLVED, E.UNRESOLVED, E.IGNORED, E.UNRESOLVED]
    p = leave(world(), ends, policy, answered=[1, 2, 0, 0])
    np.testing.assert_allclose(p, [0.45, 0.81, 0.54, 0.54])


def test_modifiers_multiply_and_the_result_is_capped():
    policy = Policy(
        "all",
        compensation=Compensation(cost=1.0, satisfaction=0.5),
        depth=Depth(handle_factor=1.2, satisfaction=0.2),
        follow_up=FollowUp(60.0, exponential(5.0), satisfaction=0.5),
        cross_sell=CrossSell(extra_min=1.0, revenue=1.0, dissatisfaction=3.0),
    )
    p = leave(world(), [E.RESOLVED, E.UNRESOLVED], policy, follow_ups=1)
    np.testing.assert_allclose(p, [0.30 * 0.5 * 0.8 * 0.5 * 4, 1.0])


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
    public, deleted = (
        simulate(scenario, 7, 0, policy).churn for policy in ("reply_public", "delete")
    )
    riskier = deleted.leave_probability >= public.leave_probability
    assert (deleted.left[riskier] >= public.left[riskier]).all()
    assert (public.left[~riskier] >= deleted.left[~riskier]).all()
    assert riskier.any()
    assert (~riskier).any()
    assert (deleted.left != public.left).any()


def test_silent_problems_leave_by_the_no_complaint_row():
    # Loyalty 0.8 (scale 1) and 0.9 (scale 0.5); small loss 1 − 0.37, large loss 1 − 0.09.
    scenario = world((0.8, 0.9))
    silent = np.array([[20_000, 20_000], [20_000, 0]])
    silent_left = silent_churn(silent, scenario, np.random.default_rng(2))
    expected = np.array([[0.63, 0.91], [0.315, 0.455]])
    assert silent_left.dtype == np.int64
    assert silent_left[1, 1] == 0
    for cell in ((0, 0), (0, 1), (1, 0)):
        p = expected[cell]
        share = silent_left[cell] / silent[cell]
        assert abs(share - p) < Z999 * math.sqrt(p * (1 - p) / silent[cell])


def test_bystanders_and_prospects_follow_the_impressions():
    scenario = world(
        customer_share=0.2, bystander_churn=0.002, prospect_share=0.3, prospect_deterred=0.005
    )
    params = scenario.word_of_mouth
    reached, left, prospects = bystander_churn(1e6 + 0.4, params, np.random.default_rng(0))
    assert reached == 200_000
    for count, trials, p in ((left, 200_000, 0.002), (prospects, 300_000, 0.005)):
        assert abs(count - trials * p) < Z999 * math.sqrt(trials * p * (1 - p))
    assert bystander_churn(0.0, params, np.random.default_rng(4)) == (0, 0, 0)


@pytest.mark.parametrize("impressions", [1e25, math.inf])
def test_bystanders_stop_at_more_people_than_exist(impressions: float) -> None:
    # Allowed extremes (huge audiences, amplification 100) can give impressions past what
    # numpy's binomial takes (2**63), or past float's range.
    params = world(customer_share=0.2, bystander_churn=0.5, prospect_share=0.3).word_of_mouth
    reached, left, prospects = bystander_churn(impressions, params, np.random.default_rng(1))
    assert reached == MOST_PEOPLE
    assert abs(left - MOST_PEOPLE / 2) < Z999 * math.sqrt(MOST_PEOPLE / 4)
    assert 0 <= prospects <= MOST_PEOPLE
    nobody = world(customer_share=0.0, prospect_share=0.0).word_of_mouth
    assert bystander_churn(impressions, nobody, np.random.default_rng(1)) == (0, 0, 0)
