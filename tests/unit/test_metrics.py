"""Outcome arithmetic on hand-made records, and the interval helpers against brute force."""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest
from conftest import ScriptedSource, constant, one_line
from hypothesis import example, given
from hypothesis import strategies as st

from simcare.core.randomness import make_streams
from simcare.metrics.binning import amount_in_bins, integral_of_count
from simcare.metrics.series import hourly_series
from simcare.metrics.tally import outcomes
from simcare.model.records import JourneyEnd, Posts, RunRecord
from simcare.model.replication import Replication, simulate
from simcare.scenario_file import load_scenario

INF = math.inf


@given(
    st.lists(st.tuples(st.floats(0, 100), st.floats(0, 50)), max_size=30),
    st.lists(st.floats(-10, 200), min_size=1, max_size=10),
)
def test_integral_of_count_matches_brute_force(intervals, points):
    starts = np.array([s for s, _ in intervals], dtype=float)
    ends = np.array([s + length for s, length in intervals], dtype=float)
    at = np.array(points)
    expected = [sum(max(0.0, min(x, e) - s) for s, e in zip(starts, ends, strict=True)) for x in at]
    np.testing.assert_allclose(integral_of_count(starts, ends, at), expected, atol=1e-9)


def scripted_outcomes(drain_min: float = 0.0):
    # One agent, 10-minute calls, target 1 minute; run 0..100 min, then the drain.
    scenario = one_line(handle=constant(10.0), duration_min=100.0, target_min=1.0)
    scenario = replace(scenario, run=replace(scenario.run, drain_min=drain_min))
    source = ScriptedSource(
        [0.0, 1.0, 2.0, 50.0, 95.0, 99.5], patience=[math.inf, 30.0, 5.0, 1.0, 10.0, 10.0]
    )
    record = Replication(scenario, make_streams(0, 0), source).run()
    return record, outcomes(record, scenario)


def test_outcomes_of_a_scripted_run():
    record, values = scripted_outcomes()
    # 0: served at 0 (no wait). 1: waits 9, served at 10. 2: gives up at 7.
    # 3: served at 50. 4: served at 95. 5: arrives at 99.5 while 4 is in hand: open at the end.
    assert record.answered.tolist() == [True, True, False, True, True, False]
    assert values[("complaints", "all")] == 6
    assert values[("answered", "all")] == 4
    assert values[("abandoned", "all")] == 1
    assert values[("open_at_end", "all")] == 1
    assert values[("p_wait", "all")] == pytest.approx(3 / 6)
    assert values[("asa_min", "all")] == pytest.approx(9 / 4)
    # Within 1 minute: contacts 0, 3, 4 of the 5 whose fate is known (5 waited only 30 s).
    assert values[("service_level_offered", "all")] == pytest.approx(3 / 5)
    assert values[("service_level_answered", "all")] == pytest.approx(3 / 4)
    assert values[("abandonment_rate", "all")] == pytest.approx(1 / 5)
    # Busy 0-10, 10-20, 50-60, 95-100 (cut at the end): 35 of 100 agent-minutes.
    assert values[("occupancy", "all")] == pytest.approx(0.35)
    assert values[("agent_hours_paid", "all")] == pytest.approx(100 / 60)
    assert values[("staff_cost", "all")] == pytest.approx(40 * 100 / 60)
    # Waits 0, 9, 5 (gave up), 0, 0, 0.5 (still waiting): unanswered ones count so far.
    assert values[("wait_mean_min", "all")] == pytest.approx(14.5 / 6)
    # First human answer per journey: 0, 9, 0, 0; 2 (gave up) and 5 (open) never got one and
    # count until the end of the run: 98 and 0.5.
    assert values[("first_response_median_min", "all")] == pytest.approx(0.25)
    assert values[("first_response_p90_min", "all")] == pytest.approx(9 + 0.5 * (98 - 9))
    # Fixed: 0 at 10, 1 at 20 (19 after its complaint). Not fixed by the end, so counted
    # until then: 2 (gave up) 98, 3 (answered, unresolved) 50, 4 (in hand) 5, 5 (open) 0.5.
    quick, waited, unresolved, still_open = (
        JourneyEnd.RESOLVED_QUICKLY,
        JourneyEnd.WAITED,
        JourneyEnd.UNRESOLVED,
        JourneyEnd.OPEN,
    )
    assert record.journeys.end.tolist() == [
        quick,
        quick,
        waited,
        unresolved,
        still_open,
        still_open,
    ]
    assert values[("resolution_median_min", "all")] == pytest.approx((10 + 19) / 2)
    assert values[("backlog_oldest_age_min", "all")] == pytest.approx(0.5)


