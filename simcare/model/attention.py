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
"""

from __future__ import annotations

import math

import numpy as np


class Feed:
    """Brand posts in view per channel and hour, and the share of attention each gets."""

    def __init__(
        self, channels: int, horizon_min: float, attention_min: float, posts_in_view: float
    ) -> None:
        self.hours = math.ceil(horizon_min / 60.0) + 1
        self.attention_min = attention_min
        self.horizon_min = horizon_min
        self.posts_in_view = posts_in_view
        # Posts going up (+1) at their hour, fading (−1) after theirs, per channel.
        self.change = np.zeros((channels, self.hours + 1), dtype=np.int64)

    def post(self, channel: int, posted_min: float) -> None:
        """A post goes up on ``channel`` at ``posted_min``."""
        start = int(posted_min // 60.0)
        fade = min(posted_min + self.attention_min, self.horizon_min)
        self.change[channel, start] += 1
        self.change[channel, min(math.ceil(fade / 60.0), self.hours)] -= 1

    def posts(self, channel: np.ndarray, posted_min: np.ndarray) -> None:
        """Posts go up, on ``channel`` at ``posted_min`` (one per element)."""
        posted = np.asarray(posted_min, dtype=float)
        start = (posted // 60.0).astype(np.int64)
        fade = np.minimum(posted + self.attention_min, self.horizon_min)
        stop = np.minimum(np.ceil(fade / 60.0).astype(np.int64), self.hours)
        np.add.at(self.change, (channel, start), 1)
        np.add.at(self.change, (channel, stop), -1)

    def in_view(self) -> np.ndarray:
        """Posts in view per (channel, hour)."""
        return np.cumsum(self.change, axis=1)[:, : self.hours]

    def shared_minutes(self) -> np.ndarray:
        """Cumulative minutes of full attention per (channel, hour boundary).

        Row c, column h: the integral, over the hours before h, of a post's share
        min(1, posts_in_view / posts in view).
        """
        count = self.in_view()
        share = np.minimum(1.0, self.posts_in_view / np.maximum(count, 1))
        cumulative = np.zeros((count.shape[0], self.hours + 1))
        cumulative[:, 1:] = np.cumsum(60.0 * share, axis=1)
        return cumulative


def attention_between(
    cumulative: np.ndarray, channel: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """Minutes of full attention a post on ``channel`` draws over [start, stop) (0 if empty).

    ``cumulative`` is `Feed.shared_minutes`; within an hour the share is flat.
    """
    last = cumulative.shape[1] - 2

    def at(moment: np.ndarray) -> np.ndarray:
        moment = np.clip(moment, 0.0, 60.0 * (last + 1))
        hour = np.minimum((moment // 60.0).astype(np.int64), last)
        rate = (cumulative[channel, hour + 1] - cumulative[channel, hour]) / 60.0
        return cumulative[channel, hour] + (moment - 60.0 * hour) * rate

    start = np.asarray(start, dtype=float)
    stop = np.asarray(stop, dtype=float)
    return np.where(stop > start, at(stop) - at(np.minimum(start, stop)), 0.0)
