"""One self-contained HTML page for a run, compare or sweep folder.

The page holds the case briefing, the results table (a comparison's with its paired differences
and verdicts), every chart that fits the folder as inline SVG, the discussion questions and how
the numbers were made. It is built from the folder's own files only: nothing is simulated
again. Text from the scenario file is escaped like every other text (see `simcare.reports.html`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simcare.reports.charts.folder import chart_svgs, read_folder
from simcare.reports.comparison import SHORT_LABELS, TABLE_OUTCOMES
from simcare.reports.format import difference_text, identical, mean_text, unit_named
from simcare.reports.html import (
    Html,
    definition_list,
    escape,
    figure,
    figures,
    inline,
    inline_svg,
    join,
    page,
    paragraphs,
    table,
    tag,
)
from simcare.reports.robustness import robustness_html
from simcare.results.folders import ROBUSTNESS
from simcare.results.read import SCENARIO_FILE, Case, Results, Row, read_case, read_verdicts
from simcare.results.robustness_folder import read_robustness

__all__ = ["CHART_CAPTIONS", "report_html"]

CHART_CAPTIONS = {
    "comparison": "Each key outcome per policy with its 95% confidence interval; the baseline "
    "is grey and hatched.",
    "differences": "Each policy minus the baseline, paired on the same customers, with its 95% "
    "confidence interval and whether it is better, worse or too close to call.",
    "churn_by_cause": "Customers lost, by cause.",
    "escalation_flows": "Complaints that moved from one channel to another, by flow.",
    "complaints_over_time": "Complaint journeys started each day, a line per policy with its 95% "
    "confidence interval: where the lines part, the policy changed how many complained.",
    "timeseries": "Hour by hour: backlog per channel, public posts left unanswered, impressions "
    "so far and agents on duty and busy (mean over replications, band: lowest to highest).",
    "tradeoff": "Staff cost against churn among complainants; ringed points are the best "
    "trade-offs (nothing cheaper has less churn).",
}
"""What each chart shows, under it on the page (sweep charts are captioned by their names)."""

_KINDS = {
    "run": "Run",
    "compare": "Policy comparison",
    "sweep": "Sweep",
    "robustness": "Robustness study",
}
_CALL_CLASSES = {"better": "better", "worse": "worse"}


def report_html(folder: Path) -> str:
    """The HTML report of a run, compare or sweep folder.

    Raises:
        simcare.reports.charts.PlotError: the folder is not a simcare result folder.
    """
    folder = Path(folder)
    results = read_folder(folder)
    manifest = results.manifest
    case = read_case(folder / SCENARIO_FILE)
    title = case.title or results.title
    parts = [tag("h1", title), tag("p", _subtitle(results, manifest), class_="subtitle")]
    if case.briefing:
        parts += [tag("h2", "The case"), paragraphs(case.briefing)]
    study = read_robustness(folder) if results.kind == "sweep" else None
    if results.kind == "compare":
        parts += _comparison(folder, results)
    elif study is not None:
        parts += robustness_html(study)  # its worlds' table is the folder's summary.csv
    elif results.kind == "sweep":
        parts += _sweep(results)
    else:
        parts += _run(results)
    parts += _charts(results)
    if case.questions:
        parts += [
            tag("h2", "Questions for discussion"),
            tag("ol", join(tag("li", inline(q)) for q in case.questions)),
        ]
    parts += _provenance(folder, manifest, case)
    return page(f"{title} — simcare report", join(parts))


def _subtitle(results: Results, manifest: dict[str, Any]) -> str:
    kind = "robustness" if (results.folder / ROBUSTNESS).is_file() else results.kind
    parts = [_KINDS.get(kind, kind), str(manifest.get("scenario", ""))]
    if results.kind == "compare":
        parts.append(f"{len(results.policies)} policies on the same customers")
    elif results.kind == "sweep":
        done = len(results.points())
        points = f"{done} of {results.planned}" if results.failed else str(done)
        failed = f" ({len(results.failed)} failed)" if results.failed else ""
        parts.append(f"{points} points{failed} × {len(results.policies)} policies")
    else:
        parts.append(f"policy {', '.join(results.policies)}")
    parts.append(f"{results.replications} replications, seed {manifest.get('seed', '?')}")
    return " · ".join(part for part in parts if part)


def _outcomes(results: Results) -> list[str]:
    return [outcome for outcome in TABLE_OUTCOMES if results.has(outcome)]


def _heading(results: Results, outcome: str) -> str:
    return SHORT_LABELS.get(outcome, results.label(outcome))


def _mean_text(row: Row, currency: str) -> str:
    half = (
        (row.high - row.low) / 2 if math.isfinite(row.low) and math.isfinite(row.high) else math.nan
    )
    return mean_text(row.mean, half, unit_named(row.unit), currency)


def _comparison_cell(results: Results, policy: str, outcome: str) -> Html:
    row = results.row(policy, outcome)
    return _cell_with_difference(row, policy == results.baseline, results.currency)


def _cell_with_difference(row: Row, baseline: bool, currency: str) -> Html:
    """A row's mean ± half-width, then its paired difference from the baseline and the call."""
    mean = figures(_mean_text(row, currency))
    if baseline:
        return join([tag("div", mean, class_="nowrap"), tag("div", "baseline", class_="baseline")])
    if identical(row.difference, row.difference_low, row.difference_high):
        said = tag("div", figures("Δ 0, identical"), class_="nowrap close")
        return join([tag("div", mean, class_="nowrap"), said])
    unit = unit_named(row.unit)
    half = (row.difference_high - row.difference_low) / 2
    delta = f"Δ {difference_text(row.difference, unit, currency)}"
    if math.isfinite(half) and half > 0:
        delta += f" ±{difference_text(half, unit, currency, sign=False)}"
    style = _CALL_CLASSES.get(row.call, "close")
    parts = [
        tag("div", mean, class_="nowrap"),
        tag("div", figures(delta), class_=f"nowrap {style}"),
    ]
    if row.call:
        parts.append(tag("div", row.call, class_=style))
    return join(parts)


