"""One summary shape for every result, and its views: short text, HTML tables, DataFrames.

A run, a comparison and a sweep each have a `Summary`: one `SummaryRow` per policy, sweep
point, outcome and scope, with the mean and 95% CI across replications. Its tidy records (and
`to_frame`, with pandas) have the same columns whatever made it, so results can be stacked.
pandas is optional (``pip install 'simcare[frames]'``): it is imported only by `to_frame`.
"""

from __future__ import annotations

import html
import importlib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from simcare.core.stats import Estimate, estimate
from simcare.metrics import OUTCOMES, Outcomes, Unit

ESTIMATE_COLUMNS = (
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
"""One outcome in one scope, summarised: what a run's summary.csv holds."""
SUMMARY_COLUMNS = ("policy", "point", *ESTIMATE_COLUMNS)
"""The tidy columns of every summary (``point`` is None outside a sweep)."""

SHOWN_OUTCOMES = {
    "resolved_share": "Resolved",
    "escalated_share": "Escalated",
    "complainant_churn_rate": "Churn",
    "impressions_negative": "Neg. impressions",
    "net_value": "Net value",
}
"""The outcomes a result's short text and HTML table show, with their headings (every
outcome is in `to_frame`)."""

MAX_SHOWN_ROWS = 12
"""Table rows a result shows before saying how many more there are."""


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One outcome in one scope, summarised across replications.

    Attributes:
        policy: the policy it ran under (None when not recorded).
        point: the sweep point's index (None outside a sweep).
    """

    outcome: str
    scope: str
    estimate: Estimate
    policy: str | None = None
    point: int | None = None


def summarise(
    per_replication: list[Outcomes], policy: str | None = None, point: int | None = None
) -> list[SummaryRow]:
    """Return the mean and 95% CI of every outcome, in the order they were first reported."""
    keys = list(dict.fromkeys(key for values in per_replication for key in values))
    return [
        SummaryRow(
            outcome,
            scope,
            estimate([v.get((outcome, scope), math.nan) for v in per_replication]),
            policy,
            point,
        )
        for outcome, scope in keys
    ]


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def frame(records: list[dict[str, Any]], columns: Sequence[str]) -> Any:
    """A pandas DataFrame of tidy records (raises `MissingExtraError` without pandas)."""
    try:
        # Imported untyped on purpose: pandas is optional, and only this call uses it.
        pandas: Any = importlib.import_module("pandas")
    except ImportError:
        raise MissingExtraError(
            "to_frame() needs pandas, which simcare does not install by default: "
            "pip install 'simcare[frames]' (or pip install pandas)"
        ) from None
    return pandas.DataFrame.from_records(records, columns=list(columns))


class Summary(Sequence[SummaryRow]):
    """Summary rows of a result: iterate them, pick some with `where`, tabulate with `to_frame`.

    ``summary["delete"]`` is short for ``summary.where(policy="delete")`` (a comparison's summary
    was once a dict by policy).
    """

    __slots__ = ("_rows",)

    def __init__(self, rows: Iterable[SummaryRow] = ()) -> None:
        self._rows = tuple(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[SummaryRow]:
        return iter(self._rows)

    @overload
    def __getitem__(self, index: int) -> SummaryRow: ...
    @overload
    def __getitem__(self, index: slice | str) -> Summary: ...
    def __getitem__(self, index: int | slice | str) -> SummaryRow | Summary:
        if isinstance(index, str):
            chosen = self.where(policy=index)
            if not chosen:
                raise KeyError(f"no policy {index!r}; policies are {', '.join(self.policies)}")
            return chosen
        if isinstance(index, slice):
            return Summary(self._rows[index])
        return self._rows[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Summary):
            return self._rows == other._rows
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like a list: equal by value, so not hashable

    @property
    def policies(self) -> list[str]:
        """The policies in it, in order."""
        return [p for p in dict.fromkeys(row.policy for row in self._rows) if p is not None]

    def where(
        self,
        *,
        policy: str | None = None,
        point: int | None = None,
        outcome: str | None = None,
        scope: str | None = None,
    ) -> Summary:
        """The rows that match every criterion given."""
        wanted = {"policy": policy, "point": point, "outcome": outcome, "scope": scope}
        given = {name: value for name, value in wanted.items() if value is not None}
        return Summary(
            row
            for row in self._rows
            if all(getattr(row, name) == value for name, value in given.items())
        )

    def estimate(
        self,
        outcome: str,
        scope: str = "all",
        *,
        policy: str | None = None,
        point: int | None = None,
    ) -> Estimate:
        """One outcome's mean and CI; KeyError names what is missing or what to add to choose."""
        found = self.where(policy=policy, point=point, outcome=outcome, scope=scope)
        if not found:
            raise KeyError(f"no outcome {outcome!r} in scope {scope!r}{_where(policy, point)}")
        if len(found) > 1:
            raise KeyError(
                f"{outcome!r} in scope {scope!r} has {len(found)} rows; choose with policy= "
                "(and point= in a sweep)"
            )
        return found[0].estimate

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per row, with the keys of `SUMMARY_COLUMNS` (NaN where undefined)."""
        return [summary_record(row) for row in self._rows]

    def to_frame(self) -> Any:
        """A pandas DataFrame with the columns of `SUMMARY_COLUMNS`, one row per summary row."""
        return frame(self.records(), SUMMARY_COLUMNS)

    def __repr__(self) -> str:
        heading, rows = self._listing()
        return "\n".join([f"Summary: {len(self)} rows", *aligned(heading, rows)])

    def _repr_html_(self) -> str:
        heading, rows = self._listing()
        return html_rows(heading, rows, f"Summary: {len(self)} rows")

    def _listing(self) -> tuple[list[str], list[list[str]]]:
        """A line per row: where it was (policy, point), what, and its mean ± half-width."""
        points = any(row.point is not None for row in self._rows)
        heading = ["policy", *(["point"] * points), "outcome", "scope", "mean ±95%"]
        rows = [
            [
                row.policy or "",
                *([str(row.point)] * points),
                row.outcome,
                row.scope,
                estimate_text(row.estimate, OUTCOMES[row.outcome].unit),
            ]
            for row in self._rows
        ]
        return heading, rows


def _where(policy: str | None, point: int | None) -> str:
    """`` for policy 'delete' and point 2``: the criteria given, for a message."""
    parts = []
    if policy is not None:
        parts.append(f"policy {policy!r}")
    if point is not None:
        parts.append(f"point {point}")
    return f" for {' and '.join(parts)}" if parts else ""


def summary_record(row: SummaryRow) -> dict[str, Any]:
    """A summary row as a plain dict with the keys of `SUMMARY_COLUMNS`."""
    est = row.estimate
    spec = OUTCOMES[row.outcome]
    return {
        "policy": row.policy,
        "point": row.point,
        "outcome": row.outcome,
        "scope": row.scope,
        "label": spec.label,
        "unit": spec.unit.value,
        "mean": est.mean,
        "ci_low": est.low,
        "ci_high": est.high,
        "half_width": est.half_width,
        "std": est.std,
        "n": est.n,
    }


# --- short views: a few key outcomes, one row per policy (and point) ---


def counted(count: int, thing: str, things: str) -> str:
    """``1 policy``, ``2 policies``."""
    return f"{count} {thing if count == 1 else things}"


def format_number(value: float, unit: Unit) -> str:
    """A value short enough for a table cell: 81.2%, 3.4 min, 58.5k min, -2.67M, 1.23k."""
    if math.isnan(value):
        return "–"
    if unit is Unit.SHARE:
        return f"{100 * value:.1f}%"
    suffix = {Unit.MINUTES: " min", Unit.HOURS: " h"}.get(unit, "")
    for size, scale in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{scale}{suffix}"
    return f"{value:.3g}{suffix}"


Group = tuple[int | None, str | None]
"""A row of a short table: a sweep point (None outside a sweep) and a policy."""


def groups(summary: Summary) -> list[Group]:
    """The (point, policy) pairs of a summary, in order."""
    return list(dict.fromkeys((row.point, row.policy) for row in summary))


def estimate_text(est: Estimate, unit: Unit) -> str:
    """A mean and its 95% half-width, short: 43.6% ±3.4%, -3.01M ±170k."""
    if math.isnan(est.half_width):
        return format_number(est.mean, unit)
    return f"{format_number(est.mean, unit)} ±{format_number(est.half_width, unit)}"


def _cell(summary: Summary, group: Group, outcome: str) -> str:
    point, policy = group
    rows = summary.where(policy=policy, point=point, outcome=outcome, scope="all")
    return estimate_text(rows[0].estimate, OUTCOMES[outcome].unit) if rows else ""


def _grid(summary: Summary, labels: Mapping[Group, str]) -> tuple[list[str], list[list[str]]]:
    """The shown outcomes' headings, and a row per group (its label, then mean ± half-width)."""
    present = {row.outcome for row in summary if row.scope == "all"}
    shown = [outcome for outcome in SHOWN_OUTCOMES if outcome in present]
    rows = [[label, *(_cell(summary, group, o) for o in shown)] for group, label in labels.items()]
    return ["", *(SHOWN_OUTCOMES[o] for o in shown)], rows


def group_labels(summary: Summary) -> dict[Group, str]:
    """Rows labelled by policy, and by point in a sweep."""
    return {
        (point, policy): f"point {point}: {policy}" if point is not None else policy or ""
        for point, policy in groups(summary)
    }


def aligned(heading: list[str], rows: list[list[str]]) -> list[str]:
    """Rows as text lines under their heading, at most `MAX_SHOWN_ROWS` of them.

    Columns of text (a cell begins with a letter) are aligned left, numbers right.
    """
    shown = [heading, *rows[:MAX_SHOWN_ROWS]]
    widths = [max(len(line[i]) for line in shown) for i in range(len(heading))]
    numbers = [not any(row[i][:1].isalpha() for row in rows) for i in range(len(heading))]
    lines = [
        "  ".join(
            cell.rjust(width) if number else cell.ljust(width)
            for cell, width, number in zip(line, widths, numbers, strict=True)
        ).rstrip()
        for line in shown
    ]
    if len(rows) > MAX_SHOWN_ROWS:
        lines.append(f"... and {len(rows) - MAX_SHOWN_ROWS} more rows; .to_frame() has them all")
    return ["  " + line for line in lines]


def text_table(summary: Summary, labels: Mapping[Group, str]) -> list[str]:
    """The key outcomes as aligned text lines, a row per group."""
    return aligned(*_grid(summary, labels))


def html_rows(heading: list[str], rows: list[list[str]], caption: str) -> str:
    """An HTML table for Jupyter, at most `MAX_SHOWN_ROWS` rows."""

    def line(cells: Iterable[str], tag: str) -> str:
        return "<tr>" + "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells) + "</tr>"

    more = len(rows) - MAX_SHOWN_ROWS
    note = f"<p>… and {more} more rows; <code>.to_frame()</code> has them all.</p>"
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead>{line(heading, 'th')}</thead>"
        f"<tbody>{''.join(line(row, 'td') for row in rows[:MAX_SHOWN_ROWS])}</tbody></table>"
        f"{note if more > 0 else ''}"
    )


def html_table(summary: Summary, labels: Mapping[Group, str], caption: str) -> str:
    """The key outcomes as an HTML table, a row per group."""
    return html_rows(*_grid(summary, labels), caption)
