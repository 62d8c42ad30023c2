"""A result folder's scenario file read back as plain data: its title, currency, teaching text.

simcare wrote the file, but a folder can be edited or crafted: it is read behind the same size
limit and TOML guards as any scenario file (nesting, key length, control characters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simcare.core.errors import Problem, ScenarioError
from simcare.scenario_file import MAX_FILE_BYTES, TextFileError, parse_toml, read_text_file

__all__ = ["Case", "read_case", "scenario_data"]


def scenario_data(path: Path) -> dict[str, Any] | None:
    """A scenario file's TOML data, not validated as a scenario (None if there is no file).

    Raises:
        ScenarioError: too large, not UTF-8 text, or TOML the guards refuse (naming the file).
    """
    try:
        text = read_text_file(path, MAX_FILE_BYTES, "a scenario .toml file")
    except FileNotFoundError:
        return None
    except TextFileError as error:
        raise ScenarioError(Problem("", f"cannot read: {error}"), str(path)) from None
    return parse_toml(text, str(path))


@dataclass(frozen=True, slots=True)
class Case:
    """The teaching text of a scenario file (all of it may be empty)."""

    name: str = ""
    title: str = ""
    briefing: str = ""
    questions: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)


def read_case(path: Path) -> Case:
    """Read the title, briefing, questions and sources of a scenario file, as text.

    Only strings are taken; the file is not validated again (simcare wrote it), and a missing or
    unreadable file (or one the guards refuse) gives an empty case, so a report can still be
    made.
    """
    try:
        data = scenario_data(path)
    except ScenarioError:
        return Case()
    if data is None:
        return Case()
    teaching = data.get("teaching")
    teaching = teaching if isinstance(teaching, dict) else {}
    questions = teaching.get("questions")
    sources = data.get("sources")
    return Case(
        name=_text(data.get("name")),
        title=_text(data.get("title")),
        briefing=_text(teaching.get("briefing")),
        questions=tuple(q for q in questions if isinstance(q, str))
        if isinstance(questions, list)
        else (),
        sources={str(k): v for k, v in sources.items() if isinstance(v, str)}
        if isinstance(sources, dict)
        else {},
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
