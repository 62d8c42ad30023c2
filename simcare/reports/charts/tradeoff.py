"""A sweep's (or a comparison's) trade-off: total cost against churn, the best trade-offs marked.

Total cost is what the brand pays (staff and compensation): a point that saves an agent but
pays its savings out in refunds is no cheaper.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simcare.reports.charts.style import (
    SLIDE_IN,
    PlotError,
    chart_style,
    colour,
    finish,
    light_grid,
    spread,
    ticks,
)
from simcare.reports.charts.sweeps import short_keys
from simcare.reports.format import axis_scale
from simcare.results.read import Results, Row

CHURN_RATE = "complainant_churn_rate"
MAX_LABELS = 10
"""Points of the trade-off's front labelled at most (spread along it); all are ringed."""
MAX_NAMED_BESIDE = 6
"""Past this many best trade-offs, each is numbered on the chart and named in a list beside it
(names written next to the points would overlap)."""
MAX_LISTED = 24
"""Best trade-offs numbered and listed at most (spread along the front)."""
LIST_WIDTH = 34
"""Characters a line of the list beside the chart holds (a longer name wraps)."""

_Point = tuple[str, str, float, Row]
"""A point and policy of the trade-off: policy, label, cost, churn."""


def pareto_front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Mark the points no other point beats when lower is better on both axes.

    A point is dominated when another is at most as high on both axes and lower on one. Equal
    points are both on the front; a point with a NaN is never on it.
    """
    order = sorted(
        (i for i, (x, y) in enumerate(points) if not (math.isnan(x) or math.isnan(y))),
        key=lambda i: points[i],
    )
    front = [False] * len(points)
    best = math.inf  # lowest y among points with a strictly lower x
    start = 0
    while start < len(order):
        x = points[order[start]][0]
        end = start
        while end < len(order) and points[order[end]][0] == x:
            end += 1
        lowest = points[order[start]][1]  # sorted by (x, y): the group's first has the lowest y
        if lowest < best:
            for i in order[start:end]:
                front[i] = points[i][1] == lowest
            best = lowest
        start = end
    return front


def tradeoff_axes(results: Results) -> tuple[str, float, str] | None:
    """The cost outcome, its sign and its axis label; None when the folder has none."""
    if results.has("total_cost"):
        return "total_cost", 1.0, results.label("total_cost")
    if results.has("staff_cost"):
        return "staff_cost", 1.0, results.label("staff_cost")
    if results.has("net_value"):
        return "net_value", -1.0, "Net loss (− net value)"
    return None


def distinct_keys(keys: Sequence[str]) -> list[str]:
    """Dotted keys by what tells them apart: the parts all of them share dropped.

    ``teams.social_desk.shifts.0.agents`` and ``teams.email_desk.shifts.0.agents`` are
    ``social_desk`` and ``email_desk``; one key alone, or keys left with nothing, fall back to
    `short_keys` ("agents").
    """
    parts = [key.split(".") for key in keys]
    if len(parts) < 2:
        return short_keys(keys)
    shortest = min(len(p) for p in parts)
    front = next((k for k in range(shortest) if len({p[k] for p in parts}) > 1), shortest)
    back = next((k for k in range(shortest) if len({p[-1 - k] for p in parts}) > 1), shortest)
    names = [".".join(p[front : len(p) - back]) for p in parts]
    if not all(names) or len(set(names)) < len(names):
        return short_keys(keys)
    return names


def _tradeoff_points(results: Results, cost: str, sign: float) -> list[_Point]:
    """Every point and policy, labelled by its settings (and its policy, if there are two)."""
    points = results.points() if results.kind == "sweep" else [(None, ())]
    shorts = distinct_keys(results.keys)
    found: list[_Point] = []
    for n, settings in points:
        for policy in results.policies:
            x = sign * results.row(policy, cost, point=n).mean
            where = ", ".join(f"{k}={v}" for k, v in zip(shorts, settings, strict=True))
            label = " · ".join(
                part for part in (where, policy if len(results.policies) > 1 else "") if part
            )
            found.append((policy, label, x, results.row(policy, CHURN_RATE, point=n)))
    return found


def _policy_points(ax: Axes, tint: str, mine: list[tuple[float, Row, bool]]) -> None:
    """One policy's points (cost, churn, on the front) with churn's 95% CI; the best ringed."""
    ax.errorbar(
        [x for x, _, _ in mine],
        [c.mean for _, c, _ in mine],
        yerr=spread(
            np.array([c.mean for _, c, _ in mine]),
            np.array([c.low for _, c, _ in mine]),
            np.array([c.high for _, c, _ in mine]),
        ),
        fmt="none",
        ecolor=tint,
        alpha=0.5,
        elinewidth=1.2,
        capsize=0,
    )
    for best in (False, True):
        ax.scatter(
            [x for x, _, b in mine if b is best],
            [c.mean for _, c, b in mine if b is best],
            s=150 if best else 60,
            color=tint,
            edgecolors="black" if best else "none",
            linewidths=2 if best else 0,
            zorder=4 if best else 2,
        )


def _spread_along(count: int, most: int) -> set[int]:
    """Up to ``most`` indices of ``count`` items, evenly spread, the first and last included."""
    return {int(k) for k in np.linspace(0, count - 1, min(count, most)).round()} if count else set()


def _numbered(ax: Axes, best_points: list[tuple[float, float, str]]) -> list[str]:
    """Number the best trade-offs on the chart; return the list of what each number is."""
    listed = sorted(_spread_along(len(best_points), MAX_LISTED))
    lines = []
    for number, k in enumerate(listed, start=1):
        x, y, label = best_points[k]
        ax.annotate(
            str(number),
            (x, y),
            xytext=(0, 11 if number % 2 else -17),
            textcoords="offset points",
            ha="center",
            fontsize=10,
            fontweight="bold",
            zorder=5,
        )
        wrapped = textwrap.wrap(label, LIST_WIDTH, break_on_hyphens=False) or [""]
        lines.append(f"{number:>2}  " + "\n    ".join(wrapped))
    if len(listed) < len(best_points):
        lines.append(f"(+{len(best_points) - len(listed)} more ringed)")
    return lines


def _list_beside(beside: Axes, lines: list[str]) -> None:
    """The numbered best trade-offs, named in a column beside the chart."""
    beside.axis("off")
    text = "Best trade-offs\n" + "\n".join(lines)
    listed = beside.text(
        0.0,
        1.0,
        text,
        va="top",
        ha="left",
        fontsize=12 if text.count("\n") <= MAX_LISTED / 2 else 9,
        transform=beside.transAxes,
        linespacing=1.4,
        family="monospace",
    )
    listed.set_in_layout(False)  # wrapped to the column: the chart keeps its width


def _front(ax: Axes, best_points: list[tuple[float, float, str]], middle: float) -> None:
    """Join the best trade-offs and label up to `MAX_LABELS` of them, spread along the front."""
    ax.plot(
        [x for x, _, _ in best_points],
        [y for _, y, _ in best_points],
        color="black",
        linewidth=1.2,
        linestyle=":",
        drawstyle="steps-post",
        zorder=3,
    )
    if len(best_points) > MAX_NAMED_BESIDE:
        return  # numbered instead (see `_numbered`)
    labelled = _spread_along(len(best_points), MAX_LABELS)
    for k, (x, y, label) in enumerate(best_points):
        if k not in labelled:
            continue
        right = x > middle  # labels of points on the right go to their left
        ax.annotate(
            label,
            (x, y),
            xytext=(-12 if right else 12, 12 if k % 2 == 0 else -20),
            textcoords="offset points",
            ha="right" if right else "left",
            fontsize=11,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
            zorder=5,
        )


def _front_handle() -> Line2D:
    """The legend's entry of a ringed point."""
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markersize=12,
        markerfacecolor="white",
        markeredgecolor="black",
        markeredgewidth=2,
        label="best trade-off (none cheaper with less churn)",
    )


