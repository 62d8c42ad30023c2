"""The scenario: frozen, validated values that describe one brand's customer-service world.

Units: every time is in **minutes** (fields end in ``_min``), every rate is **per minute**
(fields end in ``_per_min``), money is in the scenario's currency. Files write durations and
rates with units; `simcare.scenario_file` converts them. Build variants with
`dataclasses.replace`; a scenario is never changed in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

import numpy as np

from simcare.checks import Problem, ScenarioError, every_problem
from simcare.checks import check_non_negative as _check_non_negative
from simcare.checks import check_positive as _check_positive
from simcare.checks import check_share as _check_share
from simcare.checks import fail as _fail
from simcare.policies import BUILTIN_POLICIES, Failure, Policy
from simcare.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

__all__ = ["Problem", "ScenarioError"]  # re-exported: they belong to the scenario's interface

ArrayOrFloat = TypeVar("ArrayOrFloat", float, np.ndarray)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_ATTEMPTS = 20
"""Contacts one complaint journey may have at most (`Behaviour.max_attempts`)."""
# Bounds beyond any real case, below where the simulation's numbers overflow or its work runs
# away (found by tests/test_hostile_input.py): they turn a typo into a message.
MAX_AUDIENCE_PER_MIN = 1e6
"""A channel's own audience: viewers per minute of a visible post."""
MAX_PILE_ON_PER_MIN = 1.0
"""Pile-on comments per minute under one post (they are counted one by one)."""
MAX_LIFT = 100.0
"""The largest reply lift and repost amplification (they multiply a post's audience)."""
MIN_TOLD_SHAPE = 0.001
"""The smallest negative-binomial shape of the number told (smaller ones overflow)."""


class DistributionKind(StrEnum):
    """Shapes a duration distribution can take."""

    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    CONSTANT = "constant"


@dataclass(frozen=True, slots=True)
class Distribution:
    """A positive random duration, described by its mean and coefficient of variation.

    Exponential has cv 1 by definition; constant has cv 0; lognormal takes any cv > 0.
    """

    kind: DistributionKind
    mean_min: float
    cv: float = 1.0

    @every_problem
    def __post_init__(self) -> None:
        _check_positive("mean", self.mean_min)
        if self.kind is DistributionKind.LOGNORMAL:
            _check_positive("cv", self.cv)
        elif self.kind is DistributionKind.EXPONENTIAL and self.cv != 1.0:
            raise _fail("cv", "an exponential distribution has cv 1; use lognormal for another cv")
        elif self.kind is DistributionKind.CONSTANT and self.cv not in (0.0, 1.0):
            raise _fail("cv", "a constant distribution has cv 0")

    def lognormal_mu_sigma(self) -> tuple[float, float]:
        """Return (mu, sigma) of the underlying normal for this mean and cv."""
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean_min) - sigma2 / 2, math.sqrt(sigma2)


class Mode(StrEnum):
    """Whether the customer waits on the line (live) or leaves a message (async)."""

    LIVE = "live"
    ASYNC = "async"


