"""The command line: parse, call the library, print. Data goes to stdout, messages to stderr.

Exit codes: 0 success; 2 a usage or scenario error (the message names the file and key);
3 the output folder cannot be used (not empty without --force, not writable, disk full);
4 some simulations failed (a sweep's failed points are in points.csv; a comparison shows the
error); 5 `reproduce` got different
numbers; 130 interrupted (a sweep can be resumed with --resume).

Each command imports the library when it runs, not here: `simcare --help` then starts without
numpy, SimPy or the model (about 0.2 s instead of 0.35 s).
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from simcare import __version__
from simcare.core.errors import ScenarioError
from simcare.experiments import workload
from simcare.reports.pick import PICK_REASONS, Pick

if TYPE_CHECKING:  # the model loads only in the commands that use it (simcare --help is quick)
    from simcare.experiments.engine import Precision
    from simcare.experiments.sweep import SweepPlan
    from simcare.scenario import Scenario

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_FAILED = 4
EXIT_DIFFERENT = 5
EXIT_INTERRUPTED = 130

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
    from simcare.scenario_file import load_scenario

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


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr with an ETA, or nothing when stderr is not a terminal.

    Yields a callback taking (work done, work planned so far).
    """
    if not stderr.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, planned: progress.update(task, completed=done, total=planned)


def _check_policies(scenario: Scenario, names: list[str], option: str) -> None:
    """Exit 2 naming the first unknown policy, the known ones and the closest."""
    known = scenario.policy_names
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            _fail(
                f"{option}: unknown policy {name!r} for {scenario.name}; policies are "
                f"{', '.join(known)}" + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                EXIT_USAGE,
            )


def _split(text: str | None) -> list[str] | None:
    """A comma-separated option as a list (None when not given)."""
    if text is None:
        return None
    return [item.strip() for item in text.split(",") if item.strip()]


