"""The cells of `simcare sweep`'s table, read back from the summary.csv it has just written."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from simcare.core.errors import shown

if TYPE_CHECKING:
    from simcare.experiments.sweep import SweepPlan

_STYLES = {"better": "green", "worse": "red"}
SHORT_HEADINGS = {"total_cost": "Total cost"}
"""Headings of the sweep table beside the comparison table's (`SHORT_LABELS`)."""


def sweep_title(plan: SweepPlan, failed: list[int]) -> list[str]:
    """The table's title, and with a baseline point what its cells' differences mean."""
    title = f"{plan.name}: sweep summary (mean ± 95% half-width)"
    if failed:
        title += f"; {len(failed)} of {len(plan.points)} points failed"
    if plan.baseline_point is None:
        return [title]
    return [
        title,
        f"Δ: the paired difference from point {plan.baseline_point} under the same policy "
        "±95% half-width (the points share customers, replication by replication); better "
        "k/n: the replications where the point did better. Shares in percentage points.",
    ]


def _float(text: str | None) -> float:
    return float(text) if text else math.nan


def _cell(row: dict[str, str], currency: str, baseline: int | None) -> Text:
    """One outcome's cell: its mean ± half-width, then (with a baseline) Δ and better k/n."""
    from simcare.metrics import OUTCOMES
    from simcare.reports.format import difference_text, mean_text

    unit = OUTCOMES[row["outcome"]].unit
    text = Text(mean_text(_float(row["mean"]), _float(row["half_width"]), unit, currency))
    if baseline is None:
        return text
    if int(row["point"]) == baseline:
        text.append("\nbaseline", style="dim")
        return text
    difference = _float(row.get("difference"))
    if math.isnan(difference):
        text.append("\nΔ —", style="dim")
        return text
    low, high = _float(row.get("difference_low")), _float(row.get("difference_high"))
    if difference == low == high == 0:
        text.append("\nΔ 0, identical", style="dim")
        return text
    style = _STYLES.get(row.get("call") or "", "dim")
    half = difference_text((high - low) / 2, unit, currency, sign=False)
    text.append(f"\nΔ {difference_text(difference, unit, currency)} ±{half}", style=style)
    if OUTCOMES[row["outcome"]].better is not None and row.get("pairs"):
        text.append(f"\nbetter {row.get('better_in')}/{row.get('pairs')}", style=style)
    return text


def sweep_cells(
    folder: Path, plan: SweepPlan, failed: list[int], columns: tuple[str, ...]
) -> dict[tuple[int, str], list[Text]]:
    """Per (point, policy): the point, its settings, the policy and each outcome's cell."""
    from simcare.experiments.design import format_value
    from simcare.results.rows import read_rows

    keys = plan.keys
    currency = str(plan.base.get("currency", "$"))
    with (folder / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            row for row in read_rows(handle) if row["scope"] == "all" and row["outcome"] in columns
        ]
    found: dict[tuple[int, str], dict[str, Text]] = {}
    for row in rows:
        where = found.setdefault((int(row["point"]), row["policy"]), {})
        where[row["outcome"]] = _cell(row, currency, plan.baseline_point)
    for point in failed:
        found[(point, "")] = {}
    return {
        (point, policy): [
            Text(str(point)),
            *(Text(shown(format_value(plan.points[point][k]))) for k in keys),
            Text(shown(policy or "failed")),
            *(where.get(o, Text("—")) for o in columns),
        ]
        for (point, policy), where in found.items()
    }
