"""The calendar of far-future events: the same events in the same order as SimPy's own heap."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from test_harvest import assert_identical, understaffed

from simcare.core.randomness import make_streams
from simcare.model import replication as replication_module
from simcare.model.records import RunRecord
from simcare.model.replication import Replication
from simcare.scenario import Distribution, DistributionKind
from simcare.scenario_file import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def watched_run(replication: Replication) -> tuple[RunRecord, int, int]:
    """The record, and the most events SimPy's heap and the calendar held at a harvest."""
    most = [0, 0]
    harvest = replication._harvest

    def watched(now: float, final: bool = False) -> None:
        held = sum(len(entries) for entries in replication.calendar.values())
        most[0] = max(most[0], len(replication.env._queue))
        most[1] = max(most[1], held)
        harvest(now, final)

    replication._harvest = watched  # type: ignore[method-assign]
    return replication.run(), most[0], most[1]


@pytest.mark.parametrize(
    ("case", "policy"),
    [
        ("no_cross_sell_in_crisis", "solve_then_follow_up"),
        ("silence_and_the_groundswell", "ignore"),
    ],
)
def test_the_calendar_changes_no_event_and_keeps_the_heap_small(
    case: str, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(SCENARIOS / f"{case}.toml")
    scenario = dataclasses.replace(
        scenario, run=dataclasses.replace(scenario.run, duration_min=21 * 1440.0)
    )
    monkeypatch.setattr(replication_module, "HARVEST_EVERY", 500)
    record, heap, held = watched_run(Replication(scenario, make_streams(2, 0), policy=policy))
    monkeypatch.setattr(
        replication_module, "CALENDAR_BUCKET_MIN", math.inf
    )  # every event in SimPy's heap
    plain, plain_heap, plain_held = watched_run(
        Replication(scenario, make_streams(2, 0), policy=policy)
    )
    assert plain_held == 0
    assert held > 0
    assert heap < plain_heap
    assert_identical(record, plain)


def test_ties_keep_the_order_the_events_were_made_in(monkeypatch: pytest.MonkeyPatch) -> None:
    # Constant patience, retry delays and handling times, few agents: many events fall at the
    # very same minute, where the order they were made in decides who is served.
    scenario = understaffed(load_scenario(SCENARIOS / "loyal_fan_deleted_post.toml"))
    constant = Distribution(DistributionKind.CONSTANT, 180.0)
    scenario = dataclasses.replace(
        scenario,
        channels={
            name: dataclasses.replace(channel, patience=constant)
            for name, channel in scenario.channels.items()
        },
        behaviour=dataclasses.replace(scenario.behaviour, retry_delay=constant),
    )
    on = Replication(scenario, make_streams(5, 0), policy="reply_public").run()
    monkeypatch.setattr(replication_module, "CALENDAR_BUCKET_MIN", math.inf)
    off = Replication(scenario, make_streams(5, 0), policy="reply_public").run()
    assert len(on) > 100
    assert_identical(on, off)