def _precision(
    target_ci: float | None, target_outcome: str, max_replications: int, replications: int
) -> Precision | None:
    """The --target-ci options as a `Precision`, or exit 2 with what is wrong."""
    from simcare.experiments.engine import Precision

    if target_ci is None:
        return None
    if not (math.isfinite(target_ci) and target_ci > 0):
        _fail(f"--target-ci: expected a half-width > 0, found {target_ci}", EXIT_USAGE)
    _check_outcomes([target_outcome], "--target-outcome")
    if max_replications < replications:
        _fail(
            f"--max-replications {max_replications} is below --replications {replications}",
            EXIT_USAGE,
        )
    return Precision(target_outcome, target_ci, max_replications=max_replications)


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
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Run a scenario and print its outcomes with 95% confidence intervals.

    Example: simcare run loyal_fan_deleted_post --policy delete -r 30 --out results/fan
    """
    from simcare.experiments.replicate import run_replications
    from simcare.reports.tables import summary_table
    from simcare.results.rows import SUMMARY_COLUMNS, summary_records, to_csv
    from simcare.results.write import (
        OutputError,
        Provenance,
        check_folder,
        command_line,
        now,
        write_run,
    )

    if events and out is None:
        _fail("--events writes events.csv into the output folder; add --out DIR", EXIT_USAGE)
    loaded = _load(scenario)
    if policy is not None:
        _check_policies(loaded, [policy], "--policy")
    _check_workload([loaded], replications, max_complaints, records=replications if events else 0)
    try:
        if out is not None:
            check_folder(out, force)  # refuse now, not after the simulation
        started = now()
        with _progress(f"{loaded.name}: replications") as on_progress:
            result = run_replications(
                loaded,
                replications,
                seed,
                policy=policy,
                keep_records=events,
                on_progress=None
                if on_progress is None
                else lambda done: on_progress(done, replications),
            )
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
    from simcare.scenario_file import builtin_scenarios, load_scenario

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
    from simcare.scenario_file import load_scenario

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
    from simcare.results.write import OutputError, write_atomic

    if path.exists() and not force:
        _fail(f"{path}: already exists; choose another name, or add --force", EXIT_OUTPUT)
    starter = (
        resources.files("simcare.scenario_file")
        .joinpath("starter.toml")
        .read_text(encoding="utf-8")
    )
    try:
        write_atomic(path, starter)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    stdout.print(
        f"Wrote {path}; check it with: simcare validate {path}", markup=False, highlight=False
    )


ScenarioArgument = Annotated[
    str,
    typer.Argument(
        metavar="SCENARIO", help="A scenario .toml file, or a built-in case (see `simcare cases`)."
    ),
]
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
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on a Dask cluster: its scheduler's address, such as tcp://10.0.0.5:8786 "
        "(needs pip install 'simcare[dask]').",
    ),
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


def _check_workload(
    scenarios: Iterable[Scenario],
    runs_each: int,
    max_complaints: float,
    workers: int = 1,
    records: int = 0,
) -> None:
    """Exit 2 before anything runs if the job is far too big (see `simcare.experiments.workload`).

    ``records``: whole records of a replication held at once (an event log keeps them all).
    """
    work = workload.estimate(scenarios, runs_each, records)
    problem = workload.check(work, max_complaints, workers)
    if problem is not None:
        _fail(problem, EXIT_USAGE)


@app.command("compare")
def compare_command(
    scenario: ScenarioArgument,
    policies: PoliciesOption = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            "-b",
            help="The policy the others are measured against (default: the scenario's "
            "run.policy, what the brand does now).",
        ),
    ] = None,
    replications: ReplicationsOption = 20,
    target_ci: TargetOption = None,
    target_outcome: TargetOutcomeOption = "complainant_churn_rate",
    max_replications: MaxReplicationsOption = 500,
    seed: SeedOption = 2024,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    outcomes: Annotated[
        str | None,
        typer.Option("--outcomes", help="The table's columns: comma-separated outcome keys."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write comparison.csv/.json, replications, scenario, manifest."
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="What to print on stdout.")
    ] = OutputFormat.TABLE,
    plots: PlotsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Compare response policies on the same customers, with paired differences and verdicts.

    Example: simcare compare loyal_fan_deleted_post --baseline delete -r 30
    """
    from simcare.experiments.compare import compare as compare_policies
    from simcare.experiments.execution import ExecutorError, default_workers
    from simcare.reports.comparison import TABLE_OUTCOMES, comparison_table, verdict_text
    from simcare.results.rows import (
        COMPARISON_COLUMNS,
        comparison_json,
        comparison_records,
        to_csv,
    )
    from simcare.results.write import (
        CHART_FORMATS,
        OutputError,
        Provenance,
        check_folder,
        command_line,
        now,
        write_comparison,
    )

    loaded = _load(scenario)
    chosen = _split(policies)
    _check_policies(loaded, [*(chosen or []), *([baseline] if baseline else [])], "--policies")
    columns = tuple(_split(outcomes) or TABLE_OUTCOMES)
    _check_outcomes(list(columns), "--outcomes")
    if plots and out is None:
        _fail("--plots draws into the output folder; add --out DIR", EXIT_USAGE)
    precision = _precision(target_ci, target_outcome, max_replications, replications)
    compared = len(set(chosen or loaded.policy_names) | {baseline or loaded.run.policy})
    runs = max_replications if precision is not None else replications
    _check_workload([loaded], compared * runs, max_complaints, workers or default_workers())
    writing = False
    try:
        if out is not None:
            check_folder(out, force)
        started = now()
        with _progress(f"{loaded.name}: policies × replications") as on_progress:
            comparison = compare_policies(
                loaded,
                chosen,
                baseline,
                replications,
                seed,
                precision=precision,
                workers=workers or default_workers(),
                scheduler=scheduler,
                on_progress=on_progress,
            )
        if out is not None:
            provenance = Provenance(command_line(), started, now(), comparison.executor)
            writing = True
            texts = [verdict_text(verdict, comparison) for verdict in comparison.verdicts]
            write_comparison(comparison, texts, out, provenance, force)
    except ExecutorError as error:
        _fail(str(error), EXIT_USAGE)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    except RuntimeError as error:  # a simulation raised: a bug, reported without a traceback
        _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        if writing:
            _fail(
                f"interrupted while writing {out}: it has no manifest.json, so it is unfinished; "
                "run the command again with --force",
                EXIT_INTERRUPTED,
            )
        _fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    if output_format is OutputFormat.TABLE:
        stdout.print(comparison_table(comparison, columns))
        stdout.print("Verdicts (95% confidence, paired by replication):", markup=False)
        for verdict in comparison.verdicts:
            stdout.print(f"- {verdict_text(verdict, comparison)}", markup=False, highlight=False)
        if out is not None:
            stderr.print(f"Results written to {out}", markup=False, highlight=False)
    elif output_format is OutputFormat.JSON:
        texts = [verdict_text(verdict, comparison) for verdict in comparison.verdicts]
        stdout.print_json(json.dumps(comparison_json(comparison, texts)))
    else:
        sys.stdout.write(to_csv(comparison_records(comparison), COMPARISON_COLUMNS))
    if plots and out is not None:
        _draw(out, None, list(CHART_FORMATS), _split(outcomes))


