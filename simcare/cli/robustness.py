"""`simcare robustness`: would the verdicts hold in every world the evidence allows?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simcare.cli.checks import check_outcomes, check_policies, check_workload, load, split
from simcare.cli.console import layout_width, print_laid_out, progress, stderr, stdout, write_data
from simcare.cli.exits import EXIT_FAILED, EXIT_USAGE, PLAN_ERRORS, exit_codes, fail
from simcare.cli.options import (
    ForceOption,
    FormatOption,
    MaxComplaintsOption,
    OutputFormat,
    PlotsOption,
    PoliciesOption,
    SchedulerOption,
    SeedOption,
    WorkersOption,
)
from simcare.cli.plot import draw_charts
from simcare.core.errors import shown
from simcare.experiments import workload

if TYPE_CHECKING:
    from simcare.experiments.robustness import Robustness
    from simcare.experiments.sweep import SweepPlan
    from simcare.results.robustness_folder import RobustnessFolder

ScenarioOption = Annotated[
    str | None,
    typer.Argument(
        metavar="SCENARIO",
        help="A scenario .toml file, or a built-in case (not needed with --resume).",
    ),
]
BaselineOption = Annotated[
    str | None,
    typer.Option(
        "--baseline", "-b", help="The policy the others are measured against (default: run.policy)."
    ),
]
OutcomesOption = Annotated[
    str | None,
    typer.Option(
        "--outcomes",
        help="The outcomes whose verdicts are tested, comma-separated (default: escalation, "
        "churn, negative impressions and net value, as compare judges).",
    ),
]
SamplesOption = Annotated[
    int, typer.Option("--samples", "-n", min=1, help="Plausible worlds (a Latin hypercube).")
]
RobustReplicationsOption = Annotated[
    int,
    typer.Option("--replications", "-r", min=2, help="Replications per world and policy."),
]
InputsOption = Annotated[
    str | None,
    typer.Option(
        "--inputs",
        help="Vary only these uncertain inputs, comma-separated dotted keys (default: every "
        "one with a range: docs/evidence.md's and the scenario's [uncertainty]).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="A folder for the worlds' results (resumable) and verdicts."),
]
ResumeOption = Annotated[
    Path | None, typer.Option("--resume", help="Finish an interrupted study in this folder.")
]


# Over 60 lines only by its signature: sixteen options, then plan, run, write, print.
def robustness_command(
    scenario: ScenarioOption = None,
    policies: PoliciesOption = None,
    baseline: BaselineOption = None,
    outcomes: OutcomesOption = None,
    samples: SamplesOption = 64,
    replications: RobustReplicationsOption = 5,
    inputs: InputsOption = None,
    seed: SeedOption = 2024,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    out: OutOption = None,
    resume: ResumeOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    plots: PlotsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Test each verdict of compare in plausible worlds: shares, drivers and where it flips.

    Example: simcare robustness loyal_fan_deleted_post --samples 64 -r 5 --out results/robust
    """
    from simcare.experiments.execution import default_workers

    _check_options(out, resume, plots, planning=bool(scenario or policies or baseline or inputs))
    judged = split(outcomes)
    if judged:
        check_outcomes(judged, "--outcomes")
    processes = workers or default_workers()
    folder: RobustnessFolder | None = None
    with exit_codes(interrupted=lambda: _interrupted(out or resume)):
        if resume is not None:
            folder = _reopen(resume)
            plan = folder.plan
        elif scenario is None:
            fail("give the SCENARIO to study (or --resume DIR)", EXIT_USAGE)
        else:
            plan = _plan(scenario, policies, baseline, samples, replications, seed, inputs)
        _check_size(plan, max_complaints, processes, folder)
        if folder is not None:
            folder.begin_resume()
        elif out is not None:
            folder = _create(out, plan, force)
        result = _run(plan, folder, judged, processes, scheduler)
    _print(result, output_format, folder)
    if plots and folder is not None:
        from simcare.results.write import CHART_FORMATS

        draw_charts(folder.folder, None, list(CHART_FORMATS), None)
    if result.failed:
        fail(
            f"{result.failed} of {result.worlds + result.failed} worlds failed and are left out"
            + (f"; see {folder.folder / 'points.csv'}" if folder is not None else ""),
            EXIT_FAILED,
        )


def _check_options(out: Path | None, resume: Path | None, plots: bool, planning: bool) -> None:
    """Exit 2 for options that do not go together."""
    if out is not None and resume is not None:
        fail("give --out DIR for a new study, or --resume DIR to finish one, not both", EXIT_USAGE)
    if resume is not None and planning:
        fail(
            f"--resume runs the study planned in {resume}; resume with just: "
            f"simcare robustness --resume {resume}",
            EXIT_USAGE,
        )
    if plots and out is None and resume is None:
        fail("--plots draws into the output folder; add --out DIR", EXIT_USAGE)


