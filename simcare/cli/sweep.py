"""`simcare sweep`: a scenario over a grid or Latin hypercube of its keys, resumable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from simcare.cli.checks import check_outcomes, check_workload, split, target_precision
from simcare.cli.console import layout_width, print_laid_out, progress, stderr
from simcare.cli.exits import EXIT_FAILED, EXIT_USAGE, PLAN_ERRORS, exit_codes, fail
from simcare.cli.options import (
    ForceOption,
    MaxComplaintsOption,
    MaxReplicationsOption,
    PlotsOption,
    PoliciesOption,
    ReplicationsOption,
    SchedulerOption,
    SeedOption,
    TargetOption,
    TargetOutcomeOption,
    WorkersOption,
)
from simcare.cli.plot import draw_charts
from simcare.core.errors import shown
from simcare.experiments import workload

if TYPE_CHECKING:
    from simcare.experiments.engine import Precision
    from simcare.experiments.sweep import SweepPlan, SweepResult
    from simcare.results.sweep_folder import SweepFolder, SweepTally


SWEEP_OUTCOMES = ("complainant_churn_rate", "impressions_negative", "total_cost", "net_value")
"""The sweep table's columns unless --outcomes asks for others (escalated_share, say): churn,
word of mouth, and what the brand pays beside what it is worth, so that a step's cost stands
beside what it buys (four columns fit 80 characters)."""


class Design(StrEnum):
    """How a sweep lays out its points."""

    GRID = "grid"
    LHS = "lhs"


SweepScenarioArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario .toml file, or a built-in case (not needed with --resume).",
    ),
]
SettingsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUES",
        help="A dotted scenario key and its values: KEY=V1,V2,... or KEY=LO:HI:STEP "
        "(KEY=LO:HI with --design lhs). Repeat for more keys.",
    ),
]
DesignOption = Annotated[
    Design, typer.Option("--design", help="grid: every combination; lhs: Latin hypercube.")
]
SamplesOption = Annotated[
    int | None, typer.Option("--samples", min=1, help="Points of a Latin hypercube.")
]
SweepOutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="The folder for the results (written as points finish)."),
]
BaselinePointOption = Annotated[
    str | None,
    typer.Option(
        "--baseline-point",
        metavar="N|KEY=VALUE",
        help="Measure every point against this one, paired by replication (the points share "
        "customers): its number, or its settings, e.g. agents=3 (KEY=VALUE,KEY=VALUE for "
        "several keys).",
    ),
]
SweepOutcomesOption = Annotated[
    str | None,
    typer.Option(
        "--outcomes",
        help="The table's columns: comma-separated outcome keys (simcare outcomes lists them).",
    ),
]
ResumeOption = Annotated[
    Path | None,
    typer.Option("--resume", help="Finish an interrupted sweep in this folder."),
]


def sweep_command(
    scenario: SweepScenarioArgument = None,
    settings: SettingsOption = None,
    design: DesignOption = Design.GRID,
    samples: SamplesOption = None,
    policies: PoliciesOption = None,
    replications: ReplicationsOption = 20,
    target_ci: TargetOption = None,
    target_outcome: TargetOutcomeOption = "complainant_churn_rate",
    max_replications: MaxReplicationsOption = 500,
    seed: SeedOption = 2024,
    baseline_point: BaselinePointOption = None,
    outcomes: SweepOutcomesOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    out: SweepOutOption = None,
    resume: ResumeOption = None,
    plots: PlotsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Run a scenario over a grid or Latin hypercube of its keys, under one or more policies.

    Example: simcare sweep loyal_fan_deleted_post --set teams.social_desk.shifts.0.agents=1:3:1
    --baseline-point agents=1 -r 10 --out results/staffing
    """
    from simcare.experiments.execution import default_workers
    from simcare.results.sweep_folder import SweepFolder

    if (out is None) == (resume is None):
        fail(
            "give --out DIR for a new sweep, or --resume DIR to finish an interrupted one",
            EXIT_USAGE,
        )
    precision = target_precision(target_ci, target_outcome, max_replications, replications)
    chosen = split(policies)
    columns = tuple(split(outcomes) or SWEEP_OUTCOMES)
    check_outcomes(list(columns), "--outcomes")

    def planned(source: str) -> SweepPlan:
        """The sweep these options ask for, over the scenario ``source``."""
        asked = _Asked(design, samples, chosen, replications, seed, precision, baseline_point)
        return _plan(source, settings or [], asked)

    processes = workers or default_workers()
    started_in: Path | None = None  # the folder, once the sweep writes into it
    with exit_codes(interrupted=lambda: _interrupted(started_in)):
        if resume is not None:
            folder = _reopen(resume, scenario, settings, planned)
            # plan.json is a file like any other: what it asks for is checked as a new sweep is
            _check_size(folder.plan, max_complaints, processes, folder.finished_points())
            started_in = resume
            folder.begin_resume()
        else:
            assert out is not None
            plan = _new_plan(out, force, scenario, planned, max_complaints, processes)
            started_in = out
            folder = SweepFolder.create(out, plan, force)
        result, tally = _run(folder, processes, scheduler)
    _conclude(folder, result, tally, plots, columns)