def _check_outcomes(names: list[str], option: str) -> None:
    """Exit 2 naming the first unknown outcome key and the closest known one."""
    from simcare.metrics import OUTCOMES

    for name in names:
        if name not in OUTCOMES:
            hint = difflib.get_close_matches(name, list(OUTCOMES), n=1)
            _fail(
                f"{option}: unknown outcome {name!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else ""),
                EXIT_USAGE,
            )


def _draw(folder: Path, out: Path | None, formats: list[str], outcomes: list[str] | None) -> None:
    """Draw a result folder's charts and say where they went; exit 3 if the folder is unusable."""
    from simcare.reports.charts import PlotError, plot_folder  # matplotlib: only when drawing

    try:
        written = plot_folder(folder, out, formats, outcomes)
    except PlotError as error:
        _fail(str(error), EXIT_OUTPUT)
    where = written[0].parent if written else (out or folder / "plots")
    stderr.print(f"{len(written)} charts written to {where}", markup=False, highlight=False)


class Design(StrEnum):
    """How a sweep lays out its points."""

    GRID = "grid"
    LHS = "lhs"


def _plan(
    scenario: str,
    settings: list[str],
    design: Design,
    samples: int | None,
    policies: list[str] | None,
    replications: int,
    seed: int,
    precision: Precision | None,
) -> SweepPlan:
    """Plan a sweep, or exit 2 with every problem in the settings or the points' scenarios."""
    from simcare.experiments.sweep import plan_sweep

    if not settings:
        _fail("give at least one --set KEY=V1,V2,... to sweep over", EXIT_USAGE)
    try:
        return plan_sweep(
            scenario,
            settings,
            design=design.value,
            samples=samples,
            policies=policies,
            replications=replications,
            seed=seed,
            precision=precision,
        )
    except (ScenarioError, ValueError) as error:  # SettingError is a ValueError
        _fail(str(error), EXIT_USAGE)


