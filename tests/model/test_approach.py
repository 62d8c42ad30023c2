"""Approach in store: store staff take a geotagged channel's contacts, and only its approaches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import QUEUE_ONLY, ScriptedSource, always, constant

from simcare.core.randomness import make_streams
from simcare.model.replication import Replication
from simcare.scenario import Channel, Mode, Problems, RunSettings, Scenario, Team, Visibility
from simcare.scenario.policy import ActionHandling, Policy

SOCIAL, STORE = 0, 1
"""Agent ids: the social desk's one agent comes first, then the store's (teams in order)."""


def store(
    store_agents: int = 1,
    store_channels: tuple[str, ...] = ("post",),
    brand_owned: bool = False,
    **actions: float,
) -> Scenario:
    """A phone line and a geotagged post channel; a social desk and store staff; two policies.

    The social desk answers posts in 10 minutes; the store staff walk up in 2 (and answer the
    phone in 3, if they serve it).
    """
    channels = {
        "phone": Channel("phone"),
        "post": Channel(
            "post",
            mode=Mode.ASYNC,
            visibility=Visibility.PUBLIC,
            brand_owned=brand_owned,
            geotagged=True,
            approach_team="store",
        ),
    }
    handle = {"phone": constant(3.0), "post": constant(2.0)}
    return Scenario(
        name="store",
        problems=Problems(1.0),
        channels=channels,
        teams={
            "social": Team("social", ("post",), {"post": constant(10.0)}, always(1)),
            "store": Team(
                "store",
                store_channels,
                {name: handle[name] for name in store_channels},
                always(store_agents),
            ),
        },
        run=RunSettings(duration_min=100.0),
        behaviour=QUEUE_ONLY,
        policies={"walk_up": Policy("walk_up", actions={"post": "approach_in_store"})},
        actions=ActionHandling(**actions),
    )


def run(scenario: Scenario, source: ScriptedSource, policy: str):
    return Replication(scenario, make_streams(0, 0), source, policy).run()


def test_approach_contacts_are_served_by_the_store_staff_alone():
    # The social desk is idle throughout, yet every post waits for the one store agent.
    record = run(store(), ScriptedSource([0.0, 1.0, 2.0], channels=[1, 1, 1]), "walk_up")
    assert record.agent.tolist() == [STORE] * 3
    np.testing.assert_array_equal(record.service_start_min, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(record.handle_min, [2.0, 2.0, 2.0])


def test_under_another_action_the_store_staff_leave_the_channel_alone():
    record = run(store(), ScriptedSource([0.0, 1.0], channels=[1, 1]), "reply_private")
    assert record.agent.tolist() == [SOCIAL, SOCIAL]
    np.testing.assert_array_equal(record.service_start_min, [0.0, 10.0])  # store staff idle


def test_store_staff_still_serve_their_other_channels_as_usual():
    scenario = store(store_channels=("phone", "post"))
    for policy in ("walk_up", "reply_private"):
        record = run(scenario, ScriptedSource([0.0, 1.0], channels=[0, 1]), policy)
        expected_post_agent = STORE if policy == "walk_up" else SOCIAL
        assert record.agent.tolist() == [STORE, expected_post_agent], policy


def test_with_no_store_staff_on_duty_approach_contacts_wait():
    source = ScriptedSource([0.0, 5.0], patience=[math.inf, 30.0], channels=[1, 1])
    record = run(store(store_agents=0), source, "walk_up")
    assert record.answered.tolist() == [False, False]  # the idle social desk does not step in
    assert record.abandoned.tolist() == [False, True]
    np.testing.assert_array_equal(record.wait_min, [record.stop_min, 30.0])  # waits to the stop


@pytest.mark.parametrize(
    ("policy", "key", "factor"),
    [
        ("walk_up", "approach_factor", 1.5),
        ("delete", "delete_factor", 0.5),
        ("reply_public", "reply_public_factor", 0.75),
        ("acknowledge_then_private", "acknowledge_factor", 1.25),
    ],
)
def test_each_actions_handling_factor_scales_its_handling_time(policy, key, factor):
    scenario = store(brand_owned=True, **{key: factor})  # brand-owned: the post may be deleted
    record = run(scenario, ScriptedSource([0.0], channels=[1]), policy)
    base = 2.0 if policy == "walk_up" else 10.0
    assert record.handle_min[0] == pytest.approx(base * factor)


def test_the_default_handling_keeps_the_old_constants():
    scenario = store()
    assert scenario.actions == ActionHandling(0.2, 1.0, 1.0, 1.1, 1.0)
    record = run(scenario, ScriptedSource([0.0], channels=[1]), "acknowledge_then_private")
    assert record.handle_min[0] == pytest.approx(11.0)
