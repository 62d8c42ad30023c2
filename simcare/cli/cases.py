"""`simcare cases`: the built-in cases, one line each."""

from __future__ import annotations

import textwrap

from simcare.cli.console import layout_width, stdout
from simcare.core.errors import ScenarioError

_NAME_WIDTH = 32


def cases_command() -> None:
    """List the built-in cases, one line each.

    Example: simcare cases
    """
    from simcare.scenario_file import builtin_scenarios, load_scenario

    width = layout_width()
    for name, path in builtin_scenarios().items():
        try:
            title = load_scenario(path).title
        except ScenarioError:
            title = "(does not load: run `simcare validate` on it)"
        line = f"{name:<{_NAME_WIDTH}} {title}"
        if width is not None and len(line) > width:
            # Narrow: the title wraps at words under itself, never into the names' column.
            indent = " " * (_NAME_WIDTH + 1)
            line = textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False)
        stdout.print(line, markup=False, highlight=False, soft_wrap=True)
