"""A policy comparison for people (a table and plain-language verdicts) and for programs."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from simcare.experiments.compare import Call, Comparison, Difference, Verdict
from simcare.metrics import OUTCOMES, Better, Unit
from simcare.reports.format import difference_text, format_value, mean_text, short_value
from simcare.reports.tables import Grid, laid_out

__all__ = [
    "SHORT_LABELS",
    "TABLE_OUTCOMES",
    "comparison_layout",
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
    """A cell of the wide table: the mean, then Δ and the better count, one to a line."""
    mean, delta, better = _cell_lines(comparison, policy, outcome)
    text = Text(mean)
    for line in (delta, better):
        if line.plain:
            text.append("\n")
            text.append_text(line)
    return text


def _cell_lines(comparison: Comparison, policy: str, outcome: str) -> tuple[str, Text, Text]:
    """A policy's mean ±half-width, its Δ from the baseline ±half-width, and "better k/n"."""
    spec = OUTCOMES[outcome]
    currency = comparison.scenario.currency
    est = comparison.estimate(policy, outcome)
    mean = mean_text(est.mean, est.half_width, spec.unit, currency)
    if policy == comparison.baseline:
        return mean, Text("baseline", style="dim"), Text()
    diff = comparison.difference(policy, outcome)
    if _identical(diff):
        return mean, Text("Δ 0, identical", style="dim"), Text()
    style = _STYLES[diff.call]
    half = difference_text(diff.estimate.half_width, spec.unit, currency, sign=False)
    delta = Text(f"Δ {difference_text(diff.estimate.mean, spec.unit, currency)} ±{half}", style)
    if spec.better is None:
        return mean, delta, Text()
    return mean, delta, Text(f"better {diff.better}/{diff.pairs}", style=style)


def comparison_layout(
    comparison: Comparison, outcomes: tuple[str, ...], width: int | None
) -> list[RenderableType]:
    """The comparison's title and table, fitted to ``width`` (see `laid_out`).

    Wide: policies as rows, outcomes as columns, each cell the mean ± its 95% half-width, the
    paired difference from the baseline ± its half-width, and in how many replications the
    policy did better. Narrow: the same, one block of policies per outcome.
    """
    scenario = comparison.scenario
    reported = {row.outcome for row in comparison.summary[comparison.baseline]}
    shown = [outcome for outcome in outcomes if outcome in reported]
    policies = comparison.policies
    # Text, not str: names and titles come from the scenario file, and rich would read a
    # "[...]" in them as markup (and fail on "[/]").
    title = [
        Text(scenario.title or scenario.name),
        Text(
            f"{len(policies)} policies on the same customers, {comparison.replications} "
            f"replications, seed {comparison.seed}. Each: mean ±95% half-width; Δ, the paired "
            f"difference from the baseline ({comparison.baseline}) ±95% half-width; the "
            "replications where the policy did better. Shares and their differences in "
            "percentage points."
        ),
    ]
    wide = Grid(
        ["Policy", *(SHORT_LABELS.get(o, OUTCOMES[o].label) for o in shown)],
        [(None, [[Text(p), *(_cell(comparison, p, o) for o in shown)] for p in policies])],
        lines=True,
    )
    by_outcome = Grid(
        ["Policy", "Mean ±95%", f"Δ from {comparison.baseline} ±95%", "Better in"],
        [
            (
                OUTCOMES[outcome].label,
                [
                    [Text(policy), *_by_outcome_cells(comparison, policy, outcome)]
                    for policy in policies
                ],
            )
            for outcome in shown
        ],
    )
    return [*title, *laid_out(width, wide, by_outcome)]


def _by_outcome_cells(comparison: Comparison, policy: str, outcome: str) -> list[Text]:
    mean, delta, better = _cell_lines(comparison, policy, outcome)
    delta.plain = delta.plain.removeprefix("Δ ")  # the column's heading says it
    return [Text(mean), delta, Text(better.plain.removeprefix("better "), style=better.style)]


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
