"""Outcomes of a replication: pure functions from a `RunRecord` to numbers and time series.

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

from simcare.records import RunRecord
from simcare.scenario import Mode, Scenario


class Unit(StrEnum):
    """How an outcome's number is read (and formatted in reports)."""

    MINUTES = "minutes"
    SHARE = "share"
    COUNT = "count"
    HOURS = "hours"
    MONEY = "money"


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """What an outcome means and how to show it."""

    label: str
    unit: Unit


OUTCOMES: dict[str, OutcomeSpec] = {
    "problems": OutcomeSpec("Problems (complained or not)", Unit.COUNT),
    "silent_problems": OutcomeSpec("Silent problems (no complaint)", Unit.COUNT),
    "complaints": OutcomeSpec("Complaints (contacts offered)", Unit.COUNT),
    "answered": OutcomeSpec("Answered", Unit.COUNT),
    "abandoned": OutcomeSpec("Abandoned", Unit.COUNT),
    "open_at_end": OutcomeSpec("Waiting at end of run (backlog)", Unit.COUNT),
    "p_wait": OutcomeSpec("P(wait)", Unit.SHARE),
    "asa_min": OutcomeSpec("ASA (mean wait, answered)", Unit.MINUTES),
    "service_level_offered": OutcomeSpec("Service level (offered)", Unit.SHARE),
    "service_level_answered": OutcomeSpec("Service level (answered)", Unit.SHARE),
    "abandonment_rate": OutcomeSpec("Abandonment rate", Unit.SHARE),
    "first_response_median_min": OutcomeSpec("First response, median", Unit.MINUTES),
    "first_response_p90_min": OutcomeSpec("First response, p90", Unit.MINUTES),
    "resolution_median_min": OutcomeSpec("Resolution time, median", Unit.MINUTES),
    "resolution_p90_min": OutcomeSpec("Resolution time, p90", Unit.MINUTES),
    "backlog_mean": OutcomeSpec("Waiting (queue or backlog), time-average", Unit.COUNT),
    "backlog_oldest_age_min": OutcomeSpec("Oldest still waiting at end of run", Unit.MINUTES),
    "occupancy": OutcomeSpec("Occupancy", Unit.SHARE),
    "utilisation": OutcomeSpec("Utilisation (of paid time)", Unit.SHARE),
    "agent_hours_on_duty": OutcomeSpec("Agent hours on duty", Unit.HOURS),
    "agent_hours_busy": OutcomeSpec("Agent hours handling contacts", Unit.HOURS),
    "agent_hours_paid": OutcomeSpec("Agent hours paid", Unit.HOURS),
    "staff_cost": OutcomeSpec("Staff cost", Unit.MONEY),
}
"""Every outcome simcare reports, by key. Scopes: "all", "channel:NAME", "team:NAME"."""

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


def _contact_outcomes(
    record: RunRecord, chosen: np.ndarray, live_channel: np.ndarray, target: float
) -> dict[str, float]:
    """Service outcomes over the contacts selected by ``chosen``.

    ``live_channel[code]`` says whether channel ``code`` is live (first response = answer) or
    async (first response = reply sent).
    """
    measured = chosen & (record.arrival_min >= record.warmup_min)
    live = live_channel[record.channel[measured]]
    answered = record.answered[measured]
    abandoned = record.abandoned[measured]
    wait = record.wait_min[measured]
    offered = int(measured.sum())
    n_answered = int(answered.sum())
    n_abandoned = int(abandoned.sum())
    open_at_end = offered - n_answered - n_abandoned
    arrival = record.arrival_min[measured]
    end = record.service_end_min[measured]
    finished = answered & (end <= record.end_min)
    waited = wait > 0
    known_against_target = ~(~answered & ~abandoned & (wait < target))
    within_target = answered & (wait <= target)
    responded = np.where(live, answered, finished)
    first_response = np.where(live, wait, end - arrival)[responded]
    queue_start, queue_end = _queue_intervals(record)
    span = np.array([record.warmup_min, record.end_min])
    queue_time = float(time_in_bins(queue_start[chosen], queue_end[chosen], span)[0])
    still_waiting = ~answered & ~abandoned
    ages = (record.end_min - arrival)[still_waiting]
    values = {
        "complaints": float(offered),
        "answered": float(n_answered),
        "abandoned": float(n_abandoned),
        "open_at_end": float(open_at_end),
        "p_wait": _ratio(float(waited.sum()), offered),
        "asa_min": float(wait[answered].mean()) if n_answered else math.nan,
        "service_level_offered": _ratio(
            float(within_target.sum()), float(known_against_target.sum())
        ),
        "service_level_answered": _ratio(float(within_target.sum()), n_answered),
        # Abandonment is a live-channel measure; an async channel's give-ups show as backlog.
        "abandonment_rate": _ratio(
            float((abandoned & live).sum()), float(((answered | abandoned) & live).sum())
        ),
        "first_response_median_min": _quantile(first_response, 0.5),
        "first_response_p90_min": _quantile(first_response, 0.9),
        "resolution_median_min": _quantile((end - arrival)[finished], 0.5),
        "resolution_p90_min": _quantile((end - arrival)[finished], 0.9),
        "backlog_mean": queue_time / (record.end_min - record.warmup_min),
        "backlog_oldest_age_min": float(ages.max()) if len(ages) else 0.0,
    }
    return values


