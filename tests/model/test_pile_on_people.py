"""Pile-ons as people: moderators' work on brand-owned channels, and the fan's commenters."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simcare.core.errors import ScenarioError
from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario_file import load_scenario, loads_scenario

_CASE = load_scenario("loyal_fan_deleted_post")
UNMODERATED = dataclasses.replace(
    _CASE, run=dataclasses.replace(_CASE.run, duration_min=10 * 1440.0)
)
# A minute to read each comment and decide whether to hide or answer it.
FAN = dataclasses.replace(
    UNMODERATED,
    word_of_mouth=dataclasses.replace(UNMODERATED.word_of_mouth, moderation_min=1.0),
)


@pytest.mark.parametrize("policy", ["delete", "reply_public", "ignore"])
def test_moderators_read_the_comments_on_the_brands_own_channels(policy: str) -> None:
    record = simulate(FAN, 4, 0, policy)
    values = outcomes(record, FAN)
    plain = outcomes(simulate(UNMODERATED, 4, 0, policy), UNMODERATED)
    owned = [c.brand_owned and c.public for c in FAN.channels.values()]
    on_owned = record.spread.pile_ons[np.asarray(owned)[record.posts.channel]]
    measured = record.journeys.start_min[record.posts.journey] >= record.warmup_min
    comments = float(record.spread.pile_ons[measured].sum())
    assert comments > 0
    hours = values[("moderation_hours", "all")]
    if policy == "ignore":  # nobody watches the wall: nobody moderates it
        assert hours == 0
    else:
        assert 0 < hours <= float(on_owned.sum()) * FAN.word_of_mouth.moderation_min / 60
    # Moderation is paid: the total cost grows by exactly its cost, and nothing else moves.
    extra = values[("total_cost", "all")] - plain[("total_cost", "all")]
    assert extra == pytest.approx(values[("moderation_cost", "all")])
    assert values[("pile_ons", "all")] == plain[("pile_ons", "all")]
    assert ("moderation_hours", "all") not in plain


def test_the_fans_commenters_with_the_same_problem_join_the_journeys() -> None:
    record = simulate(_CASE, 4, 0, "ignore")
    recruits = int(record.came_forward.sum())
    assert recruits > 0
    major = list(_CASE.severities).index("major")
    assert (record.journey_severity[len(record.journeys) - recruits :] == major).all()


def test_a_negative_moderation_time_names_the_key() -> None:
    text = '[problems]\nrate = "10/h"\n[channels.wall]\nvisibility = "public"\nmode = "async"\n'
    text += '[word_of_mouth]\nmoderation = "-1min"\n'
    with pytest.raises(ScenarioError, match=r"word_of_mouth\.moderation"):
        loads_scenario(text, "brand.toml")
