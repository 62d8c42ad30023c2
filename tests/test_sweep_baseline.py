"""A sweep's baseline point: paired differences between points, total cost, the table and files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import STAFF, invoke, short_fan

from simcare.core.errors import ArgumentError
from simcare.experiments.replicate import run_replications
from simcare.experiments.sweep import plan_sweep, run_sweep
from simcare.experiments.sweep_baseline import resolve_baseline

POINTS = [{"a.agents": 1, "b.agents": 2}, {"a.agents": 2, "b.agents": 2}]
KEYS = ["a.agents", "b.agents"]


def test_a_baseline_point_is_its_number_or_its_settings() -> None:
    assert resolve_baseline(None, POINTS, KEYS) is None
    assert resolve_baseline("1", POINTS, KEYS) == 1
    assert resolve_baseline(0, POINTS, KEYS) == 0
    assert resolve_baseline("a.agents=2", POINTS, KEYS) == 1
    assert resolve_baseline("a.agents=1,b.agents=2", POINTS, KEYS) == 0
    assert resolve_baseline("a.agents=2.0", POINTS, KEYS) == 1  # numbers by value
    lifts = [{"word_of_mouth.reply_lift": 1.5}, {"word_of_mouth.reply_lift": 2}]
    assert resolve_baseline("reply_lift=2.0", lifts, ["word_of_mouth.reply_lift"]) == 1


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ("2", r"expected a point from 0 to 1"),
        ("b.agents=2", r"2 points have these settings \(b\.agents takes 2\)"),
        ("a.agents=7", r"no point has these settings \(a\.agents takes 1, 2\)"),
        ("agents=1", r"agents is not a swept key; they are a\.agents, b\.agents"),
        ("a.agents", r"expected N or KEY=VALUE"),
        ("a.agents=1,a.agents=2", r"a swept key is given twice"),
    ],
)
def test_a_baseline_point_that_picks_no_single_point_is_refused(chosen: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        resolve_baseline(chosen, POINTS, KEYS)


def test_points_share_customers_and_differ_by_one_agent_s_cost(tmp_path: Path) -> None:
    plan = plan_sweep(
        short_fan(tmp_path),
        f"{STAFF}=1:3:1",
        policies=["reply_public"],
        replications=4,
        baseline_point=f"{STAFF.rsplit('.', 1)[-1]}=1",
    )
    assert plan.baseline_point == 0
    result = run_sweep(plan)
    # The same customers at every point: the problems they have do not depend on the staff.
    problems = result.difference(2, "reply_public", "problems")
    assert problems is not None
    assert problems.estimate.mean == 0
    assert problems.estimate.std == 0
    # Two more agents 8 h a weekday at $40 (with 15% shrinkage paid on top) cost exactly that
    # much more in every replication; total cost adds nothing else under reply_public.
    cost = result.difference(2, "reply_public", "total_cost")
    staff = result.difference(2, "reply_public", "staff_cost")
    assert cost is not None
    assert staff is not None
    assert cost.estimate.mean == pytest.approx(staff.estimate.mean)
    assert cost.estimate.mean > 0
    assert cost.better == 0
    # A paired difference's mean is the difference of the means.
    net = result.difference(1, "reply_public", "net_value")
    assert net is not None
    means = [result.estimate(p, "reply_public", "net_value").mean for p in (1, 0)]
    assert net.estimate.mean == pytest.approx(means[0] - means[1])
    assert result.difference(0, "reply_public", "net_value") is None  # the baseline itself
    frame = result.to_frame()
    assert {"baseline_point", "difference", "better_in", "call"} <= set(frame.columns)


def test_total_cost_is_staff_plus_compensation(tmp_path: Path) -> None:
    run = run_replications(short_fan(tmp_path), 2, policy="refund_and_apologise")
    for outcomes in run.per_replication:
        paid = outcomes[("compensation_paid", "all")]
        assert paid > 0  # a refund of 120 for every resolved journey
        assert outcomes[("total_cost", "all")] == pytest.approx(
            outcomes[("staff_cost", "all")] + paid
        )


def _summary(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_sweep_command_writes_and_prints_differences_from_the_baseline(
    tmp_path: Path,
) -> None:
    out = tmp_path / "sweep"
    fan = short_fan(tmp_path)
    args = ["sweep", fan, "--set", f"{STAFF}=1,2", "-p", "reply_public", "-r", "3", "-w", "1"]
    result = invoke(*args, "--baseline-point", f"{STAFF}=2", "--outcomes", "total_cost", "-o", out)
    assert result.exit_code == 0, result.output
    assert "baseline" in result.stdout
    assert "Δ −$" in result.stdout  # one agent fewer costs less
    assert "better 3/3" in result.stdout
    rows = {(r["point"], r["outcome"]): r for r in _summary(out) if r["scope"] == "all"}
    cheaper = rows[("0", "total_cost")]
    assert cheaper["baseline_point"] == "1"
    assert float(cheaper["difference"]) == pytest.approx(
        float(cheaper["mean"]) - float(rows[("1", "total_cost")]["mean"])
    )
    assert cheaper["call"] == "better"
    assert rows[("1", "total_cost")]["difference"] == ""  # the baseline itself
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["baseline_point"] == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["baseline_point"] == 1
    report = invoke("report", out)
    assert report.exit_code == 0, report.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "paired difference from point 1" in page


def test_a_sweep_without_baseline_keeps_its_summary_columns(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    fan = short_fan(tmp_path)
    result = invoke("sweep", fan, "--set", f"{STAFF}=1,2", "-r", "2", "-w", "1", "-o", out)
    assert result.exit_code == 0, result.output
    assert "difference" not in _summary(out)[0]


def test_a_bad_baseline_point_or_outcome_exits_2_naming_it(tmp_path: Path) -> None:
    fan = short_fan(tmp_path)
    args = ["sweep", fan, "--set", f"{STAFF}=1,2", "-r", "2", "-o", tmp_path / "out"]
    bad_point = invoke(*args, "--baseline-point", "agents=9")
    assert bad_point.exit_code == 2
    assert "--baseline-point" in bad_point.output
    assert "agents takes 1, 2" in bad_point.output
    bad_outcome = invoke(*args, "--outcomes", "total_costs")
    assert bad_outcome.exit_code == 2
    assert "total_costs" in bad_outcome.output


def test_a_hand_edited_baseline_point_is_refused_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    fan = short_fan(tmp_path)
    args = ["sweep", fan, "--set", f"{STAFF}=1,2", "-r", "2", "-w", "1", "-o", out]
    assert invoke(*args, "--baseline-point", "0").exit_code == 0
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    plan["baseline_point"] = 5
    (out / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    resumed = invoke("sweep", "--resume", out)
    assert resumed.exit_code == 3
    assert "baseline_point: expected a point from 0 to 1, found 5" in resumed.output


def test_the_trade_off_is_on_total_cost_and_numbers_its_points_past_six(tmp_path: Path) -> None:
    from simcare.reports.charts.tradeoff import tradeoff_axes, tradeoff_chart
    from simcare.results.read import read_results

    out = tmp_path / "sweep"
    staff = "teams.agents.agents"
    args = ["sweep", "textbook_contact_centre", "--set", f"{staff}=10:17:1", "-r", "2", "-w", "1"]
    assert invoke(*args, "-o", out).exit_code == 0
    results = read_results(out)
    assert tradeoff_axes(results) == ("total_cost", 1.0, results.label("total_cost"))
    figure = tradeoff_chart(results)
    chart, beside = figure.axes
    listed = "\n".join(text.get_text() for text in beside.texts)
    assert listed.startswith("Best trade-offs")
    assert "agents=17" in listed  # every point named once, beside the chart
    numbers = [text.get_text() for text in chart.texts]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]  # on the chart: numbers only
    assert len(numbers) > 6


def test_trade_off_labels_name_keys_by_what_tells_them_apart() -> None:
    from simcare.reports.charts.tradeoff import distinct_keys

    social, email = "teams.social_desk.shifts.0.agents", "teams.email_desk.shifts.0.agents"
    assert distinct_keys([social, email]) == ["social_desk", "email_desk"]
    assert distinct_keys([social]) == ["agents"]
    assert distinct_keys(["problems.rate", "run.duration"]) == ["problems.rate", "run.duration"]
