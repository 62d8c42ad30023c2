"""The workshop's case: what a case offers teams as levers (policies, agents, the teacher's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcare.core.errors import ScenarioError
from simcare.scenario import Scenario
from simcare.scenario.policy import BUILTIN_POLICIES
from simcare.scenario_file import load_scenario_data, scenario_from_dict
from simcare.workshop.levers import MIN_AGENT_CAP, Lever, chosen_levers

__all__ = ["MIN_AGENT_CAP", "Lever", "Workshop", "load_workshop"]


@dataclass(frozen=True, slots=True)
class Workshop:
    """A case prepared for a workshop: the scenario, its raw data, its levers and policies.

    Attributes:
        scenario: the case as it is (the baseline team's world).
        data: the case file's raw TOML data, to which teams' decisions are applied.
        source: the case file, for messages.
        default_name: the scenario's name if the file gives none.
        levers: what teams may set: the agents on each shift, then the teacher's own levers.
        policies: the policies teams may choose from.
        lever_texts: the teacher's levers as given (``KEY=...``), for the debrief's command.
    """

    scenario: Scenario
    data: dict[str, Any]
    source: str
    default_name: str
    levers: tuple[Lever, ...]
    policies: tuple[str, ...]
    lever_texts: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The case's title (or its name)."""
        return self.scenario.title or self.scenario.name

    @property
    def status_quo(self) -> str:
        """The policy a template starts from: what the brand does now, if teams may choose it."""
        run = self.scenario.run.policy
        return run if run in self.policies else self.policies[0]

    def lever(self, key: str) -> Lever:
        """The lever with this key; KeyError if there is none."""
        for lever in self.levers:
            if lever.key == key:
                return lever
        raise KeyError(key)

    def policy_description(self, name: str) -> str:
        """What a policy does, in words."""
        if name in BUILTIN_POLICIES:
            return BUILTIN_POLICIES[name]
        return self.scenario.policy(name).description or f"the case's own policy {name}"


def load_workshop(source: str | Path, levers: Sequence[str] = ()) -> Workshop:
    """Load a case (a scenario file or a built-in case's name) and work out its levers.

    Args:
        source: the case.
        levers: the teacher's levers, each ``KEY=LO:HI``, ``KEY=LO:HI:STEP`` or
            ``KEY=V1,V2,...`` (as ``simcare sweep --set`` writes a setting), beside the agents
            on each shift.

    Raises:
        ScenarioError: the case is missing, unreadable or invalid.
        LeverError: a lever is malformed or does not fit the case.
    """
    data, where, default_name = load_scenario_data(source)
    try:
        scenario = scenario_from_dict(data, default_name=default_name)
    except ScenarioError as error:
        raise ScenarioError(list(error.problems), where) from None
    policies = scenario.teaching.policies or tuple(scenario.policy_names)
    return Workshop(
        scenario=scenario,
        data=data,
        source=where,
        default_name=default_name,
        levers=chosen_levers(levers, scenario, data, where, default_name),
        policies=tuple(dict.fromkeys(policies)),
        lever_texts=tuple(levers),
    )
