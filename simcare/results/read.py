"""Result folders read back: the manifest, the summary table, the hourly series and the case.

The one reader of what `simcare.results.write` writes, for charts and reports: every file is
checked as it is read, and a folder that cannot be used raises `ReadError` naming the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from simcare.core.errors import ScenarioError, shown, unsafe_character
from simcare.core.units import parse_duration
from simcare.metrics import OUTCOMES
from simcare.results.case import Case, read_case, scenario_data
from simcare.results.records import (
    MANIFEST_FIELDS,
    MAX_RECORD_BYTES,
    ReadError,
    check_fields,
    is_regular,
    read_csv,
    read_record,
)
from simcare.results.write import MANIFEST, SUMMARY_FILES

__all__ = [
    "SCENARIO_FILE",
    "TIMESERIES",
    "Case",
    "Failed",
    "ReadError",
    "Results",
    "Row",
    "Series",
    "read_case",
    "read_results",
    "read_timeseries",
    "read_verdicts",
]

TIMESERIES = "timeseries.csv"
SCENARIO_FILE = "scenario.toml"

_SUMMARY_COLUMNS = ("outcome", "scope", "unit", "mean", "ci_low", "ci_high")
_COMPARE_COLUMNS = (
    "policy",
    *_SUMMARY_COLUMNS,
    "baseline",
    "difference",
    "difference_low",
    "difference_high",
    "call",
)
_SWEEP_COLUMNS = ("point", "policy", *_SUMMARY_COLUMNS)
_REQUIRED = {"run": _SUMMARY_COLUMNS, "compare": _COMPARE_COLUMNS, "sweep": _SWEEP_COLUMNS}
_SERIES_COLUMNS = ("replication", "hour_start_min", "series", "scope", "value")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a summary: an outcome's mean and 95% CI in one scope.

    Attributes:
        point: the sweep point (None outside a sweep).
        settings: the point's value of each swept key, as written in the CSV.
        policy: the policy (a run's own policy in a run folder).
        difference: compare only: mean of policy − baseline, paired (NaN for the baseline).
        difference_low: lower end of the difference's 95% CI.
        difference_high: upper end of the difference's 95% CI.
        call: compare only: better, worse, too close to call or undefined ("" for the baseline).
    """

    point: int | None
    settings: tuple[str, ...]
    policy: str
    outcome: str
    scope: str
    label: str
    unit: str
    mean: float
    low: float
    high: float
    difference: float = math.nan
    difference_low: float = math.nan
    difference_high: float = math.nan
    call: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """A run's hourly series.

    Attributes:
        hour_start_min: start of each hour, in minutes from time 0.
        values: per (series, scope), a replications × hours array (NaN where missing).
    """

    hour_start_min: np.ndarray
    values: dict[tuple[str, str], np.ndarray]


@dataclass(frozen=True, slots=True)
class Failed:
    """A sweep's point that failed: its number, settings (as in the CSV) and error's last line."""

    point: int
    settings: tuple[str, ...]
    error: str


