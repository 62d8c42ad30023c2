"""Complaint journeys: the random numbers they draw up front, and the records built after a run.

The records are the journeys themselves and their posts on public channels, both built from a
replication's contacts.

Everything here is numpy over whole arrays; the simulation itself is in `replication`.
"""

from __future__ import annotations

from enum import IntEnum
from types import SimpleNamespace
from typing import TypeVar

import numpy as np

from simcare.model.problems import ArrivalBatch
from simcare.model.records import RESOLVED_ENDS, Cause, JourneyEnd, Journeys, Posts
from simcare.scenario import Behaviour, Channel, Mode, Scenario
from simcare.scenario.policy import Effect, Failure

ArrayOrFloat = TypeVar("ArrayOrFloat", float, np.ndarray)


def act_probability(behaviour: Behaviour, anger: ArrayOrFloat) -> ArrayOrFloat:
    """Probability that a customer this angry tries again after a failure (works on arrays)."""
    return -np.expm1(-behaviour.persistence * anger)


class ContactKind(IntEnum):
    """What a contact is: a complaint (first or later), a screenshot repost, a follow-up."""

    COMPLAINT = 0
    REPOST = 1
    FOLLOW_UP = 2


class Result(IntEnum):
    """How an answered contact ended (-1 in the records: not finished by the end of the run)."""

    RESOLVED = 0
    UPDATED = 1  # resolved in private, and the customer updated their public post
    INTRUDED = 2  # resolved, but the customer felt watched
    UNRESOLVED = 3
    DELETED = 4
    FOLLOW_UP = 5


DRAWS = SimpleNamespace(
    act=0,
    escalate=1,
    resolve=2,
    special=3,
    update=4,
    follow_up=5,
    delay_e=6,
    patience_e=7,
    handle_e=8,
    delay_z=9,
    patience_z=10,
    handle_z=11,
    size=12,
)
"""Columns of a journey's draws per contact: 6 uniforms, 3 standard exponentials, 3 normals."""


def draw_block(rng: np.random.Generator, complaints: int, attempts: int) -> np.ndarray:
    """Draw every random number the journeys of a batch may need, by (complaint, attempt).

    The block's size depends only on the number of complaints, so every policy and staffing
    level meets customers who make the same choices (common random numbers).
    """
    shape = (complaints, attempts)
    block = np.concatenate(
        [
            rng.random((*shape, 6)),
            rng.standard_exponential((*shape, 3)),
            rng.standard_normal((*shape, 3)),
        ],
        axis=2,
    )
    return block.astype(np.float32)  # half the memory; plenty of precision for choices


class EffectTable:
    """A policy's effects per channel as arrays, to decide many responses at once."""

    def __init__(self, effects: list[Effect], behaviour: Behaviour) -> None:
        self.removes_post = np.array([e.removes_post for e in effects])
        self.resolves = np.array([e.resolves for e in effects])
        self.may_intrude = np.array([e.may_intrude for e in effects])
        self.may_update = np.array([e.may_update for e in effects])
        self.behaviour = behaviour


