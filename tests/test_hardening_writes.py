"""Issue 23, writes and terminal text: simcare never writes through a link or over a file it did
not write, every path and name it prints is escaped, a bad --scheduler ends quietly, and a
resumed sweep makes its parts/ again."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import Result
from helpers import invoke, short_fan

from simcare.cli import console
from simcare.results.write import atomic_bytes, write_atomic

POSIX = pytest.mark.skipif(os.name != "posix", reason="links and named pipes as on POSIX")
TINY = """\
name = "tiny"
title = "Tiny"

[run]
duration = "1d"
warmup = "0s"

[problems]
rate = "20/h"

[channels.phone]
mode = "live"

[teams.desk]
channels = ["phone"]
agents = 2
handle_time.phone = { dist = "exponential", mean = "3min" }
"""
"""A small valid scenario: a day of it runs in a few milliseconds."""
WEIRD = "out\x1b[31m\nred"
"""A name holding an escape sequence and a line break: each must reach the terminal escaped."""
SHOWN = "out\\x1b[31m\\x0ared"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compare and a sweep of the tiny case, and the loyal fan cut to two days."""
    folder = tmp_path_factory.mktemp("made")
    tiny = folder / "tiny.toml"
    tiny.write_text(TINY, encoding="utf-8")
    short_fan(folder, days=2)
    for args in (
        ["compare", tiny, "-p", "ignore,reply_private", "-r", "2", "-w", "1"],
        ["sweep", tiny, "--set", "problems.rate=10/h,20/h", "-r", "2", "-w", "1"],
    ):
        assert invoke(*args, "-o", folder / args[0]).exit_code == 0, args
    return folder


def copy(made: Path, kind: str, to: Path) -> Path:
    shutil.copytree(made / kind, to, symlinks=True)
    return to


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def refused(result: Result, path: Path) -> None:
    """Exit 3, and the message starts with the path it refuses."""
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"error: {path}: "), result.stderr


# --- A. never through a link, never over a file simcare did not write ---


@POSIX
def test_charts_are_never_drawn_through_a_plots_link_in_a_result(
    made: Path, tmp_path: Path
) -> None:
    result = copy(made, "compare", tmp_path / "result")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (result / "plots").symlink_to(elsewhere)
    ran = invoke("plot", result, "-f", "svg")
    refused(ran, result / "plots")
    assert "never through a link" in ran.stderr
    assert list(elsewhere.iterdir()) == []


@POSIX
def test_resume_never_writes_through_a_parts_link(made: Path, tmp_path: Path) -> None:
    result = copy(made, "sweep", tmp_path / "result")
    (result / "manifest.json").unlink()
    elsewhere = tmp_path / "elsewhere"
    (result / "parts").rename(elsewhere)
    (elsewhere / "point-0001.csv").unlink()
    (result / "parts").symlink_to(elsewhere)
    before = files_in(elsewhere)
    ran = invoke("sweep", "--resume", result, "-w", "1")
    refused(ran, result / "parts")
    assert files_in(elsewhere) == before


def test_resume_makes_a_removed_parts_folder_again(made: Path, tmp_path: Path) -> None:
    """Was: exit 3, "parts/point-0000.csv: cannot write: No such file or directory"."""
    result = copy(made, "sweep", tmp_path / "result")
    (result / "manifest.json").unlink()
    shutil.rmtree(result / "parts")
    ran = invoke("sweep", "--resume", result, "-w", "1")
    assert ran.exit_code == 0, ran.output
    for name in ("summary.csv", "replications.csv", "points.csv"):
        assert (result / name).read_bytes() == (made / "sweep" / name).read_bytes(), name
    assert sorted(p.name for p in (result / "parts").iterdir()) == [
        "point-0000.csv",
        "point-0001.csv",
    ]


@POSIX
def test_a_temporary_file_planted_as_a_link_is_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep", encoding="utf-8")
    folder = tmp_path / "result"
    folder.mkdir()
    (folder / ".summary.csv.partial").symlink_to(victim)
    (folder / ".chart.png.partial").symlink_to(victim)
    write_atomic(folder / "summary.csv", "new")
    with atomic_bytes(folder / "chart.png") as handle:
        handle.write(b"png")
    assert victim.read_text(encoding="utf-8") == "keep"
    assert (folder / "summary.csv").read_text(encoding="utf-8") == "new"
    assert (folder / "chart.png").read_bytes() == b"png"
    assert sorted(p.name for p in folder.iterdir()) == ["chart.png", "summary.csv"]


