"""A sweep's charts: an outcome against one swept key (lines), or over two (a heatmap)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure

from simcare.metrics import Better, Unit
from simcare.reports.charts.style import (
    GREY,
    SLIDE_IN,
    STYLE,
    PlotError,
    chart_style,
    chosen,
    colour,
    direction,
    finish,
    light_grid,
    replications_text,
    spread,
    ticks,
)
from simcare.reports.format import AxisScale, axis_scale, difference_text, short_value, unit_named
from simcare.results.read import Results, Row

HEATMAP_OUTCOME = "complainant_churn_rate"
"""The outcome of a two-key sweep's heatmaps unless others are asked for."""
MAX_GRID_SIDE = 15
"""A two-key sweep with more values of a key than this (or a sparse grid, such as a Latin
hypercube) is drawn as coloured points rather than cells."""


def _numeric(texts: Sequence[str]) -> list[float] | None:
    """The values as numbers when every one is a number (not a boolean), else None."""
    numbers: list[float] = []
    for text in texts:
        try:
            value = float(text)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
        numbers.append(value)
    return numbers


def _axis_values(texts: Sequence[str]) -> tuple[list[str], dict[str, float], bool]:
    """Distinct values of a key in plotting order, their positions, and whether numeric."""
    distinct = list(dict.fromkeys(texts))
    numbers = _numeric(distinct)
    if numbers is None:
        return distinct, {t: float(i) for i, t in enumerate(distinct)}, False
    ordered = sorted(zip(numbers, distinct, strict=True))
    return [t for _, t in ordered], {t: v for v, t in ordered}, True


def short_keys(keys: Sequence[str]) -> list[str]:
    """Short names of dotted keys, unique among them: "agents", "persistence"."""
    parts = [key.split(".") for key in keys]
    names = [p[-1] for p in parts]
    for take in range(2, max((len(p) for p in parts), default=1) + 1):
        if len(set(names)) == len(names):
            break
        names = [".".join(p[-take:]) for p in parts]
    return names


def _sweep_title(results: Results) -> str:
    return f"{results.headline} — sweep of {', '.join(short_keys(results.keys))}"


# --- one key: lines ---


def _policy_line(
    ax: Axes,
    results: Results,
    outcome: str,
    j: int,
    position: dict[str, float],
    numeric: bool,
    scale: AxisScale,
) -> None:
    """The ``j``-th policy's means over the swept values, with their 95% CIs.

    Values that are numbers give a line and a band; texts give points side by side.
    """
    policy = results.policies[j]
    rows = sorted(
        (results.row(policy, outcome, point=n) for n, _ in results.points()),
        key=lambda r: position.get(r.settings[0] if r.settings else "", math.inf),
    )
    rows = [r for r in rows if r.settings]
    x = np.array([position[r.settings[0]] for r in rows])
    mean = np.array([r.mean for r in rows]) * scale.factor
    low = np.array([r.low for r in rows]) * scale.factor
    high = np.array([r.high for r in rows]) * scale.factor
    tint, _ = colour(j)
    if numeric:
        ax.fill_between(x, low, high, color=tint, alpha=0.2, linewidth=0)
        ax.plot(x, mean, color=tint, marker="o", markersize=7, linewidth=2.2, label=policy)
        return
    # Values with no order (texts): side by side, no line between them.
    dodge = (j - (len(results.policies) - 1) / 2) * 0.08
    ax.errorbar(
        x + dodge,
        mean,
        yerr=spread(mean, low, high),
        fmt="o",
        color=tint,
        markersize=9,
        elinewidth=2,
        capsize=5,
        label=policy,
    )


def sweep_chart(results: Results, outcome: str) -> Figure:
    """One outcome against a one-key sweep's values: one line per policy, 95% CI bands.

    Raises:
        PlotError: the folder is not a one-key sweep, or lacks the outcome.
    """
    if len(results.keys) != 1:
        raise PlotError(f"{results.table}: a sweep of one key is needed for a line chart")
    chosen(results, [outcome])
    points = results.points()
    order, position, numeric = _axis_values([s[0] for _, s in points])
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        all_rows = [results.row(p, outcome, point=n) for p in results.policies for n, _ in points]
        scale = axis_scale(results.unit(outcome), results.currency, [r.mean for r in all_rows])
        for j in range(len(results.policies)):
            _policy_line(ax, results, outcome, j, position, numeric, scale)
        places = [position[t] for t in order]
        if len(places) <= 12:
            ax.set_xticks(places, labels=order)
        elif not numeric:
            ax.set_xticks(places, labels=order, rotation=45, ha="right")
        ax.yaxis.set_major_formatter(ticks(scale))
        ax.set_xlabel(results.keys[0])
        ax.set_ylabel(f"{results.label(outcome)}{scale.suffix}")
        light_grid(ax)
        better = direction(outcome)
        ax.set_title(
            f"{results.label(outcome)}"
            + (f" — {better.value} is better" if better else "")
            + f"; {replications_text(results)} per point, {'bands' if numeric else 'bars'}: "
            "95% CIs",
            fontsize=13,
        )
        finish(ax)
        ax.legend(title="Policy", loc="best")
        figure.suptitle(_sweep_title(results), fontweight="bold")
    return figure


# --- two keys: a heatmap ---


def _cell_text(row: Row, currency: str) -> str:
    """A heatmap cell: the mean over its 95% CI half-width ("63.6%" over "± 1.3 pts")."""
    unit = unit_named(row.unit)
    text = short_value(row.mean, unit, currency)
    half = (row.high - row.low) / 2
    if math.isfinite(half):
        text += f"\n± {difference_text(half, unit, currency, sign=False)}"
        text += " pts" if unit is Unit.SHARE else ""
    return text


