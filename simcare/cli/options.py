"""The arguments and options several commands share, each with its help text and limits."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(StrEnum):
    """What `run` and `compare` print on stdout."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


ScenarioArgument = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO", help="A scenario .toml file, or a built-in case (see `simcare cases`)."
    ),
]
FolderArgument = Annotated[Path, typer.Argument(help="An output folder of run, compare or sweep.")]
PoliciesOption = Annotated[
    str | None,
    typer.Option(
        "--policies",
        "-p",
        help="Comma-separated policies, e.g. ignore,delete,reply_public "
        "(default: compare every policy the scenario allows; sweep its run.policy).",
    ),
]
ReplicationsOption = Annotated[
    int,
    typer.Option(
        "--replications",
        "-r",
        min=2,
        help="Replications per policy (with --target-ci: the first round).",
    ),
]
TargetOption = Annotated[
    float | None,
    typer.Option(
        "--target-ci",
        help="Add replications until --target-outcome's 95% CI half-width is at most this "
        "under every policy, in the outcome's unit (0.01 = 1 point of a share).",
    ),
]
TargetOutcomeOption = Annotated[
    str, typer.Option("--target-outcome", help="The outcome --target-ci applies to.")
]
MaxReplicationsOption = Annotated[
    int, typer.Option("--max-replications", min=2, help="The cap for --target-ci.")
]
SeedOption = Annotated[int, typer.Option("--seed", "-s", min=0, help="Base seed for every stream.")]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=1, help="Local worker processes (default: the cores)."),
]
RunWorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Local worker processes for the replications (same numbers on any count; "
        "each takes about a second to start, so it pays on long runs).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on a Dask cluster: its scheduler's address, such as tcp://10.0.0.5:8786 "
        "(needs pip install 'simcare[dask]').",
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="What to print on stdout.")
]
PlotsOption = Annotated[
    bool,
    typer.Option("--plots", help="Also draw the charts (PNG and SVG) into OUT/plots."),
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace simcare's files in a non-empty --out folder.")
]
MaxComplaintsOption = Annotated[
    float,
    typer.Option(
        "--max-complaints",
        min=0,
        help="Refuse to start if the whole job would simulate more complaints than this "
        "(an estimate from the scenario; raise it to run a very large job).",
    ),
]
