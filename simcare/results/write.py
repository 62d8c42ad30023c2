"""Result files: a run's and a comparison's, with a manifest of how they were made.

The folder itself (atomic files, ownership, ``--force``) is `simcare.results.folders`; its
names are offered here too, where the writers of results have always found them.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from simcare import __version__
from simcare.experiments.compare import Comparison
from simcare.experiments.replicate import RunResult
from simcare.metrics import Outcomes
from simcare.model.records import RunRecord
from simcare.results.folders import (
    CHART_LIST,
    CLAIM,
    COMPARE_FILES,
    FORMAT,
    MANIFEST,
    PLAN,
    RESULT_FILES,
    RUN_FILES,
    SWEEP_FILES,
    TOOL,
    OutputError,
    atomic_bytes,
    atomic_text,
    check_folder,
    check_writable,
    claimed,
    clear_results,
    is_marked,
    marked,
    own_folder,
    owned_files,
    prepare_folder,
    record_files,
    run_files,
    write_atomic,
    write_error,
)
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

__all__ = [
    "CHART_FORMATS",
    "CHART_LIST",
    "CLAIM",
    "COMPARE_FILES",
    "EVENT_COLUMNS",
    "FORMAT",
    "MANIFEST",
    "PLAN",
    "REPLICATION_COLUMNS",
    "RESULT_FILES",
    "RUN_FILES",
    "SUMMARY_FILES",
    "SWEEP_FILES",
    "TOOL",
    "OutputError",
    "Provenance",
    "atomic_bytes",
    "atomic_text",
    "check_folder",
    "check_writable",
    "claimed",
    "clear_results",
    "command_line",
    "event_rows",
    "is_marked",
    "marked",
    "now",
    "own_folder",
    "owned_files",
    "prepare_folder",
    "record_files",
    "replication_rows",
    "run_files",
    "series_rows",
    "versions",
    "write_atomic",
    "write_comparison",
    "write_error",
    "write_files",
    "write_run",
]

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
    prepare_folder(folder, force, run_files(events=result.records is not None))
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


def write_files(
    folder: Path,
    files: dict[str, str],
    manifest: dict[str, Any],
    listed: Iterable[str] = (),
) -> list[Path]:
    """Write files into a prepared folder, each atomically, the manifest last.

    A folder without a manifest holds unfinished work: an older manifest is removed first, so
    that a folder replaced with ``--force`` never looks finished while only half replaced. The
    manifest carries simcare's mark and lists ``files``, itself and ``listed`` (what else the
    result wrote there before).
    """
    written = []
    try:
        (folder / MANIFEST).unlink(missing_ok=True)
    except OSError as error:
        raise write_error(folder / MANIFEST, error, "cannot replace") from None
    text = json.dumps(marked(manifest, [*listed, *files, MANIFEST]), indent=2)
    for name, content in {**files, MANIFEST: text}.items():
        write_atomic(folder / name, content)
        written.append(folder / name)
    return written


def _write_result(folder: Path, files: dict[str, str], manifest: dict[str, Any]) -> list[Path]:
    """`write_files` under a claim, saying what a failure leaves and what to do about it."""
    try:
        with claimed(folder, [*files, MANIFEST]):
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
    prepare_folder(folder, force, COMPARE_FILES)
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
