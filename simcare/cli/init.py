"""`simcare init`: a commented starter scenario to edit into your own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from simcare.cli.checks import check_replaceable
from simcare.cli.console import stdout
from simcare.cli.exits import exit_codes
from simcare.core.errors import shown


def init_command(
    path: Annotated[Path, typer.Argument(help="Where to write the starter scenario.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter scenario that validates, to edit into your own.

    Example: simcare init my_brand.toml
    """
    from simcare.results.write import write_atomic

    check_replaceable(path, force, "already exists; choose another name, or add --force")
    starter = (
        resources.files("simcare.scenario_file")
        .joinpath("starter.toml")
        .read_text(encoding="utf-8")
    )
    with exit_codes():
        write_atomic(path, starter)
    stdout.print(
        shown(f"Wrote {path}; check it with: simcare validate {path}"),
        markup=False,
        highlight=False,
    )
