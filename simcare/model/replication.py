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

A complaint is a *journey* of contacts (ids: see `RunState`). Journeys are worked out
(records, word of mouth, churn) in chunks as they end (`Harvest._harvest`), and what the run
held for them is dropped, so memory does not grow with the run's length.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import partial
from heapq import heappush
from typing import Any, cast

import numpy as np
from simpy.events import NORMAL, Event, EventPriority, Timeout

from simcare.core.randomness import Streams, make_streams
from simcare.model.arrivals import ArrivalSource, Window, draw_window
from simcare.model.harvest import HARVEST_EVERY, Harvest
from simcare.model.journeys import (
    DRAWS,
    ContactKind,
    Result,
    act_probability,
    first_attempt_acts,
    response_results,
)
from simcare.model.learning import HARVEST_EVERY_LEARNING
from simcare.model.problems import ArrivalBatch
from simcare.model.queues import TeamState
from simcare.model.records import RunRecord
from simcare.model.spreading import Spreading
from simcare.model.staffing import Staffing, headcount_changes, opening_times
from simcare.model.state import EXPONENTIAL, LOGNORMAL, duration
from simcare.scenario import Scenario
from simcare.scenario.policy import Failure

CALENDAR_BUCKET_MIN = 60.0
"""Events due beyond the next bucket of this many minutes wait in `Replication._later`'s
calendar, out of SimPy's heap, until the bucket before theirs starts."""

GC_THRESHOLDS = (100_000, 50, 100)
"""`gc.set_threshold` while a replication runs (see `_fewer_collections`)."""

_Entry = tuple[float | int, EventPriority, int, Event]
"""An entry of SimPy's event queue: time, priority, event number, event."""

# Enum members as ints for the hot path: reading `Result.X` costs ~70 ns on Python 3.11.
_FOLLOW_UP, _UNRESOLVED = int(Result.FOLLOW_UP), int(Result.UNRESOLVED)
_FOLLOW_UP_KIND = int(ContactKind.FOLLOW_UP)
_HANDLE_E, _HANDLE_Z, _FOLLOW_UP_AT = DRAWS.handle_e, DRAWS.handle_z, DRAWS.follow_up


