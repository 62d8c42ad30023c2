"""The parts of a scenario: problems, channels, customers, incidents and the run settings.

Units: every time is in **minutes** (fields end in ``_min``), every rate is **per minute**
(fields end in ``_per_min``), money is in the scenario's currency. Files write durations and
rates with units; `simcare.scenario_file` converts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from simcare.core.errors import check_non_negative as _check_non_negative
from simcare.core.errors import check_positive as _check_positive
from simcare.core.errors import check_share as _check_share
from simcare.core.errors import every_problem
from simcare.core.errors import fail as _fail
from simcare.core.errors import fail_expecting as _fail_expecting
from simcare.core.units import MINUTES_PER_DAY
from simcare.scenario.in_file import FileKind, in_file

MAX_ATTEMPTS = 20
"""Contacts one complaint journey may have at most (`Behaviour.max_attempts`)."""
# Bounds beyond any real case, below where the simulation's numbers overflow or its work runs
# away (found by tests/test_hostile_input.py): they turn a typo into a message.
MAX_AUDIENCE_PER_MIN = 1e6
"""A channel's own audience: viewers per minute of a visible post."""
MAX_PILE_ON_PER_MIN = 1.0
"""Pile-on comments per minute under one post (they are counted one by one)."""
MAX_PEOPLE = 1e10
"""The most customers or prospects a scenario may have: more people than live on Earth."""
MAX_LIFT = 100.0
"""The largest reply lift and repost amplification (they multiply a post's audience)."""
MIN_TOLD_SHAPE = 0.001
"""The smallest negative-binomial shape of the number told (smaller ones overflow)."""
MAX_TOLD = 1000.0
"""The most people one customer tells in private, on average (`WordOfMouth.told_negative` and
`told_positive`, times a policy's `told_positive_factor`). The evidence says 10 to 20
(docs/evidence.md, "Who complains, and what they tell": "13% tell more than 20"); a public
post's audience is counted apart, from followers, so a thousand is far beyond any real case.
Each person told is counted one by one: at 1e9 a replication took hours, and at 10,000 with
`told_shape` 0.001 the loyal-fan case took 2.5 minutes a replication (14 s at 1,000)."""


