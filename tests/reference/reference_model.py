"""A reference model of simcare's engine in plain SimPy: a process per customer, a timer each.

Written the slow, obvious way so that tests can check the fast engine (``Replication``) against
it, contact by contact, on scripted complaints. The rules:

* **Arrival.** The first team (in scenario order) serving the contact's channel with an idle
  agent takes it; of that team's idle agents, the one who became idle *last*. Otherwise the
  contact waits in its channel's queue, first come first served. On a channel no team serves
  it waits, never answered, until its patience runs out.
* **A free agent** takes the first contact waiting on their team's highest-priority channel
  (a team lists its channels highest priority first), or becomes idle.
* **Patience.** A customer gives up when their timer runs out (*abandoned*). One whose patience
  runs out at the very moment an agent can take them is answered. Customers still waiting at
  the end of the run are open, not abandoned.
* **Shifts.** A process per team follows its weekly schedule. When headcount falls, idle agents
  go off duty at once (the last to become idle first) and busy ones after the contact in hand.
  When it rises, leavers stay on first, then agents come on (the last to leave first), each
  taking the first waiting contact. Whoever waits through a gap is served when the next shift
  starts, if their patience lasts.
* **Journeys** (``Behaviour.max_attempts`` > 1). A customer whose patience ran out, or whose
  answer did not fix the problem (``resolve_share``), gets angrier by that failure's step. With
  attempts left they come back with probability ``1 - exp(-persistence * anger)``, ``retry_delay``
  later, on the channel's ``escalate_to`` with probability ``escalate_share`` (else the same
  channel), with a patience drawn anew. A journey's random numbers are drawn up front, a row
  per contact (`journey_draws`); a scripted first contact brings its own patience and draw.

Events of the same moment are processed in the order they were scheduled, so the model
schedules as the engine does: the next arrival once one is dealt with, a handling's end the
moment it starts, a customer's return the moment they decide (before their agent moves on).
Hence plain lists of agents, not a ``simpy.Resource`` or ``Store``, which hand a freed agent
over one event later. Scope: policy ``reply_private``, first-come queues, channels open all day.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import Event

from simcare.scenario import Distribution, DistributionKind, Scenario, Team

# Columns of a journey's draws: 6 uniforms, then 3 standard exponentials, then 3 normals.
ACT, ESCALATE, RESOLVE, UPDATE = 0, 1, 2, 4
DELAY_E, PATIENCE_E, HANDLE_E, DELAY_Z, PATIENCE_Z, HANDLE_Z = range(6, 12)
RESOLVED, UPDATED, UNRESOLVED, NOT_FINISHED = 0, 1, 3, -1  # a contact's result
Process = Generator[Event, object, None]
Complaint = tuple[float, int, float, float]  # scripted: time, channel, patience, handling draw


@dataclass(eq=False)
class Contact:
    """One contact of a journey, and what happened to it."""

    journey: int
    attempt: int
    channel: int
    arrival_min: float
    deadline_min: float  # when the customer's patience runs out
    anger: float
    handle_e: float
    handle_z: float
    service_start_min: float = math.nan
    handle_min: float = math.nan
    agent: int = -1
    left_min: float = math.nan  # when they left the queue: answered or gave up
    abandoned: bool = False
    result: int = NOT_FINISHED
    staff: Staff | None = None
    answered: Event | None = None  # succeeds when an agent takes the contact
    patience_out: Event | None = None
    done: Event | None = None  # the end of its handling


@dataclass(eq=False)
class Staff:
    """One team's agents, by state; ``log`` holds (time, agents on duty from then on)."""

    channels: list[int]  # highest priority first
    handle: dict[int, Distribution]
    off_duty: list[int]  # the last to go off duty comes back first
    idle: list[int] = field(default_factory=list)  # the last to become idle is taken first
    on_duty: int = 0
    leaving: int = 0  # busy agents who go off duty when their contact is done
    log: list[tuple[float, int]] = field(default_factory=list)


def journey_draws(rng: np.random.Generator, complaints: int, attempts: int) -> np.ndarray:
    """Every random number the journeys may need, by (complaint, attempt, column), as float32."""
    shape = (complaints, attempts)
    parts = [rng.random((*shape, 6)), rng.standard_exponential((*shape, 3))]
    return np.concatenate([*parts, rng.standard_normal((*shape, 3))], axis=2).astype(np.float32)


