"""The engine against the plain-SimPy reference model: the same records on scripted inputs.

Each test runs one scenario on one script through both, and asserts that every contact has the
same journey, attempt, channel, arrival, service start, wait, handling time, answered and
abandoned flags and result, and that the same contacts share an agent (agent numbers may
differ: the agents must map one to one).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from conftest import QUEUE_ONLY, ScriptedSource, always, constant, exponential, one_line
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_model import Contact, ReferenceModel

from simcare.core.randomness import make_streams
from simcare.model.records import RunRecord
from simcare.model.replication import Replication
from simcare.scenario import (
    Behaviour,
    Channel,
    Distribution,
    Mode,
    Problems,
    RunSettings,
    Scenario,
    Shift,
    Team,
)

SEED = (0, 0)

COLUMNS = (
    "journey",
    "attempt",
    "channel",
    "arrival_min",
    "service_start_min",
    "wait_min",
    "handle_min",
    "answered",
    "abandoned",
    "result",
)

# Journeys: whoever fails always comes back (act probability exactly 1), a fixed time later.
PERSISTENT = dict(persistence=1e9, retry_delay=constant(30.0), resolve_share=1.0)


@dataclasses.dataclass
class Runs:
    engine: RunRecord
    reference: ReferenceModel
    columns: dict[str, np.ndarray]  # the reference's records

    def engine_column(self, name: str) -> np.ndarray:
        order = np.lexsort((self.engine.attempt, self.engine.journey))
        return np.asarray(getattr(self.engine, name))[order]


def run_both(
    scenario: Scenario,
    times: Sequence[float],
    patience: Sequence[float] | None = None,
    channels: Sequence[int] | None = None,
    handle_e: Sequence[float] | None = None,
    exact: bool = True,
) -> Runs:
    """Run the engine and the reference on the same script and check they agree.

    Times are compared exactly (``exact``) when every time is a sum of binary fractions, as
    in the scripts here; otherwise to 1e-9 min: the engine's clock moves by the gaps between
    arrivals, and its first timers count from the scripted arrival time, so a time can differ
    in its last bit. Which contact goes first at a tie is compared exactly in both cases.
    """
    n = len(times)
    patience = patience if patience is not None else [math.inf] * n
    channels = channels if channels is not None else [0] * n
    handle_e = handle_e if handle_e is not None else [1.0] * n
    source = ScriptedSource(times, patience, channels, handle_e)
    engine = Replication(scenario, make_streams(*SEED), source).run()
    script = list(zip(times, channels, patience, handle_e, strict=True))
    reference = ReferenceModel(scenario, script, make_streams(*SEED)["journeys"])
    runs = Runs(engine, reference, columns(reference.run(), scenario.stop_min))
    assert_same_records(runs, exact)
    return runs


def columns(contacts: list[Contact], horizon: float) -> dict[str, np.ndarray]:
    """The reference's contacts as columns, sorted by (journey, attempt)."""
    rows = sorted(contacts, key=lambda c: (c.journey, c.attempt))
    fields = ("journey", "attempt", "channel", "arrival_min", "service_start_min", "handle_min")
    table = {name: np.array([getattr(c, name) for c in rows]) for name in fields}
    left = np.array([horizon if math.isnan(c.left_min) else c.left_min for c in rows])
    return {
        **table,
        "wait_min": left - table["arrival_min"],  # until answered, given up, or the end
        "answered": np.array([c.done is not None for c in rows], dtype=bool),
        "abandoned": np.array([c.abandoned for c in rows], dtype=bool),
        "agent": np.array([c.agent for c in rows], dtype=np.int64),
        "result": np.array([c.result for c in rows], dtype=np.int64),
    }


