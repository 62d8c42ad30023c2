"""Hour-by-hour series of a replication: queues, agents, unanswered posts, impressions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simcare.metrics.binning import amount_in_bins, queue_intervals, step_integral, time_in_bins
from simcare.model.records import RunRecord


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
        queue_start, queue_end = queue_intervals(record)
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
            on_duty = step_integral(log.time_min, log.on_duty.astype(float), edges)
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