def duration(distribution: Distribution, e: float, z: float) -> float:
    """A duration from a standard exponential ``e`` or a standard normal ``z``."""
    if distribution.kind is DistributionKind.EXPONENTIAL:
        return distribution.mean_min * e
    if distribution.kind is DistributionKind.LOGNORMAL:
        mu, sigma = distribution.lognormal_mu_sigma()
        return math.exp(mu + sigma * z)
    return distribution.mean_min


def f32(share: float) -> float:
    """A share as the float32 draws are compared with it."""
    return float(np.float32(share))


class ReferenceModel:
    """One run of a scenario on scripted complaints; `run` returns the contacts that arrived."""

    def __init__(self, scenario: Scenario, script: Sequence[Complaint], rng: np.random.Generator):
        assert scenario.run.policy == "reply_private", "out of scope"
        assert not scenario.policies, "out of scope"
        self.env, self.scenario, self.script = simpy.Environment(), scenario, script
        self.behaviour, self.horizon = scenario.behaviour, scenario.stop_min
        self.draws = journey_draws(rng, len(script), self.behaviour.max_attempts)
        channels = list(scenario.channels.values())
        code = {channel.name: i for i, channel in enumerate(channels)}
        self.escalate_to = [code.get(c.escalate_to or "") for c in channels]
        self.patience = [c.patience for c in channels]
        self.public = [c.public for c in channels]
        self.first_anger = next(iter(scenario.severities.values())).anger
        self.patience_factor = next(iter(scenario.segments.values())).patience_multiplier
        self.teams: list[Staff] = []
        first = 0  # agents are numbered across teams, in order
        for team in scenario.teams.values():
            agents = list(range(first, first + team.max_headcount))
            first += team.max_headcount
            handle = {code[name]: team.handle_time[name] for name in team.channels}
            self.teams.append(Staff(list(handle), handle, off_duty=agents[::-1]))
        self.serving = [[s for s in self.teams if c in s.channels] for c in range(len(channels))]
        self.waiting: list[list[Contact]] = [[] for _ in channels]
        self.contacts: list[Contact] = []

    def run(self) -> list[Contact]:
        """Simulate to the end of the run."""
        for staff, team in zip(self.teams, self.scenario.teams.values(), strict=True):
            self.env.process(self.shifts(staff, team))
        self.env.process(self.arrivals())
        self.env.run(until=self.horizon)
        return self.contacts

    # --- customers ----------------------------------------------------------------------------

    def arrivals(self) -> Process:
        """The scripted first contacts, each starting a customer's process."""
        for journey, (time, channel, patience, e) in enumerate(self.script):
            yield self.env.timeout(time - self.env.now)
            anger = self.first_anger
            contact = Contact(journey, 0, channel, time, time + patience, anger, e, 0.0)
            self.arrive(contact)
            self.env.process(self.customer(contact))

    def arrive(self, contact: Contact) -> None:
        """An idle agent takes the contact at once, or it waits (with a patience timer)."""
        self.contacts.append(contact)
        contact.answered = self.env.event()
        for staff in self.serving[contact.channel]:
            if staff.idle:
                return self.serve(staff, staff.idle.pop(), contact)
        if self.serving[contact.channel]:
            self.waiting[contact.channel].append(contact)
        patience = contact.deadline_min - self.env.now
        finite = math.isfinite(patience)
        contact.patience_out = self.env.timeout(patience) if finite else self.env.event()

    def customer(self, contact: Contact) -> Process:
        """One customer's journey: wait, be answered or give up, maybe come back."""
        while True:
            if contact.done is None:  # waiting
                yield contact.answered | contact.patience_out
            # The AnyOf resumes us one event after its first, so an agent freed at the very
            # moment our patience runs out (an event due by then) has already taken us.
            if contact.done is None:  # no agent came in time: leave the queue
                contact.abandoned, contact.left_min = True, self.env.now
                if contact in self.waiting[contact.channel]:
                    self.waiting[contact.channel].remove(contact)
                answered_here = bool(self.serving[contact.channel])
                again = self.come_back(contact, "waited" if answered_here else "ignored")
            else:
                yield contact.done
                contact.result = self.result(contact)
                fixed = contact.result != UNRESOLVED
                again = None if fixed else self.come_back(contact, "unresolved")
                self.agent_free(contact.staff, contact.agent)  # after the return is scheduled
            if again is None:
                return
            contact, back = again
            yield back
            self.arrive(contact)

    def come_back(self, contact: Contact, failure: str) -> tuple[Contact, Event] | None:
        """After a failure: the next contact and its arrival, or None if the customer is done."""
        behaviour, attempt = self.behaviour, contact.attempt + 1
        anger = contact.anger + behaviour.anger_steps[failure]
        draw = self.draws[contact.journey, contact.attempt].tolist()
        if attempt >= behaviour.max_attempts or draw[ACT] >= -np.expm1(
            -behaviour.persistence * anger
        ):
            return None
        channel, louder = contact.channel, self.escalate_to[contact.channel]
        if louder is not None and draw[ESCALATE] < f32(behaviour.escalate_share):
            channel = louder
        arrival = self.env.now + duration(behaviour.retry_delay, draw[DELAY_E], draw[DELAY_Z])
        new = self.draws[contact.journey, attempt].tolist()  # the next contact's own row
        patience, deadline = self.patience[channel], math.inf
        if patience is not None:
            wait = duration(patience, new[PATIENCE_E], new[PATIENCE_Z])
            deadline = arrival + self.patience_factor * wait
        e, z = new[HANDLE_E], new[HANDLE_Z]
        later = Contact(contact.journey, attempt, channel, arrival, deadline, anger, e, z)
        return later, self.env.timeout(arrival - self.env.now)

    def result(self, contact: Contact) -> int:
        """What answering did: fixed (maybe with an update of a public post) or not."""
        draw = self.draws[contact.journey, contact.attempt].tolist()
        if draw[RESOLVE] >= f32(self.behaviour.resolve_share):
            return UNRESOLVED
        updated = self.public[contact.channel] and draw[UPDATE] < f32(self.behaviour.update_share)
        return UPDATED if updated else RESOLVED

    # --- agents -------------------------------------------------------------------------------

    def serve(self, staff: Staff, agent: int, contact: Contact) -> None:
        """The agent takes the contact now; the end of its handling is scheduled at once."""
        contact.staff, contact.agent = staff, agent
        contact.service_start_min = contact.left_min = self.env.now
        handle = duration(staff.handle[contact.channel], contact.handle_e, contact.handle_z)
        contact.handle_min, contact.done = handle, self.env.timeout(handle)
        contact.answered.succeed(agent)

    def agent_free(self, staff: Staff, agent: int) -> None:
        """A handling is over: the agent leaves if their shift has ended, else takes the next."""
        if not staff.leaving:
            return self.take_next(staff, agent)
        staff.leaving, staff.on_duty = staff.leaving - 1, staff.on_duty - 1
        staff.off_duty.append(agent)
        staff.log.append((self.env.now, staff.on_duty))

    def take_next(self, staff: Staff, agent: int) -> None:
        """The agent takes the first contact waiting on their team's channels, or idles."""
        for channel in staff.channels:  # highest priority first
            if self.waiting[channel]:
                return self.serve(staff, agent, self.waiting[channel].pop(0))
        staff.idle.append(agent)

    def set_headcount(self, staff: Staff, target: int) -> None:
        """Bring agents on duty, or send them off (busy ones once their contact is done)."""
        present = staff.on_duty - staff.leaving
        if target > present:
            staying = min(target - present, staff.leaving)
            staff.leaving -= staying
            for _ in range(target - present - staying):
                staff.on_duty += 1
                self.take_next(staff, staff.off_duty.pop())
        else:
            surplus = present - target
            while surplus and staff.idle:
                staff.off_duty.append(staff.idle.pop())
                staff.on_duty, surplus = staff.on_duty - 1, surplus - 1
            staff.leaving += surplus
        staff.log.append((self.env.now, staff.on_duty))

    def shifts(self, staff: Staff, team: Team) -> Process:
        """The team's headcount, week after week, from the run's first weekday at midnight."""
        weekly = team.weekly_headcount()  # (minute of the week, agents from then on)
        offset = self.scenario.run.start_weekday * 1440.0
        headcount = [count for minute, count in weekly if minute <= offset][-1]
        self.set_headcount(staff, headcount)
        for week_start in range(-int(offset), math.ceil(self.horizon), 7 * 1440):
            for minute, count in weekly:
                moment = week_start + minute
                if 0 < moment < self.horizon and count != headcount:
                    yield self.env.timeout(moment - self.env.now)
                    self.set_headcount(staff, count)
                    headcount = count
