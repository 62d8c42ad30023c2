"""A comparison's charts: each policy's levels, and each policy minus the baseline, paired."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from simcare.metrics import Better
from simcare.reports.charts.style import (
    GREY,
    LIGHT_GREY,
    OKABE_ITO,
    SLIDE_IN,
    WIDTH_IN,
    PlotError,
    bar_intervals,
    chart_style,
    chosen,
    direction,
    finish,
    grid,
    light_grid,
    panel_title,
    policy_label,
    policy_styles,
    replications_text,
    shape,
    short_label,
    spread,
    ticks,
    wrap,
)
from simcare.reports.format import axis_scale, identical
from simcare.results.read import Results, Row

_CALL_STYLE = {
    "better": (OKABE_ITO["blue"], "o", "better"),
    "worse": (OKABE_ITO["vermillion"], "s", "worse"),
    "too close to call": (GREY, "o", "too close to call (95% CI includes 0)"),
    "identical": (GREY, "x", "identical (the same in every replication)"),
    "undefined": (LIGHT_GREY, "o", "undefined (too few pairs)"),
    "neutral": (OKABE_ITO["black"], "D", "difference (neither way is better)"),
}
"""A paired difference's call: colour, marker and legend text (colour and shape both tell).

"neutral" is an outcome with no better direction (its call is always "too close to call");
"identical", a difference of 0 in every replication, as the command line says.
"""
_HOLLOW = ("too close to call", "undefined")
"""Calls drawn as hollow markers."""


def _limits(
    ax: Axes, low: Iterable[float], high: Iterable[float], zero: bool = True, room: float = 0.0
) -> None:
    """Set x limits that show every interval (and 0), with a margin.

    With ``room``, each side of 0 takes at least that share of the width (for the labels of
    the sides).
    """
    ends = [v for v in (*low, *high) if math.isfinite(v)] + ([0.0] if zero else [])
    if not ends:
        return
    left, right = min(ends), max(ends)
    pad = (right - left) * 0.06 or max(abs(left), abs(right), 1.0) * 0.1
    left, right = left - pad, right + pad
    if room:
        width = right - left
        left, right = min(left, -room * width), max(right, room * width)
    ax.set_xlim(left, right)


def _sides(ax: Axes, better: Better | None) -> None:
    """Write which side of 0 is better above a difference panel: "← better | worse →"."""
    if better is None:
        return
    good = ("better", OKABE_ITO["blue"])
    bad = ("worse", OKABE_ITO["vermillion"])
    lower, higher = (good, bad) if better is Better.LOWER else (bad, good)
    place = ax.get_xaxis_transform()
    for text, align, tint in (
        (f"← {lower[0]} ", "right", lower[1]),
        (f" {higher[0]} →", "left", higher[1]),
    ):
        ax.text(
            0,
            1.02,
            text,
            transform=place,
            ha=align,
            va="bottom",
            color=tint,
            fontsize=12,
            fontweight="bold",
        )


# --- levels ---


def _level_panel(ax: Axes, results: Results, outcome: str, panels: int) -> None:
    """One outcome's panel: a bar per policy at its mean, with its 95% CI."""
    policies = results.policies
    styles = policy_styles(results)
    y = np.arange(len(policies), dtype=float)
    found = [results.row(p, outcome) for p in policies]
    scale = axis_scale(results.unit(outcome), results.currency, [r.mean for r in found])
    mean = np.array([r.mean for r in found]) * scale.factor
    low = np.array([r.low for r in found]) * scale.factor
    high = np.array([r.high for r in found]) * scale.factor
    drawn = np.where(np.isnan(mean), 0.0, mean)
    ax.barh(
        y,
        drawn,
        height=0.68,
        color=[styles[p][0] for p in policies],
        hatch=[styles[p][1] for p in policies],
        edgecolor="white",
        linewidth=0.8,
    )
    defined = ~(np.isnan(low) | np.isnan(high) | np.isnan(mean))
    bar_intervals(ax, mean[defined], y[defined], (low[defined], high[defined]), 1.6, 5)
    for i in np.flatnonzero(np.isnan(mean)):
        ax.text(0, y[i], "  no data", va="center", color=GREY)
    _limits(ax, low[defined], high[defined])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.xaxis.set_major_formatter(ticks(scale))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_title(wrap(panel_title(results, outcome), panels))
    ax.set_xlabel(wrap(f"{results.label(outcome)}{scale.suffix}", panels))
    ax.set_yticks(y, labels=[policy_label(results, p) for p in policies])
    ax.set_ylim(len(policies) - 0.5, -0.5)
    light_grid(ax, "x")
    finish(ax)