class Visibility(StrEnum):
    """Who can see a complaint on this channel."""

    PRIVATE = "private"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to complain: phone, email, the brand's page, an open network, ...

    Attributes:
        share: weight of this channel as the *first* channel of a complaint.
        patience: how long a customer waits for an answer; None means they never give up.
        escalate_to: the louder channel an unhappy customer moves to next (the ladder).
        audience_per_min: people of the channel's own audience (page fans, site visitors)
            who see a visible public post, per minute it stays up.
    """

    name: str
    mode: Mode = Mode.LIVE
    visibility: Visibility = Visibility.PRIVATE
    brand_owned: bool = True
    share: float = 1.0
    patience: Distribution | None = None
    escalate_to: str | None = None
    audience_per_min: float = 0.0

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("share", self.share)
        _check_non_negative("audience", self.audience_per_min)
        if self.audience_per_min > MAX_AUDIENCE_PER_MIN:
            raise _fail(
                "audience",
                f"expected at most {MAX_AUDIENCE_PER_MIN:.0f}/min, found {self.audience_per_min!r}",
            )
        if self.escalate_to == self.name:
            raise _fail("escalate_to", "a channel cannot escalate to itself")

    @property
    def public(self) -> bool:
        """Whether others can see a complaint posted here."""
        return self.visibility is Visibility.PUBLIC


class Loss(StrEnum):
    """How much a problem costs the customer, which sets how likely they are to buy again."""

    SMALL = "small"
    LARGE = "large"


@dataclass(frozen=True, slots=True)
class Severity:
    """A kind of problem, with the share of problems that are of this kind.

    Attributes:
        complaint_share: probability that a problem of this severity becomes a complaint;
            the rest stay silent (the iceberg).
        loss: "small" or "large": which row of the repurchase table applies (TARP: under $5,
            over $100).
        anger: how angry a customer is when they first complain.
    """

    name: str
    share: float = 1.0
    complaint_share: float = 1.0
    loss: Loss = field(default_factory=lambda: Loss.SMALL)
    anger: float = 1.0

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("share", self.share)
        _check_share("complaint_share", self.complaint_share)
        _check_non_negative("anger", self.anger)


@dataclass(frozen=True, slots=True)
class Segment:
    """A group of customers with their own value, loyalty, audience and patience.

    Attributes:
        annual_value: what one customer of this segment spends a year, in the scenario currency.
        loyalty: baseline probability of staying a year with no problem.
        followers_median, followers_sigma: lognormal follower count (heavy-tailed).
        patience_multiplier: scales every channel's patience for this segment.
    """

    name: str
    share: float = 1.0
    annual_value: float = 100.0
    loyalty: float = 0.8
    followers_median: float = 20.0
    followers_sigma: float = 1.5
    patience_multiplier: float = 1.0

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("share", self.share)
        _check_non_negative("annual_value", self.annual_value)
        _check_share("loyalty", self.loyalty)
        _check_non_negative("followers_median", self.followers_median)
        _check_non_negative("followers_sigma", self.followers_sigma)
        # Beyond these, follower counts overflow; the largest real accounts have ~1e8.
        if self.followers_median > 1e9:
            raise _fail(
                "followers.median", f"expected at most 1e9, found {self.followers_median!r}"
            )
        if self.followers_sigma > 5:
            raise _fail("followers.sigma", f"expected at most 5, found {self.followers_sigma!r}")
        _check_positive("patience_multiplier", self.patience_multiplier)


@dataclass(frozen=True, slots=True)
class Shift:
    """Agents on duty on some weekdays between two times of day (may cross midnight).

    Attributes:
        days: weekday numbers, 0 = Monday.
        start_min, end_min: minutes after midnight; end <= start means the shift ends next day.
    """

    days: tuple[int, ...]
    start_min: float
    end_min: float
    agents: int

    @every_problem
    def __post_init__(self) -> None:
        if not self.days or any(not 0 <= day <= 6 for day in self.days):
            raise _fail("days", f"expected weekdays among {', '.join(WEEKDAYS)}")
        for key, value in (("start", self.start_min), ("end", self.end_min)):
            if not 0 <= value < MINUTES_PER_DAY:
                raise _fail(key, f"expected a time of day from 00:00 to 23:59, found {value!r}")
        if self.agents < 0:
            raise _fail("agents", f"expected a whole number >= 0, found {self.agents!r}")


@dataclass(frozen=True, slots=True)
class Team:
    """Agents who serve a list of channels, in priority order, on a schedule.

    Attributes:
        channels: channel names, highest priority first.
        handle_time: handling-time distribution for each channel the team serves.
        shifts: the schedule; headcount at any moment is the sum of the shifts covering it.
        cost_per_hour: cost of one paid agent hour.
        shrinkage: share of paid time agents are not available (breaks, training).
    """

    name: str
    channels: tuple[str, ...]
    handle_time: dict[str, Distribution]
    shifts: tuple[Shift, ...]
    cost_per_hour: float = 40.0
    shrinkage: float = 0.0

    @every_problem
    def __post_init__(self) -> None:
        if not self.channels:
            raise _fail("channels", "expected at least one channel name")
        if len(set(self.channels)) != len(self.channels):
            raise _fail("channels", f"a channel is listed twice: {list(self.channels)}")
        for channel in self.channels:
            if channel not in self.handle_time:
                raise _fail("handle_time", f"missing a handling time for channel {channel!r}")
        for channel in self.handle_time:
            if channel not in self.channels:
                raise _fail(
                    f"handle_time.{channel}", f"the team does not serve channel {channel!r}"
                )
        _check_non_negative("cost_per_hour", self.cost_per_hour)
        if not 0.0 <= self.shrinkage < 1.0:
            raise _fail(
                "shrinkage", f"expected a share from 0 to below 1, found {self.shrinkage!r}"
            )

    def weekly_headcount(self) -> list[tuple[float, int]]:
        """Return the headcount as (minute of the week, agents from then on), sorted, from 0."""
        deltas: dict[float, int] = {0.0: 0}
        for shift in self.shifts:
            length = (shift.end_min - shift.start_min) % MINUTES_PER_DAY or MINUTES_PER_DAY
            for day in shift.days:
                start = day * MINUTES_PER_DAY + shift.start_min
                end = start + length
                for begin, finish in _wrap_week(start, end):
                    deltas[begin] = deltas.get(begin, 0) + shift.agents
                    deltas[finish] = deltas.get(finish, 0) - shift.agents
        steps: list[tuple[float, int]] = []
        headcount = 0
        for minute in sorted(deltas):
            if minute >= MINUTES_PER_WEEK:
                break
            headcount += deltas[minute]
            if not steps or steps[-1][1] != headcount:
                steps.append((minute, headcount))
        return steps

    @property
    def max_headcount(self) -> int:
        """The most agents this team ever has on duty at once."""
        return max(count for _, count in self.weekly_headcount())


def _wrap_week(start: float, end: float) -> list[tuple[float, float]]:
    """Split [start, end) at the end of the week so a Sunday-night shift continues on Monday."""
    if end <= MINUTES_PER_WEEK:
        return [(start, end)]
    return [(start, MINUTES_PER_WEEK), (0.0, end - MINUTES_PER_WEEK)]


@dataclass(frozen=True, slots=True)
class Incident:
    """A burst of extra problems over a window: a recall, a botched launch, a holiday rush.

    Attributes:
        severity: the severity of the extra problems; None draws from the usual mix.
    """

    name: str
    start_min: float
    duration_min: float
    extra_problems_per_min: float
    severity: str | None = None

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("start", self.start_min)
        _check_positive("duration", self.duration_min)
        _check_non_negative("extra_rate", self.extra_problems_per_min)


def _flat(n: int) -> tuple[float, ...]:
    return (1.0,) * n


@dataclass(frozen=True, slots=True)
class Problems:
    """How problems arise: a base rate shaped by hour of day and day of week.

    The profiles are relative weights; they are normalised to mean 1, so the base rate stays
    the average rate over a week.
    """

    problems_per_min: float
    hourly_profile: tuple[float, ...] = field(default_factory=lambda: _flat(24))
    weekday_profile: tuple[float, ...] = field(default_factory=lambda: _flat(7))

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("rate", self.problems_per_min)
        for key, profile, size in (
            ("hourly_profile", self.hourly_profile, 24),
            ("weekday_profile", self.weekday_profile, 7),
        ):
            if len(profile) != size:
                raise _fail(key, f"expected {size} weights, found {len(profile)}")
            total = sum(profile)
            if any(not (w >= 0 and math.isfinite(w)) for w in profile) or total <= 0:
                raise _fail(key, "expected finite weights >= 0, not all zero")
            if not math.isfinite(total):
                raise _fail(key, "expected weights whose sum is finite")

    def rate_at_hour(self, weekday: int, hour: int) -> float:
        """Return the base rate (per minute) during one hour of the week."""
        hourly = self.hourly_profile[hour] * 24 / sum(self.hourly_profile)
        daily = self.weekday_profile[weekday] * 7 / sum(self.weekday_profile)
        return self.problems_per_min * hourly * daily


@dataclass(frozen=True, slots=True)
class RunSettings:
    """How long to simulate and what to measure.

    Attributes:
        duration_min: problems arise from time 0 to this time; the run stops here.
        warmup_min: contacts arriving before this are simulated but not measured.
        service_level_target_min: the "Y" in "X% answered within Y".
        start_weekday: weekday of time 0 (0 = Monday); time 0 is midnight.
        policy: the response policy used unless another is asked for.
    """

    duration_min: float = MINUTES_PER_DAY
    warmup_min: float = 0.0
    service_level_target_min: float = 20 / 60
    start_weekday: int = 0
    policy: str = "reply_private"

    @every_problem
    def __post_init__(self) -> None:
        _check_positive("duration", self.duration_min)
        _check_non_negative("warmup", self.warmup_min)
        _check_positive("service_level_target", self.service_level_target_min)
        if self.warmup_min >= self.duration_min:
            raise _fail("warmup", "the warm-up must end before the run does")


def _default_anger_steps() -> dict[Failure, float]:
    return {
        Failure.WAITED: 0.5,
        Failure.IGNORED: 1.0,
        Failure.UNRESOLVED: 1.0,
        Failure.DELETED: 2.0,
        Failure.INTRUDED: 1.0,
    }


def _exponential_hours(hours: float) -> Distribution:
    return Distribution(DistributionKind.EXPONENTIAL, hours * 60.0)


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How complainants act when a response fails them: the journey.

    After a failure the customer's anger rises by ``anger_steps[failure]``; they act again
    with probability ``1 - exp(-persistence * anger)``, and then escalate to the channel's
    ``escalate_to`` with probability ``escalate_share`` (else retry the same channel), after a
    ``retry_delay``. A deleted post is reposted, with a screenshot, on a public channel the
    brand does not own with probability ``repost_share``; otherwise its author goes quiet.

    Attributes:
        max_attempts: contacts per journey at most (the first one included).
        resolve_share: probability that an answer fixes the problem.
        quick_min: resolved within this time of the first complaint counts as "quickly".
        repost_amplification: multiplies the reach of a screenshot repost (Streisand).
        update_share: probability that a customer fixed in private updates their public post.
        intrusion_share: probability that a customer approached in store feels watched.
    """

    max_attempts: int = 4
    persistence: float = 0.5
    escalate_share: float = 0.6
    retry_delay: Distribution = field(default_factory=lambda: _exponential_hours(2.0))
    resolve_share: float = 0.85
    quick_min: float = 60.0
    anger_steps: dict[Failure, float] = field(default_factory=_default_anger_steps)
    repost_share: float = 0.36
    repost_amplification: float = 3.0
    update_share: float = 0.3
    intrusion_share: float = 0.2

    @every_problem
    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise _fail(
                "max_attempts", f"expected 1 to {MAX_ATTEMPTS}, found {self.max_attempts!r}"
            )
        _check_non_negative("persistence", self.persistence)
        for key in ("escalate_share", "resolve_share", "repost_share"):
            _check_share(key, getattr(self, key))
        _check_share("update_share", self.update_share)
        _check_share("intrusion_share", self.intrusion_share)
        _check_positive("quick", self.quick_min)
        _check_non_negative("repost_amplification", self.repost_amplification)
        if self.repost_amplification > MAX_LIFT:
            raise _fail(
                "repost_amplification",
                f"expected at most {MAX_LIFT:g}, found {self.repost_amplification!r}",
            )
        # Steps not given keep their defaults, so a partial table means what it says.
        object.__setattr__(self, "anger_steps", {**_default_anger_steps(), **self.anger_steps})
        for failure, step in self.anger_steps.items():
            _check_non_negative(f"anger.{failure}", step)

    def act_probability(self, anger: ArrayOrFloat) -> ArrayOrFloat:
        """Probability that a customer this angry tries again after a failure (works on arrays)."""
        return -np.expm1(-self.persistence * anger)


