"""Faults end cleanly: a clear message and exit code, finished results intact, resumable.

An output folder that is not writable, a full disk, a worker process killed, Ctrl-C. Root runs
the tests here, so permissions cannot stop a write: a read-only folder and a full disk are
simulated by patching the calls that write (`Unwritable`, `Disk`). Worker deaths and Ctrl-C use
real processes.
"""

from __future__ import annotations

import builtins
import errno
import io
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from helpers import STAFF, gone, invoke, short_fan, team_file, workers

from simcare.core.errors import ScenarioError
from simcare.experiments import execution
from simcare.experiments.execution import (
    MAX_RESTARTS,
    ProcessExecutor,
    Task,
    WorkerDiedError,
    describe_error,
)
from simcare.results import write as output
from simcare.scenario_file import load_scenario

FINAL = ("points.csv", "replications.csv", "summary.csv")
SIMCARE = [sys.executable, "-m", "simcare"]
SWEEP = [
    "--set", f"{STAFF}=1:4:1", "--set", "behaviour.persistence=0.3,0.6",
    "-p", "delete,reply_public", "-r", "4",
]  # fmt: skip
"""8 points × 2 policies × 4 replications: about a second in one process."""
COMPARE = ["-p", "delete,reply_public", "-r", "40"]

real_open = builtins.open
real_os_open = os.open
real_mkdir = os.mkdir
real_replace = os.replace
real_rename = os.rename
real_unlink = os.unlink
real_rmdir = os.rmdir


def _inside(path: Any, root: Path) -> bool:
    if not isinstance(path, str | bytes | os.PathLike):
        return False  # a file descriptor
    return Path(os.fsdecode(path)).absolute().is_relative_to(root)


def _writes(mode: str) -> bool:
    return any(flag in mode for flag in "wax+")


class Unwritable:
    """Every write under ``root`` is refused (PermissionError), as in a read-only folder."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.root = root.absolute()

        def refuse(path: Any) -> None:
            if _inside(path, self.root):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
            if _writes(mode):
                refuse(file)
            return real_open(file, mode, *args, **kwargs)

        def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                refuse(path)
            return real_os_open(path, flags, *args, **kwargs)

        def one(real: Callable[..., Any], makes: bool) -> Callable[..., Any]:
            def patched(path: Any, *args: Any, **kwargs: Any) -> Any:
                if os.path.lexists(path) != makes:  # else the same error as on a real disk
                    refuse(path)
                return real(path, *args, **kwargs)

            return patched

        def two(real: Callable[..., Any]) -> Callable[..., Any]:
            def patched(source: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
                refuse(source)
                refuse(target)
                return real(source, target, *args, **kwargs)

            return patched

        monkeypatch.setattr(builtins, "open", open_)
        monkeypatch.setattr(io, "open", open_)  # what Path.open calls
        monkeypatch.setattr(os, "open", os_open)
        monkeypatch.setattr(os, "mkdir", one(real_mkdir, makes=True))
        for name, real in (("unlink", real_unlink), ("remove", real_unlink), ("rmdir", real_rmdir)):
            monkeypatch.setattr(os, name, one(real, makes=False))
        monkeypatch.setattr(os, "replace", two(real_replace))
        monkeypatch.setattr(os, "rename", two(real_rename))


class Disk:
    """The disk under ``root`` has ``free`` bytes left: a write past them fails with ENOSPC.

    Like a real full disk, a write takes what still fits before it fails; files can still be
    created, renamed and removed. Set ``free`` again to give the space back.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path, free: float) -> None:
        self.root = root.absolute()
        self.free = free
        self.refused = 0

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
            handle = real_open(file, mode, *args, **kwargs)
            if _writes(mode) and _inside(file, self.root):
                return _Filling(handle, self)  # type: ignore[return-value]
            return handle

        monkeypatch.setattr(builtins, "open", open_)
        monkeypatch.setattr(io, "open", open_)

    def take(self, size: int) -> int:
        """Use up to ``size`` bytes; return how many fit."""
        fits = int(min(size, self.free))
        self.free -= fits
        return fits


class _Filling:
    """A file on a `Disk`: its writes use up the disk's space."""

    def __init__(self, handle: IO[Any], disk: Disk) -> None:
        self._handle = handle
        self._disk = disk

    def write(self, data: Any) -> int:
        size = len(data.encode("utf-8") if isinstance(data, str) else bytes(data))
        fits = self._disk.take(size)
        if fits < size:
            self._handle.write(data[:fits])  # as much as the disk takes, then the error
            self._disk.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._handle.close()