MAX_DRAIN_MIN = 365 * MINUTES_PER_DAY
"""The longest drain after the last problem (`RunSettings.drain_min`)."""
DEFAULT_DRAIN_MIN = (MINUTES_PER_DAY, 30 * MINUTES_PER_DAY)
"""The shortest and longest drain a scenario gets when its file does not say."""
EXPECTED_PUBLIC_MIN = 60.0
"""What customers who complain in public expect: an answer within the hour."""
EXPECTED_ASYNC_MIN = 24 * 60.0
"""What customers who write a private message (email) expect: an answer within a day."""
EXPECTED_LIVE_MIN = 2.0
"""What customers on a private live line (phone) expect: a few minutes (illustrative)."""


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

    kind: DistributionKind = field(metadata=in_file(FileKind.CHOICE, "dist", of=DistributionKind))
    mean_min: float = field(metadata=in_file(FileKind.DURATION, "mean"))
    cv: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))

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
        expected_response_min: how soon customers expect an answer here; None takes the
            default for the channel's kind (`Channel.expected_response`).
        geotagged: a post here carries the store it was sent from (so a clerk can find the
            customer: `approach_in_store` needs it).
        approach_team: the team of store staff who walk up to a customer posting here; they
            take this channel's contacts only under `approach_in_store`, and then alone.
    """

    name: str = field(metadata=in_file(FileKind.NAME))
    mode: Mode = field(default=Mode.LIVE, metadata=in_file(FileKind.CHOICE, of=Mode))
    visibility: Visibility = field(
        default=Visibility.PRIVATE, metadata=in_file(FileKind.CHOICE, of=Visibility)
    )
    brand_owned: bool = field(default=True, metadata=in_file(FileKind.FLAG))
    share: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    patience: Distribution | None = field(default=None, metadata=in_file(FileKind.DISTRIBUTION))
    escalate_to: str | None = field(
        default=None, metadata=in_file(FileKind.NAME, refers_to="channels")
    )
    audience_per_min: float = field(default=0.0, metadata=in_file(FileKind.RATE, "audience"))
    expected_response_min: float | None = field(
        default=None, metadata=in_file(FileKind.DURATION, "expected_response")
    )
    geotagged: bool = field(default=False, metadata=in_file(FileKind.FLAG))
    approach_team: str | None = field(
        default=None, metadata=in_file(FileKind.NAME, refers_to="teams")
    )

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("share", self.share)
        _check_non_negative("audience", self.audience_per_min)
        if self.expected_response_min is not None:
            _check_positive("expected_response", self.expected_response_min)
        if self.audience_per_min > MAX_AUDIENCE_PER_MIN:
            raise _fail_expecting(
                "audience", f"at most {MAX_AUDIENCE_PER_MIN:.0f}/min", repr(self.audience_per_min)
            )
        if self.escalate_to == self.name:
            raise _fail("escalate_to", "a channel cannot escalate to itself")

    @property
    def public(self) -> bool:
        """Whether others can see a complaint posted here."""
        return self.visibility is Visibility.PUBLIC

    @property
    def expected_response(self) -> float:
        """Minutes within which customers expect an answer here.

        As given, else an hour on a public channel (most who complain in public expect an
        answer within the hour), a day on a private async one (email), and two minutes on a
        private live one (phone; illustrative). Docs/evidence.md, "Expected response times".
        """
        if self.expected_response_min is not None:
            return self.expected_response_min
        if self.public:
            return EXPECTED_PUBLIC_MIN
        return EXPECTED_LIVE_MIN if self.mode is Mode.LIVE else EXPECTED_ASYNC_MIN


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

    name: str = field(metadata=in_file(FileKind.NAME))
    share: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    complaint_share: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    loss: Loss = field(
        default_factory=lambda: Loss.SMALL, metadata=in_file(FileKind.CHOICE, of=Loss)
    )
    anger: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))

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
        customers: the segment's customer base (people, not problems); None derives it from
            the problem rate (`Scenario.customer_base`).
    """

    name: str = field(metadata=in_file(FileKind.NAME))
    share: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    annual_value: float = field(default=100.0, metadata=in_file(FileKind.NUMBER))
    loyalty: float = field(default=0.8, metadata=in_file(FileKind.NUMBER))
    followers_median: float = field(
        default=20.0, metadata=in_file(FileKind.NUMBER, "followers.median")
    )
    followers_sigma: float = field(
        default=1.5, metadata=in_file(FileKind.NUMBER, "followers.sigma")
    )
    patience_multiplier: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    customers: float | None = field(default=None, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("share", self.share)
        _check_non_negative("annual_value", self.annual_value)
        _check_share("loyalty", self.loyalty)
        _check_non_negative("followers_median", self.followers_median)
        _check_non_negative("followers_sigma", self.followers_sigma)
        # Beyond these, follower counts overflow; the largest real accounts have ~1e8.
        if self.followers_median > 1e9:
            raise _fail_expecting("followers.median", "at most 1e9", repr(self.followers_median))
        if self.followers_sigma > 5:
            raise _fail_expecting("followers.sigma", "at most 5", repr(self.followers_sigma))
        _check_positive("patience_multiplier", self.patience_multiplier)
        customers = self.customers
        if customers is not None and not (1 <= customers <= MAX_PEOPLE and customers.is_integer()):
            raise _fail_expecting(
                "customers",
                f"a whole number of customers, from 1 to {MAX_PEOPLE:.0e} (more than live)",
                repr(customers),
            )


@dataclass(frozen=True, slots=True)
class Incident:
    """A burst of extra problems over a window: a recall, a botched launch, a holiday rush.

    Attributes:
        severity: the severity of the extra problems; None draws from the usual mix.
    """

    name: str = field(metadata=in_file(FileKind.NAME))
    start_min: float = field(metadata=in_file(FileKind.DURATION, "start"))
    duration_min: float = field(metadata=in_file(FileKind.DURATION, "duration"))
    extra_problems_per_min: float = field(metadata=in_file(FileKind.RATE, "extra_rate"))
    severity: str | None = field(
        default=None, metadata=in_file(FileKind.NAME, refers_to="severities")
    )

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

    Attributes:
        problems_per_min: the base rate of problems, complained about or not.
        complaints_per_min: the base rate of complaints, for a brand that knows its complaints
            but not its problems; when given, the scenario sets ``problems_per_min`` from it
            and the severities' complaint shares (`Scenario.complaint_share`). A file gives
            one of the two (``rate`` or ``complaints``).
    """

    problems_per_min: float = field(default=0.0, metadata=in_file(FileKind.RATE, "rate"))
    hourly_profile: tuple[float, ...] = field(
        default_factory=lambda: _flat(24), metadata=in_file(FileKind.WEIGHTS, size=24)
    )
    weekday_profile: tuple[float, ...] = field(
        default_factory=lambda: _flat(7), metadata=in_file(FileKind.WEIGHTS, size=7)
    )
    complaints_per_min: float | None = field(
        default=None, metadata=in_file(FileKind.RATE, "complaints")
    )

    @every_problem
    def __post_init__(self) -> None:
        _check_non_negative("rate", self.problems_per_min)
        if self.complaints_per_min is not None:
            _check_non_negative("complaints", self.complaints_per_min)
        for key, profile, size in (
            ("hourly_profile", self.hourly_profile, 24),
            ("weekday_profile", self.weekday_profile, 7),
        ):
            if len(profile) != size:
                raise _fail_expecting(key, f"{size} weights", str(len(profile)))
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
        duration_min: problems arise from time 0 to this time; contacts and staff are measured
            up to here.
        drain_min: after the last problem, journeys go on this long so that they can end
            (nothing new arises, and the staff it takes is not counted); a journey still going
            after it is reported as open. None: `Scenario.drain_min`.
        warmup_min: contacts arriving before this are simulated but not measured.
        service_level_target_min: the "Y" in "X% answered within Y".
        start_weekday: weekday of time 0 (0 = Monday); time 0 is midnight.
        policy: the response policy used unless another is asked for.
    """

    duration_min: float = field(
        default=MINUTES_PER_DAY, metadata=in_file(FileKind.DURATION, "duration")
    )
    warmup_min: float = field(default=0.0, metadata=in_file(FileKind.DURATION, "warmup"))
    service_level_target_min: float = field(
        default=20 / 60, metadata=in_file(FileKind.DURATION, "service_level_target")
    )
    start_weekday: int = field(default=0, metadata=in_file(FileKind.WEEKDAY))
    policy: str = field(
        default="reply_private", metadata=in_file(FileKind.NAME, refers_to="policies")
    )
    drain_min: float | None = field(default=None, metadata=in_file(FileKind.DURATION, "drain"))

    @every_problem
    def __post_init__(self) -> None:
        _check_positive("duration", self.duration_min)
        _check_non_negative("warmup", self.warmup_min)
        if self.drain_min is not None:
            _check_non_negative("drain", self.drain_min)
            if self.drain_min > MAX_DRAIN_MIN:
                raise _fail_expecting(
                    "drain", "at most 365d", f"{self.drain_min / MINUTES_PER_DAY:g}d"
                )
        _check_positive("service_level_target", self.service_level_target_min)
        if self.warmup_min >= self.duration_min:
            raise _fail("warmup", "the warm-up must end before the run does")
