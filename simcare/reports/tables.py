"""Tables for the terminal, laid out for a width: numbers whole, headings wrapped at words.

A table is first a `Grid` of text cells. `laid_out` tries the layouts a command offers, widest
first, and keeps the first that fits: text columns wrap at word boundaries (and after the dots
and underscores of keys and names), number columns never do. When none fits, the last layout
is stacked, one value a line. With no width (output piped), the first layout is kept whole.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from simcare.core.stats import Estimate
from simcare.experiments.replicate import RunResult
from simcare.metrics import OUTCOMES, Unit
from simcare.reports.format import format_value

__all__ = ["Grid", "bullets", "laid_out", "summary_layout"]


@dataclass(frozen=True, slots=True)
class Grid:
    """A table as text, before it is laid out: blocks of rows under one row of headings.

    Attributes:
        headings: one per column.
        blocks: (title, rows) pairs; each block prints as its own table below its title (a
            policy comparison per outcome, a sweep per point), all with the same column widths.
        numbers_from: columns from this one on hold numbers: right-aligned, never wrapped.
        lines: a rule between rows (for cells of several lines).
    """

    headings: Sequence[str]
    blocks: Sequence[tuple[str | None, Sequence[Sequence[Text]]]]
    numbers_from: int = 1
    lines: bool = False
    rows: list[Sequence[Text]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", [row for _, rows in self.blocks for row in rows])


# A line may break between blanks and words, and after a dot or underscore that joins two
# names ("teams.social_desk", "reply_public"); never inside a number ("1.5", "−$2.6M").
_BREAK = re.compile(r"(?<=\s)(?=\S)|(?<=\S)(?=\s)|(?<=_)(?=[^\s_])|(?<=\.)(?=[A-Za-z_])")


def _pieces(line: str) -> list[str]:
    """``line`` cut where it may break; the pieces join back into the line."""
    return [piece for piece in _BREAK.split(line) if piece]


def _widest(text: str) -> int:
    return max(cell_len(line) for line in text.split("\n"))


def _narrowest(text: str) -> int:
    """The narrowest a text can wrap to without cutting a word: its longest piece."""
    return max(
        (cell_len(piece.strip()) for line in text.split("\n") for piece in _pieces(line)),
        default=0,
    )


def _breaks(line: str, width: int) -> list[int]:
    """Where ``line`` breaks to fit ``width``: at break points, a word longer stays whole.

    A break after a blank or a dot is preferred to one after an underscore, so that
    "teams.social_desk" breaks as "teams." and "social_desk", not "teams.social_" and "desk".
    """
    offsets: list[int] = []
    start = position = 0
    strong: int | None = None  # the last break after a blank or a dot, on this line
    for piece in _pieces(line):
        end = position + len(piece)
        if not piece.isspace() and position > start and cell_len(line[start:end]) > width:
            fits = strong is not None and cell_len(line[strong:end]) <= width
            start = strong if fits and strong is not None else position
            offsets.append(start)
            strong = None
        if piece.isspace() or piece.endswith("."):
            strong = end
        position = end
    return offsets


def _height(text: str, width: int) -> int:
    """How many lines ``text`` takes wrapped to ``width``."""
    return sum(len(_breaks(line, width)) + 1 for line in text.split("\n"))


def _wrapped(text: Text, width: int) -> Text:
    """``text`` with each line wrapped at its break points to ``width`` (styles kept)."""
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        lines += [part.copy() for part in line.divide(_breaks(line.plain, width))]
    for line in lines:
        line.rstrip()
    return Text("\n").join(lines)


def _widths(grid: Grid, width: int | None) -> list[int] | None:
    """Each column's width: natural if it fits, text columns narrowed if need be, else None."""
    columns = range(len(grid.headings))
    texts = [[grid.headings[c], *(row[c].plain for row in grid.rows)] for c in columns]
    natural = [max(map(_widest, texts[c])) for c in columns]
    least = [
        max(
            [
                _narrowest(texts[c][0]),  # a list: a table with no rows has its heading alone
                *map(_widest if c >= grid.numbers_from else _narrowest, texts[c][1:]),
            ]
        )
        for c in columns
    ]
    room = None if width is None else width - (3 * len(natural) + 1)  # rules and padding
    if room is None or sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    widths = list(natural)
    heights: dict[tuple[int, int], list[int]] = {}

    def lines(column: int, width: int) -> list[int]:
        if (column, width) not in heights:
            heights[column, width] = [_height(text, width) for text in texts[column]]
        return heights[column, width]

    def total(column: int) -> int:
        """The table's height (headings and rows) with ``column`` one narrower."""
        trial = [lines(c, widths[c] - (c == column)) for c in columns]
        return sum(map(max, zip(*trial, strict=True)))

    while sum(widths) > room:  # narrow the text column that costs the fewest extra lines
        candidates = [c for c in columns if widths[c] > least[c]]
        widths[min(candidates, key=lambda c: (total(c), -widths[c]))] -= 1
    return widths