@dataclass(frozen=True)
class Results:
    """A simcare output folder, read: what it is and its summary rows.

    Attributes:
        folder: where it was read from.
        kind: run, compare or sweep.
        title: the scenario's title (or name).
        currency: the scenario's currency symbol, for money.
        policies: in the order the folder gives them (a compare's baseline first).
        baseline: a compare's baseline (None otherwise).
        replications: replications per policy (and per point).
        keys: a sweep's swept keys, in order (empty otherwise).
        rows: the summary table.
        warmup_min: the scenario's warm-up (NaN when unknown).
        manifest: the folder's manifest.json (how the numbers were made).
        series: a run's hourly series (None when the folder has none).
        failed: a sweep's points that failed, with their settings and error (points.csv).
        planned: a sweep's points, finished or not (0 otherwise).
    """

    folder: Path
    kind: str
    title: str
    currency: str
    policies: tuple[str, ...]
    baseline: str | None
    replications: int
    keys: tuple[str, ...]
    rows: tuple[Row, ...]
    warmup_min: float = math.nan
    manifest: dict[str, Any] = field(default_factory=dict)
    series: Series | None = None
    failed: tuple[Failed, ...] = ()
    planned: int = 0

    @property
    def headline(self) -> str:
        """The title's first part ("Loyal fan, deleted post"), for chart titles.

        A sweep with failed points says so ("Loyal fan (7 of 8 points failed)"): its charts
        show only the finished points, and must not look complete.
        """
        head = self.title.partition(": ")[0]
        if self.failed:
            head += f" ({len(self.failed)} of {self.planned} points failed)"
        return head

    @property
    def table(self) -> Path:
        """The CSV file the rows were read from."""
        return self.folder / SUMMARY_FILES[self.kind]

    @cached_property
    def _index(self) -> dict[tuple[int | None, str, str, str], Row]:
        return {(r.point, r.policy, r.outcome, r.scope): r for r in self.rows}

    def row(self, policy: str, outcome: str, scope: str = "all", point: int | None = None) -> Row:
        """Return one row, or a row of NaNs when the folder has none."""
        found = self._index.get((point, policy, outcome, scope))
        if found is not None:
            return found
        spec = OUTCOMES.get(outcome)
        unit = spec.unit.value if spec else "count"
        label = spec.label if spec else outcome
        nan = math.nan
        return Row(point, (), policy, outcome, scope, label, unit, nan, nan, nan)

    def has(self, outcome: str, scope: str = "all") -> bool:
        """Whether any row holds ``outcome`` in ``scope``."""
        return any(r.outcome == outcome and r.scope == scope for r in self.rows)

    def scopes(self, outcome: str, prefix: str) -> list[str]:
        """The scopes of ``outcome`` that start with ``prefix``, in the table's order."""
        found = (r.scope for r in self.rows if r.outcome == outcome and r.scope.startswith(prefix))
        return list(dict.fromkeys(found))

    def points(self) -> list[tuple[int, tuple[str, ...]]]:
        """A sweep's finished points and their settings, by point number."""
        found = {r.point: r.settings for r in self.rows if r.point is not None}
        return sorted((p, s) for p, s in found.items() if p is not None)

    def label(self, outcome: str) -> str:
        """The outcome's full label."""
        spec = OUTCOMES.get(outcome)
        if spec is not None:
            return spec.label
        return next((r.label for r in self.rows if r.outcome == outcome and r.label), outcome)

    def unit(self, outcome: str) -> str:
        """The outcome's unit (share, minutes, count, hours or money)."""
        found = next((r.unit for r in self.rows if r.outcome == outcome and r.unit), None)
        if found is not None:
            return found
        spec = OUTCOMES.get(outcome)
        return spec.unit.value if spec else "count"


# --- the files ---

_MAKE_ONE = "(run, compare or sweep with --out)"


def read_manifest(
    folder: Path, missing: str = "(run, compare or sweep with --out)"
) -> dict[str, Any]:
    """A result folder's manifest (written last, so a folder without one is unfinished).

    Args:
        folder: the result folder.
        missing: how to make one, said when the manifest is missing.

    Raises:
        ReadError: no such folder, no manifest, or a manifest that is not a JSON object.
    """
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ReadError(f"{folder}: no such folder")
    try:
        manifest = read_record(path, "a simcare manifest")
    except FileNotFoundError:
        raise ReadError(
            f"{path}: missing; {folder} is not a finished simcare output folder {missing}"
        ) from None
    check_fields(path, manifest, MANIFEST_FIELDS)
    return manifest


def _number(text: str | None, path: Path, line: int, column: str) -> float:
    if text is None or not text.strip():
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise ReadError(f"{path}: line {line}: {column} {text!r} is not a number") from None


