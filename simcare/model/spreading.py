"""Posts going up and being answered, as the run goes on: attention and contagion.

A mixin of `Replication`: it keeps the ledgers of posts in view (`Feed`) and of unanswered
complaints about a shared cause (`Groundswell`), and brings in the complaints that contagion
recruits, hour by hour, as journeys like any other.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
from simpy.events import Event, Timeout

from simcare.model.arrivals import Window, window_of
from simcare.model.contagion import HOUR_MIN
from simcare.model.journeys import Result
from simcare.model.problems import ArrivalBatch
from simcare.model.state import RunState

_QUIETENS = (int(Result.RESOLVED), int(Result.INTRUDED), int(Result.UPDATED), int(Result.DELETED))
"""Results that take a post out of the contagion: a good answer in view, or its removal."""


class Spreading(RunState):
    """Posts in view and contagion (a mixin of `Replication`)."""

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
        raise NotImplementedError("defined by Replication, the hot path")

    def _add_window(
        self, window: Window, told: int, left: np.ndarray
    ) -> tuple[ArrivalBatch, np.ndarray]:
        raise NotImplementedError("defined by Replication")

    def _posted(self, journey: int, channel: int, moment: float) -> None:
        """A later contact of ``journey`` goes up as a post on a public ``channel``."""
        if self.feed is not None:
            self.feed.post(channel, moment)
        swell = self.groundswell
        if swell is not None:
            batch, row = self._locate(journey)
            if int(batch.severity[row]) == swell.cause:
                swell.posted(channel, moment)

    def _quieten(self, contact: int, channel: int, result: int) -> None:
        """A post about the cause answered in view, or deleted, stops recruiting."""
        swell = self.groundswell
        assert swell is not None
        visible = self.effects[channel].visible_answer or result == Result.UPDATED
        if result not in _QUIETENS or not (visible or result == Result.DELETED):
            return
        journey, _ = self._journey(contact)
        batch, row = self._locate(journey)
        if int(batch.severity[row]) != swell.cause:
            return
        if contact >= 0:
            posted = float(batch.time[row])
        else:
            posted = self.extra_arrival[self._extra_row(contact)]
        swell.answered(channel, posted, self.env.now)

    def _contagion(self) -> Generator[float, Any, None]:
        """Every hour until arrivals end, bring in the complaints contagion recruited."""
        swell = self.groundswell
        assert swell is not None
        now = 0.0
        while now + HOUR_MIN < self.arrivals_end:
            yield HOUR_MIN
            now = self.env.now
            batch = swell.recruit(now, None if self.feed is None else self.feed.change)
            if batch is not None:
                self._come_forward(batch)

    def _come_forward(self, batch: ArrivalBatch) -> None:
        """Recruited customers stop being silent; their complaints arrive as journeys."""
        swell = self.groundswell
        assert swell is not None
        rng = swell.rng
        cause = swell.cause
        # They were counted silent when their problem arose: the silent who left, and the
        # people they told, shrink with them (the leavers at random among the silent).
        recruits = np.bincount(batch.segment, minlength=len(self.silent))
        silent = self.silent[:, cause]
        left = self.silent_left[:, cause]
        gone = rng.hypergeometric(left, np.maximum(silent - left, 0), np.minimum(recruits, silent))
        self.silent_left[:, cause] -= gone
        self.silent[:, cause] -= np.minimum(recruits, silent)
        told = self.scenario.word_of_mouth.told_negative
        self.silent_told = max(0, self.silent_told - round(recruits.sum() * sum(told) / 2))
        first = self.journeys_begun
        self.recruit_first.append(first)
        self.recruit_count.append(len(batch))
        streams = {name: rng for name in ("journeys", "word_of_mouth", "loyalty")}
        window, told_now, left_now = window_of(batch, streams, self.scenario, first)
        batch, acts = self._add_window(window, told_now, left_now)
        env = self.env
        rows = zip(
            batch.time.tolist(),
            batch.channel.tolist(),
            batch.deadline.tolist(),
            batch.handle_e.tolist(),
            batch.handle_z.tolist(),
            acts.tolist(),
            strict=True,
        )
        for contact, (moment, channel, deadline, e, z, act) in enumerate(rows, start=first):

            def arrive(
                _: Event,
                contact: int = contact,
                channel: int = channel,
                deadline: float = deadline,
                e: float = e,
                z: float = z,
                act: bool = act,
            ) -> None:
                self._arrive(contact, channel, deadline, e, z, env.now, act)

            Timeout(env, moment - env.now).callbacks.append(arrive)