def _render(grid: Grid, widths: list[int]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for title, rows in grid.blocks:
        if title is not None:
            parts.append(Text(title, style="bold"))
        table = Table(show_lines=grid.lines)
        for c, (heading, width) in enumerate(zip(grid.headings, widths, strict=True)):
            table.add_column(
                _wrapped(Text(heading), width),
                justify="right" if c >= grid.numbers_from else "left",
                width=width,
                no_wrap=True,  # wrapped above, at break points rich does not know
                overflow="fold",
            )
        for row in rows:
            table.add_row(*(_wrapped(cell, w) for cell, w in zip(row, widths, strict=True)))
        parts.append(table)
    return parts


def _stacked(grid: Grid) -> list[RenderableType]:
    """Each row as a name and then one value a line: fits any width without cutting a number."""
    parts: list[RenderableType] = []
    for title, rows in grid.blocks:
        if title is not None:
            parts.append(Text(title, style="bold"))
        for row in rows:
            parts.append(Text.assemble("  " if title else "", row[0]))
            for heading, cell in zip(grid.headings[1:], row[1:], strict=True):
                if cell.plain.strip():
                    value = Text(" ").join(cell.split("\n"))
                    parts.append(Text.assemble(f"    {heading}: ", value))
    return parts


def laid_out(width: int | None, *grids: Grid) -> list[RenderableType]:
    """The first of ``grids`` that fits ``width`` as tables, else the last one stacked.

    Args:
        width: the columns to fit, or None to print the first grid at its natural width.
        grids: the layouts a table offers, widest first.
    """
    for grid in grids:
        widths = _widths(grid, width)
        if widths is not None:
            return _render(grid, widths)
    return _stacked(grids[-1])


def bullets(items: Sequence[str], width: int | None) -> list[RenderableType]:
    """Items as "- text", wrapped at words under their first word when there is a width."""
    if width is None:
        return [Text(f"- {item}") for item in items]
    return [
        Text(
            textwrap.fill(
                item,
                width,
                initial_indent="- ",
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        for item in items
    ]


# --- a run's summary ---


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


def summary_layout(result: RunResult, width: int | None) -> list[RenderableType]:
    """The run's title and its outcomes with 95% confidence intervals, fitted to ``width``."""
    scenario = result.scenario
    currency = scenario.currency
    title = (  # a Text: the scenario's title is not rich markup
        f"{scenario.title or scenario.name} — policy {result.policy}, "
        f"{result.replications} replication{'s' if result.replications != 1 else ''}, "
        f"seed {result.seed}"
    )
    shown = _shown_scopes(result)
    scoped = len(shown) > 1
    rows: list[list[Text]] = []
    for row in result.summary:
        if row.scope not in shown or row.estimate.n == 0:
            continue
        if row.scope.startswith("cause:") and row.estimate.mean == 0:
            continue  # a cause nobody left for
        spec = OUTCOMES[row.outcome]
        est = row.estimate
        names = [spec.label, row.scope.replace(":", " ")] if scoped else [spec.label]
        numbers = [
            format_value(est.mean, spec.unit, currency),
            _interval(est, spec.unit, currency),
        ]
        rows.append([Text(cell) for cell in (*names, *numbers)])
    headings = ["Outcome", *(["Scope"] if scoped else []), "Mean", "95% CI"]
    grid = Grid(headings, [(None, rows)], numbers_from=len(headings) - 2)
    return [Text(title), *laid_out(width, grid)]


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
