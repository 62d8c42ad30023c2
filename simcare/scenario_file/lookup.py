"""Finding and loading scenario files: paths, built-in cases by name, and "did you mean ...?".

`load_scenario` takes a path or a built-in case's name; every way a file can fail to load
becomes a `ScenarioError` naming the file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from simcare.core.errors import Problem, ScenarioError, closest, did_you_mean
from simcare.scenario import Scenario
from simcare.scenario_file.document import scenario_from_dict
from simcare.scenario_file.guards import MAX_FILE_BYTES, TextFileError, parse_toml, read_text_file


def _parse_scenario(text: str, source: str) -> dict[str, Any]:
    """Parse scenario TOML text into raw data; errors name ``source`` as the file."""
    if not text.removeprefix("\ufeff").strip():
        raise ScenarioError(
            Problem(
                "", "the file is empty; a scenario needs at least [problems] and [channels.NAME]"
            ),
            source,
        )
    return parse_toml(text, source)


def _default_name(source: str) -> str:
    """The name of a scenario whose file gives none: the file's stem."""
    return Path(source).stem if source != "<string>" else "scenario"


def _scenario_at(data: dict[str, Any], source: str, default_name: str) -> Scenario:
    """`scenario_from_dict`, with every problem naming ``source`` as the file."""
    try:
        return scenario_from_dict(data, default_name=default_name)
    except ScenarioError as error:
        raise ScenarioError(list(error.problems), source) from None


def loads_scenario(text: str, source: str = "<string>") -> Scenario:
    """Parse scenario TOML text. Errors name ``source`` as the file."""
    return _scenario_at(_parse_scenario(text, source), source, _default_name(source))


def builtin_scenarios() -> dict[str, Path]:
    """Return the built-in cases by name: installed with the package, or beside it in a checkout."""
    candidates = [
        Path(str(resources.files("simcare"))) / "scenarios",
        Path(__file__).resolve().parents[2] / "scenarios",
    ]
    for folder in candidates:
        if folder.is_dir():
            return {path.stem: path for path in sorted(folder.glob("*.toml"))}
    return {}


def read_scenario_text(path: Path) -> str:
    """Read a scenario file's text, turning every way it can fail into a `ScenarioError`."""
    try:
        return read_text_file(path, MAX_FILE_BYTES, "a scenario .toml file")
    except FileNotFoundError:
        close = closest(path.stem, list(builtin_scenarios())) if len(path.parts) == 1 else None
        hint = f"; did you mean the built-in case {close!r}?" if close else ""
        raise ScenarioError(Problem("", f"no such file{hint}"), str(path)) from None
    except TextFileError as error:
        raise ScenarioError(Problem("", str(error)), str(path)) from None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL character
        return False


def _scenario_path(source: str | Path) -> Path:
    """The file a scenario source names: a path, or a built-in case by name."""
    path = Path(source)
    builtins = builtin_scenarios()
    if not _exists(path) and isinstance(source, str) and source in builtins:
        return builtins[source]
    if not _exists(path) and path.suffix != ".toml" and len(path.parts) == 1:
        hint = did_you_mean(str(source), list(builtins))
        raise ScenarioError(
            Problem(
                "",
                f"no such file or built-in case; built-in cases: {', '.join(builtins)}{hint}",
            ),
            str(source),
        )
    return path


def load_scenario_data(source: str | Path) -> tuple[dict[str, Any], str, str]:
    """Read a scenario file's raw TOML data, before any checks (for sweeps that change keys).

    Args:
        source: a TOML file, or a built-in case by name (as for `load_scenario`).

    Returns:
        The raw data, the file's path as text for messages, and the default scenario name.

    Raises:
        ScenarioError: the file is missing, unreadable or not TOML.
    """
    path = _scenario_path(source)
    where = str(path)
    return _parse_scenario(read_scenario_text(path), where), where, _default_name(where)


def load_scenario(source: str | Path) -> Scenario:
    """Load a scenario from a TOML file, or a built-in case by name (see `builtin_scenarios`).

    Raises:
        ScenarioError: the file is missing, unreadable or invalid; every problem is listed.
    """
    return _scenario_at(*load_scenario_data(source))
