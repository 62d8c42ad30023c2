"""Today's workload, for the handout: a short simulation of the case under its own policy.

Teams staff desks on facts: how many complaints each channel brings a day, how long one takes
to handle, how long customers wait today, and how much handling each desk's work needs against
the hours its agents are on duty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simcare.core.units import MINUTES_PER_DAY
from simcare.experiments.replicate import simulate_outcomes
from simcare.metrics import Outcomes
from simcare.workshop.case import Workshop
from simcare.workshop.levers import shift_hours

__all__ = ["WORKLOAD_REPLICATIONS", "ChannelLoad", "TeamLoad", "Workload", "today_workload"]

WORKLOAD_REPLICATIONS = 5
"""Replications of today's policy behind the handout's numbers (a fraction of a second each
for the built-in cases; the numbers are means, shown rounded)."""


@dataclass(frozen=True, slots=True)
class ChannelLoad:
    """One channel today.

    Attributes:
        channel: its name.
        public: whether others can see a complaint there.
        teams: the desks that answer it (none: nobody does).
        per_day: complaints (contacts, retries and escalations included) a day.
        answered_share: the share of them a person answered (NaN with none).
        wait_min: the mean wait of those answered, in minutes (NaN with none answered).
        handle_min: the mean handling time of one, in minutes, at the first desk that answers
            it (NaN if none does).
    """

    channel: str
    public: bool
    teams: tuple[str, ...]
    per_day: float
    answered_share: float
    wait_min: float
    handle_min: float


@dataclass(frozen=True, slots=True)
class TeamLoad:
    """One desk today.

    Attributes:
        team: its name.
        channels: the channels it answers.
        on_duty_hours: agent-hours on duty a week, as the case staffs it.
        needed_hours: hours of handling a week, if every complaint on its channels were
            answered once (the offered load, before any idle time between complaints); a
            channel several desks answer counts in full for each.
        busy_share: the share of its on-duty time agents spent handling (NaN if never on duty).
    """

    team: str
    channels: tuple[str, ...]
    on_duty_hours: float
    needed_hours: float
    busy_share: float


@dataclass(frozen=True, slots=True)
class Workload:
    """Today's workload: the case's own policy and staffing, simulated briefly.

    Attributes:
        policy: the policy simulated (what the brand does now).
        days: the days measured in each replication.
        replications: how many replications the means are over.
        seed: their base seed.
        channels: one row per channel, in the case's order.
        teams: one row per desk, in the case's order.
    """

    policy: str
    days: float
    replications: int
    seed: int
    channels: tuple[ChannelLoad, ...]
    teams: tuple[TeamLoad, ...]


def _mean(runs: list[Outcomes], outcome: str, scope: str) -> float:
    """The mean over replications of one outcome (NaN where it is undefined in all of them)."""
    values = np.array([run.get((outcome, scope), math.nan) for run in runs], dtype=float)
    defined = values[~np.isnan(values)]
    return float(defined.mean()) if len(defined) else math.nan


def today_workload(
    workshop: Workshop, replications: int = WORKLOAD_REPLICATIONS, seed: int = 2024
) -> Workload:
    """Simulate the case as it stands (its policy, its staffing) and sum up its workload."""
    scenario = workshop.scenario
    policy = scenario.run.policy
    runs = [simulate_outcomes(scenario, seed, r, policy) for r in range(replications)]
    days = (scenario.run.duration_min - scenario.run.warmup_min) / MINUTES_PER_DAY
    serving = {
        name: [team for team in scenario.teams.values() if name in team.channels]
        for name in scenario.channels
    }
    channels = []
    for name, channel in scenario.channels.items():
        scope = f"channel:{name}"
        offered = _mean(runs, "complaints", scope)
        answered = _mean(runs, "answered", scope)
        desks = serving[name]
        handle = desks[0].handle_time.get(name) if desks else None
        channels.append(
            ChannelLoad(
                channel=name,
                public=channel.public,
                teams=tuple(team.name for team in desks),
                per_day=offered / days,
                answered_share=answered / offered if offered else math.nan,
                wait_min=_mean(runs, "asa_min", scope),
                handle_min=handle.mean_min if handle is not None else math.nan,
            )
        )
    teams = [
        TeamLoad(
            team=team.name,
            channels=team.channels,
            on_duty_hours=sum(shift.agents * shift_hours(shift) for shift in team.shifts),
            needed_hours=sum(
                row.per_day * 7 * team.handle_time[row.channel].mean_min / 60
                for row in channels
                if row.channel in team.channels
            ),
            busy_share=_mean(runs, "occupancy", f"team:{team.name}"),
        )
        for team in scenario.teams.values()
    ]
    return Workload(policy, days, replications, seed, tuple(channels), tuple(teams))