def _comparison(folder: Path, results: Results) -> list[Html]:
    parts: list[Html] = []
    verdicts = read_verdicts(folder)
    if verdicts:
        parts += [
            tag("h2", "What the comparison says"),
            tag("ul", join(tag("li", figures(text)) for text in verdicts), class_="verdicts"),
        ]
    outcomes = _outcomes(results)
    rows = [
        [_breakable(policy), *(_comparison_cell(results, policy, outcome) for outcome in outcomes)]
        for policy in results.policies
    ]
    caption = (
        f"Each cell: the mean ±95% half-width; then Δ, the paired difference from the baseline "
        f"({results.baseline}) ±95% half-width, and the call. Shares and their differences are "
        "in percentage points."
    )
    headers = ["Policy", *(_heading(results, outcome) for outcome in outcomes)]
    parts += [
        tag("h2", "The policies side by side"),
        tag("div", table(headers, rows, caption=caption), class_="wide"),
    ]
    return parts


def _breakable(name: str) -> Html:
    """A policy name or dotted key that may wrap after its underscores and dots when narrow."""
    return Html(escape(name).replace("_", "_<wbr>").replace(".", ".<wbr>"))


def _run(results: Results) -> list[Html]:
    outcomes = _outcomes(results)
    policy = results.policies[0]
    rows = []
    for outcome in outcomes:
        row = results.row(policy, outcome)
        rows.append([results.label(outcome), figures(_mean_text(row, results.currency))])
    caption = "The mean over replications ±95% half-width; shares in percentage points."
    return [tag("h2", "Outcomes"), table(["Outcome", "Mean ±95%"], rows, caption=caption)]


def _sweep(results: Results) -> list[Html]:
    outcomes = _outcomes(results)
    if results.has("total_cost") and "total_cost" not in outcomes:
        outcomes.insert(len(outcomes) - ("net_value" in outcomes), "total_cost")
    baseline = results.manifest.get("baseline_point")
    rows: list[list[str | Html]] = []
    for point, settings in results.points():
        for policy in results.policies:
            found = [results.row(policy, outcome, point=point) for outcome in outcomes]
            cells = [
                figures(_mean_text(row, results.currency))
                if baseline is None
                else _cell_with_difference(row, point == baseline, results.currency)
                for row in found
            ]
            rows.append([str(point), *settings, policy, *cells])
    for failed in results.failed:  # in the table too: a failed point is never just missing
        settings = failed.settings or ("",) * len(results.keys)
        rows.append([str(failed.point), *settings, "failed", *("—" for _ in outcomes)])
    rows.sort(key=lambda row: int(row[0]))  # by point (stable: policies keep their order)
    keys = [_breakable(key) for key in results.keys]
    headers = ["Point", *keys, "Policy", *(_heading(results, o) for o in outcomes)]
    caption = "Each cell: the mean ±95% half-width; shares in percentage points."
    if baseline is not None:
        caption = (
            "Each cell: the mean ±95% half-width, then Δ, the paired difference from point "
            f"{baseline} under the same policy ±95% half-width (the points share customers, "
            "replication by replication); shares in percentage points."
        )
    first_number = len(results.keys) + 2
    return [
        tag("h2", "The sweep"),
        *_failed_points(results),
        tag("div", table(headers, rows, numeric_from=first_number, caption=caption), class_="wide"),
    ]