@POSIX
def test_force_keeps_a_link_put_where_a_listed_file_was(made: Path, tmp_path: Path) -> None:
    """A manifest lists comparison.csv, but a link of the user's stands there now: not
    simcare's (it wrote a regular file), so --force refuses and keeps it."""
    result = copy(made, "compare", tmp_path / "result")
    victim = tmp_path / "victim.csv"
    victim.write_text("keep", encoding="utf-8")
    (result / "comparison.csv").unlink()
    (result / "comparison.csv").symlink_to(victim)
    ran = invoke(
        "compare", made / "tiny.toml", "-p", "ignore,reply_private", "-r", "2", "-w", "1",
        "-o", result, "--force",
    )  # fmt: skip
    refused(ran, result / "comparison.csv")
    assert (result / "comparison.csv").is_symlink()
    assert victim.read_text(encoding="utf-8") == "keep"


def test_plot_never_replaces_a_file_it_did_not_draw(made: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "comparison.svg").write_text("mine", encoding="utf-8")
    ran = invoke("plot", made / "compare", "-o", mine, "-f", "svg")
    refused(ran, mine / "comparison.svg")
    assert files_in(mine) == {"comparison.svg": b"mine"}  # refused before drawing any
    # In a result's own plots/, a file its manifest does not list is not simcare's either.
    result = copy(made, "compare", tmp_path / "result")
    (result / "plots").mkdir()
    (result / "plots" / "comparison.svg").write_text("mine", encoding="utf-8")
    refused(invoke("plot", result, "-f", "svg"), result / "plots" / "comparison.svg")
    assert (result / "plots" / "comparison.svg").read_text(encoding="utf-8") == "mine"


def test_plot_replaces_the_charts_it_drew_itself(made: Path, tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    first = invoke("plot", made / "compare", "-o", charts, "-f", "svg")
    assert first.exit_code == 0, first.output
    drawn = files_in(charts)
    assert "comparison.svg" in drawn
    again = invoke("plot", made / "compare", "-o", charts, "-f", "svg")
    assert again.exit_code == 0, again.output
    assert files_in(charts) == drawn  # the same charts, byte for byte
    result = copy(made, "compare", tmp_path / "result")
    for _ in range(2):  # its own plots/: listed in the manifest, drawn again without a word
        assert invoke("plot", result, "-f", "svg").exit_code == 0


def test_workshop_force_replaces_its_own_files_and_nothing_else(made: Path, tmp_path: Path) -> None:
    case = made / "short_fan.toml"
    out = tmp_path / "ws"
    assert invoke("workshop", case, "-o", out, "--teams", "3").exit_code == 0
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    again = invoke("workshop", case, "-o", out, "--teams", "2", "--force")
    assert again.exit_code == 0, again.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "handout.html",
        "manifest.json",
        "notes.txt",
        "teacher.html",
        "team-1.toml",
        "team-2.toml",
    ]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    # A folder of the teacher's own, with no manifest of simcare's: nothing is replaced.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "handout.html").write_text("<p>my own handout</p>", encoding="utf-8")
    refused(invoke("workshop", case, "-o", theirs, "--force"), theirs / "handout.html")
    assert files_in(theirs) == {"handout.html": b"<p>my own handout</p>"}


def test_report_force_replaces_only_a_report_the_folder_lists(made: Path, tmp_path: Path) -> None:
    result = copy(made, "compare", tmp_path / "result")
    (result / "report.html").write_text("mine", encoding="utf-8")
    refused(invoke("report", result, "--force"), result / "report.html")
    assert (result / "report.html").read_text(encoding="utf-8") == "mine"
    (result / "report.html").unlink()
    assert invoke("report", result).exit_code == 0
    assert invoke("report", result, "--force").exit_code == 0  # listed: simcare's own
    assert "report.html" in json.loads((result / "manifest.json").read_text())["files"]