@dataclass(frozen=True, slots=True)
class _Asked:
    """What the options ask of a new sweep, besides its scenario and settings."""

    design: Design
    samples: int | None
    policies: list[str] | None
    replications: int
    seed: int
    precision: Precision | None
    baseline_point: str | None


def _plan(scenario: str, settings: list[str], asked: _Asked) -> SweepPlan:
    """Plan a sweep, or exit 2 with every problem in the settings or the points' scenarios."""
    from simcare.experiments.sweep import plan_sweep

    if not settings:
        fail("give at least one --set KEY=V1,V2,... to sweep over", EXIT_USAGE)
    name = Path(scenario).stem
    # Checking every point's scenario takes a minute for 10,000 points: shown, not silent.
    with exit_codes(also=PLAN_ERRORS), progress(f"{name}: points checked") as update:
        return plan_sweep(
            scenario,
            settings,
            design=asked.design.value,
            samples=asked.samples,
            policies=asked.policies,
            replications=asked.replications,
            seed=asked.seed,
            precision=asked.precision,
            baseline_point=asked.baseline_point,
            on_point=update,
        )


def _reopen(
    resume: Path,
    scenario: str | None,
    settings: list[str] | None,
    planned: Callable[[str], SweepPlan],
) -> SweepFolder:
    """Open an interrupted sweep's folder, or exit 2 if the options given ask for another."""
    from simcare.results.sweep_folder import SweepFolder

    folder = SweepFolder.open(resume)
    if scenario is not None or settings:
        asked = planned(scenario or folder.plan.source)
        if asked.to_json() != folder.plan.to_json():
            fail(
                f"{resume}: these options differ from the sweep planned there; "
                f"resume with just: simcare sweep --resume {resume}",
                EXIT_USAGE,
            )
    return folder


def _new_plan(
    out: Path,
    force: bool,
    scenario: str | None,
    planned: Callable[[str], SweepPlan],
    max_complaints: float,
    workers: int,
) -> SweepPlan:
    """Plan a new sweep into ``out``, or exit: the folder is unusable, or the job too big."""
    from simcare.results.write import SWEEP_FILES, check_folder

    check_folder(out, force, SWEEP_FILES)
    if scenario is None:
        fail("give the SCENARIO to sweep", EXIT_USAGE)
    plan = planned(scenario)
    _check_size(plan, max_complaints, workers)
    return plan


def _check_size(
    plan: SweepPlan, max_complaints: float, workers: int, done: Sequence[int] = ()
) -> None:
    """Exit 2 if the points not yet ``done`` are far too much work (see `check_workload`)."""
    runs = plan.precision.max_replications if plan.precision else plan.replications
    finished = set(done)
    points = (plan.scenario(i) for i in range(len(plan.points)) if i not in finished)
    each = len(plan.policies) * runs
    with exit_codes(also=PLAN_ERRORS):  # a point that a plan.json changed may not be valid
        check_workload(points, each, max_complaints, workers, held=each)


def _run(
    folder: SweepFolder, workers: int, scheduler: str | None
) -> tuple[SweepResult, SweepTally]:
    """Run the points not yet done, each written to the folder as it finishes."""
    from simcare.experiments.execution import describe_executor
    from simcare.experiments.sweep import run_sweep
    from simcare.results.write import Provenance, command_line, now

    plan = folder.plan
    done = folder.finished_points()
    started = now()
    where = describe_executor(workers, scheduler)
    simulations = len(plan.points) * len(plan.policies) * plan.replications
    points, policies = len(plan.points), len(plan.policies)
    stderr.print(
        shown(
            f"Sweep {plan.name}: {points} point{'s' * (points != 1)} × {policies} "
            f"polic{'y' if policies == 1 else 'ies'} × {plan.replications} "
            f"replication{'s' * (plan.replications != 1)} ({simulations:,} runs) on {where} "
            f"→ {folder.folder}"
            + (f"; {len(done)} point{'s' * (len(done) != 1)} already done" if done else "")
        ),
        markup=False,
        highlight=False,
    )
    with progress(shown(f"{plan.name}: runs")) as on_progress:
        result = run_sweep(
            plan,
            workers=workers,
            scheduler=scheduler,
            skip=done,
            keep_values=False,
            on_point=folder.write_point,
            on_progress=on_progress,
        )
    tally = folder.finish(Provenance(command_line(), started, now(), result.executor))
    return result, tally