def _print_sweep_table(folder: Path, plan: SweepPlan) -> None:
    """Print the key outcomes per point and policy, read back from the summary just written."""
    from simcare.experiments.compare import KEY_OUTCOMES
    from simcare.metrics import OUTCOMES
    from simcare.reports.comparison import SHORT_LABELS, difference_text, short_value

    keys = plan.keys
    with (folder / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            row
            for row in csv.DictReader(handle)
            if row["scope"] == "all" and row["outcome"] in KEY_OUTCOMES
        ]
    # Text cells throughout: names, keys and values come from files and --set, not rich markup.
    title = Text(f"{plan.name}: sweep summary (mean ± 95% half-width)")
    table = Table(title=title, title_justify="left")
    for column in ("point", *keys, "policy"):
        table.add_column(Text(column), no_wrap=True)
    for outcome in KEY_OUTCOMES:
        table.add_column(SHORT_LABELS.get(outcome, OUTCOMES[outcome].label), justify="right")
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        spec = OUTCOMES[row["outcome"]]
        mean = float(row["mean"]) if row["mean"] else math.nan
        half = float(row["half_width"]) if row["half_width"] else math.nan
        text = short_value(mean, spec.unit)
        if not math.isnan(half):
            text += f" ±{difference_text(half, spec.unit, sign=False)}"
        where = cells.setdefault((row["point"], row["policy"]), {"point": row["point"]})
        where.update({k: row[k] for k in keys})
        where[row["outcome"]] = text
    for (_, policy), where in cells.items():
        texts = [where["point"], *(where[k] for k in keys), policy]
        texts += [where.get(o, "—") for o in KEY_OUTCOMES]
        table.add_row(*map(Text, texts))
    stdout.print(table)