@POSIX
@pytest.mark.parametrize("command", ["init", "report", "debrief"])
@pytest.mark.parametrize("kind", ["named pipe", "folder"])
def test_force_never_replaces_a_special_file(
    command: str, kind: str, made: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target.html"
    if kind == "named pipe":
        os.mkfifo(target)
    else:
        target.mkdir()
    args: dict[str, list[str | Path]] = {
        "init": ["init", target],
        "report": ["report", made / "compare", "-o", target],
        "debrief": [
            "workshop",
            "debrief",
            made / "tiny.toml",
            tmp_path / "team.toml",
            "-o",
            target,
        ],
    }
    if command == "debrief":
        (tmp_path / "team.toml").write_text('team = "A"\npolicy = "ignore"\n', encoding="utf-8")
    ran = invoke(*args[command], "--force")
    refused(ran, target)
    assert stat.S_ISFIFO(target.lstat().st_mode) if kind == "named pipe" else target.is_dir()


@POSIX
def test_force_replaces_a_link_itself_never_what_it_points_to(tmp_path: Path) -> None:
    victim = tmp_path / "victim.toml"
    victim.write_text("keep", encoding="utf-8")
    link = tmp_path / "start.toml"
    link.symlink_to(victim)
    refused(invoke("init", link), link)
    assert invoke("init", link, "--force").exit_code == 0
    assert not link.is_symlink()
    assert "name =" in link.read_text(encoding="utf-8")
    assert victim.read_text(encoding="utf-8") == "keep"


# --- E. paths and names on the terminal ---


def escaped(result: Result) -> str:
    """Everything printed, checked to hold no control character but line breaks."""
    printed = result.stdout + result.stderr
    assert not {c for c in printed if ord(c) < 32 and c != "\n"}, repr(printed)
    return printed


@POSIX
def test_paths_holding_escapes_and_line_breaks_are_printed_escaped(
    made: Path, tmp_path: Path
) -> None:
    tiny = made / "tiny.toml"
    runs = {
        "run": invoke("run", tiny, "-r", "2", "-o", tmp_path / WEIRD),
        "init": invoke("init", tmp_path / f"{WEIRD}.toml"),
        "plot": invoke("plot", made / "compare", "-o", tmp_path / f"{WEIRD}-plots", "-f", "svg"),
        "report": invoke("report", made / "compare", "-o", tmp_path / f"{WEIRD}.html"),
        "workshop": invoke("workshop", made / "short_fan.toml", "-o", tmp_path / f"{WEIRD}-ws"),
        "debrief": invoke("workshop", "debrief", tiny, tmp_path / f"{WEIRD}.team.toml"),
        "resume": invoke("sweep", "--resume", tmp_path / f"{WEIRD}-none"),
        "exists": invoke("init", tmp_path / f"{WEIRD}.toml"),
    }
    for command, ran in runs.items():
        assert ran.exit_code in (0, 2, 3), (command, ran.output)
        assert SHOWN in escaped(ran), (command, ran.output)
    assert (tmp_path / WEIRD / "manifest.json").is_file()  # the files themselves keep the name
    copied = copy(made, "compare", tmp_path / f"{WEIRD}-copy")
    again = invoke("reproduce", copied, "-w", "1")
    assert again.exit_code == 0, again.output
    assert f"{SHOWN}-copy: re-ran the compare" in escaped(again)


def test_a_plan_named_with_an_escape_is_printed_escaped(made: Path, tmp_path: Path) -> None:
    result = copy(made, "sweep", tmp_path / "result")
    (result / "manifest.json").unlink()
    (result / "parts" / "point-0001.csv").unlink()
    plan = json.loads((result / "plan.json").read_text(encoding="utf-8"))
    (result / "plan.json").write_text(json.dumps({**plan, "name": WEIRD}), encoding="utf-8")
    ran = invoke("sweep", "--resume", result, "-w", "1")
    # The plan's name must be its scenario's: refused, naming the file, the name escaped.
    assert ran.exit_code == 3, ran.output
    assert "plan.json: name: expected the scenario's name" in ran.output
    assert "\x1b" not in ran.output
    assert "\n" not in ran.output.strip()


def test_a_title_with_a_carriage_return_is_refused_never_printed_raw(tmp_path: Path) -> None:
    case = tmp_path / "case.toml"
    case.write_text(TINY.replace('title = "Tiny"', 'title = "Tiny\\rOverwritten"'), "utf-8")
    ran = invoke("story", case)
    assert ran.exit_code == 2, ran.output
    assert "title: expected one line" in ran.output
    assert "\r" not in ran.output


def test_force_never_reads_a_huge_record_whole(tmp_path: Path) -> None:
    # The re-attack truncated a result's manifest.json to 3 GiB: --force read it whole
    # (MemoryError). A record that big is no record simcare wrote: the folder is refused.
    tiny = tmp_path / "tiny.toml"
    tiny.write_text(TINY, encoding="utf-8")
    out = tmp_path / "out"
    assert invoke("run", tiny, "-r", "1", "-o", out).exit_code == 0
    with (out / "manifest.json").open("r+b") as handle:
        handle.truncate(3 * 2**30)  # sparse: no disk
    # Within 2 GiB of address space, as the attack ran it: reading the record whole fails.
    ran = subprocess.run(
        [sys.executable, "-m", "simcare", "run", str(tiny), "-r", "1", "-o", str(out), "--force"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30)),
    )
    assert ran.returncode == 3, ran.stderr
    assert "Traceback" not in ran.stderr
    assert (out / "manifest.json").stat().st_size == 3 * 2**30  # not simcare's to replace


