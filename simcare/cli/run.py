"""`simcare run`: one scenario under one policy, its outcomes with confidence intervals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simcare.cli.checks import check_policies, check_workload, load
from simcare.cli.console import (
    layout_width,
    print_laid_out,
    progress,
    stderr,
    stdout,
    write_data,
)
from simcare.cli.exits import (
    EXIT_USAGE,
    SIMULATION_ERRORS,
    exit_codes,
    fail,
    interrupted_writing,
)
from simcare.cli.options import (
    ForceOption,
    FormatOption,
    MaxComplaintsOption,
    OutputFormat,
    RunWorkersOption,
    ScenarioArgument,
    SeedOption,
)
from simcare.core.errors import shown
from simcare.experiments import workload

if TYPE_CHECKING:
    from simcare.experiments.replicate import RunResult
    from simcare.scenario import Scenario

RunReplicationsOption = Annotated[
    int, typer.Option("--replications", "-r", min=1, help="Independent replications.")
]
PolicyOption = Annotated[
    str | None,
    typer.Option(
        "--policy",
        "-p",
        help="Response policy: ignore, delete, reply_public, reply_private, "
        "acknowledge_then_private, or one the scenario defines (default: its run.policy).",
    ),
]
RunOutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Write the summary, series, scenario and manifest here."),
]
EventsOption = Annotated[
    bool, typer.Option("--events", help="Also write the per-contact event log (needs --out).")
]


def run_command(
    scenario: ScenarioArgument,
    replications: RunReplicationsOption = 20,
    seed: SeedOption = 2024,
    policy: PolicyOption = None,
    out: RunOutOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    events: EventsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
    workers: RunWorkersOption = 1,
) -> None:
    """Run a scenario and print its outcomes with 95% confidence intervals.

    Example: simcare run loyal_fan_deleted_post --policy delete -r 30 --out results/fan

    A long run: add --workers 4 for four processes (the numbers do not change).
    """
    from simcare.experiments.execution import describe_executor
    from simcare.experiments.replicate import run_replications
    from simcare.results.write import (
        Provenance,
        check_folder,
        command_line,
        now,
        run_files,
        write_run,
    )

    if events and out is None:
        fail("--events writes events.csv into the output folder; add --out DIR", EXIT_USAGE)
    loaded = load(scenario)
    # Serial by default, unlike compare and sweep: a run is one policy's replications, often
    # over in seconds, where starting workers (about a second each) would cost more than they
    # give. More workers than replications would only start idle processes.
    processes = min(workers, replications)
    _check_job(loaded, policy, replications, processes, max_complaints, events, out is not None)
    writing = False
    with exit_codes(
        also=SIMULATION_ERRORS, interrupted=lambda: interrupted_writing(out if writing else None)
    ):
        if out is not None:
            check_folder(out, force, run_files(events))  # refuse now, not after the work
        started = now()
        with progress(f"{loaded.name}: replications") as on_progress:
            result = run_replications(
                loaded,
                replications,
                seed,
                policy=policy,
                keep_records=events,
                workers=processes,
                on_progress=None
                if on_progress is None
                else lambda done: on_progress(done, replications),
            )
        if out is not None:
            writing = True
            provenance = Provenance(command_line(), started, now(), describe_executor(processes))
            write_run(result, out, provenance, force)
    _print_run(result, output_format, out)


def _check_job(
    loaded: Scenario,
    policy: str | None,
    replications: int,
    workers: int,
    max_complaints: float,
    events: bool,
    written: bool,
) -> None:
    """Exit 2 before any work for an unknown --policy, or a job far too big to finish."""
    if policy is not None:
        check_policies(loaded, [policy], "--policy")
    check_workload(  # run keeps every replication's hourly series, and writes them at once
        [loaded],
        replications,
        max_complaints,
        workers,
        records=replications if events else 0,
        series=True,
        written=written,
    )


def _print_run(result: RunResult, output_format: OutputFormat, out: Path | None) -> None:
    """Print the outcomes on stdout as a table, JSON or CSV."""
    from simcare.reports.tables import summary_layout
    from simcare.results.rows import SUMMARY_COLUMNS, summary_records, to_csv

    if output_format is OutputFormat.TABLE:
        width = layout_width()
        print_laid_out(summary_layout(result, width), width)
        if out is not None:
            stderr.print(shown(f"Results written to {out}"), markup=False, highlight=False)
    elif output_format is OutputFormat.JSON:
        stdout.print_json(json.dumps(summary_records(result.summary)))
    else:
        write_data(to_csv(summary_records(result.summary), SUMMARY_COLUMNS))
