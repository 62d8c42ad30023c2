"""A run hour by hour: queues, unanswered public posts, impressions so far, agents on duty."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator

from simcare.reports.charts.style import (
    LIGHT_GREY,
    OKABE_ITO,
    WIDTH_IN,
    PlotError,
    chart_style,
    colour,
    compact_ticks,
    finish,
    light_grid,
)
from simcare.results.read import TIMESERIES, Results, Series

_IMPRESSION_LINES = (
    ("impressions_negative_cumulative", "negative", OKABE_ITO["vermillion"], "-"),
    ("impressions_positive_cumulative", "positive", OKABE_ITO["blue"], "--"),
)
"""The impressions panel's lines: series, label, colour and line style (both tell them apart)."""
_AGENT_LINES = (
    ("agents_on_duty", "on duty", OKABE_ITO["sky_blue"], "area"),
    ("agents_busy", "busy", OKABE_ITO["orange"], "-"),
)
"""A team's panel: agents on duty as an area, busy as a line."""

_Line = tuple[str, np.ndarray, str, str]
"""A panel's line: label, replications × hours values, colour, line style (or "area")."""
_Panel = tuple[str, str, list[_Line]]
"""A panel: title, y label and lines."""


def _mean_and_range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, minimum and maximum over replications (rows), ignoring NaN without warnings."""
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.full(total.shape, math.nan), where=count > 0)
    return mean, np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)


def _panels(series: Series) -> list[_Panel]:
    """The panels the series fill, in order: queues, posts, impressions, a panel per team."""
    channels = [(s, v) for (name, s), v in series.values.items() if name == "queue"]
    posts = series.values.get(("unanswered_public_posts", "all"))
    teams = list(
        dict.fromkeys(
            scope for (name, scope) in series.values if name in ("agents_on_duty", "agents_busy")
        )
    )
    panels: list[_Panel] = []
    if channels:
        lines = [
            (scope.removeprefix("channel:"), values, colour(i)[0], "-")
            for i, (scope, values) in enumerate(channels)
        ]
        panels.append(("Waiting per channel (queue or backlog)", "contacts waiting", lines))
    if posts is not None:
        lines = [("posts in view", posts, OKABE_ITO["vermillion"], "-")]
        panels.append(("Public posts in view with no good answer", "posts", lines))
    impressions = [
        (label, series.values[(name, "all")], tint, style)
        for name, label, tint, style in _IMPRESSION_LINES
        if (name, "all") in series.values
    ]
    if impressions:
        panels.append(("Impressions so far", "impressions", impressions))
    for scope in teams:
        lines = [
            (label, series.values[(name, scope)], tint, style)
            for name, label, tint, style in _AGENT_LINES
            if (name, scope) in series.values
        ]
        panels.append((f"Agents of team {scope.removeprefix('team:')}", "agents", lines))
    return panels


def _draw_lines(ax: Axes, lines: list[_Line], days: np.ndarray, replications: int) -> float:
    """Each line's mean and its band, lowest to highest replication; returns the top drawn."""
    top = 0.0
    for label, values, tint, style in lines:
        mean, low, high = _mean_and_range(values)
        drawn = high if replications > 1 and style != "area" else mean
        top = max(top, float(np.fmax.reduce(drawn, initial=0.0)))
        if style == "area":
            ax.fill_between(days, 0, mean, color=tint, alpha=0.45, linewidth=0, label=label)
            continue
        if replications > 1:
            ax.fill_between(days, low, high, color=tint, alpha=0.22, linewidth=0)
        ax.plot(days, mean, color=tint, linestyle=style, linewidth=1.8, label=label)
    return top


def _draw_panel(
    ax: Axes, panel: _Panel, days: np.ndarray, replications: int, warmup_min: float
) -> None:
    """One panel: the warm-up shaded, the lines, axes in days, a legend above the lines."""
    title, ylabel, lines = panel
    span = float(days[-1]) if len(days) else 1.0
    if math.isfinite(warmup_min) and warmup_min > 0:
        ax.axvspan(0, warmup_min / 1440.0, color=LIGHT_GREY, alpha=0.6, lw=0)
    top = _draw_lines(ax, lines, days, replications)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, top * 1.3 or 1.0)  # room for the legend above the lines
    ax.set_xlim(0, math.ceil(span))
    ax.yaxis.set_major_formatter(compact_ticks())
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=ylabel == "agents"))
    ax.xaxis.set_major_locator(MultipleLocator(1 if span <= 15 else 7 if span <= 100 else 30))
    ax.legend(loc="upper left", ncols=min(4, len(lines)), fontsize=11, framealpha=0.85)
    light_grid(ax, width=0.6)
    finish(ax)


def _notes(warmup_min: float, replications: int) -> str:
    """The x axis' label, with what the shading and the bands mean."""
    notes = ["Day of the run"]
    if math.isfinite(warmup_min) and warmup_min > 0:
        notes.append("grey: warm-up, not measured")
    if replications > 1:
        notes.append("bands: lowest to highest replication")
    return " · ".join(notes)


def timeseries_chart(results: Results, series: Series) -> Figure:
    """A run hour by hour: queues, unanswered public posts, impressions so far, agents.

    Panels: waiting per channel; public posts in view with no good answer; impressions so far
    (cumulative negative and positive, two lines, never netted); agents per team.
    Lines are means over replications; bands run from the lowest to the highest replication.
    The warm-up (not measured) is shaded. A panel whose series the folder lacks (an older run
    has no impressions) is left out.

    Raises:
        PlotError: the series hold none of queue, unanswered_public_posts,
            impressions_*_cumulative, agents_*.
    """
    days = (series.hour_start_min + 30.0) / 1440.0
    panels = _panels(series)
    if not panels:
        raise PlotError(f"{results.folder / TIMESERIES}: no series to draw")
    replications = max(v.shape[0] for v in series.values.values())
    with chart_style():
        columns = 1 if len(panels) == 1 else 2
        rows = math.ceil(len(panels) / columns)
        figure = Figure(figsize=(WIDTH_IN, 1.2 + 3.0 * rows), layout="constrained")
        grid = figure.subplots(rows, columns, squeeze=False, sharex=True)
        axes: list[Axes] = list(grid.flat)
        for extra in axes[len(panels) :]:
            extra.set_visible(False)
        for ax, panel in zip(axes, panels, strict=False):
            _draw_panel(ax, panel, days, replications, results.warmup_min)
        for ax in axes[len(panels) - columns : len(panels)]:
            ax.xaxis.set_tick_params(labelbottom=True)
        figure.supxlabel(_notes(results.warmup_min, replications), fontsize=13)
        policy = results.policies[0] if results.policies else "?"
        figure.suptitle(
            f"{results.headline} — policy {policy}, hour by hour, mean of "
            f"{replications} replication{'s' if replications != 1 else ''}",
            fontweight="bold",
        )
    return figure
