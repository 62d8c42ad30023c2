"""What a replication holds while it runs (`RunState`), and how it draws a duration.

The state: the scenario compiled to codes and durations, the teams and queues, the arrival
windows and the columns of the contacts, and look-ups into them.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from array import array
from collections import deque

import numpy as np
import simpy

from simcare.core.randomness import Streams
from simcare.model.arrivals import ArrivalSource, Window
from simcare.model.attention import Feed
from simcare.model.contagion import Groundswell
from simcare.model.journeys import EffectTable, repost_targets
from simcare.model.learning import Memory
from simcare.model.problems import ArrivalBatch, ProblemSource
from simcare.model.queues import PriorityQueue, Queue, TeamState
from simcare.model.word_of_mouth import MouthDraws
from simcare.scenario import Distribution, DistributionKind, Scenario
from simcare.scenario.policy import ACTIONS, Effect, Priority, serves

EXPONENTIAL, LOGNORMAL, CONSTANT = 0, 1, 2
"""The kinds of `duration_params`."""


def duration_params(distribution: Distribution) -> tuple[int, float, float]:
    """Return (kind, a, b) such that a duration is a*e, exp(a + b*z) or a."""
    if distribution.kind is DistributionKind.EXPONENTIAL:
        return EXPONENTIAL, distribution.mean_min, 0.0
    if distribution.kind is DistributionKind.LOGNORMAL:
        mu, sigma = distribution.lognormal_mu_sigma()
        return LOGNORMAL, mu, sigma
    return CONSTANT, distribution.mean_min, 0.0


def duration(params: tuple[int, float, float], e: float, z: float) -> float:
    """A duration of `duration_params` from a unit exponential ``e`` and a standard normal ``z``."""
    kind, a, b = params
    return a * e if kind == EXPONENTIAL else math.exp(a + b * z) if kind == LOGNORMAL else a


_RECRUIT_KEY = 1 << 39
"""Added to a journey's key when contagion started it: after every other journey, and before
the later contacts' keys (`simcare.model.harvest`)."""


class HeldWindow(Window):
    """Journeys still going from older arrival windows, their rows copied into one block.

    A journey can stay open for weeks (a patience of months on a channel nobody answers);
    keeping it in a block of its own frees the rest of its window. ``ids`` are the journeys,
    ascending; ``rows`` finds a journey's row.
    """

    __slots__ = ("ids", "rows")

    def __init__(self, windows: list[Window]) -> None:
        ids = np.concatenate([journey_ids(w)[w.open] for w in windows])
        fields = [f.name for f in dataclasses.fields(ArrivalBatch)]
        columns = {
            name: np.concatenate([getattr(w.batch, name)[w.open] for w in windows])
            for name in fields
            if name not in ("silent", "problems", "customer")
        }
        if any(w.batch.customer is not None for w in windows):  # customers learn
            columns["customer"] = np.concatenate([w.batch.customers()[w.open] for w in windows])
        # The problem counts went into the run's totals when the windows were drawn.
        first = windows[0].batch
        batch = ArrivalBatch(**columns, silent=np.zeros_like(first.silent), problems=0)
        super().__init__(
            int(ids[0]),
            batch,
            np.concatenate([w.draws[w.open] for w in windows]),
            MouthDraws.joined([w.mouth.rows(w.open) for w in windows]),
            np.concatenate([w.leave[w.open] for w in windows]),
        )
        self.ids = ids
        self.rows = dict(zip(ids.tolist(), range(len(ids)), strict=True))


def journey_ids(window: Window) -> np.ndarray:
    """The journey of each row of a window."""
    if type(window) is HeldWindow:
        return window.ids
    return np.arange(window.first, window.first + len(window.open))


