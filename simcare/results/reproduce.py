"""Re-run a finished output folder from what it recorded, and check the numbers are the same.

A folder records its resolved scenario(s), seed, policies and replications; re-running from
those (not from the case file, which may have changed since) must give the same summary, byte
for byte, on any worker count or executor.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.errors import ArgumentError, ScenarioError
from simcare.experiments.compare import compare
from simcare.experiments.replicate import run_replications
from simcare.experiments.sweep import run_sweep
from simcare.experiments.workload import Workload, estimate
from simcare.results.read import ReadError, read_manifest
from simcare.results.records import MAX_TABLE_BYTES, found, read_text
from simcare.results.rows import (
    COMPARISON_COLUMNS,
    SUMMARY_COLUMNS,
    comparison_records,
    summary_records,
    to_csv,
)
from simcare.results.sweep_folder import SweepFolder
from simcare.results.write import (
    MANIFEST,
    SUMMARY_FILES,
    OutputError,
    Provenance,
    now,
    versions,
)
from simcare.scenario_file import load_scenario


@dataclass(frozen=True, slots=True)
class Reproduction:
    """What `reproduce` found.

    Attributes:
        file: the summary file compared.
        rows: its data rows.
        differences: the first differing lines, as "line N: was ... / now ...".
        versions_then: the versions recorded in the folder's manifest.
        versions_now: the versions that re-ran it.
        not_compared: a sweep's points that had failed: not run again, not compared.
        points: a sweep's points, finished or not (0 otherwise).
    """

    kind: str
    file: Path
    rows: int
    differences: list[str]
    versions_then: dict[str, str]
    versions_now: dict[str, str]
    not_compared: tuple[int, ...] = ()
    points: int = 0

    @property
    def identical(self) -> bool:
        """Whether every number came out the same."""
        return not self.differences


NEEDED = {
    "run": ("seed", "replications", "policy"),
    "compare": ("seed", "replications", "policies", "baseline"),
    "sweep": (),  # its plan.json says what to run
}
"""What `reproduce` re-runs a folder from, by kind (each checked by `read_manifest`)."""


def _manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, with everything needed to re-run it (OutputError if not)."""
    try:
        manifest = read_manifest(
            folder, "(a sweep that was stopped can be finished with: simcare sweep --resume DIR)"
        )
    except ReadError as error:
        raise OutputError(f"{error}; cannot re-run from what it recorded") from None
    path = folder / MANIFEST
    kind = manifest.get("kind", "run")
    if kind == "optimise":
        # Its plan is a scenario to run; the search itself is resumed, not re-run.
        raise OutputError(
            f"{path}: an optimise folder; reproduce re-runs run, compare and sweep folders. "
            f"Run its plan with: simcare run {folder / 'plan.toml'}"
        )
    if kind not in SUMMARY_FILES:
        raise OutputError(f"{path}: not a simcare manifest (no known 'kind')")
    missing = [key for key in NEEDED[kind] if key not in manifest]
    if missing:
        raise OutputError(
            f"{path}: {', '.join(missing)}: missing; cannot re-run from what it recorded"
        )
    if kind == "compare" and manifest["baseline"] not in manifest["policies"]:
        raise OutputError(
            f"{path}: baseline: expected one of the policies "
            f"({', '.join(manifest['policies'])}), found {found(manifest['baseline'])}"
        )
    return manifest


def line_differences(before: str, after: str, limit: int = 5) -> list[str]:
    """The first lines that differ between two texts, as "line N: was ... / now ..."."""
    old, new = before.splitlines(), after.splitlines()
    found = [
        f"line {n}: was {a!r} / now {b!r}"
        for n, (a, b) in enumerate(zip(old, new, strict=False), start=1)
        if a != b
    ]
    if len(old) != len(new):
        found.append(f"{len(old)} lines before, {len(new)} now")
    return found[:limit]


