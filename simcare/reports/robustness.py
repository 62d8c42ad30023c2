"""A robustness study as text and HTML: each verdict, the share of worlds, drivers and rules.

Both views read the study's JSON data (`Robustness.to_json`, or robustness.json in a folder),
so a terminal and a report show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from simcare.experiments.compare import Call, Comparison
from simcare.reports.html import Html, join, table, tag
from simcare.reports.tables import Grid, bullets, laid_out
from simcare.scenario import ranges_of


def robustness_pointer(comparison: Comparison, source: str) -> str | None:
    """One line sending a comparison's reader to `simcare robustness`, when it is needed.

    Needed when some verdict is a call (better or worse, beyond its CI) and the scenario has
    illustrative parameters with plausible ranges: its CIs cover simulation noise only.
    """
    calls = [
        difference.call
        for found in comparison.verdicts
        for difference in (found.against_baseline, found.against_next)
        if difference is not None
    ]
    inputs = len(ranges_of(comparison.scenario.uncertainty))
    if not inputs or not any(call in (Call.BETTER, Call.WORSE) for call in calls):
        return None
    return (
        f"These CIs cover simulation noise only; the verdicts rest on {inputs} illustrative "
        f"parameters. Do they hold in every plausible world? simcare robustness {source}"
    )


NO_VERDICT = (
    "no verdict to test: as written, compare finds no policy better than another in these "
    "outcomes (each difference too close to call, or none at all)"
)
"""What a study with no verdict says (a table with no rows would say nothing)."""
HEADINGS = ("verdict (as written)", "holds in", "95% CI", "top driver (PRCC)")


def share_text(verdict: dict[str, Any]) -> tuple[str, str]:
    """The share of worlds where a verdict holds, and its 95% CI, as percentages."""
    return (
        f"{verdict['share']:.0%}",
        f"{verdict['share_low']:.0%}–{verdict['share_high']:.0%}",
    )


def driver_text(verdict: dict[str, Any]) -> str:
    """The top driver and its PRCC, or a dash."""
    drivers = verdict["drivers"]
    if not drivers:
        return "—"
    top = drivers[0]
    return f"{top['input']} {top['prcc']:+.2f}"


def _rows(data: dict[str, Any]) -> list[list[str]]:
    return [
        [verdict["statement"], *share_text(verdict), driver_text(verdict)]
        for verdict in data["verdicts"]
    ]


def title(data: dict[str, Any]) -> str:
    """What was tested, in how many worlds."""
    return (
        f"{data['scenario']}: {len(data['verdicts'])} verdicts in {data['worlds']} plausible "
        f"worlds ({len(data['inputs'])} uncertain inputs; {data['replications']} replications "
        f"per world and policy, seed {data['seed']})"
    )


def robustness_layout(data: dict[str, Any], width: int | None) -> list[RenderableType]:
    """The study for the terminal: a table of verdicts, then each one's plain-words line."""
    rows = [[Text(cell) for cell in row] for row in _rows(data)]
    grid = Grid(HEADINGS, [(None, rows)], numbers_from=1)
    lines = [f"{v['statement']}: {v['words']}" for v in data["verdicts"]]
    failed = data.get("failed_worlds") or 0
    notes = [f"{failed} worlds failed and are left out"] if failed else []
    if not data["verdicts"]:
        notes.insert(0, NO_VERDICT)
    return [
        Text(title(data)),
        *laid_out(width, grid),
        Text("In plain words:"),
        *bullets([*lines, *notes], width),
    ]


def robustness_html(data: dict[str, Any], charts: Sequence[Html] = ()) -> list[Html]:
    """The report's robustness section: shares, plain words, rules and the charts."""
    rows: list[list[str | Html]] = [list(row) for row in _rows(data)]
    inputs: list[list[str | Html]] = [
        [item["input"], f"{item['low']:g} to {item['high']:g}", item["spread"], item["reason"]]
        for item in data["inputs"]
    ]
    return [
        tag("h2", "Robustness: do the verdicts hold in every plausible world?"),
        tag("p", title(data)),
        table(list(HEADINGS), rows, numeric_from=1),
        tag("ul", join(tag("li", f"{v['statement']}: {v['words']}") for v in data["verdicts"])),
        *charts,
        tag("h3", "The uncertain inputs and their plausible ranges"),
        table(["input", "range", "spread", "why"], inputs, numeric_from=4),
    ]
