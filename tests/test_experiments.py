"""Compare and sweep as a library: paired differences, verdicts, precision, executors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from helpers import FAN, STAFF, short_fan

from simcare.core.stats import estimate
from simcare.experiments import compare as compare_module
from simcare.experiments import execution
from simcare.experiments.compare import Call, compare, paired, verdict
from simcare.experiments.engine import Precision, run_points
from simcare.experiments.execution import SerialExecutor, chunk_size
from simcare.experiments.sweep import plan_sweep, run_sweep
from simcare.metrics import Outcomes
from simcare.scenario_file import load_scenario


def same_outcomes(a: list[Outcomes], b: list[Outcomes]) -> bool:
    """Equal value for value, NaN equal to NaN (a NaN from another process is another object)."""
    return len(a) == len(b) and all(
        x.keys() == y.keys()
        and all(x[k] == y[k] or (math.isnan(x[k]) and math.isnan(y[k])) for k in x)
        for x, y in zip(a, b, strict=True)
    )


def runs(**per_policy: list[float]) -> dict[str, list[Outcomes]]:
    """Hand-made per-replication values of one outcome (complainant churn) per policy."""
    return {
        policy: [{("complainant_churn_rate", "all"): v} for v in values]
        for policy, values in per_policy.items()
    }


# --- paired differences and verdicts, on hand-made numbers ---


def test_paired_difference_is_the_estimate_of_per_replication_differences() -> None:
    values = runs(a=[0.5, 0.6, 0.7, math.nan], b=[0.6, 0.6, 0.9, 0.8])
    diff = paired("a", "b", values, "complainant_churn_rate")
    expected = estimate([-0.1, 0.0, -0.2])  # the NaN replication drops out of the pairs
    assert diff.pairs == 3
    assert diff.estimate.mean == pytest.approx(expected.mean)
    assert diff.estimate.half_width == pytest.approx(expected.half_width)
    assert diff.better == 2  # lower churn is better; a tie is not better


@pytest.mark.parametrize(
    ("mine", "theirs", "call"),
    [
        ([0.50, 0.51, 0.49, 0.50], [0.60, 0.62, 0.59, 0.61], Call.BETTER),
        ([0.60, 0.62, 0.59, 0.61], [0.50, 0.51, 0.49, 0.50], Call.WORSE),
        ([0.50, 0.70, 0.40, 0.60], [0.60, 0.50, 0.50, 0.55], Call.TOO_CLOSE),
        ([0.50, math.nan], [0.60, 0.70], Call.UNDEFINED),
    ],
)
def test_a_difference_is_called_only_when_its_interval_excludes_zero(
    mine: list[float], theirs: list[float], call: Call
) -> None:
    assert paired("a", "b", runs(a=mine, b=theirs), "complainant_churn_rate").call is call


def test_a_verdict_names_the_best_and_tests_it_against_baseline_and_next_best() -> None:
    values = runs(
        base=[0.8, 0.82, 0.79],
        good=[0.6, 0.61, 0.62],
        best=[0.5, 0.52, 0.49],
    )
    found = verdict("complainant_churn_rate", "base", values)
    assert found.best == "best"
    assert found.against_baseline is not None
    assert found.against_baseline.other == "base"
    assert found.against_next is not None
    assert found.against_next.other == "good"
    assert found.against_baseline.call is Call.BETTER


def test_when_the_baseline_is_best_the_verdict_tests_it_against_the_next() -> None:
    found = verdict("complainant_churn_rate", "base", runs(base=[0.1, 0.2], other=[0.5, 0.6]))
    assert found.best == "base"
    assert found.against_baseline is None
    assert found.against_next is not None
    assert found.against_next.policy == "base"


# --- precision: how many replications a point gets ---


def test_precision_asks_for_replications_in_proportion_to_the_squared_width_ratio() -> None:
    rng = np.random.default_rng(1)
    values = runs(a=list(rng.normal(0.5, 0.1, 10)))
    width = estimate([v[("complainant_churn_rate", "all")] for v in values["a"]]).half_width
    target = Precision("complainant_churn_rate", width / 2, max_replications=1000)
    assert target.next_count(values) in (40, 41)  # 10 × (2)², up to rounding of the ratio
    assert Precision("complainant_churn_rate", width * 1.01).next_count(values) == 10
    assert (
        Precision("complainant_churn_rate", width / 100, max_replications=50).next_count(values)
        == 50
    )


def test_compare_with_a_target_stops_when_the_interval_is_narrow_enough(tmp_path: Path) -> None:
    scenario = load_scenario(short_fan(tmp_path))
    target = Precision("complainant_churn_rate", 0.03, max_replications=40)
    found = compare(scenario, ["delete", "reply_public"], "delete", 3, precision=target)
    widths = [found.estimate(p, "complainant_churn_rate").half_width for p in found.policies]
    assert found.replications > 3 or max(widths) <= 0.03
    assert max(widths) <= 0.03 or found.replications == 40
    # The policies always share their replications (and so their customers).
    assert {len(v) for v in found.per_replication.values()} == {found.replications}


# --- compare on the model ---


def test_compare_pairs_the_same_replications_and_reports_every_policy(tmp_path: Path) -> None:
    scenario = load_scenario(short_fan(tmp_path))
    found = compare(scenario, ["reply_public", "ignore"], baseline="delete", replications=4)
    assert found.policies == ("delete", "reply_public", "ignore")
    diff = found.difference("ignore", "complainant_churn_rate")
    by_hand = [
        a[("complainant_churn_rate", "all")] - b[("complainant_churn_rate", "all")]
        for a, b in zip(
            found.per_replication["ignore"], found.per_replication["delete"], strict=True
        )
    ]
    assert diff.estimate.mean == pytest.approx(float(np.mean(by_hand)))
    # Every replication meets the same customers, so the complaints that arise are the same
    # (contagion's recruits, the fan's commenters with the same problem, apart).
    complaints = {
        p: [
            v[("journeys", "all")] - v[("contagion_journeys", "all")]
            for v in found.per_replication[p]
        ]
        for p in found.policies
    }
    assert complaints["delete"] == complaints["ignore"] == complaints["reply_public"]
    assert [v.outcome for v in found.verdicts] == list(compare_module.KEY_OUTCOMES)


def test_compare_refuses_an_unknown_policy() -> None:
    with pytest.raises(ValueError, match=r"unknown policy 'nope'.*reply_public"):
        compare(load_scenario(FAN), ["nope"])


def test_same_numbers_in_process_and_in_a_process_pool(tmp_path: Path) -> None:
    scenario = load_scenario(short_fan(tmp_path))
    alone = compare(scenario, ["delete", "reply_public"], "delete", 4, workers=1)
    pooled = compare(scenario, ["delete", "reply_public"], "delete", 4, workers=2)
    assert alone.executor == "serial"
    assert pooled.executor.startswith("processes")
    for policy in alone.policies:
        assert same_outcomes(alone.per_replication[policy], pooled.per_replication[policy])


# --- the engine ---


def test_chunks_aim_for_several_tasks_per_worker_and_never_cross_a_point() -> None:
    assert chunk_size(1000, 1, 20) == 1
    assert chunk_size(1000, 2, 20) == 20  # 1000 runs / 16 tasks is more than a point has
    assert chunk_size(160, 2, 20) == 10
    assert chunk_size(10**6, 8, 10**4) == execution.MAX_CHUNK


def test_a_failing_point_is_recorded_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = load_scenario(short_fan(tmp_path, days=2))
    broken = load_scenario(short_fan(tmp_path, days=3))
    real = execution.simulate_outcomes

    def simulate(s, seed, replication, policy):  # type: ignore[no-untyped-def]
        if s is broken and replication == 1:
            raise ZeroDivisionError("a bug at this point")
        return real(s, seed, replication, policy)

    monkeypatch.setattr(execution, "simulate_outcomes", simulate)
    finished = []
    found = run_points(
        [(0, scenario), (1, broken), (2, scenario)],
        ["delete"],
        2024,
        3,
        SerialExecutor(),
        on_point=finished.append,
    )
    assert sorted(run.point for run in finished) == [0, 1, 2]
    assert found[1].error is not None
    assert "ZeroDivisionError: a bug at this point" in found[1].error
    assert found[1].values == {}
    assert found[0].error is None
    assert len(found[0].values["delete"]) == 3
    assert same_outcomes(found[0].values["delete"], found[2].values["delete"])


def test_sweep_points_share_replications_across_staffing(tmp_path: Path) -> None:
    plan = plan_sweep(short_fan(tmp_path), [f"{STAFF}=1,3"], policies=["delete"], replications=3)
    assert plan.points == ({STAFF: 1}, {STAFF: 3})
    result = run_sweep(plan)
    one, three = (result.runs[i].values["delete"] for i in (0, 1))
    # Same customers at both points: the complaints that arise are the same.
    assert [v[("journeys", "all")] for v in one] == [v[("journeys", "all")] for v in three]
    first_response = [
        result.estimate(i, "delete", "first_response_median_min").mean for i in (0, 1)
    ]
    assert first_response[1] < first_response[0]


def test_a_sweep_takes_a_scenario_as_well_as_a_file(tmp_path: Path) -> None:
    """A `Scenario` is swept by the keys of its resolved file (`dump_scenario`)."""
    from simcare.experiments.sweep import sweep
    from simcare.scenario_file import dump_scenario, load_scenario

    scenario = load_scenario("textbook_contact_centre")
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(dump_scenario(scenario), encoding="utf-8")
    settings = ["teams.agents.shifts.0.agents=12,14"]
    by_file = sweep(resolved, settings, replications=2, seed=3)
    by_value = sweep(scenario, settings, replications=2, seed=3)
    assert by_value.plan.points == by_file.plan.points
    for point in (0, 1):
        assert by_value.plan.scenario(point) == by_file.plan.scenario(point)
        assert by_value.summary.where(point=point) == by_file.summary.where(point=point)
    assert [by_value.plan.scenario(p).teams["agents"].max_headcount for p in (0, 1)] == [12, 14]
    assert by_value.plan.source == "scenario textbook_contact_centre"