def _team_outcomes(record: RunRecord, team: int, shrinkage: float, cost: float) -> dict[str, float]:
    window = np.array([record.warmup_min, record.end_min])
    log = record.staffing[team]
    on_duty = _step_integral(log.time_min, log.on_duty.astype(float), window)
    served = record.team == team
    start = record.service_start_min[served]
    busy_hours = float(time_in_bins(start, start + record.handle_min[served], window)[0]) / 60
    on_duty_hours = float(on_duty[1] - on_duty[0]) / 60
    paid_hours = on_duty_hours / (1 - shrinkage)
    return {
        "answered": float((served & (record.arrival_min >= record.warmup_min)).sum()),
        "agent_hours_busy": busy_hours,
        "occupancy": _ratio(busy_hours, on_duty_hours),
        "utilisation": _ratio(busy_hours, paid_hours),
        "agent_hours_on_duty": on_duty_hours,
        "agent_hours_paid": paid_hours,
        "staff_cost": paid_hours * cost,
    }


def outcomes(record: RunRecord, scenario: Scenario) -> Outcomes:
    """Return every outcome of one replication, keyed by (outcome, scope)."""
    target = scenario.run.service_level_target_min
    result: Outcomes = {
        ("problems", "all"): float(record.problems),
        ("silent_problems", "all"): float(record.silent.sum()),
    }
    live_channel = np.array([c.mode is Mode.LIVE for c in scenario.channels.values()])
    everything = np.ones(len(record), dtype=bool)
    for name, value in _contact_outcomes(record, everything, live_channel, target).items():
        result[(name, "all")] = value
    for code, channel in enumerate(scenario.channels.values()):
        chosen = record.channel == code
        for name, value in _contact_outcomes(record, chosen, live_channel, target).items():
            result[(name, f"channel:{channel.name}")] = value
    teams = [
        _team_outcomes(record, code, team.shrinkage, team.cost_per_hour)
        for code, team in enumerate(scenario.teams.values())
    ]
    for team, values in zip(scenario.teams, teams, strict=True):
        for name, value in values.items():
            result[(name, f"team:{team}")] = value
    total = {
        key: sum(values[key] for values in teams)
        for key in ("agent_hours_busy", "agent_hours_on_duty", "agent_hours_paid", "staff_cost")
    }
    result[("occupancy", "all")] = _ratio(total["agent_hours_busy"], total["agent_hours_on_duty"])
    result[("utilisation", "all")] = _ratio(total["agent_hours_busy"], total["agent_hours_paid"])
    result[("agent_hours_paid", "all")] = total["agent_hours_paid"]
    result[("staff_cost", "all")] = total["staff_cost"]
    return result


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """Hourly averages over a run: ``values[(series, scope)][k]`` covers hour k."""

    hour_start_min: np.ndarray
    values: dict[tuple[str, str], np.ndarray]


def hourly_series(record: RunRecord) -> TimeSeries:
    """Return hour-by-hour averages: queue per channel, agents on duty and busy per team."""
    edges = np.arange(0.0, record.end_min + 60.0, 60.0)
    edges = np.unique(np.minimum(edges, record.end_min))
    widths = np.diff(edges)
    values: dict[tuple[str, str], np.ndarray] = {}
    queue_start, queue_end = _queue_intervals(record)
    for code, name in enumerate(record.channel_names):
        chosen = record.channel == code
        queued = time_in_bins(queue_start[chosen], queue_end[chosen], edges)
        values[("queue", f"channel:{name}")] = queued / widths
    team_of_contact = record.team
    for code, name in enumerate(record.team_names):
        log = record.staffing[code]
        on_duty = _step_integral(log.time_min, log.on_duty.astype(float), edges)
        values[("agents_on_duty", f"team:{name}")] = np.diff(on_duty) / widths
        served = team_of_contact == code
        start = record.service_start_min[served]
        busy = time_in_bins(start, start + record.handle_min[served], edges)
        values[("agents_busy", f"team:{name}")] = busy / widths
    return TimeSeries(edges[:-1], values)
