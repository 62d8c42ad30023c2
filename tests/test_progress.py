"""Unattended runs (issue 21): progress lines on stderr when it is not a terminal, and
`run --workers` giving the numbers of one process."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from helpers import STAFF, invoke, short_fan
from rich.console import Console

from simcare.cli import console, progress_log
from simcare.cli.progress_log import PROGRESS_EVERY, ProgressLog, progress_seconds
from simcare.core.errors import ScenarioError
from simcare.experiments import execution, replicate
from simcare.experiments.replicate import run_replications
from simcare.scenario_file import load_scenario

DURATION = r"(\d+h \d+m|\d+m \d+s|\d+s)"
LINE = re.compile(
    r"^\S+: \S.* [\d,]+/[\d,]+ \(\d+%\)"
    rf"(, time left unknown|, [\d.,]+/(s|min), (about {DURATION} left|almost done))$"
)
LAST = re.compile(rf"^\S+: \S.* ([\d,]+)/([\d,]+) done in {DURATION}$")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_says_done_of_planned_the_rate_and_the_time_left() -> None:
    clock = Clock()
    log = ProgressLog("fan: runs", clock)
    assert log.line() == "fan: runs: starting"
    log.update(0, 400)
    assert log.line() == "fan: runs 0/400 (0%), time left unknown"
    clock.now += 30
    log.update(120, 400)
    assert log.line() == "fan: runs 120/400 (30%), 4.0/s, about 1m 10s left"
    clock.now += 3570
    log.update(1_000, 2_000)  # --target-ci: more planned as rounds are added
    assert log.line() == "fan: runs 1,000/2,000 (50%), 16.7/min, about 1h 0m left"
    assert LINE.match(log.line())
    clock.now += 3600
    log.update(2_000, 2_000)
    assert log.line() == "fan: runs 2,000/2,000 (100%), 16.7/min, almost done"
    assert log.last_line() == "fan: runs 2,000/2,000 done in 2h 0m"
    assert LAST.match(log.last_line())


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, 10.0), ("", 10.0), ("2.5", 2.5), (" 30 ", 30.0), ("0", None)]
)
def test_the_seconds_between_lines_come_from_the_environment(
    value: str | None, seconds: float | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv(PROGRESS_EVERY, raising=False)
    else:
        monkeypatch.setenv(PROGRESS_EVERY, value)
    assert progress_seconds(console.stderr) == seconds


@pytest.mark.parametrize("value", ["ten", "-1", "nan", "inf", "10s"])
def test_a_wrong_interval_is_a_usage_error_naming_the_variable(
    value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(PROGRESS_EVERY, value)
    with pytest.raises(typer.Exit) as raised:
        progress_seconds(console.stderr)
    assert raised.value.exit_code == 2
    result = invoke("run", "textbook_contact_centre", "-r", "2")
    assert result.exit_code == 2
    assert f"error: SIMCARE_PROGRESS_EVERY={value}: expected the seconds" in result.stderr
    assert result.stdout == ""  # refused before any work


def progress_lines(stderr: str) -> tuple[list[str], list[str]]:
    """The periodic lines and the last lines among a command's stderr."""
    lines = stderr.splitlines()
    return [x for x in lines if LINE.match(x)], [x for x in lines if LAST.match(x)]


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_without_a_terminal_progress_comes_as_lines_on_stderr(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Every millisecond: a job of a second or more prints lines whatever the machine's speed.
    monkeypatch.setenv(PROGRESS_EVERY, "0.001")
    fan = short_fan(tmp_path)
    args = {
        "run": ("run", fan, "-r", "6"),
        "compare": ("compare", fan, "-p", "delete,reply_public", "-r", "3", "-w", "1"),
        "sweep": ("sweep", fan, "--set", f"{STAFF}=1,2", "-p", "delete", "-r", "3", "-w", "1"),
    }[command]
    out = tmp_path / "out"
    result = invoke(*args, "-o", out)
    assert result.exit_code == 0, result.output
    lines, last = progress_lines(result.stderr)
    planned = [x for x in last if "points checked" in x]  # a sweep checks its points first
    assert len(planned) == (command == "sweep"), result.stderr
    last = [x for x in last if x not in planned]
    assert lines, result.stderr
    assert len(last) == 1, result.stderr
    assert LAST.match(last[0]).groups()[:2] == ("6", "6")  # each job is 6 simulations
    assert not progress_lines(result.stdout)[0]  # data on stdout stays clean


def test_no_progress_lines_when_the_interval_is_zero(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(PROGRESS_EVERY, "0")
    result = invoke("run", short_fan(tmp_path), "-r", "3")
    assert result.exit_code == 0, result.output
    assert progress_lines(result.stderr) == ([], [])


# --- run --workers ---


def test_run_on_two_workers_writes_the_files_of_one_process(tmp_path: Path) -> None:
    """Every replication's outcomes, hourly series and event log, byte for byte."""
    fan = short_fan(tmp_path)
    names = ("summary.csv", "replications.csv", "timeseries.csv", "events.csv")
    made = []
    for workers in ("1", "2"):
        out = tmp_path / f"run-{workers}"
        result = invoke("run", fan, "-r", "5", "--events", "-w", workers, "-o", out)
        assert result.exit_code == 0, result.output
        made.append({name: (out / name).read_bytes() for name in names})
    assert made[0] == made[1]
    assert len(made[0]["events.csv"].splitlines()) > 100  # it holds real contacts
    assert len(set(made[0]["replications.csv"].splitlines()[1:])) > 50  # and real numbers


def test_a_failing_replication_raises_its_own_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise ValueError("replication went wrong")

    monkeypatch.setattr(execution, "simulate_replication", fail)
    scenario = load_scenario("textbook_contact_centre")
    with pytest.raises(ValueError, match="replication went wrong"):
        run_replications(scenario, 3, 1)


def test_an_unknown_policy_is_refused_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replicate, "make_executor", None)  # nothing may start
    with pytest.raises(ScenarioError, match="unknown policy 'shout'"):
        run_replications(load_scenario("textbook_contact_centre"), 3, 1, policy="shout")


def test_a_progress_line_to_a_closed_stderr_is_dropped() -> None:
    """`simcare sweep ... 2>&1 | head -1`: the job goes on when the reader has gone."""
    closed = io.StringIO()
    closed.close()
    gone = Console(file=closed)
    assert progress_log._write_line(gone, "fan: runs 1/2 (50%)") is False
    with progress_log.progress_lines("fan: runs", 0.001, gone) as update:
        update(1, 2)  # no exception, here or from the thread


def test_run_replications_reports_progress_from_zero(tmp_path: Path) -> None:
    seen: list[int] = []
    run_replications(load_scenario(short_fan(tmp_path, days=2)), 3, 1, on_progress=seen.append)
    assert seen == [0, 1, 2, 3]


def test_a_large_sweep_shows_its_points_being_checked(tmp_path: Path) -> None:
    # The re-attack waited 66 s in silence while 10,000 Latin-hypercube points were checked.
    done = subprocess.run(
        [sys.executable, "-m", "simcare", "sweep", "loyal_fan_deleted_post", "--design", "lhs",
         "--samples", "1000", "--set", "teams.social_desk.shifts.0.agents=1:5",
         "--max-complaints", "1", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SIMCARE_PROGRESS_EVERY": "0.001"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # refused after planning: too much work
    assert "loyal_fan_deleted_post: points checked 1,000/1,000 done in" in done.stderr
