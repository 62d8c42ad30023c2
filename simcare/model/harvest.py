"""Journeys worked out in chunks as they end, then forgotten; and the run's whole record.

A chunk's records, word of mouth and churn are worked out at once, and what the run held for
its journeys is dropped, so that a replication's memory does not grow with its length.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from simcare.model.journeys import assemble_journeys, assemble_posts, public_posts
from simcare.model.loyalty import Heard, leave_probability, public_reach
from simcare.model.records import ChurnResult, Journeys, Posts, RunRecord, Spread, StaffingLog
from simcare.model.state import HeldWindow, RunState, journey_ids
from simcare.model.word_of_mouth import MouthDraws, spread

HARVEST_EVERY = 10_000
"""Journeys begun between harvests (at the start of an arrival window): enough for the
harvest's array work to cost little per journey, few enough to hold little memory."""

_EXTRA_ORDER = 1 << 40
"""Added to a later contact's number to place it after every first contact in the record."""

_PER_CONTACT = frozenset(
    [
        "arrival_min",
        "channel",
        "segment",
        "severity",
        "followers",
        "deadline_min",
        "service_start_min",
        "handle_min",
        "agent",
        "journey",
        "attempt",
        "kind",
        "result",
    ]
)
"""The `RunRecord` fields with a row per contact."""

