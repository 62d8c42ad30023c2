"""Charts of simcare's output folders, for slides (PNG) and the web (SVG).

`plot_folder` reads a run, compare or sweep folder (its manifest and plain CSV files), draws
every chart that fits it and writes each as ``plots/<name>.png`` and ``.svg``:

- compare: ``comparison`` (each policy's mean and 95% CI per key outcome, the baseline hatched),
  ``differences`` (each policy minus the baseline, paired, with its call), ``churn_by_cause``,
  ``escalation_flows``;
- run: ``churn_by_cause``, ``escalation_flows``, ``timeseries`` (queues, unanswered public
  posts, impressions so far, agents on duty and busy, hour by hour);
- sweep: ``sweep_<outcome>`` (one key: the outcome against the swept value, one line per
  policy), ``heatmap_<policy>`` (two keys: one outcome over the grid), ``tradeoff`` (staff cost
  against complainant churn, the best trade-offs marked).

Every chart function returns a `matplotlib.figure.Figure` built without pyplot, so nothing here
touches pyplot's global state; the style (fonts, the Okabe–Ito palette, SVG's fixed hash salt)
is applied under a lock with `matplotlib.rc_context`. The same folder gives byte-identical SVG
files. Nothing here prints.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import textwrap
import threading
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator
from matplotlib.typing import RcKeyType

from simcare.core.units import display_unit, parse_duration
from simcare.experiments.compare import KEY_OUTCOMES
from simcare.metrics import OUTCOMES, Better, Unit
from simcare.reports.comparison import SHORT_LABELS, difference_text, short_value
from simcare.results.write import (
    CHART_FORMATS,
    CHART_LIST,
    MANIFEST,
    SUMMARY_FILES,
    OutputError,
    write_atomic,
    write_error,
)

__all__ = [
    "FORMATS",
    "OKABE_ITO",
    "PlotError",
    "Results",
    "Row",
    "Series",
    "chart_svgs",
    "churn_chart",
    "comparison_chart",
    "difference_chart",
    "flow_chart",
    "heatmap_chart",
    "pareto_front",
    "plot_folder",
    "read_results",
    "read_timeseries",
    "save_figure",
    "svg_text",
    "sweep_chart",
    "timeseries_chart",
    "tradeoff_chart",
]

TIMESERIES = "timeseries.csv"
FORMATS = CHART_FORMATS
"""File formats `plot_folder` writes."""
DPI = 160
"""PNG resolution: a 12 × 6.75 in chart is 1920 × 1080 pixels, a full-HD slide."""
WIDTH_IN = 12.0
SLIDE_IN = (WIDTH_IN, 6.75)

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

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe & Ito's palette, distinguishable with every common colour-vision deficiency."""
_GREY = "#999999"
_LIGHT_GREY = "#DDDDDD"
_SERIES_COLOURS = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "reddish_purple",
        "sky_blue",
        "vermillion",
        "black",
        "yellow",
    )
)
"""Colours of policies, channels and causes, in order (yellow last: faint on white)."""
_HATCHES = ("", "..", "xx", "\\\\")
"""Past the eighth colour, hatches tell the repeats apart."""
_BASELINE_HATCH = "//"
_CALL_STYLE = {
    "better": (OKABE_ITO["blue"], "o", "better"),
    "worse": (OKABE_ITO["vermillion"], "s", "worse"),
    "too close to call": (_GREY, "o", "too close to call (95% CI includes 0)"),
    "undefined": (_LIGHT_GREY, "o", "undefined (too few pairs)"),
    "neutral": (OKABE_ITO["black"], "D", "difference (neither way is better)"),
}
"""A paired difference's call: colour, marker and legend text (colour and shape both tell).

"neutral" is an outcome with no better direction (its call is always "too close to call").
"""
HEATMAP_OUTCOME = "complainant_churn_rate"
"""The outcome of a two-key sweep's heatmaps unless others are asked for."""
CHURN_RATE = "complainant_churn_rate"

_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "simcare",
    "svg.fonttype": "path",
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 16,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "hatch.linewidth": 1.2,
    "errorbar.capsize": 4,
}
_LOCK = threading.RLock()
"""rcParams are global: charts are styled and saved one at a time across threads."""


class PlotError(Exception):
    """A folder cannot be drawn: not a simcare output folder, or a file or column is missing.

    ``str()`` names the folder or file and says what is wrong.
    """


@contextmanager
def _style() -> Iterator[None]:
    """Apply simcare's chart style while a chart is built or saved (one thread at a time)."""
    with _LOCK, mpl.rc_context(_STYLE):
        yield


