"""`simcare outcomes`: every outcome key, with its label and unit (for --outcomes and the like)."""

from __future__ import annotations

from simcare.cli.console import stdout


def outcomes_command() -> None:
    """List every outcome key with its label and unit, for --outcomes and --target-outcome.

    Example: simcare outcomes
    """
    from rich.table import Table
    from rich.text import Text

    from simcare.metrics import OUTCOMES

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Key", no_wrap=True)
    table.add_column("Unit", no_wrap=True)
    table.add_column("Label")
    for key, spec in OUTCOMES.items():
        table.add_row(key, spec.unit.value, Text(spec.label))
    stdout.print(table)
    stdout.print(
        "Use them as: simcare compare CASE --outcomes complainant_churn_rate,net_value",
        markup=False,
        highlight=False,
    )