def _failed_points(results: Results, shown: int = 20) -> list[Html]:
    """A sweep's failed points, said before its table: which, and what to do about them."""
    failed = results.failed
    if not failed:
        return []
    finished = results.planned - len(failed)
    warning = (
        f"{len(failed)} of {results.planned} points failed: they have no results, and the "
        f"table and charts show only the {finished} that finished. The errors are in "
        "points.csv and parts/point-N.error.txt; "
        f"simcare sweep --resume {results.folder} runs the failed points again."
    )
    items = []
    for point in failed[:shown]:
        where = ", ".join(f"{k} = {v}" for k, v in zip(results.keys, point.settings, strict=False))
        items.append(
            f"Point {point.point}"
            + (f" ({where})" if where else "")
            + (f": {point.error}" if point.error else "")
        )
    if len(failed) > shown:
        items.append(f"… and {len(failed) - shown} more (see points.csv)")
    return [tag("p", warning, class_="worse"), tag("ul", join(tag("li", i) for i in items))]


def _caption(name: str) -> str:
    if name in CHART_CAPTIONS:
        return CHART_CAPTIONS[name]
    if name.startswith("sweep_"):
        return "The outcome against the swept setting, one line per policy, with 95% CI bands."
    if name.startswith("tornado_"):
        return (
            "The uncertain inputs that move this outcome's most fragile verdict most: each "
            "one's partial rank correlation with the policy's advantage, and its 95% CI (an "
            "interval across 0: no clear effect)."
        )
    if name.startswith("driver_"):
        return (
            "The paired difference in each plausible world against the strongest driver; the "
            "dashed line is the rule's threshold, the worlds where the verdict flips coloured."
        )
    if name.startswith("heatmap_"):
        return f"Policy {name.removeprefix('heatmap_')}: the outcome over both swept settings."
    return name.replace("_", " ")


def _charts(results: Results) -> list[Html]:
    charts = chart_svgs(results)
    if not charts:
        return []
    figures = [
        figure(inline_svg(svg, f"chart{k}", _caption(name)), _caption(name))
        for k, (name, svg) in enumerate(charts)
    ]
    return [tag("h2", "Charts"), *figures]


def _provenance(folder: Path, manifest: dict[str, Any], case: Case) -> list[Html]:
    versions = manifest.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    command = manifest.get("command")
    items: list[tuple[str, str | Html]] = [
        ("Scenario", str(manifest.get("scenario", case.name))),
        ("Seed", str(manifest.get("seed", ""))),
        ("Replications", str(manifest.get("replications", ""))),
    ]
    if "policies" in manifest:
        items.append(("Policies", ", ".join(map(str, manifest["policies"]))))
    if manifest.get("baseline"):
        items.append(("Baseline", str(manifest["baseline"])))
    items += [
        ("Ran on", str(manifest.get("executor", ""))),
        ("Started", str(manifest.get("started", ""))),
        ("Finished", str(manifest.get("finished", ""))),
        ("Versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("Platform", str(manifest.get("platform", ""))),
    ]
    if isinstance(command, list):
        items.append(("Command", tag("code", " ".join(map(str, command)))))
    items.append(("Check the numbers", tag("code", f"simcare reproduce {folder}")))
    parts = [
        tag("h2", "How these numbers were made"),
        definition_list((term, value) for term, value in items if value),
    ]
    if case.sources:
        rows = [[key, inline(source)] for key, source in case.sources.items()]
        sources = table(["Setting", "Source"], rows, numeric_from=2)
        parts.append(
            tag("details", join([tag("summary", "Where the case's figures come from"), sources]))
        )
    return parts
