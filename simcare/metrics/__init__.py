"""Outcomes of a replication: numbers and time series, added up over its journeys' records.

A replication hands over its journeys in chunks as they end (`Tally`, `SeriesTally`,
`simulate_replication`); `outcomes` and `hourly_series` do the same for one whole record.

Definitions (contacts are those arriving after the warm-up; times in minutes):
- *answered*: an agent reached the contact before the run ended; *abandoned*: the customer's
  patience ran out first; *open at end*: neither, when the run stopped.
- *P(wait)*: share of contacts that found no free agent.
- *ASA*: mean wait of answered contacts.
- *Service level (offered)*: contacts answered within the target / contacts whose fate
  against the target is known (all except those still open at the end that had waited less
  than the target). *Service level (answered)*: answered within the target / answered.
- *Abandonment rate*: abandoned / (answered + abandoned), on live channels only (undefined on
  an async channel, where a customer who gives up shows in the backlog measures).
- *First response*: when the customer first hears back: the answer on a live channel, the
  reply being sent (end of handling) on an async one. *Resolution*: end of handling.
- *Occupancy*: agent time handling contacts / agent time on duty. *Utilisation*: handling /
  paid time, where paid time adds the team's shrinkage. Staff cost is paid hours × cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from simcare.core.randomness import make_streams
from simcare.model.journeys import ContactKind, Result
from simcare.model.loyalty import lifetime_value
from simcare.model.records import RESOLVED_ENDS, JourneyEnd, RunRecord
from simcare.model.replication import Replication
from simcare.scenario import Mode, Scenario


class Unit(StrEnum):
    """How an outcome's number is read (and formatted in reports)."""

    MINUTES = "minutes"
    SHARE = "share"
    COUNT = "count"
    HOURS = "hours"
    MONEY = "money"


class Better(StrEnum):
    """Which way an outcome improves, for paired comparisons and verdicts."""

    LOWER = "lower"
    HIGHER = "higher"


LOWER, HIGHER = Better.LOWER, Better.HIGHER


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """What an outcome means, how to show it, and which way is better (None: neither)."""

    label: str
    unit: Unit
    better: Better | None = None