@dataclass(frozen=True, slots=True)
class WordOfMouth:
    """How a complaint spreads: people told in private, and impressions of public posts.

    Ranges ``(low, high)``: each customer's mean is drawn uniformly in the range.

    Attributes:
        told_negative, told_positive: people an unhappy / a satisfied customer tells.
        told_shape: negative-binomial shape of the number told (6 gives the "13% tell more
            than 20" tail at a mean of 13).
        follower_reach: share of the author's followers who see a public post.
        attention_min: a public post gathers views for this long after it is posted.
        reshare_share: probability that a post is reshared at all (most are not).
        reshare_audience: mean extra viewers a reshare brings (lognormal, heavy-tailed).
        reshare_sigma: log-scale spread of a reshare's audience.
        reshare_branching: mean further reshares of each reshare (< 1: cascades die out).
        negative_reshare_factor: complaints are reshared this many times as often.
        reply_lift: a public reply multiplies the post's later audience; the extra viewers see
            the complaint (negative), the cost of answering in public.
        pile_on_per_min: comments other customers add to a visible post left unanswered.
        pile_on_audience: viewers each pile-on comment brings.
        customer_share: share of impressions that reach the brand's own customers.
        bystander_churn: probability that a customer who sees a negative impression leaves.
        prospect_share: share of impressions that reach prospective customers.
        prospect_deterred: probability that a prospect who sees a negative impression is lost.
    """

    told_negative: tuple[float, float] = (10.0, 16.0)
    told_positive: tuple[float, float] = (5.0, 9.0)
    told_shape: float = 6.0
    follower_reach: float = 0.3
    attention_min: float = 48 * 60.0
    reshare_share: float = 0.06
    reshare_audience: float = 1000.0
    reshare_sigma: float = 2.0
    reshare_branching: float = 0.3
    negative_reshare_factor: float = 1.4
    reply_lift: float = 1.5
    pile_on_per_min: float = 0.0
    pile_on_audience: float = 19.0
    customer_share: float = 0.2
    bystander_churn: float = 0.002
    prospect_share: float = 0.3
    prospect_deterred: float = 0.005

    @every_problem
    def __post_init__(self) -> None:
        for key in ("told_negative", "told_positive"):
            low, high = getattr(self, key)
            if not (0 <= low <= high and math.isfinite(high)):
                raise _fail(key, f"expected 0 <= low <= high, found {[low, high]!r}")
        _check_positive("told_shape", self.told_shape)
        if self.told_shape < MIN_TOLD_SHAPE:
            raise _fail(
                "told_shape", f"expected at least {MIN_TOLD_SHAPE}, found {self.told_shape!r}"
            )
        _check_positive("attention", self.attention_min)
        for key in (
            "follower_reach",
            "reshare_share",
            "customer_share",
            "bystander_churn",
            "prospect_share",
            "prospect_deterred",
        ):
            _check_share(key, getattr(self, key))
        for key in (
            "reshare_audience",
            "reshare_sigma",
            "negative_reshare_factor",
            "reply_lift",
            "pile_on_audience",
        ):
            _check_non_negative(key, getattr(self, key))
        _check_non_negative("pile_on", self.pile_on_per_min)
        if self.pile_on_per_min > MAX_PILE_ON_PER_MIN:
            raise _fail(
                "pile_on",
                f"expected at most {MAX_PILE_ON_PER_MIN * 60:.0f}/h, "
                f"found {self.pile_on_per_min * 60:g}/h",
            )
        if self.reply_lift > MAX_LIFT:
            raise _fail("reply_lift", f"expected at most {MAX_LIFT:g}, found {self.reply_lift!r}")
        if not 0 <= self.reshare_branching < 1:
            raise _fail(
                "reshare_branching",
                f"expected a number from 0 to below 1 (cascades must die out), "
                f"found {self.reshare_branching!r}",
            )