def _scenario(folder: Path) -> tuple[str, str, float]:
    """Return the title, currency and warm-up (minutes) of the folder's scenario.toml."""
    try:
        data = scenario_data(folder / SCENARIO_FILE)
    except ScenarioError as error:
        raise ReadError(str(error)) from None
    if data is None:
        return "", "$", math.nan
    title = data.get("title") or data.get("name") or ""
    currency = data.get("currency") or "$"
    run = data.get("run")
    warmup = math.nan
    if isinstance(run, dict) and isinstance(run.get("warmup"), str):
        try:
            warmup = parse_duration(run["warmup"])
        except ValueError:
            warmup = math.nan
    return str(title), str(currency), warmup


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _sweep_keys(folder: Path, header: list[str], manifest: dict[str, Any]) -> tuple[str, ...]:
    """The swept keys: from plan.json (or the manifest), else the summary's columns."""
    settings: list[str] | None = None
    plan = folder / "plan.json"
    if is_regular(plan):  # a folder or a named pipe there: the manifest says the same
        try:
            settings = _strings(read_record(plan, "a sweep's plan").get("settings"))
        except ReadError:
            settings = None
    if settings is None:
        settings = _strings(manifest.get("settings"))
    if settings is not None:
        keys = tuple(text.partition("=")[0].strip() for text in settings)
        missing = [key for key in keys if key not in header]
        if missing:
            raise ReadError(
                f"{folder / 'summary.csv'}: missing column(s) of the swept key(s) "
                f"{', '.join(missing)}"
            )
        return keys
    return tuple(header[header.index("point") + 1 : header.index("policy")])


def _failed(folder: Path, keys: tuple[str, ...], manifest: dict[str, Any]) -> tuple[Failed, ...]:
    """A sweep's failed points: from points.csv, else the manifest's list of their numbers."""
    path = folder / "points.csv"
    if not path.is_file():
        listed = manifest.get("failed_points")
        numbers = listed if isinstance(listed, list) else []
        return tuple(Failed(p, (), "") for p in numbers if isinstance(p, int))
    _, table = read_csv(path, ("point", "status"))
    found = []
    for line, raw in enumerate(table, start=2):
        if raw["status"] == "failed":
            point = _number(raw["point"], path, line, "point")
            settings = tuple(raw.get(key) or "" for key in keys)
            number = int(point) if math.isfinite(point) else -1
            found.append(Failed(number, settings, raw.get("error") or ""))
    return tuple(found)


# --- the summary ---


def _rows(
    path: Path, table: list[dict[str, str]], kind: str, keys: tuple[str, ...], own_policy: str
) -> list[Row]:
    """The summary table's lines as rows (a run's rows under its own policy)."""
    rows: list[Row] = []
    for line, raw in enumerate(table, start=2):

        def number(column: str, raw: dict[str, str] = raw, line: int = line) -> float:
            return _number(raw.get(column), path, line, column)

        for column, text in raw.items():
            # Drawn in charts and pages and printed in warnings: a hand edit may not smuggle
            # an escape sequence in (the attack retitled a terminal through a policy name).
            held = unsafe_character(text) if isinstance(text, str) else None
            if held is not None:
                raise ReadError(f"{path}: line {line}: {shown(column)} holds {held}")
        point: int | None = None
        if kind == "sweep":
            try:
                point = int(raw["point"])
            except (TypeError, ValueError):
                raise ReadError(
                    f"{path}: line {line}: point {raw['point']!r} is not a number"
                ) from None
        rows.append(
            Row(
                point=point,
                settings=tuple(raw.get(key) or "" for key in keys),
                policy=raw["policy"] if kind != "run" else own_policy,
                outcome=raw["outcome"],
                scope=raw["scope"],
                label=raw.get("label") or "",
                unit=raw["unit"],
                mean=number("mean"),
                low=number("ci_low"),
                high=number("ci_high"),
                difference=number("difference"),
                difference_low=number("difference_low"),
                difference_high=number("difference_high"),
                call=raw.get("call") or "",
            )
        )
    return rows


def _replications(manifest: dict[str, Any], path: Path, table: list[dict[str, str]]) -> int:
    """Replications per policy: the manifest's, else the largest n of the table."""
    replications = manifest.get("replications")
    if not isinstance(replications, int):
        counts = [_number(raw.get("n"), path, 0, "n") for raw in table]
        replications = int(max((c for c in counts if not math.isnan(c)), default=0))
    return replications


