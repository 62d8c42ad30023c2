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
from simcare.core.errors import shown


class ChartFormat(StrEnum):
    """A chart file format."""

    PNG = "png"
    SVG = "svg"


def draw_charts(
    folder: Path, out: Path | None, formats: list[str], outcomes: list[str] | None
) -> None:
    """Draw a result folder's charts and say where they went; exit 3 if the folder is unusable."""
    from simcare.reports.charts import plot_folder  # matplotlib: only when drawing
    from simcare.results.write import CHART_LIST, record_files

    with exit_codes():
        written = plot_folder(folder, out, formats, outcomes)
        # Charts in the result's own plots/ are listed in its manifest, for --force.
        record_files(folder, [*written, folder / "plots" / CHART_LIST])
    where = written[0].parent if written else (out or folder / "plots")
    stderr.print(
        shown(f"{len(written)} charts written to {where}{_failed_note(folder)}"),
        markup=False,
        highlight=False,
    )


def _failed_note(folder: Path) -> str:
    """For a sweep with failed points: that the charts show only the finished ones."""
    from simcare.results.read import ReadError, read_manifest

    try:
        manifest = read_manifest(folder)  # read already: the charts were drawn from it
    except ReadError:
        return ""
    failed, points = manifest.get("failed_points"), manifest.get("points")
    if not (isinstance(failed, list) and failed and isinstance(points, int)):
        return ""
    return (
        f"; {len(failed)} of {points} points failed, so the charts show only the "
        f"{points - len(failed)} that finished (see points.csv)"
    )


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