class RunState:
    """What one replication holds while it runs, and look-ups into it.

    `Replication` is this state, the mixins that act on it (`Staffing`, `Harvest`) and its hot
    path. Contact ids: the first contact of journey j has id j; later contacts (retries,
    escalations, reposts, follow-ups) have negative ids ``~x`` for the x-th extra contact.
    """

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
        self.arrivals_end = scenario.run.duration_min
        self.horizon = scenario.stop_min  # after the drain
        self.learning = Memory(scenario, streams["learning"]) if scenario.learning.enabled else None
        self.source = source or ProblemSource(
            scenario, streams["arrivals"], streams["customers"], self.learning
        )
        self.behaviour = behaviour = scenario.behaviour
        channels = list(scenario.channels.values())
        channel_code = {name: code for code, name in enumerate(scenario.channels)}
        self.actions = [self.policy.action_for(c) for c in channels]
        self.effects: list[Effect] = [
            ACTIONS[key].effect(c, scenario.actions)
            for key, c in zip(self.actions, channels, strict=True)
        ]
        self.escalate_to = [
            -1 if c.escalate_to is None else channel_code[c.escalate_to] for c in channels
        ]
        self.repost_to = repost_targets(channels, channel_code)
        self.patience = [
            None if c.patience is None else duration_params(c.patience) for c in channels
        ]
        self.patience_multiplier = [s.patience_multiplier for s in scenario.segments.values()]
        self.severity_anger = [s.anger for s in scenario.severities.values()]
        self.retry_delay = duration_params(behaviour.retry_delay)
        self.open = [True] * len(channels)
        follow_up = self.policy.follow_up
        self.follow_up = None if follow_up is None else duration_params(follow_up.handle_time)
        self.follow_up_within = 0.0 if follow_up is None else follow_up.within_min
        self.queues: list[Queue] = [self._new_queue() for _ in channels]
        self._add_teams(channel_code)
        self.answered_channel = np.array([bool(teams) for teams in self.channel_teams])
        self.public_channel = np.array([c.public for c in channels])
        self._start_spreading()
        self.effect_table = EffectTable(self.effects, behaviour)
        # The draws are float32; numpy compares them with a Python float share in float32.
        # The Python paths compare exact float32 values with the share rounded to float32.
        self._resolve_share = float(np.float32(behaviour.resolve_share))
        self._intrusion_share = float(np.float32(behaviour.intrusion_share))
        self._update_share = float(np.float32(behaviour.update_share))
        self._repost_share = float(np.float32(behaviour.repost_share))
        self._escalate_share = float(np.float32(behaviour.escalate_share))
        self._start_columns()

    def _start_spreading(self) -> None:
        """The ledgers of posts in view (`Feed`) and of contagion (`Groundswell`), if used."""
        scenario = self.scenario
        in_view = scenario.word_of_mouth.posts_in_view
        channels = len(scenario.channels)
        self.feed = (
            None
            if in_view is None
            else Feed(channels, self.horizon, scenario.word_of_mouth.attention_min, in_view)
        )
        self.groundswell = (
            None
            if scenario.contagion.cause is None
            else Groundswell(scenario, self.streams["contagion"], self.horizon)
        )

    def _new_queue(self) -> Queue:
        priority = self.policy.priority
        if priority is Priority.FIRST_COME:
            return deque()
        if priority is Priority.SEVERITY:
            return PriorityQueue(lambda contact: -self._journey_trait(contact, "severity"))
        return PriorityQueue(lambda contact: -self._journey_trait(contact, "followers"))

    def _add_teams(self, channel_code: dict[str, int]) -> None:
        """Each team's state, the teams that answer each channel, and each agent's team."""
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
        self.channel_teams: list[list[TeamState]] = [[] for _ in self.effects]
        self.teams: list[TeamState] = []
        agent_team: list[int] = []
        channels = list(self.scenario.channels.values())
        for team_code, team in enumerate(self.scenario.teams.values()):
            first_agent = len(agent_team)
            agent_team.extend([team_code] * team.max_headcount)
            codes = [channel_code[name] for name in team.channels]
            # Store staff take only their channels' approach contacts, and take them alone.
            served = [
                code for code in codes if serves(team.name, channels[code], self.actions[code])
            ]
            state = TeamState(
                range(first_agent, len(agent_team)),
                [(code, self.queues[code]) for code in served],
                {
                    code: (
                        *duration_params(team.handle_time[name]),
                        handle_factor[code],
                        extra_min[code],
                    )
                    for code, name in zip(codes, team.channels, strict=True)
                },
            )
            self.teams.append(state)
            for code in served:
                if self.effects[code].answers:
                    self.channel_teams[code].append(state)
        self.agent_team = agent_team

    def _start_columns(self) -> None:
        """What grows as the run goes on, empty: windows, problem counts, contact columns."""
        scenario = self.scenario
        # Arrival windows with a journey not yet harvested, oldest first (see `_harvest`).
        self.windows: list[Window] = []
        self.window_first: list[int] = []  # each window's first journey, for bisect
        self.journeys_begun = 0
        # The journeys contagion started: the first id and the count of each of its windows.
        self.recruit_first: list[int] = []
        self.recruit_count: list[int] = []
        self.silent = np.zeros((len(scenario.segments), len(scenario.severities)), np.int64)
        self.silent_left = np.zeros_like(self.silent)
        self.silent_told = 0
        self.problems = 0
        # What answering a contact does (a `Result`), decided from the journey's draws when the
        # contact is created: per first contact, and per extra contact in `extra_result`.
        # First contact j is at j - first_base: the leading rows go with their windows.
        self.first_base = 0
        self.first_result = array("b")
        # Service records, appended as agents take and finish contacts (columnar).
        self.served_contact = array("q")
        self.served_start = array("d")
        self.served_handle = array("d")
        self.served_agent = array("q")
        # Extra contacts (after the first of a journey), appended when scheduled. The first
        # `extra_held` rows are those of journeys still going kept from before the last
        # compaction (`Harvest._forget`), found by id in `held_extra`; after them, contact ~x
        # is at row x - extra_base + extra_held (see `_extra_row`).
        self.extra_base = 0
        self.extra_held = 0
        self.held_extra: dict[int, int] = {}
        self.held_extra_ids = np.zeros(0, np.int64)  # the keys of `held_extra`, sorted
        self.extra_journey = array("q")
        self.extra_attempt = array("b")
        self.extra_channel = array("h")
        self.extra_kind = array("b")
        self.extra_arrival = array("d")
        self.extra_deadline = array("d")
        self.extra_anger = array("d")
        self.extra_result = array("b")

    def _journey_key(self, ids: np.ndarray) -> np.ndarray:
        """Sort keys that put journeys in order of their complaints, contagion's last.

        The customers who were there anyway keep their places whatever contagion adds, so a
        customer is the same journey under every policy (common random numbers).
        """
        ids = np.asarray(ids, dtype=np.int64)
        if not self.recruit_first:
            return ids
        first = np.asarray(self.recruit_first, dtype=np.int64)
        count = np.asarray(self.recruit_count, dtype=np.int64)
        before = np.concatenate([[0], np.cumsum(count)])
        window = np.searchsorted(first, ids, side="right") - 1  # the last window from below
        at = np.maximum(window, 0)
        inside = np.clip(ids - first[at], 0, count[at])
        recruits_below = np.where(window >= 0, before[at] + inside, 0)
        recruited = (window >= 0) & (ids < first[at] + count[at])
        return np.where(recruited, _RECRUIT_KEY + ids, ids - recruits_below)

    # --- journey look-ups (off the hot path: only for journeys that go on) -----------------

    def _extra_row(self, contact: int) -> int:
        """The row of a later contact (a negative id) in the extra columns."""
        extra = ~contact - self.extra_base
        return extra + self.extra_held if extra >= 0 else self.held_extra[~contact]

    def _extra_ids(self) -> np.ndarray:
        """The id ``x`` (contact ``~x``) of each row of the extra columns, ascending."""
        dense = len(self.extra_journey) - self.extra_held
        return np.concatenate(
            [self.held_extra_ids, np.arange(self.extra_base, self.extra_base + dense)]
        )

    def _journey(self, contact: int) -> tuple[int, int]:
        """Return (journey, attempt) for a contact id."""
        if contact >= 0:
            return contact, 0
        extra = self._extra_row(contact)
        return self.extra_journey[extra], self.extra_attempt[extra]

    def _anger(self, contact: int) -> float:
        """The customer's anger at this contact."""
        if contact >= 0:
            batch, row = self._locate(contact)
            return self.severity_anger[int(batch.severity[row])]
        return self.extra_anger[self._extra_row(contact)]

    def _channel_of(self, contact: int) -> int:
        if contact < 0:
            return self.extra_channel[self._extra_row(contact)]
        batch, row = self._locate(contact)
        return int(batch.channel[row])

    def _window(self, journey: int) -> tuple[Window, int]:
        index = bisect.bisect_right(self.window_first, journey) - 1
        window = self.windows[index]
        if type(window) is HeldWindow:
            return window, window.rows[journey]
        return window, journey - window.first

    def _locate(self, journey: int) -> tuple[ArrivalBatch, int]:
        window, row = self._window(journey)
        return window.batch, row

    def _journey_trait(self, contact: int, name: str) -> float:
        journey = contact if contact >= 0 else self.extra_journey[self._extra_row(contact)]
        batch, row = self._locate(journey)
        return float(getattr(batch, name)[row])

    def _draw(self, journey: int, attempt: int) -> list[float]:
        window, row = self._window(journey)
        return window.draws[row, attempt].tolist()