def read_results(folder: Path) -> Results:
    """Read a run, compare or sweep output folder (a run's hourly series too, if it has them).

    Raises:
        ReadError: the folder has no manifest, an unknown kind, or a missing or incomplete
            summary table (or hourly series).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest.get("kind", "run")
    if kind not in SUMMARY_FILES:
        raise ReadError(
            f"{folder / MANIFEST}: unknown kind {kind!r}; simcare draws run, compare and sweep "
            "folders"
        )
    path = folder / SUMMARY_FILES[kind]
    header, table = read_csv(path, _REQUIRED[kind])
    title, currency, warmup = _scenario(folder)
    keys = _sweep_keys(folder, header, manifest) if kind == "sweep" else ()
    rows = _rows(path, table, kind, keys, str(manifest.get("policy") or "run"))
    seen = list(dict.fromkeys(r.policy for r in rows))
    listed = _strings(manifest.get("policies")) or []
    baseline: str | None = None
    if kind == "compare":
        named = manifest.get("baseline")
        first = next((raw.get("baseline") for raw in table if raw.get("baseline")), None)
        baseline = named if isinstance(named, str) else first
    replications = _replications(manifest, path, table)
    name = manifest.get("scenario")
    series = None
    if kind == "run" and (folder / TIMESERIES).is_file():
        series = read_timeseries(folder)
    failed = _failed(folder, keys, manifest) if kind == "sweep" else ()
    planned = manifest.get("points")
    if not isinstance(planned, int):
        planned = len({r.point for r in rows}) + len(failed) if kind == "sweep" else 0
    return Results(
        folder=folder,
        kind=kind,
        title=title or (name if isinstance(name, str) else folder.name),
        currency=currency,
        policies=tuple([p for p in listed if p in seen] + [p for p in seen if p not in listed]),
        baseline=baseline,
        replications=replications,
        keys=keys,
        rows=tuple(rows),
        warmup_min=warmup,
        manifest=manifest,
        series=series,
        failed=failed,
        planned=planned,
    )


def read_timeseries(folder: Path) -> Series:
    """Read a run folder's ``timeseries.csv``.

    Raises:
        ReadError: the file is missing, lacks a column or holds a value that is not a number.
    """
    path = Path(folder) / TIMESERIES
    _, table = read_csv(path, _SERIES_COLUMNS)
    parsed: list[tuple[int, float, tuple[str, str], float]] = []
    for line, raw in enumerate(table, start=2):
        replication = _number(raw["replication"], path, line, "replication")
        hour = _number(raw["hour_start_min"], path, line, "hour_start_min")
        if not (math.isfinite(replication) and math.isfinite(hour)):
            raise ReadError(f"{path}: line {line}: no replication or hour")
        value = _number(raw["value"], path, line, "value")
        parsed.append((int(replication), hour, (raw["series"], raw["scope"]), value))
    hours = sorted({hour for _, hour, _, _ in parsed})
    replications = sorted({r for r, _, _, _ in parsed})
    hour_at = {hour: i for i, hour in enumerate(hours)}
    row_of = {r: i for i, r in enumerate(replications)}
    values: dict[tuple[str, str], np.ndarray] = {}
    for replication, hour, key, value in parsed:
        if key not in values:
            values[key] = np.full((len(replications), len(hours)), math.nan)
        values[key][row_of[replication], hour_at[hour]] = value
    return Series(np.array(hours, dtype=float), values)


# --- the verdicts, for a report ---


def read_verdicts(folder: Path) -> list[str]:
    """The verdict sentences of a compare folder's ``comparison.json`` (none if unreadable).

    Raises:
        ReadError: it is a named pipe, a device or another special file, or too large.
    """
    path = folder / "comparison.json"
    try:
        data = read_record(path, "a comparison's comparison.json")
        return [str(v["text"]) for v in data["verdicts"]]
    except FileNotFoundError:
        return []
    except ReadError:
        if not is_regular(path) or path.stat().st_size > MAX_RECORD_BYTES:
            raise
        return []
    except (KeyError, TypeError):
        return []