class Outcome(StrEnum):
    """How a complaint journey ended, for churn (rows of the repurchase table)."""

    RESOLVED_QUICKLY = "resolved_quickly"
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    SILENT = "silent"


def _tarp(quick: float, fixed: float, unfixed: float, silent: float) -> dict[Outcome, float]:
    return {
        Outcome.RESOLVED_QUICKLY: quick,
        Outcome.RESOLVED: fixed,
        Outcome.UNRESOLVED: unfixed,
        Outcome.SILENT: silent,
    }


@dataclass(frozen=True, slots=True)
class Churn:
    """Who leaves after a problem, and what that costs.

    The probability of leaving is ``1 - repurchase[outcome]`` for the problem's loss size, scaled
    by ``(1 - loyalty) / (1 - reference_loyalty)`` for the customer's segment and by
    ``1 + anger_effect * (anger - 1)``, then by the policy's modifiers, capped to [0, 1].

    Attributes:
        small_loss, large_loss: share who buy again, by outcome (TARP).
        reference_loyalty: the loyalty of the average customer the table describes.
        recovery_paradox: if on, a quick fix at the first contact of the mildest severity
            makes the customer ``paradox_boost`` more likely to buy again (satisfaction, not
            behaviour, is what the evidence supports: off by default).
        discount_rate: yearly, for lifetime value ``annual_value * r / (1 + i - r)``.
    """

    small_loss: dict[Outcome, float] = field(default_factory=lambda: _tarp(0.95, 0.70, 0.46, 0.37))
    large_loss: dict[Outcome, float] = field(default_factory=lambda: _tarp(0.82, 0.54, 0.19, 0.09))
    reference_loyalty: float = 0.8
    anger_effect: float = 0.25
    recovery_paradox: bool = False
    paradox_boost: float = 0.08
    discount_rate: float = 0.1

    @every_problem
    def __post_init__(self) -> None:
        for key in ("small_loss", "large_loss"):
            table = getattr(self, key)
            for outcome in Outcome:
                if outcome not in table:
                    raise _fail(f"{key}.{outcome}", "missing; give the share who buy again")
                _check_share(f"{key}.{outcome}", table[outcome])
        if not 0 <= self.reference_loyalty < 1:
            raise _fail(
                "reference_loyalty",
                f"expected a share from 0 to below 1, found {self.reference_loyalty!r}",
            )
        _check_non_negative("anger_effect", self.anger_effect)
        _check_share("paradox_boost", self.paradox_boost)
        _check_non_negative("discount_rate", self.discount_rate)

    def repurchase(self, loss: Loss) -> dict[Outcome, float]:
        """The repurchase row for a loss size."""
        return self.small_loss if loss is Loss.SMALL else self.large_loss


