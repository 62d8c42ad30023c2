"""A scenario file's [uncertainty] table: a plausible range for each dotted key, read and written.

``"word_of_mouth.reply_lift" = [1.0, 3.0]`` is a uniform range; a table spreads it otherwise:
``{ spread = "log-uniform", low = 0.0005, high = 0.008 }`` or
``{ spread = "triangular", low = 1, mode = 1.5, high = 3 }``. Each key must name a number the
scenario has (the same keys ``simcare sweep --set`` takes); a misspelt one gets "did you mean".
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from typing import Any

from simcare.core.errors import Problem, ScenarioError, did_you_mean
from simcare.scenario import Scenario, Spread, Uncertain
from simcare.scenario_file.kinds import MAX_NUMBER
from simcare.scenario_file.table import Table
from simcare.scenario_file.wording import describe

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_FIELDS = {"spread", "low", "high", "mode"}
_SPREADS = [spread.value for spread in Spread]
_EXPECTED = (
    "expected [LOW, HIGH], or a table { spread = "
    + " | ".join(f'"{s}"' for s in _SPREADS)
    + ", low, high } (and mode, for a triangular spread)"
)


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= MAX_NUMBER
    )


def _read_one(key: str, value: Any) -> Uncertain | str:
    """One range as written, or what is wrong with it."""
    if isinstance(value, list):
        if len(value) != 2 or not all(_number(v) for v in value):
            return f"{_EXPECTED}, found {describe(value)}"
        return _built(key, value[0], value[1])
    if not isinstance(value, dict):
        return f"{_EXPECTED}, found {describe(value)}"
    unknown = sorted(set(value) - _FIELDS)
    if unknown:
        return f"unknown key {unknown[0]!r}; expected {sorted(_FIELDS)}" + did_you_mean(
            unknown[0], sorted(_FIELDS)
        )
    spread = value.get("spread", Spread.UNIFORM.value)
    if spread not in _SPREADS:
        return f"spread: expected one of {_SPREADS}, found {describe(spread)}" + did_you_mean(
            spread, _SPREADS
        )
    numbers = {name: value[name] for name in ("low", "high", "mode") if name in value}
    bad = [name for name, number in numbers.items() if not _number(number)]
    if bad or not {"low", "high"} <= numbers.keys():
        name = bad[0] if bad else "low" if "low" not in numbers else "high"
        return f"{name}: expected a number, found {describe(value.get(name))}"
    mode = numbers.get("mode")
    return _built(key, numbers["low"], numbers["high"], Spread(spread), mode)


def _built(
    key: str, low: float, high: float, spread: Spread = Spread.UNIFORM, mode: float | None = None
) -> Uncertain | str:
    """The range, or its own checks' first problem."""
    try:
        return Uncertain(
            key, float(low), float(high), spread, None if mode is None else float(mode)
        )
    except ScenarioError as error:
        return error.problems[0].message


def read_uncertainty(table: Table) -> tuple[Uncertain, ...] | None:
    """Read [uncertainty]; None if any range has a problem (each reported under its key)."""
    ranges: list[Uncertain] = []
    failed = False
    for key, value in table.data.items():
        table.used.add(key)
        where = f'{table.key}."{key}"'
        segments = key.split(".")
        if not all(_SEGMENT.fullmatch(segment) for segment in segments):
            table.problems.append(
                Problem(
                    where,
                    "expected a dotted scenario key (names and list indices joined by dots, "
                    "such as word_of_mouth.reply_lift)",
                )
            )
            failed = True
            continue
        read = _read_one(key, value)
        if isinstance(read, str):
            table.problems.append(Problem(where, read))
            failed = True
        else:
            ranges.append(read)
    # In key order: a file written back (tables after values) reads as the same scenario.
    return None if failed else tuple(sorted(ranges, key=lambda item: item.key))


def uncertainty_problems(scenario: Scenario, data: dict[str, Any]) -> list[Problem]:
    """The ranges whose key is not a number of the scenario (``data``: it written out in full)."""
    problems = []
    for item in scenario.uncertainty:
        node: Any = data
        walked: list[str] = []
        for segment in item.key.split("."):
            if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
                node = node[int(segment)]
            elif isinstance(node, dict) and segment in node:
                node = node[segment]
            else:
                known = sorted(node) if isinstance(node, dict) else []
                inside = ".".join(walked) or "the scenario"
                listing = f"; {inside} has {known}" if known else ""
                if segment == "agents" and "shifts" in known:
                    # A team written `agents = 3` is one shift, all day: its headcount is there.
                    listing += f"; a team's headcount is {inside}.shifts.N.agents (N from 0)"
                problems.append(
                    Problem(
                        item.where,
                        f"unknown key {segment!r} in {inside}{listing}"
                        + did_you_mean(segment, known),
                    )
                )
                break
            walked.append(segment)
        else:
            if not _number(node):
                problems.append(
                    Problem(item.where, f"expected the key of a number, found {describe(node)}")
                )
    return problems


def range_end_problems(
    scenario: Scenario, data: dict[str, Any], build: Callable[[dict[str, Any]], object]
) -> list[Problem]:
    """The ranges with an end the key does not accept (a world there would be refused).

    Each end is set in ``data`` (the scenario written out in full, its ranges known to name
    numbers) and built with ``build``: a rate above 1 or a negative cost is found when the
    file is read, not in the middle of a study. The keys' own rules are monotone (a
    minimum, a maximum), so the two ends stand for the range.
    """
    base = {key: value for key, value in data.items() if key != "uncertainty"}
    problems = []
    for item in scenario.uncertainty:
        for end, value in _ends(item, _at(base, item.key)):
            changed = copy.deepcopy(base)
            _set(changed, item.key, value)
            try:
                build(changed)
            except ScenarioError as error:
                found = error.problems[0]
                problems.append(
                    Problem(
                        item.where,
                        f"its {end} end {value:g} is not a value the scenario takes: "
                        f"{found.key}: {found.message}",
                    )
                )
                break
    return problems


def _ends(item: Uncertain, nominal: Any) -> list[tuple[str, float]]:
    """The values a study's extreme worlds take: whole where the scenario's value is whole."""
    low, high = item.low, item.high
    if isinstance(nominal, int) and not isinstance(nominal, bool):
        whole = (math.ceil(low), math.floor(high))
        low, high = whole if whole[0] <= whole[1] else (round(low), round(high))
    return [("low", low), ("high", high)]


def _at(data: Any, key: str) -> Any:
    for segment in key.split("."):
        data = data[int(segment)] if isinstance(data, list) else data[segment]
    return data


def _set(data: Any, key: str, value: float) -> None:
    *path, last = key.split(".")
    node = _at(data, ".".join(path)) if path else data
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def uncertainty_data(ranges: tuple[Uncertain, ...]) -> dict[str, Any]:
    """The [uncertainty] table as TOML data: [LOW, HIGH], or a table for another spread."""
    data: dict[str, Any] = {}
    for item in ranges:
        if item.spread is Spread.UNIFORM:
            data[item.key] = [item.low, item.high]
        else:
            data[item.key] = {"spread": item.spread.value, "low": item.low, "high": item.high}
            if item.mode is not None:
                data[item.key]["mode"] = item.mode
    return data
