"""A sweep's plan.json checked as it is read back: every value simcare writes there, as written.

``--resume`` and ``reproduce`` run what the plan says. A plan can be edited by hand, so each
value is checked before anything is planned or run from it, and a refusal names plan.json,
the key and what was expected (never a traceback from deep inside a run).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from simcare.core.errors import ScenarioError
from simcare.experiments.design import (
    MAX_POINTS,
    MAX_SAMPLES,
    Setting,
    SettingError,
    check_distinct,
    grid,
    parse_setting,
)
from simcare.results.records import (
    MAX_NESTING,
    ReadError,
    check_fields,
    found,
    names,
    nesting,
    number,
    text,
    whole,
)
from simcare.scenario_file import scenario_from_dict

_PRECISION = {"outcome", "scope", "half_width", "max_replications"}


def _precision(value: Any) -> bool:
    if value is None:
        return True
    return (
        isinstance(value, dict)
        and set(value) == _PRECISION
        and text(value["outcome"])
        and text(value["scope"])
        and number(value["half_width"])
        and value["half_width"] > 0
        and whole(2)(value["max_replications"])
    )


PLAN_FIELDS = {
    "source": (text, "where the base scenario came from"),
    "name": (text, "the scenario's name"),
    "settings": (
        lambda value: isinstance(value, list) and bool(value) and all(text(t) for t in value),
        "a non-empty list of settings (KEY=VALUES)",
    ),
    "design": (lambda value: value in ("grid", "lhs"), "grid or lhs"),
    "samples": (lambda value: value is None or whole(1)(value), "null or a whole number >= 1"),
    "policies": (names, "a non-empty list of distinct policy names"),
    "replications": (whole(1), "a whole number >= 1"),
    "seed": (whole(0), "a whole number >= 0"),
    "precision": (
        _precision,
        "null or a table of outcome, scope, half_width (> 0) and max_replications (>= 2)",
    ),
    "points": (
        lambda value: isinstance(value, list) and all(isinstance(p, dict) for p in value),
        "a list of points (each a table of the swept keys' values)",
    ),
    "base": (
        lambda value: isinstance(value, dict) and nesting(value),
        f"the base scenario: a table, nested at most {MAX_NESTING} deep",
    ),
}
"""What each value of a plan must be (all of them are needed)."""

BASELINE_FIELD = {
    "baseline_point": (
        lambda value: value is None or whole(0)(value),
        "null or a point's number (a whole number >= 0)",
    )
}
"""A value a plan may have (plans before 0.2 have none)."""


def check_plan(path: Path, data: dict[str, Any]) -> None:
    """Check a plan read from ``path`` before a sweep is resumed or re-run from it.

    Besides each value's type: the settings must parse, the points must be the ones they give
    (a grid's exactly; a Latin hypercube's ``samples`` points, each setting each swept key),
    and the base must be a valid scenario. The points are counted before anything is built.

    Raises:
        ReadError: naming the file, the key, what was expected and what was found.
    """
    missing = [key for key in PLAN_FIELDS if key not in data]
    if missing:
        raise ReadError(f"{path}: {', '.join(missing)}: missing; not a sweep's plan")
    check_fields(path, data, PLAN_FIELDS | BASELINE_FIELD)
    try:
        settings = [parse_setting(setting) for setting in data["settings"]]
        check_distinct(settings)
    except SettingError as error:
        raise ReadError(f"{path}: settings: {error}") from None
    _check_points(path, data, settings)
    baseline = data.get("baseline_point")
    if baseline is not None and baseline >= len(data["points"]):
        raise ReadError(
            f"{path}: baseline_point: expected a point from 0 to {len(data['points']) - 1}, "
            f"found {baseline}"
        )
    try:
        base = scenario_from_dict(data["base"], data["name"])
    except ScenarioError as error:
        raise ReadError(f"{path}: base: not a valid scenario: {error}") from None
    unknown = [policy for policy in data["policies"] if policy not in base.policy_names]
    if unknown:
        raise ReadError(
            f"{path}: policies: expected policies of the base scenario "
            f"({', '.join(base.policy_names)}), found {found(unknown)}"
        )


def _canonical(points: list[dict[str, Any]]) -> str:
    """Points as comparable text (NaN equals NaN; keys in any order)."""
    return json.dumps(points, sort_keys=True)


def _check_points(path: Path, data: dict[str, Any], settings: list[Setting]) -> None:
    """The points must be those the settings give, counted before any is built."""
    points: list[dict[str, Any]] = data["points"]
    keys = [setting.key for setting in settings]
    if data["design"] == "grid":
        sizes = [len(s.values) if s.values is not None else 0 for s in settings]
        count = math.prod(sizes)
        if count == 0 or count > MAX_POINTS:
            raise ReadError(
                f"{path}: settings: expected a grid of 1 to {MAX_POINTS:,} points "
                "(LO:HI:STEP or V1,V2,... each)"
            )
        if len(points) != count:
            raise ReadError(
                f"{path}: points: expected the {count:,} points of the settings' grid, "
                f"found {len(points):,}"
            )
        if _canonical(points) != _canonical(grid(settings)):
            raise ReadError(f"{path}: points: expected the points of the settings' grid")
        return
    samples = data["samples"]
    if samples is None or samples > MAX_SAMPLES or len(points) != samples:
        raise ReadError(
            f"{path}: samples: expected the number of points (1 to {MAX_SAMPLES:,}), found "
            f"{found(samples)} for {len(points):,} points"
        )
    for number_, point in enumerate(points):
        if list(point) != keys or not all(_scalar(value) for value in point.values()):
            raise ReadError(
                f"{path}: points[{number_}]: expected a value (a number, text or true/false) of "
                f"each swept key ({', '.join(keys)}), found {found(point)}"
            )


def _scalar(value: Any) -> bool:
    return isinstance(value, bool) or number(value) or text(value)
