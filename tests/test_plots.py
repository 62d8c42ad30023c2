"""Charts of output folders: the files written, what the charts show, and clear errors."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from helpers import STAFF, invoke, short_fan
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from simcare.reports.charts import PlotError, comparison_chart, difference_chart, plot_folder
from simcare.reports.charts.style import DPI, OKABE_ITO
from simcare.reports.charts.sweeps import heatmap_chart, sweep_chart
from simcare.reports.charts.timeseries import timeseries_chart
from simcare.reports.charts.tradeoff import pareto_front, tradeoff_chart
from simcare.results.read import Series, read_results, read_timeseries
from simcare.results.write import CHART_LIST

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
POLICIES = ("delete", "reply_public", "ignore")  # delete is the case's own policy: the baseline
KEY = ("escalated_share", "complainant_churn_rate", "impressions_negative", "net_value")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def visible_axes(figure: Figure) -> list[Axes]:
    figure.draw_without_rendering()  # tick labels exist once drawn
    return [ax for ax in figure.axes if ax.get_visible()]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A compare, a run, a one-key and a two-key sweep of the loyal fan cut to four days."""
    base = tmp_path_factory.mktemp("folders")
    fan = short_fan(base)
    made = {name: base / name for name in ("compare", "run", "sweep1", "sweep2")}
    runs = [
        ("compare", fan, "-p", ",".join(POLICIES), "-r", "3", "-w", "1", "-o", made["compare"]),
        ("run", fan, "-r", "3", "-o", made["run"]),
        ("sweep", fan, "--set", f"{STAFF}=1:3:1", "-p", "delete,reply_public", "-r", "3",
         "-w", "1", "-o", made["sweep1"]),
        ("sweep", fan, "--set", f"{STAFF}=1:2:1", "--set", "behaviour.persistence=0.3,0.6",
         "-p", "delete,reply_public", "-r", "3", "-w", "1", "-o", made["sweep2"]),
    ]  # fmt: skip
    for args in runs:
        result = invoke(*args)
        assert result.exit_code == 0, result.output
    return made


def ytick_texts(ax: Axes) -> list[str]:
    """The y tick labels, also of a panel that shares its labels with the one on its left."""
    formatter = ax.yaxis.get_major_formatter()
    return [formatter(value, i) for i, value in enumerate(ax.get_yticks())]


def check_png(path: Path, height: tuple[int, int] = (500, 2000)) -> None:
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    image = matplotlib.image.imread(path)
    assert image.shape[1] == 12 * DPI  # 12 inches wide: a full-HD slide at 160 dpi
    assert height[0] <= image.shape[0] <= height[1]
    assert float(image[..., :3].std()) > 0.05  # not blank


def check_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(list(root.iter())) > 100


def check_files(written: list[Path], folder: Path, names: set[str]) -> None:
    expected = {f"{name}.{fmt}" for name in names for fmt in ("png", "svg")}
    assert {p.name for p in written} == expected
    assert {p.name for p in written} <= {p.name for p in (folder / "plots").iterdir()}
    assert not list((folder / "plots").glob("*.partial"))
    # The charts drawn into a result's own plots/ are listed (what --force removes).
    listed = (folder / "plots" / CHART_LIST).read_text(encoding="utf-8").splitlines()
    assert {p.name for p in written} <= set(listed)
    for path in written:
        (check_png if path.suffix == ".png" else check_svg)(path)


# --- plot_folder on each kind of folder ---


def test_a_compare_folder_gives_comparison_differences_churn_and_flows(
    folders: dict[str, Path],
) -> None:
    written = plot_folder(folders["compare"])
    names = {
        "comparison",
        "differences",
        "churn_by_cause",
        "escalation_flows",
        "complaints_over_time",
    }
    check_files(written, folders["compare"], names)


def test_a_run_folder_gives_churn_flows_and_time_series(folders: dict[str, Path]) -> None:
    written = plot_folder(folders["run"])
    names = {"churn_by_cause", "escalation_flows", "complaints_over_time", "timeseries"}
    check_files(written, folders["run"], names)


def test_a_one_key_sweep_gives_a_line_chart_per_key_outcome_and_the_tradeoff(
    folders: dict[str, Path],
) -> None:
    written = plot_folder(folders["sweep1"])
    check_files(written, folders["sweep1"], {f"sweep_{o}" for o in KEY} | {"tradeoff"})


def test_a_two_key_sweep_gives_a_heatmap_per_policy_and_the_tradeoff(
    folders: dict[str, Path],
) -> None:
    written = plot_folder(folders["sweep2"])
    names = {"heatmap_delete", "heatmap_reply_public", "tradeoff"}
    check_files(written, folders["sweep2"], names)


