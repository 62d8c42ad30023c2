"""Behaviour: how complainants act when failed (the journey), word of mouth, and churn."""

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
from simcare.scenario.in_file import FileKind, in_file
from simcare.scenario.parts import (
    MAX_ATTEMPTS,
    MAX_LIFT,
    MAX_PEOPLE,
    MAX_PILE_ON_PER_MIN,
    MAX_TOLD,
    MIN_TOLD_SHAPE,
    Distribution,
    DistributionKind,
    Loss,
)
from simcare.scenario.policy import Failure


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

    max_attempts: int = field(default=4, metadata=in_file(FileKind.ATTEMPTS))
    persistence: float = field(default=0.5, metadata=in_file(FileKind.NUMBER))
    escalate_share: float = field(default=0.6, metadata=in_file(FileKind.NUMBER))
    retry_delay: Distribution = field(
        default_factory=lambda: _exponential_hours(2.0), metadata=in_file(FileKind.DISTRIBUTION)
    )
    resolve_share: float = field(default=0.85, metadata=in_file(FileKind.NUMBER))
    quick_min: float = field(default=60.0, metadata=in_file(FileKind.DURATION, "quick"))
    anger_steps: dict[Failure, float] = field(
        default_factory=_default_anger_steps,
        metadata=in_file(FileKind.NUMBERS_BY, "anger", of=Failure),
    )
    repost_share: float = field(default=0.36, metadata=in_file(FileKind.NUMBER))
    repost_amplification: float = field(default=3.0, metadata=in_file(FileKind.NUMBER))
    update_share: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    intrusion_share: float = field(default=0.2, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS:
            raise _fail_expecting("max_attempts", f"1 to {MAX_ATTEMPTS}", repr(self.max_attempts))
        _check_non_negative("persistence", self.persistence)
        for key in ("escalate_share", "resolve_share", "repost_share"):
            _check_share(key, getattr(self, key))
        _check_share("update_share", self.update_share)
        _check_share("intrusion_share", self.intrusion_share)
        _check_positive("quick", self.quick_min)
        _check_non_negative("repost_amplification", self.repost_amplification)
        if self.repost_amplification > MAX_LIFT:
            raise _fail_expecting(
                "repost_amplification", f"at most {MAX_LIFT:g}", repr(self.repost_amplification)
            )
        # Steps not given keep their defaults, so a partial table means what it says.
        object.__setattr__(self, "anger_steps", {**_default_anger_steps(), **self.anger_steps})
        for failure, step in self.anger_steps.items():
            _check_non_negative(f"anger.{failure}", step)


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
        moderation_min: a moderator's time per pile-on comment on a brand-owned channel (read,
            hide or answer it), paid at the rate of the first team serving the channel.
        customer_share: share of impressions that fall on the brand's own customers.
        bystander_churn: probability that a customer who sees a complaint leaves.
        good_answer_steadies: how much less likely to leave a customer is who sees a good
            answer under a complaint, rather than the complaint alone.
        prospect_share: share of impressions (and of people told) that fall on prospects.
        prospects: prospective customers within reach; None: as many as the customer base.
        prospect_deterred: probability that a prospect who hears bad things stays away.
        prospect_won: probability that a prospect who hears good things becomes a customer.
        deletion_seen: share of a deleted post's viewers who notice it vanish; each counts as
            a second negative impression (observers forgive a deletion less).
        posts_in_view: the brand's posts a visitor to a channel looks at, at most: when more
            are up at once, they share the channel's audience (`simcare.model.attention`);
            None: every post draws the whole audience, however many are up.

    Impressions are views; people are reached by drawing the views at random from a pool
    (the customer base, the prospects), so repeated views of the same people saturate.
    """

    told_negative: tuple[float, float] = field(
        default=(10.0, 16.0), metadata=in_file(FileKind.RANGE)
    )
    told_positive: tuple[float, float] = field(default=(5.0, 9.0), metadata=in_file(FileKind.RANGE))
    told_shape: float = field(default=6.0, metadata=in_file(FileKind.NUMBER))
    follower_reach: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    attention_min: float = field(
        default=48 * 60.0, metadata=in_file(FileKind.DURATION, "attention")
    )
    reshare_share: float = field(default=0.06, metadata=in_file(FileKind.NUMBER))
    reshare_audience: float = field(default=1000.0, metadata=in_file(FileKind.NUMBER))
    reshare_sigma: float = field(default=2.0, metadata=in_file(FileKind.NUMBER))
    reshare_branching: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    negative_reshare_factor: float = field(default=1.4, metadata=in_file(FileKind.NUMBER))
    reply_lift: float = field(default=1.5, metadata=in_file(FileKind.NUMBER))
    pile_on_per_min: float = field(default=0.0, metadata=in_file(FileKind.RATE, "pile_on"))
    pile_on_audience: float = field(default=19.0, metadata=in_file(FileKind.NUMBER))
    moderation_min: float = field(default=0.0, metadata=in_file(FileKind.DURATION, "moderation"))
    customer_share: float = field(default=0.2, metadata=in_file(FileKind.NUMBER))
    bystander_churn: float = field(default=0.002, metadata=in_file(FileKind.NUMBER))
    prospect_share: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    good_answer_steadies: float = field(default=0.5, metadata=in_file(FileKind.NUMBER))
    prospects: float | None = field(default=None, metadata=in_file(FileKind.NUMBER))
    prospect_deterred: float = field(default=0.001, metadata=in_file(FileKind.NUMBER))
    prospect_won: float = field(default=0.001, metadata=in_file(FileKind.NUMBER))
    deletion_seen: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    posts_in_view: float | None = field(default=5.0, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        for key in ("told_negative", "told_positive"):
            low, high = getattr(self, key)
            if not (0 <= low <= high and math.isfinite(high)):
                raise _fail_expecting(key, "0 <= low <= high", repr([low, high]))
            if high > MAX_TOLD:
                raise _fail_expecting(
                    key,
                    f"at most {MAX_TOLD:,.0f} people (the evidence says 10 to 20)",
                    repr([low, high]),
                )
        _check_positive("told_shape", self.told_shape)
        if self.told_shape < MIN_TOLD_SHAPE:
            raise _fail_expecting("told_shape", f"at least {MIN_TOLD_SHAPE}", repr(self.told_shape))
        _check_positive("attention", self.attention_min)
        if self.posts_in_view is not None:
            _check_positive("posts_in_view", self.posts_in_view)
        for key in (
            "follower_reach",
            "reshare_share",
            "customer_share",
            "bystander_churn",
            "prospect_share",
            "prospect_deterred",
            "prospect_won",
            "good_answer_steadies",
            "deletion_seen",
        ):
            _check_share(key, getattr(self, key))
        if self.prospects is not None:
            _check_non_negative("prospects", self.prospects)
            if self.prospects > MAX_PEOPLE:
                raise _fail_expecting(
                    "prospects", f"at most {MAX_PEOPLE:.0e} people", repr(self.prospects)
                )
        for key in (
            "reshare_audience",
            "reshare_sigma",
            "negative_reshare_factor",
            "reply_lift",
            "pile_on_audience",
        ):
            _check_non_negative(key, getattr(self, key))
        _check_non_negative("moderation", self.moderation_min)
        _check_non_negative("pile_on", self.pile_on_per_min)
        if self.pile_on_per_min > MAX_PILE_ON_PER_MIN:
            raise _fail_expecting(
                "pile_on",
                f"at most {MAX_PILE_ON_PER_MIN * 60:.0f}/h",
                f"{self.pile_on_per_min * 60:g}/h",
            )
        if self.reply_lift > MAX_LIFT:
            raise _fail_expecting("reply_lift", f"at most {MAX_LIFT:g}", repr(self.reply_lift))
        if not 0 <= self.reshare_branching < 1:
            raise _fail_expecting(
                "reshare_branching",
                "a number from 0 to below 1 (cascades must die out)",
                repr(self.reshare_branching),
            )


@dataclass(frozen=True, slots=True)
class Contagion:
    """Silent problems with a shared cause come forward when complaints about it stand unanswered.

    Customers of the brand whose problem has the ``cause`` severity (an incident's, say) and
    who stayed silent may see the unanswered complaints about it; each negative view that falls
    on such a customer makes them come forward with probability ``come_forward``. Their
    complaints are posts others see in turn: a self-exciting process, bounded by the silent
    problems of the cause (`simcare.model.contagion`).

    Attributes:
        cause: the severity whose problems share a cause; None: no contagion.
        come_forward: probability that a customer with a silent problem of the cause, seeing an
            unanswered complaint about it, complains in turn.
        affinity: how many times as likely as another customer one with the problem is to see
            a complaint about it (they look for it: the forum, the hashtag).
        memory_min: a silent problem stays on the customer's mind this long; after it, they no
            longer come forward.
    """

    cause: str | None = field(default=None, metadata=in_file(FileKind.NAME, refers_to="severities"))
    come_forward: float = field(default=0.1, metadata=in_file(FileKind.NUMBER))
    affinity: float = field(default=10.0, metadata=in_file(FileKind.NUMBER))
    memory_min: float = field(default=30 * 24 * 60.0, metadata=in_file(FileKind.DURATION, "memory"))

    @every_problem
    def __post_init__(self) -> None:
        _check_share("come_forward", self.come_forward)
        _check_positive("affinity", self.affinity)
        _check_positive("memory", self.memory_min)


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

    The odds of leaving start from ``1 - repurchase[outcome]`` for the problem's loss size (the
    reference customer, after one complaint that ended so) and are scaled, so the probability
    stays inside (0, 1): by the segment's odds of leaving a year against the reference's, by
    ``exp(anger_effect * a)`` for the anger ``a`` of failures before the last contact, by
    ``exp(wait_effect * (log(1 + wait / expected) - log 2))`` for how long the first answer
    took against what the channel leads customers to expect (a wait of ten times the expected
    one, or no answer at all, counts as ten), and by the policy's modifiers.

    Attributes:
        small_loss, large_loss: share who buy again, by outcome (TARP).
        reference_loyalty: the loyalty of the average customer the table describes.
        anger_effect: log-odds of leaving per unit of anger from failures before the last.
        wait_effect: log-odds of leaving per unit of log(1 + wait / expected response).
        follow_through: share of the customers who say they will not buy again who then
            leave: the TARP shares are stated intentions; 1 takes them at their word.
        problem_share: share of a brand's customers who have a problem in a year; it sets the
            default customer base from the problem rate.
        open_as_unresolved: count journeys still open at the end as unresolved (churn); by
            default they are reported as open and nobody leaves over them.
        recovery_paradox: if on, a quick fix at the first contact of the mildest severity
            makes the customer ``paradox_boost`` more likely to buy again (satisfaction, not
            behaviour, is what the evidence supports: off by default).
        discount_rate: yearly, for lifetime value ``annual_value * r / (1 + i - r)``.
    """

    small_loss: dict[Outcome, float] = field(
        default_factory=lambda: _tarp(0.95, 0.70, 0.46, 0.37),
        metadata=in_file(FileKind.NUMBERS_BY, of=Outcome),
    )
    large_loss: dict[Outcome, float] = field(
        default_factory=lambda: _tarp(0.82, 0.54, 0.19, 0.09),
        metadata=in_file(FileKind.NUMBERS_BY, of=Outcome),
    )
    reference_loyalty: float = field(default=0.8, metadata=in_file(FileKind.NUMBER))
    anger_effect: float = field(default=0.2, metadata=in_file(FileKind.NUMBER))
    wait_effect: float = field(default=0.3, metadata=in_file(FileKind.NUMBER))
    follow_through: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))
    problem_share: float = field(default=0.74, metadata=in_file(FileKind.NUMBER))
    open_as_unresolved: bool = field(default=False, metadata=in_file(FileKind.FLAG))
    recovery_paradox: bool = field(default=False, metadata=in_file(FileKind.FLAG))
    paradox_boost: float = field(default=0.08, metadata=in_file(FileKind.NUMBER))
    discount_rate: float = field(default=0.1, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        for key in ("small_loss", "large_loss"):
            table = getattr(self, key)
            for outcome in Outcome:
                if outcome not in table:
                    raise _fail(f"{key}.{outcome}", "missing; give the share who buy again")
                _check_share(f"{key}.{outcome}", table[outcome])
        if not 0 <= self.reference_loyalty < 1:
            raise _fail_expecting(
                "reference_loyalty", "a share from 0 to below 1", repr(self.reference_loyalty)
            )
        _check_non_negative("anger_effect", self.anger_effect)
        _check_non_negative("wait_effect", self.wait_effect)
        _check_share("follow_through", self.follow_through)
        if not 0 < self.problem_share <= 1:
            raise _fail_expecting(
                "problem_share", "a share above 0, at most 1", repr(self.problem_share)
            )
        _check_share("paradox_boost", self.paradox_boost)
        _check_non_negative("discount_rate", self.discount_rate)

    def repurchase(self, loss: Loss) -> dict[Outcome, float]:
        """The repurchase row for a loss size."""
        return self.small_loss if loss is Loss.SMALL else self.large_loss
