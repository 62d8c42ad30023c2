"""A channel's attention shared among the brand's posts in view at the same time.

A channel's ``audience`` is the viewers a brand post draws there per hour while it is one of a
few in view. A visitor looks at ``posts_in_view`` of the brand's posts at most (a page of a
feed, of a hashtag, of a forum), so when n posts are up at once each draws the audience × min(1,
posts_in_view / n): the channel's attention to the brand is a budget, and a storm of posts
shares it rather than multiplying it (docs/evidence.md, "How posts spread", "Attention is
shared": collective attention is limited and fades, and posts compete for it; Wu & Huberman
2007, Weng et al. 2012). ``posts_in_view`` is illustrative.

A post is in view from when it goes up until it fades (``attention_min`` later) or the run
stops. Counts are kept per channel and hour, as a ledger of posts going up and fading, so the
share of every hour is known once the hour is over; a journey is harvested only after its
posts have faded, so every post that shared a view with them is in the ledger by then.

The ledgers hold only the hours that can still matter, so that their memory does not grow
with the run's length: a post only ever goes up at or after the present, so an hour long past
is final. Its posts in view are carried forward as a count, and the cumulative minutes of
attention (summed hour after hour, in the order a sum over the whole run would take, so that
every figure is the same to the last bit) are kept only at the hours of the posts still to be
harvested (`Feed.settle`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

HOUR_MIN = 60.0

_FIRST_HOURS = 256
"""Hours a ledger has room for at first; it doubles its room when it needs more."""


class Ledger:
    """Posts going up (+1) and fading (−1) per channel and hour, from hour ``base`` on.

    Column 0 of ``change`` is hour ``base``; ``carried`` counts the posts still in view at
    ``base`` that went up before it. Hours before ``kept_from`` are no longer needed: they go
    when the ledger needs room.
    """

    def __init__(self, channels: int, horizon_min: float, attention_min: float) -> None:
        self.hours = math.ceil(horizon_min / HOUR_MIN) + 1
        self.attention_min = attention_min
        self.horizon_min = horizon_min
        self.base = 0
        self.kept_from = 0
        self.change = np.zeros((channels, _FIRST_HOURS), dtype=np.int64)
        self.carried = np.zeros(channels, dtype=np.int64)

    def _fade_hour(self, posted_min: float) -> int:
        """The hour whose start sees a post gone up at ``posted_min`` no longer in view."""
        fade = min(posted_min + self.attention_min, self.horizon_min)
        return min(math.ceil(fade / HOUR_MIN), self.hours)

    def post(self, channel: int, posted_min: float) -> None:
        """A post goes up on ``channel`` at ``posted_min``."""
        start = int(posted_min // HOUR_MIN)
        stop = self._fade_hour(posted_min)
        change = self._columns(start, stop)
        change[channel, start - self.base] += 1
        change[channel, stop - self.base] -= 1

    def posts(self, channel: np.ndarray, posted_min: np.ndarray) -> None:
        """Posts go up, on ``channel`` at ``posted_min`` (one per element)."""
        posted = np.asarray(posted_min, dtype=float)
        if len(posted) == 0:
            return
        start = (posted // HOUR_MIN).astype(np.int64)
        fade = np.minimum(posted + self.attention_min, self.horizon_min)
        stop = np.minimum(np.ceil(fade / HOUR_MIN).astype(np.int64), self.hours)
        change = self._columns(int(start.min()), int(stop.max()))
        np.add.at(change, (channel, start - self.base), 1)
        np.add.at(change, (channel, stop - self.base), -1)

    def withdraw(self, channel: int, posted_min: float, at_min: float) -> None:
        """A post gone up at ``posted_min`` leaves the view at ``at_min``, before it fades."""
        if at_min >= min(posted_min + self.attention_min, self.horizon_min):
            return
        fade = self._fade_hour(posted_min)
        gone = min(math.ceil(at_min / HOUR_MIN), self.hours)
        change = self._columns(gone, fade)
        change[channel, fade - self.base] += 1
        change[channel, gone - self.base] -= 1

    def change_at(self, hour: int) -> np.ndarray:
        """The posts going up less those fading at ``hour``, per channel (a view)."""
        column = hour - self.base
        if column < 0:
            raise ValueError(f"hour {hour} is no longer held (the ledger starts at {self.base})")
        if column >= self.change.shape[1]:
            return np.zeros(len(self.carried), dtype=np.int64)
        return self.change[:, column]

    def release_before(self, hour: int) -> None:
        """The hours before ``hour`` will not be read or written again."""
        self.kept_from = max(self.kept_from, hour)

    def in_view(self) -> np.ndarray:
        """Posts in view per (channel, hour), for the hours held (from ``base``)."""
        return self.carried[:, None] + np.cumsum(self.change, axis=1)

    def _columns(self, first: int, last: int) -> np.ndarray:
        """The columns, with room for hour ``last``; ``first``, the earliest hour written."""
        if first < self.kept_from:
            raise ValueError(f"hour {first} is no longer held (from hour {self.kept_from})")
        if last - self.base >= self.change.shape[1]:
            self._drop(self.kept_from)
            width = self.change.shape[1]
            if last - self.base >= width:
                size = (len(self.carried), max(2 * width, last - self.base + 1))
                grown = np.zeros(size, dtype=np.int64)
                grown[:, :width] = self.change
                self.change = grown
        return self.change

    def _drop(self, hour: int) -> None:
        """Let the hours before ``hour`` go, carrying their posts still in view."""
        gone = hour - self.base
        if gone <= 0:
            return
        self.carried += self.change[:, :gone].sum(axis=1)
        width = self.change.shape[1]
        if gone < width:
            self.change[:, : width - gone] = self.change[:, gone:]
        self.change[:, max(width - gone, 0) :] = 0
        self.base = hour


@dataclasses.dataclass(frozen=True, slots=True)
class SharedMinutes:
    """Cumulative minutes of full attention per channel, at the start of some hours.

    ``minutes[c, i]``: the integral, over the hours before ``hours[i]``, of a post's share
    min(1, posts_in_view / posts in view) on channel c. ``hours`` is ascending, and holds the
    hour after each one it holds, up to ``last`` + 1 (the run's last hour).
    """

    hours: np.ndarray
    minutes: np.ndarray
    last: int


class Feed(Ledger):
    """Brand posts in view per channel and hour, and the share of attention each gets.

    Besides the ledger, ``minutes``: the cumulative minutes of full attention at the start of
    hour ``base``; ``kept_hours`` and ``kept_minutes``: those at earlier hours that posts still
    to be harvested need.
    """

    def __init__(
        self, channels: int, horizon_min: float, attention_min: float, posts_in_view: float
    ) -> None:
        super().__init__(channels, horizon_min, attention_min)
        self.posts_in_view = posts_in_view
        self.minutes = np.zeros(channels)
        self.kept_hours = np.zeros(0, dtype=np.int64)
        self.kept_minutes = np.zeros((channels, 0))

    def _cumulative(self, columns: int) -> np.ndarray:
        """Cumulative minutes at the start of hours ``base`` … ``base + columns``."""
        count = self.in_view()[:, :columns]
        share = np.minimum(1.0, self.posts_in_view / np.maximum(count, 1))
        cumulative = np.empty((len(count), columns + 1))
        cumulative[:, 0] = self.minutes
        cumulative[:, 1:] = HOUR_MIN * share
        # A running sum, as one over the whole run from hour 0 would add them.
        return np.cumsum(cumulative, axis=1)

    def shared_minutes(self) -> SharedMinutes:
        """The cumulative minutes of the hours held and of the earlier hours kept."""
        columns = min(self.change.shape[1], self.hours - self.base)
        return SharedMinutes(
            hours=np.concatenate(
                [self.kept_hours, np.arange(self.base, self.base + columns + 1, dtype=np.int64)]
            ),
            minutes=np.concatenate([self.kept_minutes, self._cumulative(columns)], axis=1),
            last=self.hours - 1,
        )

    def settle(self, now_min: float, open_posted: np.ndarray) -> None:
        """Let the hours go that nothing to come needs, as the harvest advances.

        Every hour before ``now_min``'s is final (posts go up at the present or later); those
        that ended more than ``attention_min`` and an hour before it go, so that the many
        recent posts of journeys still going stay in the hours held. The cumulative minutes of
        the hours that go are kept only where a post still to be harvested (``open_posted``:
        when each went up) may be looked at: from its hour to the hour after it fades.
        """
        floor = int(now_min // HOUR_MIN) - math.ceil(self.attention_min / HOUR_MIN) - 2
        gone = floor - self.base
        if gone <= 0:
            return
        self._columns(self.base, floor)
        cumulative = self._cumulative(gone)
        old = open_posted[open_posted < HOUR_MIN * floor]
        first = (old // HOUR_MIN).astype(np.int64)
        faded = ((old + self.attention_min) // HOUR_MIN).astype(np.int64)
        last = np.minimum(np.minimum(faded, self.hours - 1) + 1, floor - 1)
        needed = np.unique(_ranges(first, last))
        kept = np.isin(self.kept_hours, needed)
        fresh = needed[needed >= self.base]
        self.kept_hours = np.concatenate([self.kept_hours[kept], fresh])
        self.kept_minutes = np.concatenate(
            [self.kept_minutes[:, kept], cumulative[:, fresh - self.base]], axis=1
        )
        self.minutes = cumulative[:, gone]
        self.release_before(floor)
        self._drop(floor)


def _ranges(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Every integer from ``first[i]`` to ``last[i]`` (inclusive), for every i, end to end."""
    length = np.maximum(last - first + 1, 0)
    starts = np.cumsum(length) - length
    return np.repeat(first - starts, length) + np.arange(int(length.sum()))


def attention_between(
    shared: SharedMinutes, channel: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """Minutes of full attention a post on ``channel`` draws over [start, stop) (0 if empty).

    ``shared`` is `Feed.shared_minutes`, holding the hours of the moments asked; within an
    hour the share is flat.
    """
    last = shared.last
    hours = shared.hours

    def at(moment: np.ndarray) -> np.ndarray:
        moment = np.clip(moment, 0.0, HOUR_MIN * (last + 1))
        hour = np.minimum((moment // HOUR_MIN).astype(np.int64), last)
        index = np.searchsorted(hours, hour)
        top = len(hours) - 1
        held = np.array_equal(hours[np.minimum(index, top)], hour) and np.array_equal(
            hours[np.minimum(index + 1, top)], hour + 1
        )
        if not held:
            raise ValueError("attention asked of an hour the feed no longer holds")
        before = shared.minutes[channel, index]
        rate = (shared.minutes[channel, index + 1] - before) / HOUR_MIN
        return before + (moment - HOUR_MIN * hour) * rate

    start = np.asarray(start, dtype=float)
    stop = np.asarray(stop, dtype=float)
    return np.where(stop > start, at(stop) - at(np.minimum(start, stop)), 0.0)
