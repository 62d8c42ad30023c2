"""Starting your own brand (issue 21): init --from, the starter's public channels, compare's
note on identical policies, validate's placeholder warning, and the outcome keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from helpers import FAN, invoke

from simcare.experiments.replicate import simulate_outcomes
from simcare.metrics import OUTCOMES
from simcare.scenario import Visibility
from simcare.scenario.alike import alike_notes, alike_policies
from simcare.scenario_file import builtin_scenarios, load_scenario, loads_scenario
from simcare.scenario_file.starter import STARTER_BRIEFING, case_starter_text, starter_text

BUILT_IN = ["ignore", "delete", "reply_public", "reply_private", "acknowledge_then_private"]
PRIVATE_ONLY = """
name = "phone_and_email"
[run]
duration = "6h"
[problems]
rate = "20/h"
[channels.phone]
mode = "live"
share = 0.6
patience = { dist = "exponential", mean = "4min" }
[channels.email]
mode = "async"
share = 0.4
[teams.desk]
channels = ["phone", "email"]
agents = 3
handle_time.phone = { dist = "exponential", mean = "5min" }
handle_time.email = { dist = "exponential", mean = "8min" }
"""
OPEN_NETWORK_ONLY = PRIVATE_ONLY.replace(
    '[channels.email]\nmode = "async"',
    '[channels.email]\nmode = "async"\nvisibility = "public"\nbrand_owned = false',
)


# --- init --from ---


def test_init_from_a_case_names_it_after_the_file_and_keeps_its_briefing(tmp_path: Path) -> None:
    path = tmp_path / "my_shoes.toml"
    result = invoke("init", path, "--from", FAN)
    assert result.exit_code == 0, result.output
    assert f"simcare validate {path}" in result.stdout
    case = builtin_scenarios()[FAN].read_text(encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert case.splitlines()[1] in text  # the case's comments are kept for the reader
    scenario, original = load_scenario(path), load_scenario(FAN)
    assert scenario.name == "my_shoes"
    assert scenario.teaching.briefing == original.teaching.briefing != STARTER_BRIEFING
    assert scenario.channels == original.channels
    checked = invoke("validate", path)
    assert checked.exit_code == 0
    assert "warning" not in checked.stderr


@pytest.mark.parametrize("case", sorted(builtin_scenarios()))
def test_every_case_starts_a_brand_equal_to_it_but_for_its_name(case: str) -> None:
    text = case_starter_text(case, "our_brand")
    assert text.startswith(f"# Started from the built-in case {case} ")
    started, original = loads_scenario(text), load_scenario(case)
    assert started.name == "our_brand"
    assert dataclasses.replace(started, name=original.name) == original


def test_init_from_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("# my own work\n", encoding="utf-8")
    result = invoke("init", path, "--from", FAN)
    assert result.exit_code == 3
    assert "--force" in result.stderr
    assert path.read_text(encoding="utf-8") == "# my own work\n"
    assert invoke("init", path, "--from", FAN, "--force").exit_code == 0
    assert load_scenario(path).name == "mine"


@pytest.mark.parametrize("existing", [False, True])
def test_init_from_an_unknown_case_exits_2_with_the_cases(tmp_path: Path, existing: bool) -> None:
    path = tmp_path / "mine.toml"
    if existing:
        path.write_text("# my own work\n", encoding="utf-8")
    result = invoke("init", path, "--from", "loyal_fan")
    assert result.exit_code == 2
    assert "unknown built-in case 'loyal_fan'" in result.stderr
    assert f"did you mean {FAN!r}?" in result.stderr
    assert "textbook_contact_centre" in result.stderr  # the cases there are
    assert path.exists() is existing


def test_init_from_with_a_file_name_that_cannot_be_a_name_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad\x1b[31m.toml"
    result = invoke("init", path, "--from", FAN)
    assert result.exit_code == 2
    assert "name" in result.stderr
    assert not path.exists()


# --- the plain starter ---


def test_the_starter_has_a_public_brand_owned_channel_an_open_network_and_a_ladder() -> None:
    scenario = loads_scenario(starter_text())
    channels = scenario.channels
    page = [c for c in channels.values() if c.visibility is Visibility.PUBLIC and c.brand_owned]
    network = [c for c in channels.values() if c.public and not c.brand_owned]
    assert page
    assert network
    assert page[0].escalate_to == network[0].name
    assert any(c.escalate_to == page[0].name and not c.public for c in channels.values())
    served = {name for team in scenario.teams.values() for name in team.channels}
    assert served == set(channels)


def test_on_the_starter_every_built_in_policy_acts_differently() -> None:
    assert alike_policies(loads_scenario(starter_text()), BUILT_IN) == []


def test_validate_warns_about_the_placeholder_briefing_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "brand.toml"
    assert invoke("init", path).exit_code == 0
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert f"{path}: ok" in result.stdout
    assert f"{path}: warning: teaching.briefing" in result.stderr
    assert "warning" not in result.stdout
    told = path.read_text(encoding="utf-8").replace(STARTER_BRIEFING, "A shoe shop's week.")
    path.write_text(told, encoding="utf-8")
    assert "warning" not in invoke("validate", path).stderr


# --- policies that come out identical, and why ---


def test_without_a_public_channel_four_policies_act_alike() -> None:
    scenario = loads_scenario(PRIVATE_ONLY)
    groups = alike_policies(scenario, BUILT_IN)
    assert groups == [["delete", "reply_public", "reply_private", "acknowledge_then_private"]]
    (note,) = alike_notes(scenario, BUILT_IN)
    assert "come out identical" in note
    assert "no channel is public" in note


def test_alike_policies_give_identical_outcomes_and_others_do_not() -> None:
    """The check the note rests on: alike policies differ in no outcome of any replication."""
    scenario = loads_scenario(PRIVATE_ONLY)
    for replication in range(3):
        private = simulate_outcomes(scenario, 11, replication, "reply_private")
        assert simulate_outcomes(scenario, 11, replication, "reply_public") == private
        assert simulate_outcomes(scenario, 11, replication, "ignore") != private


def test_on_an_open_network_alone_only_delete_falls_back_to_private() -> None:
    scenario = loads_scenario(OPEN_NETWORK_ONLY)
    assert alike_policies(scenario, BUILT_IN) == [["delete", "reply_private"]]
    (note,) = alike_notes(scenario, BUILT_IN)
    assert "no public channel is brand-owned" in note


def test_a_policy_of_the_scenario_that_changes_nothing_is_named_alike() -> None:
    own = PRIVATE_ONLY + '[policies.as_usual]\nbased_on = "reply_public"\n'
    scenario = loads_scenario(own)
    names = ["reply_private", "as_usual", "ignore"]
    assert alike_policies(scenario, names) == [["reply_private", "as_usual"]]
    (note,) = alike_notes(scenario, names)
    assert "no channel is public" in note  # reply_public falls back to private here too
    with_coupon = own + "compensation = { cost = 5, satisfaction = 0.1 }\n"
    assert alike_policies(loads_scenario(with_coupon), names) == []


def test_compare_explains_identical_policies_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "phone_and_email.toml"
    path.write_text(PRIVATE_ONLY, encoding="utf-8")
    result = invoke("compare", path, "-r", "2", "--workers", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Note: reply_private, delete, reply_public and acknowledge_then_private come out " in (
        result.stderr
    )
    assert "Note" not in result.stdout  # the data stays data


# --- outcome keys ---


def test_outcomes_lists_every_key_with_its_label_and_unit() -> None:
    result = invoke("outcomes")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for key, spec in OUTCOMES.items():
        (line,) = [line for line in lines if line.split()[:1] == [key]]
        assert spec.unit.value in line.split()
        assert spec.label in line


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("churn_rate", "did you mean 'complainant_churn_rate'?"),
        ("resolvd_share", "did you mean 'resolved_share'?"),
        ("churn", "did you mean one of 'complainant_churn', "),
    ],
)
def test_an_unknown_outcome_gets_did_you_mean_and_the_list_command(typed: str, hint: str) -> None:
    result = invoke("compare", "textbook_contact_centre", "--outcomes", typed)
    assert result.exit_code == 2
    assert f"--outcomes: unknown outcome {typed!r}" in result.stderr
    assert hint in result.stderr
    assert "`simcare outcomes` lists every outcome key" in result.stderr