@app.command("sweep")
def sweep_command(
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="SCENARIO",
            help="A scenario .toml file, or a built-in case (not needed with --resume).",
        ),
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUES",
            help="A dotted scenario key and its values: KEY=V1,V2,... or KEY=LO:HI:STEP "
            "(KEY=LO:HI with --design lhs). Repeat for more keys.",
        ),
    ] = None,
    design: Annotated[
        Design, typer.Option("--design", help="grid: every combination; lhs: Latin hypercube.")
    ] = Design.GRID,
    samples: Annotated[
        int | None, typer.Option("--samples", min=1, help="Points of a Latin hypercube.")
    ] = None,
    policies: PoliciesOption = None,
    replications: ReplicationsOption = 20,
    target_ci: TargetOption = None,
    target_outcome: TargetOutcomeOption = "complainant_churn_rate",
    max_replications: MaxReplicationsOption = 500,
    seed: SeedOption = 2024,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The folder for the results (written as points finish)."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Finish an interrupted sweep in this folder."),
    ] = None,
    plots: PlotsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Run a scenario over a grid or Latin hypercube of its keys, under one or more policies.

    Example: simcare sweep loyal_fan_deleted_post --set teams.social_desk.shifts.0.agents=1:3:1
    --policies delete,reply_public -r 10 --out results/staffing
    """
    from simcare.experiments.execution import ExecutorError, default_workers, describe_executor
    from simcare.experiments.sweep import run_sweep
    from simcare.results.sweep_folder import SweepFolder
    from simcare.results.write import (
        CHART_FORMATS,
        PLAN,
        OutputError,
        Provenance,
        check_folder,
        command_line,
        now,
    )

    if (out is None) == (resume is None):
        _fail(
            "give --out DIR for a new sweep, or --resume DIR to finish an interrupted one",
            EXIT_USAGE,
        )
    precision = _precision(target_ci, target_outcome, max_replications, replications)
    chosen = _split(policies)
    started_in: Path | None = None  # the folder, once the sweep writes into it
    try:
        if resume is not None:
            folder = SweepFolder.open(resume)
            if scenario is not None or settings:
                asked = _plan(
                    scenario or folder.plan.source, settings or [], design, samples, chosen,
                    replications, seed, precision,
                )  # fmt: skip
                if asked.to_json() != folder.plan.to_json():
                    _fail(
                        f"{resume}: these options differ from the sweep planned there; "
                        f"resume with just: simcare sweep --resume {resume}",
                        EXIT_USAGE,
                    )
            started_in = resume
            folder.begin_resume()
        else:
            assert out is not None
            check_folder(out, force)
            if scenario is None:
                _fail("give the SCENARIO to sweep", EXIT_USAGE)
            plan = _plan(
                scenario, settings or [], design, samples, chosen, replications, seed, precision
            )
            runs = plan.precision.max_replications if plan.precision else plan.replications
            points = (plan.scenario(i) for i in range(len(plan.points)))
            _check_workload(
                points, len(plan.policies) * runs, max_complaints, workers or default_workers()
            )
            started_in = out
            folder = SweepFolder.create(out, plan, force)
        plan = folder.plan
        done = folder.finished_points()
        started = now()
        where = describe_executor(workers or default_workers(), scheduler)
        simulations = len(plan.points) * len(plan.policies) * plan.replications
        stderr.print(
            f"Sweep {plan.name}: {len(plan.points)} points × {len(plan.policies)} "
            f"polic{'y' if len(plan.policies) == 1 else 'ies'} × {plan.replications} "
            f"replications ({simulations:,} runs) on {where} → {folder.folder}"
            + (f"; {len(done)} points already done" if done else ""),
            markup=False,
            highlight=False,
        )
        with _progress(f"{plan.name}: runs") as on_progress:
            result = run_sweep(
                plan,
                workers=workers or default_workers(),
                scheduler=scheduler,
                skip=done,
                keep_values=False,
                on_point=folder.write_point,
                on_progress=on_progress,
            )
        tally = folder.finish(Provenance(command_line(), started, now(), result.executor))
    except ExecutorError as error:
        _fail(str(error), EXIT_USAGE)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    except KeyboardInterrupt:
        if started_in is None:
            _fail("interrupted before the sweep started; nothing was written", EXIT_INTERRUPTED)
        if not (started_in / PLAN).is_file():
            _fail(
                f"interrupted while preparing {started_in}; run the same command again with "
                "--force",
                EXIT_INTERRUPTED,
            )
        _fail(
            f"interrupted; finished points are kept: simcare sweep --resume {started_in}",
            EXIT_INTERRUPTED,
        )
    _print_sweep_table(folder.folder, plan)
    stderr.print(
        f"Results written to {folder.folder}: {tally.finished} of {tally.points} points done",
        markup=False,
        highlight=False,
    )
    if plots and tally.finished:
        _draw(folder.folder, None, list(CHART_FORMATS), None)
    if tally.failed:
        listed = ", ".join(str(p) for p in tally.failed[:10])
        why = next((r.error.splitlines()[-1] for r in result.runs.values() if r.error), "")
        _fail(
            f"{len(tally.failed)} point{'s' * (len(tally.failed) != 1)} failed ({listed})"
            + (f": {why}" if why else "")
            + "; "
            f"see {folder.folder / 'points.csv'} and parts/*.error.txt, then "
            f"simcare sweep --resume {folder.folder}",
            EXIT_FAILED,
        )


class ChartFormat(StrEnum):
    """A chart file format."""

    PNG = "png"
    SVG = "svg"


@app.command("plot")
def plot_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of run, compare or sweep.")],
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

    chosen = _split(outcomes)
    _check_outcomes(chosen or [], "--outcomes")
    _draw(folder, out, [f.value for f in formats] if formats else list(CHART_FORMATS), chosen)


def _check_page(target: Path, force: bool, example: str) -> None:
    """Exit 3 unless an HTML page can be written at ``target`` (before any work)."""
    from simcare.results.write import OutputError, check_writable

    if target.is_dir():
        _fail(f"{target}: is a folder; give -o a file name such as {example}", EXIT_OUTPUT)
    if target.exists() and not force:
        _fail(f"{target}: exists; choose another -o, or add --force to replace it", EXIT_OUTPUT)
    try:
        check_writable(target.parent)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of run, compare or sweep.")],
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
    from simcare.results.write import OutputError, write_atomic

    target = out if out is not None else folder / "report.html"
    _check_page(target, force, "report.html")
    from simcare.reports.charts import PlotError  # matplotlib: only when drawing
    from simcare.reports.report import report_html

    try:
        write_atomic(target, report_html(folder))
    except (PlotError, OutputError) as error:
        _fail(str(error), EXIT_OUTPUT)
    stderr.print(f"Report written to {target}", markup=False, highlight=False)


@app.command("reproduce")
def reproduce_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of run, compare or sweep.")],
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Re-run a finished output folder from its manifest and check the numbers are identical.

    Example: simcare reproduce results/fan
    """
    from simcare.experiments.execution import ExecutorError, default_workers
    from simcare.results.reproduce import reproduce
    from simcare.results.write import OutputError

    try:
        with _progress(f"{folder}: re-running") as on_progress:
            found = reproduce(
                folder,
                workers=workers or default_workers(),
                scheduler=scheduler,
                on_progress=on_progress,
            )
    except ExecutorError as error:
        _fail(str(error), EXIT_USAGE)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    changed = {
        name: (then, found.versions_now.get(name, "absent"))
        for name, then in found.versions_then.items()
        if found.versions_now.get(name) != then
    }
    if changed:
        stderr.print(
            "versions differ from the recorded run: "
            + ", ".join(f"{name} {a} → {b}" for name, (a, b) in changed.items()),
            markup=False,
            highlight=False,
        )
    if found.identical:
        stdout.print(
            f"{folder}: re-ran the {found.kind}; {found.file.name} is identical "
            f"({found.rows:,} rows)",
            markup=False,
            highlight=False,
        )
        return
    stdout.print(
        f"{folder}: re-ran the {found.kind}; {found.file.name} DIFFERS:",
        markup=False,
        highlight=False,
    )
    for line in found.differences:
        stdout.print(f"  {line}", markup=False, highlight=False)
    raise typer.Exit(EXIT_DIFFERENT)