OUTCOMES: dict[str, OutcomeSpec] = {
    "problems": OutcomeSpec("Problems (complained or not)", Unit.COUNT),
    "silent_problems": OutcomeSpec("Silent problems (no complaint)", Unit.COUNT),
    "complaints": OutcomeSpec("Complaints (contacts offered)", Unit.COUNT),
    "answered": OutcomeSpec("Answered", Unit.COUNT),
    "abandoned": OutcomeSpec("Abandoned", Unit.COUNT, LOWER),
    "open_at_end": OutcomeSpec("Waiting at end of run (backlog)", Unit.COUNT, LOWER),
    "p_wait": OutcomeSpec("P(wait)", Unit.SHARE, LOWER),
    "asa_min": OutcomeSpec("ASA (mean wait, answered)", Unit.MINUTES, LOWER),
    "service_level_offered": OutcomeSpec("Service level (offered)", Unit.SHARE, HIGHER),
    "service_level_answered": OutcomeSpec("Service level (answered)", Unit.SHARE, HIGHER),
    "abandonment_rate": OutcomeSpec("Abandonment rate", Unit.SHARE, LOWER),
    "first_response_median_min": OutcomeSpec("First response, median", Unit.MINUTES, LOWER),
    "first_response_p90_min": OutcomeSpec("First response, p90", Unit.MINUTES, LOWER),
    "resolution_median_min": OutcomeSpec("Resolution time, median", Unit.MINUTES, LOWER),
    "resolution_p90_min": OutcomeSpec("Resolution time, p90", Unit.MINUTES, LOWER),
    "backlog_mean": OutcomeSpec("Waiting (queue or backlog), time-average", Unit.COUNT, LOWER),
    "backlog_oldest_age_min": OutcomeSpec(
        "Oldest still waiting at end of run", Unit.MINUTES, LOWER
    ),
    "occupancy": OutcomeSpec("Occupancy", Unit.SHARE),
    "utilisation": OutcomeSpec("Utilisation (of paid time)", Unit.SHARE),
    "agent_hours_on_duty": OutcomeSpec("Agent hours on duty", Unit.HOURS),
    "agent_hours_busy": OutcomeSpec("Agent hours handling contacts", Unit.HOURS),
    "agent_hours_paid": OutcomeSpec("Agent hours paid", Unit.HOURS),
    "staff_cost": OutcomeSpec("Staff cost", Unit.MONEY, LOWER),
    # Journeys: a complaint and every later contact it led to.
    "journeys": OutcomeSpec("Complaint journeys", Unit.COUNT),
    "contacts_per_journey": OutcomeSpec("Contacts per journey", Unit.COUNT),
    "resolved_share": OutcomeSpec("Resolved", Unit.SHARE, HIGHER),
    "resolved_quickly_share": OutcomeSpec("Resolved quickly", Unit.SHARE, HIGHER),
    "escalated_share": OutcomeSpec("Escalated at least once", Unit.SHARE, LOWER),
    "escalation_steps_mean": OutcomeSpec("Escalation steps, mean", Unit.COUNT, LOWER),
    "went_public_share": OutcomeSpec("Went public (started private)", Unit.SHARE, LOWER),
    "escalations": OutcomeSpec("Escalations (from → to)", Unit.COUNT, LOWER),
    "deletions": OutcomeSpec("Posts deleted", Unit.COUNT),
    "reposts": OutcomeSpec("Reposts with a screenshot", Unit.COUNT, LOWER),
    "follow_ups": OutcomeSpec("Follow-ups made", Unit.COUNT),
    "ended": OutcomeSpec("Journeys that ended", Unit.COUNT),
    # Word of mouth: negative and positive never netted.
    "told_negative": OutcomeSpec("People told, negative (incl. silent)", Unit.COUNT, LOWER),
    "told_positive": OutcomeSpec("People told, positive", Unit.COUNT, HIGHER),
    "impressions_negative": OutcomeSpec("Public impressions, negative", Unit.COUNT, LOWER),
    "impressions_positive": OutcomeSpec("Public impressions, positive", Unit.COUNT, HIGHER),
    "public_posts": OutcomeSpec("Public posts", Unit.COUNT),
    "reshares": OutcomeSpec("Reshares", Unit.COUNT),
    "largest_cascade": OutcomeSpec("Largest cascade (impressions of one post)", Unit.COUNT, LOWER),
    "pile_ons": OutcomeSpec("Pile-on comments", Unit.COUNT, LOWER),
    # Churn and money.
    "complainant_churn": OutcomeSpec("Complainants who leave", Unit.COUNT, LOWER),
    "complainant_churn_rate": OutcomeSpec("Churn among complainants", Unit.SHARE, LOWER),
    "silent_churn": OutcomeSpec("Silent customers who leave", Unit.COUNT, LOWER),
    "bystander_churn": OutcomeSpec("Bystanders who leave", Unit.COUNT, LOWER),
    "customers_lost": OutcomeSpec("Customers lost, all causes", Unit.COUNT, LOWER),
    "churned": OutcomeSpec("Customers lost, by cause", Unit.COUNT, LOWER),
    "prospects_lost": OutcomeSpec("Prospects deterred", Unit.COUNT, LOWER),
    "lifetime_value_lost": OutcomeSpec("Lifetime value lost", Unit.MONEY, LOWER),
    "compensation_paid": OutcomeSpec("Compensation paid", Unit.MONEY, LOWER),
    "cross_sell_revenue": OutcomeSpec("Cross-sell revenue", Unit.MONEY, HIGHER),
    "net_value": OutcomeSpec("Net value (revenue - costs - value lost)", Unit.MONEY, HIGHER),
}
"""Every outcome simcare reports, by key. Scopes: "all", "channel:NAME", "team:NAME", and
"flow:FROM→TO" (escalations), "end:ENDING" (journeys that ended so), "cause:CAUSE" (churn)."""

