"""Laws of the consequence model: people are counted once, reach has people behind it, churn
keeps its order, waiting costs customers, and silence spreads nothing.

Hypothesis generates small worlds of every kind of channel; the statistical laws pair
replications on the same customers (common random numbers) and use their confidence intervals.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import exponential, silenced
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcare.core.stats import estimate
from simcare.metrics.tally import outcomes
from simcare.model.journeys import FAILURE_OF_END
from simcare.model.loyalty import leave_probability
from simcare.model.records import Cause, JourneyEnd, Journeys
from simcare.model.replication import simulate
from simcare.scenario import (
    Channel,
    Churn,
    Loss,
    Mode,
    Problems,
    RunSettings,
    Scenario,
    Segment,
    Severity,
    Shift,
    Team,
    Visibility,
    WordOfMouth,
)
from simcare.scenario.policy import BUILTIN_POLICIES, builtin_policy
from simcare.scenario_file import load_scenario

LAWS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _channels(draw: st.DrawFn) -> dict[str, Channel]:
    patience = [None, *(exponential(m) for m in (5.0, 60.0, 600.0, 3000.0))]
    audience = st.sampled_from([0.0, 1.0, 50.0, 5000.0])
    phone = Channel("phone", patience=draw(st.sampled_from(patience)))
    email = Channel("email", Mode.ASYNC, share=draw(st.floats(0, 1)), escalate_to="wall")
    wall = Channel(
        "wall",
        Mode.ASYNC,
        Visibility.PUBLIC,
        share=draw(st.floats(0, 1)),
        patience=draw(st.sampled_from(patience)),
        escalate_to="network",
        audience_per_min=draw(audience),
    )
    network = Channel(
        "network",
        Mode.ASYNC,
        Visibility.PUBLIC,
        brand_owned=False,
        share=draw(st.floats(0, 1)),
        patience=draw(st.sampled_from(patience)),
        audience_per_min=draw(audience),
    )
    return {c.name: c for c in (phone, email, wall, network)}


@st.composite
def worlds(draw: st.DrawFn) -> Scenario:
    """A brand with a phone line, email, its own wall and an open network, for two days."""
    segments = {
        f"s{i}": Segment(
            f"s{i}",
            loyalty=draw(st.floats(0.01, 0.99)),
            annual_value=draw(st.floats(0, 500)),
            followers_median=draw(st.sampled_from([0.0, 20.0, 5000.0])),
        )
        for i in range(draw(st.integers(1, 3)))
    }
    severities = {
        "mild": Severity("mild", complaint_share=draw(st.floats(0, 1))),
        "bad": Severity("bad", loss=Loss.LARGE, anger=draw(st.floats(0, 3))),
    }
    agents = draw(st.integers(0, 4))
    handle = {name: exponential(draw(st.floats(1, 30))) for name in ("phone", "email", "wall")}
    team = Team("desk", tuple(handle), handle, (Shift(tuple(range(7)), 0.0, 0.0, agents),))
    customers = draw(st.one_of(st.none(), st.floats(3000, 1e7).map(round).map(float)))
    if customers is not None:
        segments = {
            name: dataclasses.replace(s, customers=customers) for name, s in segments.items()
        }
    return Scenario(
        name="world",
        problems=Problems(draw(st.floats(0.05, 0.5))),
        channels=_channels(draw),
        severities=severities,
        segments=segments,
        teams={"desk": team},
        run=RunSettings(
            duration_min=2 * 1440.0,
            warmup_min=draw(st.sampled_from([0.0, 360.0])),
            drain_min=draw(st.sampled_from([None, 0.0, 720.0])),
        ),
        word_of_mouth=WordOfMouth(
            pile_on_per_min=draw(st.sampled_from([0.0, 0.05])),
            customer_share=draw(st.floats(0, 1)),
            prospect_share=draw(st.floats(0, 1)),
            bystander_churn=draw(st.sampled_from([0.002, 0.5])),
        ),
    )


@LAWS
@given(world=worlds(), policy=st.sampled_from(list(BUILTIN_POLICIES)), seed=st.integers(0, 2**31))
def test_nobody_is_lost_twice_and_reach_has_people_behind_it(
    world: Scenario, policy: str, seed: int
) -> None:
    record = simulate(world, seed, 0, policy)
    values = outcomes(record, world)
    base = sum(world.customer_base().values())
    churn = record.churn
    assert values[("customer_base", "all")] == base
    assert values[("customers_lost", "all")] <= base
    assert values[("complainant_churn", "all")] <= values[("journeys", "all")]
    assert (churn.silent_left <= record.silent).all()
    # Bystanders are customers without a problem, each reached once at most.
    assert churn.bystanders_reached <= max(0.0, base - record.problems)
    assert churn.bystanders_left <= churn.bystanders_reached
    prospects = world.word_of_mouth.prospects or base
    assert churn.prospects_lost + churn.prospects_won <= prospects
    # A probability of leaving, never a certainty from the model; nobody leaves an open journey.
    p = churn.leave_probability
    assert ((p >= 0) & (p < 1)).all()
    assert not churn.left[p == 0].any()
    assert (p[record.journeys.end == JourneyEnd.OPEN] == 0).all()
    assert set(np.unique(record.journeys.cause)) <= set(Cause)
    causes = sum(v for (key, _), v in values.items() if key == "churned")
    assert causes == pytest.approx(values[("customers_lost", "all")])


def test_more_problems_than_customers_lose_each_customer_once_in_every_row(
    tmp_path: Path,
) -> None:
    # A Monday that gets the whole week's problems (weekday profile 7, 0, ...): about 700
    # problems among 100 customers, though the file passes the check on the average rate.
    crowded = tmp_path / "crowded.toml"
    crowded.write_text(
        'name = "crowded"\n[run]\nduration = "1d"\n'
        '[problems]\nrate = "100/day"\nweekday_profile = [7, 0, 0, 0, 0, 0, 0]\n'
        '[severities.bad]\ncomplaint_share = 0.2\nloss = "large"\n'
        "[segments.buyer]\nloyalty = 0.2\ncustomers = 100\n"
        '[channels.phone]\nmode = "live"\npatience = { dist = "exponential", mean = "2min" }\n'
        '[teams.desk]\nchannels = ["phone"]\nagents = 1\nhandle_time.phone = { mean = "10min" }\n',
        encoding="utf-8",
    )
    scenario = load_scenario(crowded)
    values = outcomes(simulate(scenario, 3), scenario)
    assert values[("problems", "all")] > 500
    causes = sum(v for (key, _), v in values.items() if key == "churned")
    assert values[("customers_lost", "all")] == pytest.approx(causes)
    assert causes <= 100 + 1e-9
    # The value lost is that of 100 customers at most (lifetime value 0.2 / 0.9 of 100 a year).
    assert values[("lifetime_value_lost", "all")] <= 100 * 100 * 0.2 / 0.9 + 1e-6


def _journeys(ends: list[JourneyEnd], wait: float, anger: float, scenario: Scenario) -> Journeys:
    """Journeys as angry before their last contact, each ending its own way (so the last
    failure's step is added to the anger, as a run does)."""
    n = len(ends)
    steps = scenario.behaviour.anger_steps
    last_step = [steps[FAILURE_OF_END[end]] if end in FAILURE_OF_END else 0.0 for end in ends]
    return Journeys(
        start_min=np.zeros(n),
        end=np.array(ends, dtype=np.int8),
        end_min=np.full(n, wait),
        anger=anger + np.array(last_step),
        attempts=np.ones(n, dtype=np.int64),
        answered=np.ones(n, dtype=np.int64),
        escalations=np.zeros(n, dtype=np.int64),
        went_public=np.zeros(n, dtype=bool),
        follow_ups=np.ones(n, dtype=np.int64),
        channel=np.zeros(n, dtype=np.int16),
        first_response_min=np.full(n, wait),
        cause=np.zeros(n, dtype=np.int8),
    )


@settings(max_examples=200, deadline=None)
@given(
    world=worlds(),
    policy=st.sampled_from(list(BUILTIN_POLICIES)),
    wait=st.floats(0, 1e6),
    anger=st.floats(0, 50),
    severity=st.integers(0, 1),
)
def test_the_chance_of_leaving_keeps_the_order_of_outcomes(
    world: Scenario, policy: str, wait: float, anger: float, severity: int
) -> None:
    # The same customer, as angry before the end and as long kept waiting, ending three ways.
    ends = [JourneyEnd.RESOLVED_QUICKLY, JourneyEnd.RESOLVED, JourneyEnd.UNRESOLVED]
    n = len(ends)
    for segment in range(len(world.segments)):
        p = leave_probability(
            _journeys(ends, wait, anger, world),
            np.full(n, segment),
            np.full(n, severity),
            world,
            builtin_policy(policy),
        )
        assert p[0] <= p[1] <= p[2]
        assert (p < 1).all()


def test_the_order_holds_for_a_scenarios_own_policies() -> None:
    # Compensation, depth and follow-ups cut the odds of a fix only: still in order.
    case = load_scenario("deeper_not_broader")
    ends = [JourneyEnd.RESOLVED_QUICKLY, JourneyEnd.RESOLVED, JourneyEnd.UNRESOLVED]
    for name in case.policy_names:
        p = leave_probability(
            _journeys(ends, 30.0, 2.0, case), np.zeros(3), np.zeros(3), case, case.policy(name)
        )
        assert p[0] <= p[1] <= p[2], name


@LAWS
@given(world=worlds(), policy=st.sampled_from(list(BUILTIN_POLICIES)), seed=st.integers(0, 2**31))
def test_silence_spreads_nothing_and_costs_no_bystander(
    world: Scenario, policy: str, seed: int
) -> None:
    quiet = silenced(world)
    values = outcomes(simulate(quiet, seed, 0, policy), quiet)
    for key in ("impressions_negative", "impressions_positive", "told_negative", "told_positive"):
        assert values[(key, "all")] == 0, key
    for key in ("bystanders_reached", "bystander_churn", "prospects_lost", "prospects_won"):
        assert values[(key, "all")] == 0, key


def _paired(scenario: Scenario, other: Scenario, key: str, scope: str = "all") -> np.ndarray:
    """Per replication: ``other``'s value minus ``scenario``'s (same customers)."""
    return np.array(
        [
            outcomes(simulate(other, 11, r), other)[(key, scope)]
            - outcomes(simulate(scenario, 11, r), scenario)[(key, scope)]
            for r in range(20)
        ]
    )


def _agents(scenario: Scenario, agents: int) -> Scenario:
    team = scenario.teams["agents"]
    shifts = (Shift(tuple(range(7)), 0.0, 0.0, agents),)
    return dataclasses.replace(scenario, teams={"agents": dataclasses.replace(team, shifts=shifts)})


@pytest.mark.slow
def test_more_agents_buy_less_churn_even_when_nobody_hangs_up() -> None:
    # The textbook line has no abandonment: 12 agents against 14 changes only the waits.
    line = load_scenario("textbook_contact_centre")
    fewer, more = _agents(line, 12), _agents(line, 14)
    assert outcomes(simulate(fewer, 11, 0), fewer)[("abandoned", "all")] == 0
    for key, scope in (("asa_min", "channel:phone"), ("complainant_churn_rate", "all")):
        change = estimate(_paired(fewer, more, key, scope))
        assert change.high < 0, (key, change)  # more agents: lower, with 95% confidence


def test_an_old_scenario_loads_and_runs(tmp_path: Path) -> None:
    # Written before the customer base, expected responses and the drain existed.
    old = tmp_path / "old.toml"
    old.write_text(
        'name = "old"\n[problems]\nrate = "20/h"\n'
        '[channels.phone]\nmode = "live"\n'
        '[channels.wall]\nmode = "async"\nvisibility = "public"\naudience = "5/min"\n'
        'patience = { dist = "exponential", mean = "6h" }\n'
        '[teams.desk]\nchannels = ["phone", "wall"]\nagents = 2\n'
        'handle_time.phone = { dist = "exponential", mean = "5min" }\n'
        'handle_time.wall = { dist = "exponential", mean = "10min" }\n'
        "[churn]\nanger_effect = 0.25\n",
        encoding="utf-8",
    )
    scenario = load_scenario(old)
    values = outcomes(simulate(scenario, 1), scenario)
    # 20 problems an hour for a day is 175,200 a year; the base is that over 0.74.
    assert values[("customer_base", "all")] == math.ceil(20 * 24 * 365 / 0.74)
    lost = values[("complainant_churn", "all")] + values[("silent_churn", "all")]
    assert 0 < lost <= values[("problems", "all")]
    assert values[("customers_lost", "all")] < values[("customer_base", "all")]
    assert scenario.drain_min == 4 * (360.0 + 120.0)  # 4 contacts × (6 h patience + 2 h retry)
    assert Churn(anger_effect=0.25) == scenario.churn
