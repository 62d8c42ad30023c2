"""`simcare optimise`: the headcount per shift (and policy) that does best, by simulation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from simcare.cli.checks import check_policies, check_workload, load, split
from simcare.cli.console import layout_width, print_laid_out, progress, stderr, stdout
from simcare.cli.exits import EXIT_USAGE, OPTION_NAMES, SIMULATION_ERRORS, exit_codes, fail
from simcare.cli.options import (
    ForceOption,
    MaxComplaintsOption,
    ScenarioArgument,
    SchedulerOption,
    SeedOption,
    WorkersOption,
)
from simcare.core.errors import ArgumentError, shown
from simcare.experiments import workload

if TYPE_CHECKING:
    from simcare.experiments.optimise import Goal, Optimised
    from simcare.experiments.optimise_eval import Candidate
    from simcare.experiments.optimise_space import Space
    from simcare.metrics import Outcomes
    from simcare.results.optimise_folder import OptimiseFolder


class PlanFormat(StrEnum):
    """What `optimise` prints on stdout."""

    TABLE = "table"
    JSON = "json"


TriedPoliciesOption = Annotated[
    str | None,
    typer.Option(
        "--policies",
        "-p",
        help="Comma-separated policies to try, each with its best staffing; the plan takes "
        "the best (default: the scenario's run.policy alone).",
    ),
]
TeamsOption = Annotated[
    str | None,
    typer.Option("--teams", help="Comma-separated teams whose shifts may change (default: all)."),
]
ObjectiveOption = Annotated[
    str,
    typer.Option(
        "--objective",
        help="The outcome to make best when no --target is given (net value by default).",
    ),
]
TargetsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        metavar="OUTCOME[@SCOPE]>=VALUE",
        help="A target to meet at the least total cost, e.g. service_level_offered>=0.8 or "
        "first_response_p90_min@channel:twitter<=60 (repeat for more).",
    ),
]
BudgetOption = Annotated[
    float | None,
    typer.Option("--budget", min=0, help="The most the plan may cost (mean total cost)."),
]
FirstOption = Annotated[
    int,
    typer.Option(
        "--replications", "-r", min=2, help="Replications every staffing tried gets first."
    ),
]
MostOption = Annotated[
    int,
    typer.Option(
        "--max-replications",
        min=2,
        help="The most replications a decision may take (added until a test can tell).",
    ),
]
OptimiseOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Write plan.toml (a scenario with the plan), optimise.json and every replication.",
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option("--resume", help="Reuse the replications an interrupted run kept in --out."),
]
PlanFormatOption = Annotated[
    PlanFormat, typer.Option("--format", "-f", help="What to print on stdout.")
]


# Over 60 lines only by its signature: sixteen options, then checks, run, write, print.
def optimise_command(
    scenario: ScenarioArgument,
    teams: TeamsOption = None,
    policies: TriedPoliciesOption = None,
    objective: ObjectiveOption = "net_value",
    targets: TargetsOption = None,
    budget: BudgetOption = None,
    replications: FirstOption = 10,
    max_replications: MostOption = 80,
    seed: SeedOption = 2024,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    out: OptimiseOutOption = None,
    resume: ResumeOption = False,
    force: ForceOption = False,
    output_format: PlanFormatOption = PlanFormat.TABLE,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Find the headcount per shift (and, with --policies, the policy) that does best.

    Example: simcare optimise loyal_fan_deleted_post --policies delete,reply_public --out plan
    """
    from simcare.experiments.execution import default_workers
    from simcare.experiments.optimise import Rounds, optimise
    from simcare.experiments.optimise_space import Space
    from simcare.results.write import Provenance, command_line, now

    loaded = load(scenario)
    chosen = split(policies)
    check_policies(loaded, chosen or [], "--policies")
    goal = _goal(objective, targets or [], budget)
    _check_rounds(out, resume, replications, max_replications)
    with exit_codes(also={ValueError: EXIT_USAGE}):
        space = Space.of(loaded, split(teams))
    # The search holds each candidate's replications; one candidate's are a point's worth.
    runs = max_replications * len(chosen or [loaded.run.policy])
    check_workload([loaded], runs, max_complaints, workers or default_workers())
    started = now()
    with exit_codes(also=SIMULATION_ERRORS, interrupted=lambda: _interrupted(out)):
        folder, kept = _open(out, resume, force, space, seed)
        with (
            progress(f"{loaded.name}: simulations") as on_progress,
            _kept_on_usage_error(folder, out),
        ):
            result = optimise(
                loaded,
                teams=split(teams),
                policies=chosen,
                goal=goal,
                seed=seed,
                rounds=Rounds(replications, max_replications),
                workers=workers or default_workers(),
                scheduler=scheduler,
                kept=kept,
                on_done=folder.record if folder is not None else None,
                on_progress=on_progress,
                on_step=_show_step,
            )
        plan_path = None
        if folder is not None:
            plan_path = folder.finish(result, Provenance(command_line(), started, now(), ""))
    _print(result, output_format, plan_path)