def comparison_chart(results: Results, outcomes: Sequence[str] | None = None) -> Figure:
    """Each policy's mean and 95% CI in each key outcome, one panel per outcome.

    Policies are in the compare's order, top to bottom; the baseline is grey, hatched and
    labelled "(baseline)".

    Raises:
        PlotError: an outcome asked for is not in the folder, or there is nothing to draw.
    """
    drawn = chosen(results, outcomes)
    if not drawn or not results.policies:
        raise PlotError(f"{results.table}: no key outcome to compare")
    policies = results.policies
    with chart_style():
        rows, _ = shape(len(drawn))
        figure = Figure(
            figsize=(WIDTH_IN, max(SLIDE_IN[1], 1.0 + rows * (0.5 + 0.4 * len(policies)))),
            layout="constrained",
        )
        for ax, outcome in zip(grid(figure, len(drawn), sharey=True), drawn, strict=True):
            _level_panel(ax, results, outcome, len(drawn))
        figure.suptitle(
            f"{results.headline} — {len(policies)} policies, {replications_text(results)}, 95% CIs",
            fontweight="bold",
        )
    return figure


# --- paired differences ---


def _call_of(row: Row, outcome: str) -> str:
    """How a difference is drawn: its call, "neutral" when neither way is better."""
    if identical(row.difference, row.difference_low, row.difference_high):
        return "identical"
    call = row.call if row.call in _CALL_STYLE else "undefined"
    if direction(outcome) is None and call != "undefined":
        call = "neutral"
    return call


def _difference_point(
    ax: Axes, i: int, y: np.ndarray, mid: np.ndarray, low: np.ndarray, high: np.ndarray, call: str
) -> None:
    """The ``i``-th policy's difference and its 95% CI (none when an end is unknown)."""
    tint, marker, _ = _CALL_STYLE[call]
    error = None
    if math.isfinite(low[i]) and math.isfinite(high[i]):
        error = spread(mid[i : i + 1], low[i : i + 1], high[i : i + 1])
    ax.errorbar(
        [mid[i]],
        [y[i]],
        xerr=error,
        fmt=marker,
        color=tint,
        markersize=10,
        markerfacecolor="white" if call in _HOLLOW else tint,
        markeredgewidth=2,
        elinewidth=2.2,
        capsize=5,
        zorder=3,
    )


def _difference_panel(
    ax: Axes, results: Results, outcome: str, others: list[str], panels: int
) -> set[str]:
    """One outcome's panel of paired differences; returns the calls drawn."""
    y = np.arange(len(others), dtype=float)
    found = [results.row(p, outcome) for p in others]
    unit = results.unit(outcome)
    scale = axis_scale(unit, results.currency, [r.difference for r in found], True)
    mid = np.array([r.difference for r in found]) * scale.factor
    low = np.array([r.difference_low for r in found]) * scale.factor
    high = np.array([r.difference_high for r in found]) * scale.factor
    ax.axvline(0, color="black", linewidth=1.2, zorder=1)
    calls: set[str] = set()
    for i, row in enumerate(found):
        if math.isnan(mid[i]):
            ax.text(0, y[i], "  no data", va="center", color=GREY)
            continue
        call = _call_of(row, outcome)
        calls.add(call)
        _difference_point(ax, i, y, mid, low, high, call)
    _limits(ax, np.concatenate([low, mid]), np.concatenate([high, mid]), room=0.25)
    ax.xaxis.set_major_formatter(ticks(scale))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_title(wrap(short_label(results, outcome), panels), pad=24)
    ax.set_xlabel(f"policy − {results.baseline}{scale.suffix}")
    _sides(ax, direction(outcome))
    ax.set_yticks(y, labels=others)
    ax.set_ylim(len(others) - 0.5, -0.5)
    light_grid(ax, "x")
    finish(ax)
    return calls


def _call_legend(figure: Figure, calls: set[str]) -> None:
    """A legend of the calls drawn, and always of better, worse and too close to call."""
    handles = [
        Line2D(
            [],
            [],
            color=_CALL_STYLE[call][0],
            marker=_CALL_STYLE[call][1],
            markersize=10,
            markeredgewidth=2,
            markerfacecolor="white" if call in _HOLLOW else None,
            linestyle="",
            label=_CALL_STYLE[call][2],
        )
        for call in _CALL_STYLE
        if call in calls or call in ("better", "worse", "too close to call")
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))


def difference_chart(results: Results, outcomes: Sequence[str] | None = None) -> Figure:
    """Each policy minus the baseline, paired replication by replication, with its 95% CI.

    Colour and marker say whether the policy is better, worse or too close to call; a zero line
    marks "same as the baseline", and each axis says which side is better.

    Raises:
        PlotError: no baseline, no other policy, or an outcome asked for is not in the folder.
    """
    drawn = chosen(results, outcomes)
    others = [p for p in results.policies if p != results.baseline]
    if results.baseline is None or not others or not drawn:
        raise PlotError(f"{results.table}: no policy to compare with a baseline")
    calls: set[str] = set()
    with chart_style():
        rows, _ = shape(len(drawn))
        figure = Figure(
            figsize=(WIDTH_IN, max(SLIDE_IN[1], 1.4 + rows * (0.8 + 0.4 * len(others)))),
            layout="constrained",
        )
        for ax, outcome in zip(grid(figure, len(drawn), sharey=True), drawn, strict=True):
            calls |= _difference_panel(ax, results, outcome, others, len(drawn))
        _call_legend(figure, calls)
        figure.suptitle(
            f"{results.headline} — each policy against {results.baseline}, paired over "
            f"{replications_text(results)} (95% CIs)",
            fontweight="bold",
        )
    return figure
