"""`simcare reproduce`: re-run a finished output folder and check its numbers are identical."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from simcare.cli.checks import check_work
from simcare.cli.console import progress, stderr, stdout
from simcare.cli.exits import EXIT_DIFFERENT, exit_codes
from simcare.cli.options import (
    FolderArgument,
    MaxComplaintsOption,
    SchedulerOption,
    WorkersOption,
)
from simcare.core.errors import shown
from simcare.experiments import workload
from simcare.experiments.workload import Workload

if TYPE_CHECKING:
    from simcare.results.reproduce import Reproduction


def reproduce_command(
    folder: FolderArgument,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    max_complaints: MaxComplaintsOption = workload.MAX_COMPLAINTS,
) -> None:
    """Re-run a finished output folder from its manifest and check the numbers are identical.

    Example: simcare reproduce results/fan
    """
    from simcare.experiments.execution import default_workers

    processes = workers or default_workers()
    with exit_codes(), progress(shown(f"{folder}: re-running")) as on_progress:
        found = _rerun(folder, processes, scheduler, on_progress, max_complaints)
    changed = {
        name: (then, found.versions_now.get(name, "absent"))
        for name, then in found.versions_then.items()
        if found.versions_now.get(name) != then
    }
    if changed:
        stderr.print(
            shown(
                "versions differ from the recorded run: "
                + ", ".join(f"{name} {a} → {b}" for name, (a, b) in changed.items())
            ),
            markup=False,
            highlight=False,
        )
    failed = found.not_compared
    skipped = (
        f"; {len(failed)} of {found.points} points had failed and were not compared "
        f"({', '.join(map(str, failed[:10]))}{', ...' if len(failed) > 10 else ''})"
        if failed
        else ""
    )
    if found.identical:
        stdout.print(
            shown(
                f"{folder}: re-ran the {found.kind}; {found.file.name} is identical "
                f"({found.rows:,} rows){skipped}"
            ),
            markup=False,
            highlight=False,
        )
        return
    stdout.print(
        shown(f"{folder}: re-ran the {found.kind}{skipped}; {found.file.name} DIFFERS:"),
        markup=False,
        highlight=False,
    )
    for line in found.differences:
        stdout.print(shown(f"  {line}"), markup=False, highlight=False)
    raise typer.Exit(EXIT_DIFFERENT)


def _rerun(
    folder: Path,
    processes: int,
    scheduler: str | None,
    on_progress: Callable[[int, int], None] | None,
    max_complaints: float,
) -> Reproduction:
    """Re-run a run, compare or sweep folder, or a live workshop round's debrief."""
    from simcare.results.reproduce import reproduce
    from simcare.workshop.reproduce import is_round, reproduce_round

    def vet(work: Workload) -> None:
        # what the folder recorded is checked as the command that made it was
        check_work(work, max_complaints, processes)

    if is_round(folder):  # simcare workshop serve's folder, after its debrief
        return reproduce_round(folder, workers=processes, on_progress=on_progress, vet=vet)
    return reproduce(
        folder, workers=processes, scheduler=scheduler, on_progress=on_progress, vet=vet
    )