def response_results(table: EffectTable, channel: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """What answering each contact does (a `Result`), from its channel and its draws.

    ``draws`` holds one row of the journey's draws per contact (the contact's attempt).
    """
    behaviour = table.behaviour
    fixed = table.resolves[channel] & (draws[:, DRAWS.resolve] < behaviour.resolve_share)
    intruded = table.may_intrude[channel] & (draws[:, DRAWS.special] < behaviour.intrusion_share)
    updated = table.may_update[channel] & (draws[:, DRAWS.update] < behaviour.update_share)
    result = np.select(
        [table.removes_post[channel], ~fixed, intruded, updated],
        [Result.DELETED, Result.UNRESOLVED, Result.INTRUDED, Result.UPDATED],
        Result.RESOLVED,
    )
    return result.astype(np.int8)


def first_attempt_acts(
    batch: ArrivalBatch,
    draws: np.ndarray,
    answered: np.ndarray,
    severity_anger: list[float],
    behaviour: Behaviour,
) -> np.ndarray:
    """Whether each first contact would act (retry or escalate) if its patience ran out.

    Only these get a patience timer; the others give up quietly (lazy abandonment).
    """
    if behaviour.max_attempts < 2:
        return np.zeros(len(batch), dtype=bool)
    steps = behaviour.anger_steps
    step = np.where(answered[batch.channel], steps[Failure.WAITED], steps[Failure.IGNORED])
    anger = np.asarray(severity_anger, dtype=float)[batch.severity] + step
    act = act_probability(behaviour, anger)
    return np.isfinite(batch.deadline) & (draws[:, 0, DRAWS.act] < act)


def repost_targets(channels: list[Channel], code: dict[str, int]) -> list[int]:
    """For each channel, where a deleted post is reposted (-1: nowhere).

    That is the first public channel the brand does not own along the channel's escalation
    ladder, else the first such channel of the scenario.
    """
    outside = [i for i, c in enumerate(channels) if c.public and not c.brand_owned]
    targets = []
    for channel in channels:
        seen = {channel.name}
        step = channel.escalate_to
        target = outside[0] if outside else -1
        while step is not None and step not in seen:
            seen.add(step)
            rung = channels[code[step]]
            if rung.public and not rung.brand_owned:
                target = code[step]
                break
            step = rung.escalate_to
        targets.append(target)
    return targets


FAILURE_OF_END = {
    JourneyEnd.WAITED: Failure.WAITED,
    JourneyEnd.IGNORED: Failure.IGNORED,
    JourneyEnd.UNRESOLVED: Failure.UNRESOLVED,
    JourneyEnd.DELETED: Failure.DELETED,
    JourneyEnd.INTRUDED: Failure.INTRUDED,
}


def end_steps(behaviour: Behaviour) -> np.ndarray:
    """The anger step of the failure each `JourneyEnd` code records (0 for a fix, or open)."""
    steps = np.zeros(len(JourneyEnd))
    for ending, failure in FAILURE_OF_END.items():
        steps[ending] = behaviour.anger_steps[failure]
    return steps


def assemble_journeys(
    contacts: dict[str, np.ndarray],
    result: np.ndarray,
    service_start: np.ndarray,
    handle: np.ndarray,
    arrived: np.ndarray,
    n_journeys: int,
    answered_channel: np.ndarray,
    scenario: Scenario,
) -> Journeys:
    """One row per journey, from every contact scheduled in the run (arrived or not)."""
    journey = contacts["journey"]
    kind = contacts["kind"]
    complaint = kind != ContactKind.FOLLOW_UP
    rows, last = _complaint_rows(contacts, complaint)
    start_min = contacts["arrival_min"][:n_journeys]
    end, end_min = _journey_ends(
        contacts, last, result, service_start, handle, arrived, answered_channel, scenario
    )

    anger = contacts["anger"][last] + end_steps(scenario.behaviour)[end]

    counted = arrived & complaint
    answered = counted & ~np.isnan(service_start) & (result != Result.DELETED)
    escalations, went_public = _moves(contacts, rows, arrived, n_journeys, scenario)
    first_channel = contacts["channel"][:n_journeys]
    first_response = _first_responses(
        contacts, answered, service_start + handle, service_start, n_journeys, scenario
    )
    cause = _causes(
        contacts,
        result,
        service_start,
        counted,
        answered_channel,
        end,
        first_response - start_min,
        first_channel,
        scenario,
    )
    return Journeys(
        start_min=start_min,
        end=end,
        end_min=end_min,
        anger=anger,
        attempts=np.bincount(journey[counted], minlength=n_journeys),
        answered=np.bincount(journey[answered], minlength=n_journeys),
        escalations=escalations,
        went_public=went_public,
        follow_ups=np.bincount(
            journey[arrived & (kind == ContactKind.FOLLOW_UP)], minlength=n_journeys
        ),
        channel=first_channel,
        first_response_min=first_response,
        cause=cause,
    )


def _complaint_rows(
    contacts: dict[str, np.ndarray], complaint: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The complaints' rows by journey then attempt, and each journey's last complaint."""
    journey = contacts["journey"]
    rows = np.flatnonzero(complaint)
    rows = rows[np.lexsort((contacts["attempt"][rows], journey[rows]))]
    owner = journey[rows]
    is_last = np.ones(len(owner), dtype=bool)
    is_last[:-1] = owner[1:] != owner[:-1]
    return rows, rows[is_last]  # one per journey, in journey order (each has a contact)


def _moves(
    contacts: dict[str, np.ndarray],
    rows: np.ndarray,
    arrived: np.ndarray,
    n_journeys: int,
    scenario: Scenario,
) -> tuple[np.ndarray, np.ndarray]:
    """Each journey's moves to another channel, and whether it went from private to public.

    ``rows`` are the complaints (not follow-ups), by journey and then attempt.
    """
    owner = contacts["journey"][rows]
    channel = contacts["channel"]
    moved = np.zeros(len(rows), dtype=bool)
    moved[1:] = (owner[1:] == owner[:-1]) & (channel[rows][1:] != channel[rows][:-1])
    moved &= arrived[rows]
    public = np.array([c.public for c in scenario.channels.values()])
    later_public = arrived[rows] & public[channel[rows]] & (contacts["attempt"][rows] > 0)
    reached_public = np.bincount(owner[later_public], minlength=n_journeys) > 0
    went_public = ~public[channel[:n_journeys]] & reached_public
    return np.bincount(owner[moved], minlength=n_journeys), went_public


def _first_responses(
    contacts: dict[str, np.ndarray],
    answered: np.ndarray,
    service_end: np.ndarray,
    service_start: np.ndarray,
    n_journeys: int,
    scenario: Scenario,
) -> np.ndarray:
    """When a person first answered each journey (NaN: nobody did before the run ended).

    On a live channel the customer hears back when the answer begins; on an async one when
    the reply is sent, at the end of the handling. A deletion is not an answer.
    """
    live = np.array([c.mode is Mode.LIVE for c in scenario.channels.values()])
    at = np.where(live[contacts["channel"]], service_start, service_end)
    heard = answered & (at < scenario.stop_min)
    first = np.full(n_journeys, np.inf)
    np.minimum.at(first, contacts["journey"][heard], at[heard])
    return np.where(np.isinf(first), np.nan, first)


def _causes(
    contacts: dict[str, np.ndarray],
    result: np.ndarray,
    service_start: np.ndarray,
    counted: np.ndarray,
    answered_channel: np.ndarray,
    end: np.ndarray,
    response_wait: np.ndarray,
    first_channel: np.ndarray,
    scenario: Scenario,
) -> np.ndarray:
    """The worst thing that happened in each journey (a `Cause`), from all its contacts."""
    journey, n = contacts["journey"], len(end)
    gave_up = counted & np.isnan(service_start) & (contacts["deadline_min"] < scenario.stop_min)
    on_answered = answered_channel[contacts["channel"]]
    stuck = counted & np.isinf(contacts["deadline_min"])  # with no limit: see `_journey_ends`

    def any_of(happened: np.ndarray) -> np.ndarray:
        return np.bincount(journey[happened], minlength=n) > 0

    expected = np.array([c.expected_response for c in scenario.channels.values()])
    # Never answered counts as late too: the wait ran past what anyone expects.
    late = ~(response_wait <= expected[first_channel])
    worst = [
        (Cause.DELETED, any_of(counted & (result == Result.DELETED))),
        (Cause.IGNORED, any_of(~on_answered & (gave_up | stuck))),
        (Cause.WAITED, any_of(gave_up & on_answered)),
        (Cause.INTRUDED, any_of(counted & (result == Result.INTRUDED))),
        (Cause.OPEN, end == JourneyEnd.OPEN),
        (Cause.UNRESOLVED, ~np.isin(end, RESOLVED_ENDS)),
        (Cause.LATE, late),
    ]
    cause = np.full(n, Cause.PROBLEM, dtype=np.int8)
    for code, happened in reversed(worst):  # the worst written last, so it stays
        cause[happened] = code
    return cause


def _journey_ends(
    contacts: dict[str, np.ndarray],
    last: np.ndarray,
    result: np.ndarray,
    service_start: np.ndarray,
    handle: np.ndarray,
    arrived: np.ndarray,
    answered_channel: np.ndarray,
    scenario: Scenario,
) -> tuple[np.ndarray, np.ndarray]:
    """How and when each journey ended, from its last contact (``last``, in journey order)."""
    n_journeys = len(last)
    horizon = scenario.stop_min
    start_min = contacts["arrival_min"][:n_journeys]
    service_end = service_start + handle
    end = np.full(n_journeys, JourneyEnd.OPEN, dtype=np.int8)
    end_min = np.full(n_journeys, horizon)
    came = arrived[last]
    finished = result[last]
    resolved = came & np.isin(finished, (Result.RESOLVED, Result.UPDATED))
    quick = service_end[last] - start_min <= scenario.behaviour.quick_min
    end[resolved & quick] = JourneyEnd.RESOLVED_QUICKLY
    end[resolved & ~quick] = JourneyEnd.RESOLVED
    for code, ending in (
        (Result.INTRUDED, JourneyEnd.INTRUDED),
        (Result.UNRESOLVED, JourneyEnd.UNRESOLVED),
        (Result.DELETED, JourneyEnd.DELETED),
    ):
        end[came & (finished == code)] = ending
    done = came & (finished >= 0)
    end_min[done] = service_end[last][done]
    deadline = contacts["deadline_min"][last]
    gave_up = came & np.isnan(service_start[last]) & (deadline < horizon)
    on_answered = answered_channel[contacts["channel"][last]]
    end[gave_up & on_answered] = JourneyEnd.WAITED
    end[gave_up & ~on_answered] = JourneyEnd.IGNORED
    end_min[gave_up] = deadline[gave_up]
    # Waiting with no limit on a channel nobody answers: nothing can come of it, so the
    # journey is over at the horizon, ignored, not open.
    end[came & ~on_answered & np.isinf(deadline)] = JourneyEnd.IGNORED
    return end, end_min


def public_posts(
    contacts: dict[str, np.ndarray], arrived: np.ndarray, public: np.ndarray
) -> np.ndarray:
    """The rows of the contacts that are complaints posted on a public channel during the run."""
    kind = contacts["kind"]
    return np.flatnonzero(arrived & public[contacts["channel"]] & (kind != ContactKind.FOLLOW_UP))


def assemble_posts(
    rows: np.ndarray,
    contacts: dict[str, np.ndarray],
    result: np.ndarray,
    service_end: np.ndarray,
    followers: np.ndarray,
    effects: list[Effect],
    behaviour: Behaviour,
) -> Posts:
    """One row per public post, from its contact's row (`public_posts`)."""
    channel = contacts["channel"][rows]
    kind = contacts["kind"]
    outcome = result[rows]
    end = service_end[rows]
    visible = np.array([e.visible_answer for e in effects])[channel]
    lifts = np.array([e.lifts_visibility for e in effects])[channel]
    fixed = np.isin(outcome, (Result.RESOLVED, Result.INTRUDED))
    good = (fixed & visible) | (outcome == Result.UPDATED)
    answered = (outcome >= 0) & (outcome != Result.DELETED)
    never = np.full(len(rows), np.inf)
    return Posts(
        journey=contacts["journey"][rows],
        attempt=contacts["attempt"][rows],
        channel=channel,
        followers=followers[contacts["journey"][rows]],
        posted_min=contacts["arrival_min"][rows],
        removed_min=np.where(outcome == Result.DELETED, end, never),
        good_answer_min=np.where(good, end, never),
        lift_min=np.where(lifts & answered, end, never),
        amplification=np.where(
            kind[rows] == ContactKind.REPOST, behaviour.repost_amplification, 1.0
        ),
    )
