"""Who is on duty and which channels are open: shifts, opening hours, and the duty log."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
from simpy.events import Event

from simcare.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from simcare.model.queues import TeamState
from simcare.model.state import RunState
from simcare.scenario import Team
from simcare.scenario.policy import Hours


def headcount_changes(team: Team, start_weekday: int, horizon: float) -> list[tuple[float, int]]:
    """Return (time, headcount) for a team from time 0 to the horizon, starting with time 0."""
    weekly = team.weekly_headcount()
    offset = start_weekday * 1440.0
    changes: list[tuple[float, int]] = []
    week_start = -offset
    while week_start < horizon:
        for minute, count in weekly:
            moment = week_start + minute
            if moment < horizon:
                changes.append((max(moment, 0.0), count))
        week_start += MINUTES_PER_WEEK
    # Keep the last change at or before 0 as the starting headcount, then the later ones.
    first = max(i for i, (moment, _) in enumerate(changes) if moment <= 0.0)
    result: list[tuple[float, int]] = []
    for moment, count in changes[first:]:
        if not result or count != result[-1][1]:
            result.append((moment, count))
    return result


def opening_times(hours: Hours, horizon: float) -> list[tuple[float, bool]]:
    """Return the times after 0 and before the horizon a channel opens (True) or closes."""
    if hours.open_min == hours.close_min:
        return []  # open all day
    changes = []
    for day in np.arange(0.0, horizon, MINUTES_PER_DAY).tolist():
        for minute, is_open in ((hours.open_min, True), (hours.close_min, False)):
            if 0 < day + minute < horizon:
                changes.append((day + minute, is_open))
    return sorted(changes)


class Staffing(RunState):
    """Agents going on and off duty, channels opening and closing (a mixin of `Replication`)."""

    def _take_next(self, team: TeamState, agent: int, now: float) -> None:
        """Give a free agent the first waiting contact, or let them idle (the hot path's)."""
        raise NotImplementedError("defined by Replication, the hot path")

    def _go_off_duty(self, team: TeamState, agent: int) -> None:
        team.off_duty.append(agent)
        team.on_duty -= 1
        self._log_duty(team)

    def _log_duty(self, team: TeamState) -> None:
        team.duty_time.append(self.env.now)
        team.duty_count.append(team.on_duty)

    def _set_headcount(self, team: TeamState, target: int) -> None:
        present = team.on_duty - team.leaving
        if target > present:
            staying = min(target - present, team.leaving)  # leavers asked to stay on
            team.leaving -= staying
            for _ in range(target - present - staying):
                team.on_duty += 1
                self._take_next(team, team.off_duty.pop(), self.env.now)
        elif target < present:
            surplus = present - target
            while surplus and team.idle:
                team.off_duty.append(team.idle.pop())
                team.on_duty -= 1
                surplus -= 1
            team.leaving += surplus  # the rest leave when they finish the contact in hand
        self._log_duty(team)

    def _staffing(
        self, team: TeamState, changes: list[tuple[float, int]]
    ) -> Generator[Event, Any, None]:
        for moment, count in changes:
            yield self.env.timeout(moment - self.env.now)
            self._set_headcount(team, count)

    def _hours(self, channel: int, opens: list[tuple[float, bool]]) -> Generator[Event, Any, None]:
        """Open and close a channel on the policy's response hours."""
        for moment, is_open in opens:
            yield self.env.timeout(moment - self.env.now)
            self.open[channel] = is_open
            if is_open:
                for team in self.channel_teams[channel]:
                    while team.idle and self.queues[channel]:
                        self._take_next(team, team.idle.pop(), self.env.now)