@app.command("story")
def story_command(
    scenario: ScenarioArgument,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            "-p",
            help="The brand's response policy (default: the scenario's run.policy).",
        ),
    ] = None,
    customer: Annotated[
        int | None,
        typer.Option(
            "--customer",
            "-c",
            help="Tell this customer's story: a journey index from 0, the same customer under "
            "every policy.",
        ),
    ] = None,
    pick: Annotated[
        Pick | None,
        typer.Option(
            "--pick",
            help="Let simcare choose the customer (default: escalated, else the one with the "
            "most contacts). Only customers who complained after the warm-up are chosen.",
        ),
    ] = None,
    twin: Annotated[
        str | None,
        typer.Option("--twin", help="Also tell the same customer's story under this policy."),
    ] = None,
    seed: SeedOption = 2024,
    replication: Annotated[
        int, typer.Option("--replication", min=0, help="Which replication of the seed to tell.")
    ] = 0,
) -> None:
    """Tell one customer's complaint journey as a timeline, with the numbers behind it.

    Example: simcare story loyal_fan_deleted_post --pick deleted --twin acknowledge_then_private
    """
    from simcare.model.replication import simulate
    from simcare.reports.story import StoryError, busiest, choose, format_story, format_twins, tell

    if customer is not None and pick is not None:
        _fail("--customer and --pick choose the customer two ways; give one of them", EXIT_USAGE)
    loaded = _load(scenario)
    chosen = policy or loaded.run.policy
    _check_policies(loaded, [chosen], "--policy")
    if twin is not None:
        _check_policies(loaded, [twin], "--twin")
    # A scenario too big for memory: the story keeps the record, and its twin's.
    _check_workload([loaded], 1, workload.MAX_COMPLAINTS, records=2 if twin else 1)
    record = simulate(loaded, seed, replication, chosen)
    count = len(record.journeys)
    why = ""
    try:
        if customer is not None:
            if not 0 <= customer < count:
                valid = f"0 to {count - 1:,}" if count else "none: nobody complained"
                _fail(
                    f"--customer: expected a customer from {valid} (seed {seed}, replication "
                    f"{replication}), found {customer}",
                    EXIT_USAGE,
                )
            journey = customer
        elif pick is not None:
            journey = choose(record, pick, replication)
            why = f"Picked ({pick.value}): this customer {PICK_REASONS[pick]}."
        else:
            try:
                journey = choose(record, Pick.ESCALATED, replication)
                why = f"Picked (escalated): this customer {PICK_REASONS[Pick.ESCALATED]}."
            except StoryError:
                journey = busiest(record)
                why = "Picked: nobody escalated; this customer made the most contacts."
        story = tell(record, loaded, journey)
    except StoryError as error:
        _fail(f"--pick: {error}" if pick is not None else str(error), EXIT_USAGE)
    where = f"seed {seed}, replication {replication}"
    title = loaded.title or loaded.name
    if twin is None:
        heading = f"{title}\nPolicy {chosen}, {where}.\n{why}".rstrip()
        sys.stdout.write(format_story(story, heading + "\n"))
        return
    other = tell(simulate(loaded, seed, replication, twin), loaded, journey)
    heading = f"{title}\nPolicies {chosen} and {twin}, {where}.\n{why}".rstrip()
    sys.stdout.write(format_twins(story, other, chosen, twin, heading + "\n"))


