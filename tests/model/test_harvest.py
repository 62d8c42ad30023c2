"""Harvesting: journeys worked out as they end give the same records as at the run's end."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simcare.core.randomness import make_streams
from simcare.experiments.replicate import simulate_outcomes, simulate_replication
from simcare.metrics import binning
from simcare.metrics.series import hourly_series
from simcare.metrics.tally import outcomes
from simcare.model import replication as replication_module
from simcare.model.records import RunRecord
from simcare.model.replication import HARVEST_EVERY, Replication
from simcare.scenario import Scenario
from simcare.scenario_file import load_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))
RICH = Path(__file__).resolve().parents[2] / "scenarios" / "no_cross_sell_in_crisis.toml"
GROUNDSWELL = RICH.with_name("silence_and_the_groundswell.toml")


def record(scenario: Scenario, seed: int, policy: str, *, during: bool) -> RunRecord:
    """A run's record, harvested during the run or (``during`` False) only at its end."""
    replication = Replication(scenario, make_streams(seed, 0), policy=policy)
    if not during:
        harvest = replication._harvest
        replication._harvest = lambda now, final=False: harvest(now, final) if final else None  # type: ignore[method-assign]
    return replication.run()


def assert_identical(a: Any, b: Any, path: str = "record") -> None:
    if dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_identical(getattr(a, field.name), getattr(b, field.name), f"{path}.{field.name}")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def understaffed(scenario: Scenario) -> Scenario:
    """Every shift with one agent: queues and backlogs that last for days."""
    teams = {
        name: dataclasses.replace(
            team, shifts=tuple(dataclasses.replace(s, agents=1) for s in team.shifts)
        )
        for name, team in scenario.teams.items()
    }
    return dataclasses.replace(scenario, teams=teams)


# Where customers learn, the harvest is when a customer's memory of a journey is written:
# harvested only at the end, nobody would learn. Those cases are left out on purpose.
CASES = [
    (path.stem, policy)
    for path in SCENARIOS
    if not load_scenario(path).learning.enabled
    for policy in load_scenario(path).policy_names
]


@pytest.mark.parametrize(("case", "policy"), CASES)
def test_harvesting_during_the_run_changes_nothing(
    case: str, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        replication_module, "HARVEST_EVERY", 1
    )  # at every window: as often as it can
    scenario = load_scenario(next(p for p in SCENARIOS if p.stem == case))
    for variant in (scenario, understaffed(scenario)):
        during = record(variant, 1, policy, during=True)
        assert_identical(during, record(variant, 1, policy, during=False))
    assert len(during.journeys) > 0


def test_a_long_run_keeps_only_the_journeys_still_going() -> None:
    # Four months of the richest case (about 1,100 complaints a day): at every harvest, the
    # windows (days) still held are those since the last harvest and a few more.
    scenario = load_scenario(RICH)
    scenario = dataclasses.replace(
        scenario, run=dataclasses.replace(scenario.run, duration_min=120 * 1440.0)
    )
    replication = Replication(scenario, make_streams(0, 0), policy="solve_then_follow_up")
    held: list[tuple[int, int]] = []
    harvest = replication._harvest

    def watched(now: float, final: bool = False) -> None:
        held.append((len(replication.windows), len(replication.extra_journey)))
        harvest(now, final)

    replication._harvest = watched  # type: ignore[method-assign]
    chunks: list[int] = []
    replication.run(lambda chunk: chunks.append(len(chunk.journeys)), keep_record=False)
    days_between = HARVEST_EVERY / (replication.journeys_begun / 120)
    assert 10 <= len(held) <= 20
    assert max(windows for windows, _ in held) <= days_between + 5
    assert max(extras for _, extras in held) < 0.15 * replication.extra_base
    assert sum(chunks) == replication.journeys_begun


