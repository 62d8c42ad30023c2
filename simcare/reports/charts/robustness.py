"""A robustness study's charts: the tornado of drivers, and the difference against the top one.

Both read the study's JSON data (robustness.json). For each outcome the chart shows its most
fragile verdict (the lowest share of plausible worlds), the one a reader needs to see.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure

from simcare.metrics import OUTCOMES
from simcare.reports.charts.style import (
    GREY,
    SLIDE_IN,
    chart_style,
    colour,
    finish,
    light_grid,
    ticks,
)
from simcare.reports.format import axis_scale

MAX_BARS = 10
"""Inputs a tornado shows (the strongest; the rest are in robustness.csv)."""


def fragile_verdicts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Per outcome, its verdict with the lowest share of worlds (in the study's order)."""
    chosen: dict[str, dict[str, Any]] = {}
    for held in data["verdicts"]:
        kept = chosen.get(held["outcome"])
        if kept is None or held["share"] < kept["share"]:
            chosen[held["outcome"]] = held
    return list(chosen.values())


def _title(held: dict[str, Any]) -> str:
    return f"{held['statement']}: holds in {held['share']:.0%} of plausible worlds"


def tornado_chart(data: dict[str, Any], held: dict[str, Any]) -> Figure:
    """The inputs that move a verdict's paired difference most: PRCC with its 95% CI."""
    drivers = held["drivers"][:MAX_BARS][::-1]  # the strongest on top
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        rows = range(len(drivers))
        values = [d["prcc"] for d in drivers]
        tints = [colour(0)[0] if v >= 0 else colour(1)[0] for v in values]
        ax.barh(rows, values, color=tints, height=0.6)
        ax.errorbar(
            values,
            rows,
            xerr=[
                [v - d["prcc_low"] for v, d in zip(values, drivers, strict=True)],
                [d["prcc_high"] - v for v, d in zip(values, drivers, strict=True)],
            ],
            fmt="none",
            ecolor="black",
            elinewidth=1.2,
            capsize=4,
        )
        ax.axvline(0, color=GREY, linewidth=1)
        ax.set_yticks(list(rows), [d["input"] for d in drivers])
        ax.set_xlim(-1.05, 1.05)
        ax.set_xlabel(
            f"Partial rank correlation with {held['policy']}'s advantage over {held['other']} "
            "(95% CI)"
        )
        light_grid(ax, "x")
        finish(ax)
        figure.suptitle(_title(held))
    return figure


def driver_chart(data: dict[str, Any], held: dict[str, Any], currency: str = "$") -> Figure:
    """A verdict's paired difference in each world against its top driver, and the rule."""
    top = held["drivers"][0]["input"] if held["drivers"] else next(iter(data["world_inputs"]))
    xs = data["world_inputs"][top]
    ys = [math.nan if d is None else d for d in held["differences"]]
    spec = OUTCOMES[held["outcome"]]
    scale = axis_scale(spec.unit, currency, ys, difference=True)
    with chart_style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        held_in = held.get("held_in") or [True] * len(xs)
        for holds, tint, name in ((True, colour(0)[0], "holds"), (False, colour(1)[0], "flips")):
            mine = [(x, y) for x, y, h in zip(xs, ys, held_in, strict=True) if h is holds]
            ax.scatter(
                [x for x, _ in mine], [y for _, y in mine], s=40, color=tint, label=name, alpha=0.85
            )
        ax.legend(title="the verdict", loc="best")
        ax.axhline(0, color=GREY, linewidth=1)
        rule = held.get("rule")
        if rule is not None and rule["input"] == top:
            ax.axvline(rule["threshold"], color="black", linewidth=1.2, linestyle="--")
            ax.annotate(
                f" {top} = {rule['threshold']:.3g}",
                (rule["threshold"], 1.0),
                xycoords=("data", "axes fraction"),
                va="top",
                fontsize=11,
            )
        ax.yaxis.set_major_formatter(ticks(scale))
        ax.set_xlabel(top)
        ax.set_ylabel(f"{held['policy']} − {held['other']}{scale.suffix}")
        light_grid(ax)
        finish(ax)
        figure.suptitle(f"{spec.label}: {held['policy']} − {held['other']} in each world")
    return figure
