"""Plausible worlds: a Latin hypercube over a scenario's uncertain inputs, planned as a sweep.

A robustness study is a sweep whose point 0 is the scenario as written (the verdicts to test)
and whose points 1 to N are plausible worlds, every policy in each (the same customers in a
world: common random numbers). Being a sweep, it runs on the sweep's executors, writes the
sweep's resumable folder, and gives the same numbers on any number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simcare.core.errors import Arg, ArgumentError, did_you_mean
from simcare.experiments.design import Setting, latin_hypercube
from simcare.experiments.sweep import SweepPlan, _check_points
from simcare.scenario import Scenario, Spread, Uncertain, ranges_of
from simcare.scenario_file import load_scenario_data, scenario_from_dict, scenario_to_dict

NOMINAL = 0
"""The point of the scenario as written: its verdicts are those robustness tests."""
INPUTS, SAMPLES, POLICIES = Arg("inputs"), Arg("samples"), Arg("policies")
_DIGITS = 6
"""Significant digits of a world's values (enough to tell 64 or 10,000 worlds apart)."""


def value_at(data: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of scenario data (KeyError if there is none)."""
    node: Any = data
    for segment in key.split("."):
        node = node[int(segment)] if isinstance(node, list) else node[segment]
    return node


def _quantile(item: Uncertain, u: float) -> float:
    """The value of a range at the probability u (the inverse of its distribution)."""
    low, high = item.low, item.high
    if item.spread is Spread.LOG_UNIFORM:
        return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    if item.spread is Spread.TRIANGULAR and item.mode is not None:
        cut = (item.mode - low) / (high - low)
        if u < cut:
            return low + math.sqrt(u * (high - low) * (item.mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - item.mode))
    return low + u * (high - low)


def _world_value(item: Uncertain, u: float, nominal: Any) -> float | int:
    """A world's value of one input, whole where the scenario's value is whole."""
    value = _quantile(item, u)
    if isinstance(nominal, int) and not isinstance(nominal, bool):
        if item.spread is Spread.UNIFORM:
            # As the sweep's Latin hypercube: every whole number in the range equally likely.
            low, high = math.ceil(item.low), math.floor(item.high)
            if low <= high:
                return min(low + math.floor(u * (high - low + 1)), high)
        return round(value)
    return float(f"{value:.{_DIGITS}g}")


def uncertain_inputs(scenario: Scenario, inputs: Sequence[str] | None = None) -> list[Uncertain]:
    """The ranges a study varies: the defaults and the scenario's own, or the ones chosen.

    Raises:
        ArgumentError: a chosen input has no range (naming the closest that has one).
    """
    ranges = ranges_of(scenario.uncertainty)
    if not inputs:
        return list(ranges)
    by_key = {item.key: item for item in ranges}
    for key in inputs:
        if key not in by_key:
            raise ArgumentError(
                INPUTS,
                f" {key}: no plausible range (add one to the scenario's [uncertainty] table)"
                + did_you_mean(key, list(by_key)),
            )
    return [by_key[key] for key in dict.fromkeys(inputs)]


def _data(scenario: Scenario | str | Path) -> tuple[dict[str, Any], str, str]:
    """A scenario's TOML data, where it came from and its name."""
    if isinstance(scenario, Scenario):
        return scenario_to_dict(scenario), f"scenario {scenario.name}", scenario.name
    return load_scenario_data(scenario)


def plan_robustness(
    scenario: Scenario | str | Path,
    *,
    policies: Sequence[str] | None = None,
    baseline: str | None = None,
    samples: int = 64,
    replications: int = 5,
    seed: int = 2024,
    inputs: Sequence[str] | None = None,
    on_point: Callable[[int, int], None] | None = None,
) -> SweepPlan:
    """Plan the worlds of a robustness study as a sweep (point 0: the scenario as written).

    Args:
        scenario: a `Scenario`, a TOML file, or a built-in case by name.
        policies: the policies compared in every world (default: all the scenario has).
        baseline: what the others are measured against (default: the scenario's run.policy);
            the plan's first policy.
        samples: plausible worlds (the Latin hypercube's points).
        replications: per world and policy.
        seed: the base seed of every replication and of the design.
        inputs: vary only these uncertain inputs (default: every one with a range).
        on_point: called with (points checked, points) as each world's scenario is built.

    Raises:
        ArgumentError: an input without a range, or too few worlds for the inputs.
        SettingError: a bad number of samples or seed.
        ScenarioError: the scenario, or some world, is invalid (naming the point and key).
        ValueError: an unknown policy, or fewer than 2 replications.
    """
    data, source, name = _data(scenario)
    base = scenario_from_dict(data, name)
    ranges = uncertain_inputs(base, inputs)
    if samples < len(ranges) + 3:
        raise ArgumentError(
            SAMPLES,
            f" {samples}: too few worlds to rank {len(ranges)} inputs; give at least "
            f"{len(ranges) + 3}, or fewer ",
            INPUTS,
        )
    if replications < 2:
        raise ValueError("a robustness study needs at least 2 replications per world")
    full = scenario_to_dict(base)
    nominal = {item.key: value_at(full, item.key) for item in ranges}
    unit = [Setting(item.key, None, 0.0, 1.0) for item in ranges]
    worlds = [
        {item.key: _world_value(item, u[item.key], nominal[item.key]) for item in ranges}
        for u in latin_hypercube(unit, samples, seed)
    ]
    chosen = list(dict.fromkeys(policies or base.policy_names))
    first = baseline or base.run.policy
    if len({first, *chosen}) < 2:
        # One policy has no verdict to test: every world would run for an empty table.
        raise ArgumentError(
            POLICIES, f" {first}: a study tests the verdicts between at least 2 policies"
        )
    plan = SweepPlan(
        source=source,
        name=name,
        # The scenario written out in full, as its ranges were checked against: a team's
        # `agents = 3` has its shifts listed there, so `teams.T.shifts.0.agents` can vary.
        base=full,
        settings=tuple(f"{item.key}={item.low!r}:{item.high!r}" for item in ranges),
        design="lhs",
        samples=samples + 1,
        policies=(first, *(p for p in chosen if p != first)),
        replications=replications,
        seed=seed,
        precision=None,
        points=(nominal, *worlds),
    )
    _check_points(plan, on_point)  # every world's scenario, and the policies
    return plan


def plan_ranges(plan: SweepPlan) -> list[Uncertain]:
    """The ranges a planned study varies, as its base scenario gives them."""
    base = scenario_from_dict(plan.base, plan.name)
    by_key = {item.key: item for item in ranges_of(base.uncertainty)}
    return [by_key[key] for key in plan.keys if key in by_key]