def temporaries(folder: Path) -> list[Path]:
    """Files left under a temporary name (what a write that did not finish uses)."""
    return sorted(p for p in folder.rglob("*") if p.name.endswith(".partial"))


def contents(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything is simulated (a refusal must come before the work)."""

    def simulate(*args: object) -> None:
        raise AssertionError("simulated before refusing the output folder")

    monkeypatch.setattr(execution, "simulate_outcomes", simulate)
    monkeypatch.setattr(execution, "simulate_replication", simulate)


@pytest.fixture(scope="module")
def fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"), days=3)


@pytest.fixture(scope="module")
def whole_sweep(fan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sweep run without a fault (in this process): what every faulty one must end as."""
    out = tmp_path_factory.mktemp("whole") / "sweep"
    result = invoke("sweep", fan, *SWEEP, "-w", "1", "-o", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def finished_run(fan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "run"
    assert invoke("run", fan, "-r", "2", "-o", out).exit_code == 0
    return out


def same_final_files(folder: Path, whole: Path) -> None:
    for name in FINAL:
        assert (folder / name).read_bytes() == (whole / name).read_bytes(), name


# --- an output folder that is not writable ---


@pytest.mark.parametrize(
    "command",
    ["run", "compare", "sweep", "resume", "workshop", "debrief", "report", "plot"],
)
def test_an_unwritable_folder_is_refused_before_any_work_exit_3(
    command: str,
    fan: Path,
    whole_sweep: Path,
    finished_run: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked = tmp_path / "locked"
    if command == "resume":  # an unfinished sweep, in a folder that became read-only
        shutil.copytree(whole_sweep, locked)
        for name in (*FINAL, "manifest.json", "parts/point-0005.csv"):
            (locked / name).unlink()
    elif command in ("report", "plot"):
        shutil.copytree(finished_run, locked)
    else:
        locked.mkdir()
    team = team_file(tmp_path, "team-1.toml", "Clean Wall", "delete")
    args = {
        "run": ("run", fan, "-r", "2", "-o", locked / "run"),
        "compare": ("compare", fan, *COMPARE, "-w", "1", "-o", locked / "compare"),
        "sweep": ("sweep", fan, *SWEEP, "-w", "1", "-o", locked / "sweep"),
        "resume": ("sweep", "--resume", locked, "-w", "1"),
        "workshop": ("workshop", fan, "-o", locked / "ws"),
        "debrief": (
            "workshop",
            "debrief",
            fan,
            team,
            "-r",
            "2",
            "-w",
            "1",
            "-o",
            locked / "d.html",
        ),
        "report": ("report", locked),
        "plot": ("plot", locked),
    }[command]
    before = contents(locked)
    Unwritable(monkeypatch, locked)
    no_simulation(monkeypatch)
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    assert str(locked) in result.stderr
    assert "Permission denied" in result.stderr
    assert "not writable: make it writable, or write somewhere else" in result.stderr
    monkeypatch.undo()
    assert contents(locked) == before  # nothing written, nothing removed
    assert not temporaries(tmp_path)


# --- one file: written whole, or not at all ---


@pytest.mark.parametrize("fault", ["refused", "disk full", "rename refused", "Ctrl-C"])
def test_a_file_is_replaced_whole_or_left_as_it_was(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "summary.csv"
    path.write_text("the old, complete file\n", encoding="utf-8")
    if fault == "refused":
        Unwritable(monkeypatch, tmp_path)
    elif fault == "disk full":
        Disk(monkeypatch, tmp_path, free=10)
    elif fault == "rename refused":

        def replace(source: Any, target: Any) -> None:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), os.fsdecode(target))

        monkeypatch.setattr(os, "replace", replace)

    def write() -> None:
        with output.atomic_text(path) as handle:
            handle.write("a new file, longer than the space left on the disk\n")
            if fault == "Ctrl-C":
                raise KeyboardInterrupt

    expected = KeyboardInterrupt if fault == "Ctrl-C" else output.OutputError
    with pytest.raises(expected) as raised:
        write()
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "the old, complete file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]  # no temporary
    if fault != "Ctrl-C":
        assert str(raised.value).startswith(f"{path}: cannot write: ")


# --- a full disk ---


@pytest.mark.parametrize(
    ("command", "first", "second"),
    [
        ("run", "summary.csv", "summary.json"),
        ("compare", "comparison.csv", "comparison.json"),
    ],
)
def test_a_full_disk_keeps_the_complete_files_and_no_half_written_one(
    command: str,
    first: str,
    second: str,
    fan: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = (
        ("compare", fan, *COMPARE, "-w", "1") if command == "compare" else ("run", fan, "-r", "3")
    )
    whole = tmp_path / "whole"
    assert invoke(*args, "-o", whole).exit_code == 0
    out = tmp_path / "out"
    half = len((whole / second).read_bytes()) // 2
    disk = Disk(monkeypatch, out, free=len((whole / first).read_bytes()) + half)
    result = invoke(*args, "-o", out)
    assert result.exit_code == 3, result.output
    assert disk.refused == 1
    assert f"{out / second}: cannot write: No space left on device" in result.stderr
    assert "the disk is full: free some space" in result.stderr
    assert "no manifest.json" in result.stderr
    assert "once this is fixed, run the command again with --force" in result.stderr
    left = contents(out)
    assert output.CLAIM in left  # simcare's claim on what it wrote: what lets --force replace it
    del left[output.CLAIM]
    assert left == {first: (whole / first).read_bytes()}  # complete, or not there
    assert not temporaries(tmp_path)

    disk.free = float("inf")  # space is back: the advice works
    result = invoke(*args, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    for name, text in contents(whole).items():
        if name != "manifest.json":
            assert (out / name).read_bytes() == text, name


def test_replacing_a_result_on_a_full_disk_does_not_leave_it_looking_finished(
    finished_run: Path, fan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    shutil.copytree(finished_run, out)
    Disk(monkeypatch, out, free=100)
    result = invoke("run", fan, "-r", "2", "-o", out, "--force")
    assert result.exit_code == 3
    assert "No space left on device" in result.stderr
    assert not (out / "manifest.json").exists()  # the old manifest no longer vouches for it
    assert not temporaries(out)


@pytest.mark.parametrize("where", ["a point", "the final files"])
def test_a_sweep_on_a_full_disk_keeps_its_points_and_resumes_to_the_same_files(
    where: str, fan: Path, whole_sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Room for the sweep's own files, and then for half a point, or half replications.csv.
    size = {name: len(text) for name, text in contents(whole_sweep).items()}
    prepared = size["scenario.toml"] + size["plan.json"]
    prepared += sum(n for name, n in size.items() if name.startswith("scenarios/"))
    if where == "a point":
        free = prepared + size["parts/point-0000.csv"] + size["parts/point-0001.csv"] // 2
        kept = ["point-0000.csv"]
    else:
        free = prepared + sum(n for name, n in size.items() if name.startswith("parts/"))
        free += size["replications.csv"] // 2
        kept = [f"point-{p:04d}.csv" for p in range(8)]
    out = tmp_path / "sweep"
    disk = Disk(monkeypatch, out, free)
    result = invoke("sweep", fan, *SWEEP, "-w", "1", "-o", out)
    assert result.exit_code == 3, result.output
    assert disk.refused == 1
    assert "No space left on device; the disk is full: free some space" in result.stderr
    assert "Finished points are kept: once this is fixed, finish the sweep with" in result.stderr
    assert f"simcare sweep --resume {out}" in result.stderr
    assert sorted(p.name for p in (out / "parts").iterdir()) == kept
    for name in kept:
        assert (out / "parts" / name).read_bytes() == (whole_sweep / "parts" / name).read_bytes()
    for name in (*FINAL, "manifest.json"):
        assert not (out / name).exists(), name
    assert not temporaries(tmp_path)

    disk.free = float("inf")
    stale = out / "parts" / ".point-0003.csv.partial"  # as a sweep killed by SIGKILL leaves
    stale.write_text("point,policy\n3,del", encoding="utf-8")
    result = invoke("sweep", "--resume", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert already_done(len(kept)) in result.stderr
    same_final_files(out, whole_sweep)
    assert not temporaries(out)


@pytest.mark.parametrize("command", ["plot", "report", "workshop", "debrief"])
def test_pages_and_charts_on_a_full_disk_exit_3_leaving_no_half_written_file(
    command: str, fan: Path, finished_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "run"
    shutil.copytree(finished_run, folder)
    team = team_file(tmp_path, "team-1.toml", "Clean Wall", "delete")
    args, target = {
        "plot": (("plot", folder, "-f", "svg"), folder / "plots"),
        "report": (("report", folder), folder / "report.html"),
        "workshop": (("workshop", fan, "-o", tmp_path / "ws"), tmp_path / "ws" / "handout.html"),
        "debrief": (
            ("workshop", "debrief", fan, team, "-r", "2", "-w", "1", "-o", tmp_path / "d.html"),
            tmp_path / "d.html",
        ),
    }[command]
    before = contents(folder)
    Disk(monkeypatch, tmp_path, free=1000)
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    assert "No space left on device; the disk is full: free some space" in result.stderr
    assert str(target) in result.stderr
    assert not temporaries(tmp_path)
    if command == "plot":
        assert not any(target.iterdir())
    else:
        assert not target.exists()
    assert contents(folder) == before


# --- a worker process that dies ---


class KillsItsWorker:
    """A task's scenario that kills the worker process unpickling it (as the OOM killer would)."""

    def __reduce__(self) -> tuple[Callable[[int], object], tuple[int]]:
        return os._exit, (9,)


@pytest.mark.slow
def test_a_task_that_kills_every_worker_fails_after_two_replacements_the_others_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scenario = load_scenario("textbook_contact_centre")
    deadly = Task(0, KillsItsWorker(), "none", 1, 0, 1)  # type: ignore[arg-type]
    good = [Task(1, scenario, scenario.run.policy, 1, r, 1) for r in range(3)]
    with ProcessExecutor(2) as executor:
        for task in [deadly, *good]:
            executor.submit(task)
        finished = {
            (task.point, task.first): result
            for task, result in (executor.next_finished() for _ in range(4))
        }
        assert executor.restarts == MAX_RESTARTS
    for task in good:
        result = finished[(task.point, task.first)]
        assert isinstance(result, list), result
        assert len(result) == 1
    error = finished[(deadly.point, deadly.first)]
    assert isinstance(error, WorkerDiedError)
    assert describe_error(error) == (
        "WorkerDiedError: a worker process died running this task (killed, or out of memory?); "
        f"{MAX_RESTARTS} had died before"
    )
    died = [r.getMessage() for r in caplog.records if "worker process died" in r.getMessage()]
    assert len(died) == MAX_RESTARTS


@pytest.mark.slow
def test_an_error_in_a_worker_comes_back_with_the_workers_traceback() -> None:
    scenario = load_scenario("textbook_contact_centre")
    with ProcessExecutor(1) as executor:
        executor.submit(Task(0, scenario, "no_such_policy", 1, 0, 1))
        _, error = executor.next_finished()
    assert isinstance(error, ScenarioError)  # the worker's own error, unpickled here
    text = describe_error(error)
    assert "in run_task" in text  # the worker's side of the story
    assert text.splitlines()[-1] == f"simcare.core.errors.ScenarioError: {error}"


def start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SIMCARE, *map(str, args)],
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(process: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, "it finished before the fault"
        assert time.monotonic() < deadline, "it never got there"
        time.sleep(0.01)


def parts_done(folder: Path, count: int) -> Callable[[], bool]:
    return lambda: len(list((folder / "parts").glob("point-*.csv"))) >= count


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_sweep_finishes_on_its_own(
    fan: Path, whole_sweep: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    process = start("sweep", fan, *SWEEP, "-w", "2", "-o", out)
    wait_until(process, parts_done(out, 2))
    done = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("point-*.csv")}
    os.kill(workers(process.pid)[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "a worker process died (killed, or out of memory?); starting a new one" in stderr
    assert "Traceback" not in stderr
    for name, mtime in done.items():  # finished points were kept, not run again
        assert (out / "parts" / name).stat().st_mtime_ns == mtime
    same_final_files(out, whole_sweep)


@pytest.mark.slow
def test_a_sweep_whose_workers_cannot_be_replaced_keeps_its_points_for_resume(
    fan: Path, whole_sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execution, "MAX_RESTARTS", 0)  # as when the new workers die too
    out = tmp_path / "sweep"
    killed: list[int] = []

    def kill_a_worker() -> None:
        deadline = time.monotonic() + 60
        while not parts_done(out, 2)() and time.monotonic() < deadline:
            time.sleep(0.01)
        pool = [p for p in multiprocessing.active_children() if p.pid]
        if pool:
            killed.append(pool[0].pid)
            os.kill(pool[0].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    result = invoke("sweep", fan, *SWEEP, "-w", "2", "-o", out)
    killer.join()
    assert killed, "the sweep finished before a worker could be killed"
    assert result.exit_code == 4, result.output
    assert "1 point failed" in result.stderr  # the point of the task it was running
    assert "WorkerDiedError: a worker process died running this task" in result.stderr
    assert f"simcare sweep --resume {out}" in result.stderr
    done = sorted(p.name for p in (out / "parts").glob("point-*.csv"))
    assert len(done) == 7  # the other worker went on with the others

    result = invoke("sweep", "--resume", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert already_done(len(done)) in result.stderr
    same_final_files(out, whole_sweep)


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_the_comparison_finishes_on_its_own(
    fan: Path, tmp_path: Path
) -> None:
    whole = tmp_path / "whole"
    assert invoke("compare", fan, *COMPARE, "-w", "1", "-o", whole).exit_code == 0
    out = tmp_path / "compare"
    process = start("compare", fan, *COMPARE, "-w", "2", "-o", out)
    wait_until(process, lambda: len(workers(process.pid)) == 2)
    # Kill at once: each worker was handed a task as it started, and since the speed-up the
    # whole comparison takes about a second, so waiting could miss it.
    os.kill(workers(process.pid)[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "a worker process died" in stderr
    for name in ("comparison.csv", "replications.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


# --- Ctrl-C ---


@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_and_its_workers_and_resume_finishes_it(
    fan: Path, whole_sweep: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    process = start("sweep", fan, *SWEEP, "-w", "2", "-o", out)
    wait_until(process, parts_done(out, 2))
    pool = workers(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"interrupted; finished points are kept: simcare sweep --resume {out}" in stderr
    assert "Traceback" not in stderr
    assert gone(pool), "worker processes were left running"
    assert not temporaries(out)
    assert not (out / "manifest.json").exists()
    done = sorted(p.name for p in (out / "parts").glob("point-*.csv"))
    for name in done:
        assert (out / "parts" / name).read_bytes() == (whole_sweep / "parts" / name).read_bytes()

    result = invoke("sweep", "--resume", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert already_done(len(done)) in result.stderr
    same_final_files(out, whole_sweep)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["workers starting", "workers running"])
def test_ctrl_c_stops_a_comparison_and_its_workers_writing_nothing(
    moment: str, fan: Path, tmp_path: Path
) -> None:
    out = tmp_path / "compare"
    # Enough work to be still simulating after a second (it is stopped then anyway).
    process = start("compare", fan, "-p", "delete,reply_public", "-r", "500", "-w", "2", "-o", out)
    wait_until(process, lambda: len(workers(process.pid)) == 2)
    # While they import simcare, a worker that saw Ctrl-C used to print a traceback and die.
    time.sleep(0.1 if moment == "workers starting" else 1.0)
    pool = workers(process.pid)
    assert process.poll() is None, "it finished before Ctrl-C"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted; nothing was written" in stderr
    assert "Traceback" not in stderr
    assert gone(pool), "worker processes were left running"
    assert not out.exists()


def test_ctrl_c_before_a_sweep_starts_says_nothing_was_written(
    fan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("simcare.experiments.sweep.plan_sweep", interrupted)
    result = invoke("sweep", fan, *SWEEP, "-o", tmp_path / "sweep")
    assert result.exit_code == 130
    assert "interrupted before the sweep started; nothing was written" in result.stderr
    assert not (tmp_path / "sweep").exists()


def test_ctrl_c_while_a_comparison_is_written_says_the_folder_is_unfinished(
    fan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = output.write_atomic
    calls = iter(range(100))

    def write_atomic(path: Path, text: str) -> None:
        if next(calls) == 2:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(output, "write_atomic", write_atomic)
    out = tmp_path / "compare"
    result = invoke("compare", fan, "-p", "delete,reply_public", "-r", "2", "-w", "1", "-o", out)
    assert result.exit_code == 130
    assert f"interrupted while writing {out}" in result.stderr
    assert "no manifest.json" in result.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == [output.CLAIM, "comparison.csv", "comparison.json"]  # CLAIM: for --force


@pytest.fixture(autouse=True)
def _no_leftover_probe(tmp_path: Path) -> Iterator[None]:
    """The writability probe never stays behind."""
    yield
    assert not list(tmp_path.rglob(".simcare-probe-*"))


def already_done(points: int) -> str:
    """What a resumed sweep says of the points it keeps."""
    return f"{points} point{'s' * (points != 1)} already done"
