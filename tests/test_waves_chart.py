"""The complaints-over-time chart: a line per policy, its points the folder's daily means."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tomli_w
from helpers import invoke

from simcare.experiments.design import apply_point
from simcare.reports.charts import PlotError
from simcare.reports.charts.waves import OUTCOME, complaints_chart
from simcare.reports.report import report_html
from simcare.results.read import read_results
from simcare.scenario_file import load_scenario_data

POLICIES = ("ignore", "acknowledge_then_private")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The groundswell case cut to five days, compared under two policies."""
    base = tmp_path_factory.mktemp("waves")
    data, _, _ = load_scenario_data("silence_and_the_groundswell")
    path = base / "swell.toml"
    path.write_text(tomli_w.dumps(apply_point(data, {"run.duration": "5d"})), encoding="utf-8")
    out = base / "compare"
    result = invoke("compare", path, "-p", ",".join(POLICIES), "-r", "3", "-w", "1", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_each_policy_is_a_line_through_its_daily_means(folder: Path) -> None:
    results = read_results(folder)
    figure = complaints_chart(results)
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    assert set(lines) == {"ignore (baseline)", "acknowledge_then_private"}
    for policy in POLICIES:
        line = lines["ignore (baseline)" if policy == "ignore" else policy]
        days = [f"day:{d}" for d in range(1, 6)]
        expected = [results.row(policy, OUTCOME, day).mean for day in days]
        np.testing.assert_allclose(line.get_ydata(), expected)
        np.testing.assert_array_equal(line.get_xdata(), range(1, 6))


def test_the_report_shows_it(folder: Path) -> None:
    assert "complaints over time" in report_html(folder)


def test_a_folder_without_days_is_refused(folder: Path) -> None:
    results = read_results(folder)
    bare = type(results)(
        **{**results.__dict__, "rows": tuple(r for r in results.rows if r.outcome != OUTCOME)}
    )
    with pytest.raises(PlotError, match=OUTCOME):
        complaints_chart(bare)
