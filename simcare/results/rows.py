"""The rows of the result files: summaries and comparisons as plain records, and CSV text."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

from simcare.experiments.compare import DIFFERENCE_COLUMNS, Comparison
from simcare.experiments.summary import ESTIMATE_COLUMNS, SummaryRow, summary_record

SUMMARY_COLUMNS = ESTIMATE_COLUMNS
"""One row per outcome and scope (a run's summary.csv)."""

COMPARISON_COLUMNS = ("policy", *SUMMARY_COLUMNS, *DIFFERENCE_COLUMNS)
"""One row per policy, outcome and scope: its summary, then its paired difference from the
baseline (empty for the baseline itself)."""


def _plain(record: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """A record's ``columns`` for a file: NaN, which JSON has not, as None."""
    return {
        name: none_if_nan(value) if isinstance(value, float) else value
        for name, value in ((name, record[name]) for name in columns)
    }


def summary_records(summary: Iterable[SummaryRow]) -> list[dict[str, Any]]:
    """Return the summary as plain rows (one per outcome and scope), ready for CSV or JSON."""
    return [_plain(summary_record(row), SUMMARY_COLUMNS) for row in summary]


def comparison_records(comparison: Comparison) -> list[dict[str, Any]]:
    """Every policy, outcome and scope with its summary and its difference from the baseline."""
    return [_plain(record, COMPARISON_COLUMNS) for record in comparison.records()]


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet cell that it would run as a formula begins (OWASP's list)."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
"""Text that is a plain number ("-1.5"): a spreadsheet reads it as a number, not a formula."""
_GUARDED = frozenset((*FORMULA_STARTS, "'"))


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet runs as a formula.

    Text that begins with ``= + - @``, a tab or a carriage return gets a single quote in front
    (``'=HYPERLINK(...)``), as OWASP advises: spreadsheets show it as text. Text that begins
    with a quote gets one more, so that `from_csv_cell` gives back exactly the text written.
    Numbers, and text that is a plain number (``-1.5``), are written as they are.
    """
    if isinstance(value, str) and value[:1] in _GUARDED and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _guarded(row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A row with each text cell through `csv_cell`, and whether a cell holds a carriage return.

    The row itself when no cell needs either (the common case, kept fast).
    """
    for value in row.values():
        if isinstance(value, str) and (value[:1] in _GUARDED or "\r" in value):
            break
    else:
        return row, False
    carriage_return = any(isinstance(value, str) and "\r" in value for value in row.values())
    return {key: csv_cell(value) for key, value in row.items()}, carriage_return


def from_csv_cell(text: str) -> str:
    """The text a cell written by `csv_cell` holds (its guarding quote removed)."""
    return text[1:] if text.startswith("'") else text


class CsvWriter:
    """Writes a CSV file's header, then its rows, every text cell through `csv_cell`.

    Every CSV file simcare writes goes through here (`to_csv` too); None is an empty cell. A
    cell holding a carriage return is quoted, as one holding a line break is (Python's writer
    quotes only the line terminator's characters): a bare CR would start a new row in some
    readers, whose first cell could then be a formula.
    """

    def __init__(self, handle: TextIO, columns: Sequence[str]) -> None:
        self._handle = handle
        self._columns = list(columns)
        self._writer = csv.DictWriter(handle, fieldnames=self._columns, lineterminator="\n")
        self._writer.writeheader()

    def rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Write rows (dicts by column)."""
        for row in rows:
            guarded, carriage_return = _guarded(row)
            if carriage_return:
                self._handle.write(self._quoted(guarded))
            else:
                self._writer.writerow(guarded)

    def _quoted(self, row: dict[str, Any]) -> str:
        """A row as a line whose cells holding a CR are quoted (CR as a line terminator)."""
        buffer = io.StringIO()
        csv.DictWriter(buffer, fieldnames=self._columns, lineterminator="\r\n").writerow(row)
        return buffer.getvalue().removesuffix("\r\n") + "\n"


class TableError(ValueError):
    """A CSV table is not as simcare writes it; the message says where ("line 3: ...")."""


def read_table(
    handle: Iterable[str], required: Sequence[str] = ()
) -> tuple[list[str], Iterator[dict[str, str]]]:
    """Read a CSV file simcare wrote: its header, and each row's text as it was before `csv_cell`.

    The one reader of simcare's CSV files. A row is read as it is asked for; every row must
    have as many cells as the header (a cell too many would have no column).

    Raises:
        TableError: no header, a ``required`` column missing, a malformed line (also while
            the rows are read).
    """
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise TableError(f"line 1: {error}") from None
    if not header:
        raise TableError("empty; expected a header line of column names")
    missing = [column for column in required if column not in header]
    if missing:
        raise TableError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            "not a simcare results table"
        )

    def rows() -> Iterator[dict[str, str]]:
        while True:
            try:
                row = next(reader, None)
            except csv.Error as error:
                raise TableError(f"line {reader.line_num}: {error}") from None
            if row is None:
                return
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                raise TableError(
                    f"line {reader.line_num}: {len(row)} cells; the header has {len(header)}"
                )
            yield {key: from_csv_cell(value) for key, value in zip(header, row, strict=True)}

    return header, rows()


def read_rows(handle: Iterable[str]) -> Iterator[dict[str, str]]:
    """Read a CSV file simcare wrote: each row's text as it was before `csv_cell`."""
    return read_table(handle)[1]


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str]) -> str:
    """Return rows as CSV text with a header; None becomes an empty cell.

    Text cells go through `csv_cell`: none can start a spreadsheet formula.
    """
    buffer = io.StringIO()
    CsvWriter(buffer, columns).rows(rows)
    return buffer.getvalue()
