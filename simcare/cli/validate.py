"""`simcare validate`: every problem of each scenario file, or a one-line summary of it."""

from __future__ import annotations

from typing import Annotated

import typer

from simcare.cli.console import stderr, stdout
from simcare.cli.exits import EXIT_USAGE
from simcare.core.errors import ScenarioError, shown


def validate_command(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in case names.")],
) -> None:
    """Check scenario files and report every problem in each; exit 2 if any has one.

    Warnings (a briefing still the starter's placeholder) go to stderr and keep exit 0.

    Example: simcare validate scenarios/*.toml
    """
    from simcare.scenario_file import load_scenario
    from simcare.scenario_file.starter import placeholder_notes

    failed = False
    for source in files:
        try:
            scenario = load_scenario(source)
        except ScenarioError as error:
            failed = True
            count = len(error.problems)
            stderr.print(
                f"{shown(source)}: {count} problem{'s' if count != 1 else ''}",
                style="red",
                markup=False,
                highlight=False,
            )
            stderr.print(str(error), markup=False, highlight=False)
            continue
        channels, teams = len(scenario.channels), len(scenario.teams)
        stdout.print(
            shown(
                f"{source}: ok ({scenario.name}: {channels} channel{'s' * (channels != 1)}, "
                f"{teams} team{'s' * (teams != 1)})"
            ),
            markup=False,
            highlight=False,
        )
        for note in placeholder_notes(scenario):  # valid, but not told yet: a warning
            stderr.print(shown(f"{source}: warning: {note}"), markup=False, highlight=False)
    if failed:
        raise typer.Exit(EXIT_USAGE)