def tradeoff_chart(results: Results) -> Figure:
    """Total cost (or staff cost, or net loss) against complainant churn, every point and policy.

    The best trade-offs (no other point and policy is cheaper with less churn, the Pareto
    front) are ringed, joined and labelled: by name beside each when there are at most
    `MAX_NAMED_BESIDE`, else by number, with the list of numbers beside the chart.

    Raises:
        PlotError: the folder has no complainant churn rate, or no total cost, staff cost or
            net value.
    """
    axes_found = tradeoff_axes(results)
    if axes_found is None or not results.has(CHURN_RATE):
        raise PlotError(
            f"{results.table}: a trade-off needs {CHURN_RATE} and total_cost, staff_cost or "
            "net_value"
        )
    cost, sign, cost_label = axes_found
    found = _tradeoff_points(results, cost, sign)
    front = pareto_front([(x, churn.mean) for _, _, x, churn in found])
    money = axis_scale("money", results.currency, [])
    share = axis_scale("share", results.currency, [])
    xs = [x for _, _, x, _ in found if math.isfinite(x)]
    middle = (min(xs, default=0.0) + max(xs, default=0.0)) / 2
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        if sum(front) > MAX_NAMED_BESIDE:
            ax, beside = figure.subplots(1, 2, width_ratios=(4, 1.3))
        else:
            ax, beside = figure.subplots(), None
        handles: list[Line2D] = []
        for j, policy in enumerate(results.policies):
            tint, _ = colour(j)
            mine = [
                (x, churn, best)
                for (p, _, x, churn), best in zip(found, front, strict=True)
                if p == policy
            ]
            _policy_points(ax, tint, mine)
            handles.append(
                Line2D([], [], marker="o", linestyle="", markersize=9, color=tint, label=policy)
            )
        best_points = sorted(
            (x, churn.mean, label)
            for (_, label, x, churn), best in zip(found, front, strict=True)
            if best
        )
        _front(ax, best_points, middle)
        if beside is not None:
            _list_beside(beside, _numbered(ax, best_points))
        ax.xaxis.set_major_formatter(ticks(money))
        ax.yaxis.set_major_formatter(ticks(share))
        ax.set_xlabel(f"{cost_label}{money.suffix} — lower is better")
        ax.set_ylabel(f"{results.label(CHURN_RATE)} (%) — lower is better")
        light_grid(ax)
        ax.margins(0.12)
        handles.append(_front_handle())
        ax.legend(handles=handles, loc="best", title="Policy · bars: 95% CI of churn")
        finish(ax)
        figure.suptitle(
            f"{results.headline} — cost against churn, every point and policy",
            fontweight="bold",
        )
    return figure
