"""The ranked scoreboard in the terminal: a rich table, its cells as the debrief page has them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text as RichText

from simcare.workshop.debrief import Debrief
from simcare.workshop.decisions import BASELINE_TEAM
from simcare.workshop.pages.parts import cell_lines, decision_summary
from simcare.workshop.scoreboard import EXTRAS, SCOREBOARD

__all__ = ["scoreboard_table"]


_RICH_STYLES = {"better": "green", "worse": "red"}


def _rich_cell(lines: list[tuple[str, str]]) -> RichText:
    """A cell's lines as rich text: the first plain, calls coloured, the others dim."""
    (first, _), *rest = lines
    cell = RichText(first)
    for line, classes in rest:
        style = next((_RICH_STYLES[c] for c in classes.split() if c in _RICH_STYLES), "dim")
        cell.append(f"\n{line}", style=style)
    return cell


def scoreboard_table(debrief: Debrief) -> Table:
    """The ranked scoreboard as a rich table: one row per team, best first."""
    workshop = debrief.workshop
    currency = workshop.scenario.currency
    table = Table(  # Text, not str: the case's title is not rich markup
        title=RichText(
            f"{workshop.title}\nWorkshop debrief: {len(debrief.teams)} teams on the same "
            f"customers, {debrief.replications} replications, seed {debrief.seed}. Each cell: "
            f"mean ±95% half-width; Δ, the paired difference from the baseline team "
            f"({BASELINE_TEAM}) ±95% half-width, and the call. Shares and their differences in "
            "percentage points. Score: the mean of the three ranks (lower is better); net "
            "value breaks ties."
        ),
        title_justify="left",
        show_lines=True,
    )
    table.add_column("Rank", justify="right", no_wrap=True)
    table.add_column("Team")
    table.add_column("Policy", no_wrap=True)
    for measure in SCOREBOARD:
        table.add_column(measure.short, justify="right")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Net value", justify="right")
    for team in debrief.teams:
        name = RichText(team.name)
        name.append(f"\n{decision_summary(workshop, team.decisions)}", style="dim")
        table.add_row(
            str(team.rank),
            name,
            RichText(team.decisions.policy),
            *(_rich_cell(cell_lines(m, team, currency)) for m in SCOREBOARD),
            f"{team.score:.2f}",
            _rich_cell(cell_lines(EXTRAS[0], team, currency)),
        )
    return table