@contextmanager
def _kept_on_usage_error(folder: OptimiseFolder | None, out: Path | None) -> Iterator[None]:
    """Exit 2 on a target the first replications show to be wrong, saying what was kept.

    A target's scope is checked on the search's first replications (`optimise`); they are
    in ``out`` already and a corrected command reuses them with --resume. The replications'
    file is closed whatever ends the search (finishing closes it too).
    """
    try:
        yield
    except ArgumentError as error:
        kept = f"; the first replications are kept in {out}: correct the target, add --resume"
        fail(error.spelled(OPTION_NAMES) + (kept if out is not None else ""), EXIT_USAGE)
    finally:
        if folder is not None:
            folder.close()


def _check_rounds(out: Path | None, resume: bool, replications: int, most: int) -> None:
    """Exit 2 on options that cannot go together."""
    if resume and out is None:
        fail("--resume continues the run kept in --out DIR; add --out", EXIT_USAGE)
    if most < replications:
        fail("--max-replications must be at least --replications", EXIT_USAGE)


def _goal(objective: str, targets: list[str], budget: float | None) -> Goal:
    """The goal the options ask for, or exit 2 naming what is wrong."""
    from simcare.experiments.optimise import Goal, Target
    from simcare.metrics import OUTCOMES

    if objective not in OUTCOMES or OUTCOMES[objective].better is None:
        fail(
            f"--objective {objective}: expected an outcome with a better direction, such as "
            "net_value (simcare outcomes lists them)",
            EXIT_USAGE,
        )
    with exit_codes(also={ValueError: EXIT_USAGE}):
        parsed = tuple(Target.parse(text) for text in targets)
    return Goal(objective if not parsed else "total_cost", parsed, budget)


def _open(
    out: Path | None, resume: bool, force: bool, space: Space, seed: int
) -> tuple[OptimiseFolder | None, dict[Candidate, list[Outcomes]] | None]:
    """The output folder, new or reopened with the replications it kept."""
    from simcare.results.optimise_folder import OptimiseFolder, fingerprint

    if out is None:
        return None, None
    print_ = fingerprint(space, seed)
    if resume:
        folder, kept = OptimiseFolder.resume(out, print_)
        done = sum(len(runs) for runs in kept.values())
        stderr.print(shown(f"Resuming {out}: {done:,} replications kept"), markup=False)
        return folder, kept
    return OptimiseFolder.create(out, force, print_), None


def _interrupted(out: Path | None) -> str:
    if out is None:
        return "interrupted; nothing was written"
    return (
        f"interrupted; the replications run so far are kept in {out}: run the same command "
        "with --resume to go on"
    )


def _show_step(text: str) -> None:
    stderr.print(shown(text), markup=False, highlight=False)


def _print(result: Optimised, output_format: PlanFormat, plan_path: Path | None) -> None:
    """The plan beside the current staffing, on stdout (a table or JSON)."""
    from simcare.cli.optimise_table import plan_layout
    from simcare.results.optimise_json import optimised_json

    if output_format is PlanFormat.JSON:
        stdout.print_json(json.dumps(optimised_json(result)))
    else:
        width = layout_width()
        print_laid_out(plan_layout(result, width), width)
    if not result.feasible:
        stderr.print(
            "warning: the plan does not meet every target (or the budget): see the targets",
            style="yellow",
            markup=False,
        )
    if plan_path is not None:
        stderr.print(
            shown(f"Plan written to {plan_path}; run it with: simcare run {plan_path}"),
            markup=False,
            highlight=False,
        )
    stderr.print(
        Text(
            f"{result.simulations:,} simulations, {result.candidates:,} staffings and policies "
            f"tried, on {result.executor}"
        )
    )
