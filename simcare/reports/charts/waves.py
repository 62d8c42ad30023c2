"""Complaint journeys started day by day, a line per policy: the snowball, or its absence."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simcare.reports.charts.style import (
    GREY,
    SLIDE_IN,
    PlotError,
    chart_style,
    compact_ticks,
    finish,
    light_grid,
    policy_label,
    policy_styles,
    replications_text,
)
from simcare.results.read import Results

OUTCOME = "journeys_by_day"
"""The outcome drawn, one scope per day ("day:N")."""


def _days(results: Results) -> list[tuple[int, str]]:
    """The days the folder has, as (day number, scope), in order."""
    days = [(int(scope.removeprefix("day:")), scope) for scope in results.scopes(OUTCOME, "day:")]
    return sorted(days)


def complaints_chart(results: Results) -> Figure:
    """Complaint journeys started each day of the run, a line per policy with its 95% CI.

    Policies meet the same customers, so where the lines part is where the policy changed how
    many complained (contagion); the baseline is grey and dashed.

    Raises:
        PlotError: the folder has no journeys by day.
    """
    days = _days(results)
    if not days:
        raise PlotError(f"{results.table}: no complaint journeys by day (outcome {OUTCOME})")
    x = np.array([day for day, _ in days], dtype=float)
    styles = policy_styles(results)
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        top = 0.0
        for policy in results.policies:
            rows = [results.row(policy, OUTCOME, scope) for _, scope in days]
            mean = np.array([r.mean for r in rows])
            low = np.array([r.low if math.isfinite(r.low) else r.mean for r in rows])
            high = np.array([r.high if math.isfinite(r.high) else r.mean for r in rows])
            tint = styles[policy][0]
            baseline = policy == results.baseline
            ax.fill_between(x, low, high, color=tint, alpha=0.18, linewidth=0)
            ax.plot(
                x,
                mean,
                color=GREY if baseline else tint,
                linestyle="--" if baseline else "-",
                linewidth=2.0,
                marker="o",
                markersize=4,
                label=policy_label(results, policy),
            )
            top = max(top, float(np.nanmax(high, initial=0.0)))
        ax.set_ylim(0, top * 1.25 or 1.0)
        ax.set_xlabel("Day of the run (journeys counted on the day they started)")
        ax.set_ylabel("complaint journeys started")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(compact_ticks())
        ax.legend(loc="upper left", fontsize=11, framealpha=0.85)
        light_grid(ax, width=0.6)
        finish(ax)
        figure.suptitle(
            f"{results.headline} — complaints over time, {replications_text(results)}",
            fontweight="bold",
        )
    return figure
