"""A sweep's baseline point: what one step of a setting is worth, paired by replication.

Every point of a sweep runs replications 0, 1, 2, ... from the same base seed, so replication r
meets the same customers at every point (common random numbers): the difference between two
points under one policy is measured replication by replication, as `compare` does for policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simcare.core.errors import Arg, ArgumentError
from simcare.experiments.compare import (
    DIFFERENCE_COLUMNS,
    Difference,
    difference_fields,
    paired,
)
from simcare.experiments.design import format_value, parse_setting
from simcare.metrics import Outcomes

BASELINE_POINT = Arg("baseline_point")

SWEEP_DIFFERENCE_COLUMNS = ("baseline_point", *DIFFERENCE_COLUMNS[1:])
"""The columns a sweep's summary adds with a baseline point: which point, then the paired
difference from it under the same policy (empty at the baseline point itself)."""


def point_label(point: int) -> str:
    """How a point is named in a `Difference`: "point 3"."""
    return f"point {point}"


def resolve_baseline(
    chosen: int | str | None, points: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int | None:
    """The point a sweep's differences are measured from: ``N``, or ``KEY=VALUE[,KEY=VALUE]``.

    A key may be given by its last name (``agents`` for ``teams.desk.agents``) when that tells
    the swept keys apart; the keys given must pick exactly one point.

    Raises:
        ArgumentError: no such point, or the settings match none or several points.
    """
    if chosen is None:
        return None
    text = str(chosen).strip()
    if text.isdigit() or isinstance(chosen, int):
        point = int(text)
        if not 0 <= point < len(points):
            raise ArgumentError(
                BASELINE_POINT, f" {text}: expected a point from 0 to {len(points) - 1}"
            )
        return point
    pairs = [(_full_key(key, keys, text), value) for key, value in _pairs(text)]
    wanted = dict(pairs)
    if len(wanted) < len(pairs):
        raise ArgumentError(BASELINE_POINT, f" {text}: a swept key is given twice")
    matching = [
        n
        for n, point in enumerate(points)
        if all(_same(point[key], value) for key, value in wanted.items())
    ]
    if len(matching) != 1:
        how = "no point has" if not matching else f"{len(matching)} points have"
        values = {key: sorted({format_value(p[key]) for p in points}) for key in wanted}
        listed = "; ".join(f"{key} takes {', '.join(v)}" for key, v in values.items())
        raise ArgumentError(
            BASELINE_POINT, f" {text}: {how} these settings ({listed}); give every swept key"
        )
    return matching[0]


def _same(swept: Any, given: Any) -> bool:
    """A point's value is the one given: numbers by value (2 is 2.0), others as written."""
    numbers = (int, float)
    if isinstance(swept, numbers) and isinstance(given, numbers):
        return bool(swept == given)
    return format_value(swept) == format_value(given)


def _pairs(text: str) -> list[tuple[str, Any]]:
    """``KEY=VALUE,KEY=VALUE`` as (key, value as a setting reads it) pairs."""
    pairs = []
    for part in text.split(","):
        key, equals, value = part.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ArgumentError(BASELINE_POINT, f" {text}: expected N or KEY=VALUE[,KEY=VALUE]")
        setting = parse_setting(f"{key.strip()}={value.strip()}")
        assert setting.values is not None  # one value, never a range
        pairs.append((setting.key, setting.values[0]))
    return pairs


def _full_key(key: str, keys: Sequence[str], text: str) -> str:
    """A swept key from its full or last name."""
    if key in keys:
        return key
    found = [k for k in keys if k.rsplit(".", 1)[-1] == key]
    if len(found) != 1:
        raise ArgumentError(
            BASELINE_POINT, f" {text}: {key} is not a swept key; they are {', '.join(keys)}"
        )
    return found[0]


def point_differences(
    point: int, baseline: int, mine: list[Outcomes], theirs: list[Outcomes]
) -> dict[tuple[str, str], Difference]:
    """A point's paired difference from the baseline point in every outcome and scope."""
    values = {point_label(point): mine, point_label(baseline): theirs}
    keys = dict.fromkeys(key for v in theirs for key in v)
    return {
        (outcome, scope): paired(point_label(point), point_label(baseline), values, outcome, scope)
        for outcome, scope in keys
    }


def difference_record(baseline: int, diff: Difference | None) -> dict[str, Any]:
    """The `SWEEP_DIFFERENCE_COLUMNS` of one row (empty but the baseline at the baseline)."""
    return {"baseline_point": baseline, **difference_fields(diff)}