def _text_colour(rgba: tuple[float, float, float, float]) -> str:
    red, green, blue, _ = rgba
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


_Mine = list[tuple[tuple[str, ...], Row]]
"""One policy's rows of a two-key sweep, with their settings."""


def _points(
    ax: Axes,
    mine: _Mine,
    at: tuple[dict[str, float], dict[str, float]],
    colours: tuple[Colormap, Normalize],
    scale: AxisScale,
) -> Any:
    """The design's points coloured by their means (a design that fills no grid)."""
    x_at, y_at = at
    cmap, norm = colours
    shown = [(x_at[s[0]], y_at[s[1]], r.mean * scale.factor) for s, r in mine]
    shown = [(x, y, v) for x, y, v in shown if math.isfinite(v)]
    image = ax.scatter(
        [x for x, _, _ in shown],
        [y for _, y, _ in shown],
        c=[v for _, _, v in shown],
        cmap=cmap,
        norm=norm,
        s=160,
        edgecolors=GREY,
        linewidths=0.8,
    )
    light_grid(ax)
    return image


def _cells(
    ax: Axes,
    mine: _Mine,
    axes: tuple[list[str], list[str]],
    colours: tuple[Colormap, Normalize],
    scale: AxisScale,
    currency: str,
) -> Any:
    """A grid of cells coloured by their means, each annotated with its mean and 95% CI."""
    columns, lines = axes
    cmap, norm = colours
    grid = np.full((len(lines), len(columns)), math.nan)
    column_of = {t: i for i, t in enumerate(columns)}
    line_of = {t: i for i, t in enumerate(lines)}
    size = 13 if len(columns) * len(lines) <= 30 else 10
    for settings, row in mine:
        i, j = line_of[settings[1]], column_of[settings[0]]
        grid[i, j] = row.mean * scale.factor
        if math.isfinite(grid[i, j]):
            tint = _text_colour(tuple(cmap(norm(grid[i, j]))))
            text = _cell_text(row, currency)
            ax.text(j, i, text, ha="center", va="center", color=tint, fontsize=size)
    for i, j in zip(*np.nonzero(np.isnan(grid)), strict=True):
        ax.text(j, i, "no result", ha="center", va="center", color=GREY)
    image = ax.imshow(
        np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto", origin="lower"
    )
    ax.set_xticks(range(len(columns)), labels=columns)
    ax.set_yticks(range(len(lines)), labels=lines)
    ax.spines[:].set_visible(False)
    return image


def _colour_map(outcome: str) -> Colormap:
    """Dark blue to yellow, readable in every colour vision; darker is always worse."""
    cmap = mpl.colormaps["cividis"]
    if direction(outcome) is Better.LOWER:
        cmap = cmap.reversed()
    return cmap


def _colour_bar(figure: Figure, ax: Axes, image: Any, label: str, scale: AxisScale) -> None:
    """The colour scale beside the axes, its ticks in the outcome's unit."""
    bar = figure.colorbar(image, ax=ax, shrink=0.9)
    bar.ax.yaxis.set_major_formatter(ticks(scale))
    bar.set_label(label)
    bar.ax.tick_params(labelsize=STYLE["ytick.labelsize"])


def heatmap_chart(results: Results, policy: str, outcome: str = HEATMAP_OUTCOME) -> Figure:
    """One outcome's mean over a two-key sweep, for one policy: a grid of annotated cells.

    A design that does not fill a grid (a Latin hypercube) shows as points coloured by the
    mean instead. The colour scale is the same for every policy of the sweep, darker is worse.

    Raises:
        PlotError: the folder is not a two-key sweep, or lacks the outcome.
    """
    if len(results.keys) != 2:
        raise PlotError(f"{results.table}: a sweep of two keys is needed for a heatmap")
    chosen(results, [outcome])
    points = results.points()
    columns, x_at, x_numeric = _axis_values([s[0] for _, s in points])
    lines, y_at, y_numeric = _axis_values([s[1] for _, s in points])
    scattered = (
        x_numeric
        and y_numeric
        and (
            max(len(columns), len(lines)) > MAX_GRID_SIDE
            or len(points) < len(columns) * len(lines) / 2
        )
    )
    everyone = [results.row(p, outcome, point=n).mean for p in results.policies for n, _ in points]
    scale = axis_scale(results.unit(outcome), results.currency, everyone)
    finite = [v * scale.factor for v in everyone if math.isfinite(v)]
    mine = [(settings, results.row(policy, outcome, point=n)) for n, settings in points]
    better = direction(outcome)
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        colours = (
            _colour_map(outcome),
            Normalize(min(finite, default=0.0), max(finite, default=1.0)),
        )
        if scattered:
            image = _points(ax, mine, (x_at, y_at), colours, scale)
            what = f"Mean of {replications_text(results)} at each point"
        else:
            image = _cells(ax, mine, (columns, lines), colours, scale, results.currency)
            what = f"Mean of {replications_text(results)} per cell ± 95% CI half-width"
        ax.set_xlabel(results.keys[0])
        ax.set_ylabel(results.keys[1])
        which_way = f" — {better.value} is better" if better else ""
        label = f"{results.label(outcome)}{scale.suffix}{which_way}"
        _colour_bar(figure, ax, image, label, scale)
        ax.set_title(
            what
            + (" · darker is worse" if better else "")
            + " · one colour scale for all policies",
            fontsize=13,
        )
        finish(ax)
        figure.suptitle(
            f"{results.headline} — {results.label(outcome)}, policy {policy}", fontweight="bold"
        )
    return figure