def test_a_run_manifest_without_a_kind_is_read_as_a_run(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    old = shutil.copytree(folders["run"], tmp_path / "old", ignore=shutil.ignore_patterns("plots"))
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del manifest["kind"]
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    written = plot_folder(old, out=tmp_path / "charts", formats=["png"])
    assert sorted(p.name for p in written) == [
        "churn_by_cause.png",
        "complaints_over_time.png",
        "escalation_flows.png",
        "timeseries.png",
    ]
    assert all(p.parent == tmp_path / "charts" for p in written)


def test_the_same_folder_gives_byte_identical_svg_and_png(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    for kind in ("compare", "sweep2"):
        first = plot_folder(folders[kind], out=tmp_path / kind / "a")
        second = plot_folder(folders[kind], out=tmp_path / kind / "b")
        assert [p.name for p in first] == [p.name for p in second]
        for a, b in zip(first, second, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name
        svg = next(p for p in first if p.suffix == ".svg").read_text(encoding="utf-8")
        assert "<dc:date>" not in svg


def test_plotting_prints_nothing(
    folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    plot_folder(folders["run"], formats=["svg"])
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_the_module_needs_neither_pyplot_nor_the_cli() -> None:
    code = (
        "import sys, simcare.reports.charts; "
        "print(sorted(m for m in ('matplotlib.pyplot', 'simcare.cli') if m in sys.modules))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


# --- what the charts show ---


def test_the_comparison_chart_has_a_bar_and_the_ci_of_every_policy(
    folders: dict[str, Path],
) -> None:
    results = read_results(folders["compare"])
    table = {
        (r["policy"], r["outcome"]): r
        for r in rows(folders["compare"] / "comparison.csv")
        if r["scope"] == "all"
    }
    figure = comparison_chart(results)
    axes = visible_axes(figure)
    assert len(axes) == len(KEY)
    assert "3 policies, 3 replications, 95% CIs" in figure.get_suptitle()
    for ax, outcome in zip(axes, KEY, strict=True):
        bars = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert len(bars) == len(POLICIES)
        assert ytick_texts(ax) == ["delete (baseline)", "reply_public", "ignore"]
        # Bars run top to bottom in the compare's order; their widths are the means.
        for bar, policy in zip(sorted(bars, key=lambda b: b.get_y()), POLICIES, strict=True):
            assert bar.get_width() == pytest.approx(float(table[policy, outcome]["mean"]))
        (errors,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        extents = sorted(
            (float(np.mean(seg[:, 1])), float(seg[:, 0].min()), float(seg[:, 0].max()))
            for seg in errors.get_segments()
        )
        for (_, low, high), policy in zip(extents, POLICIES, strict=True):
            assert low == pytest.approx(float(table[policy, outcome]["ci_low"]))
            assert high == pytest.approx(float(table[policy, outcome]["ci_high"]))
        # The baseline looks different: its own colour, and a hatch.
        colours = [b.get_facecolor() for b in sorted(bars, key=lambda b: b.get_y())]
        assert colours[0] not in colours[1:]
        assert sorted(bars, key=lambda b: b.get_y())[0].get_hatch()


def test_the_difference_chart_colours_each_policy_by_its_call(folders: dict[str, Path]) -> None:
    results = read_results(folders["compare"])
    table = {
        (r["policy"], r["outcome"]): r
        for r in rows(folders["compare"] / "comparison.csv")
        if r["scope"] == "all" and r["policy"] != "delete"
    }
    colour = {"better": OKABE_ITO["blue"], "worse": OKABE_ITO["vermillion"]}
    figure = difference_chart(results)
    axes = visible_axes(figure)
    assert len(axes) == len(KEY)
    for ax, outcome in zip(axes, KEY, strict=True):
        assert ytick_texts(ax) == ["reply_public", "ignore"]
        markers = [line for line in ax.lines if line.get_marker() in ("o", "s")]
        assert len(markers) == 2
        for line, policy in zip(markers, ("reply_public", "ignore"), strict=True):
            row = table[policy, outcome]
            assert line.get_xdata()[0] == pytest.approx(float(row["difference"]))
            if row["call"] in colour:
                assert line.get_color().upper() == colour[row["call"]]
        left, right = ax.get_xlim()
        assert left < 0 < right  # the zero line is always in view
    # ignore is worse than delete at churn among complainants in every replication
    assert table["ignore", "complainant_churn_rate"]["call"] == "worse"


def test_the_time_series_lines_are_means_over_replications(folders: dict[str, Path]) -> None:
    results = read_results(folders["run"])
    series = read_timeseries(folders["run"])
    figure = timeseries_chart(results, series)
    posts = next(ax for ax in visible_axes(figure) if "Public posts" in ax.get_title("left"))
    (line,) = posts.get_lines()
    by_hour: dict[float, list[float]] = {}
    for r in rows(folders["run"] / "timeseries.csv"):
        if r["series"] == "unanswered_public_posts":
            by_hour.setdefault(float(r["hour_start_min"]), []).append(float(r["value"]))
    hours = sorted(by_hour)
    assert np.asarray(line.get_xdata()) == pytest.approx([(h + 30) / 1440 for h in hours])
    assert np.asarray(line.get_ydata()) == pytest.approx([np.mean(by_hour[h]) for h in hours])
    titles = [ax.get_title("left") for ax in visible_axes(figure)]
    assert titles[0].startswith("Waiting per channel")
    assert {"Agents of team email_desk", "Agents of team social_desk"} <= set(titles)


def impressions_panel(figure: Figure) -> Axes:
    (panel,) = [ax for ax in visible_axes(figure) if ax.get_title("left") == "Impressions so far"]
    return panel


def test_the_impressions_panel_draws_the_mean_cumulative_negative_and_positive(
    folders: dict[str, Path],
) -> None:
    results = read_results(folders["run"])
    figure = timeseries_chart(results, read_timeseries(folders["run"]))
    panel = impressions_panel(figure)
    assert panel.get_ylabel() == "impressions"
    negative, positive = panel.get_lines()
    assert [negative.get_label(), positive.get_label()] == ["negative", "positive"]
    assert negative.get_color() != positive.get_color()
    assert negative.get_linestyle() != positive.get_linestyle()
    assert {negative.get_color().upper(), positive.get_color().upper()} <= set(OKABE_ITO.values())
    assert len(panel.collections) == 2  # a min–max band per line (3 replications)
    for line, name in ((negative, "negative"), (positive, "positive")):
        by_hour: dict[float, list[float]] = {}
        for r in rows(folders["run"] / "timeseries.csv"):
            if r["series"] == f"impressions_{name}_cumulative" and r["scope"] == "all":
                by_hour.setdefault(float(r["hour_start_min"]), []).append(float(r["value"]))
        hours = sorted(by_hour)
        assert len(hours) == 4 * 24
        assert all(len(by_hour[h]) == 3 for h in hours)
        assert np.asarray(line.get_xdata()) == pytest.approx([(h + 30) / 1440 for h in hours])
        assert np.asarray(line.get_ydata()) == pytest.approx([np.mean(by_hour[h]) for h in hours])
    assert np.diff(negative.get_ydata()).min() >= 0
    assert negative.get_ydata()[-1] > 0


def test_the_impressions_panel_shows_both_lines_unnetted_with_their_bands(
    folders: dict[str, Path],
) -> None:
    results = read_results(folders["run"])
    hours = np.arange(3) * 60.0
    negative = np.array([[0.0, 10.0, 30.0], [0.0, 20.0, 50.0]])
    positive = np.array([[0.0, 0.0, 4.0], [0.0, 2.0, 8.0]])
    series = Series(
        hours,
        {
            ("impressions_negative_cumulative", "all"): negative,
            ("impressions_positive_cumulative", "all"): positive,
        },
    )
    panel = impressions_panel(timeseries_chart(results, series))
    drawn_negative, drawn_positive = panel.get_lines()
    assert list(drawn_negative.get_ydata()) == pytest.approx([0.0, 15.0, 40.0])
    assert list(drawn_positive.get_ydata()) == pytest.approx([0.0, 1.0, 6.0])
    low_high = [band.get_paths()[0].vertices[:, 1] for band in panel.collections]
    for band, values in zip(low_high, (negative, positive), strict=True):
        assert band.min() == pytest.approx(values.min(axis=0).min())
        assert band.max() == pytest.approx(values.max(axis=0).max())
    assert panel.get_ylim()[1] >= 50.0  # the highest replication is in view


def test_a_run_folder_without_impressions_still_plots_without_their_panel(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    old = shutil.copytree(folders["run"], tmp_path / "old", ignore=shutil.ignore_patterns("plots"))
    table = rows(old / "timeseries.csv")
    kept = [r for r in table if not r["series"].startswith("impressions_")]
    assert len(kept) < len(table)
    with (old / "timeseries.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(kept)
    figure = timeseries_chart(read_results(old), read_timeseries(old))
    titles = [ax.get_title("left") for ax in visible_axes(figure)]
    assert "Impressions so far" not in titles
    assert "Public posts in view with no good answer" in titles
    written = plot_folder(old, out=tmp_path / "charts", formats=["png"])
    assert "timeseries.png" in {p.name for p in written}


def test_the_sweep_chart_draws_each_policy_mean_against_the_swept_value(
    folders: dict[str, Path],
) -> None:
    results = read_results(folders["sweep1"])
    figure = sweep_chart(results, "complainant_churn_rate")
    (ax,) = visible_axes(figure)
    table = [
        r
        for r in rows(folders["sweep1"] / "summary.csv")
        if r["outcome"] == "complainant_churn_rate" and r["scope"] == "all"
    ]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["delete", "reply_public"]
    for line in lines:
        mine = sorted(
            (float(r[STAFF]), float(r["mean"])) for r in table if r["policy"] == line.get_label()
        )
        assert list(line.get_xdata()) == [x for x, _ in mine] == [1.0, 2.0, 3.0]
        assert list(line.get_ydata()) == pytest.approx([y for _, y in mine])
    assert len(ax.collections) == 2  # a CI band per policy
    assert ax.get_xlabel() == STAFF


def test_the_heatmap_holds_the_mean_of_every_cell(folders: dict[str, Path]) -> None:
    results = read_results(folders["sweep2"])
    figure = heatmap_chart(results, "reply_public")
    ax = visible_axes(figure)[0]
    (image,) = ax.get_images()
    cells = np.ma.filled(image.get_array(), np.nan)
    table = {
        (r[STAFF], r["behaviour.persistence"]): float(r["mean"])
        for r in rows(folders["sweep2"] / "summary.csv")
        if r["outcome"] == "complainant_churn_rate"
        and r["scope"] == "all"
        and r["policy"] == "reply_public"
    }
    assert cells.shape == (2, 2)  # persistence up, agents across
    assert cells[0, 0] == pytest.approx(table["1", "0.3"])
    assert cells[1, 0] == pytest.approx(table["1", "0.6"])
    assert cells[0, 1] == pytest.approx(table["2", "0.3"])
    assert len([t for t in ax.texts if "%" in t.get_text()]) == 4


def test_outcomes_can_be_chosen_and_an_unknown_one_is_refused(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    written = plot_folder(
        folders["compare"], out=tmp_path, formats=["png"], outcomes=["resolved_share"]
    )
    assert "comparison.png" in {p.name for p in written}
    figure = comparison_chart(read_results(folders["compare"]), ["resolved_share", "p_wait"])
    assert [ax.get_title("left") for ax in visible_axes(figure)] == [
        "Resolved — higher is better",
        "P(wait) — lower is better",
    ]
    with pytest.raises(PlotError, match=r"comparison\.csv.*'no_such_outcome'"):
        plot_folder(folders["compare"], out=tmp_path, outcomes=["no_such_outcome"])


# --- the Pareto front ---


def test_the_pareto_front_is_exactly_the_points_nobody_beats() -> None:
    points = [
        (1.0, 5.0),  # front: the cheapest but one
        (2.0, 3.0),  # front
        (3.0, 4.0),  # beaten by (2, 3)
        (2.0, 3.0),  # front: equal to another front point
        (4.0, 1.0),  # front: least churn
        (5.0, 1.0),  # beaten by (4, 1): same churn, dearer
        (math.nan, 0.0),  # never on the front
        (0.5, 9.0),  # front: the cheapest
        (1.0, 6.0),  # beaten by (1, 5): same cost, more churn
    ]
    assert pareto_front(points) == [True, True, False, True, True, False, False, True, False]
    assert pareto_front([]) == []


def hand_made_sweep(folder: Path, values: dict[tuple[int, str], tuple[float, float]]) -> Path:
    """A sweep folder with staff cost and churn per (agents, policy) and nothing else."""
    folder.mkdir()
    manifest = {"kind": "sweep", "policies": ["a", "b"], "replications": 5}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "plan.json").write_text(json.dumps({"settings": ["x.agents=1,2,3"]}), "utf-8")
    lines = ["point,x.agents,policy,outcome,scope,label,unit,mean,ci_low,ci_high,half_width,std,n"]
    for (agents, policy), (cost, churn) in values.items():
        point = agents - 1
        lines.append(f"{point},{agents},{policy},staff_cost,all,Staff cost,money,{cost},,,,,5")
        lines.append(
            f"{point},{agents},{policy},complainant_churn_rate,all,Churn,share,{churn},"
            f"{churn - 0.01},{churn + 0.01},0.01,0.01,5"
        )
    (folder / "summary.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_tradeoff_chart_labels_exactly_the_non_dominated_points(tmp_path: Path) -> None:
    values = {
        (1, "a"): (100.0, 0.50),  # front: cheapest
        (1, "b"): (100.0, 0.55),  # beaten by (1, a)
        (2, "a"): (200.0, 0.40),  # front
        (2, "b"): (200.0, 0.45),  # beaten by (2, a)
        (3, "a"): (300.0, 0.42),  # beaten by (2, a)
        (3, "b"): (300.0, 0.30),  # front: least churn
    }
    folder = hand_made_sweep(tmp_path / "sweep", values)
    figure = tradeoff_chart(read_results(folder))
    (ax,) = visible_axes(figure)
    labelled = sorted(t.get_text() for t in ax.texts)
    assert labelled == ["agents=1 · a", "agents=2 · a", "agents=3 · b"]
    written = plot_folder(folder, formats=["png"])
    assert [p.name for p in written] == ["sweep_complainant_churn_rate.png", "tradeoff.png"]


def test_a_sparse_two_key_design_is_drawn_as_points_and_text_values_without_lines(
    tmp_path: Path,
) -> None:
    """A Latin hypercube fills no grid: coloured points. Values with no order: no lines."""
    folder = tmp_path / "lhs"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"kind": "sweep", "policies": ["a"]}', "utf-8")
    header = "point,x.rate,y.agents,policy,outcome,scope,label,unit,mean,ci_low,ci_high,n"
    lines = [header]
    for n in range(12):
        churn = 0.1 + 0.05 * n
        lines.append(f"{n},{1 + 0.7 * n},{9 - 0.6 * n},a,complainant_churn_rate,all,C,share,"
                     f"{churn},{churn - 0.01},{churn + 0.01},3")  # fmt: skip
    (folder / "summary.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = read_results(folder)
    assert results.keys == ("x.rate", "y.agents")  # from the columns when there is no plan
    ax = visible_axes(heatmap_chart(results, "a"))[0]
    assert not ax.get_images()
    (dots,) = ax.collections
    assert len(dots.get_offsets()) == 12
    assert np.asarray(dots.get_array()) == pytest.approx([0.1 + 0.05 * n for n in range(12)])

    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "manifest.json").write_text('{"kind": "sweep", "policies": ["a"]}', "utf-8")
    (modes / "plan.json").write_text('{"settings": ["channels.email.mode=async,live"]}', "utf-8")
    (modes / "summary.csv").write_text(
        "point,channels.email.mode,policy,outcome,scope,unit,mean,ci_low,ci_high\n"
        "0,async,a,escalated_share,all,share,0.2,0.1,0.3\n"
        "1,live,a,escalated_share,all,share,0.4,0.3,0.5\n",
        encoding="utf-8",
    )
    ax = visible_axes(sweep_chart(read_results(modes), "escalated_share"))[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["async", "live"]
    assert all(line.get_linestyle() == "None" for line in ax.get_lines())


# --- errors ---


def test_a_folder_without_a_manifest_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "summary.csv").write_text("outcome,scope\n", encoding="utf-8")
    with pytest.raises(PlotError, match=r"manifest\.json") as caught:
        plot_folder(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert not (tmp_path / "plots").exists()
    with pytest.raises(PlotError, match="no such folder"):
        plot_folder(tmp_path / "missing")


def test_a_missing_table_or_column_is_refused_naming_the_file(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    broken = shutil.copytree(
        folders["compare"], tmp_path / "broken", ignore=shutil.ignore_patterns("plots")
    )
    table = (broken / "comparison.csv").read_text(encoding="utf-8")
    (broken / "comparison.csv").unlink()
    with pytest.raises(PlotError, match=r"comparison\.csv: missing"):
        plot_folder(broken)
    header, _, body = table.partition("\n")
    (broken / "comparison.csv").write_text(
        header.replace("ci_high", "upper") + "\n" + body, encoding="utf-8"
    )
    with pytest.raises(PlotError, match=r"comparison\.csv: missing column ci_high"):
        plot_folder(broken)
    (broken / "manifest.json").write_text('{"kind": "poster"}', encoding="utf-8")
    with pytest.raises(PlotError, match="unknown kind 'poster'"):
        plot_folder(broken)


def test_an_unknown_format_is_refused(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(PlotError, match="'gif'"):
        plot_folder(folders["run"], out=tmp_path / "charts", formats=["png", "gif"])
    assert not (tmp_path / "charts").exists()
