"""`simcare outcomes`: every outcome key, with its unit and label (for --outcomes and the like)."""

from __future__ import annotations

import textwrap

from simcare.cli.console import stdout

_LEAST_LABEL_WIDTH = 20
"""A label is wrapped to the terminal's width, but never narrower than this."""


def outcomes_command() -> None:
    """List every outcome key with its unit and label, for --outcomes and --target-outcome.

    Example: simcare outcomes
    """
    from simcare.metrics import OUTCOMES

    rows = [("Key", "Unit", "Label")]
    rows += [(key, spec.unit.value, spec.label) for key, spec in OUTCOMES.items()]
    key_width = max(len(key) for key, _, _ in rows)
    unit_width = max(len(unit) for _, unit, _ in rows)
    indent = " " * (key_width + unit_width + 4)
    # Wrapped under its own column on a narrow terminal; piped, the console is wide enough.
    label_width = max(_LEAST_LABEL_WIDTH, stdout.width - len(indent))
    for key, unit, label in rows:
        first, *rest = textwrap.wrap(label, label_width)
        lines = [f"{key:<{key_width}}  {unit:<{unit_width}}  {first}"]
        lines += [indent + line for line in rest]
        stdout.print("\n".join(lines), markup=False, highlight=False)
    stdout.print(
        "\nUse them as: simcare compare CASE --outcomes complainant_churn_rate,net_value",
        markup=False,
        highlight=False,
    )
