"""The rows of the result files: summaries and comparisons as plain records, and CSV text."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

from simcare.experiments.compare import Comparison
from simcare.experiments.replicate import SummaryRow
from simcare.metrics import OUTCOMES

SUMMARY_COLUMNS = (
    "outcome",
    "scope",
    "label",
    "unit",
    "mean",
    "ci_low",
    "ci_high",
    "half_width",
    "std",
    "n",
)

COMPARISON_COLUMNS = (
    "policy",
    *SUMMARY_COLUMNS,
    "baseline",
    "difference",
    "difference_low",
    "difference_high",
    "better_in",
    "pairs",
    "call",
)
"""One row per policy, outcome and scope: its summary, then its paired difference from the
baseline (empty for the baseline itself)."""


def summary_records(summary: list[SummaryRow]) -> list[dict[str, Any]]:
    """Return the summary as plain rows (one per outcome and scope), ready for CSV or JSON."""
    rows = []
    for row in summary:
        est = row.estimate
        spec = OUTCOMES[row.outcome]
        rows.append(
            {
                "outcome": row.outcome,
                "scope": row.scope,
                "label": spec.label,
                "unit": spec.unit.value,
                "mean": none_if_nan(est.mean),
                "ci_low": none_if_nan(est.low),
                "ci_high": none_if_nan(est.high),
                "half_width": none_if_nan(est.half_width),
                "std": none_if_nan(est.std),
                "n": est.n,
            }
        )
    return rows


def comparison_records(comparison: Comparison) -> list[dict[str, Any]]:
    """Every policy, outcome and scope with its summary and its difference from the baseline."""
    differences = {(d.policy, d.outcome, d.scope): d for d in comparison.differences}
    rows = []
    for policy in comparison.policies:
        for row in summary_records(comparison.summary[policy]):
            diff = differences.get((policy, row["outcome"], row["scope"]))
            est = diff.estimate if diff is not None else None
            rows.append(
                {
                    "policy": policy,
                    **row,
                    "baseline": comparison.baseline,
                    "difference": none_if_nan(est.mean) if est else None,
                    "difference_low": none_if_nan(est.low) if est else None,
                    "difference_high": none_if_nan(est.high) if est else None,
                    "better_in": diff.better if diff else None,
                    "pairs": diff.pairs if diff else None,
                    "call": diff.call.value if diff else None,
                }
            )
    return rows


def comparison_json(comparison: Comparison, verdict_texts: Sequence[str]) -> dict[str, Any]:
    """The comparison as JSON data: its settings, verdicts (with their texts) and every row."""
    return {
        "scenario": comparison.scenario.name,
        "seed": comparison.seed,
        "replications": comparison.replications,
        "baseline": comparison.baseline,
        "policies": list(comparison.policies),
        "verdicts": [
            {
                "outcome": v.outcome,
                "best": v.best,
                "text": text,
            }
            for v, text in zip(comparison.verdicts, verdict_texts, strict=True)
        ],
        "outcomes": comparison_records(comparison),
    }


def none_if_nan(value: float) -> float | None:
    """JSON has no NaN: an undefined value is null (and an empty cell in CSV)."""
    return None if math.isnan(value) else value


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str]) -> str:
    """Return rows as CSV text with a header; None becomes an empty cell."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