class Replication(Staffing, Harvest, Spreading):
    """One run of a scenario under a policy: build with the streams, then `run` once."""

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        source: ArrivalSource | None = None,
        policy: str | None = None,
    ) -> None:
        super().__init__(scenario, streams, source, policy)
        agents = range(len(self.agent_team))
        # Per agent: their team's state, the callbacks of the end of their handling, built once
        # so that serving a contact creates no bound method and reads no event value, and the
        # Timeout that ends their handlings (one per agent, made at their first).
        self.agent_state = [self.teams[code] for code in self.agent_team]
        self.finishers: list[list[Callable[[Event], None]]] = [
            [partial(self._finish, agent)] for agent in agents
        ]
        self.agent_finish: list[Timeout | None] = [None] * len(agents)
        self.agent_contact = [0] * len(agents)
        self.agent_channel = [0] * len(agents)
        self.harvested_at = 0  # journeys begun at the last harvest
        self.timed: set[int] = set()  # waiting contacts whose patience timer will act
        # Far-future events by bucket (see `_later`); SimPy's queue and event counter, which
        # `Environment.schedule` itself uses.
        self.calendar: dict[int, list[_Entry]] = {}
        self.next_bucket = 2
        self.drain: Timeout | None = None
        self.event_queue = self.env._queue
        self.event_ids = self.env._eid
        self.gone: set[int] = set()  # queued contacts whose timer fired (they left the queue)

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
            self._later(self.env.now + (deadline - now), contact, self._patience_out)
        if teams:
            self.queues[channel].append((contact, deadline, e, z))
        # A contact on a channel nobody answers waits until their patience runs out.

    def _serve(
        self,
        team: TeamState,
        agent: int,
        contact: int,
        channel: int,
        e: float,
        z: float,
        now: float,
    ) -> None:
        kind, a, b, factor, extra_min = team.handle[channel]
        handle = a * e if kind == EXPONENTIAL else math.exp(a + b * z) if kind == LOGNORMAL else a
        handle = handle * factor + extra_min
        if (
            contact < 0
            and self.follow_up
            and self.extra_kind[self._extra_row(contact)] == _FOLLOW_UP_KIND
        ):
            handle = duration(self.follow_up, e, z)
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

    def _take_next(self, team: TeamState, agent: int, now: float) -> None:
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
            result = self.extra_result[self._extra_row(contact)]
        if self.groundswell is not None and self.public_channel[channel]:
            self._quieten(contact, channel, result)
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
        delay = duration(self.retry_delay, draw[DRAWS.delay_e], draw[DRAWS.delay_z])
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
        extra = self.extra_base + len(self.extra_journey) - self.extra_held
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
                deadline = moment + multiplier * duration(
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
        if kind != _FOLLOW_UP_KIND and self.public_channel[channel]:
            self._posted(journey, channel, moment)

        def arrive(_: Event) -> None:
            self._arrive(contact, channel, deadline, e, z, self.env.now, acts)

        now = self.env.now
        self._later(now + (moment - now), None, arrive)

    # --- the calendar of far-future events --------------------------------------------------

    def _later(self, at: float, value: int | None, callback: Callable[[Event], None]) -> None:
        """Call ``callback`` at time ``at`` with an event of ``value``, as a Timeout would.

        ``at`` is computed as SimPy computes a Timeout's time (now + delay), and the event
        enters SimPy's queue with that time and the number SimPy would have given it now, so
        the order of events is exactly a Timeout's. One due within the next buckets goes there
        at once; a later one waits in the calendar (`CALENDAR_BUCKET_MIN`), so that SimPy's
        heap holds only the near future: its cost per event grows with its size, and a large
        centre holds thousands of follow-ups, retries and patience timers a day ahead.
        """
        event = Event(self.env)
        event._ok = True
        event._value = value
        event.callbacks.append(callback)
        # Its number now, as SimPy gives it: events due at the same moment keep their order.
        entry: _Entry = (at, NORMAL, next(self.event_ids), event)
        bucket = int(at // CALENDAR_BUCKET_MIN)
        if not self.calendar:  # nothing held: the calendar starts after the next bucket
            self.next_bucket = max(self.next_bucket, int(self.env.now // CALENDAR_BUCKET_MIN) + 2)
        if bucket < self.next_bucket:
            heappush(self.event_queue, entry)
            return
        held = self.calendar.get(bucket)
        if held is None:
            held = self.calendar[bucket] = []
            if len(self.calendar) == 1:
                self._drain_at_next_boundary()
        held.append(entry)

    def _drain_at_next_boundary(self) -> None:
        """Schedule the drain of bucket `next_bucket` when the bucket before it starts."""
        delay = (self.next_bucket - 1) * CALENDAR_BUCKET_MIN - self.env.now
        if self.drain is None:
            self.drain = Timeout(self.env, delay)
        else:
            self.schedule(self.drain, NORMAL, delay)
        self.drain.callbacks = [self._drain]

    def _drain(self, _: Event) -> None:
        """Move the events of bucket `next_bucket` into SimPy's queue, as they were made."""
        for entry in self.calendar.pop(self.next_bucket, []):
            heappush(self.event_queue, entry)
        self.next_bucket += 1
        if self.calendar:
            self._drain_at_next_boundary()

    # --- driving the run: arrivals, and SimPy ----------------------------------------------

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

    def _open_window(self, start: float, end: float) -> tuple[ArrivalBatch, np.ndarray]:
        """Draw the complaints of [start, end) and every number their journeys may need.

        Returns the batch and whether each first contact acts when its patience runs out.
        """
        window, told, left = draw_window(
            self.source, self.streams, self.scenario, self.journeys_begun, start, end
        )
        if self.groundswell is not None:
            self.groundswell.problems_arose(start, end, window.batch.silent)
        return self._add_window(window, told, left)

    def _add_window(
        self, window: Window, told: int, left: np.ndarray
    ) -> tuple[ArrivalBatch, np.ndarray]:
        """Hold a window of complaints for their journeys (see `_open_window`)."""
        batch, draws = window.batch, window.draws
        self.silent_told += told
        self.silent_left += left
        self.silent += batch.silent
        self.problems += batch.problems
        self.windows.append(window)
        self.window_first.append(window.first)
        self.journeys_begun += len(batch)
        public = self.public_channel[batch.channel]
        if self.feed is not None:
            self.feed.posts(batch.channel[public], batch.time[public])
        if self.groundswell is not None:
            about = np.flatnonzero(public & (batch.severity == self.groundswell.cause))
            for row in about.tolist():
                self.groundswell.posted(int(batch.channel[row]), float(batch.time[row]))
        self.first_result.frombytes(
            response_results(self.effect_table, batch.channel, draws[:, 0]).tobytes()
        )
        acts = first_attempt_acts(
            batch, draws, self.answered_channel, self.severity_anger, self.behaviour
        )
        return batch, acts

    def _arrivals(self) -> Generator[float, Any, None]:
        env = self.env
        arrive = self._arrive
        contact = 0
        previous = 0.0
        # Customers who learn need what they remember of a journey soon after it ends.
        every = HARVEST_EVERY if self.learning is None else HARVEST_EVERY_LEARNING
        for start, end in self.source.windows(self.arrivals_end):
            if self.journeys_begun - self.harvested_at >= every:
                self.harvested_at = self.journeys_begun
                self._harvest(env.now)
                self._settle_feed(env.now)
            contact = self.journeys_begun  # contagion's windows may have come in between
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
        """Simulate from time 0 to the end of the run and its drain.

        Journeys are worked out (their records, word of mouth and churn) in chunks as soon as
        they have ended (`_harvest`), and what the run held for them is dropped; each chunk, a
        `RunRecord` of those journeys alone, goes to ``on_chunk``. Returns the whole record if
        ``keep_record``; otherwise a record of the run-wide parts only (staffing, silent
        problems, bystanders), without contacts, so memory does not grow with the run's length.
        """
        self._start_harvest(on_chunk, keep_record)
        start_weekday = self.scenario.run.start_weekday
        for state, team in zip(self.teams, self.scenario.teams.values(), strict=True):
            changes = headcount_changes(team, start_weekday, self.horizon)
            self._set_headcount(state, changes[0][1])
            self.env.process(self._staffing(state, changes[1:]))
        channel_code = {name: code for code, name in enumerate(self.scenario.channels)}
        for name, hours in self.policy.hours.items():
            code = channel_code[name]
            self.open[code] = hours.is_open(0.0)
            self.env.process(self._hours(code, opening_times(hours, self.horizon)))
        self._drive(self._arrivals())
        if self.groundswell is not None:
            self._drive(self._contagion())
        with _fewer_collections():
            self.env.run(until=self.horizon)
        self._harvest(self.horizon, final=True)
        return self._whole_record()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let Python's cyclic garbage collector look at new objects less often, for a while.

    A large centre holds tens of thousands of pending events, their callbacks and waiting
    contacts at once; with the default threshold (a collection every 700 new objects) the
    richest case scaled 26 times spent about a quarter of its time collecting (CPU per
    complaint 16.4-18.3 µs, 12.9-13.7 µs with this threshold; unscaled, no difference). The
    run makes no garbage cycles of its own to wait for; the thresholds are restored after.
    """
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def simulate(
    scenario: Scenario, seed: int = 0, replication: int = 0, policy: str | None = None
) -> RunRecord:
    """Run one replication of a scenario under a policy and return its records.

    The streams come from (seed, replication) only, so a replication gives the same numbers on
    any worker, and every policy meets the same customers.
    """
    return Replication(scenario, make_streams(seed, replication), policy=policy).run()
