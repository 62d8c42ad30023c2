"""One replication: wires problems, channels and teams into a SimPy environment and runs it.

Speed comes from keeping SimPy events per contact to about two (its arrival and the end of its
handling): there is no process per customer, no Resource request/release, and no patience timer.
A customer whose patience has run out is skipped when an agent reaches them ("lazy"
abandonment), which gives the same result as a timer because nothing else happens at that
moment. Handling times are drawn from the customer's own unit draws, so the same customer
brings the same work under every policy.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Generator
from typing import Any, Protocol, cast

import numpy as np
import simpy
from simpy.events import Event, Timeout

from simcare.model.problems import ArrivalBatch, ProblemSource
from simcare.randomness import Streams, make_streams
from simcare.records import RunRecord, StaffingLog
from simcare.scenario import MINUTES_PER_WEEK, DistributionKind, Scenario, Team

_EXPONENTIAL, _LOGNORMAL, _CONSTANT = 0, 1, 2

QueueEntry = tuple[int, float, float, float]
"""(contact, deadline, handle_e, handle_z): what an agent needs to take a waiting contact."""


def _handle_params(team: Team, channel: str) -> tuple[int, float, float]:
    """Return (kind, a, b) such that the handling time is a*e, exp(a + b*z) or a."""
    distribution = team.handle_time[channel]
    if distribution.kind is DistributionKind.EXPONENTIAL:
        return _EXPONENTIAL, distribution.mean_min, 0.0
    if distribution.kind is DistributionKind.LOGNORMAL:
        mu, sigma = distribution.lognormal_mu_sigma()
        return _LOGNORMAL, mu, sigma
    return _CONSTANT, distribution.mean_min, 0.0


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


class _TeamState:
    """The live state of one team: who is idle, who is off duty, what they serve."""

    __slots__ = (
        "duty_count",
        "duty_time",
        "handle",
        "idle",
        "leaving",
        "off_duty",
        "on_duty",
        "queues",
    )

    def __init__(
        self,
        agents: range,
        queues: list[tuple[int, deque[QueueEntry]]],
        handle: dict[int, tuple[int, float, float]],
    ) -> None:
        self.queues = queues
        self.handle = handle
        self.idle: list[int] = []
        self.off_duty: list[int] = list(reversed(agents))
        self.on_duty = 0
        self.leaving = 0  # agents past their shift, finishing the contact in hand
        self.duty_time = array("d")
        self.duty_count = array("l")


class ArrivalSource(Protocol):
    """Where a replication's complaints come from (a `ProblemSource`, or a script in tests)."""

    def windows(self, horizon: float) -> list[tuple[float, float]]:
        """Split [0, horizon) into the windows arrivals are drawn in."""
        ...

    def window(self, start: float, end: float) -> ArrivalBatch:
        """Return the complaints arising in [start, end), sorted by time."""
        ...


