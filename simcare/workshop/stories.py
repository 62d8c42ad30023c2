"""Each team's most telling customer story, beside the same customer under the baseline team."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

import numpy as np

from simcare.model.records import RunRecord
from simcare.model.replication import simulate
from simcare.reports.pick import PICK_REASONS, Pick
from simcare.reports.story import Story, StoryError, busiest, choose, tell
from simcare.scenario import Scenario
from simcare.workshop.decisions import BASELINE_TEAM

__all__ = ["SAVED", "STORY_REPLICATION", "TeamStory", "tell_stories"]

STORY_REPLICATION = 0
"""Each team's story is told from this replication (the same customers for every team)."""


@dataclass(frozen=True, slots=True)
class TeamStory:
    """A team's most telling customer, and the same customer under the baseline team.

    Attributes:
        pick: how the customer was chosen.
        reason: why, in words ("climbed the most channels").
        story: the customer's journey under the team's decisions.
        baseline: the same customer's journey under the baseline team (None for it).
    """

    pick: str
    reason: str
    story: Story
    baseline: Story | None = None


SAVED = "saved"
"""A story pick of this module's own: a customer the baseline team lost and this team kept."""

_SAVED_REASON = (
    f"left the brand under {BASELINE_TEAM} but stayed with this team (of those, the one who "
    "climbed the most channels under the baseline)"
)


def _story_picks(scenario: Scenario, policy: str) -> list[Pick | str]:
    """The picks that tell a team's decisions best, first to last."""
    chosen = scenario.policy(policy)
    actions = {chosen.action_for(channel) for channel in scenario.channels.values()}
    first: list[Pick | str]
    if "delete" in actions:
        first = [Pick.DELETED]  # what deletion does to a customer
    elif actions == {"ignore"}:
        first = [Pick.ESCALATED]  # where an ignored customer goes
    else:
        first = [SAVED, Pick.CHURNED]  # whom the team's answers keep, else whom it still loses
    rest = [p for p in (Pick.CHURNED, Pick.ESCALATED, Pick.DELETED, Pick.VIRAL) if p not in first]
    return [*first, *rest]


def _saved(record: RunRecord, baseline: RunRecord, used: set[int]) -> int | None:
    """The customer the baseline lost and this team kept who climbed highest under the baseline.

    Only customers who complained after the warm-up count, and customers in ``used`` (told
    for another team) only if nobody else fits; ties go to the most negative impressions under
    the baseline, then to the lowest index. Contagion's recruits, listed last, may differ
    between the runs: only the customers listed before them are compared.
    """
    journeys = baseline.journeys
    count = len(journeys)
    before = count - int(baseline.came_forward.sum())
    if len(record.journeys) - int(record.came_forward.sum()) != before or not before:
        return None
    measured = journeys.start_min[:before] >= baseline.warmup_min
    kept = measured & baseline.churn.left[:before] & ~record.churn.left[:before]
    found = np.flatnonzero(kept)
    if not len(found):
        return None
    negative = np.bincount(
        baseline.posts.journey, weights=baseline.spread.negative_impressions, minlength=count
    )
    return min(
        (int(j) for j in found),
        key=lambda j: (j in used, -int(journeys.escalations[j]), -float(negative[j]), j),
    )


def _team_story(
    record: RunRecord,
    scenario: Scenario,
    policy: str,
    baseline: tuple[RunRecord, Scenario] | None,
    used: set[int],
) -> TeamStory | None:
    """The team's most telling customer: the first pick that finds one, else the busiest.

    None when nobody complained in the story's replication.
    """
    journey: int | None = None
    name = reason = ""
    for pick in _story_picks(scenario, policy):
        if pick == SAVED:
            journey = _saved(record, baseline[0], used) if baseline is not None else None
            name, reason = SAVED, _SAVED_REASON
        else:
            try:
                journey = choose(record, Pick(pick), STORY_REPLICATION)
            except StoryError:
                journey = None
            name, reason = str(pick), PICK_REASONS[Pick(pick)]
        if journey is not None:
            break
    if journey is None:
        try:
            journey = busiest(record)
        except StoryError:
            return None
        name, reason = "busiest", "made the most contacts"
    story = tell(record, scenario, journey)
    twin = None
    if baseline is not None:
        with suppress(StoryError):  # the team's story stands without its twin
            twin = tell(*baseline, journey)
    return TeamStory(name, reason, story, twin)


def tell_stories(teams: Sequence[tuple[Scenario, str]], seed: int) -> list[TeamStory | None]:
    """Each team's most telling customer, from replication `STORY_REPLICATION`.

    Args:
        teams: each team's scenario and policy, the baseline team first.
        seed: the base seed the teams ran with.

    Returns:
        One story per team, in the order given (None where nobody complained).
    """

    def record(scenario: Scenario, policy: str) -> RunRecord:
        return simulate(scenario, seed, STORY_REPLICATION, policy)

    # One team's record at a time beside the baseline's: a record can be large.
    base = (record(*teams[0]), teams[0][0])
    told: list[TeamStory | None] = []
    # The "saved" pick avoids a customer already shown; the other picks may repeat one.
    used: set[int] = set()
    for index, (scenario, policy) in enumerate(teams):
        story = _team_story(
            base[0] if index == 0 else record(scenario, policy),
            scenario,
            policy,
            None if index == 0 else base,
            used,
        )
        if story is not None:
            used.add(story.story.journey)
        told.append(story)
    return told
