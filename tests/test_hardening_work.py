"""Issue 23, the work-size classes: long runs, kept series, --target-ci 1e-300, resume and
reproduce of crafted folders, and Latin hypercubes too big to plan quickly.

A test that would run for a long time (or fill the memory) on code without its fix runs the
command in a subprocess with a timeout and a memory limit, so that it fails instead of hanging.
"""

from __future__ import annotations

import csv
import json
import math
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from helpers import FAN, STAFF, invoke, short_fan

from simcare import load_scenario
from simcare.experiments import workload
from simcare.experiments.design import SettingError, latin_hypercube, parse_setting
from simcare.experiments.engine import Precision
from simcare.scenario_file import load_scenario_data

CASES = sorted(path.stem for path in (Path(__file__).parents[1] / "scenarios").glob("*.toml"))
TIMEOUT = 90
"""Seconds a command may take here; each refusal below takes about one."""


def cli(*args: str | Path, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run simcare in a subprocess limited to 4 GiB of memory and ``timeout`` seconds."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "simcare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )


def quiet_fan(folder: Path, duration: str, name: str = "quiet.toml") -> Path:
    """The loyal fan with no problems at all (``rate = "0/h"``) for ``duration``."""
    data, _, _ = load_scenario_data(FAN)
    data["run"].update(duration=duration, warmup="0s")
    data["problems"]["rate"] = "0/h"
    path = folder / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


# --- 2: a run's length and its kept series are in the estimate ---


