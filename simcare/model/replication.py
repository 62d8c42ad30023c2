"""One replication: wires problems, channels, teams and a response policy into SimPy, runs it.

Speed comes from keeping SimPy events per contact to about two (its arrival and the end of its
handling): there is no process per customer, no Resource request/release. A customer whose
patience runs out is skipped when an agent reaches them ("lazy" abandonment), which gives the
same result as a timer because nothing else happens at that moment; only a customer who will
*act* when patience runs out (retry or escalate) gets one timer, whose callback checks whether
they are still waiting. Whether they will act is known at arrival, because every random
number of a journey is drawn in a block when the complaint arises (common random numbers: the
same customer makes the same choices in the same situation under every policy). The arrivals,
and each agent's handlings, reuse one SimPy Timeout each (`Replication._drive`).

A complaint is a *journey* of contacts. Contact ids: the first contact of journey j has id j;
later contacts (retries, escalations, reposts, follow-ups) have negative ids ``~x`` for the
x-th extra contact. Journeys are worked out (records, word of mouth, churn) in chunks as they
end (`Replication._harvest`), and what the run held for them is dropped, so memory does not
grow with the run's length.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import itertools
import math
from array import array
from collections import deque
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, Protocol, cast

import numpy as np
import simpy
from simpy.events import NORMAL, Event, Timeout

from simcare.core.randomness import Streams, make_streams
from simcare.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from simcare.model.journeys import (
    DRAWS,
    ContactKind,
    EffectTable,
    Result,
    act_probability,
    assemble_journeys,
    assemble_posts,
    draw_block,
    first_attempt_acts,
    public_posts,
    repost_targets,
    response_results,
)
from simcare.model.loyalty import bystander_churn, leave_probability, silent_churn
from simcare.model.problems import ArrivalBatch, ProblemSource
from simcare.model.records import ChurnResult, Journeys, Posts, RunRecord, Spread, StaffingLog
from simcare.model.word_of_mouth import MouthDraws, draw_mouth, silent_told, spread
from simcare.scenario import Distribution, DistributionKind, Scenario, Team
from simcare.scenario.policy import ACTIONS, Effect, Failure, Hours, Priority

_EXPONENTIAL, _LOGNORMAL, _CONSTANT = 0, 1, 2
# Enum members as ints for the hot path: reading `Result.X` costs ~70 ns on Python 3.11.
_FOLLOW_UP, _UNRESOLVED = int(Result.FOLLOW_UP), int(Result.UNRESOLVED)
_FOLLOW_UP_KIND = int(ContactKind.FOLLOW_UP)
_HANDLE_E, _HANDLE_Z, _FOLLOW_UP_AT = DRAWS.handle_e, DRAWS.handle_z, DRAWS.follow_up

QueueEntry = tuple[int, float, float, float]
"""(contact, deadline, e, z): what an agent needs to take a waiting contact."""


def _params(distribution: Distribution) -> tuple[int, float, float]:
    """Return (kind, a, b) such that a duration is a*e, exp(a + b*z) or a."""
    if distribution.kind is DistributionKind.EXPONENTIAL:
        return _EXPONENTIAL, distribution.mean_min, 0.0
    if distribution.kind is DistributionKind.LOGNORMAL:
        mu, sigma = distribution.lognormal_mu_sigma()
        return _LOGNORMAL, mu, sigma
    return _CONSTANT, distribution.mean_min, 0.0


def _duration(params: tuple[int, float, float], e: float, z: float) -> float:
    kind, a, b = params
    return a * e if kind == _EXPONENTIAL else math.exp(a + b * z) if kind == _LOGNORMAL else a


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


class _PriorityQueue:
    """A channel's queue served by rank (lowest first), then first come: deque's two methods."""

    __slots__ = ("entries", "rank", "sequence")

    def __init__(self, rank: Callable[[int], float]) -> None:
        self.entries: list[tuple[float, int, QueueEntry]] = []
        self.rank = rank
        self.sequence = itertools.count()

    def append(self, entry: QueueEntry) -> None:
        heapq.heappush(self.entries, (self.rank(entry[0]), next(self.sequence), entry))

    def popleft(self) -> QueueEntry:
        return heapq.heappop(self.entries)[2]

    def __len__(self) -> int:
        return len(self.entries)


Queue = deque[QueueEntry] | _PriorityQueue


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
        queues: list[tuple[int, Queue]],
        handle: dict[int, tuple[int, float, float, float, float]],
    ) -> None:
        self.queues = queues
        self.handle = handle  # per channel: (kind, a, b) of `_params`, factor, extra minutes
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
    """One run of a scenario under a policy: build with the streams, then `run` once."""

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        source: ArrivalSource | None = None,
        policy: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.streams = streams
        self.policy = scenario.policy(policy)
        self.env = simpy.Environment()
        self.schedule = self.env.schedule
        self.horizon = scenario.run.duration_min
        self.source = source or ProblemSource(scenario, streams["arrivals"], streams["customers"])
        self.behaviour = behaviour = scenario.behaviour
        channels = list(scenario.channels.values())
        channel_code = {name: code for code, name in enumerate(scenario.channels)}
        self.effects: list[Effect] = [
            ACTIONS[self.policy.action_for(c)].effect(c) for c in channels
        ]
        self.escalate_to = [
            -1 if c.escalate_to is None else channel_code[c.escalate_to] for c in channels
        ]
        self.repost_to = repost_targets(channels, channel_code)
        self.patience = [None if c.patience is None else _params(c.patience) for c in channels]
        self.patience_multiplier = [s.patience_multiplier for s in scenario.segments.values()]
        self.severity_anger = [s.anger for s in scenario.severities.values()]
        self.retry_delay = _params(behaviour.retry_delay)
        self.open = [True] * len(channels)
        depth = self.policy.depth
        cross_sell = self.policy.cross_sell
        # Extra handling per channel on answered, resolving contacts (depth, cross-selling).
        handle_factor = [
            e.handle_factor * (depth.handle_factor if depth and e.resolves else 1.0)
            for e in self.effects
        ]
        extra_min = [
            cross_sell.extra_min if cross_sell and e.resolves else 0.0 for e in self.effects
        ]
        follow_up = self.policy.follow_up
        self.follow_up = None if follow_up is None else _params(follow_up.handle_time)
        self.follow_up_within = 0.0 if follow_up is None else follow_up.within_min
        self.queues: list[Queue] = [self._new_queue() for _ in channels]
        self.channel_teams: list[list[_TeamState]] = [[] for _ in channels]
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
                    code: (*_params(team.handle_time[name]), handle_factor[code], extra_min[code])
                    for code, name in zip(codes, team.channels, strict=True)
                },
            )
            self.teams.append(state)
            for code in codes:
                if self.effects[code].answers:
                    self.channel_teams[code].append(state)
        self.agent_team = agent_team
        # Per agent: their team's state, the callbacks of the end of their handling, built once
        # so that serving a contact creates no bound method and reads no event value, and the
        # Timeout that ends their handlings (one per agent, made at their first).
        self.agent_state = [self.teams[code] for code in agent_team]
        self.finishers: list[list[Callable[[Event], None]]] = [
            [partial(self._finish, agent)] for agent in range(len(agent_team))
        ]
        self.agent_finish: list[Timeout | None] = [None] * len(agent_team)
        self.answered_channel = np.array([bool(teams) for teams in self.channel_teams])
        self.agent_contact = [0] * len(agent_team)
        self.agent_channel = [0] * len(agent_team)
        # Arrival windows with a journey not yet harvested, oldest first (see `_harvest`).
        self.windows: list[_Window] = []
        self.window_first: list[int] = []  # each window's first journey, for bisect
        self.journeys_begun = 0
        self.harvested_at = 0  # journeys begun at the last harvest
        self.silent = np.zeros((len(scenario.segments), len(scenario.severities)), np.int64)
        self.silent_left = np.zeros_like(self.silent)
        self.silent_told = 0
        self.problems = 0
        self.negative_impressions = 0.0  # of the posts of measured journeys harvested so far
        self.chunks: list[_Chunk] = []
        self.effect_table = EffectTable(self.effects, behaviour)
        # The draws are float32; numpy compares them with a Python float share in float32.
        # The Python paths compare exact float32 values with the share rounded to float32.
        self._resolve_share = float(np.float32(behaviour.resolve_share))
        self._intrusion_share = float(np.float32(behaviour.intrusion_share))
        self._update_share = float(np.float32(behaviour.update_share))
        self._repost_share = float(np.float32(behaviour.repost_share))
        self._escalate_share = float(np.float32(behaviour.escalate_share))
        # What answering a contact does (a `Result`), decided from the journey's draws when the
        # contact is created: per first contact, and per extra contact in `extra_result`.
        # First contact j is at j - first_base: the leading rows go with their windows.
        self.first_base = 0
        self.first_result = array("b")
        self.timed: set[int] = set()  # waiting contacts whose patience timer will act
        self.gone: set[int] = set()  # queued contacts whose timer fired (they left the queue)
        # Service records, appended as agents take and finish contacts (columnar).
        self.served_contact = array("q")
        self.served_start = array("d")
        self.served_handle = array("d")
        self.served_agent = array("q")
        # Extra contacts (after the first of a journey), appended when scheduled. Contact ~x is
        # at x - extra_base: the leading rows go once their journeys are harvested.
        self.extra_base = 0
        self.extra_journey = array("q")
        self.extra_attempt = array("b")
        self.extra_channel = array("h")
        self.extra_kind = array("b")
        self.extra_arrival = array("d")
        self.extra_deadline = array("d")
        self.extra_anger = array("d")
        self.extra_result = array("b")

    def _new_queue(self) -> Queue:
        priority = self.policy.priority
        if priority is Priority.FIRST_COME:
            return deque()
        if priority is Priority.SEVERITY:
            return _PriorityQueue(lambda contact: -self._journey_trait(contact, "severity"))
        return _PriorityQueue(lambda contact: -self._journey_trait(contact, "followers"))

    # --- journey look-ups (off the hot path: only for journeys that go on) -----------------

    def _journey(self, contact: int) -> tuple[int, int]:
        """Return (journey, attempt) for a contact id."""
        if contact >= 0:
            return contact, 0
        extra = ~contact - self.extra_base
        return self.extra_journey[extra], self.extra_attempt[extra]

    def _anger(self, contact: int) -> float:
        """The customer's anger at this contact."""
        if contact >= 0:
            batch, row = self._locate(contact)
            return self.severity_anger[int(batch.severity[row])]
        return self.extra_anger[~contact - self.extra_base]

    def _window(self, journey: int) -> tuple[_Window, int]:
        index = bisect.bisect_right(self.window_first, journey) - 1
        window = self.windows[index]
        return window, journey - window.first

    def _locate(self, journey: int) -> tuple[ArrivalBatch, int]:
        window, row = self._window(journey)
        return window.batch, row

    def _journey_trait(self, contact: int, name: str) -> float:
        journey = contact if contact >= 0 else self.extra_journey[~contact - self.extra_base]
        batch, row = self._locate(journey)
        return float(getattr(batch, name)[row])

    def _draw(self, journey: int, attempt: int) -> list[float]:
        window, row = self._window(journey)
        return window.draws[row, attempt].tolist()

    def _result(self, channel: int, draw: list[float]) -> int:
        """`response_results` for one contact, in Python (same float32 comparisons)."""
        effect = self.effects[channel]
        if effect.removes_post:
            return Result.DELETED
        if not (effect.resolves and draw[DRAWS.resolve] < self._resolve_share):
            return Result.UNRESOLVED
        if effect.may_intrude and draw[DRAWS.special] < self._intrusion_share:
            return Result.INTRUDED
        if effect.may_update and draw[DRAWS.update] < self._update_share:
            return Result.UPDATED
        return Result.RESOLVED

    # --- the hot path ---------------------------------------------------------------------

    def _arrive(
        self,
        contact: int,
        channel: int,
        deadline: float,
        e: float,
        z: float,
        now: float,
        acts: bool,
    ) -> None:
        teams = self.channel_teams[channel]
        if self.open[channel]:
            for team in teams:
                if team.idle:
                    self._serve(team, team.idle.pop(), contact, channel, e, z, now)
                    return
        # Only a customer who waits needs a timer: SimPy events are ordered by when they were
        # made, and a timer skipped here would have found them served and done nothing.
        if acts:
            self.timed.add(contact)
            Timeout(self.env, deadline - now, contact).callbacks.append(self._patience_out)
        if teams:
            self.queues[channel].append((contact, deadline, e, z))
        # A contact on a channel nobody answers waits until their patience runs out.

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
        kind, a, b, factor, extra_min = team.handle[channel]
        handle = a * e if kind == _EXPONENTIAL else math.exp(a + b * z) if kind == _LOGNORMAL else a
        handle = handle * factor + extra_min
        if (
            contact < 0
            and self.follow_up
            and self.extra_kind[~contact - self.extra_base] == _FOLLOW_UP_KIND
        ):
            handle = _duration(self.follow_up, e, z)
        if self.timed:
            self.timed.discard(contact)
        self.served_contact.append(contact)
        self.served_start.append(now)
        self.served_handle.append(handle)
        self.served_agent.append(agent)
        self.agent_contact[agent] = contact
        self.agent_channel[agent] = channel
        finish = self.agent_finish[agent]
        if finish is None:
            finish = self.agent_finish[agent] = Timeout(self.env, handle)
            finish.callbacks = self.finishers[agent]
        else:  # the agent's last handling is over: its Timeout serves again (see `_drive`)
            finish.callbacks = self.finishers[agent]
            self.schedule(finish, NORMAL, handle)

    def _finish(self, agent: int, _: Event) -> None:
        """An agent's handling is over (the callback ``finishers[agent]``)."""
        self._respond(self.agent_contact[agent], self.agent_channel[agent])
        team = self.agent_state[agent]
        if team.leaving:
            team.leaving -= 1
            self._go_off_duty(team, agent)
        else:
            self._take_next(team, agent, self.env.now)

    def _take_next(self, team: _TeamState, agent: int, now: float) -> None:
        """Give a free agent the first waiting contact in priority order, or let them idle."""
        is_open = self.open
        for channel, queue in team.queues:
            if not is_open[channel]:
                continue
            while queue:
                contact, deadline, e, z = queue.popleft()
                if deadline <= now and (deadline < now or contact in self.gone):
                    self.gone.discard(contact)
                    continue  # gave up before anyone reached them (lazy abandonment)
                self._serve(team, agent, contact, channel, e, z, now)
                return
        team.idle.append(agent)

    # --- what happens after a contact: the response, and the journey going on --------------

    def _respond(self, contact: int, channel: int) -> None:
        """An answered contact is done: a failure lets the journey go on; a fix, a follow-up."""
        if contact >= 0:
            result = self.first_result[contact - self.first_base]
        else:
            result = self.extra_result[~contact - self.extra_base]
        if result == _FOLLOW_UP or (result < _UNRESOLVED and self.follow_up is None):
            return
        journey, attempt = self._journey(contact)
        draw = self._draw(journey, attempt)
        if result < _UNRESOLVED:
            self._follow_up(journey, attempt, channel, draw)
        else:
            failure = Failure.DELETED if result == Result.DELETED else Failure.UNRESOLVED
            self._fail(channel, failure, journey, attempt, self._anger(contact), draw)

    def _patience_out(self, event: Event) -> None:
        contact = cast(int, event.value)
        if contact not in self.timed:
            return  # an agent reached them in time
        self.timed.discard(contact)
        journey, attempt = self._journey(contact)
        channel = self._channel_of(contact)
        if self.channel_teams[channel]:
            self.gone.add(contact)  # still in the queue: an agent must skip it, even now
        failure = Failure.WAITED if self.channel_teams[channel] else Failure.IGNORED
        anger = self._anger(contact)
        self._fail(channel, failure, journey, attempt, anger, self._draw(journey, attempt))

    def _channel_of(self, contact: int) -> int:
        if contact < 0:
            return self.extra_channel[~contact - self.extra_base]
        batch, row = self._locate(contact)
        return int(batch.channel[row])

    def _fail(
        self,
        channel: int,
        failure: Failure,
        journey: int,
        attempt: int,
        anger: float,
        draw: list[float],
    ) -> None:
        """The customer's anger rises; they retry, escalate, repost, or give up."""
        behaviour = self.behaviour
        anger += behaviour.anger_steps[failure]
        if attempt + 1 >= behaviour.max_attempts:
            return
        kind = ContactKind.COMPLAINT
        if failure is Failure.DELETED:
            target = self.repost_to[channel]
            if target < 0 or draw[DRAWS.act] >= self._repost_share:
                return
            kind = ContactKind.REPOST
        else:
            if draw[DRAWS.act] >= act_probability(behaviour, anger):
                return
            target = self.escalate_to[channel]
            if target < 0 or draw[DRAWS.escalate] >= self._escalate_share:
                target = channel
        delay = _duration(self.retry_delay, draw[DRAWS.delay_e], draw[DRAWS.delay_z])
        self._schedule(journey, attempt + 1, target, kind, self.env.now + delay, anger)

    def _follow_up(self, journey: int, attempt: int, channel: int, draw: list[float]) -> None:
        moment = self.env.now + self.follow_up_within * draw[_FOLLOW_UP_AT]
        self._schedule(journey, attempt, channel, _FOLLOW_UP_KIND, moment, 0.0, draw)

    def _schedule(
        self,
        journey: int,
        attempt: int,
        channel: int,
        kind: int,
        moment: float,
        anger: float,
        draw: list[float] | None = None,
    ) -> None:
        """Add a later contact of a journey; it arrives at ``moment``."""
        extra = self.extra_base + len(self.extra_journey)
        if draw is None:
            draw = self._draw(journey, attempt)
        e, z = draw[_HANDLE_E], draw[_HANDLE_Z]
        if kind == _FOLLOW_UP_KIND:
            deadline, acts, result = math.inf, False, _FOLLOW_UP
        else:
            result = int(self._result(channel, draw))
            batch, row = self._locate(journey)
            patience = self.patience[channel]
            deadline = math.inf
            if patience is not None:
                multiplier = self.patience_multiplier[int(batch.segment[row])]
                deadline = moment + multiplier * _duration(
                    patience, draw[DRAWS.patience_e], draw[DRAWS.patience_z]
                )
            failure = Failure.WAITED if self.channel_teams[channel] else Failure.IGNORED
            acts = (
                math.isfinite(deadline)
                and attempt + 1 < self.behaviour.max_attempts
                and draw[DRAWS.act]
                < act_probability(self.behaviour, anger + self.behaviour.anger_steps[failure])
            )
        self.extra_journey.append(journey)
        self.extra_attempt.append(attempt)
        self.extra_channel.append(channel)
        self.extra_kind.append(kind)
        self.extra_arrival.append(moment)
        self.extra_deadline.append(deadline)
        self.extra_anger.append(anger)
        self.extra_result.append(result)
        contact = ~extra
        if moment >= self.horizon:
            return

        def arrive(_: Event) -> None:
            self._arrive(contact, channel, deadline, e, z, self.env.now, acts)

        Timeout(self.env, moment - self.env.now).callbacks.append(arrive)

    # --- staffing, opening hours and arrivals ------------------------------------------------

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

    def _drive(self, delays: Generator[float, Any, None]) -> None:
        """Run a generator that yields delays, resuming it after each, like a SimPy process.

        SimPy's `Process` does more work per step, and the arrivals take one step per
        complaint. One Timeout serves every step, as one serves all of an agent's handlings:
        once processed, it is given its callbacks again and scheduled after the next delay.
        SimPy's events are one-shot, but scheduling a processed one again with its callbacks
        restored is what `Environment.step` itself does after a `StopSimulation`; it is
        scheduled exactly as a new Timeout of that delay would be, so the order of events is
        the same, and no event is created per arrival. The generator starts in a Timeout of 0,
        so after the processes started at time 0, as it would as a process.
        """
        timeout = self.env.timeout(0.0)
        schedule = self.schedule

        def resume(_: Event) -> None:
            delay = next(delays, None)
            if delay is not None:
                timeout.callbacks = callbacks
                schedule(timeout, NORMAL, delay)

        callbacks: list[Callable[[Event], None]] = [resume]
        timeout.callbacks = callbacks

    def _staffing(
        self, team: _TeamState, changes: list[tuple[float, int]]
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

    def _open_window(self, start: float, end: float) -> tuple[ArrivalBatch, np.ndarray]:
        """Draw the complaints of [start, end) and every number their journeys may need.

        Returns the batch and whether each first contact acts when its patience runs out.
        """
        behaviour = self.behaviour
        batch = self.source.window(start, end)
        complaints = len(batch)
        draws = draw_block(self.streams["journeys"], complaints, behaviour.max_attempts)
        params = self.scenario.word_of_mouth
        mouth = draw_mouth(
            self.streams["word_of_mouth"], complaints, behaviour.max_attempts, params.told_shape
        )
        self.silent_told += silent_told(batch.silent, params, self.streams["word_of_mouth"])
        loyalty = self.streams["loyalty"]
        leave = loyalty.random(complaints)
        self.silent_left += silent_churn(batch.silent, self.scenario, loyalty)
        self.silent += batch.silent
        self.problems += batch.problems
        window = _Window(self.journeys_begun, batch, draws, mouth, leave)
        self.windows.append(window)
        self.window_first.append(window.first)
        self.journeys_begun += complaints
        self.first_result.frombytes(
            response_results(self.effect_table, batch.channel, draws[:, 0]).tobytes()
        )
        acts = first_attempt_acts(
            batch, draws, self.answered_channel, self.severity_anger, behaviour
        )
        return batch, acts

    def _arrivals(self) -> Generator[float, Any, None]:
        env = self.env
        arrive = self._arrive
        contact = 0
        previous = 0.0
        for start, end in self.source.windows(self.horizon):
            if self.journeys_begun - self.harvested_at >= HARVEST_EVERY:
                self.harvested_at = self.journeys_begun
                self._harvest(env.now)
            batch, acts = self._open_window(start, end)
            # Steps between arrivals, so the clock never has to go back by a rounding error.
            steps = np.diff(batch.time, prepend=previous).tolist()
            for step, moment, channel, deadline, e, z, act in zip(
                steps,
                batch.time.tolist(),
                batch.channel.tolist(),
                batch.deadline.tolist(),
                batch.handle_e.tolist(),
                batch.handle_z.tolist(),
                acts.tolist(),
                strict=True,
            ):
                yield step
                arrive(contact, channel, deadline, e, z, moment, act)
                contact += 1
            if len(batch):
                previous = float(batch.time[-1])

    def run(
        self, on_chunk: Callable[[RunRecord], None] | None = None, keep_record: bool = True
    ) -> RunRecord:
        """Simulate from time 0 to the end of the run.

        Journeys are worked out (their records, word of mouth and churn) in chunks as soon as
        they have ended (`_harvest`), and what the run held for them is dropped; each chunk, a
        `RunRecord` of those journeys alone, goes to ``on_chunk``. Returns the whole record if
        ``keep_record``; otherwise a record of the run-wide parts only (staffing, silent
        problems, bystanders), without contacts, so memory does not grow with the run's length.
        """
        self.on_chunk = on_chunk
        self.keep_record = keep_record
        start_weekday = self.scenario.run.start_weekday
        for state, team in zip(self.teams, self.scenario.teams.values(), strict=True):
            changes = headcount_changes(team, start_weekday, self.horizon)
            self._set_headcount(state, changes[0][1])
            self.env.process(self._staffing(state, changes[1:]))
        channel_code = {name: code for code, name in enumerate(self.scenario.channels)}
        for name, hours in self.policy.hours.items():
            code = channel_code[name]
            self.open[code] = hours.is_open(0.0)
            self.env.process(self._hours(code, _opening_times(hours, self.horizon)))
        self._drive(self._arrivals())
        self.env.run(until=self.horizon)
        self._harvest(self.horizon, final=True)
        return self._whole_record()

    # --- harvesting ended journeys -----------------------------------------------------------

    def _harvest(self, now: float, final: bool = False) -> None:
        """Work out the journeys that have ended by ``now`` (every one left, if ``final``).

        A journey has ended when its latest contact was answered and the handling is over, or
        was not answered and the customer's patience has run out (or it waits, with no limit,
        on a channel nobody answers): a journey's next contact is scheduled at the moment the
        one before it ends, so nothing more can happen to it. Its word of mouth and churn use
        numbers drawn when the complaint arose, so its results do not depend on when it is
        harvested, and the horizon caps them as at the run's end.
        """
        if not self.windows:
            return
        lo = self.windows[0].first
        waiting = np.concatenate([window.open for window in self.windows])  # journeys lo...
        # The run's columns are read as numpy copies, never views: a view left alive (say in
        # a frame a profiler holds, as Dask's does) would stop the columns from growing.
        extra_journey = np.array(self.extra_journey)
        ended = waiting if final else waiting & self._ended(now, lo, extra_journey)
        ids = lo + np.flatnonzero(ended)
        if len(ids) == 0:
            return
        chunk, served_rows = self._chunk(ids, lo, extra_journey)
        if self.on_chunk is not None:
            self.on_chunk(chunk.record)
        if self.keep_record:
            self.chunks.append(chunk)
        waiting[ids - lo] = False
        self._forget(lo, waiting, extra_journey, served_rows)

    def _ended(self, now: float, lo: int, extra_journey: np.ndarray) -> np.ndarray:
        """Whether each journey from ``lo`` on has ended by ``now`` (see `_harvest`)."""
        count = self.journeys_begun - lo
        latest = np.arange(lo, lo + count)  # contact id of each journey's latest contact
        batches = [window.batch for window in self.windows]
        arrival = np.concatenate([batch.time for batch in batches])
        channel = np.concatenate([batch.channel for batch in batches])
        deadline = np.concatenate([batch.deadline for batch in batches])
        rows = np.flatnonzero(extra_journey >= lo)
        if len(rows):
            # Rows are in scheduling order: a journey's last row is its latest contact.
            backwards = rows[::-1]
            owners, first_seen = np.unique(extra_journey[backwards], return_index=True)
            last_rows = backwards[first_seen]
            at = owners - lo
            latest[at] = ~(self.extra_base + last_rows)
            arrival[at] = np.array(self.extra_arrival)[last_rows]
            channel[at] = np.array(self.extra_channel)[last_rows]
            deadline[at] = np.array(self.extra_deadline)[last_rows]
        served = np.array(self.served_contact)
        order = np.argsort(served)
        where = _positions(served[order], latest)
        answered = where >= 0
        row = order[where[answered]]
        service_end = np.array(self.served_start)[row] + np.array(self.served_handle)[row]
        # Unanswered: over when patience has run out; or, on a channel nobody answers, at once
        # if it never runs out (the journey stays open to the end, and nothing can change it).
        ended = (deadline < now) | (
            (arrival < now) & np.isinf(deadline) & ~self.answered_channel[channel]
        )
        ended[answered] = service_end < now
        return ended

    def _chunk(
        self, ids: np.ndarray, lo: int, extra_journey: np.ndarray
    ) -> tuple[_Chunk, np.ndarray]:
        """The record of the journeys ``ids`` (sorted) and the service rows it used."""
        scenario = self.scenario
        windows = self.windows
        first = len(ids)
        at = ids - lo

        def joined(name: str, dtype: type) -> np.ndarray:
            """A column of the arrival batches, for the journeys ``ids``."""
            if not windows:  # the empty record of a run with no journeys left
                return np.zeros(0, dtype=dtype)
            return np.concatenate([getattr(w.batch, name) for w in windows])[at].astype(dtype)

        mine = np.zeros(self.journeys_begun - lo, dtype=bool)
        mine[at] = True
        extra = np.flatnonzero((extra_journey >= lo) & mine[np.maximum(extra_journey - lo, 0)])
        size = first + len(extra)

        def extras(column: array[Any]) -> np.ndarray:
            return np.array(column)[extra]

        # Each service row's contact as a row of this chunk (first contacts, then extras).
        served = np.array(self.served_contact)
        later = _positions(extra, ~served - self.extra_base)
        local = np.where(
            served >= 0, _positions(ids, served), np.where(later >= 0, later + first, -1)
        )
        taken = np.flatnonzero(local >= 0)
        start = np.full(size, np.nan)
        handle = np.full(size, np.nan)
        agent = np.full(size, -1, dtype=np.int64)
        start[local[taken]] = np.array(self.served_start)[taken]
        handle[local[taken]] = np.array(self.served_handle)[taken]
        agent[local[taken]] = np.array(self.served_agent)[taken]
        # A contact's result counts once its handling is over; a handling that ends at the
        # horizon or later was not (the run stops before events at its end time).
        decided = np.concatenate(
            [np.array(self.first_result)[ids - self.first_base], extras(self.extra_result)]
        )
        result = np.where(start + handle < self.horizon, decided, -1).astype(np.int8)
        journey = np.concatenate([np.arange(first), np.searchsorted(ids, extra_journey[extra])])
        segment = joined("segment", np.int16)
        severity = joined("severity", np.int16)
        followers = joined("followers", np.int64)
        first_anger = np.asarray(self.severity_anger)[severity] if first else np.zeros(0)
        contacts = dict(
            arrival_min=np.concatenate([joined("time", np.float64), extras(self.extra_arrival)]),
            channel=np.concatenate([joined("channel", np.int16), extras(self.extra_channel)]),
            deadline_min=np.concatenate(
                [joined("deadline", np.float64), extras(self.extra_deadline)]
            ),
            journey=journey,
            attempt=np.concatenate([np.zeros(first, np.int8), extras(self.extra_attempt)]),
            kind=np.concatenate([np.zeros(first, np.int8), extras(self.extra_kind)]),
            anger=np.concatenate([first_anger, extras(self.extra_anger)]),
        )
        # A contact scheduled after the run's end never arrived: it stays in the records (so
        # its journey counts as open) but is not a contact of this run.
        arrived = contacts["arrival_min"] < self.horizon
        journeys = assemble_journeys(
            contacts=contacts,
            result=result,
            service_start=start,
            handle=handle,
            arrived=arrived,
            n_journeys=first,
            answered_channel=self.answered_channel,
            scenario=scenario,
        )
        channels = list(scenario.channels.values())
        public = np.array([c.public for c in channels])
        post_rows = public_posts(contacts, arrived, public)
        posts = assemble_posts(
            rows=post_rows,
            contacts=contacts,
            result=result,
            service_end=start + handle,
            followers=followers,
            effects=self.effects,
            behaviour=self.behaviour,
        )
        depth = self.policy.depth
        wom = spread(
            journeys,
            posts,
            MouthDraws.joined([w.mouth for w in windows]).rows(at)
            if windows
            else MouthDraws.empty(self.behaviour.max_attempts),
            np.array([c.audience_per_min for c in channels]),
            scenario.word_of_mouth,
            self.horizon,
            told_positive_factor=depth.told_positive_factor if depth else 1.0,
        )
        measured_posts = journeys.start_min[posts.journey] >= scenario.run.warmup_min
        self.negative_impressions += float(wom.negative_impressions[measured_posts].sum())
        leave = leave_probability(journeys, segment, severity, scenario, self.policy)
        # The uniform was drawn with the complaint, so a policy that raises the probability
        # never has fewer leavers, replication by replication (common random numbers).
        left = np.concatenate([np.zeros(0), *(w.leave for w in windows)])[at] < leave
        keep = arrived
        journey_of = journey[keep]
        record = self._record(
            arrival_min=contacts["arrival_min"][keep],
            channel=contacts["channel"][keep],
            segment=segment[journey_of],
            severity=severity[journey_of],
            followers=followers[journey_of],
            deadline_min=contacts["deadline_min"][keep],
            service_start_min=start[keep],
            handle_min=handle[keep],
            agent=agent[keep],
            journey=journey_of,
            attempt=contacts["attempt"][keep],
            kind=contacts["kind"][keep],
            result=result[keep],
            journeys=journeys,
            journey_segment=segment,
            journey_severity=severity,
            posts=posts,
            spread=wom,
            churn=ChurnResult(
                leave_probability=leave,
                left=left,
                silent_left=np.zeros_like(self.silent),
                bystanders_reached=0,
                bystanders_left=0,
                prospects_lost=0,
            ),
        )
        # Where each row goes in the whole record: first contacts by journey, then the later
        # contacts in the order they were scheduled.
        order = np.concatenate([ids, _EXTRA_ORDER + self.extra_base + extra])
        chunk = _Chunk(record, ids, order[keep], order[post_rows])
        return chunk, taken

    def _forget(
        self, lo: int, waiting: np.ndarray, extra_journey: np.ndarray, served_rows: np.ndarray
    ) -> None:
        """Drop the windows, later contacts and service rows of journeys harvested."""
        for window in self.windows:
            window.open = waiting[window.first - lo : window.first - lo + len(window.open)]
        while self.windows and not self.windows[0].open.any():
            del self.windows[0], self.window_first[0]
        first_kept = self.windows[0].first if self.windows else self.journeys_begun
        del self.first_result[: first_kept - self.first_base]
        self.first_base = first_kept
        # Later contacts are read by index while their journey goes on: drop only leading rows.
        owner = extra_journey - lo
        done = (owner < 0) | ~waiting[np.maximum(owner, 0)]
        drop = int(np.argmin(done)) if not done.all() else len(done)
        if drop:
            for column in (
                self.extra_journey,
                self.extra_attempt,
                self.extra_channel,
                self.extra_kind,
                self.extra_arrival,
                self.extra_deadline,
                self.extra_anger,
                self.extra_result,
            ):
                del column[:drop]
            self.extra_base += drop
        if len(served_rows):
            kept = np.ones(len(self.served_contact), dtype=bool)
            kept[served_rows] = False
            for column in (
                self.served_contact,
                self.served_start,
                self.served_handle,
                self.served_agent,
            ):
                values = np.array(column)[kept]
                del column[:]
                column.frombytes(values.tobytes())

    def _record(self, **columns: Any) -> RunRecord:
        """A `RunRecord` of some journeys: the run-wide fields empty, or as given."""
        scenario = self.scenario
        run_wide: dict[str, Any] = dict(
            end_min=self.horizon,
            warmup_min=scenario.run.warmup_min,
            channel_names=tuple(scenario.channels),
            team_names=tuple(scenario.teams),
            segment_names=tuple(scenario.segments),
            severity_names=tuple(scenario.severities),
            agent_team=np.asarray(self.agent_team, dtype=np.int64),
            staffing=(),
            silent=np.zeros_like(self.silent),
            silent_told=0,
            problems=0,
            policy=self.policy.name,
        )
        return RunRecord(**{**run_wide, **columns})

    def _whole_record(self) -> RunRecord:
        """The run's record: the chunks kept (none unless ``keep_record``), and run-wide parts.

        Journeys come in order of their complaints; contacts first contacts first, then the
        later contacts as they were scheduled; posts in the order of their contacts.
        """
        chunks = self.chunks or [self._chunk(np.zeros(0, np.int64), 0, np.zeros(0, np.int64))[0]]
        self.chunks = []
        by_journey = np.argsort(np.concatenate([chunk.journey_ids for chunk in chunks]))
        by_contact = np.argsort(np.concatenate([chunk.contact_order for chunk in chunks]))
        by_post = np.argsort(np.concatenate([chunk.post_order for chunk in chunks]))
        # A chunk numbers its journeys from 0; the whole record by the journeys' ids.
        parts = [
            dataclasses.replace(
                chunk.record,
                journey=chunk.journey_ids[chunk.record.journey],
                posts=dataclasses.replace(
                    chunk.record.posts, journey=chunk.journey_ids[chunk.record.posts.journey]
                ),
            )
            for chunk in chunks
        ]

        def joined(items: list[Any], name: str, order: np.ndarray) -> np.ndarray:
            return np.concatenate([getattr(item, name) for item in items])[order]

        def table(kind: type, items: list[Any], order: np.ndarray) -> Any:
            return kind(**{f.name: joined(items, f.name, order) for f in dataclasses.fields(kind)})

        spreads = [part.spread for part in parts]
        reached, bystanders, prospects = bystander_churn(
            self.negative_impressions, self.scenario.word_of_mouth, self.streams["loyalty"]
        )
        return self._record(
            **{name: joined(parts, name, by_contact) for name in _PER_CONTACT},
            journeys=table(Journeys, [part.journeys for part in parts], by_journey),
            journey_segment=joined(parts, "journey_segment", by_journey),
            journey_severity=joined(parts, "journey_severity", by_journey),
            posts=table(Posts, [part.posts for part in parts], by_post),
            spread=Spread(
                **{
                    name: joined(spreads, name, by_post if per_post else by_journey)
                    for name, per_post in _SPREAD_PER_POST.items()
                }
            ),
            churn=ChurnResult(
                leave_probability=joined(
                    [part.churn for part in parts], "leave_probability", by_journey
                ),
                left=joined([part.churn for part in parts], "left", by_journey),
                silent_left=self.silent_left,
                bystanders_reached=reached,
                bystanders_left=bystanders,
                prospects_lost=prospects,
            ),
            staffing=tuple(
                StaffingLog(
                    np.array(t.duty_time),
                    np.array(t.duty_count),
                )
                for t in self.teams
            ),
            silent=self.silent,
            silent_told=self.silent_told,
            problems=self.problems,
        )


_PER_CONTACT = frozenset(
    [
        "arrival_min",
        "channel",
        "segment",
        "severity",
        "followers",
        "deadline_min",
        "service_start_min",
        "handle_min",
        "agent",
        "journey",
        "attempt",
        "kind",
        "result",
    ]
)
"""The `RunRecord` fields with a row per contact."""

_SPREAD_PER_POST = {
    "told_negative": False,
    "told_positive": False,
    "negative_impressions": True,
    "positive_impressions": True,
    "reshares": True,
    "pile_ons": True,
}
"""The `Spread` fields, and whether each has a row per post (else per journey)."""


HARVEST_EVERY = 10_000
"""Journeys begun between harvests (at the start of an arrival window): enough for the
harvest's array work to cost little per journey, few enough to hold little memory."""

_EXTRA_ORDER = 1 << 40
"""Added to a later contact's number to place it after every first contact in the record."""


def _positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The index of each value in the sorted ``keys``, or -1 where it is not there."""
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.where(keys[at] == values, at, -1)


class _Window:
    """The complaints of one arrival window and their draws, kept while a journey goes on."""

    __slots__ = ("batch", "draws", "first", "leave", "mouth", "open")

    def __init__(
        self,
        first: int,
        batch: ArrivalBatch,
        draws: np.ndarray,
        mouth: MouthDraws,
        leave: np.ndarray,
    ) -> None:
        self.first = first  # the journey number of its first complaint
        self.batch = batch
        self.draws = draws  # (complaints, max_attempts, DRAWS)
        self.mouth = mouth
        self.leave = leave  # the uniform each complainant's churn is drawn with
        self.open = np.ones(len(batch), dtype=bool)  # journeys not harvested yet


@dataclasses.dataclass(frozen=True, slots=True)
class _Chunk:
    """Harvested journeys: their record, and where their rows go in the whole record."""

    record: RunRecord
    journey_ids: np.ndarray
    contact_order: np.ndarray
    post_order: np.ndarray


def _opening_times(hours: Hours, horizon: float) -> list[tuple[float, bool]]:
    """Return the times after 0 and before the horizon a channel opens (True) or closes."""
    if hours.open_min == hours.close_min:
        return []  # open all day
    changes = []
    for day in np.arange(0.0, horizon, MINUTES_PER_DAY).tolist():
        for minute, is_open in ((hours.open_min, True), (hours.close_min, False)):
            if 0 < day + minute < horizon:
                changes.append((day + minute, is_open))
    return sorted(changes)


def simulate(
    scenario: Scenario, seed: int = 0, replication: int = 0, policy: str | None = None
) -> RunRecord:
    """Run one replication of a scenario under a policy and return its records.

    The streams come from (seed, replication) only, so a replication gives the same numbers on
    any worker, and every policy meets the same customers.
    """
    return Replication(scenario, make_streams(seed, replication), policy=policy).run()