def _check_size(
    plan: SweepPlan, max_complaints: float, workers: int, folder: RobustnessFolder | None
) -> None:
    """Exit 2 if the worlds not yet done are far too much work (see `check_workload`)."""
    done = set(folder.finished_points()) if folder is not None else set()
    with exit_codes(also=PLAN_ERRORS):  # a world that a plan.json changed may not be valid
        check_workload(
            (plan.scenario(i) for i in range(len(plan.points)) if i not in done),
            len(plan.policies) * plan.replications,
            max_complaints,
            workers,
        )


def _plan(
    scenario: str,
    policies: str | None,
    baseline: str | None,
    samples: int,
    replications: int,
    seed: int,
    inputs: str | None,
) -> SweepPlan:
    """Plan the worlds, or exit 2 naming what is wrong."""
    from simcare.experiments.robustness_design import plan_robustness

    loaded = load(scenario)
    chosen = split(policies)
    check_policies(loaded, [*(chosen or []), *([baseline] if baseline else [])], "--policies")
    with exit_codes(also=PLAN_ERRORS), progress(f"{loaded.name}: worlds checked") as update:
        return plan_robustness(
            loaded if not Path(scenario).is_file() else scenario,
            policies=chosen,
            baseline=baseline,
            samples=samples,
            replications=replications,
            seed=seed,
            inputs=split(inputs),
            on_point=update,
        )


def _create(out: Path, plan: SweepPlan, force: bool) -> RobustnessFolder:
    from simcare.results.folders import ROBUSTNESS_FILES
    from simcare.results.robustness_folder import RobustnessFolder
    from simcare.results.write import check_folder

    check_folder(out, force, ROBUSTNESS_FILES)
    return RobustnessFolder.create(out, plan, force)


def _reopen(resume: Path) -> RobustnessFolder:
    from simcare.results.robustness_folder import RobustnessFolder

    return RobustnessFolder.open(resume)


def _run(
    plan: SweepPlan,
    folder: RobustnessFolder | None,
    outcomes: list[str] | None,
    workers: int,
    scheduler: str | None,
) -> Robustness:
    """Run the worlds not yet done, then test the verdicts (written to the folder, if any)."""
    from simcare.experiments.robustness import analyse
    from simcare.experiments.sweep import run_sweep
    from simcare.results.write import Provenance, command_line, now

    done = folder.finished_points() if folder is not None else []
    worlds = len(plan.points) - 1
    stderr.print(
        shown(
            f"Robustness of {plan.name}: the scenario as written and {worlds} plausible worlds "
            f"× {len(plan.policies)} policies × {plan.replications} replications"
            + (f" → {folder.folder}" if folder is not None else "")
            + (f"; {len(done)} already done" if done else "")
        ),
        markup=False,
        highlight=False,
    )
    started = now()
    with progress(shown(f"{plan.name}: runs")) as on_progress:
        swept = run_sweep(
            plan,
            workers=workers,
            scheduler=scheduler,
            skip=done,
            keep_values=folder is None,
            on_point=folder.write_point if folder is not None else None,
            on_progress=on_progress,
        )
    with exit_codes(also=PLAN_ERRORS):
        if folder is None:
            runs = {p: r.values for p, r in swept.runs.items() if r.error is None}
            return analyse(plan, runs, outcomes, swept.executor)
        result = analyse(plan, folder.values(), outcomes, swept.executor)
    folder.write_analysis(result)
    folder.finish(Provenance(command_line(), started, now(), swept.executor))
    return result


def _interrupted(folder: Path | None) -> str:
    if folder is None:
        return "interrupted; nothing was written"
    return f"interrupted; finished worlds are kept: simcare robustness --resume {folder}"


def _print(
    result: Robustness, output_format: OutputFormat, folder: RobustnessFolder | None
) -> None:
    """Print the verdicts: a table and plain words, JSON, or CSV."""
    from simcare.reports.robustness import robustness_layout
    from simcare.results.rows import to_csv

    if output_format is OutputFormat.TABLE:
        width = layout_width()
        print_laid_out(robustness_layout(result.to_json(), width), width)
        if folder is not None:
            stderr.print(
                shown(f"Results written to {folder.folder}"), markup=False, highlight=False
            )
    elif output_format is OutputFormat.JSON:
        stdout.print_json(json.dumps(result.to_json()))
    else:
        records = result.records()
        write_data(to_csv(records, tuple(records[0]) if records else ()))
