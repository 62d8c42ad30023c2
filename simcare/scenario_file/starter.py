"""Starter files for `simcare init`: the commented starter, or a built-in case to start from.

Both are TOML text with their comments kept: a starter is read and edited by a person.
"""

from __future__ import annotations

import re
from importlib import resources

import tomli_w

from simcare.core.errors import Problem, ScenarioError, did_you_mean
from simcare.scenario import Scenario
from simcare.scenario_file.lookup import builtin_scenarios, loads_scenario, read_scenario_text

STARTER_BRIEFING = "Describe the brand, the problem and what is at stake."
"""The starter's placeholder briefing: a scenario still holding it has not been told yet."""
_NAME_LINE = re.compile(r"^name\s*=.*$", re.MULTILINE)
_FIRST_TABLE = re.compile(r"^\s*\[", re.MULTILINE)


def starter_text() -> str:
    """The commented starter scenario `simcare init` writes."""
    starter = resources.files("simcare.scenario_file").joinpath("starter.toml")
    return starter.read_text(encoding="utf-8")


def case_starter_text(case: str, name: str) -> str:
    """A built-in case's file as a starter named ``name``: its comments and briefing kept.

    Raises:
        ScenarioError: ``case`` is not a built-in case, or ``name`` cannot name a scenario.
    """
    cases = builtin_scenarios()
    if case not in cases:
        starting = [name for name in cases if name.startswith(case)]
        hint = f"; did you mean {starting[0]!r}?" if len(starting) == 1 else ""
        raise ScenarioError(
            Problem(
                "--from",
                f"unknown built-in case {case!r}; built-in cases: {', '.join(cases)}"
                f"{hint or did_you_mean(case, list(cases))}",
            )
        )
    text = read_scenario_text(cases[case])
    name_line = tomli_w.dumps({"name": name}).strip()
    header = f"# Started from the built-in case {case} (simcare init --from): make it your own.\n"
    tables = _FIRST_TABLE.search(text)
    top = _NAME_LINE.search(text, 0, tables.start() if tables else len(text))
    if top is not None:
        text = text[: top.start()] + name_line + text[top.end() :]
    else:
        text = f"{name_line}\n{text}"
    loads_scenario(header + text, f"{name}.toml")  # a name the file cannot hold is reported
    return header + text


def placeholder_notes(scenario: Scenario) -> list[str]:
    """What a scenario still holds of the starter's placeholders, each as a warning."""
    if scenario.teaching.briefing.strip() == STARTER_BRIEFING:
        return [
            "teaching.briefing: still the starter's placeholder; describe the brand, its "
            "problem and what is at stake (reports and workshop handouts show it)"
        ]
    return []
