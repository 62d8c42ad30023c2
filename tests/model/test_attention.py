"""A channel's attention is a budget shared among the brand's posts in view (issue 16)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import ScriptedSource

from simcare.core.errors import ScenarioError
from simcare.core.randomness import make_streams
from simcare.model.attention import Feed, attention_between
from simcare.model.replication import Replication
from simcare.scenario import Channel, Mode, Problems, RunSettings, Scenario, Visibility, WordOfMouth

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
