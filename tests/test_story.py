"""`simcare story`: one customer's journey told as a timeline, from a replication's records."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import invoke

from simcare.model.records import JourneyEnd, RunRecord
from simcare.model.replication import simulate
from simcare.reports.format import spoken_duration as span
from simcare.reports.pick import Pick
from simcare.reports.story import StoryError, choose, clock, format_story, format_twins, tell
from simcare.reports.story.words import between
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario

FAN = "loyal_fan_deleted_post"
SEED = 2024


@pytest.fixture(scope="module")
def fan() -> Scenario:
    return load_scenario(FAN)


@pytest.fixture(scope="module")
def records(fan: Scenario) -> dict[str, RunRecord]:
    """The loyal-fan case (0.1 s a run) under three policies, same seed and replication."""
    return {
        policy: simulate(fan, SEED, 0, policy)
        for policy in ("delete", "acknowledge_then_private", "ignore")
    }


def after_warmup(record: RunRecord) -> np.ndarray:
    return np.flatnonzero(record.journeys.start_min >= record.warmup_min)


def negative_by_journey(record: RunRecord) -> np.ndarray:
    return np.bincount(
        record.posts.journey,
        weights=record.spread.negative_impressions,
        minlength=len(record.journeys),
    )


# --- picks find what they claim ---


def test_deleted_pick_had_a_post_deleted_and_the_longest_such_journey(
    records: dict[str, RunRecord],
) -> None:
    record = records["delete"]
    j = choose(record, Pick.DELETED)
    posts = record.posts
    deleted = set(posts.journey[np.isfinite(posts.removed_min)].tolist())
    assert j in deleted
    assert record.journeys.start_min[j] >= record.warmup_min
    longest = max(record.journeys.attempts[k] for k in deleted & set(after_warmup(record)))
    assert record.journeys.attempts[j] == longest


def test_churned_pick_left_and_was_the_likeliest_to(records: dict[str, RunRecord]) -> None:
    record = records["delete"]
    j = choose(record, Pick.CHURNED)
    left = after_warmup(record)[record.churn.left[after_warmup(record)]]
    assert record.churn.left[j]
    assert record.churn.leave_probability[j] == record.churn.leave_probability[left].max()


def test_escalated_and_viral_picks(records: dict[str, RunRecord]) -> None:
    record = records["ignore"]
    measured = after_warmup(record)
    j = choose(record, Pick.ESCALATED)
    assert record.journeys.escalations[j] == record.journeys.escalations[measured].max() > 0
    negative = negative_by_journey(record)
    v = choose(record, Pick.VIRAL)
    assert negative[v] == negative[measured].max() > 0


def test_ties_go_to_the_lowest_index_after_the_warm_up(records: dict[str, RunRecord]) -> None:
    record = records["delete"]
    n = len(record.journeys)
    everyone_leaves = dataclasses.replace(
        record.churn, leave_probability=np.ones(n), left=np.ones(n, dtype=bool)
    )
    tied = dataclasses.replace(record, churn=everyone_leaves)
    assert choose(tied, Pick.CHURNED) == after_warmup(record)[0] > 0


def test_a_pick_nobody_fits_says_what_to_try(records: dict[str, RunRecord]) -> None:
    with pytest.raises(StoryError, match=r"deleted under ignore in replication 3; try --pick"):
        choose(records["ignore"], Pick.DELETED, replication=3)


def test_an_unknown_customer_is_a_story_error(fan: Scenario, records: dict[str, RunRecord]) -> None:
    with pytest.raises(StoryError, match="customers 0 to"):
        tell(records["delete"], fan, len(records["delete"].journeys))


# --- the story ---


def test_moments_are_in_time_order_for_every_kind_of_journey(
    fan: Scenario, records: dict[str, RunRecord]
) -> None:
    for record in records.values():
        for j in range(0, len(record.journeys), 7):
            story = tell(record, fan, j)
            minutes = [moment.minute for moment in story.moments]
            assert minutes == sorted(minutes)
            assert minutes[0] == record.journeys.start_min[j]
            assert all(0 <= m <= record.stop_min for m in minutes)


def test_an_open_journey_ends_with_the_run(fan: Scenario, records: dict[str, RunRecord]) -> None:
    record = records["ignore"]
    j = int(np.flatnonzero(record.journeys.end == JourneyEnd.OPEN)[0])
    story = tell(record, fan, j)
    assert story.moments[-1].minute == record.stop_min
    assert "the run ends" in story.moments[-1].text
    assert story.ending == JourneyEnd.OPEN.label


def test_the_numbers_in_the_story_are_the_records(
    fan: Scenario, records: dict[str, RunRecord]
) -> None:
    record = records["delete"]
    j = choose(record, Pick.DELETED)
    story = tell(record, fan, j)
    text = format_story(story)
    posts = np.flatnonzero(record.posts.journey == j)
    spread = record.spread
    assert story.negative_impressions == pytest.approx(spread.negative_impressions[posts].sum())
    assert story.pile_ons == spread.pile_ons[posts].sum()
    for p in posts:  # each post's impressions, as written under it
        assert f"it is seen {round(spread.negative_impressions[p]):,} times" in text
    assert f"{round(story.negative_impressions):,} times" in text
    assert f"{record.churn.leave_probability[j]:.0%}" in text
    told = spread.told_negative[j] or spread.told_positive[j]
    assert f"Tells {told:,} " in text
    assert story.contacts == record.journeys.attempts[j]
    assert story.followers == record.followers[np.flatnonzero(record.journey == j)[0]]
    assert "a moderator deletes the post" in text
    assert clock(story.moments[0].minute) in text


def test_twins_are_the_same_customer_with_the_same_problem(
    fan: Scenario, records: dict[str, RunRecord]
) -> None:
    a, b = records["delete"], records["acknowledge_then_private"]
    # The customers who complain anyway come first; contagion's recruits, listed after them,
    # may differ between policies.
    n = len(a.journeys) - int(a.came_forward.sum())
    assert n == len(b.journeys) - int(b.came_forward.sum())
    assert np.array_equal(a.journeys.start_min[:n], b.journeys.start_min[:n])
    assert np.array_equal(a.journey_segment[:n], b.journey_segment[:n])
    assert np.array_equal(a.journey_severity[:n], b.journey_severity[:n])
    # The first contacts come first in the records, one per journey, in journey order.
    assert np.array_equal(a.journey[:n], np.arange(n))
    assert np.array_equal(b.journey[:n], np.arange(n))
    assert np.array_equal(a.followers[:n], b.followers[:n])
    assert np.array_equal(a.channel[:n], b.channel[:n])

    j = choose(a, Pick.DELETED)
    one, two = tell(a, fan, j), tell(b, fan, j)
    same = ("journey", "segment", "severity", "followers", "first_channel", "start_min")
    assert all(getattr(one, key) == getattr(two, key) for key in same)
    assert one.moments[0] == two.moments[0]
    text = format_twins(one, two, "delete", "acknowledge_then_private")
    assert "Under delete:" in text
    assert "Under acknowledge_then_private:" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_the_same_seed_tells_the_same_story(fan: Scenario) -> None:
    def told() -> str:
        record = simulate(fan, 7, 1, "delete")
        return format_story(tell(record, fan, choose(record, Pick.ESCALATED, 1)))

    assert told() == told()


def test_clock_and_durations_read_as_a_person_says_them() -> None:
    assert clock(0.0) == "Day 1 (Mon), 00:00"
    assert clock(1440 + 9 * 60 + 14.9) == "Day 2 (Tue), 09:14"
    assert clock(6 * 1440 + 30, start_weekday=3) == "Day 7 (Wed), 00:30"
    assert span(0.5) == "30 s"
    assert span(25.2) == "25 min"
    assert span(61) == "1 h 1 min"
    assert span(120) == "2 h"
    assert span(2 * 1440 + 3 * 60 + 10) == "2 days 3 h"
    assert span(1440) == "1 day"
    assert between(60.9, 63.1) == "3 min"  # 01:00 to 01:03, as the clocks read


# --- the command ---


def test_story_command_tells_the_deleted_post() -> None:
    result = invoke("story", FAN, "--pick", "deleted")
    assert result.exit_code == 0, result.output
    assert "deleted" in result.stdout
    assert "Picked (deleted)" in result.stdout
    assert result.stdout == invoke("story", FAN, "--pick", "deleted").stdout


def test_story_command_twin() -> None:
    result = invoke("story", FAN, "-p", "delete", "--customer", "1500", "--twin", "reply_public")
    assert result.exit_code == 0, result.output
    assert "Customer 1,500 " in result.stdout
    assert "Under reply_public:" in result.stdout


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--customer", "100000"], "--customer: expected a customer from 0 to"),
        (["--customer", "-1"], "--customer"),
        (["--customer", "3", "--pick", "viral"], "--customer and --pick"),
        (["--policy", "delet"], "--policy: unknown policy 'delet'"),
        (["--twin", "nope"], "--twin: unknown policy"),
        (["-p", "ignore", "--pick", "deleted"], "--pick: no customer's post was deleted"),
    ],
)
def test_story_command_usage_errors_exit_2(args: list[str], named: str) -> None:
    result = invoke("story", FAN, *args)
    assert result.exit_code == 2
    assert named in result.output


def test_a_journey_cut_off_mid_contact_says_so_once(fan: Scenario) -> None:
    # 9 days 11 h and no drain: the run ends on a Wednesday at 11:00, with agents at work.
    run = dataclasses.replace(fan.run, duration_min=9 * 1440 + 11 * 60, drain_min=0.0)
    short = dataclasses.replace(fan, run=run)
    record = simulate(short, SEED, 0, "delete")
    cut = record.answered & (record.result < 0)
    j = int(record.journey[np.flatnonzero(cut)[0]])
    story = tell(record, short, j)
    assert "the run ends before they finish" in story.moments[-1].text
    assert sum("run ends" in moment.text for moment in story.moments) == 1