def assert_same_records(runs: Runs, exact: bool = True) -> None:
    engine_n, reference_n = len(runs.engine), len(runs.columns["journey"])
    if engine_n != reference_n:
        pytest.fail(f"{engine_n} contacts in the engine, {reference_n} in the reference")
    for name in COLUMNS:
        engine, reference = runs.engine_column(name), runs.columns[name]
        if exact or not name.endswith("_min"):
            np.testing.assert_array_equal(engine, reference, err_msg=name)
        else:
            np.testing.assert_allclose(engine, reference, rtol=0, atol=1e-9, err_msg=name)
    assert_same_agents(runs.engine_column("agent"), runs.columns["agent"])


def assert_same_agents(engine: np.ndarray, reference: np.ndarray) -> None:
    """The same contacts answered, and by the same agents up to their names (a bijection)."""
    np.testing.assert_array_equal(engine < 0, reference < 0, err_msg="answered by nobody")
    pairs = set(zip(engine[engine >= 0].tolist(), reference[reference >= 0].tolist(), strict=True))
    assert len({e for e, _ in pairs}) == len(pairs), f"an agent split in two: {sorted(pairs)}"
    assert len({r for _, r in pairs}) == len(pairs), f"two agents merged: {sorted(pairs)}"


def assert_same_staffing(runs: Runs) -> None:
    for log, staff in zip(runs.engine.staffing, runs.reference.teams, strict=True):
        np.testing.assert_array_equal(log.time_min, [time for time, _ in staff.log])
        np.testing.assert_array_equal(log.on_duty, [on_duty for _, on_duty in staff.log])


def with_behaviour(scenario: Scenario, **fields: object) -> Scenario:
    return dataclasses.replace(scenario, behaviour=Behaviour(**fields))


def desk(
    channels: dict[str, Channel],
    served: tuple[str, ...],
    shifts: tuple[Shift, ...],
    duration_min: float = 200.0,
    handle: Distribution | None = None,
) -> Scenario:
    """One team serving some channels in priority order, with one handling time."""
    team = Team("desk", served, {name: handle or constant(10.0) for name in served}, shifts)
    return Scenario(
        name="desk",
        problems=Problems(1.0),
        channels=channels,
        teams={"desk": team},
        run=RunSettings(duration_min=duration_min),
        behaviour=QUEUE_ONLY,
    )


# --- the queueing core ---------------------------------------------------------------------


def test_one_agent_serves_in_order_and_a_customer_gives_up():
    scenario = one_line(handle=constant(10.0), duration_min=100.0)
    runs = run_both(scenario, [0.0, 1.0, 2.0, 3.0], patience=[math.inf, math.inf, 15.0, 30.0])
    np.testing.assert_array_equal(runs.columns["service_start_min"], [0.0, 10.0, np.nan, 20.0])
    assert runs.columns["abandoned"].tolist() == [False, False, True, False]


def test_handling_times_are_the_customers_draws_times_the_team_mean():
    scenario = one_line(agents=3, handle=exponential(4.0), duration_min=100.0)
    draws = [2.5, 0.5, 1.0, 4.0, 0.25, 1.5, 3.0, 0.75]
    runs = run_both(scenario, [0.0, 0.0, 1.0, 1.5, 2.0, 2.0, 3.0, 9.0], handle_e=draws)
    np.testing.assert_array_equal(runs.columns["handle_min"], np.array(draws) * 4.0)


def test_agents_take_the_queue_in_the_order_they_free_up():
    scenario = one_line(agents=2, handle=exponential(4.0), duration_min=100.0)
    # The second agent frees up first (after 1 min) and takes the head of the queue.
    run_both(scenario, [0.0, 0.5, 1.0, 1.25, 1.5, 2.0], handle_e=[5.0, 0.25, 2.0, 1.0, 3.0, 1.0])


def test_a_newcomer_gets_the_agent_who_became_idle_last():
    scenario = one_line(agents=3, handle=constant(10.0), duration_min=200.0)
    # At 25 three agents are idle; the one who served the customer of 12 freed up last.
    runs = run_both(scenario, [0.0, 1.0, 12.0, 25.0, 26.0, 50.0])
    agent = runs.columns["agent"]
    assert agent[3] == agent[2] != agent[0]