def test_hourly_series_average_the_hour():
    scenario = one_line(handle=constant(30.0), duration_min=120.0)
    record = Replication(scenario, make_streams(0, 0), ScriptedSource([0.0, 10.0])).run()
    series = hourly_series(record)
    np.testing.assert_array_equal(series.hour_start_min, [0.0, 60.0])
    # Busy 0-30 and 30-60: one agent busy all of hour 0, none in hour 1.
    np.testing.assert_allclose(series.values[("agents_busy", "team:agents")], [1.0, 0.0])
    np.testing.assert_allclose(series.values[("agents_on_duty", "team:agents")], [1.0, 1.0])
    # The second caller waits 10..30: a third of an hour on average over hour 0.
    np.testing.assert_allclose(series.values[("queue", "channel:phone")], [20 / 60, 0.0])


@given(
    st.lists(st.tuples(st.floats(-20, 100), st.floats(0, 50), st.floats(0, 1000)), max_size=30),
    st.lists(st.floats(-10, 200), min_size=2, max_size=10, unique=True),
)
# Intervals far shorter than a bin, inside one and across an edge: no amount lost to rounding.
@example(intervals=[(0.0, 1e-235, 1.0), (1.0, 1e-300, 5.0)], points=[0.0, 1.0, 2.0])
@example(intervals=[(0.5 - 1e-12, 2e-12, 1e6), (0.0, 1.0, 3.0)], points=[0.0, 0.5, 1.0])
# A tiny interval covering a tiny bin whole: its huge rate must not wipe out another's.
@example(
    intervals=[(0.0, 2.0, 1.0), (-4.519163917165835e-86, 1.0533289942166751e-81, 1.0)],
    points=[0.0, 1.0, 2.0, 7.098061857188635e-84, -1.0],
)
def test_amount_in_bins_matches_brute_force(intervals, points):
    edges = np.sort(np.array(points))
    starts = np.array([s for s, _, _ in intervals], dtype=float)
    ends = np.array([s + length for s, length, _ in intervals], dtype=float)
    amounts = np.array([a for _, _, a in intervals], dtype=float)
    expected = np.zeros(len(edges) - 1)
    for start, end, amount in zip(starts, ends, amounts, strict=True):
        for k, (left, right) in enumerate(pairwise(edges)):
            if end > start:
                expected[k] += amount * max(0.0, min(end, right) - max(start, left)) / (end - start)
            elif left < start <= right or (k == 0 and start == left):
                expected[k] += amount  # a point falls in the bin that ends at or after it
    got = amount_in_bins(starts, ends, amounts, edges)
    np.testing.assert_allclose(got, expected, atol=1e-6 * max(1.0, amounts.sum()))
    assert (got >= 0).all()


def with_posts(
    record: RunRecord, negative: list[float], positive: list[float], **columns
) -> RunRecord:
    """The record with hand-made public posts (all on channel 0) and their impressions."""
    n = len(negative)
    values = {
        "journey": np.zeros(n, dtype=np.int64),
        "attempt": np.arange(n),
        "channel": np.zeros(n, dtype=np.int64),
        "followers": np.zeros(n),
        "removed_min": np.full(n, INF),
        "good_answer_min": np.full(n, INF),
        "lift_min": np.full(n, INF),
        "amplification": np.ones(n),
    } | {key: np.asarray(value, dtype=float) for key, value in columns.items()}
    zeros = np.zeros(n, dtype=np.int64)
    spread = replace(
        record.spread,
        negative_impressions=np.asarray(negative, dtype=float),
        positive_impressions=np.asarray(positive, dtype=float),
        reshares=zeros,
        pile_ons=zeros,
    )
    return replace(record, posts=Posts(**values), spread=spread)


