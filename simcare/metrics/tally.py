"""The outcomes of a replication, added up over the records of its journeys (`Tally`)."""

from __future__ import annotations

import math

import numpy as np

from simcare.core.units import MINUTES_PER_DAY
from simcare.metrics.binning import Quantiles, queue_intervals, step_integral, time_in_bins
from simcare.metrics.catalogue import Outcomes
from simcare.model.journeys import ContactKind, Result
from simcare.model.loyalty import lifetime_value
from simcare.model.records import RESOLVED_ENDS, Cause, JourneyEnd, RunRecord
from simcare.scenario import Mode, Scenario
from simcare.scenario.policy import Policy


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


_CONTACT_SUMS = (
    "offered",
    "answered",
    "abandoned",
    "waited",
    "wait_answered",
    "wait_all",
    "within_target",
    "known_against_target",
    "abandoned_live",
    "settled_live",
    "queue_time",
)
"""Running sums per channel of the contacts' service outcomes (see `Tally.add`)."""

_MONTH_MIN = 30 * MINUTES_PER_DAY
_PER_CUSTOMERS = 1000.0
"""Public complaints are reported per this many customers."""


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
        self.started_by_day = np.zeros(math.ceil(scenario.run.duration_min / MINUTES_PER_DAY))
        # Journeys that were public (began or went public), by 30-day month, if customers learn.
        self.public_by_month = np.zeros(math.ceil(scenario.run.duration_min / _MONTH_MIN))
        self.public = np.array([c.public for c in scenario.channels.values()])
        # Pile-on comments under posts on each channel (moderators' work where the brand owns it).
        self.pile_ons = np.zeros(channels)
        self.flows: dict[tuple[int, int], float] = {}
        self.mouth = dict.fromkeys(("told_negative", "told_positive", "reshares", "pile_ons"), 0.0)
        self.public_posts = 0.0
        self.impressions = {name: np.zeros(channels) for name in ("negative", "positive")}
        self.largest_cascade = 0.0
        self.left = 0.0
        self.left_value = 0.0
        self.causes = np.zeros(len(Cause))
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
        # Contacts arriving in the measured window, followed through the drain to their end.
        measured = counted & (record.arrival_min >= record.warmup_min)
        measured &= record.arrival_min < record.end_min
        channel = record.channel[measured]
        live = self.live[channel]
        answered = record.answered[measured]
        abandoned = record.abandoned[measured]
        wait = record.wait_min[measured]
        target = self.scenario.run.service_level_target_min
        arrival = record.arrival_min[measured]
        still_waiting = ~answered & ~abandoned
        parts = {
            "offered": np.ones(len(channel)),
            "answered": answered,
            "abandoned": abandoned,
            "waited": wait > 0,
            "wait_answered": np.where(answered, wait, 0.0),
            "wait_all": wait,
            "within_target": answered & (wait <= target),
            "known_against_target": ~(still_waiting & (wait < target)),
            # Abandonment is a live-channel measure; an async channel's give-ups show as backlog.
            "abandoned_live": abandoned & live,
            "settled_live": (answered | abandoned) & live,
        }
        for name, values in parts.items():
            self.sums[name] += np.bincount(channel, weights=values, minlength=channels)
        queue_start, queue_end = queue_intervals(record)
        span = np.array([record.warmup_min, record.end_min])
        ages = record.stop_min - arrival
        for code in range(channels):
            chosen = counted & (record.channel == code)
            self.sums["queue_time"][code] += time_in_bins(
                queue_start[chosen], queue_end[chosen], span
            )[0]
            waiting = ages[still_waiting & (channel == code)]
            if len(waiting):
                self.oldest[code] = max(self.oldest[code], float(waiting.max()))
        self._add_journey_times(record)

    def _add_journey_times(self, record: RunRecord) -> None:
        """First response and resolution of the measured journeys, by their first channel.

        First response is the first human answer in the journey (a live contact answered, an
        async reply sent; a deletion is none); resolution is the fix. Both run from the first
        complaint. A journey without one by the end of the run (``end_min``: when problems stop,
        not the drain after it) counts at its time so far then (censored), so neither can fall
        when the same journeys wait longer, nor when slow ones drop out unanswered or unfixed,
        and neither depends on how long the drain is.
        """
        journeys = record.journeys
        measured = journeys.start_min >= record.warmup_min
        first_channel = journeys.channel.astype(np.intp)[measured]
        # NaN (never answered) compares False, so it is censored too.
        answered_min = np.where(
            journeys.first_response_min <= record.end_min,
            journeys.first_response_min,
            record.end_min,
        )
        self.first_response.add(first_channel, (answered_min - journeys.start_min)[measured])
        fixed = np.isin(journeys.end, RESOLVED_ENDS) & (journeys.end_min <= record.end_min)
        fixed_min = np.where(fixed, journeys.end_min, record.end_min)
        self.resolution.add(first_channel, (fixed_min - journeys.start_min)[measured])

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
        day = (journeys.start_min[measured] // MINUTES_PER_DAY).astype(np.int64)
        days = len(self.started_by_day)
        self.started_by_day += np.bincount(np.minimum(day, days - 1), minlength=days)[:days]
        public = (self.public[journeys.channel] | journeys.went_public)[measured]
        month = (journeys.start_min[measured][public] // _MONTH_MIN).astype(np.int64)
        months = len(self.public_by_month)
        self.public_by_month += np.bincount(np.minimum(month, months - 1), minlength=months)
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
        self.pile_ons += np.bincount(
            channel, weights=spread.pile_ons[measured_posts], minlength=len(self.pile_ons)
        )
        for name, values in (("negative", negative), ("positive", positive)):
            self.impressions[name] += np.bincount(channel, weights=values, minlength=len(self.live))
        if len(negative):
            self.largest_cascade = max(self.largest_cascade, float((negative + positive).max()))
        left = record.churn.left & measured
        self.left += float(left.sum())
        self.left_value += float(self.value[record.journey_segment[left]].sum())
        self.causes += np.bincount(journeys.cause[left], minlength=len(Cause))

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
        result = {
            "complaints": offered,
            "answered": answered,
            "abandoned": sums["abandoned"],
            "open_at_end": offered - answered - sums["abandoned"],
            "p_wait": _ratio(sums["waited"], offered),
            "asa_min": _ratio(sums["wait_answered"], answered),
            "wait_mean_min": _ratio(sums["wait_all"], offered),
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
        if chosen.sum() > 1:
            # Figures over the answered alone are per channel: pooled, a slow channel that
            # stops answering under load would drop out of them and make them look better.
            del result["asa_min"], result["service_level_answered"]
        return result

    def _team_outcomes(
        self, run: RunRecord, team: int, shrinkage: float, cost: float
    ) -> dict[str, float]:
        window = np.array([run.warmup_min, run.end_min])
        log = run.staffing[team]
        on_duty = step_integral(log.time_min, log.on_duty.astype(float), window)
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
        # Days wholly in the warm-up start no measured journey: they are left out.
        first_day = int(self.scenario.run.warmup_min // MINUTES_PER_DAY)
        for day in range(first_day, len(self.started_by_day)):
            result[("journeys_by_day", f"day:{day + 1}")] = float(self.started_by_day[day])
        for name in ("deletions", "reposts", "follow_ups"):
            result[(name, "all")] = sums[name]
        if self.scenario.learning.enabled:
            result.update(self._public_per_customer())
        names = run.channel_names
        for (a, b), count in sorted(self.flows.items()):
            result[("escalations", f"flow:{names[a]}→{names[b]}")] = count
        return result

    def _public_per_customer(self) -> Outcomes:
        """Public complaints per 1,000 customers of the base, in all and by month.

        Measured months only; the base is the one the run began with, so a falling rate
        can come from customers learning to stay silent or from customers who left.
        """
        per = _PER_CUSTOMERS / sum(self.scenario.customer_base().values())
        first = int(self.scenario.run.warmup_min // _MONTH_MIN)
        counts = self.public_by_month
        result: Outcomes = {("public_complaints_per_customer", "all"): float(counts.sum()) * per}
        for month in range(first, len(counts)):
            result[("public_complaints_per_customer", f"month:{month + 1}")] = (
                float(counts[month]) * per
            )
        return result

    def _consequences(self, run: RunRecord, staff_cost: float) -> Outcomes:
        """Word of mouth, churn and money, over the journeys that started after the warm-up."""
        scenario = self.scenario
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
        came_forward = np.asarray(run.came_forward)
        result[("contagion_journeys", "all")] = float(came_forward.sum())
        result[("contagion_share", "all")] = _ratio(
            float(came_forward.sum()), self.journeys["journeys"]
        )
        result[("largest_wave", "all")] = float(came_forward.max()) if len(came_forward) else 0.0
        churned, value_lost, prospects_value = self._churn(run)
        result.update(churned)
        policy = scenario.policy(run.policy)
        resolved = self.journeys["resolved"]
        compensation = resolved * policy.compensation.cost if policy.compensation else 0.0
        revenue = (
            self.journeys["answered"] * policy.cross_sell.revenue if policy.cross_sell else 0.0
        )
        result[("compensation_paid", "all")] = compensation
        result[("cross_sell_revenue", "all")] = revenue
        moderation = self._moderation(policy)
        result.update(moderation)
        staff_cost += moderation.get(("moderation_cost", "all"), 0.0)
        result[("total_cost", "all")] = staff_cost + compensation
        result[("net_value", "all")] = (
            revenue + prospects_value - staff_cost - compensation - value_lost
        )
        return result

    def _moderation(self, policy: Policy) -> Outcomes:
        """Moderators' hours and cost for the pile-on comments on brand-owned channels.

        Reported only when ``word_of_mouth.moderation`` is set; a channel no team serves, or
        one the policy ignores, is not moderated (its comments cost nothing and stay up).
        """
        minutes = self.scenario.word_of_mouth.moderation_min
        if minutes <= 0:
            return {}
        rate: dict[str, float] = {}
        for team in self.scenario.teams.values():
            for name in team.channels:
                rate.setdefault(name, team.cost_per_hour)
        hours = cost = 0.0
        for code, (name, channel) in enumerate(self.scenario.channels.items()):
            watched = policy.action_for(channel) != "ignore"
            if channel.brand_owned and channel.public and name in rate and watched:
                spent = float(self.pile_ons[code]) * minutes / 60.0
                hours += spent
                cost += spent * rate[name]
        return {("moderation_hours", "all"): hours, ("moderation_cost", "all"): cost}

    def _churn(self, run: RunRecord) -> tuple[Outcomes, float, float]:
        """Customers lost and prospects, by cause; the value lost, and the prospects' value."""
        scenario = self.scenario
        lost = run.churn
        result: Outcomes = {}
        base = np.array(list(scenario.customer_base().values()))
        silent = int(lost.silent_left.sum())
        # A bystander or a prospect is a customer like any other: the mean over the base.
        mean_value = float(np.average(self.value, weights=base)) if base.sum() > 0 else 0.0
        value_lost = (
            self.left_value
            + float(self.value @ lost.silent_left.sum(axis=1))
            + lost.bystanders_left * mean_value
        )
        prospects_value = (lost.prospects_won - lost.prospects_lost) * mean_value
        counted = self.left + silent + lost.bystanders_left
        # More problems than customers means some customers had several: nobody is lost twice,
        # so every count of people lost (and their value) shrinks to fit the base.
        once = min(1.0, float(base.sum()) / counted) if counted > 0 else 1.0
        value_lost *= once
        customers_lost = counted * once
        result.update(
            {
                ("customer_base", "all"): float(base.sum()),
                ("complainant_churn", "all"): self.left * once,
                ("complainant_churn_rate", "all"): _ratio(self.left, self.journeys["journeys"]),
                ("silent_churn", "all"): silent * once,
                ("bystanders_reached", "all"): float(lost.bystanders_reached),
                ("bystander_churn", "all"): lost.bystanders_left * once,
                ("customers_lost", "all"): customers_lost,
                ("customers_lost_share", "all"): _ratio(customers_lost, float(base.sum())),
                ("prospects_lost", "all"): float(lost.prospects_lost),
                ("prospects_won", "all"): float(lost.prospects_won),
                ("prospects_value", "all"): prospects_value,
                ("lifetime_value_lost", "all"): value_lost,
            }
        )
        for cause in Cause:
            result[("churned", f"cause:{cause.label}")] = float(self.causes[cause]) * once
        result[("churned", "cause:silent problem")] = silent * once
        result[("churned", "cause:bystander")] = lost.bystanders_left * once
        return result, value_lost, prospects_value


def outcomes(record: RunRecord, scenario: Scenario) -> Outcomes:
    """Return every outcome of one replication's whole record, keyed by (outcome, scope)."""
    tally = Tally(scenario)
    tally.add(record)
    return tally.outcomes(record)
