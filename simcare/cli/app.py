"""The Typer app: its help, `--version`, and the commands in the order `--help` lists them."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from simcare import __version__
from simcare.cli.cases import cases_command
from simcare.cli.compare import compare_command
from simcare.cli.console import stderr, stdout
from simcare.cli.exits import EXIT_USAGE, terminate_as_interrupt
from simcare.cli.init import init_command
from simcare.cli.optimise import optimise_command
from simcare.cli.outcomes import outcomes_command
from simcare.cli.plot import plot_command
from simcare.cli.report import report_command
from simcare.cli.reproduce import reproduce_command
from simcare.cli.robustness import robustness_command
from simcare.cli.run import run_command
from simcare.cli.story import story_command
from simcare.cli.sweep import sweep_command
from simcare.cli.validate import validate_command
from simcare.cli.workshop import workshop_command

app = typer.Typer(
    help="Simulate customer service under public scrutiny: queues, response policies, "
    "escalation, churn and word of mouth.\n\n"
    "Example: simcare compare loyal_fan_deleted_post",
    epilog="Exit codes: 0 ok; 2 usage or scenario error; 3 output folder cannot be used; "
    "4 some simulations failed; 5 reproduce found different numbers; 130 interrupted.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"simcare {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate customer service under public scrutiny."""


app.command("run")(run_command)
app.command("cases")(cases_command)
app.command("validate")(validate_command)
app.command("init")(init_command)
app.command("compare")(compare_command)
app.command("outcomes")(outcomes_command)
app.command("sweep")(sweep_command)
app.command("robustness")(robustness_command)
app.command("optimise")(optimise_command)
app.command("plot")(plot_command)
app.command("report")(report_command)
app.command("reproduce")(reproduce_command)
app.command("story")(story_command)
app.command("workshop")(workshop_command)


def main() -> None:
    """Entry point of the ``simcare`` console script (SIGTERM stops it as Ctrl-C does)."""
    with terminate_as_interrupt():
        _refuse_arguments_that_are_not_text()
        app()


def _refuse_arguments_that_are_not_text() -> None:
    """Exit 2 for an argument whose bytes are not UTF-8 (a file name made of raw bytes, say).

    Python hands such bytes over as lone surrogates, which no file simcare writes, nor the
    terminal, can hold: they would fail half-way through a command.
    """
    for argument in sys.argv[1:]:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = argument.encode("utf-8", "surrogateescape")
            stderr.print(
                f"error: {ascii(raw)[2:-1]}: not UTF-8 text (a file name made of other bytes?);"
                " rename the file, or give another name",
                style="red",
                markup=False,
                highlight=False,
            )
            raise SystemExit(EXIT_USAGE) from None
