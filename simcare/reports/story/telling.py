"""One customer's journey told as a timeline of moments, with the numbers behind it.

Everything here reads a finished `RunRecord`; nothing is simulated, printed or written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simcare.model.journeys import ContactKind, Result
from simcare.model.records import Cause, JourneyEnd, RunRecord
from simcare.reports.story.words import (
    answer,
    between,
    complain,
    place,
    reach,
    refund_text,
    unwatched,
)
from simcare.scenario import Channel, Scenario
from simcare.scenario.policy import ACTIONS, Effect, serves


class StoryError(ValueError):
    """No customer fits what was asked for (the message says what to try instead)."""


@dataclass(frozen=True, slots=True)
class Moment:
    """Something that happened to the customer, and when.

    Attributes:
        minute: minutes from the run's start.
        text: what happened, in plain language (a sentence without its subject, as in a diary).
        detail: the numbers behind it (a public post's impressions), or "".
    """

    minute: float
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """One customer's complaint journey under one policy, and its consequences.

    Attributes:
        journey: the journey's index in the record (the same customer under every policy).
        policy: the policy the brand followed.
        segment, severity: names from the scenario.
        followers: the customer's follower count.
        first_channel: the channel key of the first complaint.
        start_min: when they first complained.
        start_weekday: weekday of minute 0 (0 is Monday), for telling the time.
        measured: whether the journey started after the warm-up (counted in the run's outcomes).
        moments: what happened, in time order.
        contacts: complaints made (the first included; follow-ups not counted).
        channels: the channels they complained on, in the order first used.
        escalations: moves to a different channel.
        went_public: started in private and reached a public channel.
        negative_impressions, positive_impressions: views of their posts, unanswered / with
            a good answer under them.
        reshares, pile_ons: of their posts, all together.
        told_negative, told_positive: people they told in private.
        leave_probability: their probability of leaving the brand.
        left: whether they left.
        ending: how the journey ended (`JourneyEnd.label`).
        resolved: whether the problem was fixed in the end.
        cause: the worst thing that happened, given as the cause if they left (`Cause`).
    """

    journey: int
    policy: str
    segment: str
    severity: str
    followers: int
    first_channel: str
    start_min: float
    start_weekday: int
    measured: bool
    moments: tuple[Moment, ...]
    contacts: int
    channels: tuple[str, ...]
    escalations: int
    went_public: bool
    negative_impressions: float
    positive_impressions: float
    reshares: int
    pile_ons: int
    told_negative: int
    told_positive: int
    leave_probability: float
    left: bool
    ending: str
    resolved: bool
    cause: str


@dataclass(frozen=True, slots=True)
class _Journey:
    """What telling one journey needs at hand.

    Attributes:
        channels: the scenario's channels, by code, and the policy's effect on each.
        answered: per channel code, whether anyone answers it under the policy.
        refund: the compensation an answer that fixes the problem adds ("" if none).
        complaints: the journey's rows that are complaints (not follow-ups), in time order.
        posts: the journey's posts.
        post_of: the post of each attempt made in public, by attempt.
    """

    record: RunRecord
    scenario: Scenario
    channels: list[Channel]
    effects: list[Effect]
    answered: list[bool]
    refund: str
    followers: int
    complaints: list[int]
    posts: np.ndarray
    post_of: dict[int, int]
    end: JourneyEnd


def _journey(record: RunRecord, scenario: Scenario, journey: int) -> tuple[_Journey, np.ndarray]:
    """What telling ``journey`` needs, and its rows in time order."""
    channels = list(scenario.channels.values())
    policy = scenario.policy(record.policy)
    handling = scenario.actions
    effects = [ACTIONS[policy.action_for(c)].effect(c, handling) for c in channels]
    covered = {
        name
        for team in scenario.teams.values()
        for name in team.channels
        if serves(team.name, scenario.channels[name], policy.action_for(scenario.channels[name]))
    }
    compensation = policy.compensation
    rows = np.flatnonzero(record.journey == journey)
    rows = rows[np.lexsort((record.kind[rows], record.attempt[rows], record.arrival_min[rows]))]
    posts = np.flatnonzero(record.posts.journey == journey)
    told = _Journey(
        record=record,
        scenario=scenario,
        channels=channels,
        effects=effects,
        answered=[e.answers and c.name in covered for c, e in zip(channels, effects, strict=True)],
        refund=refund_text(compensation.cost, scenario.currency)
        if compensation is not None
        else "",
        followers=int(record.followers[rows[0]]),
        complaints=[int(r) for r in rows if record.kind[r] != ContactKind.FOLLOW_UP],
        posts=posts,
        post_of={int(record.posts.attempt[p]): int(p) for p in posts},
        end=JourneyEnd(int(record.journeys.end[journey])),
    )
    return told, rows


def _follow_up(told: _Journey, row: int) -> Moment:
    """A follow-up the policy promised: made, or missed."""
    record = told.record
    code = int(record.channel[row])
    start = float(record.service_start_min[row])
    if math.isnan(start):
        return Moment(
            float(record.arrival_min[row]), "a follow-up is due, but nobody makes it in time"
        )
    return Moment(start, answer(Result.FOLLOW_UP, told.channels[code], told.effects[code], ""))


def _complaint(told: _Journey, position: int, row: int, went_public_yet: bool) -> Moment:
    """A complaint: where it was made (again, escalated, reposted) and who saw it."""
    record = told.record
    code = int(record.channel[row])
    channel = told.channels[code]
    text = complain(channel, told.followers, not went_public_yet, again=False)
    if int(record.kind[row]) == ContactKind.REPOST:
        amplification = told.scenario.behaviour.repost_amplification
        text = (
            f"reposts a screenshot of the deleted post on {place(channel)}, where the brand "
            "cannot delete it"
        )
        if amplification > 1:
            text += f"; the screenshot travels {amplification:g} times as far among their followers"
    elif position > 0:
        previous = int(record.channel[told.complaints[told.complaints.index(row) - 1]])
        if previous == code:
            text = complain(channel, told.followers, False, again=True)
        else:
            text = f"escalates: {text}"
    detail = ""
    attempt = int(record.attempt[row])
    if channel.public and attempt in told.post_of:
        p = told.post_of[attempt]
        spread = record.spread
        detail = reach(
            float(spread.negative_impressions[p]),
            float(spread.positive_impressions[p]),
            int(spread.reshares[p]),
            int(spread.pile_ons[p]),
            math.isfinite(float(record.posts.removed_min[p])),
        )
    return Moment(float(record.arrival_min[row]), text, detail)


def _outcome(told: _Journey, row: int, is_last: bool) -> tuple[Moment, bool]:
    """What came of a complaint, and whether the run ended before it was done with."""
    record = told.record
    code = int(record.channel[row])
    channel, effect = told.channels[code], told.effects[code]
    arrival = float(record.arrival_min[row])
    start = float(record.service_start_min[row])
    result = int(record.result[row])
    end = told.end
    if not math.isnan(start):
        if result < 0:
            when = f"after {between(arrival, start)}"
            text = f"{when}, an agent takes it up; the run ends before they finish"
            return Moment(start, text), True
        done = start + float(record.handle_min[row])
        text = f"{between(arrival, done)} later, {answer(result, channel, effect, told.refund)}"
        if is_last and end is JourneyEnd.DELETED:
            text += "; the customer goes quiet"
        elif is_last and end is JourneyEnd.UNRESOLVED:
            text += "; the customer gives up"
        return Moment(done, text), False
    deadline = float(record.deadline_min[row])
    if deadline < record.stop_min:
        text = f"after waiting {between(arrival, deadline)} with no answer, loses patience"
        if is_last and end in (JourneyEnd.WAITED, JourneyEnd.IGNORED):
            text += " and gives up"
        if not told.answered[code]:
            text += f": {unwatched(channel)}"
        return Moment(deadline, text), False
    waited = between(arrival, record.stop_min)
    text = f"the run ends after {waited} with the complaint still unanswered"
    return Moment(record.stop_min, text), True


def _moments(told: _Journey, rows: np.ndarray) -> tuple[Moment, ...]:
    """Every moment of the journey, in time order (same-minute moments keep their order)."""
    record = told.record
    moments: list[Moment] = []
    went_public_yet = False
    run_ended = False  # a moment already says the run ended mid-contact
    for position, row in enumerate(int(r) for r in rows):
        is_last = row == told.complaints[-1]
        if int(record.kind[row]) == ContactKind.FOLLOW_UP:
            moments.append(_follow_up(told, row))
            continue
        moments.append(_complaint(told, position, row, went_public_yet))
        went_public_yet = went_public_yet or told.channels[int(record.channel[row])].public
        outcome, ended = _outcome(told, row, is_last)
        moments.append(outcome)
        run_ended = run_ended or ended
    if told.end is JourneyEnd.OPEN and not run_ended:
        moments.append(
            Moment(
                record.stop_min,
                "the run ends with the complaint still open (they were about to try again)",
            )
        )
    moments.sort(key=lambda moment: moment.minute)  # stable: same-minute events keep order
    return tuple(moments)


def tell(record: RunRecord, scenario: Scenario, journey: int) -> Story:
    """Tell journey ``journey`` of a replication as a timeline, with its numbers.

    Args:
        record: the replication.
        scenario: the scenario it ran (its channels, policy and calendar).
        journey: the journey's index (0 to ``len(record.journeys) - 1``).

    Raises:
        StoryError: ``journey`` is out of range.
    """
    journeys = record.journeys
    if not 0 <= journey < len(journeys):
        raise StoryError(
            f"customer {journey} does not exist: this run has customers 0 to {len(journeys) - 1}"
        )
    told, rows = _journey(record, scenario, journey)
    moments = _moments(told, rows)
    used = dict.fromkeys(record.channel_names[int(record.channel[r])] for r in told.complaints)
    posts = told.posts
    spread = record.spread
    return Story(
        journey=journey,
        policy=record.policy,
        segment=record.segment_names[int(record.journey_segment[journey])],
        severity=record.severity_names[int(record.journey_severity[journey])],
        followers=told.followers,
        first_channel=record.channel_names[int(record.channel[rows[0]])],
        start_min=float(journeys.start_min[journey]),
        start_weekday=scenario.run.start_weekday,
        measured=bool(journeys.start_min[journey] >= record.warmup_min),
        moments=moments,
        contacts=int(journeys.attempts[journey]),
        channels=tuple(used),
        escalations=int(journeys.escalations[journey]),
        went_public=bool(journeys.went_public[journey]),
        negative_impressions=float(spread.negative_impressions[posts].sum()),
        positive_impressions=float(spread.positive_impressions[posts].sum()),
        reshares=int(spread.reshares[posts].sum()),
        pile_ons=int(spread.pile_ons[posts].sum()),
        told_negative=int(spread.told_negative[journey]),
        told_positive=int(spread.told_positive[journey]),
        leave_probability=float(record.churn.leave_probability[journey]),
        left=bool(record.churn.left[journey]),
        ending=told.end.label,
        resolved=told.end.resolved,
        cause=Cause(int(journeys.cause[journey])).label,
    )
