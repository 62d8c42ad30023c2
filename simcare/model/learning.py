"""Learning: customers remember how their last complaint went (the squeaky wheel).

With ``[learning] enabled``, every problem belongs to a customer of its segment's base, drawn
at random from the base (the ``learning`` stream, the same under every policy). What a
customer remembers is kept only for those who complained: two sorted arrays, their ids and a
state each (`Memory`), so memory is bounded by the base and does not grow with the run's
length, and no Python object is made per customer or per event.

A customer who left has no more problems: with problems drawn from the whole base and those
of customers who left dropped, the volume falls as the base shrinks. One whose last complaint
was public and ended resolved is more likely to complain next time, and in public (Ma, Sun &
Kekre 2015: helped complainers complain more, and the net effect on the relationship is still
positive); one who was ignored or whose post was deleted is more likely to stay silent, and if
they complain, to go straight to an open network. Customers who leave silently or as
bystanders are counted, not identified, so they may still have problems (a small overcount).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from simcare.model.records import Cause, JourneyEnd, Journeys
from simcare.scenario import Scenario


class _Batch(Protocol):
    def customers(self) -> np.ndarray: ...


class _Window(Protocol):
    """An arrival window (`simcare.model.arrivals.Window`, which imports this module)."""

    @property
    def batch(self) -> _Batch: ...


HARVEST_EVERY_LEARNING = 1
"""Journeys begun between harvests when customers learn: every window, since what a customer
remembers of a journey is written when it is harvested, and their next problem may be soon."""

NONE, HELPED, IGNORED, LEFT = 0, 1, 2, 3
"""What a customer remembers: nothing, helped in public, ignored or deleted, left the brand."""

_HELPED_ENDS = np.array([JourneyEnd.RESOLVED_QUICKLY, JourneyEnd.RESOLVED])
_IGNORED_CAUSES = np.array([Cause.DELETED, Cause.IGNORED])


def _cdf(weights: np.ndarray) -> np.ndarray | None:
    """A cumulative share over channels, or None if no channel has any weight."""
    if not weights.sum() > 0:
        return None
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0
    return cumulative


def learned_share(share: np.ndarray, odds: np.ndarray) -> np.ndarray:
    """A share with its odds multiplied by ``odds``: stays inside [0, 1], keeps 0 and 1."""
    scaled = share * odds
    return np.where(share >= 1.0, 1.0, scaled / np.maximum(1.0 - share + scaled, 1e-300))


class Memory:
    """The customers of one replication who complained: their ids and what they remember.

    Args:
        scenario: the scenario run (its ``learning`` table is enabled).
        rng: the replication's learning stream.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.params = scenario.learning
        self.rng = rng
        counts = [max(math.ceil(n), 1) for n in scenario.customer_base().values()]
        self.counts = np.array(counts, dtype=np.int64)
        self.first_id = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        self.ids = np.zeros(0, dtype=np.int64)  # sorted
        self.state = np.zeros(0, dtype=np.uint8)
        channels = list(scenario.channels.values())
        shares = np.array([c.share for c in channels], dtype=float)
        public = np.array([c.public for c in channels])
        open_network = public & ~np.array([c.brand_owned for c in channels])
        self.public_cdf = _cdf(shares * public)
        # No open network in the scenario: the ignored go to any public channel instead.
        self.open_cdf = _cdf(shares * open_network) if open_network.any() else self.public_cdf

    def state_of(self, customers: np.ndarray) -> np.ndarray:
        """What each customer remembers (`NONE` for one who never complained)."""
        if len(self.ids) == 0:
            return np.zeros(len(customers), dtype=np.uint8)
        at = np.minimum(np.searchsorted(self.ids, customers), len(self.ids) - 1)
        return np.where(self.ids[at] == customers, self.state[at], NONE).astype(np.uint8)

    def assign(
        self, segment: np.ndarray, complain_draw: np.ndarray, share: np.ndarray, channel: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Give problems their customers, and let what those remember change the complaint.

        Args:
            segment: each problem's segment.
            complain_draw: the uniform each problem's complaint is decided with.
            share: each problem's complaint share (its severity's).
            channel: each problem's first channel as drawn.

        Returns:
            The customer ids; whether the customer is still a customer; whether they
            complain; and the channel they complain on.
        """
        draws = self.rng.random((len(segment), 3))
        counts = self.counts[segment]
        customer = self.first_id[segment] + np.minimum(
            (draws[:, 0] * counts).astype(np.int64), counts - 1
        )
        state = self.state_of(customer)
        params = self.params
        odds = np.select(
            [state == HELPED, state == IGNORED],
            [params.helped_complain_odds, params.ignored_complain_odds],
            1.0,
        )
        complains = complain_draw < learned_share(share, odds)
        channel = channel.copy()
        for remembered, moved_share, cdf in (
            (HELPED, params.helped_public_share, self.public_cdf),
            (IGNORED, params.ignored_open_share, self.open_cdf),
        ):
            moves = (state == remembered) & (draws[:, 1] < moved_share)
            if cdf is not None and moves.any():
                channel[moves] = np.searchsorted(cdf, draws[moves, 2], side="right")
        return customer, state != LEFT, complains, channel

    def ended(
        self,
        windows: Sequence[_Window],
        at: np.ndarray,
        journeys: Journeys,
        left: np.ndarray,
        public: np.ndarray,
    ) -> None:
        """Remember how harvested journeys ended (``at``: their rows of the ``windows``).

        Contagion's recruits have no customer id and are not tracked.
        """
        held = [window.batch.customers() for window in windows]
        customers = np.concatenate([np.zeros(0, np.int64), *held])[at]
        helped = np.isin(journeys.end, _HELPED_ENDS) & (
            public[journeys.channel] | journeys.went_public
        )
        ignored = np.isin(journeys.cause, _IGNORED_CAUSES)
        state = np.where(helped, HELPED, np.where(ignored, IGNORED, NONE)).astype(np.uint8)
        state[left] = LEFT
        known = customers >= 0
        self._remember(customers[known], state[known])

    def _remember(self, ids: np.ndarray, state: np.ndarray) -> None:
        """Set the state of ``ids`` (in journey order: the last counts; leaving is for good)."""
        if len(ids) == 0:
            return
        order = np.argsort(ids, kind="stable")
        ids, state = ids[order], state[order]
        gone = np.unique(ids[state == LEFT])
        last = np.append(ids[1:] != ids[:-1], True)
        ids, state = ids[last], state[last]
        state[np.isin(ids, gone)] = LEFT
        at = np.searchsorted(self.ids, ids)
        known = at < len(self.ids)
        known[known] = self.ids[at[known]] == ids[known]
        old = self.state[at[known]]
        self.state[at[known]] = np.where(old == LEFT, LEFT, state[known])
        self.ids = np.insert(self.ids, at[~known], ids[~known])
        self.state = np.insert(self.state, at[~known], state[~known])

    def customers_remembered(self) -> int:
        """How many customers the memory holds (never more than the base)."""
        return len(self.ids)

    def left(self) -> np.ndarray:
        """The ids of the customers known to have left."""
        return self.ids[self.state == LEFT]
