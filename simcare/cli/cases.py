"""`simcare cases`: the built-in cases, one line each."""

from __future__ import annotations

from simcare.cli.console import stdout
from simcare.core.errors import ScenarioError


def cases_command() -> None:
    """List the built-in cases, one line each.

    Example: simcare cases
    """
    from simcare.scenario_file import builtin_scenarios, load_scenario

    for name, path in builtin_scenarios().items():
        try:
            title = load_scenario(path).title
        except ScenarioError:
            title = "(does not load: run `simcare validate` on it)"
        stdout.print(f"{name:<32} {title}", markup=False, highlight=False)
