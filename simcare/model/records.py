"""Columnar records of one replication: a row per contact, plus staffing over time.

Everything a report needs is derived from these arrays after the run, so the simulation's hot
path only appends a few numbers per answered contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


@dataclass(frozen=True, slots=True)
class StaffingLog:
    """A team's agents on duty: from ``time_min[k]`` on, ``on_duty[k]`` agents (a step function)."""

    time_min: np.ndarray
    on_duty: np.ndarray


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What one replication produced. Contacts are in arrival order; times are in minutes.

    Problems arise until ``end_min``, and contacts and staff are measured up to there; the
    run goes on to ``stop_min`` (the drain) so that journeys can end. A contact that was never
    answered has NaN service times and agent -1. It *abandoned* if its patience ran out before
    the run stopped (at ``deadline_min``); otherwise it was still waiting when it stopped.

    Contacts belong to journeys (``journey``, ``attempt``; ``kind`` 0 complaint, 1 screenshot
    repost, 2 follow-up; ``result`` how an answered contact ended, -1 not finished). The
    journeys, their public posts, and the word of mouth and churn worked out from them after the
    run come with the record.

    A record may hold only some journeys (a chunk harvested during the run, whose run-wide
    fields, from ``staffing`` to ``problems`` and the churn outside complainants, are empty),
    or only the run-wide fields (a run that kept no contacts).

    ``came_forward``: run-wide, per day of the run, the journeys that contagion started
    (`simcare.model.contagion`); empty without contagion.
    """

    end_min: float
    stop_min: float
    warmup_min: float
    channel_names: tuple[str, ...]
    team_names: tuple[str, ...]
    segment_names: tuple[str, ...]
    severity_names: tuple[str, ...]
    arrival_min: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    severity: np.ndarray
    followers: np.ndarray
    deadline_min: np.ndarray
    service_start_min: np.ndarray
    handle_min: np.ndarray
    agent: np.ndarray
    agent_team: np.ndarray
    staffing: tuple[StaffingLog, ...]
    silent: np.ndarray
    silent_told: int
    problems: int
    journey: np.ndarray
    attempt: np.ndarray
    kind: np.ndarray
    result: np.ndarray
    policy: str
    journeys: Journeys
    journey_segment: np.ndarray
    journey_severity: np.ndarray
    posts: Posts
    spread: Spread
    churn: ChurnResult
    came_forward: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def answered(self) -> np.ndarray:
        """Whether an agent reached each contact before the run stopped."""
        return ~np.isnan(self.service_start_min)

    @property
    def abandoned(self) -> np.ndarray:
        """Whether each contact gave up waiting before an agent reached them."""
        return ~self.answered & (self.deadline_min < self.stop_min)

    @property
    def team(self) -> np.ndarray:
        """The team that answered each contact (-1: none)."""
        # Agent -1 (nobody) picks the appended -1; this also works when no team has agents.
        return np.append(self.agent_team, -1)[self.agent]

    @property
    def service_end_min(self) -> np.ndarray:
        """When the agent finished with each contact (may lie after the end of the run)."""
        return self.service_start_min + self.handle_min

    @property
    def wait_min(self) -> np.ndarray:
        """Time in queue: until answered, until giving up, or until the run stopped."""
        left = np.where(
            self.answered,
            self.service_start_min,
            np.minimum(self.deadline_min, self.stop_min),
        )
        return left - self.arrival_min

    def __len__(self) -> int:
        return len(self.arrival_min)


class JourneyEnd(IntEnum):
    """How a complaint journey ended (codes in `Journeys.end`)."""

    RESOLVED_QUICKLY = 0
    RESOLVED = 1
    INTRUDED = 2  # resolved, but the customer felt watched
    UNRESOLVED = 3  # answered, never fixed, and the customer gave up
    WAITED = 4  # gave up after waiting too long on an answered channel
    IGNORED = 5  # gave up on a channel nobody answers
    DELETED = 6  # the post was deleted and its author went quiet
    OPEN = 7  # still going when the run ended

    @property
    def label(self) -> str:
        """How a report names this ending."""
        return _END_LABELS[self]

    @property
    def resolved(self) -> bool:
        """Whether the problem was fixed."""
        return self <= JourneyEnd.INTRUDED


_END_LABELS = {
    JourneyEnd.RESOLVED_QUICKLY: "resolved quickly",
    JourneyEnd.RESOLVED: "resolved",
    JourneyEnd.INTRUDED: "intruded upon",
    JourneyEnd.UNRESOLVED: "unresolved",
    JourneyEnd.WAITED: "waited too long",
    JourneyEnd.IGNORED: "ignored",
    JourneyEnd.DELETED: "post deleted",
    JourneyEnd.OPEN: "still open at end of run",
}


class Cause(IntEnum):
    """The worst thing that happened in a journey, worst first (codes in `Journeys.cause`).

    It is the cause given for a complainant who leaves: a customer whose post was deleted and
    who was then fixed in private still left over the deletion.
    """

    DELETED = 0  # a post of theirs was deleted
    IGNORED = 1  # they gave up on a channel nobody answers
    WAITED = 2  # they gave up waiting on an answered channel
    INTRUDED = 3  # approached in store, they felt watched
    OPEN = 4  # still going at the end of the run, nothing worse so far
    UNRESOLVED = 5  # the problem was not fixed
    LATE = 6  # the first answer came later than the channel leads customers to expect
    PROBLEM = 7  # nothing went wrong in the handling: the problem itself

    @property
    def label(self) -> str:
        """How a report names this cause."""
        return _CAUSE_LABELS[self]


_CAUSE_LABELS = {
    Cause.DELETED: "post deleted",
    Cause.IGNORED: "ignored",
    Cause.WAITED: "waited too long",
    Cause.INTRUDED: "intruded upon",
    Cause.OPEN: "still open at end of run",
    Cause.UNRESOLVED: "unresolved",
    Cause.LATE: "answered late",
    Cause.PROBLEM: "the problem itself",
}


RESOLVED_ENDS = tuple(end for end in JourneyEnd if end.resolved)
"""The journey ends at which the problem was fixed."""


@dataclass(frozen=True, slots=True)
class Journeys:
    """One row per complaint journey, in order of the complaint's first contact.

    Attributes:
        start_min: when the customer first complained.
        end: a `JourneyEnd` code.
        end_min: when the journey ended (the run's end if still open).
        anger: the customer's anger at the end.
        attempts: contacts made (the first included).
        answered: contacts an agent answered (not counting deletions).
        escalations: moves to a different, louder channel (reposts included).
        went_public: started on a private channel and reached a public one.
        follow_ups: follow-up contacts made after resolution.
        channel: the channel of the first complaint.
        first_response_min: when a person first answered (a deletion is no answer: NaN if
            nobody did); on a live channel when the answer began, else when it was sent.
        cause: a `Cause` code: the worst thing that happened.
    """

    start_min: np.ndarray
    end: np.ndarray
    end_min: np.ndarray
    anger: np.ndarray
    attempts: np.ndarray
    answered: np.ndarray
    escalations: np.ndarray
    went_public: np.ndarray
    follow_ups: np.ndarray
    channel: np.ndarray
    first_response_min: np.ndarray
    cause: np.ndarray

    def __len__(self) -> int:
        return len(self.start_min)


@dataclass(frozen=True, slots=True)
class Posts:
    """One row per complaint posted on a public channel (the input to word of mouth).

    Times are inf when the thing never happened.

    Attributes:
        journey, attempt: which journey, and which of its contacts (0 = the first).
        followers: the author's follower count.
        posted_min: when the post went up.
        removed_min: when a moderator deleted it.
        good_answer_min: when a visible answer that fixed the problem appeared under it
            (a public reply or acknowledgement, or the author's own update).
        lift_min: from when a public reply lifts the post to more viewers.
        amplification: multiplies the post's reach (a screenshot repost after a deletion).
    """

    journey: np.ndarray
    attempt: np.ndarray
    channel: np.ndarray
    followers: np.ndarray
    posted_min: np.ndarray
    removed_min: np.ndarray
    good_answer_min: np.ndarray
    lift_min: np.ndarray
    amplification: np.ndarray

    def __len__(self) -> int:
        return len(self.journey)


@dataclass(frozen=True, slots=True)
class Spread:
    """Word of mouth of a replication's journeys and posts.

    Attributes:
        told_negative, told_positive: per journey, people told in private (int64).
        negative_impressions, positive_impressions: per post, views of the complaint left
            unanswered / seen with a good answer under it.
        reshares: per post, reshares in the post's cascade, all hops (int64).
        pile_ons: per post, comments others added under it (int64).
    """

    told_negative: np.ndarray
    told_positive: np.ndarray
    negative_impressions: np.ndarray
    positive_impressions: np.ndarray
    reshares: np.ndarray
    pile_ons: np.ndarray


@dataclass(frozen=True, slots=True)
class ChurnResult:
    """Who left in one replication.

    Attributes:
        leave_probability: per journey.
        left: per journey, whether the complainant left.
        silent_left: customers with a silent problem who left, by (segment, severity).
        bystanders_reached: the brand's customers (without a problem) who saw a complaint.
        bystanders_left: those of them who left.
        prospects_lost: prospects who heard bad things and stayed away.
        prospects_won: prospects who heard good things and became customers.
    """

    leave_probability: np.ndarray
    left: np.ndarray
    silent_left: np.ndarray
    bystanders_reached: int
    bystanders_left: int
    prospects_lost: int
    prospects_won: int
