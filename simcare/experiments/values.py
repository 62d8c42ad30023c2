"""A scenario with some keys set: the sweep's ``--set`` for one point, as a function.

``with_values(scenario, {"teams.social_desk.shifts.0.agents": 4})`` does what three nested
`dataclasses.replace` calls would, and checks the result as a scenario file is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simcare.experiments.design import check_key, point_scenario
from simcare.experiments.replicate import as_scenario
from simcare.scenario import Scenario
from simcare.scenario_file import scenario_to_dict


def with_values(scenario: Scenario | str | Path, values: Mapping[str, Any]) -> Scenario:
    """Return a new scenario: ``scenario`` with each dotted key set to its value.

    Keys are written as in ``simcare sweep --set``: names joined by dots, a number indexing a
    list (``teams.social_desk.shifts.0.agents``). Values are written as in a scenario file:
    ``4``, ``0.25``, ``"45s"``, ``"150/h"``, ``True``, a list or a table. The scenario given is
    not changed (it is frozen).

    Example:
        >>> busy = with_values("loyal_fan_deleted_post", {"run.policy": "reply_public",
        ...                    "teams.social_desk.shifts.0.agents": 4})  # doctest: +SKIP

    Raises:
        SettingError: a key is malformed, or walks past a list's end or into a value.
        ScenarioError: the new scenario is invalid (an unknown key, a wrong type, a bad
            value); each problem names its key and what was expected.
    """
    base = as_scenario(scenario)
    for key in values:
        check_key(key, key)
    source = f"with_values on {base.name}"
    return point_scenario(scenario_to_dict(base), dict(values), source, base.name)
