"""`simcare init`: a commented starter scenario, or a built-in case, to edit into your own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simcare.cli.checks import check_replaceable
from simcare.cli.console import stdout
from simcare.cli.exits import exit_codes
from simcare.core.errors import shown


def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the starter scenario.")],
    case: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="CASE",
            help="Start from this built-in case (see `simcare cases`), named after PATH.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter scenario that validates, to edit into your own.

    Example: simcare init my_brand.toml --from loyal_fan_deleted_post
    """
    from simcare.results.write import write_atomic
    from simcare.scenario_file.starter import case_starter_text, starter_text

    with exit_codes():  # an unknown case is told before a file in the way
        text = starter_text() if case is None else case_starter_text(case, path.stem)
    check_replaceable(path, force, "already exists; choose another name, or add --force")
    with exit_codes():
        write_atomic(path, text)
    stdout.print(
        shown(f"Wrote {path}; check it with: simcare validate {path}"),
        markup=False,
        highlight=False,
    )
