"""Output folders: complete files or none, a manifest of how they were made, no overwriting.

Every file is written under a temporary name, flushed to disk and renamed when complete, so
a full disk, a refused write, Ctrl-C or a killed process never leaves a half-written file under
its final name; nothing is overwritten unless asked.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from simcare import __version__
from simcare.experiments.compare import Comparison
from simcare.experiments.replicate import RunResult
from simcare.metrics import Outcomes
from simcare.model.records import RunRecord
from simcare.results.rows import (
    COMPARISON_COLUMNS,
    SUMMARY_COLUMNS,
    comparison_json,
    comparison_records,
    none_if_nan,
    summary_records,
    to_csv,
)
from simcare.scenario_file import dump_scenario

MANIFEST = "manifest.json"
PLAN = "plan.json"
"""A sweep's plan, written when it starts (what `--resume` reads)."""
RESULT_FILES = (
    "summary.csv", "summary.json", "replications.csv", "timeseries.csv", "events.csv",
    "comparison.csv", "comparison.json", "points.csv", "scenario.toml", "report.html", PLAN,
)  # fmt: skip
"""What a run, a comparison, a sweep or a report writes into a result's folder, besides the
manifest, the charts in plots/ and a sweep's points in parts/ and scenarios/."""
CHART_LIST = ".simcare-charts"
"""In a result's plots/ folder: the charts simcare drew there, a name a line."""
_POINT_FILE = re.compile(r"\.?point-\d+\.[a-z.]+")
"""A sweep's file of one point in parts/ or scenarios/ (or its temporary)."""
CHART_FORMATS = ("png", "svg")
"""File formats of the charts (PNG for slides, SVG for the web); here rather than in `plots`, so
that the command line can offer them without importing matplotlib."""
SUMMARY_FILES = {"run": "summary.csv", "compare": "comparison.csv", "sweep": "summary.csv"}
"""Each kind of output folder's summary table (what `reproduce` checks and charts read)."""
REPLICATION_COLUMNS = ("replication", "outcome", "scope", "value")
EVENT_COLUMNS = (
    "replication", "contact", "journey", "attempt", "kind", "arrival_min", "channel",
    "segment", "severity", "followers", "outcome", "wait_min", "service_start_min",
    "service_end_min", "team", "agent", "result",
)  # fmt: skip


class OutputError(Exception):
    """An output folder cannot be used; the message says why and what to do."""


def write_error(path: Path, error: OSError, doing: str = "cannot write") -> OutputError:
    """An `OutputError` for a write that failed: the path, the reason and what to do about it."""
    message = f"{path}: {doing}: {error.strerror or error}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        message += "; the disk is full: free some space"
    elif isinstance(error, PermissionError) or error.errno == errno.EROFS:
        message += "; not writable: make it writable, or write somewhere else"
    return OutputError(message)


def check_writable(folder: Path) -> None:
    """Refuse a folder that cannot be written to, before long work rather than after it.

    A file is created there and removed; while the folder does not exist, in the nearest folder
    above it that does (where it would be made).
    """
    where = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
    probe = where / f".simcare-probe-{os.getpid()}.partial"
    try:
        with probe.open("x", encoding="utf-8"):
            pass
    except FileExistsError:
        pass  # a probe of this process left behind: the folder is writable
    except OSError as error:
        raise write_error(folder, error, "cannot write there") from None
    try:
        probe.unlink()
    except OSError as error:
        raise write_error(folder, error, "cannot remove files there") from None


