"""Scenario files: geotagged channels, their approach team, and the [actions] handling keys."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simcare.cli import app
from simcare.scenario import Channel, ScenarioError, Visibility
from simcare.scenario.policy import ACTIONS, ActionHandling, builtin_action
from simcare.scenario_file import dump_scenario, load_scenario, loads_scenario

STORE = """\
[problems]
rate = "20/h"

[channels.desk]
mode = "live"

[channels.post]
mode = "async"
visibility = "public"
brand_owned = false
geotagged = true
approach_team = "floor"

[teams.social]
channels = ["post"]
agents = 1
handle_time.post = { dist = "lognormal", mean = "6min", cv = 0.8 }

[teams.floor]
channels = ["post"]
agents = 1
handle_time.post = { dist = "lognormal", mean = "3min", cv = 0.5 }

[policies.walk_up]
actions = { post = "approach_in_store" }
"""

ACTIONS_TABLE = """
[actions]
delete.handle_factor = 0.1
reply_public.handle_factor = 1.2
reply_private.handle_factor = 0.9
acknowledge_then_private.handle_factor = 1.3
approach_in_store.handle_factor = 0.5
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    """Every line of the error loading ``text`` from a file; each names the file."""
    path = tmp_path / "case.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


# --- where a clerk may approach ---


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            'visibility = "public"\nbrand_owned = false\n',
            'visibility = "private"\n',
            "channel 'post' is private: a clerk can only approach the author of a public, "
            "geotagged post",
        ),
        (
            "geotagged = true\n",
            "",
            "channel 'post' is not geotagged: nobody knows which store its posts come from "
            "(mark it geotagged = true if they carry the store's location)",
        ),
        (
            'approach_team = "floor"\n',
            "",
            "channel 'post' names no approach_team: nobody in the store walks up to the "
            "customer (give approach_team = the team of store staff who do)",
        ),
    ],
    ids=["private", "not-geotagged", "no-approach-team"],
)
def test_approach_is_refused_where_no_clerk_can_find_the_customer(
    tmp_path: Path, old: str, new: str, why: str
) -> None:
    assert old in STORE
    found = problems(tmp_path, STORE.replace(old, new, 1))
    assert found == [
        f"policies.walk_up.actions.post: {why}; 'approach_in_store' is not allowed here"
    ]


def test_a_geotagged_public_channel_with_store_staff_allows_it() -> None:
    scenario = loads_scenario(STORE)
    post = scenario.channels["post"]
    assert (post.geotagged, post.approach_team) == (True, "floor")
    assert scenario.policy("walk_up").action_for(post) == "approach_in_store"
    assert not scenario.channels["desk"].geotagged  # the default


def test_builtin_policies_never_approach_and_fall_back_as_before() -> None:
    geotagged = Channel("post", visibility=Visibility.PUBLIC, geotagged=True, approach_team="x")
    assert ACTIONS["approach_in_store"].refuses(geotagged) is None
    for policy, expected in [
        ("reply_public", "reply_public"),
        ("delete", "delete"),
        ("acknowledge_then_private", "acknowledge_then_private"),
        ("ignore", "ignore"),
    ]:
        assert builtin_action(policy, geotagged) == expected
    assert builtin_action("delete", Channel("phone")) == "reply_private"


def test_an_unknown_approach_team_is_named_with_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, STORE.replace('approach_team = "floor"', 'approach_team = "flor"'))
    assert found == [
        "channels.post.approach_team: unknown team 'flor'; teams are ['social', 'floor']; "
        "did you mean 'floor'?"
    ]


def test_an_approach_team_must_serve_its_channel(tmp_path: Path) -> None:
    text = STORE.replace(
        'channels = ["post"]\nagents = 1\nhandle_time.post = { dist = "lognormal", mean = "3min"',
        'channels = ["desk"]\nagents = 1\nhandle_time.desk = { dist = "lognormal", mean = "3min"',
    )
    assert text != STORE
    assert problems(tmp_path, text) == [
        "channels.post.approach_team: team 'floor' does not serve channel 'post': list it in "
        "teams.floor.channels, with the team's handling time for an approach"
    ]


