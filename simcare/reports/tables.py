"""A run's summary table for the terminal: each outcome's mean and 95% CI, in its unit."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from simcare.core.stats import Estimate
from simcare.experiments.replicate import RunResult
from simcare.metrics import OUTCOMES, Unit
from simcare.reports.format import format_value


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
