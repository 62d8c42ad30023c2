"""What `optimise` may change (the headcount of each shift of some teams), and where it starts.

The start comes from queueing theory hour by hour: for each hour of the week, the complaints a
team's channels are expected to get; Erlang A (with the channel's mean patience; Erlang C when
customers never give up) for the fewest agents that answer live channels within the service
level; for async channels, a backlog rule (the week's work spread over the hours the team is on
duty). The hours' needs are then covered by the team's shifts, adding agents to the shift that
covers most of the hours still short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from simcare.core.theory import erlang_a
from simcare.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from simcare.scenario import Mode, Scenario, Shift, Team

HOURS_PER_WEEK = 168
MAX_START_AGENTS = 500
"""Theory's start asks for at most this many agents in an hour (a guard for absurd loads)."""

Staffing = tuple[int, ...]
"""A headcount per lever, in the order of `Space.levers`."""


@dataclass(frozen=True, slots=True)
class Lever:
    """One headcount the search may change: a shift of a team."""

    team: str
    shift: int

    @property
    def name(self) -> str:
        """As a sweep would set it: ``teams.NAME.shifts.N.agents``."""
        return f"teams.{self.team}.shifts.{self.shift}.agents"


def always_on(team: Team) -> bool:
    """Whether a team is written as ``agents = N``: one shift, every day, all day."""
    if len(team.shifts) != 1:
        return False
    shift = team.shifts[0]
    return shift.days == tuple(range(7)) and shift.start_min == shift.end_min == 0


@dataclass(frozen=True, slots=True)
class Space:
    """The levers of the chosen teams, and the scenario they change."""

    scenario: Scenario
    levers: tuple[Lever, ...]

    @classmethod
    def of(cls, scenario: Scenario, teams: Sequence[str] | None = None) -> Space:
        """Every shift of ``teams`` (default: every team), in the file's order.

        Raises:
            ValueError: a team the scenario does not have.
        """
        chosen = list(dict.fromkeys(teams or scenario.teams))
        unknown = [team for team in chosen if team not in scenario.teams]
        if unknown:
            raise ValueError(
                f"unknown team {unknown[0]!r} for {scenario.name}; teams are "
                f"{', '.join(scenario.teams)}"
            )
        levers = tuple(
            Lever(name, index)
            for name in scenario.teams
            if name in chosen
            for index in range(len(scenario.teams[name].shifts))
        )
        return cls(scenario, levers)

    def current(self) -> Staffing:
        """The scenario's own headcounts."""
        teams = self.scenario.teams
        return tuple(teams[lever.team].shifts[lever.shift].agents for lever in self.levers)

    def staffed(self, staffing: Staffing, policy: str | None = None) -> Scenario:
        """The scenario with these headcounts (and policy, if given)."""
        teams = dict(self.scenario.teams)
        for lever, agents in zip(self.levers, staffing, strict=True):
            team = teams[lever.team]
            shifts = list(team.shifts)
            shifts[lever.shift] = replace(shifts[lever.shift], agents=agents)
            teams[lever.team] = replace(team, shifts=tuple(shifts))
        scenario = replace(self.scenario, teams=teams)
        if policy is not None:
            scenario = replace(scenario, run=replace(scenario.run, policy=policy))
        return scenario

    def by_team(self, staffing: Staffing, every_team: bool = False) -> dict[str, list[int] | int]:
        """Team → headcount per shift in the file's order (a number for ``agents = N``).

        The chosen teams only, or with ``every_team`` the others too, as the scenario has them.
        """
        found: dict[str, list[int]] = {}
        scenario = self.staffed(staffing)
        chosen = {lever.team for lever in self.levers}
        for name, team in scenario.teams.items():
            if every_team or name in chosen:
                found[name] = [shift.agents for shift in team.shifts]
        return {
            team: counts[0] if always_on(self.scenario.teams[team]) else counts
            for team, counts in found.items()
        }


def _covers(shift: Shift, hour: int) -> bool:
    """Whether a shift is on duty at the start of an hour of the week."""
    minute = hour * 60
    length = (shift.end_min - shift.start_min) % MINUTES_PER_DAY or MINUTES_PER_DAY
    for day in shift.days:
        start = day * MINUTES_PER_DAY + shift.start_min
        if (minute - start) % MINUTES_PER_WEEK < length:
            return True
    return False


