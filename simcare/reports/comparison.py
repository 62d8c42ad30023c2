"""A policy comparison for people (a table and plain-language verdicts) and for programs."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from simcare.experiments.compare import Call, Comparison, Difference, Verdict
from simcare.metrics import OUTCOMES, Better, Unit
from simcare.reports.format import difference_text, format_value, mean_text, short_value

__all__ = [
    "SHORT_LABELS",
    "TABLE_OUTCOMES",
    "comparison_table",
    "difference_text",  # the workshop and the command line format their cells like the table's
    "short_value",
    "verdict_text",
]

TABLE_OUTCOMES = (
    "resolved_share",
    "escalated_share",
    "went_public_share",
    "complainant_churn_rate",
    "impressions_negative",
    "net_value",
)
"""The columns of the comparison table unless others are asked for."""

_STYLES = {Call.BETTER: "green", Call.WORSE: "red", Call.TOO_CLOSE: "dim", Call.UNDEFINED: "dim"}


SHORT_LABELS = {
    "resolved_share": "Resolved",
    "escalated_share": "Escalated",
    "went_public_share": "Went public",
    "complainant_churn_rate": "Churn (complainants)",
    "impressions_negative": "Negative impressions",
    "told_negative": "Told, negative",
    "net_value": "Net value",
}
"""Column headings of the comparison table; other outcomes use their full label."""


def _identical(diff: Difference) -> bool:
    """Whether two policies gave exactly the same value in every replication."""
    est = diff.estimate
    return est.n > 0 and est.mean == 0 and (est.n == 1 or est.std == 0)


def _cell(comparison: Comparison, policy: str, outcome: str) -> Text:
    spec = OUTCOMES[outcome]
    currency = comparison.scenario.currency
    est = comparison.estimate(policy, outcome)
    text = Text(mean_text(est.mean, est.half_width, spec.unit, currency))
    if policy == comparison.baseline:
        text.append("\nbaseline", style="dim")
        return text
    diff = comparison.difference(policy, outcome)
    if _identical(diff):
        text.append("\nΔ 0, identical", style="dim")
        return text
    style = _STYLES[diff.call]
    half = difference_text(diff.estimate.half_width, spec.unit, currency, sign=False)
    text.append(f"\nΔ {difference_text(diff.estimate.mean, spec.unit, currency)} ±{half}", style)
    if spec.better is not None:
        text.append(f"\nbetter {diff.better}/{diff.pairs}", style=style)
    return text


def comparison_table(comparison: Comparison, outcomes: tuple[str, ...] = TABLE_OUTCOMES) -> Table:
    """Policies as rows, outcomes as columns.

    Each cell holds the mean ± its 95% half-width, then the paired difference from the baseline
    ± its half-width, and in how many replications the policy did better.
    """
    scenario = comparison.scenario
    reported = {row.outcome for row in comparison.summary[comparison.baseline]}
    shown = [outcome for outcome in outcomes if outcome in reported]
    # Text, not str: names and titles come from the scenario file, and rich would read a
    # "[...]" in them as markup (and fail on "[/]").
    table = Table(
        title=Text(
            f"{scenario.title or scenario.name}\n{len(comparison.policies)} policies on the "
            f"same customers, {comparison.replications} replications, seed {comparison.seed}. "
            f"Each cell: mean ±95% half-width; Δ, the paired difference from the baseline "
            f"({comparison.baseline}) ±95% half-width; the replications where the policy did "
            "better. Shares and their differences in percentage points."
        ),
        title_justify="left",
        show_lines=True,
    )
    table.add_column("Policy", no_wrap=True)
    for outcome in shown:
        table.add_column(SHORT_LABELS.get(outcome, OUTCOMES[outcome].label), justify="right")
    for policy in comparison.policies:
        table.add_row(Text(policy), *(_cell(comparison, policy, outcome) for outcome in shown))
    return table


def _against(diff: Difference, currency: str) -> str:
    """How ``diff.policy`` fares against ``diff.other``, in words."""
    spec = OUTCOMES[diff.outcome]
    est = diff.estimate
    points = " points" if spec.unit is Unit.SHARE else ""
    if _identical(diff):
        return f"{diff.other} gives the same in every replication"
    if diff.call is Call.UNDEFINED:
        return f"against {diff.other} there are too few replications to tell"
    interval = (
        f"95% CI {difference_text(est.low, spec.unit, currency)} to "
        f"{difference_text(est.high, spec.unit, currency)}{points}"
    )
    if diff.call is Call.TOO_CLOSE:
        return (
            f"against {diff.other} it is too close to call "
            f"({difference_text(est.mean, spec.unit, currency)}{points}, {interval})"
        )
    way = "lower" if est.mean < 0 else "higher"
    size = difference_text(est.mean, spec.unit, currency, sign=False)
    return (
        f"{size}{points} {way} than {diff.other} ({interval}), "
        f"better in {diff.better} of {diff.pairs} replications"
    )


def verdict_text(verdict: Verdict, comparison: Comparison) -> str:
    """One line: which policy is best in an outcome, and whether the data can tell."""
    spec = OUTCOMES[verdict.outcome]
    currency = comparison.scenario.currency
    best = comparison.estimate(verdict.best, verdict.outcome).mean
    way = "lowest" if spec.better is Better.LOWER else "highest"
    who = verdict.best + (" (the baseline)" if verdict.against_baseline is None else "")
    line = f"{spec.label}: {who} is {way} ({format_value(best, spec.unit, currency)})"
    parts = [
        _against(diff, currency)
        for diff in (verdict.against_baseline, verdict.against_next)
        if diff is not None
    ]
    return line + (": " + "; ".join(parts) if parts else "") + "."