class Replication:
    """One run of a scenario: build with the streams (or a scripted source), then `run` once."""

    def __init__(
        self, scenario: Scenario, streams: Streams, source: ArrivalSource | None = None
    ) -> None:
        self.scenario = scenario
        self.env = simpy.Environment()
        self.horizon = scenario.run.duration_min
        self.source = source or ProblemSource(scenario, streams["arrivals"], streams["customers"])
        channel_code = {name: code for code, name in enumerate(scenario.channels)}
        self.queues: list[deque[QueueEntry]] = [deque() for _ in scenario.channels]
        self.channel_teams: list[list[_TeamState]] = [[] for _ in scenario.channels]
        self.teams: list[_TeamState] = []
        agent_team: list[int] = []
        for team_code, team in enumerate(scenario.teams.values()):
            first_agent = len(agent_team)
            agent_team.extend([team_code] * team.max_headcount)
            codes = [channel_code[name] for name in team.channels]
            state = _TeamState(
                range(first_agent, len(agent_team)),
                [(code, self.queues[code]) for code in codes],
                {
                    code: _handle_params(team, name)
                    for code, name in zip(codes, team.channels, strict=True)
                },
            )
            self.teams.append(state)
            for code in codes:
                self.channel_teams[code].append(state)
        self.agent_team = agent_team
        self.batches: list[ArrivalBatch] = []
        # Service records, appended as agents take contacts (columnar, no per-event objects).
        self.served_contact = array("q")
        self.served_start = array("d")
        self.served_handle = array("d")
        self.served_agent = array("q")

    # --- the hot path ---------------------------------------------------------------------

    def _arrive(
        self, contact: int, channel: int, deadline: float, e: float, z: float, now: float
    ) -> None:
        for team in self.channel_teams[channel]:
            if team.idle:
                self._serve(team, team.idle.pop(), contact, channel, e, z, now)
                return
        if self.channel_teams[channel]:
            self.queues[channel].append((contact, deadline, e, z))
        # A contact on a channel nobody serves is never answered; its record says so.

    def _serve(
        self,
        team: _TeamState,
        agent: int,
        contact: int,
        channel: int,
        e: float,
        z: float,
        now: float,
    ) -> None:
        kind, a, b = team.handle[channel]
        handle = a * e if kind == _EXPONENTIAL else math.exp(a + b * z) if kind == _LOGNORMAL else a
        self.served_contact.append(contact)
        self.served_start.append(now)
        self.served_handle.append(handle)
        self.served_agent.append(agent)
        Timeout(self.env, handle, agent).callbacks.append(self._finish)

    def _finish(self, event: Event) -> None:
        agent = cast(int, event.value)
        team = self.teams[self.agent_team[agent]]
        if team.leaving:
            team.leaving -= 1
            self._go_off_duty(team, agent)
        else:
            self._take_next(team, agent, self.env.now)

    def _take_next(self, team: _TeamState, agent: int, now: float) -> None:
        """Give a free agent the first waiting contact in priority order, or let them idle."""
        for channel, queue in team.queues:
            while queue:
                contact, deadline, e, z = queue.popleft()
                if deadline < now:
                    continue  # gave up before anyone reached them (lazy abandonment)
                self._serve(team, agent, contact, channel, e, z, now)
                return
        team.idle.append(agent)

    # --- staffing and arrivals -------------------------------------------------------------

    def _go_off_duty(self, team: _TeamState, agent: int) -> None:
        team.off_duty.append(agent)
        team.on_duty -= 1
        self._log_duty(team)

    def _log_duty(self, team: _TeamState) -> None:
        team.duty_time.append(self.env.now)
        team.duty_count.append(team.on_duty)

    def _set_headcount(self, team: _TeamState, target: int) -> None:
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
        self, team: _TeamState, changes: list[tuple[float, int]]
    ) -> Generator[Event, Any, None]:
        for moment, count in changes:
            yield self.env.timeout(moment - self.env.now)
            self._set_headcount(team, count)

    def _arrivals(self) -> Generator[Event, Any, None]:
        env = self.env
        timeout = env.timeout
        arrive = self._arrive
        contact = 0
        previous = 0.0
        for start, end in self.source.windows(self.horizon):
            batch = self.source.window(start, end)
            self.batches.append(batch)
            # Steps between arrivals, so the clock never has to go back by a rounding error.
            steps = np.diff(batch.time, prepend=previous).tolist()
            for step, moment, channel, deadline, e, z in zip(
                steps,
                batch.time.tolist(),
                batch.channel.tolist(),
                batch.deadline.tolist(),
                batch.handle_e.tolist(),
                batch.handle_z.tolist(),
                strict=True,
            ):
                yield timeout(step)
                arrive(contact, channel, deadline, e, z, moment)
                contact += 1
            if len(batch):
                previous = float(batch.time[-1])

    def run(self) -> RunRecord:
        """Simulate from time 0 to the end of the run and return the records."""
        start_weekday = self.scenario.run.start_weekday
        for state, team in zip(self.teams, self.scenario.teams.values(), strict=True):
            changes = headcount_changes(team, start_weekday, self.horizon)
            self._set_headcount(state, changes[0][1])
            self.env.process(self._staffing(state, changes[1:]))
        self.env.process(self._arrivals())
        self.env.run(until=self.horizon)
        return self._record()

    def _record(self) -> RunRecord:
        def joined(name: str, dtype: type) -> np.ndarray:
            parts = [getattr(batch, name) for batch in self.batches]
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        size = sum(len(batch) for batch in self.batches)
        contacts = np.frombuffer(self.served_contact, dtype=np.int64)
        start = np.full(size, np.nan)
        handle = np.full(size, np.nan)
        agent = np.full(size, -1, dtype=np.int64)
        start[contacts] = np.frombuffer(self.served_start, dtype=np.float64)
        handle[contacts] = np.frombuffer(self.served_handle, dtype=np.float64)
        agent[contacts] = np.frombuffer(self.served_agent, dtype=np.int64)
        scenario = self.scenario
        silent = sum(
            (batch.silent for batch in self.batches),
            start=np.zeros((len(scenario.segments), len(scenario.severities)), dtype=np.int64),
        )
        return RunRecord(
            end_min=self.horizon,
            warmup_min=scenario.run.warmup_min,
            channel_names=tuple(scenario.channels),
            team_names=tuple(scenario.teams),
            segment_names=tuple(scenario.segments),
            severity_names=tuple(scenario.severities),
            arrival_min=joined("time", np.float64),
            channel=joined("channel", np.int16),
            segment=joined("segment", np.int16),
            severity=joined("severity", np.int16),
            followers=joined("followers", np.int64),
            deadline_min=joined("deadline", np.float64),
            service_start_min=start,
            handle_min=handle,
            agent=agent,
            agent_team=np.asarray(self.agent_team, dtype=np.int64),
            staffing=tuple(
                StaffingLog(
                    np.frombuffer(t.duty_time, dtype=np.float64).copy(),
                    np.frombuffer(t.duty_count, dtype=np.int64).copy(),
                )
                for t in self.teams
            ),
            silent=silent,
            problems=sum(batch.problems for batch in self.batches),
        )


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0) -> RunRecord:
    """Run one replication of a scenario and return its records.

    The streams come from (seed, replication) only, so a replication gives the same numbers on
    any worker and under any policy's customers.
    """
    return Replication(scenario, make_streams(seed, replication)).run()
