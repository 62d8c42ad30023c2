"""A channel's attention is a budget shared among the brand's posts in view (issue 16)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from conftest import ScriptedSource

from simcare.core.errors import ScenarioError
from simcare.core.randomness import make_streams
from simcare.model.attention import Feed, attention_between
from simcare.model.replication import Replication
from simcare.scenario import Channel, Mode, Problems, RunSettings, Scenario, Visibility, WordOfMouth
from simcare.scenario_file import load_scenario

AUDIENCE_PER_MIN = 2.0
HOUR = 60.0


def test_posts_in_view_share_the_hour_only_beyond_posts_in_view():
    feed = Feed(channels=1, horizon_min=10 * HOUR, attention_min=2 * HOUR, posts_in_view=2)
    feed.posts(np.zeros(4, dtype=np.int64), np.array([0.0, 10.0, 20.0, 5 * HOUR]))
    assert feed.in_view()[0, :7].tolist() == [3, 3, 2, 0, 0, 1, 1]
    shared = feed.shared_minutes()
    # Three posts up in hours 0-1 (two of them into hour 2): the first draws 2/3 of each of
    # its two hours; a post alone draws all of it.
    whole = attention_between(shared, np.array([0]), np.array([0.0]), np.array([2 * HOUR]))
    assert whole[0] == pytest.approx(2 * HOUR * 2 / 3)
    alone = attention_between(shared, np.array([0]), np.array([5 * HOUR]), np.array([6 * HOUR]))
    assert alone[0] == pytest.approx(HOUR)
    empty = attention_between(shared, np.array([0]), np.array([3.0]), np.array([1.0]))
    assert empty[0] == 0.0


def _wall(posts_in_view: float | None) -> Scenario:
    """One public channel nobody answers; only its own audience sees the posts."""
    return Scenario(
        name="wall",
        problems=Problems(1.0),
        channels={
            "wall": Channel(
                "wall",
                mode=Mode.ASYNC,
                visibility=Visibility.PUBLIC,
                audience_per_min=AUDIENCE_PER_MIN,
            )
        },
        run=RunSettings(duration_min=3 * 24 * HOUR, warmup_min=0.0),
        word_of_mouth=WordOfMouth(
            follower_reach=0.0,
            reshare_share=0.0,
            attention_min=6 * HOUR,
            posts_in_view=posts_in_view,
        ),
    )


def _impressions(scenario: Scenario, times: list[float]) -> np.ndarray:
    source = ScriptedSource(times)
    record = Replication(scenario, make_streams(1, 0), source=source).run()
    return np.asarray(record.spread.negative_impressions)


def test_a_storm_of_posts_shares_the_channels_attention():
    storm = [float(t) for t in np.linspace(0.0, 12 * HOUR, 400)]
    shared = _impressions(_wall(5.0), storm)
    flat = _impressions(_wall(None), storm)
    assert flat.sum() == pytest.approx(400 * 6 * HOUR * AUDIENCE_PER_MIN)
    # The channel gives the brand at most audience × posts_in_view per minute it has posts up.
    assert shared.sum() <= AUDIENCE_PER_MIN * 5 * (12 + 6 + 1) * HOUR
    assert shared.sum() < flat.sum() / 20


def test_few_posts_draw_the_whole_audience():
    calm = [0.0, 10 * HOUR, 20 * HOUR]
    shared = _impressions(_wall(5.0), calm)
    flat = _impressions(_wall(None), calm)
    np.testing.assert_allclose(shared, flat)
    assert shared.tolist() == pytest.approx([6 * HOUR * AUDIENCE_PER_MIN] * 3)


def test_harvesting_in_chunks_does_not_change_the_shares(monkeypatch):
    # Harvest after every journey: a post's share must not depend on when it is worked out.
    storm = [float(t) for t in np.linspace(0.0, 2.5 * 24 * HOUR, 600)]
    whole = _impressions(_wall(3.0), storm)
    monkeypatch.setattr("simcare.model.replication.HARVEST_EVERY", 1)
    chunked = _impressions(_wall(3.0), storm)
    np.testing.assert_allclose(chunked, whole)


def test_posts_in_view_must_be_positive():
    with pytest.raises(ScenarioError, match="posts_in_view"):
        dataclasses.replace(WordOfMouth(), posts_in_view=0.0)


def _whole_run_between(
    channel: np.ndarray, posted: np.ndarray, hours: int, in_view: float, attention: float
) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Attention over [start, stop) worked out over the whole run at once (the plain way)."""
    change = np.zeros((int(channel.max()) + 1, hours + 1), dtype=np.int64)
    fade = np.minimum(posted + attention, 60.0 * (hours - 1))
    np.add.at(change, (channel, (posted // 60).astype(np.int64)), 1)
    np.add.at(change, (channel, np.ceil(fade / 60).astype(np.int64)), -1)
    share = np.minimum(1.0, in_view / np.maximum(np.cumsum(change, axis=1)[:, :hours], 1))
    cumulative = np.zeros((len(change), hours + 1))
    cumulative[:, 1:] = np.cumsum(60.0 * share, axis=1)

    def between(on: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        def at(moment: np.ndarray) -> np.ndarray:
            hour = np.minimum((moment // 60).astype(np.int64), hours - 1)
            rate = (cumulative[on, hour + 1] - cumulative[on, hour]) / 60.0
            return cumulative[on, hour] + (moment - 60.0 * hour) * rate

        return np.where(stop > start, at(stop) - at(np.minimum(start, stop)), 0.0)

    return between


def test_a_settled_feed_gives_the_whole_runs_minutes_to_the_last_bit():
    # Posts over 60 days on 3 channels, a few of them "still open" at every settle; the feed
    # lets the hours go as it settles, yet the attention of every open post and of the recent
    # ones is the whole run's, bit for bit (a sum in another order would differ).
    rng = np.random.default_rng(5)
    days, attention = 60, 30 * HOUR
    horizon = days * 24 * HOUR
    posted = np.sort(rng.uniform(0.0, horizon, 6000))
    channel = rng.integers(0, 3, len(posted))
    is_open = rng.random(len(posted)) < 0.002  # journeys that stay open for weeks
    feed = Feed(channels=3, horizon_min=horizon, attention_min=attention, posts_in_view=4.0)
    for day in range(days):
        today = (posted >= day * 24 * HOUR) & (posted < (day + 1) * 24 * HOUR)
        feed.posts(channel[today], posted[today])
        now = (day + 1) * 24 * HOUR
        feed.settle(now, posted[(is_open | (posted >= now - 3 * 24 * HOUR)) & (posted < now)])
    assert feed.base > (days - 3) * 24  # the old hours went...
    assert len(feed.kept_hours) < 0.5 * days * 24  # ...but for those of the open posts
    asked = is_open | (posted >= horizon - 2 * 24 * HOUR)
    start = posted[asked]
    stop = np.minimum(start + rng.uniform(0.0, attention, len(start)), horizon)
    whole = _whole_run_between(channel, posted, feed.hours, 4.0, attention)
    expected = whole(channel[asked], start, stop)
    found = attention_between(feed.shared_minutes(), channel[asked], start, stop)
    assert np.array_equal(found, expected)
    assert (found < stop - start - 1.0).any()  # some posts shared their hours


def test_a_feed_asked_of_hours_it_let_go_says_so():
    feed = Feed(channels=1, horizon_min=40 * 24 * HOUR, attention_min=HOUR, posts_in_view=2.0)
    feed.posts(np.zeros(2, dtype=np.int64), np.array([HOUR, 30 * 24 * HOUR]))
    feed.settle(20 * 24 * HOUR, np.zeros(0))
    with pytest.raises(ValueError, match="no longer holds"):
        attention_between(feed.shared_minutes(), np.array([0]), np.array([HOUR]), np.array([90.0]))
    with pytest.raises(ValueError, match="no longer held"):
        feed.post(0, HOUR)


def test_the_ledgers_stay_bounded_over_a_long_run(monkeypatch):
    # A year of the groundswell case: the ledgers of posts in view and of unanswered
    # complaints hold a few weeks of hours at most, not the run's 8,760 (they did before).
    case = load_scenario("silence_and_the_groundswell")
    year = dataclasses.replace(case, run=dataclasses.replace(case.run, duration_min=365 * 1440.0))
    monkeypatch.setattr("simcare.model.replication.HARVEST_EVERY", 500)
    replication = Replication(year, make_streams(3, 0))
    replication.run(keep_record=False)
    feed, swell = replication.feed, replication.groundswell
    assert feed is not None
    assert swell is not None
    assert feed.hours > 8760
    assert feed.base > 8760 - 2000
    assert feed.change.shape[1] <= 2048
    assert len(feed.kept_hours) <= 2048
    assert swell.grievances.change.shape[1] <= 512
