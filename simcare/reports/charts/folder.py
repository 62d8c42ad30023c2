"""A result folder's charts: which fit it, and each drawn to a file (PNG or SVG) or as SVG text.

Files are written atomically and without dates, so the same folder gives the same bytes.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Callable, Collection, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from simcare.core.errors import shown
from simcare.reports.charts.breakdowns import churn_chart, flow_chart
from simcare.reports.charts.compare import comparison_chart, difference_chart
from simcare.reports.charts.robustness import driver_chart, fragile_verdicts, tornado_chart
from simcare.reports.charts.style import DPI, PlotError, chart_style, chosen, literal_texts
from simcare.reports.charts.sweeps import HEATMAP_OUTCOME, heatmap_chart, sweep_chart
from simcare.reports.charts.timeseries import timeseries_chart
from simcare.reports.charts.tradeoff import CHURN_RATE, tradeoff_axes, tradeoff_chart
from simcare.reports.charts.waves import OUTCOME as BY_DAY
from simcare.reports.charts.waves import complaints_chart
from simcare.results.read import ReadError, Results, read_results
from simcare.results.robustness_folder import read_robustness
from simcare.results.write import (
    CHART_FORMATS,
    CHART_LIST,
    OutputError,
    atomic_bytes,
    own_folder,
    owned_files,
    write_atomic,
    write_error,
)

FORMATS = CHART_FORMATS
"""File formats `plot_folder` writes."""


def read_folder(folder: Path) -> Results:
    """Read a result folder to draw it (see `read_results`).

    Raises:
        PlotError: the folder is not a simcare result (no manifest, a missing CSV or column).
    """
    try:
        return read_results(folder)
    except ReadError as error:
        raise PlotError(str(error)) from None


def save_figure(figure: Figure, path: Path) -> Path:
    """Write a figure as PNG or SVG (by the path's suffix), atomically, without dates.

    Raises:
        PlotError: the format is not PNG or SVG, or the file cannot be written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise PlotError(f"{path}: cannot write {fmt!r}; formats are {', '.join(FORMATS)}")
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    try:
        with chart_style(), atomic_bytes(path) as handle:
            literal_texts(figure).savefig(handle, format=fmt, dpi=DPI, metadata=metadata)
    except OutputError as error:
        raise PlotError(str(error)) from None
    return path


def svg_text(figure: Figure) -> str:
    """A figure as SVG text (the same bytes `save_figure` writes to a ``.svg`` file)."""
    buffer = io.StringIO()
    with chart_style():
        literal_texts(figure).savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None})
    return buffer.getvalue()


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "policy"


_Charts = list[tuple[str, Callable[[], Figure]]]
"""Charts to draw: (file name, builder)."""


def _sweep_charts(results: Results, outcomes: Sequence[str] | None) -> _Charts:
    """A sweep's charts: lines (one key) or heatmaps (two keys), and the trade-off."""
    charts: _Charts = []
    drawn = chosen(results, outcomes)
    if len(results.keys) == 1:
        for outcome in drawn:
            charts.append((f"sweep_{outcome}", partial(sweep_chart, results, outcome)))
    elif len(results.keys) == 2:
        shown = drawn[0] if outcomes else HEATMAP_OUTCOME
        if results.has(shown):
            for policy in results.policies:
                build = partial(heatmap_chart, results, policy, shown)
                charts.append((f"heatmap_{_file_name(policy)}", build))
    if results.has(CHURN_RATE) and tradeoff_axes(results) is not None:
        charts.append(("tradeoff", lambda: tradeoff_chart(results)))
    return charts


def _charts(results: Results, outcomes: Sequence[str] | None) -> _Charts:
    """The charts that fit a folder: (file name, builder)."""
    charts: _Charts = []
    if results.kind == "compare" and chosen(results, outcomes):
        charts.append(("comparison", partial(comparison_chart, results, outcomes)))
        if any(p != results.baseline for p in results.policies) and results.baseline:
            charts.append(("differences", partial(difference_chart, results, outcomes)))
    if results.kind in ("compare", "run"):
        if any(r.outcome == "churned" and r.mean > 0 for r in results.rows):
            charts.append(("churn_by_cause", lambda: churn_chart(results)))
        if results.scopes("escalations", "flow:"):
            charts.append(("escalation_flows", lambda: flow_chart(results)))
        if len(results.scopes(BY_DAY, "day:")) > 1:
            charts.append(("complaints_over_time", lambda: complaints_chart(results)))
    series = results.series
    if results.kind == "run" and series is not None and series.values:
        charts.append(("timeseries", lambda: timeseries_chart(results, series)))
    study = _robustness(results)
    if results.kind == "sweep" and results.points() and study is None:
        charts += _sweep_charts(results, outcomes)
    if study is not None:  # its worlds vary a score of inputs: the sweep's charts do not fit
        for held in fragile_verdicts(study):
            outcome = held["outcome"]
            charts.append((f"tornado_{outcome}", partial(tornado_chart, study, held)))
            drawn = partial(driver_chart, study, held, results.currency)
            charts.append((f"driver_{outcome}", drawn))
    return charts