def _interrupted(started_in: Path | None) -> str:
    """What Ctrl-C left behind: nothing, a folder being prepared, or finished points."""
    from simcare.results.write import PLAN

    if started_in is None:
        return "interrupted before the sweep started; nothing was written"
    if not (started_in / PLAN).is_file():
        return f"interrupted while preparing {started_in}; run the same command again with --force"
    return f"interrupted; finished points are kept: simcare sweep --resume {started_in}"


def _conclude(
    folder: SweepFolder,
    result: SweepResult,
    tally: SweepTally,
    plots: bool,
    columns: tuple[str, ...],
) -> None:
    """Print the summary and where it is, draw the charts; exit 4 naming failed points."""
    from simcare.results.write import CHART_FORMATS

    _print_sweep_table(folder.folder, folder.plan, tally.failed, columns)
    stderr.print(
        shown(
            f"Results written to {folder.folder}: {tally.finished} of {tally.points} points done"
        ),
        markup=False,
        highlight=False,
    )
    if plots and tally.finished:
        draw_charts(folder.folder, None, list(CHART_FORMATS), None)
    if tally.failed:
        listed = ", ".join(str(p) for p in tally.failed[:10])
        why = next((r.error.splitlines()[-1] for r in result.runs.values() if r.error), "")
        fail(
            shown(
                f"{len(tally.failed)} point{'s' * (len(tally.failed) != 1)} failed ({listed})"
                + (f": {why}" if why else "")
                + "; "
                f"see {folder.folder / 'points.csv'} and parts/*.error.txt, then "
                f"simcare sweep --resume {folder.folder}"
            ),
            EXIT_FAILED,
        )


def _print_sweep_table(
    folder: Path, plan: SweepPlan, failed: list[int], columns: tuple[str, ...]
) -> None:
    """Print the chosen outcomes per point and policy, read back from the summary just written.

    Failed points are rows too ("failed"), and the title says how many: a sweep with failed
    points never looks complete. Wide, a row per point and policy; narrow, a table per point.
    With a baseline point, each cell adds the paired difference from it and "better k/n".
    """
    from simcare.cli.sweep_table import SHORT_HEADINGS, sweep_cells, sweep_title
    from simcare.metrics import OUTCOMES
    from simcare.reports.comparison import SHORT_LABELS
    from simcare.reports.tables import Grid, laid_out

    keys = plan.keys
    cells = sweep_cells(folder, plan, failed, columns)
    headings = SHORT_LABELS | SHORT_HEADINGS
    outcomes = [headings.get(outcome, OUTCOMES[outcome].label) for outcome in columns]
    ordered = sorted(cells.items(), key=lambda item: item[0][0])
    wide = Grid(
        ["point", *keys, "policy", *outcomes],
        [(None, [texts for _, texts in ordered])],
        numbers_from=len(keys) + 2,
        lines=plan.baseline_point is not None,
    )
    by_point: dict[int, list[list[Text]]] = {}
    for (point, _), texts in ordered:
        by_point.setdefault(point, []).append(texts[len(keys) + 1 :])
    narrow = Grid(
        ["policy", *outcomes],
        [(shown(_point_title(plan, point)), rows) for point, rows in by_point.items()],
        lines=plan.baseline_point is not None,
    )
    width = layout_width()
    title = sweep_title(plan, failed)
    print_laid_out([*(Text(shown(t)) for t in title), *laid_out(width, wide, narrow)], width)


def _point_title(plan: SweepPlan, point: int) -> str:
    """A point's heading in the narrow layout: "Point 3: key=value, key=value".

    Written as ``--set`` takes them, a setting has no blank where a line could break.
    """
    from simcare.experiments.design import format_value

    values = plan.points[point]
    settings = ", ".join(f"{k}={format_value(values[k])}" for k in plan.keys)
    mark = " (baseline)" if point == plan.baseline_point else ""
    return f"Point {point}{mark}: {settings}"