def check_folder(folder: Path, force: bool) -> None:
    """Refuse a folder that is a file, not empty unless ``force``, or not writable.

    Call it before long work, so that it is refused before the work rather than after.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder; choose another --out")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise OutputError(
            f"{folder}: the folder is not empty; choose another --out, "
            "or add --force to replace simcare's files in it"
        )
    check_writable(folder)


def prepare_folder(folder: Path, force: bool) -> None:
    """Create the output folder, refusing to write into a non-empty one unless ``force``."""
    check_folder(folder, force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(folder, error, "cannot create the folder") from None


def clear_results(folder: Path) -> None:
    """Remove an earlier result from a folder a new one replaces (``--force``).

    Nothing of it is left beside the new result: no old events.csv, no charts of other numbers.
    Only what simcare wrote goes (its file names, the charts its list names, a sweep's point
    files), only from a folder an earlier result marked as simcare's (its manifest, or a
    sweep's plan), and a subfolder only once empty: someone else's files are never touched.
    """
    if not ((folder / MANIFEST).is_file() or (folder / PLAN).is_file()):
        return
    try:
        (folder / MANIFEST).unlink(missing_ok=True)  # first: never a finished look
        plots = folder / "plots"
        if (plots / CHART_LIST).is_file():
            charts = (plots / CHART_LIST).read_text(encoding="utf-8").splitlines()
            for name in [*charts, CHART_LIST]:
                if name and Path(name).name == name:  # a name, never a path
                    (plots / name).unlink(missing_ok=True)
            _remove_if_empty(plots)
        clear_points(folder)
        for name in RESULT_FILES:  # the plan last: until then, the folder is still marked
            (folder / name).unlink(missing_ok=True)
    except OSError as error:
        raise write_error(Path(error.filename or folder), error, "cannot replace") from None


def clear_points(folder: Path) -> None:
    """Remove a sweep's point files from parts/ and scenarios/, and each folder once empty."""
    for sub in (folder / "parts", folder / "scenarios"):
        if sub.is_dir():
            for path in sub.iterdir():
                if _POINT_FILE.fullmatch(path.name) and path.is_file():
                    path.unlink()
            _remove_if_empty(sub)


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """Open a file for writing that appears, complete, only when the block ends without error.

    The text goes to a hidden temporary file beside ``path``, which is flushed to the disk and
    renamed to ``path`` only when complete; on any error or interruption it is removed.

    Raises:
        OutputError: the file cannot be written (naming it, the reason and what to do).
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())  # on the disk before it has its name (a crash, power)
        partial.replace(path)
    except OSError as error:
        raise write_error(path, error) from None
    finally:
        with suppress(OSError):  # nothing to remove after the rename; never hide the error
            partial.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that it either appears complete or not at all."""
    with atomic_text(path) as handle:
        handle.write(text)