def _hourly_arrivals(scenario: Scenario, channel: str) -> list[float]:
    """Complaints a channel is expected to get per minute, in each hour of the week.

    First contacts only (escalations and retries add to it: the search corrects that).
    """
    shares = {name: c.share for name, c in scenario.channels.items()}
    share = shares[channel] / sum(shares.values()) if sum(shares.values()) > 0 else 0.0
    mix = scenario.complaint_share() * share
    start = scenario.run.start_weekday
    return [
        scenario.problems.rate_at_hour((start + hour // 24) % 7, hour % 24) * mix
        for hour in range(HOURS_PER_WEEK)
    ]


def _live_need(
    arrivals: float, handle_min: float, patience_min: float, target: float, sl: float
) -> int:
    """The fewest agents whose Erlang A service level within ``target`` reaches ``sl``."""
    if arrivals <= 0:
        return 0
    agents = max(1, math.ceil(arrivals * handle_min))
    while agents < MAX_START_AGENTS:
        if math.isinf(patience_min) and arrivals * handle_min >= agents:
            agents += 1  # Erlang C is unstable here: more agents, whatever the target
            continue
        measures = erlang_a(arrivals, handle_min, agents, patience_min, target)
        if measures.service_level_offered >= sl:
            return agents
        agents += 1
    return agents


def _patience_multiplier(scenario: Scenario) -> float:
    """The segments' patience multipliers, averaged by their shares of problems."""
    segments = scenario.segments.values()
    total = sum(segment.share for segment in segments)
    if not total > 0:
        return 1.0
    return sum(segment.share * segment.patience_multiplier for segment in segments) / total


def hourly_need(scenario: Scenario, team: Team, service_level: float) -> list[int]:
    """Agents the team needs in each hour of the week (theory, see the module's docstring).

    A team's live channels share its agents: they are pooled into one Erlang A queue (the
    arrivals summed; handling time and patience averaged, weighted by arrivals).
    """
    target = scenario.run.service_level_target_min
    on_duty = [h for h in range(HOURS_PER_WEEK) if any(_covers(s, h) for s in team.shifts)]
    need = [0.0] * HOURS_PER_WEEK
    live = [0.0] * HOURS_PER_WEEK  # arrivals per minute
    work = [0.0] * HOURS_PER_WEEK  # handling minutes arriving per minute
    waiting = [0.0] * HOURS_PER_WEEK  # arrivals × mean patience
    multiplier = _patience_multiplier(scenario)
    for channel in team.channels:
        spec = scenario.channels[channel]
        arrivals = _hourly_arrivals(scenario, channel)
        handle = team.handle_time[channel].mean_min
        if spec.mode is Mode.LIVE:
            patience = spec.patience.mean_min * multiplier if spec.patience else math.inf
            for hour, rate in enumerate(arrivals):
                live[hour] += rate
                work[hour] += rate * handle
                waiting[hour] += rate * patience
        elif on_duty:
            # Backlog rule: the week's work (contacts a week × minutes each, in hours), done
            # in the hours someone is on duty.
            work_hours = sum(arrivals) * 60 * handle / 60
            for hour in on_duty:
                need[hour] += work_hours / len(on_duty)
    for hour, rate in enumerate(live):
        if rate > 0:
            handle, patience = work[hour] / rate, waiting[hour] / rate
            need[hour] += _live_need(rate, handle, patience, target, service_level)
    paid = 1.0 - team.shrinkage
    return [math.ceil(n / paid - 1e-9) for n in need]


def theory_start(space: Space, service_level: float = 0.8) -> Staffing:
    """Headcounts from theory: each team's hourly needs covered by its shifts."""
    start = list(space.current())
    for name, team in space.scenario.teams.items():
        indices = [k for k, lever in enumerate(space.levers) if lever.team == name]
        if not indices:
            continue
        need = hourly_need(space.scenario, team, service_level)
        counts = _cover(team.shifts, need)
        for k in indices:
            start[k] = counts[space.levers[k].shift]
    return tuple(start)


def _cover(shifts: Sequence[Shift], need: list[int]) -> list[int]:
    """Headcounts per shift so that every hour some shift covers has its need met (greedy)."""
    covering = [[h for h in range(HOURS_PER_WEEK) if _covers(s, h)] for s in shifts]
    counts = [0] * len(shifts)
    have = [0] * HOURS_PER_WEEK
    covered = {h for hours in covering for h in hours}
    for _ in range(MAX_START_AGENTS * max(1, len(shifts))):
        short = [h for h in covered if have[h] < need[h]]
        if not short:
            break
        worst = max(short, key=lambda h: (need[h] - have[h], -h))
        # The shift covering the worst hour that covers most other short hours.
        best = max(
            (k for k, hours in enumerate(covering) if worst in hours),
            key=lambda k: (sum(1 for h in covering[k] if have[h] < need[h]), -k),
        )
        counts[best] += 1
        for h in covering[best]:
            have[h] += 1
    return counts
