"""Counts and amounts over time, in bins (queues, busy agents, impressions); quantiles in bins."""

from __future__ import annotations

import math

import numpy as np

from simcare.model.records import RunRecord


def integral_of_count(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return, at each time in ``at``, the integral from -inf of how many intervals are open.

    Intervals are [start, end) with end >= start. The integral of the count up to x is
    sum over starts <= x of (x - start) minus sum over ends <= x of (x - end).
    """

    def area(points: np.ndarray) -> np.ndarray:
        ordered = np.sort(points)
        prefix = np.concatenate(([0.0], np.cumsum(ordered)))
        count = np.searchsorted(ordered, at, side="right")
        return count * at - prefix[count]

    return area(starts) - area(ends)


def time_in_bins(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return, for each bin between consecutive ``edges``, the integral of the open-interval count.

    Differences of the cumulative integral carry rounding residue of about 1e-14 that can fall
    below zero; an integral of a count over a bin cannot, so residue under 1e-9 is set to 0.
    """
    per_bin = np.diff(integral_of_count(starts, ends, edges))
    per_bin[per_bin < 1e-9] = 0.0
    return per_bin


def amount_in_bins(
    starts: np.ndarray, ends: np.ndarray, amounts: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Return, for each bin between consecutive ``edges``, how much of the amounts falls in it.

    Amount i (>= 0) is spread uniformly over [starts[i], ends[i]]: a bin gets the share of it
    that its overlap with the interval is of the interval's length (`time_in_bins` weighted by
    amount / length). An interval of zero (or negative) length puts its whole amount at its
    start, in the bin whose right edge is at or after it (the first bin also takes a point on
    ``edges[0]``). Whatever lies outside [edges[0], edges[-1]] is not counted.

    Shares are taken as fractions of each length, never as amount / length × time, so an
    interval far shorter than a bin does not lose its amount to rounding.
    """
    bins = len(edges) - 1
    length = ends - starts
    ramp = length > 0
    at, point = starts[~ramp], amounts[~ramp]
    inside = (at >= edges[0]) & (at <= edges[-1])
    index = np.maximum(np.searchsorted(edges, at[inside], side="left") - 1, 0)
    per_bin = np.bincount(index, weights=point[inside], minlength=bins).astype(float)
    low = np.clip(starts[ramp], edges[0], edges[-1])
    high = np.clip(ends[ramp], edges[0], edges[-1])
    seen = high > low
    low, high = low[seen], high[seen]
    amount, length = amounts[ramp][seen], length[ramp][seen]
    first = np.searchsorted(edges, low, side="right") - 1  # low in [edges[k], edges[k + 1])
    last = np.searchsorted(edges, high, side="left") - 1  # high in (edges[k], edges[k + 1]]
    one = first == last
    per_bin += np.bincount(
        first[one], weights=amount[one] * ((high - low)[one] / length[one]), minlength=bins
    )
    many = ~one
    first, last, low, high = first[many], last[many], low[many], high[many]
    amount, length = amount[many], length[many]
    per_bin += np.bincount(
        first, weights=amount * ((edges[first + 1] - low) / length), minlength=bins
    )
    per_bin += np.bincount(last, weights=amount * ((high - edges[last]) / length), minlength=bins)
    # Bins strictly between the first and the last are covered whole, at amount / length per
    # unit of time: a running sum of the rates that start and stop at each bin.
    whole = last > first + 1
    rate = amount[whole] / length[whole]
    starts_at = np.bincount(first[whole] + 1, weights=rate, minlength=bins + 1)
    stops_at = np.bincount(last[whole], weights=rate, minlength=bins + 1)
    per_bin += _running_sum(starts_at, stops_at)[:bins] * np.diff(edges)
    return np.maximum(per_bin, 0.0)


def _running_sum(added: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The running sum of ``added - removed``, without losing small terms to large ones.

    An interval far shorter than its bins has a huge rate; added and removed again, it would
    wipe out the small rates summed with it (cumsum rounds 1e80 + 0.5 - 1e80 to 0). When the
    rates span more than 1e6 the sum is compensated (Neumaier), element by element.
    """
    rates = added[added > 0]
    if len(rates) == 0 or rates.max() <= 1e6 * rates.min():
        return np.cumsum(added - removed)
    out = np.empty(len(added))
    total = lost = 0.0
    for i, (plus, minus) in enumerate(zip(added.tolist(), removed.tolist(), strict=True)):
        for term in (plus, -minus):
            new = total + term
            # What the addition rounded away, from the smaller of the two.
            lost += (total - new) + term if abs(total) >= abs(term) else (term - new) + total
            total = new
        out[i] = total + lost
    return out


def step_integral(times: np.ndarray, levels: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Integral from times[0] of a step function (levels[k] from times[k] on), at each point."""
    widths = np.diff(times)
    cumulative = np.concatenate(([0.0], np.cumsum(widths * levels[:-1])))
    index = np.searchsorted(times, at, side="right") - 1
    index = np.clip(index, 0, len(times) - 1)
    return cumulative[index] + (at - times[index]) * levels[index]


def queue_intervals(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's time in queue as [arrival, left), where left is when it stopped waiting."""
    left = np.where(
        record.answered,
        record.service_start_min,
        np.minimum(record.deadline_min, record.stop_min),
    )
    return record.arrival_min, left


EXACT_VALUES = 100_000
"""Values a `Quantiles` keeps as they are before it bins them: about 50,000 complaints of the
richest case, more than any built-in case runs."""

_BIN_LOW, _BIN_RATIO, _BINS = 1e-4, 1.001, 27_700
"""Log-spaced bins from 1e-4 minutes (6 ms) up, each 0.1% wider than the last, to beyond
1e8 minutes (190 years); bin 0 holds zeros and the last bin anything above. 0.1% keeps the
bins (220 kB a channel) no bigger than the exact values they replace, so memory is flat."""


class Quantiles:
    """A series of minutes, by channel, for its median and p90 (as `numpy.quantile`).

    While there are at most `EXACT_VALUES`, the values are kept and the quantiles are exact.
    Beyond that, they are counted in log-spaced bins 0.1% wide (`_BIN_RATIO`), per channel:
    memory stops growing with the run, and a quantile is within 0.05% of the exact one (the
    middle of its bin; a value under 1e-4 minutes counts as 1e-4, a zero as zero).
    """

    def __init__(self, channels: int) -> None:
        self.channels = channels
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (channel, minutes), while exact
        self.kept = 0
        self.counts: np.ndarray | None = None  # (channels, bins) once binned

    def add(self, channel: np.ndarray, minutes: np.ndarray) -> None:
        """Add values (>= 0) and the channel of each."""
        if self.counts is None:
            self.parts.append((channel, minutes))
            self.kept += len(minutes)
            if self.kept > EXACT_VALUES:
                self.counts = np.zeros((self.channels, _BINS + 1), dtype=np.int64)
                for kept in self.parts:
                    self._count(*kept)
                self.parts = []
        else:
            self._count(channel, minutes)

    def _count(self, channel: np.ndarray, minutes: np.ndarray) -> None:
        assert self.counts is not None
        where = np.zeros(len(minutes), dtype=np.int64)
        positive = minutes > 0
        steps = np.log(np.maximum(minutes[positive], _BIN_LOW) / _BIN_LOW) / math.log(_BIN_RATIO)
        where[positive] = np.minimum(steps.astype(np.int64) + 1, _BINS)
        np.add.at(self.counts, (channel, where), 1)

    def quantile(self, chosen: np.ndarray, q: float) -> float:
        """The ``q`` quantile over the channels ``chosen`` (a mask by channel); NaN if none."""
        if self.counts is None:
            if not self.parts:
                return math.nan
            channel = np.concatenate([c for c, _ in self.parts])
            return _quantile(np.concatenate([v for _, v in self.parts])[chosen[channel]], q)
        counts = self.counts[chosen].sum(axis=0)
        total = int(counts.sum())
        if total == 0:
            return math.nan
        # numpy's default: between the order statistics at q × (n − 1), by linear interpolation.
        position = q * (total - 1)
        below, above = np.searchsorted(
            np.cumsum(counts), [math.floor(position) + 1, math.ceil(position) + 1]
        )
        low, high = _bin_middle(int(below)), _bin_middle(int(above))
        return low + (high - low) * (position - math.floor(position))


def _bin_middle(index: int) -> float:
    """The value a `Quantiles` bin stands for: 0 for bin 0, else its geometric middle."""
    return 0.0 if index == 0 else _BIN_LOW * _BIN_RATIO ** (index - 0.5)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.nan
