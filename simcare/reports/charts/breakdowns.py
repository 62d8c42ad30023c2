"""Where complaints went under each policy: customers lost by cause, escalations by route."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simcare.reports.charts.style import (
    WIDTH_IN,
    PlotError,
    bar_intervals,
    chart_style,
    colour,
    compact_ticks,
    finish,
    light_grid,
    policy_label,
    policy_styles,
    replications_text,
)
from simcare.reports.format import whole_number
from simcare.results.read import Results


def _policies_text(results: Results) -> str:
    """The policies drawn: "policy ignore" or "3 policies"."""
    policies = results.policies
    return f"policy {policies[0]}" if len(policies) == 1 else f"{len(policies)} policies"


# --- customers lost by cause ---


def _causes(results: Results) -> list[str]:
    """The causes anyone left for, most customers first."""
    causes = results.scopes("churned", "cause:")
    totals = {
        cause: sum(
            v for p in results.policies if math.isfinite(v := results.row(p, "churned", cause).mean)
        )
        for cause in causes
    }
    return sorted((c for c in causes if totals[c] > 0), key=lambda c: (-totals[c], c))


def _stacked_causes(ax: Axes, results: Results, shown: list[str], y: np.ndarray) -> np.ndarray:
    """A bar per policy, a segment per cause; returns each bar's total."""
    left = np.zeros(len(results.policies))
    for i, cause in enumerate(shown):
        values = np.array([results.row(p, "churned", cause).mean for p in results.policies])
        values = np.where(np.isnan(values), 0.0, values)
        tint, hatch = colour(i)
        ax.barh(
            y,
            values,
            left=left,
            height=0.66,
            color=tint,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.8,
            label=cause.removeprefix("cause:").capitalize(),
        )
        left += values
    return left


def churn_chart(results: Results) -> Figure:
    """Customers lost by cause, one stacked bar per policy (a run: one bar).

    Raises:
        PlotError: the folder has no churn by cause.
    """
    shown = _causes(results)
    policies = results.policies
    if not shown or not policies:
        raise PlotError(f"{results.table}: no customers lost by cause (outcome churned)")
    y = np.arange(len(policies), dtype=float)
    with chart_style():
        figure = Figure(
            figsize=(WIDTH_IN, max(4.0, 2.6 + 0.55 * len(policies))), layout="constrained"
        )
        ax = figure.subplots()
        left = _stacked_causes(ax, results, shown, y)
        for i, total in enumerate(left):
            ax.text(total, y[i], f"  {whole_number(total)}", va="center", fontsize=12)
        ax.set_xlim(0, max(left) * 1.12 if max(left) > 0 else 1)
        ax.set_yticks(y, labels=[policy_label(results, p) for p in policies])
        ax.set_ylim(len(policies) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(compact_ticks())
        ax.set_xlabel("Customers lost (mean per replication)")
        light_grid(ax, "x")
        finish(ax)
        figure.legend(loc="outside lower center", ncols=min(4, len(shown)), title="Why they left")
        figure.suptitle(
            f"{results.headline} — customers lost by cause, {_policies_text(results)}, mean of "
            f"{replications_text(results)}",
            fontweight="bold",
        )
    return figure


# --- escalations by route ---


def _flow_label(scope: str) -> str:
    source, _, target = scope.removeprefix("flow:").partition("→")
    return f"{source} → {target}" if target else source


def _flow_bars(ax: Axes, results: Results, flows: list[str]) -> None:
    """A bar per route and policy at its mean, with its 95% CI; a route never taken reads 0."""
    policies = results.policies
    styles = policy_styles(results)
    band = 0.8
    height = band / len(policies)
    centres = np.arange(len(flows), dtype=float)
    for j, policy in enumerate(policies):
        found = [results.row(policy, "escalations", flow) for flow in flows]
        mean = np.array([0.0 if math.isnan(r.mean) else r.mean for r in found])
        low = np.array([r.low for r in found])
        high = np.array([r.high for r in found])
        y = centres - band / 2 + (j + 0.5) * height
        tint, hatch = styles[policy]
        ax.barh(
            y,
            mean,
            height=height * 0.92,
            color=tint,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.6,
            label=policy_label(results, policy),
        )
        defined = ~(np.isnan(low) | np.isnan(high))
        if defined.any():
            bar_intervals(ax, mean[defined], y[defined], (low[defined], high[defined]), 1.2, 3)
        for k in np.flatnonzero(mean == 0):
            ax.text(0, y[k], " 0", va="center", fontsize=10, color="#555555")
    ax.set_yticks(centres, labels=[_flow_label(f) for f in flows])


def flow_chart(results: Results) -> Figure:
    """Escalations from one channel to another, per route: one bar per policy with its 95% CI.

    A route a policy never takes has no row in the table and shows as zero.

    Raises:
        PlotError: the folder has no escalation flows.
    """
    flows = results.scopes("escalations", "flow:")
    policies = results.policies
    if not flows or not policies:
        raise PlotError(f"{results.table}: no escalation flows (outcome escalations)")
    with chart_style():
        figure = Figure(
            figsize=(
                WIDTH_IN,
                min(9.0, max(4.0, 1.8 + len(flows) * (0.3 + 0.2 * len(policies)))),
            ),
            layout="constrained",
        )
        ax = figure.subplots()
        _flow_bars(ax, results, flows)
        ax.set_ylim(len(flows) - 0.5, -0.5)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(compact_ticks())
        ax.set_xlabel("Escalations from one channel to the next (mean per replication)")
        light_grid(ax, "x")
        finish(ax)
        if len(policies) > 1:
            figure.legend(loc="outside lower center", ncols=min(3, len(policies)))
        figure.suptitle(
            f"{results.headline} — escalations by route, {_policies_text(results)}, "
            f"{replications_text(results)}, 95% CIs",
            fontweight="bold",
        )
    return figure
