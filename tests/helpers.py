"""Helpers shared by the test modules (imported as ``from helpers import ...``)."""

from __future__ import annotations

import time
from contextlib import suppress
from pathlib import Path

import tomli_w
from typer.testing import CliRunner, Result

from simcare.cli import app
from simcare.experiments.design import apply_point
from simcare.scenario_file import load_scenario_data

FAN = "loyal_fan_deleted_post"
STAFF = "teams.social_desk.shifts.0.agents"
"""The loyal fan's social desk's staffing: the key most tests sweep or set."""


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    # No Python traceback for anything a user can type, ever.
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def short_fan(folder: Path, days: int = 4, commenters: bool = True) -> Path:
    """The loyal-fan case cut to a few days, so that tests run in seconds.

    Without ``commenters``, the customers with her problem who come forward on seeing the
    unanswered posts ([contagion]) stay silent: every policy then has the same journeys.
    """
    data, _, _ = load_scenario_data(FAN)
    data = apply_point(data, {"run.duration": f"{days}d", "run.warmup": "1d"})
    if not commenters:
        del data["contagion"]
    path = folder / "short_fan.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def team_file(
    folder: Path,
    name: str,
    team: str,
    policy: str,
    levers: dict[str, int] | None = None,
    extra: str = "",
) -> Path:
    """A decision file as a team would fill it in (quoted dotted keys)."""
    lines = [f"team = {team!r}".replace("'", '"'), f'policy = "{policy}"', extra, "[levers]"]
    lines += [f'"{key}" = {value}' for key, value in (levers or {}).items()]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children(pid: int) -> list[int]:
    """The child processes of a process."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):  # the thread ended
            found += [int(child) for child in (task / "children").read_text().split()]
    return found


def workers(pid: int) -> list[int]:
    """The worker processes of a process's local pool (forked from its forkserver, or spawned)."""
    found = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                found.append(child)
            elif b"forkserver" in cmdline:
                found += children(child)
        except OSError:
            pass  # it ended
    return found


def gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