# --- reading folders ---


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

    @property
    def headline(self) -> str:
        """The title's first part ("Loyal fan, deleted post"), for chart titles."""
        return self.title.partition(": ")[0]

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


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise PlotError(f"{folder}: no such folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlotError(
            f"{path}: missing; {folder} is not a finished simcare output folder "
            "(run, compare or sweep with --out)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise PlotError(f"{path}: cannot read: {error}") from None
    if not isinstance(manifest, dict):
        raise PlotError(f"{path}: not a simcare manifest (expected a JSON object)")
    return manifest


def _read_csv(path: Path, required: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Return a CSV file's header and rows, checking that it has the ``required`` columns."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            missing = [column for column in required if column not in header]
            if missing:
                raise PlotError(
                    f"{path}: missing column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)}; not a simcare results table"
                )
            rows = list(reader)
    except FileNotFoundError:
        raise PlotError(f"{path}: missing; the folder is not a complete simcare result") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise PlotError(f"{path}: cannot read: {error}") from None
    return header, rows


def _number(text: str | None, path: Path, line: int, column: str) -> float:
    if text is None or not text.strip():
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise PlotError(f"{path}: line {line}: {column} {text!r} is not a number") from None


def _scenario(folder: Path) -> tuple[str, str, float]:
    """Return the title, currency and warm-up (minutes) of the folder's scenario.toml."""
    path = folder / "scenario.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "", "$", math.nan
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PlotError(f"{path}: cannot read: {error}") from None
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
    try:
        plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        settings = _strings(plan.get("settings")) if isinstance(plan, dict) else None
    except (OSError, UnicodeDecodeError, ValueError):
        settings = None
    if settings is None:
        settings = _strings(manifest.get("settings"))
    if settings is not None:
        keys = tuple(text.partition("=")[0].strip() for text in settings)
        missing = [key for key in keys if key not in header]
        if missing:
            raise PlotError(
                f"{folder / 'summary.csv'}: missing column(s) of the swept key(s) "
                f"{', '.join(missing)}"
            )
        return keys
    return tuple(header[header.index("point") + 1 : header.index("policy")])


def read_results(folder: Path) -> Results:
    """Read a run, compare or sweep output folder.

    Raises:
        PlotError: the folder has no manifest, an unknown kind, or a missing or incomplete
            summary table.
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    kind = manifest.get("kind", "run")
    if kind not in SUMMARY_FILES:
        raise PlotError(
            f"{folder / MANIFEST}: unknown kind {kind!r}; simcare draws run, compare and sweep "
            "folders"
        )
    path = folder / SUMMARY_FILES[kind]
    header, table = _read_csv(path, _REQUIRED[kind])
    title, currency, warmup = _scenario(folder)
    keys = _sweep_keys(folder, header, manifest) if kind == "sweep" else ()
    own_policy = str(manifest.get("policy") or "run")
    rows: list[Row] = []
    for line, raw in enumerate(table, start=2):

        def number(column: str, raw: dict[str, str] = raw, line: int = line) -> float:
            return _number(raw.get(column), path, line, column)

        point: int | None = None
        if kind == "sweep":
            try:
                point = int(raw["point"])
            except (TypeError, ValueError):
                raise PlotError(
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
    seen = list(dict.fromkeys(r.policy for r in rows))
    listed = _strings(manifest.get("policies")) or []
    policies = tuple([p for p in listed if p in seen] + [p for p in seen if p not in listed])
    baseline: str | None = None
    if kind == "compare":
        named = manifest.get("baseline")
        first = next((raw.get("baseline") for raw in table if raw.get("baseline")), None)
        baseline = named if isinstance(named, str) else first
    replications = manifest.get("replications")
    if not isinstance(replications, int):
        counts = [_number(raw.get("n"), path, 0, "n") for raw in table]
        replications = int(max((c for c in counts if not math.isnan(c)), default=0))
    name = manifest.get("scenario")
    return Results(
        folder=folder,
        kind=kind,
        title=title or (name if isinstance(name, str) else folder.name),
        currency=currency,
        policies=policies,
        baseline=baseline,
        replications=replications,
        keys=keys,
        rows=tuple(rows),
        warmup_min=warmup,
        manifest=manifest,
    )


@dataclass(frozen=True, slots=True)
class Series:
    """A run's hourly series.

    Attributes:
        hour_start_min: start of each hour, in minutes from time 0.
        values: per (series, scope), a replications × hours array (NaN where missing).
    """

    hour_start_min: np.ndarray
    values: dict[tuple[str, str], np.ndarray]


def read_timeseries(folder: Path) -> Series:
    """Read a run folder's ``timeseries.csv``.

    Raises:
        PlotError: the file is missing, lacks a column or holds a value that is not a number.
    """
    path = Path(folder) / TIMESERIES
    _, table = _read_csv(path, _SERIES_COLUMNS)
    parsed: list[tuple[int, float, tuple[str, str], float]] = []
    for line, raw in enumerate(table, start=2):
        replication = _number(raw["replication"], path, line, "replication")
        hour = _number(raw["hour_start_min"], path, line, "hour_start_min")
        if not (math.isfinite(replication) and math.isfinite(hour)):
            raise PlotError(f"{path}: line {line}: no replication or hour")
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


# --- numbers on axes ---


def _plain(value: float, digits: int = 4) -> str:
    """A tick number without float noise or exponent: 0.3, 12, 2.25."""
    text = f"{round(value, 9):.{digits}g}"
    if "e" in text:
        text = f"{value:,.0f}"
    return "0" if text in ("-0", "0") else text


def _compact(value: float, prefix: str = "", signed: bool = False) -> str:
    """A number in k and M, with a prefix such as a currency: "$2.5M", "−$750k", "+12"."""
    size = abs(value)
    if size >= 999_500:
        body = f"{_plain(size / 1e6)}M"
    elif size >= 999.5:
        body = f"{_plain(size / 1e3)}k"
    else:
        body = _plain(size)
    if body == "0":
        return f"{prefix}0"
    sign = "−" if value < 0 else "+" if signed else ""
    return f"{sign}{prefix}{body}"


@dataclass(frozen=True, slots=True)
class _Scale:
    """How an outcome shows on an axis: values × ``factor``, ticks as ``text``."""

    factor: float
    suffix: str
    text: Callable[[float], str]

    def formatter(self) -> FuncFormatter:
        text = self.text
        return FuncFormatter(lambda value, _position: text(value))


def _signed(value: float, body: str) -> str:
    if body == "0":
        return body
    return f"{'−' if value < 0 else '+'}{body}"


def _scale(unit: str, currency: str, values: Iterable[float], difference: bool = False) -> _Scale:
    """Choose an axis' scale for numbers of ``unit`` (a difference's: signed, in points)."""
    if unit == "share":
        if difference:
            return _Scale(
                1.0, " (percentage points)", lambda v: _signed(v, _plain(abs(v) * 100, 3))
            )
        return _Scale(1.0, " (%)", lambda v: f"{_plain(v * 100, 3)}%")
    if unit == "money":
        return _Scale(1.0, f" ({currency})", lambda v: _compact(v, currency, difference))
    if unit == "minutes":
        finite = [abs(v) for v in values if math.isfinite(v)]
        name, size = display_unit(max(finite, default=1.0))
        factor = 60.0 if name == "s" else 1 / size
        if difference:
            return _Scale(factor, f" ({name})", lambda v: _signed(v, _plain(abs(v))))
        return _Scale(factor, f" ({name})", _plain)
    suffix = " (h)" if unit == "hours" else ""
    return _Scale(1.0, suffix, lambda v: _compact(v, "", difference))


def _direction(outcome: str) -> Better | None:
    spec = OUTCOMES.get(outcome)
    return spec.better if spec else None


def _short(results: Results, outcome: str) -> str:
    return SHORT_LABELS.get(outcome, results.label(outcome))


def _panel_title(results: Results, outcome: str) -> str:
    direction = _direction(outcome)
    if direction is None:
        return _short(results, outcome)
    return f"{_short(results, outcome)} — {direction.value} is better"


def _wrap(text: str, panels: int) -> str:
    """Break a panel's title or label into lines that fit its width."""
    _, columns = _shape(panels)
    return textwrap.fill(text, width=max(24, 92 // columns), break_long_words=False)


def _replications(results: Results) -> str:
    n = results.replications
    return f"{n} replication{'s' if n != 1 else ''}"


def _finish(ax: Axes) -> None:
    """Tick sizes fixed on the axes (ticks are made lazily, maybe outside the style)."""
    ax.tick_params(labelsize=_STYLE["xtick.labelsize"])


def _colour(index: int) -> tuple[str, str]:
    """The colour and hatch of the ``index``-th series."""
    colours = len(_SERIES_COLOURS)
    return _SERIES_COLOURS[index % colours], _HATCHES[(index // colours) % len(_HATCHES)]


def _policy_styles(results: Results) -> dict[str, tuple[str, str]]:
    """Each policy's colour and hatch: the baseline grey and hatched, the others in order."""
    styles: dict[str, tuple[str, str]] = {}
    others = 0
    for policy in results.policies:
        if policy == results.baseline:
            styles[policy] = (_GREY, _BASELINE_HATCH)
        else:
            styles[policy] = _colour(others)
            others += 1
    return styles


def _policy_label(results: Results, policy: str) -> str:
    return f"{policy} (baseline)" if policy == results.baseline else policy


def _shape(panels: int) -> tuple[int, int]:
    """Rows and columns for ``panels`` panels: one row up to 3, else two or three columns."""
    columns = panels if panels <= 3 else 2 if panels == 4 else 3
    return math.ceil(panels / columns), columns


def _grid(figure: Figure, panels: int, sharey: bool = False) -> list[Axes]:
    """Lay out ``panels`` axes (see `_shape`), hiding the cells left over."""
    rows, columns = _shape(panels)
    grid = figure.subplots(rows, columns, squeeze=False, sharey=sharey)
    axes: list[Axes] = list(grid.flat)
    for extra in axes[panels:]:
        extra.set_visible(False)
    return axes[:panels]


def _chosen(results: Results, outcomes: Sequence[str] | None) -> list[str]:
    """The outcomes to draw: those asked for (each must be in the table), else the key ones."""
    if outcomes is None:
        return [o for o in KEY_OUTCOMES if results.has(o)]
    missing = [o for o in outcomes if not results.has(o)]
    if missing:
        known = sorted({r.outcome for r in results.rows if r.scope == "all"})
        raise PlotError(
            f"{results.table}: no outcome {', '.join(map(repr, missing))} (scope all); "
            f"it has {', '.join(known)}"
        )
    return list(dict.fromkeys(outcomes))


def _spread(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths below and above the means (never negative; NaN draws none)."""
    return np.clip(np.vstack([mean - low, high - mean]), 0.0, None)


def _limits(
    ax: Axes, low: Iterable[float], high: Iterable[float], zero: bool = True, room: float = 0.0
) -> None:
    """Set x limits that show every interval (and 0), with a margin.

    With ``room``, each side of 0 takes at least that share of the width (for the labels of
    the sides).
    """
    ends = [v for v in (*low, *high) if math.isfinite(v)] + ([0.0] if zero else [])
    if not ends:
        return
    left, right = min(ends), max(ends)
    pad = (right - left) * 0.06 or max(abs(left), abs(right), 1.0) * 0.1
    left, right = left - pad, right + pad
    if room:
        width = right - left
        left, right = min(left, -room * width), max(right, room * width)
    ax.set_xlim(left, right)


def _sides(ax: Axes, direction: Better | None) -> None:
    """Write which side of 0 is better above a difference panel: "← better | worse →"."""
    if direction is None:
        return
    lower = (
        ("better", OKABE_ITO["blue"])
        if direction is Better.LOWER
        else ("worse", OKABE_ITO["vermillion"])
    )
    higher = (
        ("worse", OKABE_ITO["vermillion"])
        if direction is Better.LOWER
        else ("better", OKABE_ITO["blue"])
    )
    place = ax.get_xaxis_transform()
    ax.text(
        0,
        1.02,
        f"← {lower[0]} ",
        transform=place,
        ha="right",
        va="bottom",
        color=lower[1],
        fontsize=12,
        fontweight="bold",
    )
    ax.text(
        0,
        1.02,
        f" {higher[0]} →",
        transform=place,
        ha="left",
        va="bottom",
        color=higher[1],
        fontsize=12,
        fontweight="bold",
    )


# --- compare: levels and differences ---


def comparison_chart(results: Results, outcomes: Sequence[str] | None = None) -> Figure:
    """Each policy's mean and 95% CI in each key outcome, one panel per outcome.

    Policies are in the compare's order, top to bottom; the baseline is grey, hatched and
    labelled "(baseline)".

    Raises:
        PlotError: an outcome asked for is not in the folder, or there is nothing to draw.
    """
    chosen = _chosen(results, outcomes)
    if not chosen or not results.policies:
        raise PlotError(f"{results.table}: no key outcome to compare")
    policies = results.policies
    styles = _policy_styles(results)
    y = np.arange(len(policies), dtype=float)
    with _style():
        rows, _ = _shape(len(chosen))
        figure = Figure(
            figsize=(WIDTH_IN, max(SLIDE_IN[1], 1.0 + rows * (0.5 + 0.4 * len(policies)))),
            layout="constrained",
        )
        for ax, outcome in zip(_grid(figure, len(chosen), sharey=True), chosen, strict=True):
            found = [results.row(p, outcome) for p in policies]
            scale = _scale(results.unit(outcome), results.currency, [r.mean for r in found])
            mean = np.array([r.mean for r in found]) * scale.factor
            low = np.array([r.low for r in found]) * scale.factor
            high = np.array([r.high for r in found]) * scale.factor
            drawn = np.where(np.isnan(mean), 0.0, mean)
            ax.barh(
                y,
                drawn,
                height=0.68,
                color=[styles[p][0] for p in policies],
                hatch=[styles[p][1] for p in policies],
                edgecolor="white",
                linewidth=0.8,
            )
            defined = ~(np.isnan(low) | np.isnan(high) | np.isnan(mean))
            ax.errorbar(
                mean[defined],
                y[defined],
                xerr=_spread(mean[defined], low[defined], high[defined]),
                fmt="none",
                ecolor="black",
                elinewidth=1.6,
                capsize=5,
            )
            for i in np.flatnonzero(np.isnan(mean)):
                ax.text(0, y[i], "  no data", va="center", color=_GREY)
            _limits(ax, low[defined], high[defined])
            ax.axvline(0, color="black", linewidth=0.8)
            ax.xaxis.set_major_formatter(scale.formatter())
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.set_title(_wrap(_panel_title(results, outcome), len(chosen)))
            ax.set_xlabel(_wrap(f"{results.label(outcome)}{scale.suffix}", len(chosen)))
            ax.set_yticks(y, labels=[_policy_label(results, p) for p in policies])
            ax.set_ylim(len(policies) - 0.5, -0.5)
            ax.grid(axis="x", color=_LIGHT_GREY, linewidth=0.8)
            ax.set_axisbelow(True)
            _finish(ax)
        figure.suptitle(
            f"{results.headline} — {len(policies)} policies, {_replications(results)}, 95% CIs",
            fontweight="bold",
        )
    return figure


def difference_chart(results: Results, outcomes: Sequence[str] | None = None) -> Figure:
    """Each policy minus the baseline, paired replication by replication, with its 95% CI.

    Colour and marker say whether the policy is better, worse or too close to call; a zero line
    marks "same as the baseline", and each axis says which side is better.

    Raises:
        PlotError: no baseline, no other policy, or an outcome asked for is not in the folder.
    """
    chosen = _chosen(results, outcomes)
    others = [p for p in results.policies if p != results.baseline]
    if results.baseline is None or not others or not chosen:
        raise PlotError(f"{results.table}: no policy to compare with a baseline")
    y = np.arange(len(others), dtype=float)
    calls_seen: set[str] = set()
    with _style():
        rows, _ = _shape(len(chosen))
        figure = Figure(
            figsize=(WIDTH_IN, max(SLIDE_IN[1], 1.4 + rows * (0.8 + 0.4 * len(others)))),
            layout="constrained",
        )
        for ax, outcome in zip(_grid(figure, len(chosen), sharey=True), chosen, strict=True):
            found = [results.row(p, outcome) for p in others]
            unit = results.unit(outcome)
            scale = _scale(unit, results.currency, [r.difference for r in found], True)
            mid = np.array([r.difference for r in found]) * scale.factor
            low = np.array([r.difference_low for r in found]) * scale.factor
            high = np.array([r.difference_high for r in found]) * scale.factor
            ax.axvline(0, color="black", linewidth=1.2, zorder=1)
            for i, row in enumerate(found):
                if math.isnan(mid[i]):
                    ax.text(0, y[i], "  no data", va="center", color=_GREY)
                    continue
                call = row.call if row.call in _CALL_STYLE else "undefined"
                if _direction(outcome) is None and call != "undefined":
                    call = "neutral"
                calls_seen.add(call)
                colour, marker, _ = _CALL_STYLE[call]
                error = None
                if math.isfinite(low[i]) and math.isfinite(high[i]):
                    error = _spread(mid[i : i + 1], low[i : i + 1], high[i : i + 1])
                ax.errorbar(
                    [mid[i]],
                    [y[i]],
                    xerr=error,
                    fmt=marker,
                    color=colour,
                    markersize=10,
                    markerfacecolor="white"
                    if call in ("too close to call", "undefined")
                    else colour,
                    markeredgewidth=2,
                    elinewidth=2.2,
                    capsize=5,
                    zorder=3,
                )
            _limits(ax, np.concatenate([low, mid]), np.concatenate([high, mid]), room=0.25)
            ax.xaxis.set_major_formatter(scale.formatter())
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.set_title(_wrap(_short(results, outcome), len(chosen)), pad=24)
            ax.set_xlabel(f"policy − {results.baseline}{scale.suffix}")
            _sides(ax, _direction(outcome))
            ax.set_yticks(y, labels=others)
            ax.set_ylim(len(others) - 0.5, -0.5)
            ax.grid(axis="x", color=_LIGHT_GREY, linewidth=0.8)
            ax.set_axisbelow(True)
            _finish(ax)
        handles = [
            Line2D(
                [],
                [],
                color=_CALL_STYLE[call][0],
                marker=_CALL_STYLE[call][1],
                markersize=10,
                markeredgewidth=2,
                markerfacecolor="white" if call in ("too close to call", "undefined") else None,
                linestyle="",
                label=_CALL_STYLE[call][2],
            )
            for call in _CALL_STYLE
            if call in calls_seen or call in ("better", "worse", "too close to call")
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        figure.suptitle(
            f"{results.headline} — each policy against {results.baseline}, paired over "
            f"{_replications(results)} (95% CIs)",
            fontweight="bold",
        )
    return figure


# --- churn by cause and escalation flows (compare or run) ---


def churn_chart(results: Results) -> Figure:
    """Customers lost by cause, one stacked bar per policy (a run: one bar).

    Raises:
        PlotError: the folder has no churn by cause.
    """
    causes = results.scopes("churned", "cause:")
    policies = results.policies
    totals = {
        cause: sum(v for p in policies if math.isfinite(v := results.row(p, "churned", cause).mean))
        for cause in causes
    }
    shown = sorted((c for c in causes if totals[c] > 0), key=lambda c: (-totals[c], c))
    if not shown or not policies:
        raise PlotError(f"{results.table}: no customers lost by cause (outcome churned)")
    y = np.arange(len(policies), dtype=float)
    with _style():
        figure = Figure(
            figsize=(WIDTH_IN, max(4.0, 2.6 + 0.55 * len(policies))), layout="constrained"
        )
        ax = figure.subplots()
        left = np.zeros(len(policies))
        for i, cause in enumerate(shown):
            values = np.array([results.row(p, "churned", cause).mean for p in policies])
            values = np.where(np.isnan(values), 0.0, values)
            colour, hatch = _colour(i)
            ax.barh(
                y,
                values,
                left=left,
                height=0.66,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.8,
                label=cause.removeprefix("cause:").capitalize(),
            )
            left += values
        for i, total in enumerate(left):
            ax.text(total, y[i], f"  {total:,.0f}", va="center", fontsize=12)
        ax.set_xlim(0, max(left) * 1.12 if max(left) > 0 else 1)
        ax.set_yticks(y, labels=[_policy_label(results, p) for p in policies])
        ax.set_ylim(len(policies) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
        ax.set_xlabel("Customers lost (mean per replication)")
        ax.grid(axis="x", color=_LIGHT_GREY, linewidth=0.8)
        ax.set_axisbelow(True)
        _finish(ax)
        figure.legend(loc="outside lower center", ncols=min(4, len(shown)), title="Why they left")
        what = f"policy {policies[0]}" if len(policies) == 1 else f"{len(policies)} policies"
        figure.suptitle(
            f"{results.headline} — customers lost by cause, {what}, mean of "
            f"{_replications(results)}",
            fontweight="bold",
        )
    return figure


def _flow_label(scope: str) -> str:
    source, _, target = scope.removeprefix("flow:").partition("→")
    return f"{source} → {target}" if target else source


def flow_chart(results: Results) -> Figure:
    """Escalations from one channel to another, per route: one bar per policy with its 95% CI.

    A route a policy never takes has no row in the table and shows as zero.

    Raises:
        PlotError: the folder has no escalation flows.
    """
    flows = results.scopes("escalations", "flow:")
    policies = results.policies
    if not flows or not policies:
        raise PlotError(f"{results.table}: no escalation flows (outcome escalations)")
    styles = _policy_styles(results)
    band = 0.8
    height = band / len(policies)
    with _style():
        figure = Figure(
            figsize=(
                WIDTH_IN,
                min(9.0, max(4.0, 1.8 + len(flows) * (0.3 + 0.2 * len(policies)))),
            ),
            layout="constrained",
        )
        ax = figure.subplots()
        centres = np.arange(len(flows), dtype=float)
        for j, policy in enumerate(policies):
            found = [results.row(policy, "escalations", flow) for flow in flows]
            mean = np.array([0.0 if math.isnan(r.mean) else r.mean for r in found])
            low = np.array([r.low for r in found])
            high = np.array([r.high for r in found])
            y = centres - band / 2 + (j + 0.5) * height
            colour, hatch = styles[policy]
            ax.barh(
                y,
                mean,
                height=height * 0.92,
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.6,
                label=_policy_label(results, policy),
            )
            defined = ~(np.isnan(low) | np.isnan(high))
            if defined.any():
                ax.errorbar(
                    mean[defined],
                    y[defined],
                    xerr=_spread(mean[defined], low[defined], high[defined]),
                    fmt="none",
                    ecolor="black",
                    elinewidth=1.2,
                    capsize=3,
                )
            for k in np.flatnonzero(mean == 0):
                ax.text(0, y[k], " 0", va="center", fontsize=10, color="#555555")
        ax.set_yticks(centres, labels=[_flow_label(f) for f in flows])
        ax.set_ylim(len(flows) - 0.5, -0.5)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
        ax.set_xlabel("Escalations from one channel to the next (mean per replication)")
        ax.grid(axis="x", color=_LIGHT_GREY, linewidth=0.8)
        ax.set_axisbelow(True)
        _finish(ax)
        if len(policies) > 1:
            figure.legend(loc="outside lower center", ncols=min(3, len(policies)))
        what = f"policy {policies[0]}" if len(policies) == 1 else f"{len(policies)} policies"
        figure.suptitle(
            f"{results.headline} — escalations by route, {what}, {_replications(results)}, 95% CIs",
            fontweight="bold",
        )
    return figure


# --- run: time series ---


def _mean_and_range(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, minimum and maximum over replications (rows), ignoring NaN without warnings."""
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    mean = np.divide(total, count, out=np.full(total.shape, math.nan), where=count > 0)
    return mean, np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)


_IMPRESSION_LINES = (
    ("impressions_negative_cumulative", "negative", OKABE_ITO["vermillion"], "-"),
    ("impressions_positive_cumulative", "positive", OKABE_ITO["blue"], "--"),
)
"""The impressions panel's lines: series, label, colour and line style (both tell them apart)."""


def timeseries_chart(results: Results, series: Series) -> Figure:
    """A run hour by hour: queues, unanswered public posts, impressions so far, agents.

    Panels: waiting per channel; public posts in view with no good answer; impressions so far
    (cumulative negative and positive, two lines, never netted); agents per team.
    Lines are means over replications; bands run from the lowest to the highest replication.
    The warm-up (not measured) is shaded. A panel whose series the folder lacks (an older run
    has no impressions) is left out.

    Raises:
        PlotError: the series hold none of queue, unanswered_public_posts,
            impressions_*_cumulative, agents_*.
    """
    days = (series.hour_start_min + 30.0) / 1440.0
    channels = [(s, v) for (name, s), v in series.values.items() if name == "queue"]
    posts = series.values.get(("unanswered_public_posts", "all"))
    teams = list(
        dict.fromkeys(
            scope for (name, scope) in series.values if name in ("agents_on_duty", "agents_busy")
        )
    )
    panels: list[tuple[str, str, list[tuple[str, np.ndarray, str, str]]]] = []
    if channels:
        lines = [
            (scope.removeprefix("channel:"), values, _colour(i)[0], "-")
            for i, (scope, values) in enumerate(channels)
        ]
        panels.append(("Waiting per channel (queue or backlog)", "contacts waiting", lines))
    if posts is not None:
        lines = [("posts in view", posts, OKABE_ITO["vermillion"], "-")]
        panels.append(("Public posts in view with no good answer", "posts", lines))
    impressions = [
        (label, series.values[(name, "all")], colour, style)
        for name, label, colour, style in _IMPRESSION_LINES
        if (name, "all") in series.values
    ]
    if impressions:
        panels.append(("Impressions so far", "impressions", impressions))
    for scope in teams:
        lines = [
            (label, series.values[(name, scope)], colour, style)
            for name, label, colour, style in (
                ("agents_on_duty", "on duty", OKABE_ITO["sky_blue"], "area"),
                ("agents_busy", "busy", OKABE_ITO["orange"], "-"),
            )
            if (name, scope) in series.values
        ]
        panels.append((f"Agents of team {scope.removeprefix('team:')}", "agents", lines))
    if not panels:
        raise PlotError(f"{results.folder / TIMESERIES}: no series to draw")
    replications = max(v.shape[0] for v in series.values.values())
    span = float(days[-1]) if len(days) else 1.0
    with _style():
        columns = 1 if len(panels) == 1 else 2
        rows = math.ceil(len(panels) / columns)
        figure = Figure(figsize=(WIDTH_IN, 1.2 + 3.0 * rows), layout="constrained")
        grid = figure.subplots(rows, columns, squeeze=False, sharex=True)
        axes: list[Axes] = list(grid.flat)
        for extra in axes[len(panels) :]:
            extra.set_visible(False)
        for ax, (title, ylabel, lines) in zip(axes, panels, strict=False):
            if math.isfinite(results.warmup_min) and results.warmup_min > 0:
                ax.axvspan(0, results.warmup_min / 1440.0, color=_LIGHT_GREY, alpha=0.6, lw=0)
            top = 0.0
            for label, values, colour, style in lines:
                mean, low, high = _mean_and_range(values)
                drawn = high if replications > 1 and style != "area" else mean
                top = max(top, float(np.fmax.reduce(drawn, initial=0.0)))
                if style == "area":
                    ax.fill_between(
                        days, 0, mean, color=colour, alpha=0.45, linewidth=0, label=label
                    )
                    continue
                if replications > 1:
                    ax.fill_between(days, low, high, color=colour, alpha=0.22, linewidth=0)
                ax.plot(days, mean, color=colour, linestyle=style, linewidth=1.8, label=label)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            ax.set_ylim(0, top * 1.3 or 1.0)  # room for the legend above the lines
            ax.set_xlim(0, math.ceil(span))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
            ax.yaxis.set_major_locator(MaxNLocator(5, integer=ylabel == "agents"))
            ax.xaxis.set_major_locator(
                MultipleLocator(1 if span <= 15 else 7 if span <= 100 else 30)
            )
            ax.legend(loc="upper left", ncols=min(4, len(lines)), fontsize=11, framealpha=0.85)
            ax.grid(color=_LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            _finish(ax)
        for ax in axes[len(panels) - columns : len(panels)]:
            ax.xaxis.set_tick_params(labelbottom=True)
        notes = ["Day of the run"]
        if math.isfinite(results.warmup_min) and results.warmup_min > 0:
            notes.append("grey: warm-up, not measured")
        if replications > 1:
            notes.append("bands: lowest to highest replication")
        figure.supxlabel(" · ".join(notes), fontsize=13)
        policy = results.policies[0] if results.policies else "?"
        figure.suptitle(
            f"{results.headline} — policy {policy}, hour by hour, mean of "
            f"{replications} replication{'s' if replications != 1 else ''}",
            fontweight="bold",
        )
    return figure


# --- sweeps ---


def _numeric(texts: Sequence[str]) -> list[float] | None:
    """The values as numbers when every one is a number (not a boolean), else None."""
    numbers: list[float] = []
    for text in texts:
        try:
            value = float(text)
        except ValueError:
            return None
        if not math.isfinite(value):
            return None
        numbers.append(value)
    return numbers


def _axis_values(texts: Sequence[str]) -> tuple[list[str], dict[str, float], bool]:
    """Distinct values of a key in plotting order, their positions, and whether numeric."""
    distinct = list(dict.fromkeys(texts))
    numbers = _numeric(distinct)
    if numbers is None:
        return distinct, {t: float(i) for i, t in enumerate(distinct)}, False
    ordered = sorted(zip(numbers, distinct, strict=True))
    return [t for _, t in ordered], {t: v for v, t in ordered}, True


def _short_keys(keys: Sequence[str]) -> list[str]:
    """Short names of dotted keys, unique among them: "agents", "persistence"."""
    parts = [key.split(".") for key in keys]
    names = [p[-1] for p in parts]
    for take in range(2, max((len(p) for p in parts), default=1) + 1):
        if len(set(names)) == len(names):
            break
        names = [".".join(p[-take:]) for p in parts]
    return names


def _sweep_title(results: Results) -> str:
    return f"{results.headline} — sweep of {', '.join(_short_keys(results.keys))}"


def sweep_chart(results: Results, outcome: str) -> Figure:
    """One outcome against a one-key sweep's values: one line per policy, 95% CI bands.

    Raises:
        PlotError: the folder is not a one-key sweep, or lacks the outcome.
    """
    if len(results.keys) != 1:
        raise PlotError(f"{results.table}: a sweep of one key is needed for a line chart")
    _chosen(results, [outcome])
    points = results.points()
    order, position, numeric = _axis_values([s[0] for _, s in points])
    key = results.keys[0]
    with _style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        unit = results.unit(outcome)
        all_rows = [results.row(p, outcome, point=n) for p in results.policies for n, _ in points]
        scale = _scale(unit, results.currency, [r.mean for r in all_rows])
        for j, policy in enumerate(results.policies):
            rows = sorted(
                (results.row(policy, outcome, point=n) for n, _ in points),
                key=lambda r: position.get(r.settings[0] if r.settings else "", math.inf),
            )
            rows = [r for r in rows if r.settings]
            x = np.array([position[r.settings[0]] for r in rows])
            mean = np.array([r.mean for r in rows]) * scale.factor
            low = np.array([r.low for r in rows]) * scale.factor
            high = np.array([r.high for r in rows]) * scale.factor
            colour, _ = _colour(j)
            if numeric:
                ax.fill_between(x, low, high, color=colour, alpha=0.2, linewidth=0)
                ax.plot(
                    x, mean, color=colour, marker="o", markersize=7, linewidth=2.2, label=policy
                )
                continue
            # Values with no order (texts): side by side, no line between them.
            dodge = (j - (len(results.policies) - 1) / 2) * 0.08
            ax.errorbar(
                x + dodge,
                mean,
                yerr=_spread(mean, low, high),
                fmt="o",
                color=colour,
                markersize=9,
                elinewidth=2,
                capsize=5,
                label=policy,
            )
        ticks = [position[t] for t in order]
        if len(ticks) <= 12:
            ax.set_xticks(ticks, labels=order)
        elif not numeric:
            ax.set_xticks(ticks, labels=order, rotation=45, ha="right")
        ax.yaxis.set_major_formatter(scale.formatter())
        ax.set_xlabel(key)
        ax.set_ylabel(f"{results.label(outcome)}{scale.suffix}")
        ax.grid(color=_LIGHT_GREY, linewidth=0.8)
        ax.set_axisbelow(True)
        direction = _direction(outcome)
        ax.set_title(
            f"{results.label(outcome)}"
            + (f" — {direction.value} is better" if direction else "")
            + f"; {_replications(results)} per point, {'bands' if numeric else 'bars'}: 95% CIs",
            fontsize=13,
        )
        _finish(ax)
        ax.legend(title="Policy", loc="best")
        figure.suptitle(_sweep_title(results), fontweight="bold")
    return figure


def _cell_text(row: Row, currency: str) -> str:
    """A heatmap cell: the mean over its 95% CI half-width ("63.6%" over "± 1.3 pts")."""
    try:
        unit = Unit(row.unit)
    except ValueError:
        unit = Unit.COUNT
    text = short_value(row.mean, unit, currency)
    half = (row.high - row.low) / 2
    if math.isfinite(half):
        spread = difference_text(half, unit, currency, sign=False)
        text += f"\n± {spread}{' pts' if unit is Unit.SHARE else ''}"
    return text


def _text_colour(rgba: tuple[float, float, float, float]) -> str:
    red, green, blue, _ = rgba
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


MAX_GRID_SIDE = 15
"""A two-key sweep with more values of a key than this (or a sparse grid, such as a Latin
hypercube) is drawn as coloured points rather than cells."""


def heatmap_chart(results: Results, policy: str, outcome: str = HEATMAP_OUTCOME) -> Figure:
    """One outcome's mean over a two-key sweep, for one policy: a grid of annotated cells.

    A design that does not fill a grid (a Latin hypercube) shows as points coloured by the
    mean instead. The colour scale is the same for every policy of the sweep, darker is worse.

    Raises:
        PlotError: the folder is not a two-key sweep, or lacks the outcome.
    """
    if len(results.keys) != 2:
        raise PlotError(f"{results.table}: a sweep of two keys is needed for a heatmap")
    _chosen(results, [outcome])
    points = results.points()
    columns, x_at, x_numeric = _axis_values([s[0] for _, s in points])
    lines, y_at, y_numeric = _axis_values([s[1] for _, s in points])
    cells = len(columns) * len(lines)
    scattered = (
        x_numeric
        and y_numeric
        and (max(len(columns), len(lines)) > MAX_GRID_SIDE or len(points) < cells / 2)
    )
    unit = results.unit(outcome)
    everyone = [results.row(p, outcome, point=n).mean for p in results.policies for n, _ in points]
    scale = _scale(unit, results.currency, everyone)
    finite = [v * scale.factor for v in everyone if math.isfinite(v)]
    mine = [(settings, results.row(policy, outcome, point=n)) for n, settings in points]
    direction = _direction(outcome)
    with _style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        norm = Normalize(min(finite, default=0.0), max(finite, default=1.0))
        cmap = mpl.colormaps["cividis"]  # dark blue to yellow, readable in every colour vision
        if direction is Better.LOWER:
            cmap = cmap.reversed()  # darker is always worse
        if scattered:
            shown = [(x_at[s[0]], y_at[s[1]], r.mean * scale.factor) for s, r in mine]
            shown = [(x, y, v) for x, y, v in shown if math.isfinite(v)]
            image: Any = ax.scatter(
                [x for x, _, _ in shown],
                [y for _, y, _ in shown],
                c=[v for _, _, v in shown],
                cmap=cmap,
                norm=norm,
                s=160,
                edgecolors=_GREY,
                linewidths=0.8,
            )
            ax.grid(color=_LIGHT_GREY, linewidth=0.8)
            ax.set_axisbelow(True)
            what = f"Mean of {_replications(results)} at each point"
        else:
            grid = np.full((len(lines), len(columns)), math.nan)
            column_of = {t: i for i, t in enumerate(columns)}
            line_of = {t: i for i, t in enumerate(lines)}
            size = 13 if cells <= 30 else 10
            for settings, row in mine:
                i, j = line_of[settings[1]], column_of[settings[0]]
                grid[i, j] = row.mean * scale.factor
                if math.isfinite(grid[i, j]):
                    colour = _text_colour(tuple(cmap(norm(grid[i, j]))))
                    text = _cell_text(row, results.currency)
                    ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=size)
            for i, j in zip(*np.nonzero(np.isnan(grid)), strict=True):
                ax.text(j, i, "no result", ha="center", va="center", color=_GREY)
            image = ax.imshow(
                np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto", origin="lower"
            )
            ax.set_xticks(range(len(columns)), labels=columns)
            ax.set_yticks(range(len(lines)), labels=lines)
            ax.spines[:].set_visible(False)
            what = f"Mean of {_replications(results)} per cell ± 95% CI half-width"
        ax.set_xlabel(results.keys[0])
        ax.set_ylabel(results.keys[1])
        bar = figure.colorbar(image, ax=ax, shrink=0.9)
        bar.ax.yaxis.set_major_formatter(scale.formatter())
        better = f" — {direction.value} is better" if direction else ""
        bar.set_label(f"{results.label(outcome)}{scale.suffix}{better}")
        bar.ax.tick_params(labelsize=_STYLE["ytick.labelsize"])
        ax.set_title(
            what
            + (" · darker is worse" if direction else "")
            + " · one colour scale for all policies",
            fontsize=13,
        )
        _finish(ax)
        figure.suptitle(
            f"{results.headline} — {results.label(outcome)}, policy {policy}", fontweight="bold"
        )
    return figure


def pareto_front(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Mark the points no other point beats when lower is better on both axes.

    A point is dominated when another is at most as high on both axes and lower on one. Equal
    points are both on the front; a point with a NaN is never on it.
    """
    order = sorted(
        (i for i, (x, y) in enumerate(points) if not (math.isnan(x) or math.isnan(y))),
        key=lambda i: points[i],
    )
    front = [False] * len(points)
    best = math.inf  # lowest y among points with a strictly lower x
    start = 0
    while start < len(order):
        x = points[order[start]][0]
        end = start
        while end < len(order) and points[order[end]][0] == x:
            end += 1
        lowest = points[order[start]][1]  # sorted by (x, y): the group's first has the lowest y
        if lowest < best:
            for i in order[start:end]:
                front[i] = points[i][1] == lowest
            best = lowest
        start = end
    return front


MAX_LABELS = 10
"""Points of the trade-off's front labelled at most (spread along it); all are ringed."""


def _tradeoff_axes(results: Results) -> tuple[str, float, str] | None:
    """The cost outcome, its sign and its axis label; None when the folder has neither."""
    if results.has("staff_cost"):
        return "staff_cost", 1.0, results.label("staff_cost")
    if results.has("net_value"):
        return "net_value", -1.0, "Net loss (− net value)"
    return None


def tradeoff_chart(results: Results) -> Figure:
    """Staff cost (or the net loss) against complainant churn, for every point and policy.

    The best trade-offs (no other point and policy is cheaper with less churn, the Pareto
    front) are ringed, joined and labelled.

    Raises:
        PlotError: the folder has no complainant churn rate, or neither staff cost nor net
            value.
    """
    axes_found = _tradeoff_axes(results)
    if axes_found is None or not results.has(CHURN_RATE):
        raise PlotError(
            f"{results.table}: a trade-off needs {CHURN_RATE} and staff_cost or net_value"
        )
    cost, sign, cost_label = axes_found
    points = results.points() if results.kind == "sweep" else [(None, ())]
    shorts = _short_keys(results.keys)
    found: list[tuple[str, str, float, Row]] = []  # policy, label, cost, churn
    for n, settings in points:
        for policy in results.policies:
            x = sign * results.row(policy, cost, point=n).mean
            where = ", ".join(f"{k}={v}" for k, v in zip(shorts, settings, strict=True))
            label = " · ".join(
                part for part in (where, policy if len(results.policies) > 1 else "") if part
            )
            found.append((policy, label, x, results.row(policy, CHURN_RATE, point=n)))
    front = pareto_front([(x, churn.mean) for _, _, x, churn in found])
    money = _scale("money", results.currency, [])
    share = _scale("share", results.currency, [])
    xs = [x for _, _, x, _ in found if math.isfinite(x)]
    middle = (min(xs, default=0.0) + max(xs, default=0.0)) / 2
    with _style():
        figure = Figure(figsize=SLIDE_IN, layout="constrained")
        ax = figure.subplots()
        handles: list[Line2D] = []
        for j, policy in enumerate(results.policies):
            colour, _ = _colour(j)
            mine = [
                (x, churn, best)
                for (p, _, x, churn), best in zip(found, front, strict=True)
                if p == policy
            ]
            ax.errorbar(
                [x for x, _, _ in mine],
                [c.mean for _, c, _ in mine],
                yerr=_spread(
                    np.array([c.mean for _, c, _ in mine]),
                    np.array([c.low for _, c, _ in mine]),
                    np.array([c.high for _, c, _ in mine]),
                ),
                fmt="none",
                ecolor=colour,
                alpha=0.5,
                elinewidth=1.2,
                capsize=0,
            )
            for best in (False, True):
                ax.scatter(
                    [x for x, _, b in mine if b is best],
                    [c.mean for _, c, b in mine if b is best],
                    s=150 if best else 60,
                    color=colour,
                    edgecolors="black" if best else "none",
                    linewidths=2 if best else 0,
                    zorder=4 if best else 2,
                )
            handles.append(
                Line2D([], [], marker="o", linestyle="", markersize=9, color=colour, label=policy)
            )
        best_points = sorted(
            (x, churn.mean, label)
            for (_, label, x, churn), best in zip(found, front, strict=True)
            if best
        )
        ax.plot(
            [x for x, _, _ in best_points],
            [y for _, y, _ in best_points],
            color="black",
            linewidth=1.2,
            linestyle=":",
            drawstyle="steps-post",
            zorder=3,
        )
        labelled = {int(k) for k in np.linspace(0, len(best_points) - 1, MAX_LABELS).round()}
        for k, (x, y, label) in enumerate(best_points):
            if k not in labelled:
                continue
            right = x > middle  # labels of points on the right go to their left
            ax.annotate(
                label,
                (x, y),
                xytext=(-12 if right else 12, 12 if k % 2 == 0 else -20),
                textcoords="offset points",
                ha="right" if right else "left",
                fontsize=11,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8},
                zorder=5,
            )
        ax.xaxis.set_major_formatter(money.formatter())
        ax.yaxis.set_major_formatter(share.formatter())
        ax.set_xlabel(f"{cost_label}{money.suffix} — lower is better")
        ax.set_ylabel(f"{results.label(CHURN_RATE)} (%) — lower is better")
        ax.grid(color=_LIGHT_GREY, linewidth=0.8)
        ax.set_axisbelow(True)
        ax.margins(0.12)
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=12,
                markerfacecolor="white",
                markeredgecolor="black",
                markeredgewidth=2,
                label="best trade-off (none cheaper with less churn)",
            )
        )
        ax.legend(handles=handles, loc="best", title="Policy · bars: 95% CI of churn")
        _finish(ax)
        figure.suptitle(
            f"{results.headline} — cost against churn, every point and policy",
            fontweight="bold",
        )
    return figure


# --- writing ---


def save_figure(figure: Figure, path: Path) -> Path:
    """Write a figure as PNG or SVG (by the path's suffix), atomically, without dates.

    Raises:
        PlotError: the format is not PNG or SVG, or the file cannot be written.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise PlotError(f"{path}: cannot write {fmt!r}; formats are {', '.join(FORMATS)}")
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
    partial = path.with_name(f".{path.name}.partial")
    try:
        with _style(), partial.open("wb") as handle:
            figure.savefig(handle, format=fmt, dpi=DPI, metadata=metadata)
            handle.flush()
            os.fsync(handle.fileno())  # on the disk before it has its name
        os.replace(partial, path)
    except OSError as error:
        raise PlotError(str(write_error(path, error))) from None
    finally:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
    return path


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "policy"


def _charts(
    results: Results, outcomes: Sequence[str] | None
) -> list[tuple[str, Callable[[], Figure]]]:
    """The charts that fit a folder: (file name, builder)."""
    charts: list[tuple[str, Callable[[], Figure]]] = []
    if results.kind == "compare" and _chosen(results, outcomes):
        charts.append(("comparison", partial(comparison_chart, results, outcomes)))
        if any(p != results.baseline for p in results.policies) and results.baseline:
            charts.append(("differences", partial(difference_chart, results, outcomes)))
    if results.kind in ("compare", "run"):
        if any(r.outcome == "churned" and r.mean > 0 for r in results.rows):
            charts.append(("churn_by_cause", lambda: churn_chart(results)))
        if results.scopes("escalations", "flow:"):
            charts.append(("escalation_flows", lambda: flow_chart(results)))
    if results.kind == "run" and (results.folder / TIMESERIES).is_file():
        series = read_timeseries(results.folder)
        if series.values:
            charts.append(("timeseries", lambda: timeseries_chart(results, series)))
    if results.kind == "sweep" and results.points():
        chosen = _chosen(results, outcomes)
        if len(results.keys) == 1:
            for outcome in chosen:
                charts.append((f"sweep_{outcome}", partial(sweep_chart, results, outcome)))
        elif len(results.keys) == 2:
            shown = chosen[0] if outcomes else HEATMAP_OUTCOME
            if results.has(shown):
                for policy in results.policies:
                    build = partial(heatmap_chart, results, policy, shown)
                    charts.append((f"heatmap_{_file_name(policy)}", build))
        if results.has(CHURN_RATE) and _tradeoff_axes(results) is not None:
            charts.append(("tradeoff", lambda: tradeoff_chart(results)))
    return charts


def plot_folder(
    folder: Path,
    out: Path | None = None,
    formats: Sequence[str] = FORMATS,
    outcomes: Sequence[str] | None = None,
) -> list[Path]:
    """Draw every chart that fits a run, compare or sweep folder and write each file.

    Args:
        folder: a simcare output folder (with manifest.json).
        out: where to write the charts (default: ``folder/plots``), created if needed.
        formats: file formats, among "png" (for slides) and "svg" (for the web).
        outcomes: outcomes for the comparison, difference and sweep charts instead of the key
            outcomes (a two-key sweep's heatmaps show the first).

    Returns:
        The files written, ``<out>/<chart>.<format>``.

    Raises:
        PlotError: the folder is not a simcare result (no manifest, a missing CSV or column),
            an outcome asked for is not in it, a format is unknown, or a file cannot be written.
    """
    wanted = [fmt.lower().lstrip(".") for fmt in formats]
    unknown = [fmt for fmt in wanted if fmt not in FORMATS]
    if unknown or not wanted:
        raise PlotError(
            f"cannot write {', '.join(map(repr, unknown)) or 'no format'}; "
            f"formats are {', '.join(FORMATS)}"
        )
    folder = Path(folder)
    results = read_results(folder)
    charts = _charts(results, outcomes)
    target = Path(out) if out is not None else folder / "plots"
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PlotError(str(write_error(target, error, "cannot create the folder"))) from None
    written: list[Path] = []
    for name, build in charts:
        for fmt in dict.fromkeys(wanted):
            # A fresh figure per format: a layout computed for one renderer shifts the other's
            # coordinates slightly, and each file must depend only on the data and its format.
            written.append(save_figure(build(), target / f"{name}.{fmt}"))
    if target == folder / "plots":  # the result's own: listed, so that --force removes them
        listed = target / CHART_LIST
        old = listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else []
        names = sorted({*old, *(path.name for path in written)})
        try:
            write_atomic(listed, "".join(f"{name}\n" for name in names))
        except OutputError as error:
            raise PlotError(str(error)) from None
    return written


def svg_text(figure: Figure) -> str:
    """A figure as SVG text (the same bytes `save_figure` writes to a ``.svg`` file)."""
    buffer = io.StringIO()
    with _style():
        figure.savefig(buffer, format="svg", dpi=DPI, metadata={"Date": None})
    return buffer.getvalue()


def chart_svgs(results: Results, outcomes: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """Every chart that fits a folder's results, as (chart name, SVG text), for a web page."""
    return [(name, svg_text(build())) for name, build in _charts(results, outcomes)]
