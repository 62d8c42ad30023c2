"""Contagion: silent problems with a shared cause come forward when complaints stand unanswered.

A self-exciting (Hawkes-type) process with depletion. Every hour, the unanswered public posts
about the cause (the ``[contagion] cause`` severity) in view draw V negative views from their
channel's audience, shared among the posts in view (`simcare.model.attention`): where people
with the problem go to look (their authors' followers are mostly people without it). A share
``customer_share`` of the views falls on the brand's B customers, and a customer with the
problem looks ``affinity`` times as hard as one without, so each customer whose problem of the
cause stayed silent sees one with probability s = 1 − exp(−affinity·V·customer_share / B),
and then comes forward with probability
``come_forward`` (q): a hazard −log(1 − q·s) per hour, and a complaint in the next hour, on
the channel where they saw it. Their posts are seen in turn (the
self-excitation); a visible good answer or a deletion takes a post out of the excitation. It
can never recruit more than the silent problems of the cause, so a run that runs away is still
finite. It keeps a count per channel of the hours still to come in which posts go up or fade
(`Ledger`: the hours it has read go), and a few numbers per silent customer of the cause whose
problem arose within ``memory`` (after it, they no longer come forward): nothing that grows
with the contacts or with the run's length.

Sources (docs/evidence.md, "How posts spread", its "Contagion"): firestorms as self-reinforcing
negative word of mouth (Pfeffer, Zorbach & Carley 2014; Herhausen et al. 2019); self-exciting
point processes for online cascades (Zhao et al. 2015, SEISMIC); the silent majority of
customers with a problem ("Who complains, and what they tell"). ``come_forward`` and
``affinity`` are illustrative.
"""

from __future__ import annotations

import math

import numpy as np

from simcare.core.units import MINUTES_PER_DAY
from simcare.model.attention import HOUR_MIN, Feed, Ledger
from simcare.model.problems import ArrivalBatch, durations_from_units
from simcare.scenario import Scenario

_TRAITS = (
    "arisen",
    "threshold",
    "segment",
    "offset",
    "pick",
    "normal0",
    "normal1",
    "normal2",
    "exp0",
    "exp1",
)
"""What is drawn for each silent customer of the cause when their problem arises."""


