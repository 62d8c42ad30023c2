"""Runaway work is refused up front with an estimate; the estimate matches what runs."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import invoke, short_fan

from simcare import load_scenario
from simcare.cli.exits import OPTION_NAMES
from simcare.experiments.workload import (
    BIN_BYTES_PER_CHANNEL,
    BYTES_PER_AGENT,
    BYTES_PER_COMPLAINT,
    BYTES_PER_PROBLEM,
    DAYS_HELD,
    JOURNEYS_PER_HARVEST,
    MAX_COMPLAINTS,
    TALLY_BYTES,
    Workload,
    agents_at_once,
    check,
    estimate,
    expected_complaints,
)
from simcare.model.replication import simulate
from simcare.scenario import Incident


@pytest.mark.parametrize("case", ["loyal_fan_deleted_post", "textbook_contact_centre"])
def test_expected_complaints_match_the_simulated_mean(case: str) -> None:
    scenario = load_scenario(case)
    counts = np.array([len(simulate(scenario, seed=11, replication=r).journeys) for r in range(8)])
    # Complaints are Poisson: the mean of 8 has a standard error of sqrt(expected / 8).
    expected = expected_complaints(scenario)
    assert abs(counts.mean() - expected) < 4 * math.sqrt(expected / 8)


def test_an_incident_adds_its_own_complaints_at_its_severitys_share() -> None:
    fan = load_scenario("loyal_fan_deleted_post")
    severity = next(iter(fan.severities))
    burst = Incident("recall", start_min=1440.0, duration_min=720.0, extra_problems_per_min=2.0,
                     severity=severity)  # fmt: skip
    # A trickle of everyday problems, so that most complaints come from the incident.
    quiet = dataclasses.replace(
        fan, problems=dataclasses.replace(fan.problems, problems_per_min=0.005)
    )
    with_burst = dataclasses.replace(quiet, incidents=(burst,))
    share = fan.severities[severity].complaint_share
    added = expected_complaints(with_burst) - expected_complaints(quiet)
    assert added == pytest.approx(2.0 * 720.0 * share)
    assert added > 2 * expected_complaints(quiet)
    counts = [len(simulate(with_burst, seed=3, replication=r).journeys) for r in range(8)]
    expected = expected_complaints(with_burst)
    assert abs(np.mean(counts) - expected) < 4 * math.sqrt(expected / 8)


def test_check_refuses_a_run_that_cannot_fit_in_memory_and_a_job_over_the_cap() -> None:
    assert (
        check(Workload(runs=10, problems=3e6, complaints=1e6, largest_run_bytes=1e8), 1e9) is None
    )
    memory = check(Workload(runs=1, problems=1e13, complaints=1e12, largest_run_bytes=1e16), 1e30)
    assert memory is not None
    assert "GiB of memory" in str(memory)
    unbounded = check(Workload(1, math.inf, math.inf, math.inf), math.inf)
    assert unbounded is not None
    assert "unbounded memory" in str(unbounded)
    over = check(Workload(runs=500, problems=5e9, complaints=2e9, largest_run_bytes=4e9), 1e9, 2)
    assert over is not None
    assert "about 2,000,000,000 complaints in 500 replications" in str(over)
    assert "than max_complaints (1,000,000,000). Raise max_complaints to" in str(over)
    assert "than --max-complaints (1,000,000,000)" in over.spelled(OPTION_NAMES)


def test_silent_problems_count_towards_memory() -> None:
    fan = load_scenario("loyal_fan_deleted_post")
    problems, complaints = fan.expected_load()
    assert problems > complaints > 0
    days = fan.run.duration_min / 1440
    assert days > DAYS_HELD
    # Fewer complaints than a harvest takes: the run holds all of them until its end.
    assert complaints < JOURNEYS_PER_HARVEST
    held = problems * BYTES_PER_PROBLEM + complaints * BYTES_PER_COMPLAINT
    tallied = TALLY_BYTES + len(fan.channels) * BIN_BYTES_PER_CHANNEL
    tallied += agents_at_once(fan) * BYTES_PER_AGENT  # every agent on duty is held too
    assert estimate([fan], runs_each=1).largest_run_bytes == pytest.approx(held + tallied)
    # An event log of 5 replications keeps 5 records.
    logged = estimate([fan], runs_each=5, records=5).largest_run_bytes
    assert logged == pytest.approx(held + tallied + 5 * complaints * BYTES_PER_COMPLAINT)
    # Almost nobody complains, yet a huge rate of problems is still refused.
    silent = {
        name: dataclasses.replace(s, complaint_share=1e-6) for name, s in fan.severities.items()
    }
    quiet = dataclasses.replace(
        fan,
        severities=silent,
        problems=dataclasses.replace(fan.problems, problems_per_min=1e7),
    )
    refused = check(estimate([quiet], 1), MAX_COMPLAINTS)
    assert refused is not None
    assert "GiB of memory" in str(refused)


def test_estimate_multiplies_runs_over_points() -> None:
    fan = load_scenario("loyal_fan_deleted_post")
    work = estimate([fan, fan], runs_each=6)
    assert work.runs == 12
    assert work.complaints == pytest.approx(12 * expected_complaints(fan))
    assert work.problems > work.complaints


def test_commands_refuse_runaway_work_before_writing_anything(tmp_path: Path) -> None:
    fan = short_fan(tmp_path)
    out = tmp_path / "out"
    cases = [
        ("run", fan, "-r", "5", "--max-complaints", "100", "-o", out),
        ("compare", fan, "-p", "delete,ignore", "-r", "5", "--max-complaints", "100", "-o", out),
        ("sweep", fan, "--set", "teams.social_desk.shifts.0.agents=1,2", "-r", "5",
         "--max-complaints", "100", "-o", out),
    ]  # fmt: skip
    for args in cases:
        result = invoke(*args)
        assert result.exit_code == 2, result.output
        assert "--max-complaints (100)" in result.output
        assert not out.exists()


def test_a_rate_no_machine_could_hold_is_refused_whatever_the_cap(tmp_path: Path) -> None:
    fan = short_fan(tmp_path)
    huge = fan.read_text(encoding="utf-8").replace('rate = "', 'rate = "1e12/day" # ', 1)
    fan.write_text(huge, encoding="utf-8")
    result = invoke("run", fan, "-r", "1", "--max-complaints", "1e30")
    assert result.exit_code == 2, result.output
    assert "GiB of memory" in result.output


def test_raising_the_cap_lets_the_work_run(tmp_path: Path) -> None:
    fan = short_fan(tmp_path)
    result = invoke("run", fan, "-r", "1", "--max-complaints", "1e6", "-f", "csv")
    assert result.exit_code == 0, result.output
