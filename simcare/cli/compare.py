"""`simcare compare`: response policies on the same customers, paired differences, verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from simcare.cli.checks import (
    check_outcomes,
    check_policies,
    check_workload,
    load,
    split,
    target_precision,
)
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
    MaxReplicationsOption,
    OutputFormat,
    PlotsOption,
    PoliciesOption,
    ReplicationsOption,
    ScenarioArgument,
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
    from simcare.experiments.compare import Comparison
    from simcare.results.write import Provenance
    from simcare.scenario import Scenario

BaselineOption = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        "-b",
        help="The policy the others are measured against (default: the scenario's "
        "run.policy, what the brand does now).",
    ),
]
OutcomesOption = Annotated[
    str | None,
    typer.Option("--outcomes", help="The table's columns: comma-separated outcome keys."),
]
CompareOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write comparison.csv/.json, replications, scenario, manifest."
    ),
]


# Over 60 lines only by its signature: sixteen options, then checks, run, write, print.
def compare_command(
    scenario: ScenarioArgument,
    policies: PoliciesOption = None,
    baseline: BaselineOption = None,
    replications: ReplicationsOption = 20,
    target_ci: TargetOption = None,
    target_outcome: TargetOutcomeOption = "complainant_churn_rate",
    max_replications: MaxReplicationsOption = 500,
    seed: SeedOption = 2024,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    outcomes: OutcomesOption = None,
    out: CompareOutOption = None,
    output_format: FormatOption = OutputFormat.TABLE,
    plots: PlotsOption = False,
    force: ForceOption = False,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Compare response policies on the same customers, with paired differences and verdicts.

    Example: simcare compare loyal_fan_deleted_post --baseline delete -r 30
    """
    from simcare.experiments.compare import compare as compare_policies
    from simcare.experiments.execution import default_workers
    from simcare.reports.comparison import TABLE_OUTCOMES
    from simcare.results.write import CHART_FORMATS, Provenance, command_line, now

    loaded = load(scenario)
    chosen = split(policies)
    check_policies(loaded, [*(chosen or []), *([baseline] if baseline else [])], "--policies")
    columns = tuple(split(outcomes) or _table_outcomes(loaded, TABLE_OUTCOMES))
    check_outcomes(list(columns), "--outcomes")
    if plots and out is None:
        fail("--plots draws into the output folder; add --out DIR", EXIT_USAGE)
    precision = target_precision(target_ci, target_outcome, max_replications, replications)
    compared = len(set(chosen or loaded.policy_names) | {baseline or loaded.run.policy})
    runs = max_replications if precision is not None else replications
    check_workload([loaded], compared * runs, max_complaints, workers or default_workers())
    writing = False
    with exit_codes(
        also=SIMULATION_ERRORS, interrupted=lambda: interrupted_writing(out if writing else None)
    ):
        if out is not None:
            _check_out(out, force)
        started = now()
        with progress(f"{loaded.name}: policies × replications") as on_progress:
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
            _write(comparison, out, provenance, force)
    _print_comparison(comparison, columns, output_format, out, scenario)
    if plots and out is not None:
        draw_charts(out, None, list(CHART_FORMATS), split(outcomes))


def _check_out(out: Path, force: bool) -> None:
    """Refuse an output folder now, not after the simulation (see `check_folder`)."""
    from simcare.results.write import COMPARE_FILES, check_folder

    check_folder(out, force, COMPARE_FILES)


def _table_outcomes(scenario: Scenario, default: tuple[str, ...]) -> tuple[str, ...]:
    """The table's default columns: with contagion on, also the journeys it started.

    In such a case the question is how many complaints silence created (issue 17), so the
    paired difference in those journeys belongs beside the verdicts.
    """
    if scenario.contagion.cause is None:
        return default
    return (*default, "contagion_journeys")


def _write(comparison: Comparison, out: Path, provenance: Provenance, force: bool) -> None:
    """Write the comparison's folder, its verdicts in words."""
    from simcare.results.write import write_comparison

    write_comparison(comparison, _verdict_texts(comparison), out, provenance, force)


def _print_comparison(
    comparison: Comparison,
    columns: tuple[str, ...],
    output_format: OutputFormat,
    out: Path | None,
    source: str,
) -> None:
    """Print the comparison on stdout: a table and the verdicts, JSON or CSV."""
    from simcare.reports.comparison import comparison_layout
    from simcare.reports.tables import bullets
    from simcare.results.rows import COMPARISON_COLUMNS, comparison_json, comparison_records, to_csv

    if output_format is OutputFormat.TABLE:
        width = layout_width()
        print_laid_out(comparison_layout(comparison, columns, width), width)
        verdicts = Text("Verdicts (95% confidence, paired by replication):")
        print_laid_out([verdicts, *bullets(_verdict_texts(comparison), width)], width)
        _point_to_robustness(comparison, source, width)
        if out is not None:
            stderr.print(shown(f"Results written to {out}"), markup=False, highlight=False)
    elif output_format is OutputFormat.JSON:
        stdout.print_json(json.dumps(comparison_json(comparison, _verdict_texts(comparison))))
    else:
        write_data(to_csv(comparison_records(comparison), COMPARISON_COLUMNS))
    _note_alike_policies(comparison)


def _point_to_robustness(comparison: Comparison, source: str, width: int | None) -> None:
    """One line under the verdicts: they rest on illustrative parameters, and how to test them.

    ``source`` is the scenario as the user typed it (a file or a case): a command to paste.
    A paragraph (not a verdict), wrapped at words to the terminal as the verdicts are.
    """
    from simcare.reports.robustness import robustness_pointer

    line = robustness_pointer(comparison, shown(source))
    if line is not None:
        print_laid_out([Text(line)], width)


def _note_alike_policies(comparison: Comparison) -> None:
    """Say on stderr why policies come out identical when the scenario is the cause."""
    from simcare.scenario.alike import alike_notes

    for note in alike_notes(comparison.scenario, comparison.policies):
        stderr.print(shown(f"Note: {note}"), markup=False, highlight=False)


def _verdict_texts(comparison: Comparison) -> list[str]:
    """Each verdict of the comparison in words."""
    from simcare.reports.comparison import verdict_text

    return [verdict_text(verdict, comparison) for verdict in comparison.verdicts]
