"""Summary tables: values formatted in the unit a person would use, as text, CSV and JSON data."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from simcare.core.stats import Estimate
from simcare.core.units import display_unit, format_duration
from simcare.experiments.replicate import RunResult
from simcare.metrics import OUTCOMES, Unit


def format_value(value: float, unit: Unit, currency: str = "$", like: float | None = None) -> str:
    """Format one number for a reader: "7.8 s", "17.4%", "9,245", "$25,760".

    A duration is written in the unit that suits ``like`` when given (so that both ends of an
    interval share the unit of its mean).
    """
    if math.isnan(value):
        return "—"
    if unit is Unit.MINUTES:
        scale = like if like is not None and math.isfinite(like) else value
        return format_duration(value, display_unit(scale) if math.isfinite(scale) else None)
    if unit is Unit.SHARE:
        return f"{value:.1%}"
    if unit is Unit.MONEY:
        return f"{'−' if value < 0 else ''}{currency}{abs(value):,.0f}"
    if unit is Unit.HOURS:
        return f"{value:,.1f} h"
    return (
        f"{value:,.1f}" if abs(value) < 100 and not float(value).is_integer() else f"{value:,.0f}"
    )


def _shown_scopes(result: RunResult) -> set[str]:
    """Show per-channel and per-team rows only when they add something to the totals."""
    scopes = {"all"} | {
        row.scope for row in result.summary if row.scope.startswith(("flow:", "cause:"))
    }
    if len(result.scenario.channels) > 1:
        scopes |= {f"channel:{name}" for name in result.scenario.channels}
    if len(result.scenario.teams) > 1:
        scopes |= {f"team:{name}" for name in result.scenario.teams}
    return scopes


def summary_table(result: RunResult) -> Table:
    """Return a rich table of the run's outcomes with 95% confidence intervals."""
    scenario = result.scenario
    currency = scenario.currency
    table = Table(  # a Text title: the scenario's title is not rich markup
        title=Text(
            f"{scenario.title or scenario.name} — policy {result.policy}, "
            f"{result.replications} replication{'s' if result.replications != 1 else ''}, "
            f"seed {result.seed}"
        ),
        title_justify="left",
    )
    shown = _shown_scopes(result)
    table.add_column("Outcome")
    if len(shown) > 1:
        table.add_column("Scope")
    table.add_column("Mean", justify="right")
    table.add_column("95% CI", justify="right")
    for row in result.summary:
        if row.scope not in shown or row.estimate.n == 0:
            continue
        if row.scope.startswith("cause:") and row.estimate.mean == 0:
            continue  # a cause nobody left for
        spec = OUTCOMES[row.outcome]
        est = row.estimate
        cells = [spec.label, row.scope.replace(":", " ")] if len(shown) > 1 else [spec.label]
        table.add_row(
            *cells, format_value(est.mean, spec.unit, currency), _interval(est, spec.unit, currency)
        )
    return table


def _interval(est: Estimate, unit: Unit, currency: str) -> str:
    """The CI as text, clipped to what the outcome can be (the t interval can stray below 0)."""
    if math.isnan(est.half_width):
        return "—"
    low, high = est.low, est.high
    if unit is not Unit.MONEY:  # counts, times and shares are never negative
        low = max(low, 0.0)
    if unit is Unit.SHARE:
        high = min(high, 1.0)
    low_text = format_value(low, unit, currency, like=est.mean)
    return f"{low_text} – {format_value(high, unit, currency, like=est.mean)}"