class Groundswell:
    """The contagion of one replication: the excitation per channel and hour, and the pool.

    Common random numbers: each customer whose problem of the cause stays silent gets, when it
    arises, an Exp(1) threshold and the traits of the complaint they would make. They come
    forward once the hazard of seeing unanswered complaints since then passes their threshold,
    so a policy that leaves more complaints unanswered recruits the same customers and more,
    never others.

    Args:
        scenario: the scenario run (its ``contagion.cause`` must be set).
        rng: the replication's contagion stream (its own, so that policies keep their common
            random numbers elsewhere).
        horizon_min: when the run stops.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator, horizon_min: float) -> None:
        cause = scenario.contagion.cause
        assert cause is not None
        self.scenario = scenario
        self.rng = rng
        self.cause = list(scenario.severities).index(cause)
        channels = list(scenario.channels.values())
        params = scenario.word_of_mouth
        self.audience_per_min = np.array([c.audience_per_min for c in channels])
        # Unanswered posts about the cause in view, per channel and hour.
        self.grievances = Ledger(len(channels), horizon_min, params.attention_min)
        self.unanswered = np.zeros(len(channels), dtype=np.int64)
        self.in_view = np.zeros(len(channels), dtype=np.int64)
        self.base = float(sum(scenario.customer_base().values()))
        self.hazard = 0.0  # of coming forward, accumulated since the run began
        # Silent customers of the cause not come forward: waiting for their problem to arise
        # (``pending``, by time), and exposed (``exposed``), one entry per customer.
        empty = {name: np.zeros(0) for name in _TRAITS}
        self.pending = dict(empty)
        self.exposed = dict(empty)
        self.daily = np.zeros(math.ceil(horizon_min / MINUTES_PER_DAY), dtype=np.int64)
        self.hour = 0

    def problems_arose(self, start: float, end: float, silent: np.ndarray) -> None:
        """The silent problems (by segment, severity) of a new arrival window [start, end)."""
        counts = np.asarray(silent)[:, self.cause].astype(np.int64)
        n = int(counts.sum())
        rng = self.rng
        drawn = {
            "arisen": start + (end - start) * rng.random(n),
            "threshold": rng.standard_exponential(n),
            "segment": np.repeat(np.arange(len(counts)), counts).astype(float),
            "offset": rng.random(n),
            "pick": rng.random(n),
            **{f"normal{i}": rng.standard_normal(n) for i in range(3)},
            **{f"exp{i}": rng.standard_exponential(n) for i in range(2)},
        }
        self.pending = {name: np.concatenate([self.pending[name], drawn[name]]) for name in _TRAITS}

    def posted(self, channel: int, posted_min: float) -> None:
        """A complaint about the cause goes up on a public ``channel``."""
        self.grievances.post(channel, posted_min)

    def answered(self, channel: int, posted_min: float, at_min: float) -> None:
        """A post about the cause got a visible good answer, or was deleted, at ``at_min``."""
        self.grievances.withdraw(channel, posted_min, at_min)

    def _views(self, feed: Feed | None) -> np.ndarray:
        """Negative views per channel of the unanswered posts about the cause, in the hour."""
        hour = self.hour
        self.unanswered += self.grievances.change_at(hour)
        share = np.ones(len(self.unanswered))
        if feed is not None:
            self.in_view += feed.change_at(hour)
            in_view = self.scenario.word_of_mouth.posts_in_view or 1.0
            share = np.minimum(1.0, in_view / np.maximum(self.in_view, 1))
        unanswered = np.maximum(self.unanswered, 0)
        return self.audience_per_min * HOUR_MIN * share * unanswered

    def recruit(self, now: float, feed: Feed | None) -> ArrivalBatch | None:
        """Close the hour before ``now``; the complaints of who comes forward in the next.

        Args:
            now: the start of an hour.
            feed: the ledger of every brand post in view, or None if each post draws its
                channel's whole audience.
        """
        views = self._views(feed)
        self.hour += 1
        self.grievances.release_before(self.hour)
        # Customers whose problem arose before now are exposed from the hazard reached so far.
        arisen = self.pending["arisen"] < now
        if arisen.any():
            thresholds = self.pending["threshold"][arisen] + self.hazard
            fresh = {name: self.pending[name][arisen] for name in _TRAITS}
            fresh["threshold"] = thresholds
            self.exposed = {k: np.concatenate([self.exposed[k], fresh[k]]) for k in _TRAITS}
            self.pending = {name: self.pending[name][~arisen] for name in _TRAITS}
        # Past its memory, a silent problem no longer makes anyone come forward.
        remembered = self.exposed["arisen"] >= now - self.scenario.contagion.memory_min
        if not remembered.all():
            self.exposed = {name: self.exposed[name][remembered] for name in _TRAITS}
        total = float(views.sum())
        if total <= 0 or self.base <= 0 or len(self.exposed["threshold"]) == 0:
            return None
        contagion = self.scenario.contagion
        on_customers = total * self.scenario.word_of_mouth.customer_share * contagion.affinity
        seen = -math.expm1(-on_customers / self.base)
        chance = contagion.come_forward * seen
        # A sure recruit makes the hazard infinite: every customer exposed comes forward.
        self.hazard = math.inf if chance >= 1.0 else self.hazard - math.log1p(-chance)
        forward = self.exposed["threshold"] <= self.hazard
        if not forward.any():
            return None
        chosen = {name: self.exposed[name][forward] for name in _TRAITS}
        self.exposed = {name: self.exposed[name][~forward] for name in _TRAITS}
        self.daily[min(int(now // MINUTES_PER_DAY), len(self.daily) - 1)] += int(forward.sum())
        return self._batch(now, chosen, views)

    def _batch(self, now: float, chosen: dict[str, np.ndarray], views: np.ndarray) -> ArrivalBatch:
        """The complaints of the customers ``chosen``, arriving in the hour from ``now``.

        Each complains on a channel drawn in proportion to where the views were, with their
        segment's followers and patience; the problem was counted when it arose, silent.
        """
        scenario = self.scenario
        order = np.argsort(chosen["offset"], kind="stable")
        chosen = {name: values[order] for name, values in chosen.items()}
        segment = chosen["segment"].astype(np.int64)
        n = len(segment)
        time = now + HOUR_MIN * chosen["offset"]
        cumulative = np.cumsum(views / views.sum())
        cumulative[-1] = 1.0
        channel = np.searchsorted(cumulative, chosen["pick"], side="right")
        segments = list(scenario.segments.values())
        median = np.log(np.maximum([s.followers_median for s in segments], 1e-9))
        sigma = np.array([s.followers_sigma for s in segments])
        followers = np.floor(np.exp(median[segment] + sigma[segment] * chosen["normal0"]))
        patience = np.full(n, np.inf)
        for code, item in enumerate(scenario.channels.values()):
            picked = channel == code
            if item.patience is not None and picked.any():
                patience[picked] = durations_from_units(
                    item.patience, chosen["exp0"][picked], chosen["normal1"][picked]
                )
        patience *= np.array([s.patience_multiplier for s in segments])[segment]
        return ArrivalBatch(
            time=time,
            channel=channel.astype(np.int16),
            segment=segment.astype(np.int16),
            severity=np.full(n, self.cause, dtype=np.int16),
            followers=followers.astype(np.int64),
            deadline=time + patience,
            handle_e=chosen["exp1"],
            handle_z=chosen["normal2"],
            silent=np.zeros((len(segments), len(scenario.severities)), dtype=np.int64),
            problems=0,
        )