def versions() -> dict[str, str]:
    """Return the versions that decide the numbers: simcare, Python and the libraries."""
    found = {"simcare": __version__, "python": platform.python_version()}
    for package in ("simpy", "numpy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "unknown"
    return found


@dataclass(frozen=True, slots=True)
class Provenance:
    """How a result was made: enough to make it again."""

    command: list[str]
    started: datetime
    finished: datetime
    executor: str = "serial"

    def manifest(self, kind: str, **details: Any) -> dict[str, Any]:
        """Return the manifest written beside the results (``kind``: run, compare, sweep)."""
        return {
            "kind": kind,
            **details,
            "command": self.command,
            "versions": versions(),
            "platform": platform.platform(),
            "executor": self.executor,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": self.finished.isoformat(timespec="seconds"),
        }


def now() -> datetime:
    """The current time, in UTC (manifests compare across machines)."""
    return datetime.now(UTC)


def replication_rows(per_replication: list[Outcomes], **columns: Any) -> list[dict[str, Any]]:
    """Every replication's value of every outcome, one row each (tidy), after ``columns``."""
    return [
        {
            **columns,
            "replication": r,
            "outcome": outcome,
            "scope": scope,
            "value": none_if_nan(value),
        }
        for r, values in enumerate(per_replication)
        for (outcome, scope), value in values.items()
    ]


def series_rows(result: RunResult) -> list[dict[str, Any]]:
    """Every replication's hourly series, one row per hour, series and scope (tidy)."""
    rows: list[dict[str, Any]] = []
    for r, series in enumerate(result.series):
        hours = series.hour_start_min.tolist()
        for (name, scope), values in series.values.items():
            rows.extend(
                {"replication": r, "hour_start_min": h, "series": name, "scope": scope, "value": v}
                for h, v in zip(hours, values.tolist(), strict=True)
            )
    return rows


def event_rows(replication: int, record: RunRecord) -> list[dict[str, Any]]:
    """The per-contact event log of one replication (only written when asked for)."""
    outcome = np.where(record.answered, "answered", np.where(record.abandoned, "abandoned", "open"))
    team = record.team
    end = record.service_end_min
    kinds = ("complaint", "repost", "follow_up")
    results = ("resolved", "updated", "intruded", "unresolved", "deleted", "follow_up")
    columns = {
        "journey": record.journey.tolist(),
        "attempt": record.attempt.tolist(),
        "kind": [kinds[k] for k in record.kind.tolist()],
        "arrival_min": record.arrival_min.tolist(),
        "channel": [record.channel_names[c] for c in record.channel.tolist()],
        "segment": [record.segment_names[s] for s in record.segment.tolist()],
        "severity": [record.severity_names[s] for s in record.severity.tolist()],
        "followers": record.followers.tolist(),
        "outcome": outcome.tolist(),
        "wait_min": record.wait_min.tolist(),
        "service_start_min": [none_if_nan(v) for v in record.service_start_min.tolist()],
        "service_end_min": [none_if_nan(v) for v in end.tolist()],
        "team": [record.team_names[t] if t >= 0 else None for t in team.tolist()],
        "agent": [a if a >= 0 else None for a in record.agent.tolist()],
        "result": [results[r] if r >= 0 else None for r in record.result.tolist()],
    }
    return [
        {"replication": replication, "contact": i, **{k: v[i] for k, v in columns.items()}}
        for i in range(len(record))
    ]


def write_run(result: RunResult, folder: Path, provenance: Provenance, force: bool) -> list[Path]:
    """Write a run's summary, per-replication values, series, scenario and manifest.

    The manifest is written last: a folder without one holds an unfinished run.
    """
    prepare_folder(folder, force)
    clear_results(folder)
    summary = summary_records(result.summary)
    files: dict[str, str] = {
        "summary.csv": to_csv(summary, SUMMARY_COLUMNS),
        "summary.json": json.dumps(
            {
                "scenario": result.scenario.name,
                "policy": result.policy,
                "seed": result.seed,
                "replications": result.replications,
                "outcomes": summary,
            },
            indent=2,
        ),
        "replications.csv": to_csv(replication_rows(result.per_replication), REPLICATION_COLUMNS),
        "timeseries.csv": to_csv(
            series_rows(result), ("replication", "hour_start_min", "series", "scope", "value")
        ),
        "scenario.toml": dump_scenario(result.scenario),
    }
    if result.records is not None:
        rows = [row for r, record in enumerate(result.records) for row in event_rows(r, record)]
        files["events.csv"] = to_csv(rows, EVENT_COLUMNS)
    manifest = provenance.manifest(
        "run",
        scenario=result.scenario.name,
        seed=result.seed,
        policy=result.policy,
        replications=result.replications,
    )
    return _write_result(folder, files, manifest)


def write_files(folder: Path, files: dict[str, str], manifest: dict[str, Any]) -> list[Path]:
    """Write files into a prepared folder, each atomically, the manifest last.

    A folder without a manifest holds unfinished work: an older manifest is removed first, so
    that a folder replaced with ``--force`` never looks finished while only half replaced.
    """
    written = []
    try:
        (folder / MANIFEST).unlink(missing_ok=True)
    except OSError as error:
        raise write_error(folder / MANIFEST, error, "cannot replace") from None
    for name, text in {**files, MANIFEST: json.dumps(manifest, indent=2)}.items():
        write_atomic(folder / name, text)
        written.append(folder / name)
    return written


def _write_result(folder: Path, files: dict[str, str], manifest: dict[str, Any]) -> list[Path]:
    """`write_files`, saying what a failure leaves and what to do about it."""
    try:
        return write_files(folder, files, manifest)
    except OutputError as error:
        raise OutputError(
            f"{error}. The files already written are complete, but {folder} has no {MANIFEST}"
            " and is unfinished: once this is fixed, run the command again with --force"
        ) from None


def command_line() -> list[str]:
    """The command as typed, with the program name shortened to ``simcare``."""
    return ["simcare", *sys.argv[1:]]


def write_comparison(
    comparison: Comparison,
    verdict_texts: Sequence[str],
    folder: Path,
    provenance: Provenance,
    force: bool,
) -> list[Path]:
    """Write a comparison: every policy's summary and difference, verdicts, replications."""
    prepare_folder(folder, force)
    clear_results(folder)
    rows = [
        row
        for policy in comparison.policies
        for row in replication_rows(comparison.per_replication[policy], policy=policy)
    ]
    files = {
        "comparison.csv": to_csv(comparison_records(comparison), COMPARISON_COLUMNS),
        "comparison.json": json.dumps(comparison_json(comparison, verdict_texts), indent=2),
        "replications.csv": to_csv(rows, ("policy", *REPLICATION_COLUMNS)),
        "scenario.toml": dump_scenario(comparison.scenario),
    }
    manifest = provenance.manifest(
        "compare",
        scenario=comparison.scenario.name,
        seed=comparison.seed,
        policies=list(comparison.policies),
        baseline=comparison.baseline,
        replications=comparison.replications,
    )
    return _write_result(folder, files, manifest)
