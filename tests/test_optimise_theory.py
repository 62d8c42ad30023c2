"""`optimise` checked against queueing theory and against an exhaustive grid (slow)."""

from __future__ import annotations

import dataclasses
import math

import pytest
from conftest import QUEUE_ONLY, exponential, one_line

from simcare.core.theory import erlang_a, erlang_c
from simcare.experiments.optimise import Goal, Rounds, Target, optimise
from simcare.experiments.sweep import plan_sweep, run_sweep
from simcare.scenario import Channel, Problems, RunSettings, Scenario, Shift, Team

pytestmark = pytest.mark.slow

RATE_PER_MIN = 200 / 60
HANDLE_MIN = 3.0
TARGET_MIN = 20 / 60
ROUNDS = Rounds(first=10, most=40)


def _fewest(service_level: float, patience_min: float) -> int:
    """Theory's fewest agents whose service level (offered) reaches ``service_level``."""
    for agents in range(1, 100):
        if math.isinf(patience_min):
            if agents <= RATE_PER_MIN * HANDLE_MIN:  # Erlang C is unstable
                continue
            found = erlang_c(RATE_PER_MIN, HANDLE_MIN, agents, TARGET_MIN)
        else:
            found = erlang_a(RATE_PER_MIN, HANDLE_MIN, agents, patience_min, TARGET_MIN)
        if found.service_level_offered >= service_level:
            return agents
    raise AssertionError("no team that small meets it")


@pytest.mark.parametrize(
    ("patience_min", "service_level", "start"),
    [
        (math.inf, 0.82, (9,)),  # Erlang C: 14 agents (88.8%); 13 misses by 2.4 points
        (math.inf, 0.82, (18,)),  # the same, from above
        (5.0, 0.80, (16,)),  # Erlang A: 13 agents (85.8%); 12 misses by 2.8 points
    ],
)
def test_the_fewest_agents_for_a_service_level_are_theory_s(
    patience_min: float, service_level: float, start: tuple[int, ...]
) -> None:
    expected = _fewest(service_level, patience_min)
    smaller = erlang_a(RATE_PER_MIN, HANDLE_MIN, expected - 1, patience_min, TARGET_MIN)
    assert 0.01 < service_level - smaller.service_level_offered < 0.05  # misses by a few points
    line = one_line(
        rate_per_min=RATE_PER_MIN,
        agents=start[0],
        handle=exponential(HANDLE_MIN),
        patience=None if math.isinf(patience_min) else exponential(patience_min),
        duration_min=2 * 1440.0,
        warmup_min=120.0,
        target_min=TARGET_MIN,
    )
    goal = Goal(targets=(Target.parse(f"service_level_offered>={service_level}"),))
    result = optimise(line, goal=goal, rounds=ROUNDS, start=start, seed=11)
    assert result.staffing == (expected,)
    assert result.feasible
    assert result.checks[0].sure > 0.95


def test_theory_s_start_is_the_erlang_answer() -> None:
    line = one_line(
        rate_per_min=RATE_PER_MIN, handle=exponential(HANDLE_MIN), target_min=TARGET_MIN
    )
    goal = Goal(targets=(Target.parse("service_level_offered>=0.82"),))
    result = optimise(line, goal=goal, rounds=Rounds(first=4, most=8), seed=3)
    assert result.start == (_fewest(0.82, math.inf),)


def _two_teams() -> Scenario:
    """Phone and chat, each with its own team (phone agents cost more), callers who hang up."""

    def team(name: str, channel: str, handle_min: float, cost: float) -> Team:
        shift = (Shift(tuple(range(7)), 0.0, 0.0, 1),)
        handle = {channel: exponential(handle_min)}
        return Team(name, (channel,), handle, shift, cost_per_hour=cost)

    return Scenario(
        name="two_teams",
        problems=Problems(300 / 60),
        channels={
            "phone": Channel("phone", share=0.6, patience=exponential(5.0)),
            "chat": Channel("chat", share=0.4, patience=exponential(5.0)),
        },
        teams={
            "phone_desk": team("phone_desk", "phone", 3.0, 40.0),
            "chat_desk": team("chat_desk", "chat", 4.0, 30.0),
        },
        run=RunSettings(1440.0, 120.0, TARGET_MIN),
        behaviour=QUEUE_ONLY,
    )


def test_the_plan_is_the_best_of_an_exhaustive_grid_on_the_same_seed() -> None:
    scenario = _two_teams()
    texts = (
        "service_level_offered@channel:phone>=0.82",
        "service_level_offered@channel:chat>=0.82",
    )
    targets = tuple(Target.parse(text) for text in texts)
    result = optimise(scenario, goal=Goal(targets=targets), rounds=ROUNDS, start=(9, 13), seed=5)
    phone, chat = "teams.phone_desk.shifts.0.agents", "teams.chat_desk.shifts.0.agents"
    plan = plan_sweep(
        scenario, [f"{phone}=9:13:1", f"{chat}=8:13:1"], replications=ROUNDS.most, seed=5
    )
    grid = run_sweep(plan)
    feasible = [
        point
        for point in range(len(plan.points))
        if all(
            grid.estimate(point, scenario.run.policy, t.outcome, t.scope).mean >= t.value
            for t in targets
        )
    ]
    cheapest = min(feasible, key=lambda p: grid.estimate(p, scenario.run.policy, "total_cost").mean)
    best = plan.points[cheapest]
    assert result.staffing == (best[phone], best[chat]) == (12, 11)  # theory's answer too
    assert result.simulations < len(plan.points) * ROUNDS.most


def test_the_same_plan_on_one_worker_or_two() -> None:
    scenario = dataclasses.replace(_two_teams(), run=RunSettings(720.0, 120.0, TARGET_MIN))
    goal = Goal()  # net value
    one = optimise(scenario, goal=goal, rounds=Rounds(4, 16), start=(8, 8), seed=9, workers=1)
    two = optimise(scenario, goal=goal, rounds=Rounds(4, 16), start=(8, 8), seed=9, workers=2)
    assert one.staffing == two.staffing
    assert one.simulations == two.simulations
    assert one.plan_runs == two.plan_runs