def _workshop_handout(case: str, out: Path | None, teams: int, force: bool) -> None:
    """Write the handout and the teams' decision files (``simcare workshop CASE``)."""
    from simcare.results.write import OutputError, prepare_folder, write_atomic
    from simcare.workshop import load_workshop, template_text

    try:
        prepared = load_workshop(case)
    except ScenarioError as error:
        _fail(str(error), EXIT_USAGE)
    # The name is the scenario file's text: keep the default folder one plain name in here.
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", prepared.scenario.name).strip("_") or "case"
    folder = out if out is not None else Path(f"workshop-{safe}")
    from simcare.workshop.pages import handout_html  # matplotlib

    files = {"handout.html": handout_html(prepared, teams)}
    files |= {f"team-{n}.toml": template_text(prepared, n) for n in range(1, teams + 1)}
    try:
        prepare_folder(folder, force)
        for name, text in files.items():
            write_atomic(folder / name, text)
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    stdout.print(f"Workshop for {prepared.title}", markup=False, highlight=False)
    for name in files:
        stdout.print(f"  wrote {folder / name}", markup=False, highlight=False)
    stdout.print(
        f"Print the handout, give each team a decision file, then run:\n"
        f"  simcare workshop debrief {case} {folder / 'team-*.toml'} -o {folder / 'debrief.html'}",
        markup=False,
        highlight=False,
    )


def _workshop_debrief(
    case: str,
    team_files: list[str],
    out: Path | None,
    replications: int,
    seed: int,
    workers: int | None,
    force: bool,
    max_complaints: float,
) -> None:
    """Run the teams and the baseline and write the debrief (``simcare workshop debrief``)."""
    from simcare.experiments.execution import default_workers
    from simcare.results.write import OutputError, command_line, now, write_atomic
    from simcare.workshop import (
        DecisionError,
        load_workshop,
        read_teams,
        run_debrief,
        team_scenario,
    )
    from simcare.workshop.pages import debrief_html, scoreboard_table  # matplotlib

    try:
        prepared = load_workshop(case)
    except ScenarioError as error:
        _fail(str(error), EXIT_USAGE)
    if not team_files:
        _fail(
            f"give the teams' decision files: simcare workshop debrief {case} team-*.toml",
            EXIT_USAGE,
        )
    try:
        teams = read_teams([Path(name) for name in team_files], prepared)
    except DecisionError as error:
        _fail(str(error), EXIT_USAGE)
    target = out if out is not None else Path(team_files[0]).parent / "debrief.html"
    _check_page(target, force, "debrief.html")
    scenarios = [team_scenario(prepared, team) for team in teams]
    _check_workload(  # each team's story keeps one record
        [prepared.scenario, *scenarios],
        replications,
        max_complaints,
        workers or default_workers(),
        records=1,
    )
    started = now()
    try:
        with _progress(f"{prepared.scenario.name}: debrief runs") as on_progress:
            debrief = run_debrief(
                prepared,
                teams,
                replications,
                seed,
                workers=workers or default_workers(),
                on_progress=on_progress,
            )
    except RuntimeError as error:
        _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    made = f"{started.isoformat(timespec='seconds')} to {now().isoformat(timespec='seconds')}"
    try:
        write_atomic(target, debrief_html(debrief, command_line(), made))
    except OutputError as error:
        _fail(str(error), EXIT_OUTPUT)
    stdout.print(scoreboard_table(debrief))
    stderr.print(f"Debrief written to {target}", markup=False, highlight=False)


