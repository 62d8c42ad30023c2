"""Policies that act alike in a scenario, and why: no channel allows what tells them apart.

On a scenario with no public channel, `delete`, `reply_public` and `acknowledge_then_private`
all answer in private, as `reply_private` does: a comparison shows them identical, and the
reader deserves the reason rather than a table of zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simcare.scenario.policy import ACTIONS, ApproachInStore, Delete
from simcare.scenario.scenario import Scenario


def _conduct(scenario: Scenario, name: str) -> tuple[Any, ...]:
    """All a policy changes in a run: its effect on each channel, and its modifiers."""
    policy = scenario.policy(name)
    channels = tuple(
        (
            ACTIONS[policy.action_for(channel)].effect(channel, scenario.actions),
            policy.action_for(channel) == ApproachInStore.key,  # which team serves it
            policy.hours.get(channel.name),
        )
        for channel in scenario.channels.values()
    )
    modifiers = (policy.priority, policy.compensation, policy.cross_sell, policy.follow_up)
    return (channels, *modifiers, policy.depth)


def alike_policies(scenario: Scenario, names: Sequence[str]) -> list[list[str]]:
    """Groups of two or more of ``names`` that act exactly alike on this scenario's channels.

    Policies that act alike face the same customers (common random numbers), so every outcome
    comes out identical.
    """
    groups: dict[tuple[Any, ...], list[str]] = {}
    for name in names:
        groups.setdefault(_conduct(scenario, name), []).append(name)
    return [group for group in groups.values() if len(group) > 1]


def why_alike(scenario: Scenario, group: Sequence[str]) -> str:
    """Why the policies of ``group`` act alike here, and what would tell them apart."""
    public = [channel for channel in scenario.channels.values() if channel.public]
    if not public:
        return (
            "no channel is public, so there is no post to delete, answer in public or "
            "acknowledge, and each answers in private. A public channel (visibility = "
            '"public", as `simcare init` writes) would tell them apart'
        )
    deletable = [channel for channel in public if Delete().refuses(channel) is None]
    if not deletable and any(scenario.policy(name).based_on == Delete.key for name in group):
        return (
            "no public channel is brand-owned, so delete has no post it may remove and "
            "answers in private. A public channel with brand_owned = true would tell them apart"
        )
    return "they do the same on every channel of this scenario, with the same modifiers"


def alike_notes(scenario: Scenario, names: Sequence[str]) -> list[str]:
    """A sentence for each group of alike policies among ``names`` (none if all differ)."""
    return [
        f"{', '.join(group[:-1])} and {group[-1]} come out identical: {why_alike(scenario, group)}."
        for group in alike_policies(scenario, names)
    ]
