"""Invariants that hold for any scenario (hypothesis): conservation, waits, agents, schedules."""

from __future__ import annotations

import numpy as np
from conftest import exponential, one_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcare.core.units import MINUTES_PER_WEEK
from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario import Distribution, DistributionKind, Scenario, Shift


def small_shift(draw: st.DrawFn) -> Shift:
    days = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
    start, end = draw(st.integers(0, 23)), draw(st.integers(0, 23))
    if start == end:
        start = end = 0  # a whole day is written 00:00 to 00:00
    return Shift(days, float(start * 60), float(end * 60), draw(st.integers(0, 4)))


@st.composite
def small_scenarios(draw: st.DrawFn) -> Scenario:
    shifts = tuple(small_shift(draw) for _ in range(draw(st.integers(1, 3))))
    handle = draw(
        st.sampled_from(
            [
                exponential(draw(st.floats(0.5, 20))),
                Distribution(
                    DistributionKind.LOGNORMAL, draw(st.floats(0.5, 20)), draw(st.floats(0.2, 2))
                ),
                Distribution(DistributionKind.CONSTANT, draw(st.floats(0.5, 20)), 0.0),
            ]
        )
    )
    patience = draw(st.one_of(st.none(), st.floats(0.5, 60).map(exponential)))
    duration = draw(st.floats(60, 3 * 1440))
    return one_line(
        rate_per_min=draw(st.floats(0.01, 3)),
        handle=handle,
        patience=patience,
        shifts=shifts,
        duration_min=duration,
        warmup_min=draw(st.floats(0, duration / 2)),
    )


def scheduled_headcount(scenario: Scenario, at: np.ndarray) -> np.ndarray:
    """Headcount the shifts ask for at each time, computed straight from the shifts."""
    team = next(iter(scenario.teams.values()))
    week_minute = (at + scenario.run.start_weekday * 1440.0) % MINUTES_PER_WEEK
    total = np.zeros(len(at), dtype=int)
    for shift in team.shifts:
        length = (shift.end_min - shift.start_min) % 1440 or 1440
        for day in shift.days:
            begin = day * 1440 + shift.start_min
            offset = (week_minute - begin) % MINUTES_PER_WEEK
            total += np.where(offset < length, shift.agents, 0)
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=small_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_invariants(scenario: Scenario, seed: int) -> None:
    record = simulate(scenario, seed)
    answered, abandoned = record.answered, record.abandoned
    # Every contact ends exactly one way: answered, abandoned or still waiting.
    waiting = ~answered & ~abandoned
    assert answered.sum() + abandoned.sum() + waiting.sum() == len(record)
    assert not (answered & abandoned).any()
    values = outcomes(record, scenario)
    assert (
        values[("answered", "all")] + values[("abandoned", "all")] + values[("open_at_end", "all")]
        == values[("complaints", "all")]
    )
    # Waits are never negative, and nobody is answered after giving up.
    assert (record.wait_min >= 0).all()
    served = np.flatnonzero(answered)
    assert (record.service_start_min[served] <= record.deadline_min[served]).all()
    assert (record.service_start_min[served] >= record.arrival_min[served]).all()
    # No agent serves two customers at once.
    for agent in np.unique(record.agent[served]):
        mine = served[record.agent[served] == agent]
        order = np.argsort(record.service_start_min[mine])
        starts = record.service_start_min[mine][order]
        ends = record.service_end_min[mine][order]
        assert (starts[1:] >= ends[:-1] - 1e-9).all()
    # Schedules are respected: when a contact is taken, at most the scheduled headcount is busy.
    starts = record.service_start_min[served]
    ends = record.service_end_min[served]
    busy_at_start = np.searchsorted(np.sort(starts), starts, side="right") - np.searchsorted(
        np.sort(ends), starts, side="right"
    )
    assert (busy_at_start <= scheduled_headcount(scenario, starts)).all()
    # Occupancy is a share of time on duty.
    occupancy = values[("occupancy", "all")]
    assert np.isnan(occupancy) or 0.0 <= occupancy <= 1.0 + 1e-9
