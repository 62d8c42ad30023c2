"""compare, sweep and reproduce from the command line: outputs, errors, resume, executors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import STAFF, invoke, short_fan

from simcare.experiments import execution
from simcare.results import sweep_folder

FINAL = ("points.csv", "replications.csv", "summary.csv")


def sweep_args(scenario: Path, out: Path, *extra: str) -> list[str | Path]:
    return [
        "sweep", scenario, "--set", f"{STAFF}=1:3:1", "--policies", "delete,reply_public",
        "-r", "3", "--out", out, *extra,
    ]  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- compare ---


def test_compare_prints_the_table_and_a_verdict_per_key_outcome(tmp_path: Path) -> None:
    fan = short_fan(tmp_path)
    result = invoke("compare", fan, "-p", "delete,reply_public,ignore", "-r", "3", "-w", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "baseline (delete)" in out
    assert "better 3/3" in out  # reply_public beats delete on resolution in every replication
    verdicts = [line for line in out.splitlines() if line.startswith("- ")]
    assert len(verdicts) == 4
    assert any(line.startswith("- Churn among complainants:") for line in verdicts)


@pytest.mark.parametrize("commenters", [True, False])
def test_compare_shows_the_journeys_contagion_started_when_it_is_on(
    commenters: bool, tmp_path: Path
) -> None:
    fan = short_fan(tmp_path, commenters=commenters)
    result = invoke("compare", fan, "-p", "delete,ignore", "-r", "2", "-w", "1")
    assert result.exit_code == 0, result.output
    assert ("started by contagion" in result.stdout) is commenters


def test_compare_writes_every_policy_and_difference(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("compare", short_fan(tmp_path), "-p", "reply_public", "-b", "ignore", "-r", "3")
    result = invoke(*args, "-o", out, "-f", "json")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "comparison.csv", "comparison.json", "replications.csv", "scenario.toml", "manifest.json",
    }  # fmt: skip
    printed = json.loads(result.stdout)
    assert printed["baseline"] == "ignore"
    assert printed["policies"] == ["ignore", "reply_public"]
    table = rows(out / "comparison.csv")
    churn = {
        r["policy"]: r
        for r in table
        if (r["outcome"], r["scope"]) == ("complainant_churn_rate", "all")
    }
    assert churn["ignore"]["difference"] == ""  # the baseline has no difference from itself
    assert churn["reply_public"]["call"] == "better"
    assert float(churn["reply_public"]["difference"]) == pytest.approx(
        float(churn["reply_public"]["mean"]) - float(churn["ignore"]["mean"])
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare"
    assert manifest["policies"] == ["ignore", "reply_public"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-p", "reply_pubic"), "did you mean 'reply_public'"),
        (("-b", "nope"), "unknown policy 'nope'"),
        (("--outcomes", "churn"), "--outcomes: unknown outcome 'churn'"),
        (("--target-ci", "0.01", "--target-outcome", "churn_rate"), "--target-outcome"),
        (("--target-ci", "-1"), "--target-ci"),
        (("--scheduler", "tcp://127.0.0.1:1", "-r", "2"), None),
    ],
)
def test_compare_usage_errors_exit_2_naming_the_option(
    args: tuple[str, ...], message: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if message is None:  # no Dask scheduler there: fail at once rather than after the timeout
        monkeypatch.setattr(execution, "DASK_CONNECT_TIMEOUT", "0.5s")
        message = "--scheduler tcp://127.0.0.1:1: cannot reach a Dask scheduler"
    result = invoke("compare", "loyal_fan_deleted_post", *args)
    assert result.exit_code == 2
    assert message in result.stderr


# --- sweep ---


def test_sweep_writes_points_replications_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = invoke(*sweep_args(short_fan(tmp_path), out, "-w", "1"))
    assert result.exit_code == 0, result.output
    points = rows(out / "points.csv")
    assert [p[STAFF] for p in points] == ["1", "2", "3"]
    assert {p["status"] for p in points} == {"done"}
    summary = rows(out / "summary.csv")
    assert {(r["point"], r["policy"]) for r in summary} == {
        (str(p), policy) for p in range(3) for policy in ("delete", "reply_public")
    }
    tidy = rows(out / "replications.csv")
    assert set(tidy[0]) == {"point", STAFF, "policy", "replication", "outcome", "scope", "value"}
    assert {r["replication"] for r in tidy} == {"0", "1", "2"}
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == [
        "point-0000.toml", "point-0001.toml", "point-0002.toml",
    ]  # fmt: skip
    assert "agents = 3" in (out / "scenarios" / "point-0002.toml").read_text()
    assert json.loads((out / "manifest.json").read_text())["failed_points"] == []


def test_a_latin_hypercube_has_the_samples_asked_for_within_the_ranges(tmp_path: Path) -> None:
    out = tmp_path / "lhs"
    result = invoke(
        "sweep", short_fan(tmp_path, days=2), "--set", "behaviour.persistence=0.2:0.8",
        "--set", f"{STAFF}=1:3", "--design", "lhs", "--samples", "4", "-r", "2", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    points = rows(out / "points.csv")
    assert len(points) == 4
    assert all(0.2 <= float(p["behaviour.persistence"]) <= 0.8 for p in points)
    assert {p[STAFF] for p in points} <= {"1", "2", "3"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--set", f"{STAFF}=1,2"), "give --out DIR for a new sweep"),
        (("--set", "teams.social_desk.shifts.0.agnets=1,2", "-o", "x"), "did you mean 'agents'"),
        (("--set", f"{STAFF}=-1,1", "-o", "x"), f"at {STAFF}=-1: "),
        (("--set", f"{STAFF}", "-o", "x"), "expected KEY=V1,V2"),
        (("--set", "run.policy=delete,ignore", "-o", "x"), "--policies"),
        (("-o", "x"), "give at least one --set"),
        (("--set", f"{STAFF}=1:3", "-o", "x"), "a grid needs"),
    ],
)
def test_sweep_usage_errors_exit_2_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("sweep", "loyal_fan_deleted_post", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (tmp_path / "x" / "plan.json").exists()


def test_sweep_never_overwrites_a_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = invoke(*sweep_args(short_fan(tmp_path), out))
    assert result.exit_code == 3
    assert "not empty" in result.stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_a_failed_point_is_recorded_the_rest_go_on_and_resume_retries_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    real = execution.simulate_outcomes

    def simulate(scenario, seed, replication, policy):  # type: ignore[no-untyped-def]
        if scenario.teams["social_desk"].shifts[0].agents == 2:
            raise ZeroDivisionError("a bug at two agents")
        return real(scenario, seed, replication, policy)

    monkeypatch.setattr(execution, "simulate_outcomes", simulate)
    result = invoke(*sweep_args(short_fan(tmp_path, days=2), out, "-w", "1"))
    assert result.exit_code == 4, result.output
    assert "1 point failed (1)" in result.stderr
    points = rows(out / "points.csv")
    assert [p["status"] for p in points] == ["done", "failed", "done"]
    assert "ZeroDivisionError: a bug at two agents" in points[1]["error"]
    assert "Traceback" in (out / "parts" / "point-0001.error.txt").read_text()
    assert {r["point"] for r in rows(out / "summary.csv")} == {"0", "2"}

    monkeypatch.setattr(execution, "simulate_outcomes", real)  # the bug is fixed
    result = invoke("sweep", "--resume", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert "2 points already done" in result.stderr
    assert [p["status"] for p in rows(out / "points.csv")] == ["done"] * 3
    assert not (out / "parts" / "point-0001.error.txt").exists()


def test_resume_refuses_options_that_differ_from_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    fan = short_fan(tmp_path, days=2)
    assert invoke(*sweep_args(fan, out, "-w", "1")).exit_code == 0
    result = invoke("sweep", fan, "--set", f"{STAFF}=1,2", "--resume", out)
    assert result.exit_code == 2
    assert "differ from the sweep planned there" in result.stderr
    same = invoke("sweep", fan, "--set", f"{STAFF}=1:3:1", "-p", "delete,reply_public", "-r", "3",
                  "--resume", out, "-w", "1")  # fmt: skip
    assert same.exit_code == 0, same.output


def test_resume_needs_a_sweep_folder(tmp_path: Path) -> None:
    result = invoke("sweep", "--resume", tmp_path)
    assert result.exit_code == 3
    assert "no plan.json" in result.stderr


# --- reproduce ---


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_reproduce_confirms_a_folder_and_catches_a_changed_number(
    tmp_path: Path, kind: str
) -> None:
    out = tmp_path / kind
    fan = short_fan(tmp_path, days=2)
    made = {
        "run": ("run", fan, "-r", "3", "-o", out),
        "compare": ("compare", fan, "-p", "reply_public", "-r", "3", "-o", out),
        "sweep": tuple(sweep_args(fan, out)),
    }[kind]
    assert invoke(*made).exit_code == 0
    result = invoke("reproduce", out, "-w", "2")
    assert result.exit_code == 0, result.output
    assert f"re-ran the {kind}" in result.stdout
    assert "is identical" in result.stdout

    summary = out / ("comparison.csv" if kind == "compare" else "summary.csv")
    lines = summary.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    mean = header.index("mean")
    first[mean] = str(float(first[mean]) + 1)
    summary.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    result = invoke("reproduce", out)
    assert result.exit_code == 5
    assert "DIFFERS" in result.stdout
    assert "line 2" in result.stdout


def test_reproduce_needs_a_finished_folder(tmp_path: Path) -> None:
    result = invoke("reproduce", tmp_path)
    assert result.exit_code == 3
    assert "manifest.json: missing; " in result.stderr


# --- a real sweep process, killed and resumed; a real Dask cluster ---


@pytest.mark.slow
def test_a_killed_sweep_resumes_to_the_same_files_as_an_uninterrupted_one(tmp_path: Path) -> None:
    fan = short_fan(tmp_path, days=3)
    command = [sys.executable, "-m", "simcare"]
    settings = ["--set", f"{STAFF}=1:4:1", "--set", "behaviour.persistence=0.3,0.6"]
    args = ["sweep", str(fan), *settings, "-p", "delete,reply_public", "-r", "4", "-w", "2"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    process = subprocess.Popen(
        [*command, *args, "-o", str(killed)],
        start_new_session=True,  # its own process group: the kill takes its workers too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    parts = killed / "parts"
    while time.monotonic() < deadline and process.poll() is None:
        if parts.is_dir() and len(list(parts.glob("point-*.csv"))) >= 2:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the sweep finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in parts.glob("point-*.csv")}
    assert 2 <= len(done_before) < 8
    assert not (killed / "manifest.json").exists()  # the folder does not look finished
    assert not (killed / "summary.csv").exists()

    resumed = subprocess.run(
        [*command, "sweep", "--resume", str(killed), "-w", "2"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done_before)} points already done" in resumed.stderr
    for name, mtime in done_before.items():  # finished points were not run again
        assert (parts / name).stat().st_mtime_ns == mtime

    uninterrupted = subprocess.run([*command, *args, "-o", str(whole)], capture_output=True)
    assert uninterrupted.returncode == 0
    for name in FINAL:
        assert (killed / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.mark.slow
def test_a_sweep_on_a_dask_cluster_gives_the_same_files_as_one_process(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    fan = short_fan(tmp_path, days=2)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,  # real worker processes, as on a cluster
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        result = invoke(
            *sweep_args(fan, tmp_path / "dask", "--scheduler", cluster.scheduler_address)
        )
    assert result.exit_code == 0, result.output
    assert "dask" in json.loads((tmp_path / "dask" / "manifest.json").read_text())["executor"]
    assert invoke(*sweep_args(fan, tmp_path / "serial", "-w", "1")).exit_code == 0
    for name in FINAL:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes()


# --- charts from the command line ---


def test_a_sweep_forced_over_a_comparison_leaves_none_of_its_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fan = short_fan(tmp_path, days=2)
    assert (
        invoke("compare", fan, "-p", "reply_public", "-r", "2", "-o", out, "--plots").exit_code == 0
    )
    result = invoke(*sweep_args(fan, out, "--force"))
    assert result.exit_code == 0, result.output
    left = {p.name for p in out.iterdir()}
    assert {"plots", "comparison.csv", "comparison.json"}.isdisjoint(left)
    assert {*FINAL, "plan.json", "manifest.json"} <= left


def test_a_sweep_forced_into_someone_elses_scenarios_folder_keeps_it(tmp_path: Path) -> None:
    out = tmp_path / "project"
    (out / "scenarios").mkdir(parents=True)
    (out / "scenarios" / "mine.toml").write_text("mine", encoding="utf-8")
    result = invoke(*sweep_args(short_fan(tmp_path, days=2), out, "--force"))
    assert result.exit_code == 3
    assert "scenarios: holds files that are not simcare's" in result.stderr
    assert [p.name for p in (out / "scenarios").iterdir()] == ["mine.toml"]
    assert (out / "scenarios" / "mine.toml").read_text(encoding="utf-8") == "mine"


def test_a_sweep_stopped_before_its_plan_starts_again_with_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    fan = short_fan(tmp_path, days=2)
    real = sweep_folder.write_atomic

    def write_atomic(path: Path, text: str) -> None:
        if path.name == "point-0001.toml":
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(sweep_folder, "write_atomic", write_atomic)
    result = invoke(*sweep_args(fan, out))
    assert result.exit_code == 130
    assert "run the same command again with --force" in result.stderr
    assert (out / "scenarios" / "point-0000.toml").is_file()
    assert not (out / "plan.json").exists()
    monkeypatch.undo()
    result = invoke(*sweep_args(fan, out, "--force"))
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()


def test_compare_plots_and_the_plot_command_draw_the_charts(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    fan = short_fan(tmp_path, days=2)
    result = invoke("compare", fan, "-p", "reply_public", "-r", "3", "-o", out, "--plots")
    assert result.exit_code == 0, result.output
    drawn = {p.name for p in (out / "plots").iterdir()}
    assert {"comparison.png", "comparison.svg", "differences.png"} <= drawn
    again = invoke("plot", out, "-o", tmp_path / "charts", "-f", "svg")
    assert again.exit_code == 0, again.output
    charts = {p.suffix for p in (tmp_path / "charts").iterdir() if p.name != ".simcare-charts"}
    assert charts == {".svg"}
    assert (tmp_path / "charts" / "comparison.svg").read_bytes() == (
        out / "plots" / "comparison.svg"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("compare", "loyal_fan_deleted_post", "--plots"), 2, "--plots draws into the output"),
        (("plot", "nowhere"), 3, "nowhere"),
        (("plot", ".", "--outcomes", "churn"), 2, "did you mean"),
    ],
)
def test_plot_errors_name_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == code
    assert message in result.stderr