_SPREAD_PER_POST = {
    "told_negative": False,
    "told_positive": False,
    "negative_impressions": True,
    "positive_impressions": True,
    "reshares": True,
    "pile_ons": True,
}
"""The `Spread` fields, and whether each has a row per post (else per journey)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Chunk:
    """Harvested journeys: their record, and where their rows go in the whole record."""

    record: RunRecord
    journey_ids: np.ndarray
    contact_order: np.ndarray
    post_order: np.ndarray


class Harvest(RunState):
    """Harvesting ended journeys, and the whole record (a mixin of `Replication`)."""

    on_chunk: Callable[[RunRecord], None] | None
    keep_record: bool
    chunks: list[Chunk]
    heard: dict[str, float]

    def _start_harvest(
        self, on_chunk: Callable[[RunRecord], None] | None, keep_record: bool
    ) -> None:
        """Send each chunk to ``on_chunk``, and keep the chunks for the record if asked."""
        self.on_chunk = on_chunk
        self.keep_record = keep_record
        self.chunks = []
        # Views and people told, of the measured journeys harvested so far (`Heard`).
        self.heard = dict.fromkeys(
            ("negative_impressions", "positive_impressions", "told_negative", "told_positive"),
            0.0,
        )

    def _harvest(self, now: float, final: bool = False) -> None:
        """Work out the journeys that have ended by ``now`` (every one left, if ``final``).

        A journey has ended when its latest contact was answered and the handling is over, or
        was not answered and the customer's patience has run out (or it waits, with no limit,
        on a channel nobody answers): a journey's next contact is scheduled at the moment the
        one before it ends, so nothing more can happen to it. Its word of mouth and churn use
        numbers drawn when the complaint arose, so its results do not depend on when it is
        harvested, and the horizon caps them as at the run's end.
        """
        if not self.windows:
            return
        # The windows' rows: each row's journey (ascending), and whether it is still going.
        held = np.concatenate([journey_ids(window) for window in self.windows])
        waiting = np.concatenate([window.open for window in self.windows])
        # The run's columns are read as numpy copies, never views: a view left alive (say in
        # a frame a profiler holds, as Dask's does) would stop the columns from growing.
        extra = _Extras(np.array(self.extra_journey), self._extra_ids())
        ended = waiting if final else waiting & self._ended(now, held, extra)
        at = np.flatnonzero(ended)
        if len(at) == 0:
            return
        chunk, served_rows = self._chunk(held[at], at, extra)
        if self.on_chunk is not None:
            self.on_chunk(chunk.record)
        if self.keep_record:
            self.chunks.append(chunk)
        waiting[at] = False
        self._forget(waiting, extra, served_rows)

    def _ended(self, now: float, held: np.ndarray, extra: _Extras) -> np.ndarray:
        """Whether each journey of the windows' rows (``held``) has ended by ``now``."""
        latest = held.copy()  # contact id of each journey's latest contact
        batches = [window.batch for window in self.windows]
        arrival = np.concatenate([batch.time for batch in batches])
        channel = np.concatenate([batch.channel for batch in batches])
        deadline = np.concatenate([batch.deadline for batch in batches])
        owner = _positions(held, extra.journey)  # each later contact's journey, as a row
        rows = np.flatnonzero(owner >= 0)
        if len(rows):
            # Rows are in scheduling order: a journey's last row is its latest contact.
            backwards = rows[::-1]
            _, first_seen = np.unique(extra.journey[backwards], return_index=True)
            last_rows = backwards[first_seen]
            at = owner[last_rows]
            latest[at] = ~extra.ids[last_rows]
            arrival[at] = np.array(self.extra_arrival)[last_rows]
            channel[at] = np.array(self.extra_channel)[last_rows]
            deadline[at] = np.array(self.extra_deadline)[last_rows]
        served = np.array(self.served_contact)
        order = np.argsort(served)
        where = _positions(served[order], latest)
        answered = where >= 0
        row = order[where[answered]]
        service_end = np.array(self.served_start)[row] + np.array(self.served_handle)[row]
        # Unanswered: over when patience has run out; or, on a channel nobody answers, at once
        # if it never runs out (the journey stays open to the end, and nothing can change it).
        ended = (deadline < now) | (
            (arrival < now) & np.isinf(deadline) & ~self.answered_channel[channel]
        )
        ended[answered] = service_end < now
        if self.feed is not None:
            # Posts share their views with the posts in view at the same hours: wait until the
            # journey's posts have faded, and their last hour is over (`Feed`).
            ended &= arrival + self.feed.attention_min < 60.0 * (now // 60.0)
        return ended

    def _chunk(self, ids: np.ndarray, at: np.ndarray, extras: _Extras) -> tuple[Chunk, np.ndarray]:
        """The record of journeys ``ids`` (sorted; rows ``at`` of the windows), its service rows."""
        extra = np.flatnonzero(_positions(ids, extras.journey) >= 0)
        extra_ids = extras.ids[extra]
        start, handle, agent, taken = self._service(ids, extra, extra_ids)
        # A contact's result counts once its handling is over; a handling that ends at the
        # horizon or later was not (the run stops before events at its end time).
        decided = np.concatenate(
            [np.array(self.first_result)[ids - self.first_base], np.array(self.extra_result)[extra]]
        )
        result = np.where(start + handle < self.horizon, decided, -1).astype(np.int8)
        segment = self._batch_column(at, "segment", np.int16)
        severity = self._batch_column(at, "severity", np.int16)
        followers = self._batch_column(at, "followers", np.int64)
        contacts = self._contacts(ids, at, extra, extras.journey, severity)
        # A contact scheduled after the run's end never arrived: it stays in the records (so
        # its journey counts as open) but is not a contact of this run.
        arrived = contacts["arrival_min"] < self.horizon
        journeys = assemble_journeys(
            contacts=contacts,
            result=result,
            service_start=start,
            handle=handle,
            arrived=arrived,
            n_journeys=len(ids),
            answered_channel=self.answered_channel,
            scenario=self.scenario,
        )
        post_rows, posts = self._posts(contacts, arrived, result, start + handle, followers)
        journey_of = contacts["journey"][arrived]
        record = self._record(
            **{
                name: contacts[name][arrived]
                for name in ("arrival_min", "channel", "deadline_min", "attempt", "kind")
            },
            segment=segment[journey_of],
            severity=severity[journey_of],
            followers=followers[journey_of],
            service_start_min=start[arrived],
            handle_min=handle[arrived],
            agent=agent[arrived],
            journey=journey_of,
            result=result[arrived],
            journeys=journeys,
            journey_segment=segment,
            journey_severity=severity,
            posts=posts,
            spread=self._spread(journeys, posts, at),
            churn=self._churn(journeys, segment, severity, at),
        )
        if self.learning is not None:
            self.learning.ended(self.windows, at, journeys, record.churn.left, self.public_channel)
        # Where each row goes in the whole record: first contacts by journey, then the later
        # contacts in the order they were scheduled.
        order = np.concatenate([self._journey_key(ids), _EXTRA_ORDER + extra_ids])
        return Chunk(record, ids, order[arrived], order[post_rows]), taken

    def _batch_column(self, at: np.ndarray, name: str, dtype: type) -> np.ndarray:
        """A column of the arrival batches, for the journeys at ``at`` from the first window's."""
        if not self.windows:  # the empty record of a run with no journeys left
            return np.zeros(0, dtype=dtype)
        return np.concatenate([getattr(w.batch, name) for w in self.windows])[at].astype(dtype)

    def _service(
        self, ids: np.ndarray, extra: np.ndarray, extra_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Service start, handling time and agent of the contacts, and the service rows used.

        The contacts are the first contacts of journeys ``ids``, then the later ones at rows
        ``extra`` of the extra columns (ids ``extra_ids``); one never served has NaN, NaN, -1.
        """
        first = len(ids)
        size = first + len(extra)
        # Each service row's contact as a row of this chunk (first contacts, then extras).
        served = np.array(self.served_contact)
        later = _positions(extra_ids, ~served)
        local = np.where(
            served >= 0, _positions(ids, served), np.where(later >= 0, later + first, -1)
        )
        taken = np.flatnonzero(local >= 0)
        start = np.full(size, np.nan)
        handle = np.full(size, np.nan)
        agent = np.full(size, -1, dtype=np.int64)
        start[local[taken]] = np.array(self.served_start)[taken]
        handle[local[taken]] = np.array(self.served_handle)[taken]
        agent[local[taken]] = np.array(self.served_agent)[taken]
        return start, handle, agent, taken

    def _contacts(
        self,
        ids: np.ndarray,
        at: np.ndarray,
        extra: np.ndarray,
        extra_journey: np.ndarray,
        severity: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """The contacts of journeys ``ids``: their first contacts, then the later ``extra``."""
        first = len(ids)

        def extras(column: array[Any]) -> np.ndarray:
            return np.array(column)[extra]

        first_anger = np.asarray(self.severity_anger)[severity] if first else np.zeros(0)
        return dict(
            arrival_min=np.concatenate(
                [self._batch_column(at, "time", np.float64), extras(self.extra_arrival)]
            ),
            channel=np.concatenate(
                [self._batch_column(at, "channel", np.int16), extras(self.extra_channel)]
            ),
            deadline_min=np.concatenate(
                [self._batch_column(at, "deadline", np.float64), extras(self.extra_deadline)]
            ),
            journey=np.concatenate([np.arange(first), np.searchsorted(ids, extra_journey[extra])]),
            attempt=np.concatenate([np.zeros(first, np.int8), extras(self.extra_attempt)]),
            kind=np.concatenate([np.zeros(first, np.int8), extras(self.extra_kind)]),
            anger=np.concatenate([first_anger, extras(self.extra_anger)]),
        )

    def _posts(
        self,
        contacts: dict[str, np.ndarray],
        arrived: np.ndarray,
        result: np.ndarray,
        service_end: np.ndarray,
        followers: np.ndarray,
    ) -> tuple[np.ndarray, Posts]:
        """The public posts among the contacts of harvested journeys: their rows, and them."""
        public = np.array([c.public for c in self.scenario.channels.values()])
        rows = public_posts(contacts, arrived, public)
        posts = assemble_posts(
            rows=rows,
            contacts=contacts,
            result=result,
            service_end=service_end,
            followers=followers,
            effects=self.effects,
            behaviour=self.behaviour,
        )
        return rows, posts

    def _spread(self, journeys: Journeys, posts: Posts, at: np.ndarray) -> Spread:
        """Word of mouth of harvested journeys and their posts (``at``: rows of the windows)."""
        scenario = self.scenario
        depth = self.policy.depth
        windows = self.windows
        wom = spread(
            journeys,
            posts,
            MouthDraws.joined([w.mouth for w in windows]).rows(at)
            if windows
            else MouthDraws.empty(self.behaviour.max_attempts),
            np.array([c.audience_per_min for c in scenario.channels.values()]),
            scenario.word_of_mouth,
            self.horizon,
            told_positive_factor=depth.told_positive_factor if depth else 1.0,
            shared_minutes=None if self.feed is None else self.feed.shared_minutes(),
        )
        measured = journeys.start_min >= scenario.run.warmup_min
        measured_posts = measured[posts.journey]
        for name in ("negative_impressions", "positive_impressions"):
            self.heard[name] += float(getattr(wom, name)[measured_posts].sum())
        for name in ("told_negative", "told_positive"):
            self.heard[name] += float(getattr(wom, name)[measured].sum())
        return wom

    def _churn(
        self, journeys: Journeys, segment: np.ndarray, severity: np.ndarray, at: np.ndarray
    ) -> ChurnResult:
        """Which complainants of harvested journeys leave (``at``: rows of the windows)."""
        leave = leave_probability(journeys, segment, severity, self.scenario, self.policy)
        # Drawn with the complaint: a policy raising the probability never has fewer leavers.
        left = np.concatenate([np.zeros(0), *(w.leave for w in self.windows)])[at] < leave
        return ChurnResult(
            leave_probability=leave,
            left=left,
            silent_left=np.zeros_like(self.silent),
            bystanders_reached=0,
            bystanders_left=0,
            prospects_lost=0,
            prospects_won=0,
        )

    def _forget(self, waiting: np.ndarray, extras: _Extras, served_rows: np.ndarray) -> None:
        """Drop the windows, later contacts and service rows of journeys harvested.

        ``waiting``: whether each row of the windows is still going. A window goes when all
        its journeys have ended; the journeys still going of the oldest windows, once at most
        half of their rows are, move into one `HeldWindow`, so that one journey left open
        pins no window. The later contacts of journeys still going move, likewise, to the
        held rows of the extra columns once at most half of the rows are still needed.
        """
        offset = 0
        for window in self.windows:
            window.open = waiting[offset : offset + len(window.open)]
            offset += len(window.open)
        self.windows = [window for window in self.windows if window.open.any()]
        self._hold_windows()
        self.window_first = [window.first for window in self.windows]
        first_kept = self.windows[0].first if self.windows else self.journeys_begun
        del self.first_result[: first_kept - self.first_base]
        self.first_base = first_kept
        kept = np.zeros(len(extras.journey), dtype=bool)  # the rows of journeys still going
        if self.windows:
            held = np.concatenate([journey_ids(window) for window in self.windows])
            owner = _positions(held, extras.journey)
            kept = owner >= 0
            kept[kept] = np.concatenate([w.open for w in self.windows])[owner[kept]]
        if 2 * int(kept.sum()) <= len(kept):
            self._hold_extras(kept, extras.ids)
        if len(served_rows):
            kept = np.ones(len(self.served_contact), dtype=bool)
            kept[served_rows] = False
            for column in (
                self.served_contact,
                self.served_start,
                self.served_handle,
                self.served_agent,
            ):
                _keep_rows(column, kept)

    def _hold_windows(self) -> None:
        """Copy the journeys still going of the oldest windows into one `HeldWindow`.

        The oldest windows, while at most half of each one's rows are still going (and a
        `HeldWindow` before them): a window is copied once at least half of it can go, and a
        harvest copies at most the rows still going.
        """
        count = 0
        for window in self.windows:
            held_before = type(window) is HeldWindow and count == 0
            if not held_before and 2 * int(window.open.sum()) > len(window.open):
                break
            count += 1
        if count > 1 or (
            count == 1 and 2 * int(self.windows[0].open.sum()) <= len(self.windows[0].open)
        ):
            self.windows[:count] = [HeldWindow(self.windows[:count])]

    def _hold_extras(self, kept: np.ndarray, ids: np.ndarray) -> None:
        """Keep only the extra rows ``kept``, all of them as held rows (see `_extra_row`)."""
        next_id = self.extra_base + len(self.extra_journey) - self.extra_held
        for column in (
            self.extra_journey,
            self.extra_attempt,
            self.extra_channel,
            self.extra_kind,
            self.extra_arrival,
            self.extra_deadline,
            self.extra_anger,
            self.extra_result,
        ):
            _keep_rows(column, kept)
        self.extra_base = next_id
        self.held_extra_ids = ids[kept]
        self.extra_held = len(self.held_extra_ids)
        self.held_extra = dict(
            zip(self.held_extra_ids.tolist(), range(self.extra_held), strict=True)
        )

    def _record(self, **columns: Any) -> RunRecord:
        """A `RunRecord` of some journeys: the run-wide fields empty, or as given."""
        scenario = self.scenario
        run_wide: dict[str, Any] = dict(
            end_min=self.arrivals_end,
            stop_min=self.horizon,
            warmup_min=scenario.run.warmup_min,
            channel_names=tuple(scenario.channels),
            team_names=tuple(scenario.teams),
            segment_names=tuple(scenario.segments),
            severity_names=tuple(scenario.severities),
            agent_team=np.asarray(self.agent_team, dtype=np.int64),
            staffing=(),
            silent=np.zeros_like(self.silent),
            silent_told=0,
            problems=0,
            policy=self.policy.name,
        )
        return RunRecord(**{**run_wide, **columns})

    def _whole_record(self) -> RunRecord:
        """The run's record: the chunks kept (none unless ``keep_record``), and run-wide parts.

        Journeys come in order of their complaints, those that contagion started last (so a
        customer is the same journey under every policy); contacts first contacts first, then
        the later contacts as they were scheduled; posts in the order of their contacts.
        """
        nothing = np.zeros(0, np.int64)
        chunks = self.chunks or [self._chunk(nothing, nothing, _Extras(nothing, nothing))[0]]
        self.chunks = []
        parts, by_journey = _in_place(chunks, self._journey_key)
        by_contact = np.argsort(np.concatenate([chunk.contact_order for chunk in chunks]))
        by_post = np.argsort(np.concatenate([chunk.post_order for chunk in chunks]))
        spreads = [part.spread for part in parts]
        churns = [part.churn for part in parts]
        heard = Heard(
            **{**self.heard, "told_negative": self.heard["told_negative"] + self.silent_told}
        )
        reach = public_reach(
            heard,
            sum(self.scenario.customer_base().values()),
            self.problems,
            self.scenario,
            self.streams["loyalty"],
        )
        return self._record(
            **{name: _joined(parts, name, by_contact) for name in _PER_CONTACT},
            journeys=_table(Journeys, [part.journeys for part in parts], by_journey),
            journey_segment=_joined(parts, "journey_segment", by_journey),
            journey_severity=_joined(parts, "journey_severity", by_journey),
            posts=_table(Posts, [part.posts for part in parts], by_post),
            spread=Spread(
                **{
                    name: _joined(spreads, name, by_post if per_post else by_journey)
                    for name, per_post in _SPREAD_PER_POST.items()
                }
            ),
            churn=ChurnResult(
                leave_probability=_joined(churns, "leave_probability", by_journey),
                left=_joined(churns, "left", by_journey),
                silent_left=self.silent_left,
                bystanders_reached=reach.bystanders_reached,
                bystanders_left=reach.bystanders_left,
                prospects_lost=reach.prospects_lost,
                prospects_won=reach.prospects_won,
            ),
            staffing=tuple(
                StaffingLog(np.array(t.duty_time), np.array(t.duty_count)) for t in self.teams
            ),
            silent=self.silent,
            silent_told=self.silent_told,
            problems=self.problems,
            came_forward=np.zeros(0, np.int64)
            if self.groundswell is None
            else self.groundswell.daily.copy(),
        )


def _in_place(
    chunks: list[Chunk], journey_key: Callable[[np.ndarray], np.ndarray]
) -> tuple[list[RunRecord], np.ndarray]:
    """The chunks' records with journeys numbered by their place in the whole record.

    Returns the records and the order of the chunks' journeys, end to end, in the record.
    """
    ids = np.concatenate([chunk.journey_ids for chunk in chunks])
    by_journey = np.argsort(journey_key(ids))
    place = np.empty(max(len(ids), int(ids.max(initial=-1)) + 1), dtype=np.int64)
    place[ids[by_journey]] = np.arange(len(ids))
    # A chunk numbers its journeys from 0; the whole record by the journeys' places.
    parts = [
        dataclasses.replace(
            chunk.record,
            journey=place[chunk.journey_ids[chunk.record.journey]],
            posts=dataclasses.replace(
                chunk.record.posts, journey=place[chunk.journey_ids[chunk.record.posts.journey]]
            ),
        )
        for chunk in chunks
    ]
    return parts, by_journey


@dataclasses.dataclass(frozen=True, slots=True)
class _Extras:
    """The extra columns' rows at a harvest: each one's journey and id (contact ``~id``)."""

    journey: np.ndarray
    ids: np.ndarray


def _keep_rows(column: array[Any], kept: np.ndarray) -> None:
    """Keep only the rows ``kept`` of a column, in place."""
    values = np.array(column)[kept]
    del column[:]
    column.frombytes(values.tobytes())


def _joined(items: list[Any], name: str, order: np.ndarray) -> np.ndarray:
    """The column ``name`` of every item, end to end, in ``order``."""
    return np.concatenate([getattr(item, name) for item in items])[order]


def _table(kind: type, items: list[Any], order: np.ndarray) -> Any:
    """A table of class ``kind`` (a dataclass of columns) joined from ``items`` in ``order``."""
    return kind(**{f.name: _joined(items, f.name, order) for f in dataclasses.fields(kind)})


def _positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The index of each value in the sorted ``keys``, or -1 where it is not there."""
    if len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.where(keys[at] == values, at, -1)