def _robustness(results: Results) -> dict[str, Any] | None:
    """A robustness study's verdicts, if the folder is one (PlotError if they are unreadable)."""
    if results.kind != "sweep":
        return None
    try:
        return read_robustness(results.folder)
    except ReadError as error:
        raise PlotError(str(error)) from None


def plot_folder(
    folder: Path,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    outcomes: Sequence[str] | None = None,
) -> list[Path]:
    """Draw every chart that fits a run, compare or sweep folder and write each file.

    Args:
        folder: a simcare output folder (with manifest.json).
        out: where to write the charts (default: ``folder/plots``), created if needed.
        formats: file formats, among "png" (for slides) and "svg" (for the web).
        outcomes: outcomes for the comparison, difference and sweep charts instead of the key
            outcomes (a two-key sweep's heatmaps show the first).

    Returns:
        The files written, ``<out>/<chart>.<format>``.

    Raises:
        PlotError: the folder is not a simcare result (no manifest, a missing CSV or column),
            an outcome asked for is not in it, a format is unknown, or a file cannot be written.
    """
    wanted = [fmt.lower().lstrip(".") for fmt in formats]
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown or not wanted:
        raise PlotError(
            f"cannot write {', '.join(map(repr, unknown)) or 'no format'}; "
            f"formats are {', '.join(FORMATS)}"
        )
    folder = Path(folder)
    charts = _charts(read_folder(folder), outcomes)
    own = out is None  # the result's own plots/: listed in its manifest, for --force
    target = Path(out) if out is not None else folder / "plots"
    try:
        if own:
            own_folder(target)  # never through a link in the result's folder
        else:
            target.mkdir(parents=True, exist_ok=True)
    except OutputError as error:
        raise PlotError(str(error)) from None
    except OSError as error:
        raise PlotError(str(write_error(target, error, "cannot create the folder"))) from None
    formats = list(dict.fromkeys(wanted))
    names = [f"{name}.{fmt}" for name, _ in charts for fmt in formats]
    _check_ours(target, names, _charts_drawn(target, folder if own else None))
    written: list[Path] = []
    for name, build in charts:
        for fmt in formats:
            # A fresh figure per format: a layout computed for one renderer shifts the other's
            # coordinates slightly, and each file must depend only on the data and its format.
            written.append(save_figure(build(), target / f"{name}.{fmt}"))
    _list_charts(target, written)
    return written


def _charts_drawn(target: Path, result: Path | None) -> set[str]:
    """The charts simcare drew in ``target``: its list, and those a ``result``'s manifest lists."""
    drawn: set[str] = set()
    listed = target / CHART_LIST
    try:
        if stat.S_ISREG(listed.lstat().st_mode):
            drawn |= set(listed.read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        pass  # no list: nothing there is proven simcare's
    if result is not None:
        try:
            owned = owned_files(result)
        except OutputError:  # a manifest without simcare's mark proves nothing
            owned = set()
        drawn |= {name.removeprefix("plots/") for name in owned if name.startswith("plots/")}
    return drawn


def _check_ours(target: Path, names: Collection[str], drawn: Collection[str]) -> None:
    """Refuse, before drawing anything, to replace a file that is not a chart simcare drew."""
    for name in names:
        path = target / name
        if not os.path.lexists(path):
            continue
        if name not in drawn or not stat.S_ISREG(path.lstat().st_mode):
            raise PlotError(
                shown(
                    f"{path}: not a chart simcare drew there, and simcare never replaces a "
                    "file it did not write; move it away, or choose another --out"
                )
            )


def _list_charts(target: Path, written: list[Path]) -> None:
    """Add the charts written to the folder's list of simcare's charts."""
    listed = target / CHART_LIST
    old = listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else []
    names = sorted({*old, *(path.name for path in written)})
    try:
        write_atomic(listed, "".join(f"{name}\n" for name in names))
    except OutputError as error:
        raise PlotError(str(error)) from None


def chart_svgs(results: Results, outcomes: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Every chart that fits a folder's results, as (chart name, SVG text), for a web page."""
    return [(name, svg_text(build())) for name, build in _charts(results, outcomes)]
