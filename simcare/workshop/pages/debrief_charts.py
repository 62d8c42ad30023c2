"""The debrief's charts: the report's policy charts, each team drawn as a "policy"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from simcare.reports.charts import (
    PlotError,
    Results,
    Row,
    comparison_chart,
    difference_chart,
    svg_text,
)
from simcare.reports.html import Html, figure, inline_svg, tag
from simcare.workshop.debrief import Debrief
from simcare.workshop.decisions import BASELINE_TEAM
from simcare.workshop.pages.parts import plural
from simcare.workshop.scoreboard import SCOREBOARD

__all__ = ["debrief_charts"]


class _Panel(NamedTuple):
    """How a scoreboard measure is drawn: as which outcome (same unit and direction), titled."""

    outcome: str
    title: str
    axis: str  # the axis label, before the unit


_PANELS = {
    "churn": _Panel(
        "complainant_churn_rate", "Churn among complainants", "Churn among complainants"
    ),
    "negative_word_of_mouth": _Panel(
        "impressions_negative", "Negative word of mouth", "Public impressions, negative"
    ),
    "cost": _Panel("staff_cost", "Cost: staff + compensation", "Staff cost + compensation"),
}
"""The scoreboard measures' chart panels: the policy charts draw outcomes, so each measure is
drawn as an outcome with its unit and direction, and relabelled."""


def _chart_results(debrief: Debrief) -> Results:
    """The teams as the policy charts take them: one "policy" per team."""
    rows: list[Row] = []
    for team in debrief.teams:
        for measure in SCOREBOARD:
            score = team.scores[measure.key]
            rows.append(
                Row(
                    point=None,
                    settings=(),
                    policy=team.name,
                    outcome=_PANELS[measure.key].outcome,
                    scope="all",
                    label=measure.short,
                    unit=measure.unit.value,
                    mean=score.mean,
                    low=score.low,
                    high=score.high,
                    difference=score.difference,
                    difference_low=score.difference - score.difference_half_width,
                    difference_high=score.difference + score.difference_half_width,
                    call=score.call.value if score.call is not None else "",
                )
            )
    scenario = debrief.workshop.scenario
    return Results(
        folder=Path(scenario.name),
        kind="compare",
        title=debrief.workshop.title,
        currency=scenario.currency,
        policies=tuple(t.name for t in debrief.teams),
        baseline=debrief.baseline.name,
        replications=debrief.replications,
        keys=(),
        rows=tuple(rows),
    )


def _unit_suffix(label: str) -> str:
    """The unit at the end of an axis label: " (%)" of "Churn (%)", else ""."""
    _, found, unit = label.rpartition(" (")
    return f" ({unit}" if found and unit.endswith(")") else ""


def _set_title(ax: Axes, text: str) -> None:
    """Replace an axes' left title, keeping its font and its distance from the axes."""
    old = ax.get_title(loc="left")
    for found in ax.findobj(Text):
        if found.get_text() == old:
            found.set_text(text)
            return


def _relabel(chart: Figure, kind: str, debrief: Debrief, headline: str) -> Figure:
    """Name the panels as the scoreboard does, and say "team" where the charts say "policy"."""
    axes = [ax for ax in chart.axes if ax.get_visible()]
    for ax, measure in zip(axes, SCOREBOARD, strict=False):
        panel = _PANELS[measure.key]
        suffix = _unit_suffix(ax.get_xlabel())
        if kind == "comparison":
            _set_title(ax, f"{panel.title}\n(lower is better)")
            ax.set_xlabel(f"{panel.axis}{suffix}")
        else:
            _set_title(ax, panel.title)
            ax.set_xlabel(f"team − {BASELINE_TEAM}{suffix}")
    runs = plural(debrief.replications, "replication")
    if kind == "comparison":
        text = f"{headline} — {len(debrief.teams)} teams, {runs}, 95% CIs"
    else:
        text = f"Each team minus {BASELINE_TEAM}, paired over {runs} (95% CIs)"
    chart.suptitle(text, fontweight="bold", fontsize=16)
    return chart


_Draw = Callable[[Results, Sequence[str]], Figure]


def debrief_charts(debrief: Debrief) -> list[Html]:
    """The report's comparison and difference charts, drawn for the teams (none if they fail)."""
    results = _chart_results(debrief)
    outcomes = [_PANELS[m.key].outcome for m in SCOREBOARD]
    wanted: list[tuple[str, _Draw, str]] = [
        (
            "comparison",
            comparison_chart,
            "Each scoreboard measure per team with its 95% confidence interval, teams in rank "
            "order; the baseline team is grey and hatched.",
        )
    ]
    if len(debrief.teams) > 1:
        wanted.append(
            (
                "differences",
                difference_chart,
                f"Each team minus {BASELINE_TEAM}, paired on the same customers, with its 95% "
                "confidence interval: better, worse, or too close to call.",
            )
        )
    try:
        drawn = [
            (name, _relabel(draw(results, outcomes), name, debrief, results.headline), caption)
            for name, draw, caption in wanted
        ]
    except PlotError:
        return []
    figures = [
        figure(inline_svg(svg_text(chart), f"debrief-{name}", caption), caption)
        for name, chart, caption in drawn
    ]
    return [tag("h2", "Charts"), *figures]