@dataclass(frozen=True, slots=True)
class Teaching:
    """What a teacher needs beside the parameters: the story, the questions, the sources."""

    briefing: str = ""
    questions: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    policies: tuple[str, ...] = ()  # the policies worth comparing in class


@dataclass(frozen=True, slots=True)
class Scenario:
    """One brand's customer-service world: problems, customers, channels and staff."""

    name: str
    problems: Problems
    channels: dict[str, Channel]
    title: str = ""
    currency: str = "$"
    run: RunSettings = field(default_factory=RunSettings)
    severities: dict[str, Severity] = field(
        default_factory=lambda: {"problem": Severity("problem")}
    )
    segments: dict[str, Segment] = field(default_factory=lambda: {"customer": Segment("customer")})
    teams: dict[str, Team] = field(default_factory=dict)
    incidents: tuple[Incident, ...] = ()
    teaching: Teaching = field(default_factory=Teaching)
    behaviour: Behaviour = field(default_factory=Behaviour)
    word_of_mouth: WordOfMouth = field(default_factory=WordOfMouth)
    churn: Churn = field(default_factory=Churn)
    policies: dict[str, Policy] = field(default_factory=dict)

    @every_problem
    def __post_init__(self) -> None:
        problems = list(self._cross_check())
        if problems:
            raise ScenarioError(problems)

    def _cross_check(self) -> list[Problem]:
        """Rules that tie sections together; each returns the key at fault."""
        found: list[Problem] = []
        for section, table in (
            ("channels", self.channels),
            ("severities", self.severities),
            ("segments", self.segments),
        ):
            if not table:
                found.append(Problem(section, "expected at least one entry"))
            elif sum(item.share for item in table.values()) <= 0:
                found.append(Problem(section, "the shares must not all be zero"))
        for team in self.teams.values():
            for channel in team.channels:
                if channel not in self.channels:
                    found.append(
                        Problem(
                            f"teams.{team.name}.channels",
                            f"unknown channel {channel!r}; channels are {sorted(self.channels)}",
                        )
                    )
        for index, incident in enumerate(self.incidents):
            if incident.severity is not None and incident.severity not in self.severities:
                found.append(
                    Problem(
                        f"incidents[{index}].severity",
                        f"unknown severity {incident.severity!r}; "
                        f"severities are {sorted(self.severities)}",
                    )
                )
        for rung in self.channels.values():
            if rung.escalate_to is not None and rung.escalate_to not in self.channels:
                found.append(
                    Problem(
                        f"channels.{rung.name}.escalate_to",
                        f"unknown channel {rung.escalate_to!r}; "
                        f"channels are {sorted(self.channels)}",
                    )
                )
        for name, policy in self.policies.items():
            if policy.name != name:
                found.append(Problem(f"policies.{name}", f"the policy is named {policy.name!r}"))
            if name in BUILTIN_POLICIES:
                found.append(Problem(f"policies.{name}", "this name belongs to a built-in policy"))
            for part, keys in (("actions", policy.actions), ("hours", policy.hours)):
                for channel_name in keys:
                    if channel_name not in self.channels:
                        found.append(
                            Problem(
                                f"policies.{name}.{part}.{channel_name}",
                                f"unknown channel {channel_name!r}; "
                                f"channels are {sorted(self.channels)}",
                            )
                        )
            for channel_name, reason in policy.refusals(self.channels):
                found.append(
                    Problem(
                        f"policies.{name}.actions.{channel_name}",
                        f"{reason}; {policy.actions[channel_name]!r} is not allowed here",
                    )
                )
        known = self.policy_names
        if self.run.policy not in known:
            found.append(
                Problem("run.policy", f"unknown policy {self.run.policy!r}; policies are {known}")
            )
        for index, name in enumerate(self.teaching.policies):
            if name not in known:
                found.append(
                    Problem(
                        f"teaching.policies[{index}]",
                        f"unknown policy {name!r}; policies are {known}",
                    )
                )
        return found

    @property
    def policy_names(self) -> list[str]:
        """The built-in policies, then the scenario's own."""
        return [*BUILTIN_POLICIES, *self.policies]

    def policy(self, name: str | None = None) -> Policy:
        """Return a policy by name (default: the run's), built-in or the scenario's own.

        Raises:
            ScenarioError: naming the policies there are, if ``name`` is none of them.
        """
        from simcare.policies import builtin_policy

        name = name or self.run.policy
        if name in self.policies:
            return self.policies[name]
        if name in BUILTIN_POLICIES:
            return builtin_policy(name)
        raise ScenarioError(
            Problem("policy", f"unknown policy {name!r}; policies are {self.policy_names}")
        )
