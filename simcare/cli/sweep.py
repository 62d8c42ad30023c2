"""`simcare sweep`: a scenario over a grid or Latin hypercube of its keys, resumable."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from simcare.cli.checks import check_workload, split, target_precision
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
    --policies delete,reply_public -r 10 --out results/staffing
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

    def planned(source: str) -> SweepPlan:
        """The sweep these options ask for, over the scenario ``source``."""
        return _plan(source, settings or [], design, samples, chosen, replications, seed, precision)

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
    _conclude(folder, result, tally, plots)


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
        fail("give at least one --set KEY=V1,V2,... to sweep over", EXIT_USAGE)
    name = Path(scenario).stem
    # Checking every point's scenario takes a minute for 10,000 points: shown, not silent.
    with exit_codes(also=PLAN_ERRORS), progress(f"{name}: points checked") as update:
        return plan_sweep(
            scenario,
            settings,
            design=design.value,
            samples=samples,
            policies=policies,
            replications=replications,
            seed=seed,
            precision=precision,
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
            f"→ {folder.folder}" + (f"; {len(done)} points already done" if done else "")
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


def _conclude(folder: SweepFolder, result: SweepResult, tally: SweepTally, plots: bool) -> None:
    """Print the summary and where it is, draw the charts; exit 4 naming failed points."""
    from simcare.results.write import CHART_FORMATS

    _print_sweep_table(folder.folder, folder.plan, tally.failed)
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


def _print_sweep_table(folder: Path, plan: SweepPlan, failed: list[int]) -> None:
    """Print the key outcomes per point and policy, read back from the summary just written.

    Failed points are rows too ("failed"), and the title says how many: a sweep with failed
    points never looks complete. Wide, a row per point and policy; narrow, a table per point.
    """
    from simcare.experiments.compare import KEY_OUTCOMES
    from simcare.metrics import OUTCOMES
    from simcare.reports.comparison import SHORT_LABELS
    from simcare.reports.tables import Grid, laid_out

    keys = plan.keys
    cells = _sweep_cells(folder, plan, failed)
    # Text cells throughout: names, keys and values come from files and --set, not rich markup.
    title = f"{plan.name}: sweep summary (mean ± 95% half-width)"
    if failed:
        title += f"; {len(failed)} of {len(plan.points)} points failed"
    outcomes = [SHORT_LABELS.get(outcome, OUTCOMES[outcome].label) for outcome in KEY_OUTCOMES]
    ordered = sorted(cells.items(), key=lambda item: item[0][0])
    wide = Grid(
        ["point", *keys, "policy", *outcomes],
        [(None, [[Text(shown(text)) for text in texts] for _, texts in ordered])],
        numbers_from=len(keys) + 2,
    )
    by_point: dict[int, list[list[Text]]] = {}
    for (point, _), texts in ordered:
        by_point.setdefault(point, []).append([Text(shown(t)) for t in texts[len(keys) + 1 :]])
    narrow = Grid(
        ["policy", *outcomes],
        [(shown(_point_title(plan, point, cells)), rows) for point, rows in by_point.items()],
    )
    width = layout_width()
    print_laid_out([Text(shown(title)), *laid_out(width, wide, narrow)], width)


def _point_title(plan: SweepPlan, point: int, cells: dict[tuple[int, str], list[str]]) -> str:
    """A point's heading in the narrow layout: "Point 3: key=value, key=value".

    Written as ``--set`` takes them, a setting has no blank where a line could break.
    """
    texts = next(texts for (p, _), texts in cells.items() if p == point)
    settings = ", ".join(f"{k}={v}" for k, v in zip(plan.keys, texts[1:], strict=False))
    return f"Point {point}: {settings}"


def _sweep_cells(
    folder: Path, plan: SweepPlan, failed: list[int]
) -> dict[tuple[int, str], list[str]]:
    """Per (point, policy): the point, its settings, the policy and each key outcome's text."""
    from simcare.experiments.compare import KEY_OUTCOMES
    from simcare.experiments.design import format_value
    from simcare.metrics import OUTCOMES
    from simcare.reports.format import mean_text
    from simcare.results.rows import read_rows

    keys = plan.keys
    with (folder / "summary.csv").open(encoding="utf-8", newline="") as handle:
        rows = [
            row
            for row in read_rows(handle)
            if row["scope"] == "all" and row["outcome"] in KEY_OUTCOMES
        ]
    found: dict[tuple[int, str], dict[str, str]] = {}
    for row in rows:
        spec = OUTCOMES[row["outcome"]]
        mean = float(row["mean"]) if row["mean"] else math.nan
        half = float(row["half_width"]) if row["half_width"] else math.nan
        where = found.setdefault((int(row["point"]), row["policy"]), {"point": row["point"]})
        where.update({k: row[k] for k in keys})
        where[row["outcome"]] = mean_text(mean, half, spec.unit)
    for point in failed:
        settings = {k: format_value(plan.points[point][k]) for k in keys}
        found[(point, "")] = {"point": str(point), **settings}
    return {
        (point, policy): [
            where["point"],
            *(where[k] for k in keys),
            policy or "failed",
            *(where.get(o, "—") for o in KEY_OUTCOMES),
        ]
        for (point, policy), where in found.items()
    }
