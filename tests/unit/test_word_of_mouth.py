"""Word of mouth on hand-made journeys and posts: exact impressions, samplers and laws."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

from simcare.model.records import JourneyEnd, Journeys, Posts, Spread
from simcare.model.word_of_mouth import (
    MAX_CASCADE,
    _walk,
    borel_tanner_quantile,
    draw_mouth,
    poisson_quantile,
    silent_told,
    spread,
)
from simcare.scenario import WordOfMouth

INF = math.inf
Z999 = 3.29  # two-sided 99.9% normal quantile
Z99 = 2.576

# Only the followers and the channel's own audience: every impression is a simple product.
PLAIN = WordOfMouth(reshare_share=0.0, pile_on_per_min=0.0, reply_lift=1.5, deletion_seen=0.0)
SILENCE = WordOfMouth(
    told_negative=(0.0, 0.0),
    told_positive=(0.0, 0.0),
    follower_reach=0.0,
    reshare_share=0.0,
    pile_on_per_min=0.0,
)


def journeys(ends: list[int]) -> Journeys:
    n = len(ends)
    zeros = np.zeros(n, dtype=np.int64)
    return Journeys(
        start_min=np.zeros(n),
        end=np.asarray(ends, dtype=np.int8),
        end_min=np.zeros(n),
        anger=np.ones(n),
        attempts=np.ones(n, dtype=np.int64),
        answered=zeros,
        escalations=zeros,
        went_public=np.zeros(n, dtype=bool),
        follow_ups=zeros,
        channel=zeros,
        first_response_min=np.full(n, np.nan),
        cause=zeros,
    )


def posts(n: int = 1, **columns: object) -> Posts:
    """``n`` posts, one per journey (attempt 0), on channel 0, with no answer, lift or removal."""
    values = {
        "journey": np.arange(n),
        "attempt": np.zeros(n, dtype=np.int64),
        "channel": np.zeros(n, dtype=np.int64),
        "followers": np.zeros(n),
        "posted_min": np.zeros(n),
        "removed_min": np.full(n, INF),
        "good_answer_min": np.full(n, INF),
        "lift_min": np.full(n, INF),
        "amplification": np.ones(n),
    }
    for key, value in columns.items():
        values[key] = np.broadcast_to(np.asarray(value, dtype=values[key].dtype), n).copy()
    return Posts(**values)


def run(
    post: Posts,
    params: WordOfMouth = PLAIN,
    *,
    ends: list[int] | None = None,
    audience: float | list[float] = 2.0,
    end_min: float = 1000.0,
    seed: int = 0,
    factor: float = 1.0,
) -> Spread:
    n_journeys = int(post.journey.max()) + 1 if len(post) else 1
    rows = journeys(ends if ends is not None else [JourneyEnd.OPEN] * n_journeys)
    draws = draw_mouth(np.random.default_rng(seed), len(rows), 4, params.told_shape)
    return spread(
        rows,
        post,
        draws,
        np.atleast_1d(np.asarray(audience, dtype=float)),
        params,
        end_min,
        told_positive_factor=factor,
    )


# --- public impressions, exact -------------------------------------------------------------


def test_followers_see_the_post_in_its_first_hour():
    # 100 followers, reach 0.3: half of them in 30 min of visibility, all of them after an hour.
    short = run(posts(followers=100, removed_min=30.0), audience=0.0)
    long = run(posts(followers=100, removed_min=120.0), audience=0.0)
    assert short.negative_impressions[0] == pytest.approx(15.0)
    assert long.negative_impressions[0] == pytest.approx(30.0)
    assert long.positive_impressions[0] == 0.0


def test_a_good_answer_turns_the_audience_positive():
    # Posted at 10, answered at 40, visible until the run ends at 100, 2 viewers a minute.
    result = run(posts(posted_min=10.0, good_answer_min=40.0), end_min=100.0)
    assert result.negative_impressions[0] == pytest.approx(2 * 30)
    assert result.positive_impressions[0] == pytest.approx(2 * 60)


def test_a_public_reply_draws_extra_viewers_to_the_complaint():
    # Lift at 70 (reply_lift 1.5): from then on half as many viewers again see the complaint,
    # and count as negative even though the answer (at 40) is good (the cost of replying in
    # public); the usual audience after the answer is positive.
    late = run(posts(posted_min=10.0, good_answer_min=40.0, lift_min=70.0), end_min=100.0)
    assert late.negative_impressions[0] == pytest.approx(2 * 30 + 2 * 0.5 * 30)
    assert late.positive_impressions[0] == pytest.approx(2 * 60)
    # Lift at 20, before the answer: the extra viewers from 20 to the end.
    early = run(posts(posted_min=10.0, good_answer_min=40.0, lift_min=20.0), end_min=100.0)
    assert early.negative_impressions[0] == pytest.approx(2 * 30 + 2 * 0.5 * 80)
    assert early.positive_impressions[0] == pytest.approx(2 * 60)


def test_deletion_cuts_visibility():
    result = run(posts(posted_min=10.0, removed_min=50.0, good_answer_min=70.0), end_min=100.0)
    assert result.negative_impressions[0] == pytest.approx(2 * 40)
    assert result.positive_impressions[0] == 0.0


def test_the_attention_window_and_the_run_end_cut_visibility():
    attention = run(posts(posted_min=10.0), replace(PLAIN, attention_min=30.0), end_min=100.0)
    assert attention.negative_impressions[0] == pytest.approx(2 * 30)
    ended = run(posts(posted_min=10.0), end_min=25.0)
    assert ended.negative_impressions[0] == pytest.approx(2 * 15)
    after_end = run(posts(posted_min=110.0, followers=100), end_min=100.0)
    assert after_end.negative_impressions[0] == 0.0


def test_amplification_multiplies_the_authors_network_not_the_channels_audience():
    kwargs = {"followers": 100, "posted_min": 10.0, "good_answer_min": 40.0, "lift_min": 70.0}
    plain = run(posts(**kwargs), end_min=100.0)
    amplified = run(posts(amplification=3.0, **kwargs), end_min=100.0)
    # followers 100 × 0.3 × 3; the audience 2 × 30 unanswered and the lift 2 × 0.5 × 30 as is
    assert amplified.negative_impressions[0] == pytest.approx(3 * 30 + 2 * 30 + 2 * 0.5 * 30)
    assert amplified.positive_impressions[0] == pytest.approx(plain.positive_impressions[0])


def test_viewers_who_see_a_post_vanish_count_twice():
    # Deleted at 50 while it still drew views: its 80 views count 1.3 times; a post that had
    # stopped drawing views (attention 30 min) before it was deleted is not noticed.
    seen = replace(PLAIN, deletion_seen=0.3)
    deleted = run(posts(posted_min=10.0, removed_min=50.0), seen, end_min=100.0)
    assert deleted.negative_impressions[0] == pytest.approx(1.3 * 2 * 40)
    late = run(posts(posted_min=10.0, removed_min=50.0), replace(seen, attention_min=30.0))
    assert late.negative_impressions[0] == pytest.approx(2 * 30)


def test_each_post_uses_its_channels_audience():
    result = run(posts(2, channel=[0, 1]), audience=[1.0, 5.0], end_min=100.0)
    np.testing.assert_allclose(result.negative_impressions, [100.0, 500.0])


def test_pile_ons_add_comments_while_the_post_is_unanswered():
    # 0.5 comments a minute for 30 unanswered minutes is 15 on average; each brings 19 viewers.
    params = replace(PLAIN, pile_on_per_min=0.5, follower_reach=0.0)
    result = run(posts(400, good_answer_min=30.0), params, audience=0.0)
    assert result.negative_impressions == pytest.approx(result.pile_ons * 19.0)
    se = math.sqrt(15 / 400)
    assert abs(result.pile_ons.mean() - 15) < Z999 * se


def test_reshares_bring_negative_impressions():
    params = replace(PLAIN, reshare_share=0.5, follower_reach=0.0)
    result = run(posts(2000, removed_min=60.0), params, audience=0.0)
    assert (result.reshares > 0).any()
    assert ((result.negative_impressions > 0) == (result.reshares > 0)).all()
    # First hop: P(R1 > 0) = 1 − (1 − 0.5)^1.4 = 0.621; a cascade has at least its roots.
    share = (result.reshares > 0).mean()
    expected = 1 - 0.5**1.4
    assert abs(share - expected) < Z999 * math.sqrt(expected * (1 - expected) / 2000)
    assert result.positive_impressions.sum() == 0.0


# --- laws with a fixed seed ----------------------------------------------------------------


def test_zero_parameters_give_zero_word_of_mouth():
    ends = [JourneyEnd.RESOLVED, JourneyEnd.OPEN, JourneyEnd.DELETED] * 10
    many = posts(30, followers=1000, good_answer_min=20.0, lift_min=10.0, amplification=5.0)
    result = run(many, SILENCE, ends=ends, audience=0.0)
    assert result.negative_impressions.sum() == 0.0
    assert result.positive_impressions.sum() == 0.0
    assert result.reshares.sum() == 0
    assert result.pile_ons.sum() == 0
    assert result.told_negative.sum() == 0
    assert result.told_positive.sum() == 0
    assert silent_told(np.array([[500, 7]]), SILENCE, np.random.default_rng(0)) == 0


def test_impressions_never_fall_when_a_post_stays_up_longer():
    params = replace(WordOfMouth(), reshare_share=0.3, pile_on_per_min=0.02)
    n = 3000
    posted = np.linspace(0.0, 500.0, n)
    removed = posted + np.linspace(5.0, 200.0, n)
    kwargs = {"followers": 50, "posted_min": posted, "good_answer_min": posted + 100.0}
    early = run(posts(n, removed_min=removed, **kwargs), params, seed=7)
    later = run(posts(n, removed_min=removed + 30.0, **kwargs), params, seed=7)
    assert (later.negative_impressions >= early.negative_impressions).all()
    assert (later.positive_impressions >= early.positive_impressions).all()
    assert (later.reshares >= early.reshares).all()
    assert (later.pile_ons >= early.pile_ons).all()
    # Not vacuous: some cascades and comments grew.
    assert early.reshares.sum() > 0
    assert later.reshares.sum() > early.reshares.sum()
    assert later.pile_ons.sum() > early.pile_ons.sum()


def test_a_posts_draws_belong_to_its_journey_and_attempt():
    # Dropping some posts (another policy) leaves the other posts' impressions unchanged.
    params = replace(WordOfMouth(), reshare_share=0.5, pile_on_per_min=0.05)
    n = 200
    every = posts(n, followers=30, removed_min=90.0)
    result = run(every, params, seed=3)
    keep = np.arange(n) % 3 == 0
    some = Posts(*(getattr(every, field.name)[keep] for field in fields(Posts)))
    subset = run(some, params, ends=[JourneyEnd.OPEN] * n, seed=3)
    np.testing.assert_array_equal(subset.negative_impressions, result.negative_impressions[keep])
    np.testing.assert_array_equal(subset.reshares, result.reshares[keep])
    assert result.reshares[keep].sum() > 0


# --- the samplers --------------------------------------------------------------------------


def test_poisson_quantile_steps_at_the_cdf():
    # P(X = 0) = e^-2 = 0.1353; P(X <= 1) = 3 e^-2 = 0.4060.
    u = np.array([0.0, 0.135, 0.136, 0.405, 0.407])
    np.testing.assert_array_equal(poisson_quantile(np.full(5, 2.0), u), [0, 0, 1, 1, 2])
    assert poisson_quantile(np.array([0.0]), np.array([0.999]))[0] == 0
    assert poisson_quantile(np.array([INF]), np.array([0.1]), cap=7)[0] == 7
    assert poisson_quantile(np.array([50.0]), np.array([0.9999]), cap=7)[0] == 7


def test_poisson_quantile_handles_large_means_and_is_monotone():
    # The median of Poisson(2000) is 2000 (median ≈ λ + 1/3 − 0.02/λ, rounded down).
    assert poisson_quantile(np.array([2000.0]), np.array([0.5]))[0] == 2000
    u = np.random.default_rng(1).random(50_000)
    draws = poisson_quantile(np.full(u.size, 4.0), u)
    assert abs(draws.mean() - 4.0) < Z999 * math.sqrt(4.0 / u.size)
    means = np.linspace(0.0, 30.0, 301)
    for value in (0.01, 0.5, 0.99):
        assert (np.diff(poisson_quantile(means, np.full(means.size, value))) >= 0).all()


def walked_quantile(mean: np.ndarray, u: np.ndarray, cap: int = 10**9) -> np.ndarray:
    """`poisson_quantile` by the walk k = 0, 1, 2, ... alone, whatever the mean."""
    out = np.zeros(mean.size, dtype=np.int64)
    _walk(out, np.flatnonzero(mean > 0), mean, u, cap)
    return out


@pytest.mark.parametrize("mean", [100.5, 150.0, 1_000.0, 2_880.0, 10_000.0])
def test_large_means_give_the_walks_counts(mean: float) -> None:
    # Above _WALK_MEAN the quantile is Cornish-Fisher's, or a sum near the mean where that
    # could round the wrong way: the same counts as the walk (measured: none differs in 2.1
    # million draws from 100 to 50,000). Far in the upper tail the walk's own sum drifts (at
    # a mean of 10,000 and u = 1 - 1e-9 it stops 5 short of 10,600, the quantile), so the
    # extreme uniforms compared are the lower ones.
    rng = np.random.default_rng(int(mean))
    means = mean * rng.uniform(0.999, 1.001, 40_000)
    u = rng.random(means.size)
    u[:3] = [2.0**-53, 1e-9, 0.5]
    np.testing.assert_array_equal(poisson_quantile(means, u), walked_quantile(means, u))


def test_large_means_respect_the_cap() -> None:
    u = np.random.default_rng(2).random(500)
    means = np.full(u.size, 2_000.0)
    for cap in (150, 2_050):
        np.testing.assert_array_equal(
            poisson_quantile(means, u, cap), walked_quantile(means, u, cap)
        )
    assert poisson_quantile(means, u, 150).max() == 150


@pytest.mark.parametrize("roots", [1, 3])
def test_borel_tanner_puts_e_to_the_minus_bk_on_no_further_reshares(roots):
    b = 0.3
    p_k = math.exp(-b * roots)
    p_next = roots / (roots + 1) * math.exp(-b * (roots + 1)) * b * (roots + 1)
    u = np.array([p_k - 1e-9, p_k + 1e-9, p_k + p_next - 1e-9, p_k + p_next + 1e-9])
    draws = borel_tanner_quantile(np.full(4, roots), b, u)
    np.testing.assert_array_equal(draws, [roots, roots + 1, roots + 1, roots + 2])


@pytest.mark.parametrize("roots", [1, 3])
def test_borel_tanner_mean_is_k_over_one_minus_b(roots):
    b = 0.3
    u = np.random.default_rng(roots).random(100_000)
    draws = borel_tanner_quantile(np.full(u.size, roots), b, u)
    variance = roots * b / (1 - b) ** 3
    assert abs(draws.mean() - roots / (1 - b)) < Z999 * math.sqrt(variance / u.size)
    share_k = (draws == roots).mean()
    p_k = math.exp(-b * roots)
    assert abs(share_k - p_k) < Z999 * math.sqrt(p_k * (1 - p_k) / u.size)


def test_borel_tanner_edge_cases():
    u = np.array([0.5, 0.5, 0.99, 0.5])
    roots = np.array([0, 2, 2, MAX_CASCADE + 5])
    np.testing.assert_array_equal(borel_tanner_quantile(roots, 0.0, u), [0, 2, 2, MAX_CASCADE])
    capped = borel_tanner_quantile(np.array([1]), 0.999, np.array([0.999999]))
    assert capped[0] == MAX_CASCADE
    many = np.arange(0, 20)
    assert (np.diff(borel_tanner_quantile(many, 0.3, np.full(20, 0.7))) >= 0).all()


# --- private word of mouth -----------------------------------------------------------------


def nb_tail(shape: float, mean: float, above: int) -> float:
    p = mean / (shape + mean)
    log_terms = (
        math.lgamma(x + shape) - math.lgamma(shape) - math.lgamma(x + 1) for x in range(above + 1)
    )
    return 1 - sum(math.exp(t) * p**x * (1 - p) ** shape for x, t in enumerate(log_terms))


def test_told_negative_is_negative_binomial_with_a_heavy_tail():
    n = 20_000
    params = replace(SILENCE, told_negative=(13.0, 13.0), told_shape=3.0)
    told = run(posts(0), params, ends=[JourneyEnd.UNRESOLVED] * n).told_negative
    variance = 13 + 13**2 / 3
    assert abs(told.mean() - 13) < Z99 * math.sqrt(variance / n)
    # Shape 3, mean 13: P(X > 20) = 16.7% exactly (measured here at 16.7% too), not the 13% of
    # the folklore figure; shape ≈ 5.4 would give 13%.
    tail = nb_tail(3.0, 13.0, 20)
    assert tail == pytest.approx(0.1668, abs=1e-4)
    share = (told > 20).mean()
    assert abs(share - tail) < Z99 * math.sqrt(tail * (1 - tail) / n)


def test_happy_customers_tell_positive_and_unhappy_ones_negative():
    ends = [JourneyEnd.RESOLVED_QUICKLY, JourneyEnd.RESOLVED] * 2000 + [
        JourneyEnd.INTRUDED,
        JourneyEnd.UNRESOLVED,
        JourneyEnd.WAITED,
        JourneyEnd.IGNORED,
        JourneyEnd.DELETED,
        JourneyEnd.OPEN,
    ] * 1000
    params = replace(SILENCE, told_negative=(10.0, 16.0), told_positive=(5.0, 9.0))
    result = run(posts(0), params, ends=ends, factor=2.0)
    happy = np.arange(len(ends)) < 4000
    assert (result.told_negative[happy] == 0).all()
    assert (result.told_positive[~happy] == 0).all()
    # Mean 13 for the unhappy; 7 × 2 = 14 for the happy; variance m + E[m²]/3 + Var(m).
    for told, mean, half_range in (
        (result.told_negative[~happy], 13.0, 3.0),
        (result.told_positive[happy], 14.0, 4.0),
    ):
        variance = mean + (mean**2 + half_range**2 / 3) / 3 + half_range**2 / 3
        assert abs(told.mean() - mean) < Z999 * math.sqrt(variance / told.size)
    no_factor = run(posts(0), params, ends=ends, factor=0.0)
    assert no_factor.told_positive.sum() == 0
    assert no_factor.told_negative.sum() > 0


def test_silent_problems_tell_as_many_as_customers_with_the_midpoint_mean():
    # One cell of 3 silent problems, mean 13 each: NB(9, 39), variance 39 + 39²/9 = 208.
    params = replace(SILENCE, told_negative=(10.0, 16.0), told_shape=3.0)
    totals = [
        silent_told(np.array([[3, 0], [0, 0]]), params, np.random.default_rng(seed))
        for seed in range(2000)
    ]
    assert abs(np.mean(totals) - 39) < Z999 * math.sqrt(208 / 2000)
    assert np.var(totals) == pytest.approx(208, rel=0.12)