def test_a_team_serves_its_channels_in_priority_order():
    channels = {"phone": Channel("phone"), "email": Channel("email", mode=Mode.ASYNC)}
    scenario = desk(channels, ("phone", "email"), always(1))
    # Busy from 0; emails at 1 and 3, calls at 2, 4 and 25: every call waiting goes first.
    runs = run_both(scenario, [0.0, 1.0, 2.0, 3.0, 4.0, 25.0], channels=[0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(
        runs.columns["service_start_min"], [0.0, 40.0, 10.0, 50.0, 20.0, 30.0]
    )


def test_two_teams_share_a_channel_and_the_first_with_an_idle_agent_answers():
    channels = {"phone": Channel("phone"), "chat": Channel("chat")}
    teams = {
        "front": Team("front", ("phone",), {"phone": constant(10.0)}, always(1)),
        "back": Team("back", ("chat", "phone"), {c: constant(7.5) for c in channels}, always(1)),
    }
    scenario = Scenario(
        name="two_teams",
        problems=Problems(1.0),
        channels=channels,
        teams=teams,
        run=RunSettings(duration_min=100.0),
        behaviour=QUEUE_ONLY,
    )
    run_both(scenario, [0.0, 1.0, 2.0, 3.0, 4.0, 9.0, 20.0], channels=[0, 0, 1, 0, 1, 0, 0])


def test_shifts_with_a_gap_finish_work_in_hand_and_leave_the_rest_waiting():
    monday = (Shift((0,), 480.0, 540.0, 2), Shift((0,), 600.0, 660.0, 1))
    scenario = one_line(handle=constant(30.0), shifts=monday, duration_min=1440.0)
    times = [500.0, 530.0, 535.0, 538.0, 545.0, 550.0, 610.0]
    patience = [math.inf, math.inf, math.inf, 100.0, 40.0, 80.0, math.inf]
    runs = run_both(scenario, times, patience)
    # The calls of 530 and 535 are finished after 09:00; 538 and 550 wait for 10:00; 545 gives
    # up in the gap; at 11:00 the agent finishing the call of 550 leaves 610 waiting for good.
    np.testing.assert_array_equal(
        runs.columns["service_start_min"], [500.0, 530.0, 535.0, 600.0, np.nan, 630.0, np.nan]
    )
    assert_same_staffing(runs)


def test_shifts_through_the_week_from_a_later_weekday():
    nights = (Shift((0, 2, 4), 1320.0, 120.0, 2), Shift((1, 2, 3), 60.0, 180.0, 1))
    scenario = one_line(handle=constant(45.0), shifts=nights, duration_min=5 * 1440.0)
    scenario = dataclasses.replace(
        scenario, run=RunSettings(duration_min=5 * 1440.0, start_weekday=2)
    )
    times = [10.0, 20.0, 30.0, 100.0, 1500.0, 1510.0, 2900.0, 4200.0, 5000.0]
    runs = run_both(scenario, times, patience=[500.0] * len(times))
    assert_same_staffing(runs)


def test_patience_runs_out_and_customers_answered_at_their_deadline_stay():
    scenario = one_line(agents=2, handle=constant(10.0), duration_min=100.0)
    times = [0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    # The customers of 1 and 3 would give up at 10 and 20, the moments agents free up: they are
    # answered (the one of 3 set their timer before those agents began the handlings ending
    # then). Those of 4 and 5 give up.
    patience = [math.inf, math.inf, 9.0, math.inf, 17.0, 15.5, 3.0]
    runs = run_both(scenario, times, patience)
    np.testing.assert_array_equal(
        runs.columns["service_start_min"], [0.0, 0.0, 10.0, 10.0, 20.0, np.nan, np.nan]
    )


def no_drain(scenario: Scenario) -> Scenario:
    """The run stops when problems stop: what is still waiting then stays open."""
    return replace(scenario, run=replace(scenario.run, drain_min=0.0))


@pytest.mark.parametrize(("drain", "abandoned"), [(0.0, False), (500.0, True)])
def test_a_channel_no_team_serves_is_never_answered(drain: float, abandoned: bool) -> None:
    # The second customer's patience (500 min) runs out after the end, within a long drain.
    channels = {"phone": Channel("phone"), "wall": Channel("wall")}
    scenario = desk(channels, ("phone",), always(3), duration_min=100.0)
    scenario = replace(scenario, run=replace(scenario.run, drain_min=drain))
    runs = run_both(scenario, [1.0, 2.0, 3.0, 4.0], [50.0, 500.0, 5.0, 5.0], channels=[1, 1, 0, 1])
    assert runs.columns["answered"].tolist() == [False, False, True, False]
    assert runs.columns["abandoned"].tolist() == [True, abandoned, False, True]


def test_customers_still_waiting_at_the_end_are_open_not_abandoned():
    scenario = no_drain(one_line(handle=constant(70.0), duration_min=60.0))
    runs = run_both(scenario, [0.0, 5.0, 10.0, 20.0], patience=[math.inf, 100.0, 50.0, 30.0])
    assert runs.columns["abandoned"].tolist() == [False, False, False, True]
    np.testing.assert_array_equal(runs.columns["wait_min"], [0.0, 55.0, 50.0, 30.0])
    assert runs.columns["result"].tolist() == [-1, -1, -1, -1]  # nothing finished


# --- journeys ------------------------------------------------------------------------------


def test_a_customer_who_gives_up_retries_on_the_same_channel():
    scenario = one_line(handle=constant(10.0), patience=constant(5.0), duration_min=300.0)
    scenario = with_behaviour(scenario, max_attempts=3, **PERSISTENT)
    runs = run_both(scenario, [0.0, 1.0, 2.0, 3.0], patience=[math.inf, 5.0, 5.0, 100.0])
    retries = runs.columns["attempt"] > 0
    assert retries.sum() >= 2
    assert (runs.columns["channel"][retries] == 0).all()
    np.testing.assert_array_equal(runs.columns["arrival_min"][:3], [0.0, 1.0, 36.0])


def test_a_customer_who_gives_up_escalates_to_the_louder_channel():
    channels = {
        "phone": Channel("phone", patience=constant(5.0), escalate_to="page"),
        "page": Channel("page", patience=constant(5.0), escalate_to="network"),
        "network": Channel("network", patience=constant(20.0)),
    }
    scenario = desk(channels, ("phone", "page"), always(1), duration_min=400.0)
    scenario = with_behaviour(scenario, max_attempts=4, escalate_share=1.0, **PERSISTENT)
    times = [0.0, 1.0, 2.0, 3.0, 40.0]
    runs = run_both(scenario, times, patience=[math.inf, 4.0, 4.0, 4.0, 4.0])
    moved = runs.columns["channel"][runs.columns["attempt"] > 0]
    assert {1, 2} <= set(moved.tolist())  # to the page, and on to the unanswered network


def test_an_answer_that_does_not_fix_the_problem_brings_the_customer_back():
    scenario = one_line(agents=2, handle=constant(10.0), patience=constant(45.0))
    scenario = with_behaviour(scenario, max_attempts=3, **{**PERSISTENT, "resolve_share": 0.0})
    runs = run_both(scenario, [0.0, 5.0, 12.0], patience=[30.0, 30.0, 30.0])
    assert runs.columns["attempt"].tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    assert set(runs.columns["result"].tolist()) == {3}  # unresolved, every time


def test_a_customer_decides_to_come_back_before_their_agent_moves_on():
    scenario = one_line(agents=2, handle=constant(10.0), patience=constant(45.0))
    behaviour = {**PERSISTENT, "resolve_share": 0.0, "retry_delay": constant(10.0)}
    scenario = with_behaviour(scenario, max_attempts=2, **behaviour)
    # At 20 the first two customers come back as the third one's handling ends: the return
    # was scheduled first (at 10, before the agent took the third), so it is dealt with first
    # and gets the agent idle since 10, not the one freeing up at 20.
    runs = run_both(scenario, [0.0, 0.0, 1.0])
    agent = runs.columns["agent"]  # contacts by (journey, attempt): 0, 0', 1, 1', 2, 2'
    assert agent[1] == agent[2] != agent[4] == agent[3]


def test_journeys_with_drawn_choices_read_the_same_random_numbers():
    channels = {
        "phone": Channel("phone", patience=exponential(6.0), escalate_to="page"),
        "page": Channel("page", patience=exponential(30.0), escalate_to="network"),
        "network": Channel("network", patience=exponential(120.0)),
    }
    scenario = desk(
        channels, ("phone", "page"), always(2), duration_min=1440.0, handle=exponential(8.0)
    )
    scenario = with_behaviour(scenario, max_attempts=4, retry_delay=exponential(45.0))
    rng = np.random.default_rng(3)
    n = 60
    times = np.sort(rng.uniform(0, 600, n)).tolist()
    runs = run_both(
        scenario,
        times,
        patience=(rng.exponential(6.0, n)).tolist(),
        channels=rng.choice([0, 1], n).tolist(),
        handle_e=rng.exponential(1.0, n).tolist(),
        exact=False,
    )
    attempt, channel = runs.columns["attempt"], runs.columns["channel"]
    assert (attempt == 0).sum() == n
    assert (attempt >= 2).any()
    assert (channel == 2).any()
    assert {0, 3} <= set(runs.columns["result"].tolist())


def test_a_customer_who_would_not_retry_is_served_as_their_patience_ends():
    scenario = one_line(handle=constant(10.0), duration_min=100.0)
    scenario = with_behaviour(scenario, max_attempts=2, persistence=0.0)
    # The customer of 2 (deadline 20) is still waiting when the agent finishes at 20.
    runs = run_both(scenario, [0.0, 1.0, 2.0], patience=[math.inf, math.inf, 18.0])
    assert runs.columns["service_start_min"][2] == 20.0


@pytest.mark.xfail(
    strict=True,
    reason="engine finding: at an exact tie between a customer's patience and an agent freeing "
    "up, a customer who will retry gives up (their timer was made before the agent's end of "
    "handling) while one who will not is served (lazy abandonment keeps a contact whose "
    "deadline == now); the reference serves both",
)
def test_a_customer_who_would_retry_is_served_as_their_patience_ends():
    scenario = one_line(handle=constant(10.0), duration_min=100.0)
    scenario = with_behaviour(scenario, max_attempts=2, **PERSISTENT)
    runs = run_both(scenario, [0.0, 1.0, 2.0], patience=[math.inf, math.inf, 18.0])
    assert runs.columns["service_start_min"][2] == 20.0


# --- generated scripts ---------------------------------------------------------------------


PATIENCE_HALVES = st.one_of(st.just(math.inf), st.integers(1, 30))


@settings(max_examples=60, deadline=None)
@given(
    agents=st.integers(1, 3),
    handle_min=st.sampled_from([1.0, 2.5, 4.0, 7.5, 10.0]),
    duration_min=st.sampled_from([15.0, 30.0]),
    script=st.lists(st.tuples(st.integers(0, 40), PATIENCE_HALVES), min_size=1, max_size=16),
)
def test_generated_queues_agree(
    agents: int, handle_min: float, duration_min: float, script: list[tuple[int, float]]
):
    """Half-minute arrival times, patience, 1–3 agents, constant handling.

    Times on a grid of halves make exact ties frequent: an arrival as an agent frees up,
    patience ending as an agent frees up, two agents freeing up at once.
    """
    scenario = one_line(agents=agents, handle=constant(handle_min), duration_min=duration_min)
    script = sorted(script)
    run_both(scenario, [t / 2 for t, _ in script], [p / 2 for _, p in script])