def test_csv_on_a_terminal_is_escaped_and_unchanged_when_redirected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = 'scope,value\n"channel:ph\rone",1\n'

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for out, expected in ((io.StringIO(), data), (Terminal(), data.replace("\r", "\\x0d"))):
        monkeypatch.setattr(sys, "stdout", out)
        console.write_data(data)
        assert out.getvalue() == expected


def test_a_scenario_is_never_named_after_a_file_name_holding_a_line_break(
    tmp_path: Path,
) -> None:
    for name in ("two\nlines", "carriage\rreturn"):
        path = tmp_path / f"{name}.toml"
        path.write_text(TINY.replace('name = "tiny"\n', ""), encoding="utf-8")
        ran = invoke("validate", path)
        assert ran.exit_code == 2, ran.output
        assert "cannot be the scenario's name: it holds a tab or a line break" in escaped(ran)


# --- F. a malformed --scheduler ---


@pytest.mark.parametrize("address", ["tcp://", "tcp://host:port"])
def test_a_malformed_scheduler_ends_with_exit_2_and_nothing_after(
    address: str, tmp_path: Path
) -> None:
    """Was: exit 2, then ~20 s later an "Exception ignored in Client.__del__" traceback."""
    pytest.importorskip("distributed")
    case = tmp_path / "tiny.toml"
    case.write_text(TINY, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simcare", "compare", case, "-r", "2", "--scheduler", address],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,  # a guard against a hang, not a measure
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: --scheduler {address}: cannot reach"), done.stderr
    assert "Exception ignored" not in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_a_scheduler_address_where_another_service_answers_ends_with_exit_2(
    tmp_path: Path,
) -> None:
    """Was: Dask read an HTTP reply as a frame length, failed to allocate 3 EiB, and simcare
    printed that traceback and Client.__del__'s 21 s later (the re-attack's F3)."""
    pytest.importorskip("distributed")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer_http() -> None:
        with server:
            while True:
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                with connection, contextlib.suppress(OSError):
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 50)

    threading.Thread(target=answer_http, daemon=True).start()
    case = tmp_path / "tiny.toml"
    case.write_text(TINY, encoding="utf-8")
    address = f"tcp://127.0.0.1:{port}"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "simcare", "compare", case, "-r", "2", "--scheduler", address],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,  # a guard against a hang, not a measure
            check=False,
        )
    finally:
        server.close()
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: --scheduler {address}: cannot reach"), done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


# --- G. grammar ---


def test_one_replication_is_one_replication(made: Path) -> None:
    ran = invoke("run", made / "tiny.toml", "-r", "1", "--max-complaints", "10")
    assert ran.exit_code == 2, ran.output
    assert " complaints in 1 replication, " in ran.stderr


def test_a_sweep_of_one_point_says_one_point(made: Path, tmp_path: Path) -> None:
    ran = invoke(
        "sweep", made / "tiny.toml", "--set", "problems.rate=10/h", "-r", "2", "-w", "1",
        "-o", tmp_path / "one",
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert "Sweep tiny: 1 point × 1 policy × 2 replications" in ran.stderr


def test_a_file_name_of_bytes_that_are_not_text_is_refused_before_anything(
    tmp_path: Path,
) -> None:
    # The re-attack ran a scenario named bad<0xff 0xfe>.toml: validate said ok, and run wrote
    # half a folder before a UnicodeEncodeError traceback.
    name = os.fsdecode(b"bad\xff\xfe.toml")
    (tmp_path / name).write_text(TINY, encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "-m", "simcare", "run", name, "-r", "1", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )
    assert ran.returncode == 2, ran.stderr
    assert "bad\\xff\\xfe.toml: not UTF-8 text" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "out").exists()