@app.command("workshop")
def workshop_command(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="CASE | debrief CASE TEAM_FILES",
            help="A case (a scenario .toml file or a built-in case) to prepare; or the word "
            "debrief, the case and the teams' decision files.",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Handout: the folder to write (default workshop-CASE). Debrief: the page to "
            "write (default debrief.html beside the first team file).",
        ),
    ] = None,
    teams: Annotated[
        int | None,
        typer.Option("--teams", min=1, max=30, help="Handout: team decision files (default 3)."),
    ] = None,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", min=2, help="Debrief: replications per team (default 20)."
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", "-s", min=0, help="Debrief: base seed (default 2024)."),
    ] = None,
    workers: WorkersOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace the handout's files, or the debrief page."),
    ] = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Run a case workshop: a handout and team files before class, a ranked debrief after.

    Before class, simcare workshop CASE [-o DIR] [--teams N] writes DIR/handout.html (to print:
    the briefing, the levers teams may change, the questions, the scoreboard and the ranking
    rule) and DIR/team-1.toml ... team-N.toml, one decision file per team.

    After class, simcare workshop debrief CASE TEAM_FILES... [-o FILE] [-r N] [-s SEED] [-w W]
    runs every team's decisions and an "Ignore everything" baseline team on the same customers,
    prints the ranked scoreboard (churn, negative word of mouth, cost) and writes the debrief
    page: the ranking, the charts and each team's most telling customer story.

    Example: simcare workshop loyal_fan_deleted_post -o ws

    Example: simcare workshop debrief loyal_fan_deleted_post ws/team-*.toml -o ws/debrief.html
    """
    from simcare.workshop import DEFAULT_REPLICATIONS, DEFAULT_SEED

    if arguments[0] == "debrief":
        if teams is not None:
            _fail("--teams is for the handout (simcare workshop CASE), not the debrief", EXIT_USAGE)
        if len(arguments) < 2:
            _fail("give the case: simcare workshop debrief CASE TEAM_FILES...", EXIT_USAGE)
        _workshop_debrief(
            arguments[1],
            arguments[2:],
            out,
            DEFAULT_REPLICATIONS if replications is None else replications,
            DEFAULT_SEED if seed is None else seed,
            workers,
            force,
            max_complaints,
        )
        return
    extra = [
        option
        for option, value in (
            ("--replications", replications),
            ("--seed", seed),
            ("--workers", workers),
        )
        if value is not None
    ]
    if extra:
        _fail(
            f"{extra[0]} is for the debrief (simcare workshop debrief CASE TEAM_FILES...)",
            EXIT_USAGE,
        )
    if len(arguments) > 1:
        _fail(
            f"one case at a time; to debrief teams' files, start with the word debrief: "
            f"simcare workshop debrief {arguments[0]} {' '.join(arguments[1:])}",
            EXIT_USAGE,
        )
    _workshop_handout(arguments[0], out, 3 if teams is None else teams, force)


def main() -> None:
    """Entry point of the ``simcare`` console script."""
    app()
