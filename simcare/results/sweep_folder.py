"""A sweep's output folder: written as points finish, resumable, complete only with a manifest.

Layout::

    plan.json               what the sweep runs and the files it writes, with simcare's mark
                            (written before any point; --resume reads it)
    scenario.toml           the base scenario, resolved
    scenarios/point-N.toml  each point's scenario, resolved (what `simcare reproduce` runs)
    parts/point-N.csv       a finished point's replications (each written whole, atomically)
    parts/point-N.error.txt a point that failed, with its traceback
    points.csv              at the end: every point's settings, status and replications
    replications.csv        at the end: point, settings, policy, replication, outcome, scope, value
    summary.csv             at the end: mean and 95% CI per point, policy, outcome and scope
                            (and, with a baseline point, the paired difference from it)
    manifest.json           last: how it was made; a folder without one is unfinished

The final files are built from the parts on disk, so a resumed sweep ends with the same files,
byte for byte, as one that was never interrupted.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.experiments.design import format_value
from simcare.experiments.engine import PointRun
from simcare.experiments.summary import summarise
from simcare.experiments.sweep import SweepPlan
from simcare.experiments.sweep_baseline import (
    SWEEP_DIFFERENCE_COLUMNS,
    difference_record,
    point_differences,
)
from simcare.metrics import Outcomes
from simcare.metrics.catalogue import OUTCOMES
from simcare.results.folders import (
    MANIFEST,
    PLAN,
    SWEEP_FILES,
    OutputError,
    atomic_text,
    check_writable,
    claimed,
    is_marked,
    marked,
    own_folder,
    prepare_folder,
    write_atomic,
    write_error,
)
from simcare.results.plan_record import check_plan
from simcare.results.records import (
    MAX_NOTE_BYTES,
    ReadError,
    found,
    read_csv,
    read_record,
    read_text,
)
from simcare.results.rows import (
    SUMMARY_COLUMNS,
    CsvWriter,
    TableError,
    none_if_nan,
    summary_records,
    to_csv,
)
from simcare.results.write import Provenance, replication_rows, write_files
from simcare.scenario_file import dump_scenario, scenario_from_dict

PART_COLUMNS = ("policy", "replication", "outcome", "scope", "value")


def _point_name(point: int) -> str:
    return f"point-{point:04d}"


def _part_values(
    rows: list[dict[str, str]], policies: tuple[str, ...]
) -> dict[str, list[Outcomes]]:
    """A part's rows as each policy's replications' outcomes.

    Raises:
        TableError: a policy not in the plan, a replication out of order, an outcome simcare
            does not know, a value that is not a number, or no replications at all.
    """
    values: dict[str, list[Outcomes]] = {}
    for line, row in enumerate(rows, start=2):
        if row["policy"] not in policies:
            raise TableError(f"line {line}: policy {found(row['policy'])} is not in the plan")
        runs = values.setdefault(row["policy"], [])
        try:
            replication = int(row["replication"])
            value = float(row["value"]) if row["value"] else math.nan
        except ValueError:
            raise TableError(f"line {line}: replication or value is not a number") from None
        if replication == len(runs):
            runs.append({})
        elif not 0 <= replication < len(runs):
            raise TableError(f"line {line}: replication {replication} is out of order")
        if row["outcome"] not in OUTCOMES:
            raise TableError(f"line {line}: outcome {found(row['outcome'])} is not simcare's")
        runs[replication][(row["outcome"], row["scope"])] = value
    if not values:
        raise TableError("no replications")
    return values


@dataclass(frozen=True, slots=True)
class SweepTally:
    """How a sweep ended: points finished and failed, and where the results are."""

    points: int
    finished: int
    failed: list[int]


class SweepFolder:
    """The output folder of one sweep."""

    def __init__(self, folder: Path, plan: SweepPlan, marked: bool = True) -> None:
        self.folder = folder
        self.plan = plan
        self.marked = marked
        """Whether its plan.json carries simcare's mark (a sweep of simcare 0.2 or later)."""

    def files(self) -> list[str]:
        """Every file this sweep may write into its folder (what its plan.json lists)."""
        points = [_point_name(point) for point in range(len(self.plan.points))]
        return [
            "scenario.toml",
            PLAN,
            *(f"scenarios/{name}.toml" for name in points),
            *(f"parts/{name}{end}" for name in points for end in (".csv", ".error.txt")),
            "points.csv",
            "replications.csv",
            "summary.csv",
            MANIFEST,
        ]

    @classmethod
    def create(cls, folder: Path, plan: SweepPlan, force: bool) -> SweepFolder:
        """Start a new sweep's folder (refusing a non-empty one unless ``force``).

        The plan is written last: a folder without one cannot be resumed, and is started again
        (until then, the claim of the files being written lets ``--force`` replace them).
        """
        created = cls(folder, plan)
        prepare_folder(folder, force, SWEEP_FILES)
        try:
            for name in ("parts", "scenarios"):
                if os.path.lexists(folder / name):  # someone else's: never removed
                    raise OutputError(
                        f"{folder / name}: holds files that are not simcare's; move them away, "
                        "or choose another --out"
                    )
            with claimed(folder, created.files()):  # only names absent (or simcare's) now
                try:
                    (folder / "parts").mkdir()
                    (folder / "scenarios").mkdir()
                except OSError as error:
                    where = Path(error.filename or folder)
                    raise write_error(where, error, "cannot prepare") from None
                base = scenario_from_dict(plan.base, plan.name)
                write_atomic(folder / "scenario.toml", dump_scenario(base))
                for point in range(len(plan.points)):
                    write_atomic(created.scenario_path(point), dump_scenario(plan.scenario(point)))
                plan_json = marked(plan.to_json(), created.files())
                write_atomic(folder / PLAN, json.dumps(plan_json, indent=2))
        except OutputError as error:
            raise OutputError(
                f"{error}. The sweep had not started: once this is fixed, run the same command "
                "again with --force"
            ) from None
        return created

    @classmethod
    def open(cls, folder: Path) -> SweepFolder:
        """Open an existing sweep's folder to resume or reproduce it.

        Its plan.json is a file like any other: it is checked (`check_plan`) before anything
        is planned or run from it.

        Raises:
            OutputError: no plan, or a plan that cannot be read or is not one simcare writes
                (naming plan.json, the key and what was expected).
        """
        path = folder / PLAN
        try:
            data = read_record(path, "a sweep's plan")
            check_plan(path, data)
            plan = SweepPlan.from_json(data)
        except FileNotFoundError:
            raise OutputError(
                f"{folder}: no {PLAN}; not a sweep's output folder (give the folder that "
                "sweep --out wrote)"
            ) from None
        except ReadError as error:
            raise OutputError(f"{error} (cannot read the sweep's plan)") from None
        except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError) as error:
            raise OutputError(f"{path}: cannot read the sweep's plan: {error}") from None
        return cls(folder, plan, marked=is_marked(data))

    def scenario_path(self, point: int) -> Path:
        """Where a point's resolved scenario is."""
        return self.folder / "scenarios" / f"{_point_name(point)}.toml"

    def finished_points(self) -> list[int]:
        """The points whose results are on disk."""
        return [
            point
            for point in range(len(self.plan.points))
            if (self.folder / "parts" / f"{_point_name(point)}.csv").is_file()
        ]

    def begin_resume(self) -> None:
        """Mark the folder unfinished again while the remaining points run.

        Also removes the temporary files a killed sweep left behind (never a finished file).
        The finished points' parts are read first: one edited or broken by hand is named now,
        not after the remaining points have run.

        Raises:
            OutputError: the plan has no mark of simcare's (nothing here is proven its own), a
                finished point's part cannot be read, or the folder cannot be written.
        """
        if not self.marked:
            raise OutputError(
                f"{self.folder / PLAN}: has no mark of simcare's (another program's, or a sweep "
                "of simcare before version 0.2); --resume writes only into a sweep folder "
                "simcare marked as its own: run the sweep again into a new folder"
            )
        own_folder(self.folder / "parts")  # made again if removed; never a link elsewhere
        for point in self.finished_points():
            self._read_point(point)
        try:
            check_writable(self.folder)
            (self.folder / MANIFEST).unlink(missing_ok=True)
            for stale in (self.folder / "parts").glob(".*.partial"):
                stale.unlink(missing_ok=True)
        except OSError as error:
            raise write_error(Path(error.filename or self.folder), error, "cannot resume") from None

    def write_point(self, run: PointRun) -> None:
        """Record a finished point (its replications) or a failed one (its error).

        Raises:
            OutputError: the point cannot be written (the message says how to resume).
        """
        parts = self.folder / "parts"
        name = _point_name(run.point)
        try:
            if run.error is not None:
                write_atomic(parts / f"{name}.error.txt", run.error + "\n")
                return
            rows = [
                row
                for policy, per_replication in run.values.items()
                for row in replication_rows(per_replication, policy=policy)
            ]
            write_atomic(parts / f"{name}.csv", to_csv(rows, PART_COLUMNS))
            try:
                (parts / f"{name}.error.txt").unlink(missing_ok=True)
            except OSError as error:
                raise write_error(parts / f"{name}.error.txt", error, "cannot remove") from None
        except OutputError as error:
            raise self._resumable(error) from None

    def _resumable(self, error: OutputError) -> OutputError:
        """A write error, with how to finish the sweep once it is fixed."""
        return OutputError(
            f"{error}. Finished points are kept: once this is fixed, finish the sweep with "
            f"simcare sweep --resume {self.folder}"
        )

    def _read_point(self, point: int) -> dict[str, list[Outcomes]]:
        """A finished point's replications, read back from its part (OutputError if bad)."""
        path = self.folder / "parts" / f"{_point_name(point)}.csv"
        try:
            _, rows = read_csv(path, PART_COLUMNS)
            values = _part_values(rows, self.plan.policies)
        except (ReadError, TableError) as error:
            where = "" if str(error).startswith(str(path)) else f"{path}: "
            raise OutputError(
                f"{where}{error}; not a point's results as simcare writes them (remove the "
                "file to run the point again)"
            ) from None
        return values

    def _error(self, point: int) -> str | None:
        path = self.folder / "parts" / f"{_point_name(point)}.error.txt"
        try:
            return read_text(path, MAX_NOTE_BYTES, "a failed point's error").strip()
        except FileNotFoundError:
            return None
        except ReadError as error:
            raise OutputError(str(error)) from None

    def finish(self, provenance: Provenance) -> SweepTally:
        """Write points.csv, replications.csv and summary.csv from the parts, then the manifest.

        Raises:
            OutputError: a file cannot be written (the message says how to resume).
        """
        try:
            return self._finish(provenance)
        except OutputError as error:
            raise self._resumable(error) from None

    def _finish(self, provenance: Provenance) -> SweepTally:
        plan = self.plan
        keys = plan.keys
        finished = set(self.finished_points())
        failed = [p for p in range(len(plan.points)) if p not in finished]
        point_rows = []
        summary_rows: list[dict[str, Any]] = []
        baseline = plan.baseline_point
        base_values = self._read_point(baseline) if baseline in finished else None
        columns = ("point", *keys, "policy", "replication", "outcome", "scope", "value")
        with atomic_text(self.folder / "replications.csv") as handle:
            writer = CsvWriter(handle, columns)
            for point, settings in enumerate(plan.points):
                where = {"point": point, **{k: format_value(settings[k]) for k in keys}}
                if point not in finished:
                    error = self._error(point) or "not run"
                    last = error.splitlines()[-1]
                    point_rows.append({**where, "status": "failed", "error": last})
                    continue
                values = self._read_point(point)
                count = min(len(runs) for runs in values.values())
                point_rows.append({**where, "status": "done", "replications": count})
                for policy, runs in values.items():
                    writer.rows(replication_rows(runs, **where, policy=policy))
                    rows = [
                        {**where, "policy": policy, **row}
                        for row in summary_records(summarise(runs))
                    ]
                    if baseline is not None:
                        _add_differences(rows, point, baseline, runs, base_values, policy)
                    summary_rows.extend(rows)
        point_columns = ("point", *keys, "status", "replications", "error")
        summary_columns: tuple[str, ...] = ("point", *keys, "policy", *SUMMARY_COLUMNS)
        if baseline is not None:
            summary_columns += SWEEP_DIFFERENCE_COLUMNS
        manifest = provenance.manifest(
            "sweep",
            scenario=plan.name,
            seed=plan.seed,
            policies=list(plan.policies),
            replications=plan.replications,
            design=plan.design,
            settings=list(plan.settings),
            points=len(plan.points),
            failed_points=failed,
            baseline_point=plan.baseline_point,
        )
        files = {
            "points.csv": to_csv(point_rows, point_columns),
            "summary.csv": to_csv(summary_rows, summary_columns),
        }
        written = [name for name in self.files() if (self.folder / name).is_file()]
        write_files(self.folder, files, manifest, listed=written)
        return SweepTally(len(plan.points), len(finished), failed)


def _add_differences(
    rows: list[dict[str, Any]],
    point: int,
    baseline: int,
    runs: list[Outcomes],
    base_values: dict[str, list[Outcomes]] | None,
    policy: str,
) -> None:
    """Add each summary row's paired difference from the baseline point (same policy).

    Empty at the baseline point itself, and everywhere when the baseline point failed.
    """
    found = (
        point_differences(point, baseline, runs, base_values[policy])
        if base_values is not None and point != baseline
        else {}
    )
    for row in rows:
        diff = found.get((row["outcome"], row["scope"]))
        record = difference_record(baseline, diff)
        row.update({k: none_if_nan(v) if isinstance(v, float) else v for k, v in record.items()})
