"""`simcare optimise`: targets, the levers, theory's start, the command, its files and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import exponential, one_line
from helpers import FAN, invoke

from simcare.core.errors import ArgumentError
from simcare.experiments.optimise import Goal, Rounds, Target, optimise
from simcare.experiments.optimise_space import Space, theory_start
from simcare.experiments.replicate import as_scenario
from simcare.scenario_file import load_scenario

CASE = "textbook_contact_centre"
QUICK = ["-r", "3", "--max-replications", "6", "-w", "1"]


def test_a_target_reads_outcome_scope_sense_and_value() -> None:
    target = Target.parse("first_response_p90_min@channel:twitter<=60")
    assert (target.outcome, target.scope, target.at_least, target.value) == (
        "first_response_p90_min",
        "channel:twitter",
        False,
        60.0,
    )
    assert target.text == "first_response_p90_min@channel:twitter<=60"
    assert Target.parse("service_level_offered>=0.8").shortfall(0.75) == pytest.approx(0.05)
    assert Target.parse("service_level_offered>=0.8").shortfall(0.9) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("service_level>=0.8", "unknown outcome 'service_level'"),
        ("service_level_offered=0.8", "expected OUTCOME"),
        ("service_level_offered>=high", "expected a number after >="),
        ("service_level_offered>=nan", "expected a number"),
    ],
)
def test_a_malformed_target_is_refused_naming_it(text: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        Target.parse(text)


def test_the_levers_are_the_chosen_teams_shifts_in_the_file_s_order() -> None:
    fan = as_scenario(FAN)
    space = Space.of(fan, ["social_desk"])
    assert [lever.name for lever in space.levers] == ["teams.social_desk.shifts.0.agents"]
    assert space.by_team((3,)) == {"social_desk": [3]}
    assert space.by_team((3,), every_team=True) == {"email_desk": [1], "social_desk": [3]}
    staffed = space.staffed((3,), "reply_public")
    assert staffed.teams["social_desk"].shifts[0].agents == 3
    assert staffed.teams["email_desk"] == fan.teams["email_desk"]
    assert staffed.run.policy == "reply_public"
    # A team written as agents = N is a number in the plan, as in its file.
    assert Space.of(as_scenario(CASE)).by_team((12,)) == {"agents": 12}
    with pytest.raises(ValueError, match="unknown team 'nobody'"):
        Space.of(fan, ["nobody"])


def test_theory_starts_a_heavier_line_with_more_agents() -> None:
    light = one_line(rate_per_min=1.0, handle=exponential(3.0))
    heavy = one_line(rate_per_min=3.0, handle=exponential(3.0))
    assert theory_start(Space.of(light)) < theory_start(Space.of(heavy))
    # An async desk gets the week's work spread over its hours: at least one agent each.
    assert all(agents >= 1 for agents in theory_start(Space.of(as_scenario(FAN))))


def test_optimise_refuses_an_unknown_policy_or_a_start_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="unknown policy 'shout'"):
        optimise(CASE, policies=["shout"])
    with pytest.raises(ValueError, match="start: expected 1 headcounts"):
        optimise(CASE, start=(1, 2), rounds=Rounds(2, 2))


def test_a_budget_too_small_makes_the_plan_infeasible_and_says_so() -> None:
    goal = Goal(targets=(Target.parse("service_level_offered>=0.5"),), budget=100.0)
    result = optimise(CASE, goal=goal, rounds=Rounds(2, 4), seed=1)
    assert not result.feasible
    assert result.estimate("total_cost").mean > 100.0


def test_the_command_writes_a_plan_that_loads_and_runs_and_json_as_the_issue_says(
    tmp_path: Path,
) -> None:
    out = tmp_path / "plan"
    done = invoke("optimise", CASE, *QUICK, "--out", out, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert {"policy", "staffing", "objective", "outcomes"} <= set(data)
    assert data["policy"] == "reply_private"
    assert isinstance(data["staffing"]["agents"], int)  # agents = N in the file: a number
    assert data["objective"]["outcome"] == "net_value"
    net = next(o for o in data["outcomes"] if o["outcome"] == "net_value")
    assert net["plan"]["ci_low"] <= net["plan"]["mean"] <= net["plan"]["ci_high"]
    assert {"mean", "ci_low", "ci_high", "better_in", "pairs", "call"} <= set(net["difference"])
    planned = load_scenario(out / "plan.toml")
    assert planned.teams["agents"].shifts[0].agents == data["staffing"]["agents"]
    assert json.loads((out / "optimise.json").read_text(encoding="utf-8")) == data
    ran = invoke("run", out / "plan.toml", "-r", "2", "-w", "1")
    assert ran.exit_code == 0, ran.output


def test_resume_reuses_every_replication_kept(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    first = invoke("optimise", CASE, *QUICK, "--out", out, "--format", "json")
    assert first.exit_code == 0, first.output
    again = invoke("optimise", CASE, *QUICK, "--out", out, "--resume", "--format", "json")
    assert again.exit_code == 0, again.output
    before, after = json.loads(first.stdout), json.loads(again.stdout)
    assert before["simulations"] > 0
    assert after["simulations"] == 0  # every decision made from the kept replications
    assert after["staffing"] == before["staffing"]
    assert after["outcomes"] == before["outcomes"]
    other = invoke("optimise", CASE, *QUICK, "--seed", "7", "--out", out, "--resume")
    assert other.exit_code == 3
    assert "made for another scenario, seed or --teams" in other.output


def test_the_command_never_overwrites_a_file_simcare_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "plan.toml").write_text("my own notes\n", encoding="utf-8")
    refused = invoke("optimise", CASE, *QUICK, "--out", out, "--force")
    assert refused.exit_code == 3
    assert (out / "plan.toml").read_text(encoding="utf-8") == "my own notes\n"
    resumed = invoke("optimise", CASE, *QUICK, "--out", out, "--resume")
    assert resumed.exit_code == 3
    assert "evaluations.jsonl" in resumed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "service_level>=0.8"], "--target 'service_level>=0.8': unknown outcome"),
        (["--teams", "nobody"], "unknown team 'nobody'"),
        (["--objective", "problems"], "--objective problems: expected an outcome"),
        (["--policies", "shout"], "shout"),
        (["--resume"], "--resume continues"),
        (["-r", "8", "--max-replications", "4"], "--max-replications must be at least"),
    ],
)
def test_a_mistaken_option_exits_2_naming_it(args: list[str], message: str) -> None:
    result = invoke("optimise", CASE, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_the_table_shows_the_plan_beside_the_current_staffing() -> None:
    args = ["--target", "service_level_offered>=0.5", *QUICK]
    result = invoke("optimise", CASE, *args)
    assert result.exit_code == 0, result.output
    assert "daily, all day" in result.stdout
    assert "Target service_level_offered>=0.5: met" in result.stdout
    assert "sure the true mean meets it" in result.stdout
    assert "Δ plan − now" in result.stdout


@pytest.mark.slow
def test_optimise_on_a_dask_cluster_gives_the_plan_of_one_process() -> None:
    distributed = pytest.importorskip("distributed")
    scenario = as_scenario(CASE)
    rounds = Rounds(3, 6)
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,  # real worker processes, as on a cluster
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        on_dask = optimise(scenario, rounds=rounds, seed=5, scheduler=cluster.scheduler_address)
    serial = optimise(scenario, rounds=rounds, seed=5, workers=1)
    assert on_dask.executor.startswith("dask")
    assert on_dask.simulations == serial.simulations > 0
    assert (on_dask.policy, on_dask.staffing) == (serial.policy, serial.staffing)
    assert on_dask.plan_runs == serial.plan_runs
