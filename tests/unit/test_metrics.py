"""Outcome arithmetic on hand-made records, and the interval helpers against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ScriptedSource, constant, one_line
from hypothesis import given
from hypothesis import strategies as st

from simcare.metrics import hourly_series, integral_of_count, outcomes
from simcare.model.world import Replication
from simcare.randomness import make_streams


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


def scripted_outcomes():
    # One agent, 10-minute calls, target 1 minute; run 0..100 min.
    scenario = one_line(handle=constant(10.0), duration_min=100.0, target_min=1.0)
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
    # Resolution of those finished by the end: 10, 19, 10 minutes.
    assert values[("resolution_median_min", "all")] == pytest.approx(10.0)
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
