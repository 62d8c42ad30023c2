"""Scripted runs with constant times: the exact sequence of who is served when, by whom."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import QUEUE_ONLY, ScriptedSource, always, constant, one_line

from simcare.core.randomness import make_streams
from simcare.model.replication import Replication, headcount_changes
from simcare.scenario import Channel, Mode, Problems, RunSettings, Scenario, Shift, Team


def run(scenario: Scenario, source: ScriptedSource):
    """Run the queueing core alone: nobody retries or escalates."""
    queue_only = dataclasses.replace(scenario, behaviour=QUEUE_ONLY)
    return Replication(queue_only, make_streams(0, 0), source).run()


def test_one_agent_serves_in_order_and_a_customer_gives_up():
    scenario = one_line(handle=constant(10.0), duration_min=100.0)
    record = run(scenario, ScriptedSource([0.0, 1.0, 2.0], patience=[math.inf, math.inf, 15.0]))
    np.testing.assert_array_equal(record.service_start_min[:2], [0.0, 10.0])
    assert math.isnan(record.service_start_min[2])
    assert record.abandoned.tolist() == [False, False, True]
    np.testing.assert_array_equal(record.wait_min, [0.0, 9.0, 15.0])


def test_two_agents_take_the_queue_as_they_free_up():
    scenario = one_line(agents=2, handle=constant(10.0), duration_min=100.0)
    record = run(scenario, ScriptedSource([0.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(record.service_start_min, [0.0, 1.0, 10.0, 11.0])
    agents = record.agent.tolist()
    assert agents[0] != agents[1]
    assert agents[2] == agents[0]  # the agent who freed up first takes the next in line
    assert agents[3] == agents[1]


def test_a_customer_still_waiting_at_the_end_is_open_not_abandoned():
    scenario = one_line(handle=constant(70.0), duration_min=60.0)
    scenario = replace(scenario, run=replace(scenario.run, drain_min=0.0))
    record = run(scenario, ScriptedSource([0.0, 5.0], patience=[math.inf, 100.0]))
    assert record.answered.tolist() == [True, False]
    assert record.abandoned.tolist() == [False, False]
    assert record.wait_min[1] == 55.0


def test_work_in_hand_is_finished_after_the_shift_ends_and_the_rest_waits_for_the_next():
    monday_8_to_9 = (Shift((0,), 480.0, 540.0, 1),)
    scenario = one_line(handle=constant(30.0), shifts=monday_8_to_9, duration_min=3 * 1440.0)
    record = run(scenario, ScriptedSource([530.0, 535.0]))
    assert record.service_start_min[0] == 530.0
    assert math.isnan(record.service_start_min[1])  # nobody on duty again this week
    log = record.staffing[0]
    # Off at first, one agent from 08:00, still on at 09:00 (finishing), off at 09:20.
    assert log.time_min.tolist() == [0.0, 480.0, 540.0, 560.0]
    assert log.on_duty.tolist() == [0, 1, 1, 0]


def test_a_waiting_customer_is_served_when_the_next_shift_starts():
    every_morning = (Shift(tuple(range(7)), 480.0, 540.0, 1),)
    scenario = one_line(handle=constant(10.0), shifts=every_morning, duration_min=2 * 1440.0)
    record = run(scenario, ScriptedSource([600.0]))
    assert record.service_start_min[0] == 1440.0 + 480.0


def test_a_team_serves_its_channels_in_priority_order():
    scenario = Scenario(
        name="priority",
        problems=Problems(1.0),
        channels={"phone": Channel("phone"), "email": Channel("email", mode=Mode.ASYNC)},
        teams={
            "desk": Team(
                "desk",
                ("phone", "email"),
                {"phone": constant(10.0), "email": constant(10.0)},
                always(1),
            )
        },
        run=RunSettings(duration_min=100.0),
    )
    # Busy with a call from 0 to 10; an email arrives at 1, a call at 2: the call goes first.
    record = run(scenario, ScriptedSource([0.0, 1.0, 2.0], channels=[0, 1, 0]))
    np.testing.assert_array_equal(record.service_start_min, [0.0, 20.0, 10.0])


def test_a_channel_no_team_serves_is_never_answered():
    scenario = Scenario(
        name="unserved",
        problems=Problems(1.0),
        channels={"phone": Channel("phone"), "wall": Channel("wall")},
        teams={"desk": Team("desk", ("phone",), {"phone": constant(1.0)}, always(3))},
        run=RunSettings(duration_min=100.0, drain_min=0.0),
    )
    record = run(scenario, ScriptedSource([1.0, 2.0], patience=[50.0, 500.0], channels=[1, 1]))
    assert not record.answered.any()
    assert record.abandoned.tolist() == [True, False]


def test_handling_time_is_the_customers_own_draw_times_the_team_mean():
    scenario = one_line(handle=constant(4.0), duration_min=100.0)
    record = run(scenario, ScriptedSource([0.0], handle_e=[2.5]))
    assert record.handle_min[0] == 4.0  # constant ignores the draw
    exponential_team = one_line(duration_min=100.0)  # exponential, mean 3 min
    record = run(exponential_team, ScriptedSource([0.0], handle_e=[2.5]))
    assert record.handle_min[0] == pytest.approx(7.5)


@pytest.mark.parametrize("start_weekday", [0, 3, 6])
def test_headcount_changes_follow_the_week_from_the_start_day(start_weekday):
    weekdays_9_to_17 = Team(
        "t", ("phone",), {"phone": constant(1.0)}, (Shift((0, 1, 2, 3, 4), 540.0, 1020.0, 2),)
    )
    changes = headcount_changes(weekdays_9_to_17, start_weekday, 14 * 1440.0)
    on_at = [t for t, n in changes if n == 2]
    assert changes[0] == (0.0, 0)
    assert len(on_at) == 10  # two weeks of five working days
    for moment in on_at:
        weekday = (start_weekday + int(moment // 1440)) % 7
        assert weekday < 5
        assert moment % 1440 == 540.0


@pytest.mark.parametrize(
    "case", ["loyal_fan_deleted_post", "geotagged_store_complaints", "no_cross_sell_in_crisis"]
)
def test_a_later_contacts_result_in_python_matches_the_vectorised_rule(case: str) -> None:
    """Later contacts decide their result one at a time (`Replication._result`), first
    contacts in blocks (`response_results`): the two must agree on every draw, at the
    float32 edges of each share too."""
    from simcare.model.journeys import DRAWS, draw_block, response_results
    from simcare.scenario_file import load_scenario

    scenario = load_scenario(case)
    behaviour = scenario.behaviour
    rng = np.random.default_rng(5)
    draws = draw_block(rng, 3000, 1)[:, 0, :]
    # Put some draws exactly on a share (as float32), where < and <= differ.
    for column, share in ((DRAWS.resolve, behaviour.resolve_share),
                          (DRAWS.special, behaviour.intrusion_share),
                          (DRAWS.update, behaviour.update_share)):  # fmt: skip
        draws[::7, column] = np.float32(share)
    seen: set[int] = set()
    for policy in scenario.teaching.policies:
        replication = Replication(scenario, make_streams(1, 0), policy=policy)
        channels = rng.integers(len(scenario.channels), size=len(draws))
        vectorised = response_results(replication.effect_table, channels, draws).tolist()
        pairs = zip(channels, draws, strict=True)
        one_by_one = [replication._result(int(c), row.tolist()) for c, row in pairs]
        assert one_by_one == vectorised, policy
        seen.update(one_by_one)
    assert len(seen) >= 3  # the draws and policies reach several results
