"""The decision file written for each team: the case's values, with comments on every choice."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from simcare.metrics import Unit
from simcare.reports.format import format_value
from simcare.workshop.case import Lever, Workshop
from simcare.workshop.decisions import CONTROL_CHARACTERS, MAX_TEAM_NAME

__all__ = ["template_text", "toml_value"]


def _lever_cost(lever: Lever, currency: str) -> str:
    """What one agent on a lever's shift costs, in words."""
    text = f"One agent here is on duty {lever.hours_per_week:g} h a week"
    if lever.shrinkage:
        text += (
            f", paid {lever.paid_hours_per_week:.3g} h "
            f"(breaks and training take {lever.shrinkage:.0%})"
        )
    return (
        f"{text}: {format_value(lever.weekly_cost, Unit.MONEY, currency)} a week at "
        f"{format_value(lever.cost_per_hour, Unit.MONEY, currency)} per paid hour"
    )


def _toml_string(text: str) -> str:
    """A TOML basic string (a JSON string is one, once DEL is escaped)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any) -> str:
    """A lever's value as TOML writes it: 2, 0.5, true, "09:00-17:00"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _toml_string(str(value))


def _comment(text: str, indent: str = "# ", hang: str = "") -> list[str]:
    """Text as TOML comment lines (a control character would end a comment: made a space)."""
    return textwrap.wrap(
        CONTROL_CHARACTERS.sub(" ", text),
        width=96,
        initial_indent=indent,
        subsequent_indent=indent + hang,
    )


def template_text(workshop: Workshop, number: int) -> str:
    """Team ``number``'s decision file: the case's values, with comments on every choice."""
    scenario = workshop.scenario
    width = max(len(_toml_string(p)) for p in workshop.policies)
    lines = [
        *_comment(f"Workshop decisions — {workshop.title}"),
        *_comment(
            f"Case: {scenario.name}. Edit the values below, save, and hand this file to your "
            "teacher."
        ),
        "# Text goes in double quotes; lines starting with # are comments.",
        "",
        f"# Your team's name, as the debrief will show it (at most {MAX_TEAM_NAME} characters).",
        f"team = {_toml_string(f'Team {number}')}",
        "",
        "# Your response policy: what the brand does with a complaint. One of:",
    ]
    for name in workshop.policies:
        lines += _comment(
            f"{_toml_string(name):<{width}}  {workshop.policy_description(name)}",
            "#   ",
            " " * (width + 2),
        )
    now = "what the brand does now" if workshop.status_quo == scenario.run.policy else "a start"
    lines += [f"policy = {_toml_string(workshop.status_quo)}   # {now}", ""]
    lines += _comment(
        "In a sentence or two: why these choices? The debrief shows it beside your results."
    )
    lines += ['reasoning = ""', ""]
    if workshop.levers:
        lines += [
            "[levers]",
            "# Each value below is the case's as it stands; a lever you delete keeps it.",
        ]
        currency = scenario.currency
        for lever in workshop.levers:
            lines.append("")
            lines += _comment(f"{lever.description}: {lever.allowed}.")
            if lever.agents:
                lines += _comment(f"{_lever_cost(lever, currency)}.")
            if lever.current is None:  # TOML has no "default": the line is left to uncomment
                example = lever.choices[0] if lever.choices else lever.low
                lines.append("# The case leaves it at its default; to set it, remove the # below.")
                lines.append(f"# {_toml_string(lever.key)} = {toml_value(example)}")
            else:
                lines.append(f"{_toml_string(lever.key)} = {toml_value(lever.current)}")
    return "\n".join(lines) + "\n"