def reproduce(
    folder: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    vet: Callable[[Workload], None] | None = None,
) -> Reproduction:
    """Re-run a run, compare or sweep folder and compare its summary with the recorded one.

    ``vet`` is shown the work the folder's record asks for before any of it runs (and may
    refuse it: see `simcare.experiments.workload.check`).

    Raises:
        OutputError: the folder is not a finished simcare output folder, or cannot be read.
    """
    manifest = _manifest(folder)
    kind = manifest.get("kind", "run")
    summary_path = folder / SUMMARY_FILES[kind]
    failed: tuple[int, ...] = ()
    points = 0
    try:
        recorded = read_text(summary_path, MAX_TABLE_BYTES, "the summary simcare wrote")
        if kind == "sweep":
            again, failed, points = _sweep_again(folder, workers, scheduler, on_progress, vet)
        else:
            scenario = load_scenario(folder / "scenario.toml")
            seed, replications = int(manifest["seed"]), int(manifest["replications"])
            if vet is not None:  # run keeps every replication's hourly series
                runs, series = (1, True) if kind == "run" else (len(manifest["policies"]), False)
                vet(estimate([scenario], runs * replications, series=series))
            if kind == "run":
                result = run_replications(scenario, replications, seed, policy=manifest["policy"])
                again = to_csv(summary_records(result.summary), SUMMARY_COLUMNS)
            else:
                comparison = compare(
                    scenario,
                    manifest["policies"],
                    manifest["baseline"],
                    replications,
                    seed,
                    workers=workers,
                    scheduler=scheduler,
                    on_progress=on_progress,
                )
                again = to_csv(comparison_records(comparison), COMPARISON_COLUMNS)
    except ArgumentError:
        raise  # a bad --scheduler or worker count is the caller's, not the folder's
    except ReadError as error:  # a summary that is not a file, or too large
        raise OutputError(str(error)) from None
    except (OSError, ScenarioError, KeyError, ValueError, TypeError, OverflowError) as error:
        raise OutputError(f"{folder}: cannot re-run from what it recorded: {error}") from None
    return Reproduction(
        kind=kind,
        file=summary_path,
        rows=max(0, len(recorded.splitlines()) - 1),
        differences=line_differences(recorded, again),
        versions_then=dict(manifest.get("versions", {})),
        versions_now=versions(),
        not_compared=failed,
        points=points,
    )


def _sweep_again(
    folder: Path,
    workers: int,
    scheduler: str | None,
    on_progress: Callable[[int, int], None] | None,
    vet: Callable[[Workload], None] | None,
) -> tuple[str, tuple[int, ...], int]:
    """Re-run a sweep's finished points from its plan and their resolved scenarios.

    The points that had failed (no results on disk) are not run again: what is compared is
    what finished. Returns the new summary, the failed points and the number of points.
    """
    recorded = SweepFolder.open(folder)
    plan = recorded.plan
    finished = recorded.finished_points()
    failed = tuple(p for p in range(len(plan.points)) if p not in set(finished))
    scenarios = {point: load_scenario(recorded.scenario_path(point)) for point in finished}
    if vet is not None:  # a sweep keeps one point's outcomes at a time
        each = len(plan.policies) * (
            plan.precision.max_replications if plan.precision else plan.replications
        )
        vet(estimate(scenarios.values(), each, held=each))
    with tempfile.TemporaryDirectory(prefix="simcare-reproduce-") as scratch:
        again = SweepFolder(Path(scratch), plan)
        (again.folder / "parts").mkdir()
        run_sweep(
            plan,
            workers=workers,
            scheduler=scheduler,
            skip=failed,
            scenarios=scenarios,
            keep_values=False,
            on_point=again.write_point,
            on_progress=on_progress,
        )
        again.finish(Provenance(["simcare", "reproduce"], now(), now()))
        return (again.folder / "summary.csv").read_text(encoding="utf-8"), failed, len(plan.points)