def test_a_billion_days_without_a_problem_are_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    quiet = quiet_fan(tmp_path, "1000000000d")
    out = tmp_path / "out"
    done = cli("run", quiet, "-r", "1", "-o", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "one replication would need about" in done.stderr
    assert "GiB of memory" in done.stderr
    assert "lower problems.rate or run.duration" in done.stderr
    assert not out.exists()


def test_simulated_days_count_against_max_complaints(tmp_path: Path) -> None:
    quiet = quiet_fan(tmp_path, "100000d")
    result = invoke("run", quiet, "-r", "1", "--max-complaints", "1e6", "-f", "csv")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "this would simulate about 100,000 days in 1 replication, roughly" in message
    assert "more work than --max-complaints (1,000,000) allows" in message
    assert "Raise --max-complaints to run it anyway" in message
    # A shorter quiet run is nothing like that much work.
    short = quiet_fan(tmp_path, "30d", "short.toml")
    assert invoke("run", short, "-r", "2", "-f", "csv").exit_code == 0


def test_the_per_day_costs_grow_with_the_run_and_its_shifts() -> None:
    fan = load_scenario(FAN)
    days = fan.run.duration_min / 1440
    work = workload.estimate([fan], 1)
    assert work.days == pytest.approx(days)
    series = workload.series_count(fan)
    assert series == len(fan.channels) + 2 * len(fan.teams) + 3
    changes = workload.staff_changes_per_day(fan)
    assert changes > 0  # the social desk's shifts
    per_day = (
        workload.BYTES_PER_DAY
        + series * workload.BYTES_PER_SERIES_DAY
        + changes * workload.BYTES_PER_STAFF_CHANGE
    )
    # Shifts go on through the drain; the series stop with the run.
    drain_days = fan.drain_min / 1440
    expected = days * per_day + drain_days * changes * workload.BYTES_PER_STAFF_CHANGE
    assert work.day_bytes == pytest.approx(expected)
    assert work.other_seconds >= (
        days * workload.SECONDS_PER_DAY + workload.scopes(fan) * workload.SECONDS_PER_RUN_SCOPE
    )
    assert per_day >= 5_700  # what the adversary measured a day with no problems
    assert workload.estimate([fan], 2_000).day_bytes == work.day_bytes  # one replication's


def test_run_counts_every_replications_hourly_series_and_the_file_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fan = load_scenario(FAN)
    monkeypatch.setattr(workload, "_memory_bytes", lambda: 32.0 * 2**30)
    # Measured: 1.47 MB a replication of a 30-day case, written as one timeseries.csv.
    month = workload.estimate([fan], 20_000, series=True, written=True)
    assert month.held_bytes >= 20_000 * 1.47e6 * 21 / 30
    refused = workload.check(month, workload.MAX_COMPLAINTS)
    assert refused is not None
    message = str(refused)
    assert "the outcomes and hourly series of 20,000 replications" in message
    assert "timeseries.csv" in message
    assert "run fewer replications" in message
    kept = workload.estimate([fan], 20_000, series=True)
    assert kept.held_bytes < month.held_bytes
    assert workload.estimate([fan], 20_000).held_bytes < kept.held_bytes


def test_a_run_whose_series_could_never_be_kept_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("run", short_fan(tmp_path), "-r", "10000000", "-o", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "hourly series of 10,000,000 replications" in " ".join(done.stderr.split())
    assert not out.exists()


def test_replications_cost_time_even_without_a_problem(tmp_path: Path) -> None:
    quiet = quiet_fan(tmp_path, "1h")
    done = cli("compare", quiet, "-p", "delete,ignore", "-r", "100000000")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "replications" in done.stderr


@pytest.mark.parametrize("case", CASES)
def test_every_built_in_case_still_runs_on_a_small_machine(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workload, "_memory_bytes", lambda: 4.0 * 2**30)
    scenario = load_scenario(case)
    asked = [
        workload.estimate([scenario], 100, series=True, written=True),  # run -r 100 -o
        workload.estimate([scenario], 20, 20, series=True, written=True),  # run --events
        workload.estimate([scenario], len(scenario.policy_names) * 500),  # compare, capped
    ]
    for work in asked:
        assert workload.check(work, workload.MAX_COMPLAINTS, 2) is None


# --- 7: --target-ci 1e-300 ---


def test_a_target_no_run_can_reach_asks_for_the_cap_without_overflow() -> None:
    precision = Precision("complainant_churn_rate", 1e-300, max_replications=7)
    values = {"a": [{("complainant_churn_rate", "all"): v} for v in (0.1, 0.2, 0.3)]}
    assert precision.next_count(values) == 7
    tiniest = Precision("complainant_churn_rate", 5e-324, max_replications=7)
    assert tiniest.next_count(values) == 7
    # A reachable target still asks for about (width / target)² times the replications.
    reachable = Precision("complainant_churn_rate", 0.2, max_replications=500)
    width = reachable.worst_half_width(values)
    assert reachable.next_count(values) == max(5, math.ceil(3 * (width / 0.2) ** 2))


def test_compare_with_a_target_of_1e_300_stops_at_max_replications(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(
        "compare", short_fan(tmp_path), "-p", "delete,reply_public", "-r", "2",
        "--target-ci", "1e-300", "--max-replications", "3", "-w", "1", "-o", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    runs = {(row["policy"], row["replication"]) for row in rows(out / "replications.csv")}
    assert runs == {(p, str(r)) for p in ("delete", "reply_public") for r in range(3)}


def test_a_sweep_with_a_target_of_1e_300_finishes_its_folder_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "sweep", short_fan(tmp_path), "--set", f"{STAFF}=1,2", "-r", "2",
        "--target-ci", "1e-300", "--max-replications", "3", "-w", "1",
    ]  # fmt: skip
    result = invoke(*args, "-o", out)
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()
    points = rows(out / "points.csv")
    assert [(p["status"], p["replications"]) for p in points] == [("done", "3")] * 2
    # A folder left unfinished by such a target (as the crash left it) resumes to the end.
    summary = (out / "summary.csv").read_text(encoding="utf-8")
    (out / "manifest.json").unlink()
    (out / "parts" / "point-0001.csv").unlink()
    resumed = invoke("sweep", "--resume", out)
    assert resumed.exit_code == 0, resumed.output
    assert (out / "manifest.json").is_file()
    assert (out / "summary.csv").read_text(encoding="utf-8") == summary


# --- 12: --resume and reproduce check what the folder asks for ---


def _sweep(tmp_path: Path) -> Path:
    out = tmp_path / "sweep"
    args = ("sweep", short_fan(tmp_path), "--set", f"{STAFF}=1,2", "-r", "2", "-w", "1")
    result = invoke(*args, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_resume_refuses_a_plan_asking_for_a_billion_replications(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    (out / "manifest.json").unlink()
    (out / "parts" / "point-0001.csv").unlink()
    edit_json(out / "plan.json", replications=10**9)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    done = cli("sweep", "--resume", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "1,000,000,000 replications" in done.stderr
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # nothing touched
    # An unreadable count is a folder simcare cannot use.
    edit_json(out / "plan.json", replications=math.inf)
    unreadable = invoke("sweep", "--resume", out)
    assert unreadable.exit_code == 3, unreadable.output
    assert "cannot read the sweep's plan" in unreadable.output


def test_resume_checks_only_the_points_left_against_max_complaints(tmp_path: Path) -> None:
    out = _sweep(tmp_path)
    (out / "manifest.json").unlink()
    (out / "parts" / "point-0001.csv").unlink()
    refused = invoke("sweep", "--resume", out, "--max-complaints", "1")
    assert refused.exit_code == 2, refused.output
    assert "--max-complaints (1)" in refused.output
    assert "in 2 replications" in refused.output  # one point of two, 2 replications
    assert not (out / "manifest.json").exists()
    resumed = invoke("sweep", "--resume", out)
    assert resumed.exit_code == 0, resumed.output


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_reproduce_refuses_a_manifest_asking_for_a_trillion_replications(
    kind: str, tmp_path: Path
) -> None:
    out = tmp_path / kind
    policies = ("-p", "delete,ignore") if kind == "compare" else ()
    made = invoke(kind, short_fan(tmp_path), *policies, "-r", "2", "-o", out)
    assert made.exit_code == 0, made.output
    assert invoke("reproduce", out, "--max-complaints", "1").exit_code == 2
    edit_json(out / "manifest.json", replications=10**12)
    done = cli("reproduce", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "replications" in done.stderr
    assert "Raise --max-complaints" in done.stderr or "GiB" in done.stderr
    edit_json(out / "manifest.json", replications=math.inf)
    unreadable = invoke("reproduce", out)
    assert unreadable.exit_code == 3, unreadable.output
    assert "cannot re-run from what it recorded" in unreadable.output


def test_reproduce_refuses_a_sweep_plan_asking_for_a_billion_replications(
    tmp_path: Path,
) -> None:
    out = _sweep(tmp_path)
    assert invoke("reproduce", out).exit_code == 0
    edit_json(out / "plan.json", replications=10**9)
    done = cli("reproduce", out)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "1,000,000,000 replications" in done.stderr


# --- Also: a Latin hypercube too big to plan quickly ---


def test_a_hypercube_too_big_to_plan_quickly_is_refused_with_an_estimate() -> None:
    settings = [parse_setting("a=1:5")]
    assert len(latin_hypercube(settings, 10_000, 1)) == 10_000
    with pytest.raises(SettingError) as raised:
        latin_hypercube(settings, 100_000, 1)
    assert str(raised.value) == (
        "samples 100000: planning 100,000 points would take about 10 minutes before the "
        "first run (each point's scenario is built, checked and written); at most 10,000 — "
        "a Latin hypercube covers its ranges with far fewer points"
    )


def test_sweep_refuses_a_hypercube_of_100000_samples_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli(
        "sweep", FAN, "--design", "lhs", "--samples", "100000", "--set", f"{STAFF}=1:5",
        "-o", out, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--samples 100000: planning 100,000 points" in " ".join(done.stderr.split())
    assert not out.exists()


# --- D: pile-ons, agent-by-agent staffing and the agents held are in the estimate ---


def _fan_data(days: str) -> dict[str, object]:
    data, _, _ = load_scenario_data(FAN)
    data["run"].update(duration=days, warmup="0s")
    return data


def _write(folder: Path, data: dict[str, object], name: str) -> Path:
    path = folder / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_pile_ons_over_a_long_attention_span_are_refused_with_an_estimate(tmp_path: Path) -> None:
    """Was: unrefused; counting each post's pile-ons one by one grows with the square of the
    run's length (2,000 days, 60 comments an hour, an attention span of 2,000 days)."""
    data = _fan_data("2000d")
    data["word_of_mouth"].update(pile_on="60/h", attention="2000d")  # type: ignore[union-attr]
    done = cli("run", _write(tmp_path, data, "piles.toml"), "-r", "1", "-o", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert "pile-on comments counted one by one" in message
    assert "Raise --max-complaints to run it anyway" in message
    assert not (tmp_path / "out").exists()
    fan = load_scenario(FAN)  # the case as it is: a pile-on count of a few comments a post
    assert workload.pile_on_seconds(fan, workload.expected_complaints(fan)) < 1


def test_staffing_changes_cost_time_per_agent(tmp_path: Path) -> None:
    """Was: a change of 100,000 agents cost as much as a change of one."""
    data = _fan_data("100000d")
    data["problems"]["rate"] = "0/h"  # type: ignore[index]
    one = workload.estimate([load_scenario(_write(tmp_path, data, "one.toml"))], 1)
    for shift in data["teams"]["social_desk"]["shifts"]:  # type: ignore[index]
        shift["agents"] = 100_000
    path = _write(tmp_path, data, "crowd.toml")
    crowd = load_scenario(path)
    # A weekday shift of 100,000 starts and ends 5 times a week: 10/7 × 100,000 a day at least.
    assert workload.agent_changes_per_day(crowd) >= 100_000 * 10 / 7
    extra = workload.estimate([crowd], 1).other_seconds - one.other_seconds
    assert extra >= 100_000 * 100_000 * 10 / 7 * workload.SECONDS_PER_AGENT_CHANGE * 0.99
    # Run for 10,000 days, whose hourly series fit the 4 GiB the command runs under here: the
    # agents' changes alone are what refuses it.
    data["run"]["duration"] = "10000d"  # type: ignore[index]
    done = cli("run", _write(tmp_path, data, "crowd_short.toml"), "-r", "1", "-o", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "agent by agent" in " ".join(done.stderr.split())


def test_the_agents_held_at_once_are_in_the_memory_estimate(tmp_path: Path) -> None:
    """Was: 300 teams of 100,000 agents started and died of a MemoryError."""
    data = _fan_data("1d")
    desk = data["teams"]["social_desk"]  # type: ignore[index]
    channels = desk["channels"]
    teams = {}
    for n in range(300):
        team = {key: value for key, value in desk.items() if key != "shifts"}
        team["channels"] = channels
        team["shifts"] = [{"days": "mon-sun", "start": "00:00", "end": "00:00", "agents": 100_000}]
        teams[f"t{n}"] = team
    data["teams"] = teams
    path = _write(tmp_path, data, "crowds.toml")
    crowds = load_scenario(path)
    assert workload.agents_at_once(crowds) == 30_000_000
    assert workload.estimate([crowds], 1).largest_run_bytes >= 30_000_000 * 470
    done = cli("run", path, "-r", "1", "-o", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert "one replication would need about" in done.stderr
    assert "or the agents" in " ".join(done.stderr.split())


def test_the_memory_check_heeds_the_process_limit(tmp_path: Path) -> None:
    # The re-attack ran under ulimit -v 4 GiB: the check compared with the machine's 24 GiB
    # and a long run died in a MemoryError after six minutes. Under a 1 GiB limit, a run the
    # machine could hold but the process cannot is refused at once.
    scenario = tmp_path / "long.toml"
    scenario.write_text(
        'name = "long"\n[run]\nduration = "30d"\n[problems]\nrate = "3000/h"\n'
        '[channels.phone]\nmode = "live"\n',
        encoding="utf-8",
    )
    limit = 2**30
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "simcare",
            "run",
            str(scenario),
            "-r",
            "1",
            "--events",
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)),
    )
    assert ran.returncode == 2, ran.stderr
    assert "this process may use 1 GiB" in " ".join(ran.stderr.split())
    assert "Traceback" not in ran.stderr
