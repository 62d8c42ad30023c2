"""Robustness: ranges in scenario files, the statistics on known answers, the command."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser import render
from helpers import invoke

from simcare.core.errors import ArgumentError, ScenarioError
from simcare.experiments.robustness import analyse, robustness
from simcare.experiments.robustness_design import plan_robustness
from simcare.experiments.robustness_stats import drivers, split_rule, wilson
from simcare.experiments.sweep import sweep
from simcare.reports.charts import plot_folder
from simcare.reports.report import report_html
from simcare.scenario import DEFAULT_RANGES, Spread
from simcare.scenario_file import dump_scenario, load_scenario, loads_scenario

BRAND = "social_brand"
LIFT = "word_of_mouth.reply_lift"
SEEN = "word_of_mouth.deletion_seen"  # no effect when no policy deletes
PAIR = ["reply_public", "reply_private"]


def _with_uncertainty(tmp_path: Path, table: str) -> Path:
    text = dump_scenario(load_scenario(BRAND)) + "\n[uncertainty]\n" + table + "\n"
    path = tmp_path / "brand.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- [uncertainty] in a scenario file ---


def test_ranges_are_read_and_written_back(tmp_path: Path) -> None:
    path = _with_uncertainty(
        tmp_path,
        f'"{LIFT}" = [1.0, 3.0]\n'
        '"churn.wait_effect" = { spread = "log-uniform", low = 0.1, high = 0.9 }\n'
        '"behaviour.anger.deleted" = { spread = "triangular", low = 1, mode = 2, high = 4 }\n'
        '"segments.customer.annual_value" = [200, 400]',
    )
    scenario = load_scenario(path)
    by_key = {item.key: item for item in scenario.uncertainty}
    assert by_key[LIFT].low == 1.0
    assert by_key[LIFT].high == 3.0
    assert by_key["churn.wait_effect"].spread is Spread.LOG_UNIFORM
    assert by_key["behaviour.anger.deleted"].mode == 2.0
    assert loads_scenario(dump_scenario(scenario)).uncertainty == scenario.uncertainty


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '"word_of_mouth.reply_lfit" = [1, 3]',
            r"unknown key 'reply_lfit'.*did you mean 'reply_lift'",
        ),
        (f'"{LIFT}" = [3, 1]', r"reply_lift\": expected \[LOW, HIGH\] with finite LOW < HIGH"),
        (f'"{LIFT}" = [1, 2, 3]', r"reply_lift\": expected \[LOW, HIGH\], or a table"),
        (f'"{LIFT}" = {{ spread = "normal", low = 1, high = 3 }}', r"did you mean 'uniform'"),
        (f'"{LIFT}" = {{ spread = "log-uniform", low = 0, high = 3 }}', r"LOW > 0"),
        ('"run.policy" = [1, 3]', r"run\.policy\": expected the key of a number"),
        ('"not a key" = [1, 3]', r"expected a dotted scenario key"),
    ],
)
def test_a_bad_range_names_the_file_the_key_and_what_was_expected(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(ScenarioError, match=message) as raised:
        load_scenario(_with_uncertainty(tmp_path, table))
    assert "brand.toml" in str(raised.value)
    assert "uncertainty." in str(raised.value)


def test_worlds_follow_each_spread_and_whole_numbers_stay_whole(tmp_path: Path) -> None:
    staff = "teams.social_desk.shifts.0.agents"
    path = _with_uncertainty(
        tmp_path,
        f'"{staff}" = [1, 5]\n'
        '"word_of_mouth.bystander_churn" = { spread = "log-uniform", low = 0.001, high = 0.1 }\n'
        '"churn.wait_effect" = { spread = "triangular", low = 0, mode = 0.9, high = 1 }',
    )
    keys = [staff, "word_of_mouth.bystander_churn", "churn.wait_effect"]
    plan = plan_robustness(path, inputs=keys, samples=100, replications=2, policies=PAIR)
    worlds = plan.points[1:]
    assert sorted({w[staff] for w in worlds}) == [1, 2, 3, 4, 5]
    assert all(sum(w[staff] == n for w in worlds) == 20 for n in range(1, 6))  # a hypercube
    churn = np.array([w["word_of_mouth.bystander_churn"] for w in worlds])
    assert np.median(churn) == pytest.approx(0.01, rel=0.1)  # log-uniform: the geometric middle
    assert np.mean(churn < 0.01) == 0.5
    wait = np.array([w["churn.wait_effect"] for w in worlds])
    assert np.mean(wait > 0.5) == pytest.approx(1 - 0.5**2 / 0.9, abs=0.02)  # triangular's tail
    assert all(0 <= v <= 1 for v in wait)


def test_every_default_range_is_a_number_of_every_builtin_scenario() -> None:
    for name in ("loyal_fan_deleted_post", BRAND, "textbook_contact_centre"):
        plan = plan_robustness(name, samples=len(DEFAULT_RANGES) + 3, replications=2, policies=[])
        assert plan.keys == [item.key for item in DEFAULT_RANGES]


def test_the_docs_give_every_default_range_and_its_reason() -> None:
    text = (Path(__file__).parents[1] / "docs" / "evidence.md").read_text(encoding="utf-8")
    section = text.split("## Plausible ranges", 1)[1].split("\n## ", 1)[0]
    for item in DEFAULT_RANGES:
        row = next(line for line in section.splitlines() if f"`{item.key}`" in line)
        assert f"{item.low:g} to {item.high:g}" in row, item.key


# --- the statistics, on answers known by construction ---


def test_wilson_interval_matches_the_formula() -> None:
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == pytest.approx(1.0)


def test_prcc_ranks_the_deciding_input_first_and_leaves_a_dead_one_at_zero() -> None:
    rng = np.random.default_rng(7)
    inputs = rng.random((80, 3))
    difference = 3 * inputs[:, 0] - inputs[:, 2] + rng.normal(0, 0.2, 80)
    ranked = drivers(["alive", "dead", "weak"], inputs, difference, np.random.default_rng(1))
    assert [d.key for d in ranked] == ["alive", "weak", "dead"]
    dead = ranked[2]
    assert dead.low < 0 < dead.high
    assert ranked[0].low > 0.8
    assert ranked[1].high < 0


def test_a_perfect_correlation_keeps_its_sign() -> None:
    values = np.linspace(0, 1, 10)[:, None]
    (falling,) = drivers(["x"], values, -values[:, 0], np.random.default_rng(1))
    assert falling.index < -0.99
    assert falling.high < 0


def test_the_rule_finds_a_threshold_and_its_side() -> None:
    values = np.linspace(0, 1, 101)[:, None]
    rule = split_rule(["x"], values, values[:, 0] > 0.42)
    assert rule is not None
    assert rule.key == "x"
    assert not rule.holds_below
    assert rule.threshold == pytest.approx(0.425)
    assert rule.accuracy == 1.0
    assert split_rule(["x"], values, np.ones(101, dtype=bool)) is None


def test_an_input_that_alone_decides_a_verdict_ranks_first_with_its_threshold() -> None:
    """A verdict decided by reply_lift at 2.1 by construction; deletion_seen does nothing."""
    plan = plan_robustness(
        BRAND, policies=PAIR, baseline="reply_private", samples=60, inputs=[LIFT, SEEN]
    )
    noise = np.random.default_rng(3)
    runs = {}
    for point, values in enumerate(plan.points):
        edge = (values[LIFT] - 2.1) * 100.0  # reply_public's extra negative impressions
        runs[point] = {
            "reply_private": [{("impressions_negative", "all"): 1000.0} for _ in range(2)],
            "reply_public": [
                {("impressions_negative", "all"): 1000.0 + edge + noise.normal(0, 1)}
                for _ in range(2)
            ],
        }
    result = analyse(plan, runs, ["impressions_negative"])
    (held,) = result.verdicts
    assert held.policy == "reply_public"
    assert held.drivers[0].key == LIFT
    dead = next(d for d in held.drivers if d.key == SEEN)
    assert dead.low <= 0 <= dead.high
    assert held.rule is not None
    assert held.rule.key == LIFT
    assert held.rule.holds_below
    assert held.rule.threshold == pytest.approx(2.1, rel=0.03)
    assert held.low <= (2.1 - 1.0) / 2.0 <= held.high  # the true share of worlds
    assert held.words.startswith(f"depends on {LIFT}: reply_public is better below 2.1")


def test_a_study_names_a_missing_input_and_too_few_worlds() -> None:
    with pytest.raises(ArgumentError, match="reply_lift"):
        plan_robustness(BRAND, inputs=["word_of_mouth.reply_lft"])
    with pytest.raises(ArgumentError, match="too few worlds"):
        plan_robustness(BRAND, samples=5)


# --- end to end ---


@pytest.mark.slow
def test_a_flip_a_plain_sweep_finds_is_found_and_a_dead_input_stays_at_zero() -> None:
    swept = sweep(BRAND, [f"{LIFT}=1,3"], policies=PAIR, replications=5)
    low_lift, high_lift = (
        swept.estimate(point, "reply_public", "impressions_negative").mean
        - swept.estimate(point, "reply_private", "impressions_negative").mean
        for point in (0, 1)
    )
    assert low_lift < 0 < high_lift  # public better at 1, private at 3: the flip
    result = robustness(
        BRAND, PAIR, "reply_private", samples=24, replications=4, inputs=[LIFT, SEEN],
        outcomes=["impressions_negative"],
    )  # fmt: skip
    (held,) = result.verdicts
    assert held.drivers[0].key == LIFT
    assert held.rule is not None
    assert held.rule.key == LIFT
    assert 1.0 < held.rule.threshold < 3.0
    assert held.rule.holds_below
    dead = next(d for d in held.drivers if d.key == SEEN)
    assert dead.low <= 0 <= dead.high


def _json(*args: str | Path) -> Any:
    result = invoke("robustness", BRAND, "-p", ",".join(PAIR), "--inputs", LIFT, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_answer_on_any_worker_count_and_after_resume(
    tmp_path: Path,
) -> None:
    options = ("-n", "6", "-r", "2", "--format", "json")
    alone = _json(*options, "-w", "1")
    folder = tmp_path / "study"
    assert _json(*options, "-w", "2", "--out", str(folder)) == alone
    # A study killed after some worlds: its parts stay, the manifest and verdicts are gone.
    for name in ("manifest.json", "robustness.json", "parts/point-0003.csv"):
        (folder / name).unlink()
    resumed = invoke("robustness", "--resume", folder, "--format", "json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout) == alone
    assert json.loads((folder / "robustness.json").read_text(encoding="utf-8")) == alone
    assert alone["verdicts"]
    assert not math.isnan(alone["verdicts"][0]["share"])
    # The report and the plots carry the verdicts.
    page = report_html(folder)
    assert "Robustness: do the verdicts hold" in page
    assert all(v["words"] in html.unescape(page) for v in alone["verdicts"])
    drawn = {path.name for path in plot_folder(folder, formats=["png"])}
    assert {"tornado_impressions_negative.png", "driver_impressions_negative.png"} <= drawn


def test_the_report_renders_in_headless_chromium_without_errors(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    _json("-n", "6", "-r", "2", "-w", "1", "--format", "json", "--out", str(folder))
    report = tmp_path / "report.html"
    report.write_text(report_html(folder), encoding="utf-8")
    shown = render(report, tmp_path / "report.png")
    assert shown.problems == []
    assert "depends on word_of_mouth.reply_lift" in shown.text
    assert len(shown.chart_widths) == 4  # a tornado and a driver chart per outcome
    assert all(900 < width <= 1100 for width in shown.chart_widths)


def test_compare_points_to_robustness_when_a_verdict_rests_on_illustrative_values() -> None:
    result = invoke("compare", BRAND, "-p", ",".join(PAIR), "-r", "3")
    assert result.exit_code == 0, result.output
    assert f"simcare robustness {BRAND}" in result.stdout.replace("\n", " ")


def test_the_command_refuses_mistakes_with_a_message() -> None:
    result = invoke("robustness", BRAND, "--inputs", "word_of_mouth.reply_lft")
    assert result.exit_code == 2
    assert "did you mean 'word_of_mouth.reply_lift'" in result.output
    result = invoke("robustness", BRAND, "--outcomes", "churn")
    assert result.exit_code == 2
    assert "unknown outcome" in result.output
    result = invoke("robustness")
    assert result.exit_code == 2
    assert "SCENARIO" in result.output