def test_journeys_left_open_pin_no_window_under_ignore() -> None:
    # Ignored, some customers wait for months (a long patience tail): their journeys stay
    # open, and used to keep every later window. Now the windows' rows stay within the
    # journeys since the last harvest plus those still going (copied out), run after run.
    scenario = load_scenario(RICH)
    scenario = dataclasses.replace(
        scenario, run=dataclasses.replace(scenario.run, duration_min=120 * 1440.0)
    )
    replication = Replication(scenario, make_streams(0, 0), policy="ignore")
    held: list[tuple[int, int, int]] = []
    harvest = replication._harvest

    def watched(now: float, final: bool = False) -> None:
        harvest(now, final)
        rows = sum(len(window.open) for window in replication.windows)
        still_going = sum(int(window.open.sum()) for window in replication.windows)
        held.append((rows, still_going, len(replication.extra_journey)))

    replication._harvest = watched  # type: ignore[method-assign]
    replication.run(lambda chunk: None, keep_record=False)
    assert replication.journeys_begun > 10 * HARVEST_EVERY
    assert len(held) >= 10
    for rows, still_going, extras in held[:-1]:
        assert still_going > 0  # some journeys are always still going
        assert rows <= 2 * still_going + HARVEST_EVERY // 2
        assert extras <= HARVEST_EVERY
    assert held[-1] == (0, 0, held[-1][2])


@pytest.mark.parametrize("policy", ["delete", "reply_public"])
def test_contagion_finds_a_post_among_the_held_later_contacts(
    policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over 20 days, some later contacts are moved into held rows (`_hold_extras`) before a
    # deletion or a visible answer takes their post out of the contagion, which then reads
    # when the post went up from the held rows: the same record as harvesting at the end.
    monkeypatch.setattr(replication_module, "HARVEST_EVERY", 300)
    case = load_scenario(GROUNDSWELL)
    scenario = dataclasses.replace(
        case, run=dataclasses.replace(case.run, duration_min=20 * 1440.0)
    )
    replication = Replication(scenario, make_streams(11, 0), policy=policy)
    quieten = replication._quieten
    held: list[int] = []

    def watched(contact: int, channel: int, result: int) -> None:
        if contact < 0 and ~contact < replication.extra_base:  # a held row
            held.append(contact)
        quieten(contact, channel, result)

    replication._quieten = watched  # type: ignore[method-assign]
    during = replication.run()
    assert held
    assert_identical(during, record(scenario, 11, policy, during=False))


def test_outcomes_and_series_without_the_record_are_those_with_it() -> None:
    scenario = load_scenario(RICH)
    for policy in scenario.policy_names:
        done = simulate_replication(scenario, 4, 2, policy, series=True, keep_record=True)
        assert done.record is not None
        assert done.series is not None
        alone = simulate_outcomes(scenario, 4, 2, policy)
        assert alone.keys() == done.outcomes.keys()
        assert alone == pytest.approx(done.outcomes, nan_ok=True, rel=0, abs=0)
        # One tally of the whole record: the same numbers, summed in another order.
        at_once = outcomes(done.record, scenario)
        assert at_once.keys() == done.outcomes.keys()
        for key, value in done.outcomes.items():
            assert at_once[key] == pytest.approx(value, rel=1e-9, nan_ok=True), key
        if policy != "ignore":  # ignoring, nobody hears back: no quantile to compare
            assert not math.isnan(done.outcomes[("first_response_p90_min", "all")])
        whole = hourly_series(done.record, scenario.word_of_mouth.attention_min)
        assert whole.values.keys() == done.series.values.keys()
        for key, values in done.series.values.items():
            np.testing.assert_allclose(values, whole.values[key], rtol=1e-9, atol=1e-9)


def test_quantiles_binned_beyond_the_exact_limit_are_within_half_a_tenth_of_a_percent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With the limit at 1,000 values, a week of the richest case (about 15,000 contacts) is
    # binned almost at once; its medians and p90s against the exact ones of the same run.
    scenario = load_scenario(RICH)
    exact = simulate_outcomes(scenario, 3, 0, "solve_then_follow_up")
    monkeypatch.setattr(binning, "EXACT_VALUES", 1_000)
    binned = simulate_outcomes(scenario, 3, 0, "solve_then_follow_up")
    quantiles = [key for key in exact if key[0].endswith(("_median_min", "_p90_min"))]
    assert len(quantiles) == 4 * (1 + len(scenario.channels))
    compared = 0
    for key in quantiles:
        if math.isnan(exact[key]):
            assert math.isnan(binned[key]), key
            continue
        assert binned[key] == pytest.approx(exact[key], rel=5e-4, abs=1e-4), key
        compared += exact[key] > 0
    assert compared >= 8
    assert binned != exact  # binned, not exact: the limit took effect
    others = [key for key in exact if key not in quantiles]
    assert {key: binned[key] for key in others} == pytest.approx(
        {key: exact[key] for key in others}, nan_ok=True
    )
