"""`simcare plot`: a result folder's charts, and the drawing that --plots also asks for."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from simcare.cli.checks import check_outcomes, split
from simcare.cli.console import stderr
from simcare.cli.exits import exit_codes
from simcare.cli.options import FolderArgument


class ChartFormat(StrEnum):
    """A chart file format."""

    PNG = "png"
    SVG = "svg"


def draw_charts(
    folder: Path, out: Path | None, formats: list[str], outcomes: list[str] | None
) -> None:
    """Draw a result folder's charts and say where they went; exit 3 if the folder is unusable."""
    from simcare.reports.charts import plot_folder  # matplotlib: only when drawing

    with exit_codes():
        written = plot_folder(folder, out, formats, outcomes)
    where = written[0].parent if written else (out or folder / "plots")
    stderr.print(f"{len(written)} charts written to {where}", markup=False, highlight=False)


def plot_command(
    folder: FolderArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the charts (default: FOLDER/plots)."),
    ] = None,
    formats: Annotated[
        list[ChartFormat] | None,
        typer.Option("--format", "-f", help="png (slides) and/or svg (web); default both."),
    ] = None,
    outcomes: Annotated[
        str | None,
        typer.Option("--outcomes", help="Outcome keys for the comparison and sweep charts."),
    ] = None,
) -> None:
    """Draw the charts that fit a result folder: comparisons, churn causes, flows, sweeps.

    Example: simcare plot results/fan
    """
    from simcare.results.write import CHART_FORMATS

    chosen = split(outcomes)
    check_outcomes(chosen or [], "--outcomes")
    draw_charts(folder, out, [f.value for f in formats] if formats else list(CHART_FORMATS), chosen)