def test_cumulative_impressions_ramp_over_each_posts_window():
    scenario = one_line(handle=constant(5.0), duration_min=240.0)
    record = Replication(scenario, make_streams(0, 0), ScriptedSource([0.0])).run()
    # A: up 30..150 (removed), good answer at 90: 120 negative over 30..150, 60 positive over
    # 90..150. B: removed as soon as posted at 200: its 7 all at 200. C: up at 220, in view
    # past the end of the run at 240: its 40 over 220..240.
    record = with_posts(
        record,
        negative=[120.0, 7.0, 40.0],
        positive=[60.0, 0.0, 0.0],
        posted_min=[30.0, 200.0, 220.0],
        removed_min=[150.0, 200.0, INF],
        good_answer_min=[90.0, INF, INF],
    )
    series = hourly_series(record).values
    negative = series[("impressions_negative_cumulative", "all")]
    positive = series[("impressions_positive_cumulative", "all")]
    np.testing.assert_allclose(negative, [30.0, 90.0, 120.0, 167.0])
    np.testing.assert_allclose(positive, [0.0, 30.0, 60.0, 60.0])
    # An hour of attention ends A at 90: its negative over 30..90, its positive all at 90.
    series = hourly_series(record, attention_min=60.0).values
    negative = series[("impressions_negative_cumulative", "all")]
    positive = series[("impressions_positive_cumulative", "all")]
    np.testing.assert_allclose(negative, [60.0, 120.0, 120.0, 167.0])
    np.testing.assert_allclose(positive, [0.0, 60.0, 60.0, 60.0])


def test_the_drain_follows_contacts_to_their_end_and_staff_are_not_counted_in_it():
    record, values = scripted_outcomes(drain_min=60.0)
    # 5 (arrived at 99.5, patience 10) is served at 105, when 4 is done: waited 5.5 minutes.
    assert record.answered.tolist() == [True, True, False, True, True, True]
    assert values[("open_at_end", "all")] == 0
    assert values[("asa_min", "all")] == pytest.approx((9 + 5.5) / 5)
    # Staff as before: the measured window ends at 100 (busy 35 of 100 agent-minutes).
    assert values[("occupancy", "all")] == pytest.approx(0.35)
    assert values[("agent_hours_paid", "all")] == pytest.approx(100 / 60)


def test_cumulative_impressions_of_a_run_never_fall_and_end_at_the_outcome():
    fan = load_scenario("loyal_fan_deleted_post")
    # No drain: with one, posts keep drawing views after the last hour of the series.
    run = replace(fan.run, duration_min=3 * 1440.0, warmup_min=1440.0, drain_min=0.0)
    scenario = replace(fan, run=run)
    record = simulate(scenario, seed=7, replication=0, policy="reply_public")
    series = hourly_series(record, scenario.word_of_mouth.attention_min)
    values = outcomes(record, scenario)
    assert len(series.hour_start_min) == 72
    warmup_posts = record.journeys.start_min[record.posts.journey] < record.warmup_min
    for kind in ("negative", "positive"):
        cumulative = series.values[(f"impressions_{kind}_cumulative", "all")]
        every_post = float(getattr(record.spread, f"{kind}_impressions").sum())
        measured = values[(f"impressions_{kind}", "all")]
        assert len(cumulative) == 72
        assert (np.diff(cumulative) >= 0).all()
        # Like the outcome, the series count only posts of journeys after the warm-up.
        assert cumulative[-1] == pytest.approx(measured, rel=1e-9)
        assert 0 < measured < every_post
    assert warmup_posts.any()