Outcomes = dict[tuple[str, str], float]
"""Outcome values of one replication keyed by (outcome, scope)."""


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.nan


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
    # unit of time; only intervals that cover a whole bin count here, so the rate stays below
    # amount / that bin's width and its running sum loses nothing to rounding.
    whole = last > first + 1
    rate = amount[whole] / length[whole]
    step = np.bincount(first[whole] + 1, weights=rate, minlength=bins + 1) - np.bincount(
        last[whole], weights=rate, minlength=bins + 1
    )
    per_bin += np.cumsum(step)[:bins] * np.diff(edges)
    return np.maximum(per_bin, 0.0)


def _step_integral(times: np.ndarray, levels: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Integral from times[0] of a step function (levels[k] from times[k] on), at each point."""
    widths = np.diff(times)
    cumulative = np.concatenate(([0.0], np.cumsum(widths * levels[:-1])))
    index = np.searchsorted(times, at, side="right") - 1
    index = np.clip(index, 0, len(times) - 1)
    return cumulative[index] + (at - times[index]) * levels[index]


def _queue_intervals(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    """Each contact's time in queue as [arrival, left), where left is when it stopped waiting."""
    left = np.where(
        record.answered,
        record.service_start_min,
        np.minimum(record.deadline_min, record.end_min),
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


_CONTACT_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "waited",
    "wait_answered",
    "within_target",
    "known_against_target",
    "abandoned_live",
    "settled_live",
    "queue_time",
)
"""Running sums per channel of the contacts' service outcomes (see `Tally.add`)."""


class Tally:
    """The outcomes of one replication, added up over records of some of its journeys.

    Add every journey's record exactly once (`add`: the whole run at once, or the chunks a
    replication harvests as its journeys end); `outcomes` then takes the run-wide parts
    (staffing, silent problems, bystanders) from the record of the whole run. Everything is a
    running sum or maximum, except the medians and p90s (`Quantiles`).
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        channels = len(scenario.channels)
        self.live = np.array([c.mode is Mode.LIVE for c in scenario.channels.values()])
        self.sums = {name: np.zeros(channels) for name in _CONTACT_SUMS}
        self.oldest = np.zeros(channels)  # longest wait of a contact still waiting at the end
        self.first_response = Quantiles(channels)
        self.resolution = Quantiles(channels)
        self.team_answered = np.zeros(len(scenario.teams))
        self.team_busy_min = np.zeros(len(scenario.teams))
        self.journeys = dict.fromkeys(
            (
                "journeys",
                "attempts",
                "resolved",
                "resolved_quickly",
                "escalated",
                "escalation_steps",
                "went_public",
                "deletions",
                "reposts",
                "follow_ups",
                "answered",
            ),
            0.0,
        )
        self.ended = np.zeros(len(JourneyEnd))
        self.flows: dict[tuple[int, int], float] = {}
        self.mouth = dict.fromkeys(("told_negative", "told_positive", "reshares", "pile_ons"), 0.0)
        self.public_posts = 0.0
        self.impressions = {name: np.zeros(channels) for name in ("negative", "positive")}
        self.largest_cascade = 0.0
        self.left = 0.0
        self.left_value = 0.0
        self.causes = np.zeros(len(JourneyEnd))
        segments = list(scenario.segments.values())
        self.value = np.array([lifetime_value(s, scenario.churn) for s in segments])

    def add(self, record: RunRecord) -> None:
        """Add the journeys of a record (each journey's contacts all in this one record)."""
        self._add_contacts(record)
        self._add_teams(record)
        self._add_journeys(record)
        self._add_consequences(record)

    def _add_contacts(self, record: RunRecord) -> None:
        channels = len(self.live)
        counted = record.kind != ContactKind.FOLLOW_UP
        measured = counted & (record.arrival_min >= record.warmup_min)
        channel = record.channel[measured]
        live = self.live[channel]
        answered = record.answered[measured]
        abandoned = record.abandoned[measured]
        wait = record.wait_min[measured]
        target = self.scenario.run.service_level_target_min
        arrival = record.arrival_min[measured]
        end = record.service_end_min[measured]
        finished = answered & (end <= record.end_min)
        still_waiting = ~answered & ~abandoned
        parts = {
            "offered": np.ones(len(channel)),
            "answered": answered,
            "abandoned": abandoned,
            "waited": wait > 0,
            "wait_answered": np.where(answered, wait, 0.0),
            "within_target": answered & (wait <= target),
            "known_against_target": ~(still_waiting & (wait < target)),
            # Abandonment is a live-channel measure; an async channel's give-ups show as backlog.
            "abandoned_live": abandoned & live,
            "settled_live": (answered | abandoned) & live,
        }
        for name, values in parts.items():
            self.sums[name] += np.bincount(channel, weights=values, minlength=channels)
        queue_start, queue_end = _queue_intervals(record)
        span = np.array([record.warmup_min, record.end_min])
        ages = record.end_min - arrival
        for code in range(channels):
            chosen = counted & (record.channel == code)
            self.sums["queue_time"][code] += time_in_bins(
                queue_start[chosen], queue_end[chosen], span
            )[0]
            waiting = ages[still_waiting & (channel == code)]
            if len(waiting):
                self.oldest[code] = max(self.oldest[code], float(waiting.max()))
        responded = np.where(live, answered, finished)
        first_response = np.where(live, wait, end - arrival)
        self.first_response.add(channel[responded], first_response[responded])
        self.resolution.add(channel[finished], (end - arrival)[finished])

    def _add_teams(self, record: RunRecord) -> None:
        window = np.array([record.warmup_min, record.end_min])
        team = record.team
        for code in range(len(self.team_busy_min)):
            served = team == code
            start = record.service_start_min[served]
            self.team_busy_min[code] += time_in_bins(
                start, start + record.handle_min[served], window
            )[0]
            self.team_answered[code] += float(
                (served & (record.arrival_min >= record.warmup_min)).sum()
            )

    def _add_journeys(self, record: RunRecord) -> None:
        journeys = record.journeys
        measured = journeys.start_min >= record.warmup_min
        ends = journeys.end[measured]
        in_window = measured[record.journey]
        complaint = in_window & (record.kind != ContactKind.FOLLOW_UP)
        parts = {
            "journeys": measured.sum(),
            "attempts": journeys.attempts[measured].sum(),
            "resolved": np.isin(ends, RESOLVED_ENDS).sum(),
            "resolved_quickly": (ends == JourneyEnd.RESOLVED_QUICKLY).sum(),
            "escalated": (journeys.escalations[measured] > 0).sum(),
            "escalation_steps": journeys.escalations[measured].sum(),
            "went_public": journeys.went_public[measured].sum(),
            "deletions": (complaint & (record.result == Result.DELETED)).sum(),
            "reposts": (in_window & (record.kind == ContactKind.REPOST)).sum(),
            "follow_ups": (in_window & (record.kind == ContactKind.FOLLOW_UP)).sum(),
            "answered": journeys.answered[measured].sum(),
        }
        for name, value in parts.items():
            self.journeys[name] += float(value)
        self.ended += np.bincount(ends, minlength=len(JourneyEnd))
        # Flows: each later contact on a different channel than the one before it.
        order = np.lexsort((record.attempt, record.journey))
        rows = order[complaint[order]]
        same = record.journey[rows][1:] == record.journey[rows][:-1]
        source, target = record.channel[rows][:-1][same], record.channel[rows][1:][same]
        moved = source != target
        pairs = (
            np.stack([source[moved], target[moved]], axis=1) if moved.any() else np.zeros((0, 2))
        )
        for (a, b), count in zip(*np.unique(pairs, axis=0, return_counts=True), strict=True):
            key = (int(a), int(b))
            self.flows[key] = self.flows.get(key, 0.0) + float(count)

    def _add_consequences(self, record: RunRecord) -> None:
        journeys, spread, posts = record.journeys, record.spread, record.posts
        measured = journeys.start_min >= record.warmup_min
        measured_posts = measured[posts.journey]
        negative = spread.negative_impressions[measured_posts]
        positive = spread.positive_impressions[measured_posts]
        self.mouth["told_negative"] += float(spread.told_negative[measured].sum())
        self.mouth["told_positive"] += float(spread.told_positive[measured].sum())
        self.mouth["reshares"] += float(spread.reshares[measured_posts].sum())
        self.mouth["pile_ons"] += float(spread.pile_ons[measured_posts].sum())
        self.public_posts += float(measured_posts.sum())
        channel = posts.channel[measured_posts]
        for name, values in (("negative", negative), ("positive", positive)):
            self.impressions[name] += np.bincount(channel, weights=values, minlength=len(self.live))
        if len(negative):
            self.largest_cascade = max(self.largest_cascade, float((negative + positive).max()))
        left = record.churn.left & measured
        self.left += float(left.sum())
        self.left_value += float(self.value[record.journey_segment[left]].sum())
        self.causes += np.bincount(journeys.end[left], minlength=len(JourneyEnd))

    def outcomes(self, run: RunRecord) -> Outcomes:
        """Every outcome, keyed by (outcome, scope); ``run`` gives the run-wide parts."""
        scenario = self.scenario
        result: Outcomes = {
            ("problems", "all"): float(run.problems),
            ("silent_problems", "all"): float(run.silent.sum()),
        }
        everywhere = np.ones(len(self.live), dtype=bool)
        for name, value in self._contact_outcomes(everywhere).items():
            result[(name, "all")] = value
        for code, channel in enumerate(scenario.channels):
            on_channel = np.arange(len(self.live)) == code
            for name, value in self._contact_outcomes(on_channel).items():
                result[(name, f"channel:{channel}")] = value
        teams = [
            self._team_outcomes(run, code, team.shrinkage, team.cost_per_hour)
            for code, team in enumerate(scenario.teams.values())
        ]
        for team, values in zip(scenario.teams, teams, strict=True):
            for name, value in values.items():
                result[(name, f"team:{team}")] = value
        total = {
            key: sum(values[key] for values in teams)
            for key in ("agent_hours_busy", "agent_hours_on_duty", "agent_hours_paid", "staff_cost")
        }
        busy, on_duty = total["agent_hours_busy"], total["agent_hours_on_duty"]
        result[("occupancy", "all")] = _ratio(busy, on_duty)
        result[("utilisation", "all")] = _ratio(busy, total["agent_hours_paid"])
        result[("agent_hours_paid", "all")] = total["agent_hours_paid"]
        result[("staff_cost", "all")] = total["staff_cost"]
        result.update(self._journey_outcomes(run))
        result.update(self._consequences(run, total["staff_cost"]))
        return result

    def _contact_outcomes(self, chosen: np.ndarray) -> dict[str, float]:
        """Service outcomes over the channels ``chosen`` (a mask over channel codes)."""
        sums = {name: float(values[chosen].sum()) for name, values in self.sums.items()}
        end, warmup = self.scenario.run.duration_min, self.scenario.run.warmup_min

        offered, answered = sums["offered"], sums["answered"]
        return {
            "complaints": offered,
            "answered": answered,
            "abandoned": sums["abandoned"],
            "open_at_end": offered - answered - sums["abandoned"],
            "p_wait": _ratio(sums["waited"], offered),
            "asa_min": _ratio(sums["wait_answered"], answered),
            "service_level_offered": _ratio(sums["within_target"], sums["known_against_target"]),
            "service_level_answered": _ratio(sums["within_target"], answered),
            "abandonment_rate": _ratio(sums["abandoned_live"], sums["settled_live"]),
            "first_response_median_min": self.first_response.quantile(chosen, 0.5),
            "first_response_p90_min": self.first_response.quantile(chosen, 0.9),
            "resolution_median_min": self.resolution.quantile(chosen, 0.5),
            "resolution_p90_min": self.resolution.quantile(chosen, 0.9),
            "backlog_mean": sums["queue_time"] / (end - warmup),
            "backlog_oldest_age_min": float(self.oldest[chosen].max()),
        }

    def _team_outcomes(
        self, run: RunRecord, team: int, shrinkage: float, cost: float
    ) -> dict[str, float]:
        window = np.array([run.warmup_min, run.end_min])
        log = run.staffing[team]
        on_duty = _step_integral(log.time_min, log.on_duty.astype(float), window)
        busy_hours = float(self.team_busy_min[team]) / 60
        on_duty_hours = float(on_duty[1] - on_duty[0]) / 60
        paid_hours = on_duty_hours / (1 - shrinkage)
        return {
            "answered": float(self.team_answered[team]),
            "agent_hours_busy": busy_hours,
            "occupancy": _ratio(busy_hours, on_duty_hours),
            "utilisation": _ratio(busy_hours, paid_hours),
            "agent_hours_on_duty": on_duty_hours,
            "agent_hours_paid": paid_hours,
            "staff_cost": paid_hours * cost,
        }

    def _journey_outcomes(self, run: RunRecord) -> Outcomes:
        """Escalation outcomes over the journeys that started after the warm-up."""
        sums = self.journeys
        n = sums["journeys"]
        result: Outcomes = {
            ("journeys", "all"): n,
            ("contacts_per_journey", "all"): _ratio(sums["attempts"], n),
            ("resolved_share", "all"): _ratio(sums["resolved"], n),
            ("resolved_quickly_share", "all"): _ratio(sums["resolved_quickly"], n),
            ("escalated_share", "all"): _ratio(sums["escalated"], n),
            ("escalation_steps_mean", "all"): _ratio(sums["escalation_steps"], n),
            ("went_public_share", "all"): _ratio(sums["went_public"], n),
        }
        for ending in JourneyEnd:
            result[("ended", f"end:{ending.label}")] = float(self.ended[ending])
        for name in ("deletions", "reposts", "follow_ups"):
            result[(name, "all")] = sums[name]
        names = run.channel_names
        for (a, b), count in sorted(self.flows.items()):
            result[("escalations", f"flow:{names[a]}→{names[b]}")] = count
        return result

    def _consequences(self, run: RunRecord, staff_cost: float) -> Outcomes:
        """Word of mouth, churn and money, over the journeys that started after the warm-up."""
        scenario = self.scenario
        lost = run.churn
        negative, positive = self.impressions["negative"], self.impressions["positive"]
        result: Outcomes = {
            ("told_negative", "all"): self.mouth["told_negative"] + run.silent_told,
            ("told_positive", "all"): self.mouth["told_positive"],
            ("impressions_negative", "all"): float(negative.sum()),
            ("impressions_positive", "all"): float(positive.sum()),
            ("public_posts", "all"): self.public_posts,
            ("reshares", "all"): self.mouth["reshares"],
            ("largest_cascade", "all"): self.largest_cascade,
            ("pile_ons", "all"): self.mouth["pile_ons"],
        }
        for code, (name, channel) in enumerate(scenario.channels.items()):
            if channel.public:
                result[("impressions_negative", f"channel:{name}")] = float(negative[code])
                result[("impressions_positive", f"channel:{name}")] = float(positive[code])
        segments = list(scenario.segments.values())
        silent = int(lost.silent_left.sum())
        shares = np.array([s.share for s in segments])
        bystander_value = float(self.value @ shares / shares.sum())
        value_lost = (
            self.left_value
            + float(self.value @ lost.silent_left.sum(axis=1))
            + lost.bystanders_left * bystander_value
        )
        result.update(
            {
                ("complainant_churn", "all"): self.left,
                ("complainant_churn_rate", "all"): _ratio(self.left, self.journeys["journeys"]),
                ("silent_churn", "all"): float(silent),
                ("bystander_churn", "all"): float(lost.bystanders_left),
                ("customers_lost", "all"): self.left + silent + lost.bystanders_left,
                ("prospects_lost", "all"): float(lost.prospects_lost),
                ("lifetime_value_lost", "all"): value_lost,
            }
        )
        for ending in JourneyEnd:
            key = ("churned", f"cause:{ending.cause}")
            result[key] = result.get(key, 0.0) + float(self.causes[ending])
        result[("churned", "cause:silent problem")] = float(silent)
        result[("churned", "cause:bystander")] = float(lost.bystanders_left)
        policy = scenario.policy(run.policy)
        resolved = self.journeys["resolved"]
        compensation = resolved * policy.compensation.cost if policy.compensation else 0.0
        revenue = (
            self.journeys["answered"] * policy.cross_sell.revenue if policy.cross_sell else 0.0
        )
        result[("compensation_paid", "all")] = compensation
        result[("cross_sell_revenue", "all")] = revenue
        result[("net_value", "all")] = revenue - staff_cost - compensation - value_lost
        return result


def outcomes(record: RunRecord, scenario: Scenario) -> Outcomes:
    """Return every outcome of one replication's whole record, keyed by (outcome, scope)."""
    tally = Tally(scenario)
    tally.add(record)
    return tally.outcomes(record)


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """Hour-by-hour values over a run: ``values[(series, scope)][k]`` covers hour k.

    Most series are averages over the hour; a ``*_cumulative`` one is a running total at the
    hour's end (see `hourly_series`).
    """

    hour_start_min: np.ndarray
    values: dict[tuple[str, str], np.ndarray]


class SeriesTally:
    """Hour-by-hour series of one replication, added up over records of some of its journeys.

    Like `Tally`: add every journey's record once, then `series` takes the staffing from the
    record of the whole run. See `hourly_series` for what each series is.
    """

    def __init__(self, end_min: float, channels: int, teams: int, attention_min: float) -> None:
        edges = np.arange(0.0, end_min + 60.0, 60.0)
        self.edges = np.unique(np.minimum(edges, end_min))
        self.attention_min = attention_min
        bins = len(self.edges) - 1
        self.queue = np.zeros((channels, bins))
        self.busy = np.zeros((teams, bins))
        self.unanswered_posts = np.zeros(bins)
        self.impressions = {name: np.zeros(bins) for name in ("negative", "positive")}

    def add(self, record: RunRecord) -> None:
        """Add the journeys of a record (each journey's contacts all in this one record)."""
        edges = self.edges
        queue_start, queue_end = _queue_intervals(record)
        for code in range(len(self.queue)):
            chosen = record.channel == code
            self.queue[code] += time_in_bins(queue_start[chosen], queue_end[chosen], edges)
        posts = record.posts
        attention = posts.posted_min + self.attention_min
        shown = np.minimum.reduce([posts.removed_min, posts.good_answer_min, attention])
        self.unanswered_posts += time_in_bins(
            posts.posted_min, np.minimum(shown, record.end_min), edges
        )
        posted = np.asarray(posts.posted_min, dtype=float)
        visible_until = np.maximum(
            np.minimum.reduce([posts.removed_min, attention, np.full(len(posts), record.end_min)]),
            posted,
        )
        answered_from = np.minimum(np.maximum(posts.good_answer_min, posted), visible_until)
        measured = (record.journeys.start_min >= record.warmup_min)[posts.journey]
        for name, start, amount in (
            ("negative", posted, record.spread.negative_impressions),
            ("positive", answered_from, record.spread.positive_impressions),
        ):
            counted = np.where(measured, np.asarray(amount, dtype=float), 0.0)
            self.impressions[name] += amount_in_bins(start, visible_until, counted, edges)
        team_of_contact = record.team
        for code in range(len(self.busy)):
            served = team_of_contact == code
            start = record.service_start_min[served]
            self.busy[code] += time_in_bins(start, start + record.handle_min[served], edges)

    def series(self, run: RunRecord) -> TimeSeries:
        """The series, with the agents on duty from the whole run's ``staffing``."""
        edges = self.edges
        widths = np.diff(edges)
        values: dict[tuple[str, str], np.ndarray] = {}
        for code, name in enumerate(run.channel_names):
            values[("queue", f"channel:{name}")] = self.queue[code] / widths
        values[("unanswered_public_posts", "all")] = self.unanswered_posts / widths
        for name, per_hour in self.impressions.items():
            values[(f"impressions_{name}_cumulative", "all")] = np.cumsum(per_hour)
        for code, name in enumerate(run.team_names):
            log = run.staffing[code]
            on_duty = _step_integral(log.time_min, log.on_duty.astype(float), edges)
            values[("agents_on_duty", f"team:{name}")] = np.diff(on_duty) / widths
            values[("agents_busy", f"team:{name}")] = self.busy[code] / widths
        return TimeSeries(edges[:-1], values)


def hourly_series(record: RunRecord, attention_min: float = math.inf) -> TimeSeries:
    """Return hour-by-hour averages of the queues, agents and public posts, and impressions.

    Series (all from time 0, the warm-up hours included):

    - ``queue`` per channel; ``agents_on_duty`` and ``agents_busy`` per team; and
      ``unanswered_public_posts``, public posts in view without a good answer (a post stops
      drawing views ``attention_min`` after it went up): averages over each hour.
    - ``impressions_negative_cumulative`` and ``impressions_positive_cumulative`` (scope
      "all"): the running total of the posts' impressions (`Spread`) up to the end of each
      hour, never netted. A post is visible over [p, v], p when it went up and v = min(removed,
      p + ``attention_min``, end of run); its positive impressions accrue uniformly over
      [max(good answer, p), v], which is exactly how they are counted. Its negative impressions
      are spread uniformly over the whole [p, v]: an approximation, as the audience's share
      stops at the good answer, the followers and most reshares come in the first hour, pile-ons
      stop at the good answer and a public reply's lift runs from the reply on. A post whose
      window has zero length puts all its negative impressions at p. Nothing is seen after
      the run ends, so the last hour's value is the outcome ``impressions_negative`` /
      ``impressions_positive``: like them, these count only the posts of journeys that started
      after the warm-up. Pass the scenario's ``attention_min`` for the windows to match word
      of mouth's.
    """
    tally = SeriesTally(
        record.end_min, len(record.channel_names), len(record.team_names), attention_min
    )
    tally.add(record)
    return tally.series(record)


@dataclass(frozen=True, slots=True)
class Replicated:
    """What one replication gives: its outcomes, and on request its series and record."""

    outcomes: Outcomes
    series: TimeSeries | None
    record: RunRecord | None


def simulate_replication(
    scenario: Scenario,
    seed: int = 0,
    replication: int = 0,
    policy: str | None = None,
    *,
    series: bool = False,
    keep_record: bool = False,
) -> Replicated:
    """Run one replication: its outcomes, and its hourly series and whole record on request.

    Outcomes and series are added up as the run harvests its journeys, so without the record
    memory does not grow with the run's length (beyond two floats per contact for the medians
    and p90s).
    """
    tally = Tally(scenario)
    hourly = None
    if series:
        hourly = SeriesTally(
            scenario.run.duration_min,
            len(scenario.channels),
            len(scenario.teams),
            scenario.word_of_mouth.attention_min,
        )

    def add(chunk: RunRecord) -> None:
        tally.add(chunk)
        if hourly is not None:
            hourly.add(chunk)

    replica = Replication(scenario, make_streams(seed, replication), policy=policy)
    run = replica.run(add, keep_record)
    return Replicated(
        tally.outcomes(run),
        None if hourly is None else hourly.series(run),
        run if keep_record else None,
    )


def simulate_outcomes(
    scenario: Scenario, seed: int = 0, replication: int = 0, policy: str | None = None
) -> Outcomes:
    """Run one replication and return its outcomes alone (what compare and sweep need)."""
    return simulate_replication(scenario, seed, replication, policy).outcomes