def test_geotagged_must_be_true_or_false(tmp_path: Path) -> None:
    found = problems(tmp_path, STORE.replace("geotagged = true", 'geotagged = "yes"'))
    assert found[0].startswith("channels.post.geotagged: expected true or false")


# --- how long each action takes ---


def test_the_handling_keys_default_to_the_old_constants() -> None:
    assert loads_scenario(STORE).actions == ActionHandling(
        delete_factor=0.2,
        reply_public_factor=1.0,
        reply_private_factor=1.0,
        acknowledge_factor=1.1,
        approach_factor=1.0,
    )


def test_the_handling_keys_are_read_from_a_file_and_written_back() -> None:
    scenario = loads_scenario(STORE + ACTIONS_TABLE)
    assert scenario.actions == ActionHandling(0.1, 1.2, 0.9, 1.3, 0.5)
    text = dump_scenario(scenario)
    assert tomllib.loads(text)["actions"] == {
        "delete": {"handle_factor": 0.1},
        "reply_public": {"handle_factor": 1.2},
        "reply_private": {"handle_factor": 0.9},
        "acknowledge_then_private": {"handle_factor": 1.3},
        "approach_in_store": {"handle_factor": 0.5},
    }
    again = loads_scenario(text)
    assert again == scenario
    assert dump_scenario(again) == text
    written = tomllib.loads(text)["channels"]["post"]
    assert (written["geotagged"], written["approach_team"]) == (True, "floor")


def test_one_action_may_be_given_alone_as_its_own_table() -> None:
    scenario = loads_scenario(STORE + "\n[actions.delete]\nhandle_factor = 0.5\n")
    assert scenario.actions == ActionHandling(delete_factor=0.5)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (
            "delete.handle_factor = 0",
            "actions.delete.handle_factor: expected a finite number > 0, found 0",
        ),
        (
            "approach_in_store.handle_factor = -1",
            "actions.approach_in_store.handle_factor: expected a finite number > 0, found -1",
        ),
        (
            'reply_public.handle_factor = "fast"',
            "actions.reply_public.handle_factor: expected a number, found 'fast'",
        ),
    ],
)
def test_a_bad_handling_factor_is_named(tmp_path: Path, written: str, expected: str) -> None:
    found = problems(tmp_path, f"{STORE}\n[actions]\n{written}\n")
    assert found == [expected]


def test_a_misspelt_action_in_the_handling_table_gets_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, f"{STORE}\n[actions.delet]\nhandle_factor = 0.5\n")
    assert found == [
        "actions.delet: unknown key; expected one of ['acknowledge_then_private', "
        "'approach_in_store', 'delete', 'reply_private', 'reply_public']; did you mean 'delete'?"
    ]


def test_validate_reports_an_approach_problem_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "case.toml"
    path.write_text(STORE.replace("geotagged = true\n", ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "channel 'post' is not geotagged" in result.stderr
    assert "Traceback" not in result.output


def test_a_scenario_built_in_code_checks_its_approach_team_too() -> None:
    scenario = loads_scenario(STORE)
    post = dataclasses.replace(scenario.channels["post"], approach_team="nobody")
    with pytest.raises(ScenarioError, match=r"channels\.post\.approach_team: unknown team"):
        dataclasses.replace(scenario, channels={**scenario.channels, "post": post})


def test_the_starter_shows_the_handling_keys_with_their_defaults() -> None:
    starter = Path(__file__).resolve().parents[2] / "simcare" / "scenario_file" / "starter.toml"
    text = starter.read_text(encoding="utf-8")
    assert "#[actions]" in text
    switched_on = re.sub(r"(?m)^#(?=\[actions\]|\w+\.handle_factor)", "", text)
    assert "\n[actions]\n" in switched_on
    assert loads_scenario(switched_on).actions == ActionHandling()
