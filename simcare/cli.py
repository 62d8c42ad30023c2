"""The command line: parse, call the library, print. Data goes to stdout, messages to stderr.

Exit codes: 0 success; 2 a usage or scenario error (the message names the file and key);
3 the output folder cannot be used (not empty without --force, not writable, disk full).
"""

from __future__ import annotations

import difflib
import json
import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simcare import __version__
from simcare.experiments import RunResult, run_replications
from simcare.reports.output import (
    OutputError,
    Provenance,
    check_folder,
    command_line,
    now,
    write_run,
)
from simcare.reports.tables import SUMMARY_COLUMNS, summary_records, summary_table, to_csv
from simcare.scenario import Scenario, ScenarioError
from simcare.scenario_file import builtin_scenarios, load_scenario

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_OUTPUT = 3

app = typer.Typer(
    help="Simulate customer service under public scrutiny: queues, response policies, "
    "escalation, churn and word of mouth.\n\n"
    "Example: simcare run textbook_contact_centre --replications 20",
    epilog="Exit codes: 0 ok; 2 usage or scenario error; 3 output folder cannot be used.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
# Redirected to a file, a table is read whole: give it room rather than rich's 80 columns,
# which would wrap labels onto two rows.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    """What `run` prints on stdout."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _fail(message: str, code: int) -> NoReturn:
    stderr.print(f"error: {message}", style="red", markup=False, highlight=False)
    raise typer.Exit(code)


def _load(source: str) -> Scenario:
    try:
        return load_scenario(source)
    except ScenarioError as error:
        _fail(str(error), EXIT_USAGE)


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


def _replicate(
    scenario: Scenario, replications: int, seed: int, policy: str | None, keep_records: bool
) -> RunResult:
    """Run replications with a progress bar on stderr when it is a terminal."""
    if not stderr.is_terminal:
        return run_replications(
            scenario, replications, seed, policy=policy, keep_records=keep_records
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task(f"{scenario.name}: replications", total=replications)
        return run_replications(
            scenario,
            replications,
            seed,
            policy=policy,
            keep_records=keep_records,
            on_progress=lambda done: progress.update(task, completed=done),
        )


@app.command()
def run(
    scenario: Annotated[
        str,
        typer.Argument(
            metavar="SCENARIO",
            help="A scenario .toml file, or a built-in case (see `simcare cases`).",
        ),
    ],
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Independent replications.")
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="Base seed for every stream.")
    ] = 2024,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            "-p",
            help="Response policy: ignore, delete, reply_public, reply_private, "
            "acknowledge_then_private, or one the scenario defines (default: its run.policy).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the summary, series, scenario and manifest here."),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="What to print on stdout.")
    ] = OutputFormat.TABLE,
    events: Annotated[
        bool, typer.Option("--events", help="Also write the per-contact event log (needs --out).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace simcare's files in a non-empty --out folder.")
    ] = False,
) -> None:
    """Run a scenario and print its outcomes with 95% confidence intervals.

    Example: simcare run loyal_fan_deleted_post --policy delete -r 30 --out results/fan
    """
    if events and out is None:
        _fail("--events writes events.csv into the output folder; add --out DIR", EXIT_USAGE)
    loaded = _load(scenario)
    if policy is not None and policy not in loaded.policy_names:
        known = loaded.policy_names
        hint = difflib.get_close_matches(policy, known, n=1)
        _fail(
            f"--policy: unknown policy {policy!r} for {loaded.name}; policies are "
            f"{', '.join(known)}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
            EXIT_USAGE,
        )
    try:
        if out is not None:
            check_folder(out, force)  # refuse now, not after the simulation
        started = now()
        result = _replicate(loaded, replications, seed, policy, keep_records=events)
        if out is not None:
            write_run(result, out, Provenance(command_line(), started, now()), force)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    if output_format is OutputFormat.TABLE:
        stdout.print(summary_table(result))
        if out is not None:
            stderr.print(f"Results written to {out}", markup=False, highlight=False)
    elif output_format is OutputFormat.JSON:
        stdout.print_json(json.dumps(summary_records(result.summary)))
    else:
        sys.stdout.write(to_csv(summary_records(result.summary), SUMMARY_COLUMNS))


@app.command()
def cases() -> None:
    """List the built-in cases, one line each.

    Example: simcare cases
    """
    for name, path in builtin_scenarios().items():
        try:
            title = load_scenario(path).title
        except ScenarioError:
            title = "(does not load: run `simcare validate` on it)"
        stdout.print(f"{name:<32} {title}", markup=False, highlight=False)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in case names.")],
) -> None:
    """Check scenario files and report every problem in each; exit 2 if any has one.

    Example: simcare validate scenarios/*.toml
    """
    failed = False
    for source in files:
        try:
            scenario = load_scenario(source)
        except ScenarioError as error:
            failed = True
            count = len(error.problems)
            stderr.print(
                f"{source}: {count} problem{'s' if count != 1 else ''}",
                style="red",
                markup=False,
                highlight=False,
            )
            stderr.print(str(error), markup=False, highlight=False)
            continue
        channels, teams = len(scenario.channels), len(scenario.teams)
        stdout.print(
            f"{source}: ok ({scenario.name}: {channels} channel{'s' * (channels != 1)}, "
            f"{teams} team{'s' * (teams != 1)})",
            markup=False,
            highlight=False,
        )
    if failed:
        raise typer.Exit(EXIT_USAGE)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter scenario.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented starter scenario that validates, to edit into your own.

    Example: simcare init my_brand.toml
    """
    if path.exists() and not force:
        _fail(f"{path}: already exists; choose another name, or add --force", EXIT_OUTPUT)
    starter = resources.files("simcare").joinpath("starter.toml").read_text(encoding="utf-8")
    try:
        path.write_text(starter, encoding="utf-8")
    except OSError as error:
        _fail(f"{path}: cannot write: {error.strerror}", EXIT_OUTPUT)
    stdout.print(
        f"Wrote {path}; check it with: simcare validate {path}", markup=False, highlight=False
    )


def main() -> None:
    """Entry point of the ``simcare`` console script."""
    app()
