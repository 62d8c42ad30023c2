"""`simcare report`: a result folder as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simcare.cli.checks import check_page
from simcare.cli.console import stderr
from simcare.cli.exits import exit_codes
from simcare.cli.options import FolderArgument
from simcare.core.errors import shown


def report_command(
    folder: FolderArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The HTML file to write (default: FOLDER/report.html)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write one self-contained HTML page: briefing, results with verdicts, charts, provenance.

    The page needs no network and no JavaScript; open it in any browser or print it.

    Example: simcare report results/fan -o fan.html
    """
    from simcare.results.write import record_files, write_atomic

    target = out if out is not None else folder / "report.html"
    # FOLDER/report.html is replaced only if the folder's manifest lists it (simcare's).
    check_page(target, force, "report.html", result=folder if out is None else None)
    from simcare.reports.report import report_html  # matplotlib: only when drawing

    with exit_codes():
        write_atomic(target, report_html(folder))
        record_files(folder, [target])  # FOLDER/report.html: listed in its manifest, for --force
    stderr.print(shown(f"Report written to {target}"), markup=False, highlight=False)
