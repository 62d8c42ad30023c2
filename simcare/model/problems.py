"""Problems arising: a non-homogeneous Poisson process plus incidents, and customers' traits.

Arrivals are generated a window (a day) at a time, with every trait a customer will need drawn
in blocks at arrival. The draws depend only on the scenario's problem side and the streams, so
every policy and every staffing level sees the same customers (common random numbers).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from simcare.core.units import MINUTES_PER_DAY
from simcare.model.learning import Memory
from simcare.scenario import Distribution, DistributionKind, Scenario


@dataclass(frozen=True, slots=True)
class ArrivalBatch:
    """The complaints that arise in one window, columnar, sorted by arrival time.

    Attributes:
        deadline: arrival time + patience on the first channel (inf: never gives up).
        handle_e, handle_z: a standard exponential and a standard normal per complaint, turned
            into a handling time by whichever team answers (so the work is the customer's own).
        silent: problems after the warm-up that did not become complaints, by (segment,
            severity) (the iceberg).
        problems: problems after the warm-up, complained about or not.
        customer: each complainant's id in the customer base, if customers learn
            (`simcare.model.learning`); None otherwise.
    """

    time: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    severity: np.ndarray
    followers: np.ndarray
    deadline: np.ndarray
    handle_e: np.ndarray
    handle_z: np.ndarray
    silent: np.ndarray
    problems: int
    customer: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)

    def customers(self) -> np.ndarray:
        """Each complainant's id in the customer base; -1 where not known."""
        if self.customer is None:
            return np.full(len(self.time), -1, dtype=np.int64)
        return self.customer


def _cumulative(shares: list[float]) -> np.ndarray:
    weights = np.asarray(shares, dtype=float)
    cumulative = np.cumsum(weights / weights.sum())
    cumulative[-1] = 1.0  # guard against rounding so every uniform draw falls inside
    return cumulative


def durations_from_units(
    distribution: Distribution, exponential: np.ndarray, normal: np.ndarray
) -> np.ndarray:
    """Turn unit draws (standard exponential, standard normal) into durations of a distribution."""
    if distribution.kind is DistributionKind.EXPONENTIAL:
        return distribution.mean_min * exponential
    if distribution.kind is DistributionKind.LOGNORMAL:
        mu, sigma = distribution.lognormal_mu_sigma()
        return np.exp(mu + sigma * normal)
    return np.full(exponential.shape, distribution.mean_min)


class ProblemSource:
    """Generates the problems of one replication, window by window, from two streams.

    If customers learn, ``learning`` gives each problem its customer (from its own stream)
    and drops the problems of customers who left.
    """

    def __init__(
        self,
        scenario: Scenario,
        arrivals: np.random.Generator,
        customers: np.random.Generator,
        learning: Memory | None = None,
    ) -> None:
        self.scenario = scenario
        self.arrivals = arrivals
        self.customers = customers
        self.learning = learning  # what customers remember, if they learn
        self._severity_names = list(scenario.severities)
        self._severity_cdf = _cumulative([s.share for s in scenario.severities.values()])
        self._complaint_share = np.array([s.complaint_share for s in scenario.severities.values()])
        segments = list(scenario.segments.values())
        self._segment_cdf = _cumulative([s.share for s in segments])
        self._followers_log_median = np.log(
            np.maximum([s.followers_median for s in segments], 1e-9)
        )
        self._followers_sigma = np.array([s.followers_sigma for s in segments])
        self._patience_multiplier = np.array([s.patience_multiplier for s in segments])
        channels = list(scenario.channels.values())
        self._channel_cdf = _cumulative([c.share for c in channels])
        self._patience = [c.patience for c in channels]

    def _hour_slots(self, start: float, end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (start, length, rate per minute) of each hour slot overlapping [start, end)."""
        problems = self.scenario.problems
        first_hour = math.floor(start / 60)
        last_hour = math.ceil(end / 60)
        hours = np.arange(first_hour, last_hour)
        slot_start = np.maximum(hours * 60.0, start)
        slot_end = np.minimum((hours + 1) * 60.0, end)
        weekday = (self.scenario.run.start_weekday + hours // 24) % 7
        rate = np.array(
            [
                problems.rate_at_hour(int(d), int(h % 24))
                for d, h in zip(weekday, hours, strict=True)
            ]
        )
        return slot_start, slot_end - slot_start, rate

    def _poisson_times(self, start: np.ndarray, length: np.ndarray, rate: np.ndarray) -> np.ndarray:
        counts = self.arrivals.poisson(rate * length)
        offsets = self.arrivals.random(int(counts.sum()))
        return np.repeat(start, counts) + offsets * np.repeat(length, counts)

    def window(self, start: float, end: float) -> ArrivalBatch:
        """Draw the problems arising in [start, end) and the traits of their customers."""
        times = [self._poisson_times(*self._hour_slots(start, end))]
        forced = [np.full(len(times[0]), -1)]
        for incident in self.scenario.incidents:
            begin = max(start, incident.start_min)
            finish = min(end, incident.start_min + incident.duration_min)
            # Draw the count even for windows the incident misses (zero length gives zero),
            # so that adding an incident does not shift the stream for later windows.
            length = max(finish - begin, 0.0)
            extra = self._poisson_times(
                np.array([begin]), np.array([length]), np.array([incident.extra_problems_per_min])
            )
            times.append(extra)
            code = (
                -1 if incident.severity is None else self._severity_names.index(incident.severity)
            )
            forced.append(np.full(len(extra), code))
        all_times = np.concatenate(times)
        order = np.argsort(all_times, kind="stable")
        all_times = all_times[order]
        forced_severity = np.concatenate(forced)[order]
        return self._traits(all_times, forced_severity)

    def _traits(self, times: np.ndarray, forced_severity: np.ndarray) -> ArrivalBatch:
        n = len(times)
        uniform = self.customers.random((n, 4))
        normal = self.customers.standard_normal((n, 3))
        exponential = self.customers.standard_exponential((n, 2))

        severity = np.searchsorted(self._severity_cdf, uniform[:, 0], side="right")
        severity = np.where(forced_severity >= 0, forced_severity, severity)
        segment = np.searchsorted(self._segment_cdf, uniform[:, 1], side="right")
        complains = uniform[:, 2] < self._complaint_share[severity]
        channel = np.searchsorted(self._channel_cdf, uniform[:, 3], side="right")
        customer, alive = None, np.ones(n, dtype=bool)
        if self.learning is not None:
            customer, alive, complains, channel = self.learning.assign(
                segment, uniform[:, 2], self._complaint_share[severity], channel
            )
        followers = np.floor(
            np.exp(
                self._followers_log_median[segment] + self._followers_sigma[segment] * normal[:, 0]
            )
        )
        patience = np.full(n, np.inf)
        for code, distribution in enumerate(self._patience):
            chosen = channel == code
            if distribution is not None and chosen.any():
                patience[chosen] = durations_from_units(
                    distribution, exponential[chosen, 0], normal[chosen, 1]
                )
        patience *= self._patience_multiplier[segment]

        # A customer who left has no problems with the brand any more.
        measured = (times >= self.scenario.run.warmup_min) & alive
        quiet = ~complains & measured
        silent = np.zeros((len(self._segment_cdf), len(self._severity_cdf)), dtype=np.int64)
        np.add.at(silent, (segment[quiet], severity[quiet]), 1)
        keep = complains & alive
        return ArrivalBatch(
            time=times[keep],
            channel=channel[keep].astype(np.int16),
            segment=segment[keep].astype(np.int16),
            severity=severity[keep].astype(np.int16),
            followers=followers[keep].astype(np.int64),
            deadline=times[keep] + patience[keep],
            handle_e=exponential[keep, 1],
            handle_z=normal[keep, 2],
            silent=silent,
            problems=int(measured.sum()),
            customer=None if customer is None else customer[keep],
        )

    def windows(self, horizon: float) -> list[tuple[float, float]]:
        """Split [0, horizon) into the day-long windows arrivals are drawn in."""
        edges = [*np.arange(0.0, horizon, MINUTES_PER_DAY).tolist(), horizon]
        return list(itertools.pairwise(edges))
