from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import pytest

from simcare.scenario import (
    Channel,
    Distribution,
    DistributionKind,
    Problems,
    RunSettings,
    Scenario,
    ScenarioError,
    Shift,
    Team,
)
from simcare.scenario_file import (
    MAX_FILE_BYTES,
    builtin_scenarios,
    dump_scenario,
    load_scenario,
    loads_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "simcare" / "scenario_file" / "starter.toml"
BUILTINS = sorted(builtin_scenarios())

BASE = """\
[run]
duration = "2d"

[problems]
rate = "200/h"

[channels.phone]
mode = "live"

[teams.agents]
channels = ["phone"]
agents = 14
handle_time.phone = { dist = "exponential", mean = "3min" }
"""


def variant(old: str, new: str) -> str:
    """BASE with ``old`` replaced by ``new`` (``old`` empty: ``new`` appended)."""
    if not old:
        return BASE + "\n" + new + "\n"
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def write(tmp_path: Path, text: str | bytes, name: str = "case.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path | str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


def problem_lines(tmp_path: Path, text: str) -> tuple[Path, ScenarioError, list[str]]:
    path = write(tmp_path, text)
    error = load_error(path)
    lines = str(error).splitlines()
    assert error.source == str(path)
    assert len(lines) == len(error.problems)
    for line in lines:  # every line names the file
        assert line.startswith(f"{path}: ")
    return path, error, lines


# --- the built-in cases and the starter ---


def test_there_are_builtin_cases() -> None:
    assert "textbook_contact_centre" in BUILTINS
    for path in builtin_scenarios().values():
        assert path.suffix == ".toml"
        assert path.is_file()


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_by_name_and_by_path(name: str) -> None:
    by_name = load_scenario(name)
    by_path = load_scenario(builtin_scenarios()[name])
    by_str_path = load_scenario(str(builtin_scenarios()[name]))
    assert by_name == by_path == by_str_path
    assert by_name.name == name
    assert by_name.title
    assert by_name.channels
    assert by_name.teams


def test_textbook_case_reads_as_written() -> None:
    scenario = load_scenario("textbook_contact_centre")
    assert scenario.problems.problems_per_min == pytest.approx(200 / 60)
    assert scenario.run.duration_min == 2880.0
    assert scenario.run.warmup_min == 120.0
    assert scenario.run.service_level_target_min == 20 / 60
    assert list(scenario.channels) == ["phone"]
    team = scenario.teams["agents"]
    assert team.channels == ("phone",)
    assert team.max_headcount == 14
    assert team.handle_time["phone"] == Distribution(DistributionKind.EXPONENTIAL, 3.0)


def test_starter_loads() -> None:
    scenario = load_scenario(STARTER)
    assert set(scenario.channels) == {"phone", "email", "brand_page", "open_network"}
    assert scenario.teams["service_desk"].channels == ("phone", "email")
    assert len(scenario.problems.hourly_profile) == 24


def _round_trip_sources() -> list[Path]:
    return [*builtin_scenarios().values(), STARTER]


@pytest.mark.parametrize("path", _round_trip_sources(), ids=lambda p: p.stem)
def test_dump_then_load_gives_an_equal_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    text = dump_scenario(scenario)
    again = loads_scenario(text)
    assert again == scenario
    assert dump_scenario(again) == text  # stable: dumping twice gives the same text


@pytest.mark.parametrize("path", _round_trip_sources(), ids=lambda p: p.stem)
def test_scenario_to_dict_round_trips_through_a_file(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    data = scenario_to_dict(scenario)
    assert scenario_from_dict(data) == scenario
    # Every default is filled in: the resolved file does not rely on the loader's defaults.
    assert {
        "name",
        "title",
        "currency",
        "run",
        "problems",
        "channels",
        "teams",
        "behaviour",
        "word_of_mouth",
        "churn",
    } <= data.keys()
    assert set(data["run"]) == {
        "duration",
        "warmup",
        "service_level_target",
        "start_weekday",
        "policy",
    }
    for channel in data["channels"].values():
        assert "audience" in channel
    for severity in data["severities"].values():
        assert {"loss", "anger"} <= severity.keys()
    written = write(tmp_path, dump_scenario(scenario), "resolved.toml")
    assert load_scenario(written) == scenario


RICH = """\
name = "rich"
title = "Everything at once"
currency = "€"

[run]
duration = "1w"
warmup = "90min"
service_level_target = "45s"
start_weekday = "sat"

[problems]
rate = "1500/day"
hourly_profile = [0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 1, 1, 0.5, 0.25, 0]
weekday_profile = [1, 1, 1, 1, 1, 0.5, 0.5]

[severities.minor]
share = 3
complaint_share = 0.25
[severities.major]
share = 1
complaint_share = 1

[segments.regular]
share = 0.8
followers = { median = 20, sigma = 1.5 }
[segments.fan]
share = 0.2
annual_value = 1200.5
loyalty = 0.99
patience_multiplier = 2

[channels.phone]
share = 0.5
patience = { dist = "lognormal", mean = "4min 30s", cv = 0.6 }
[channels.x]
mode = "async"
visibility = "public"
brand_owned = false
share = 0.5
patience = { dist = "constant", mean = "2h", cv = 0 }

[teams.night]
channels = ["x", "phone"]
shrinkage = 0.25
cost_per_hour = 33.3
shifts = [
  { days = "sun-tue", start = "22:00", end = "06:00", agents = 2 },
  { days = ["wed", "fri"], start = 22:00:00, end = "06:00", agents = 1 },
  { days = "Mon - Fri", start = "8:00", end = "17:00", agents = 0 },
]
handle_time.phone = { dist = "constant", mean = "7min" }
handle_time.x = { mean = "0.1min" }

[teams.day]
channels = ["phone"]
agents = 5
handle_time.phone = { dist = "lognormal", mean = "5min", cv = 1.3 }

[[incidents]]
name = "recall"
start = "2d 6h"
duration = "1d"
extra_rate = "7/min"
severity = "major"

[[incidents]]
name = "rush"
start = "0s"
duration = "1h 1s"
extra_rate = "0.1/min"

[teaching]
briefing = \"\"\"
Two lines
of briefing.
\"\"\"
questions = ["Why?", "How much?"]

[sources]
"problems.rate" = "made up"
"""


def test_a_scenario_using_every_feature_round_trips() -> None:
    # One change: "8:00" is not accepted (HH:MM); the rest of the file is valid.
    text = RICH.replace('start = "8:00"', 'start = "08:00"')
    scenario = loads_scenario(text, "rich.toml")
    assert scenario.currency == "€"
    assert scenario.run.start_weekday == 5
    assert scenario.teams["night"].shifts[0].days == (0, 1, 6)
    assert scenario.teams["night"].shifts[1].start_min == 22 * 60
    assert scenario.teams["night"].shifts[2].days == (0, 1, 2, 3, 4)
    assert scenario.channels["x"].patience == Distribution(DistributionKind.CONSTANT, 120.0, 0.0)
    assert scenario.incidents[0].start_min == 2 * 1440 + 360
    assert scenario.incidents[1].duration_min == 60 + 1 / 60
    assert scenario.teaching.sources == {"problems.rate": "made up"}
    assert loads_scenario(dump_scenario(scenario)) == scenario


def test_a_scenario_built_in_code_round_trips() -> None:
    scenario = Scenario(
        name="coded",
        problems=Problems(1 / 3),
        channels={"phone": Channel("phone", patience=Distribution(DistributionKind.CONSTANT, 2.0))},
        teams={
            "t": Team(
                "t",
                ("phone",),
                {"phone": Distribution(DistributionKind.CONSTANT, 0.1)},
                (Shift((0, 6), 1439.0, 1.0, 3),),
            )
        },
        run=RunSettings(1e-3 + 1000, 1e-5, 7 / 60),
    )
    assert loads_scenario(dump_scenario(scenario)) == scenario
    zero_cv = dataclasses.replace(
        scenario,
        channels={
            "phone": Channel("phone", patience=Distribution(DistributionKind.CONSTANT, 2.0, 0.0))
        },
    )
    assert loads_scenario(dump_scenario(zero_cv)) == zero_cv


def test_the_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, BASE, "my_brand.toml")).name == "my_brand"
    assert loads_scenario(BASE).name == "scenario"
    assert load_scenario(write(tmp_path, 'name = "given"\n' + BASE)).name == "given"


def test_defaults_apply_when_keys_are_left_out(tmp_path: Path) -> None:
    minimal = '[problems]\nrate = "60/h"\n[channels.phone]\n'
    scenario = load_scenario(write(tmp_path, minimal))
    assert scenario.run == RunSettings()
    assert list(scenario.severities) == ["problem"]
    assert list(scenario.segments) == ["customer"]
    assert scenario.teams == {}
    assert scenario.problems.problems_per_min == 1.0


def test_a_bom_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + BASE.encode())
    assert load_scenario(path) == loads_scenario(BASE, str(path))


# --- one problem each: the message names the file, the dotted key and the value found ---

INCIDENT = '[[incidents]]\nname = "recall"\nstart = "1h"\nduration = "1h"\nextra_rate = "5/h"\n'


def case(name: str, old: str, new: str, key: str, *fragments: str) -> object:
    """One bad variant of BASE: the key at fault and what its message must contain."""
    return pytest.param(old, new, key, fragments, id=name)


def shift(
    days: str = '"mon-fri"', start: str = '"08:00"', end: str = '"17:00"', agents: str = "3"
) -> str:
    return f"shifts = [{{ days = {days}, start = {start}, end = {end}, agents = {agents} }}]"


CASES = [
    # wrong types
    case(
        "agents-string",
        "agents = 14",
        'agents = "14"',
        "teams.agents.agents",
        "whole number",
        "'14'",
    ),
    case(
        "agents-float",
        "agents = 14",
        "agents = 14.0",
        "teams.agents.agents",
        "whole number",
        "14.0",
    ),
    case(
        "agents-bool", "agents = 14", "agents = true", "teams.agents.agents", "whole number", "True"
    ),
    case(
        "share-string",
        'mode = "live"',
        'mode = "live"\nshare = "half"',
        "channels.phone.share",
        "number",
        "'half'",
    ),
    case(
        "flag-string",
        'mode = "live"',
        'mode = "live"\nbrand_owned = "yes"',
        "channels.phone.brand_owned",
        "true or false",
        "'yes'",
    ),
    case(
        "channels-string",
        'channels = ["phone"]',
        'channels = "phone"',
        "teams.agents.channels",
        "list of strings",
        "'phone'",
    ),
    case(
        "channels-ints",
        'channels = ["phone"]',
        "channels = [1]",
        "teams.agents.channels",
        "list of strings",
        "[1]",
    ),
    case("key-in-wrong-table", "", "title = 1979-05-27\n", "teams.agents.title", "unknown key"),
    case("title-int", "[run]", "title = 3\n[run]", "title", "string", "3"),
    case("name-empty", "[run]", 'name = ""\n[run]', "name", "non-empty name", "''"),
    # numbers out of range, NaN and infinity (TOML has nan and inf)
    case(
        "agents-negative", "agents = 14", "agents = -1", "teams.agents.agents", "0 to 100,000", "-1"
    ),
    case(
        "agents-huge",
        "agents = 14",
        "agents = 99999999999999999999",
        "teams.agents.agents",
        "0 to 100,000",
        "99999999999999999999",
    ),
    case(
        "share-negative",
        'mode = "live"',
        'mode = "live"\nshare = -1',
        "channels.phone.share",
        ">= 0",
        "-1",
    ),
    case(
        "share-nan",
        'mode = "live"',
        'mode = "live"\nshare = nan',
        "channels.phone.share",
        "finite",
        "nan",
    ),
    case(
        "share-inf",
        'mode = "live"',
        'mode = "live"\nshare = inf',
        "channels.phone.share",
        "finite",
        "inf",
    ),
    case(
        "cost-inf",
        "agents = 14",
        "agents = 14\ncost_per_hour = inf",
        "teams.agents.cost_per_hour",
        "finite",
        "inf",
    ),
    case(
        "cost-negative",
        "agents = 14",
        "agents = 14\ncost_per_hour = -40",
        "teams.agents.cost_per_hour",
        ">= 0",
        "-40",
    ),
    case(
        "shrinkage-nan",
        "agents = 14",
        "agents = 14\nshrinkage = nan",
        "teams.agents.shrinkage",
        "below 1",
        "nan",
    ),
    case(
        "shrinkage-one",
        "agents = 14",
        "agents = 14\nshrinkage = 1",
        "teams.agents.shrinkage",
        "below 1",
        "1",
    ),
    case(
        "loyalty-nan",
        "",
        "[segments.fan]\nloyalty = nan",
        "segments.fan.loyalty",
        "between 0 and 1",
        "nan",
    ),
    case(
        "loyalty-above-one",
        "",
        "[segments.fan]\nloyalty = 1.5",
        "segments.fan.loyalty",
        "between 0 and 1",
        "1.5",
    ),
    case(
        "patience-multiplier-zero",
        "",
        "[segments.fan]\npatience_multiplier = 0",
        "segments.fan.patience_multiplier",
        "> 0",
        "0",
    ),
    case(
        "followers-negative",
        "",
        "[segments.fan]\nfollowers = { median = -5 }",
        "segments.fan.followers.median",
        ">= 0",
        "-5",
    ),
    case(
        "followers-inf",
        "",
        "[segments.fan]\nfollowers = { sigma = inf }",
        "segments.fan.followers.sigma",
        "finite",
        "inf",
    ),
    case(
        "complaint-share-negative",
        "",
        "[severities.bad]\ncomplaint_share = -0.1",
        "severities.bad.complaint_share",
        "between 0 and 1",
        "-0.1",
    ),
    case("rate-nan", 'rate = "200/h"', "rate = nan", "problems.rate", "rate with a unit", "nan"),
    case(
        "rate-nan-text",
        'rate = "200/h"',
        'rate = "nan/h"',
        "problems.rate",
        "rate with a unit",
        "'nan/h'",
    ),
    case(
        "rate-negative", 'rate = "200/h"', 'rate = "-1/h"', "problems.rate", "0 or more", "'-1/h'"
    ),
    case(
        "duration-zero",
        'duration = "2d"',
        'duration = "0s"',
        "run.duration",
        "duration > 0",
        "'0s'",
    ),
    case(
        "duration-negative",
        'duration = "2d"',
        'duration = "-3min"',
        "run.duration",
        "0 or more",
        "'-3min'",
    ),
    case(
        "duration-inf",
        'duration = "2d"',
        'duration = "infh"',
        "run.duration",
        "duration with a unit",
        "'infh'",
    ),
    case(
        "target-zero",
        'duration = "2d"',
        'duration = "2d"\nservice_level_target = "0s"',
        "run.service_level_target",
        "> 0",
        "'0s'",
    ),
    case(
        "mean-zero",
        'mean = "3min"',
        'mean = "0s"',
        "teams.agents.handle_time.phone.mean",
        "duration > 0",
        "'0s'",
    ),
    # units
    case(
        "duration-bad-unit",
        'duration = "2d"',
        'duration = "2 fortnights"',
        "run.duration",
        "duration with a unit",
        "'2 fortnights'",
    ),
    case(
        "duration-bare-number",
        'duration = "2d"',
        "duration = 5",
        "run.duration",
        "duration with a unit",
        "found 5;",
        '"5min"',
    ),
    case(
        "duration-bare-text",
        'duration = "2d"',
        'duration = "48"',
        "run.duration",
        "duration with a unit",
        "'48'",
        '"48min"',
    ),
    case(
        "mean-bare-number",
        'mean = "3min"',
        "mean = 3",
        "teams.agents.handle_time.phone.mean",
        "duration with a unit",
        "found 3;",
    ),
    case(
        "rate-bare-text",
        'rate = "200/h"',
        'rate = "200"',
        "problems.rate",
        "rate with a unit",
        "'200'",
        '"200/h"',
    ),
    case(
        "rate-bare-number",
        'rate = "200/h"',
        "rate = 200",
        "problems.rate",
        "rate with a unit",
        "found 200;",
        '"200/h"',
    ),
    case(
        "rate-bad-unit",
        'rate = "200/h"',
        'rate = "200/fortnight"',
        "problems.rate",
        "rate with a unit",
        "'200/fortnight'",
    ),
    # unknown keys and sections, with the closest known key
    case(
        "unknown-key",
        "agents = 14",
        "agents = 14\nagnets = 3",
        "teams.agents.agnets",
        "unknown key",
        "did you mean 'agents'?",
    ),
    case(
        "unknown-run-key",
        'duration = "2d"',
        'duration = "2d"\nduraton = "3d"',
        "run.duraton",
        "unknown key",
        "did you mean 'duration'?",
    ),
    case(
        "unknown-section",
        "[run]",
        "[chanels.email]\n[run]",
        "chanels",
        "unknown key",
        "did you mean 'channels'?",
    ),
    case(
        "unknown-nested-key",
        "",
        "[segments.fan]\nfollowers = { median = 3, sgima = 1 }",
        "segments.fan.followers.sgima",
        "unknown key",
        "did you mean 'sigma'?",
    ),
    case(
        "unknown-distribution-key",
        'mean = "3min"',
        'mean = "3min", cv = 1, shape = 2',
        "teams.agents.handle_time.phone.shape",
        "unknown key",
    ),
    # names of things
    case(
        "unknown-channel",
        'channels = ["phone"]',
        'channels = ["phone", "email"]',
        "teams.agents.channels",
        "unknown channel 'email'",
        "['phone']",
    ),
    case(
        "misspelt-channel",
        'channels = ["phone"]',
        'channels = ["phnoe"]',
        "teams.agents.channels",
        "unknown channel 'phnoe'",
        "did you mean 'phone'?",
    ),
    case(
        "mode-misspelt",
        'mode = "live"',
        'mode = "liv"',
        "channels.phone.mode",
        "one of ['live', 'async']",
        "'liv'",
        "did you mean 'live'?",
    ),
    case(
        "visibility",
        'mode = "live"',
        'visibility = "secret"',
        "channels.phone.visibility",
        "one of ['private', 'public']",
        "'secret'",
    ),
    case(
        "weekday",
        'duration = "2d"',
        'start_weekday = "monday"',
        "run.start_weekday",
        "'monday'",
        "did you mean 'mon'?",
    ),
    case(
        "weekday-number",
        'duration = "2d"',
        "start_weekday = 1",
        "run.start_weekday",
        "one of ['mon'",
        "found 1",
    ),
    case(
        "incident-severity",
        "",
        INCIDENT + 'severity = "majr"',
        "incidents[0].severity",
        "unknown severity 'majr'",
        "['problem']",
    ),
    case(
        "shares-all-zero",
        "",
        "[severities.a]\nshare = 0\n[severities.b]\nshare = 0",
        "severities",
        "shares must not all be zero",
    ),
    case(
        "no-channels",
        BASE[BASE.index("[channels.phone]") :],
        "[channels]",
        "channels",
        "at least one",
    ),
    # shifts
    case(
        "days-misspelt",
        "agents = 14",
        shift(days='"mon-fry"'),
        "teams.agents.shifts[0].days",
        "weekdays such as",
        "'mon-fry'",
        "did you mean 'mon-fri'?",
    ),
    case(
        "days-list-misspelt",
        "agents = 14",
        shift(days='["mon", "thurs"]'),
        "teams.agents.shifts[0].days",
        "'thurs'",
        "did you mean ['mon', 'thu']?",
    ),
    case(
        "days-empty",
        "agents = 14",
        shift(days="[]"),
        "teams.agents.shifts[0].days",
        "weekdays",
        "found []",
    ),
    case(
        "time-25",
        "agents = 14",
        shift(start='"25:00"'),
        "teams.agents.shifts[0].start",
        "HH:MM",
        "'25:00'",
    ),
    case(
        "time-60-minutes",
        "agents = 14",
        shift(end='"17:60"'),
        "teams.agents.shifts[0].end",
        "HH:MM",
        "'17:60'",
    ),
    case(
        "time-number",
        "agents = 14",
        shift(start="800"),
        "teams.agents.shifts[0].start",
        "HH:MM",
        "800",
    ),
    case(
        "shift-agents-negative",
        "agents = 14",
        shift(agents="-3"),
        "teams.agents.shifts[0].agents",
        "0 to 100,000",
        "-3",
    ),
    case(
        "shift-missing-end",
        "agents = 14",
        'shifts = [{ days = "mon-fri", start = "08:00", agents = 3 }]',
        "teams.agents.shifts[0].end",
        "missing",
    ),
    case(
        "shifts-not-a-list",
        "agents = 14",
        "shifts = 3",
        "teams.agents.shifts",
        "list of tables",
        "3",
    ),
    case(
        "shift-not-a-table", "agents = 14", "shifts = [3]", "teams.agents.shifts[0]", "a table", "3"
    ),
    case(
        "agents-and-shifts",
        "agents = 14",
        "agents = 14\n" + shift(),
        "teams.agents.agents",
        "either agents",
        "or shifts, not both",
    ),
    case("no-schedule", "agents = 14", "", "teams.agents", "missing a schedule"),
    # missing required keys
    case("missing-rate", 'rate = "200/h"', "", "problems.rate", "missing", "required"),
    case("missing-problems", '[problems]\nrate = "200/h"', "", "problems", "missing", "[problems]"),
    case(
        "missing-team-channels",
        'channels = ["phone"]\n',
        "",
        "teams.agents.channels",
        "missing",
        "required",
    ),
    case(
        "missing-mean",
        'dist = "exponential", mean = "3min"',
        'dist = "exponential"',
        "teams.agents.handle_time.phone.mean",
        "missing",
    ),
    case(
        "incident-missing-rate",
        "",
        '[[incidents]]\nname = "recall"\nstart = "1h"\nduration = "1h"',
        "incidents[0].extra_rate",
        "missing",
    ),
    # distributions
    case(
        "dist-unknown",
        'dist = "exponential"',
        'dist = "gamma"',
        "teams.agents.handle_time.phone.dist",
        "one of ['exponential', 'lognormal', 'constant']",
        "'gamma'",
    ),
    case(
        "dist-misspelt",
        'dist = "exponential"',
        'dist = "lognorm"',
        "teams.agents.handle_time.phone.dist",
        "'lognorm'",
        "did you mean 'lognormal'?",
    ),
    case(
        "lognormal-without-cv",
        'dist = "exponential"',
        'dist = "lognormal"',
        "teams.agents.handle_time.phone.cv",
        "missing",
        "cv > 0",
    ),
    case(
        "lognormal-cv-zero",
        'dist = "exponential"',
        'dist = "lognormal", cv = 0',
        "teams.agents.handle_time.phone.cv",
        "> 0",
        "found 0",
    ),
    case(
        "lognormal-cv-negative",
        'dist = "exponential"',
        'dist = "lognormal", cv = -0.5',
        "teams.agents.handle_time.phone.cv",
        "> 0",
        "-0.5",
    ),
    case(
        "lognormal-cv-nan",
        'dist = "exponential"',
        'dist = "lognormal", cv = nan',
        "teams.agents.handle_time.phone.cv",
        "finite",
        "nan",
    ),
    case(
        "lognormal-cv-inf",
        'dist = "exponential"',
        'dist = "lognormal", cv = inf',
        "teams.agents.handle_time.phone.cv",
        "finite",
        "inf",
    ),
    case(
        "exponential-cv",
        'dist = "exponential"',
        'dist = "exponential", cv = 2',
        "teams.agents.handle_time.phone.cv",
        "exponential distribution has cv 1",
        "found 2",
    ),
    case(
        "constant-cv",
        'dist = "exponential"',
        'dist = "constant", cv = 0.5',
        "teams.agents.handle_time.phone.cv",
        "constant distribution has cv 0",
        "0.5",
    ),
    case(
        "patience-not-a-table",
        'mode = "live"',
        'patience = "4min"',
        "channels.phone.patience",
        "a table",
        "'4min'",
    ),
    case(
        "handle-time-not-a-table",
        'handle_time.phone = { dist = "exponential", mean = "3min" }',
        "handle_time = 3",
        "teams.agents.handle_time",
        "a table",
        "3",
    ),
    case(
        "handle-time-not-a-distribution",
        'handle_time.phone = { dist = "exponential", mean = "3min" }',
        'handle_time.phone = "3min"',
        "teams.agents.handle_time.phone",
        "a table",
        "'3min'",
    ),
    case(
        "handle-time-missing",
        'handle_time.phone = { dist = "exponential", mean = "3min" }',
        "",
        "teams.agents.handle_time",
        "missing a handling time for channel 'phone'",
    ),
    case(
        "handle-time-unserved",
        "agents = 14",
        'agents = 14\nhandle_time.email = { mean = "3min" }',
        "teams.agents.handle_time.email",
        "does not serve channel 'email'",
    ),
    case(
        "channel-twice",
        'channels = ["phone"]',
        'channels = ["phone", "phone"]',
        "teams.agents.channels",
        "listed twice",
    ),
    # run settings that must agree
    case(
        "warmup-after-end",
        'duration = "2d"',
        'duration = "2d"\nwarmup = "3d"',
        "run.warmup",
        "shorter than run.duration ('2d')",
        "'3d'",
    ),
    case(
        "warmup-equal",
        'duration = "2d"',
        'duration = "2d"\nwarmup = "2d"',
        "run.warmup",
        "shorter than run.duration",
        "'2d'",
    ),
    case(
        "warmup-default-duration",
        'duration = "2d"',
        'warmup = "1d"',
        "run.warmup",
        "shorter than run.duration (the default, 1 day)",
        "'1d'",
    ),
    # profiles
    case(
        "hourly-too-short",
        'rate = "200/h"',
        'rate = "200/h"\nhourly_profile = [1, 2]',
        "problems.hourly_profile",
        "list of 24 numbers",
        "[1, 2]",
        "it has 2",
    ),
    case(
        "weekday-too-long",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = [1, 1, 1, 1, 1, 1, 1, 1]',
        "problems.weekday_profile",
        "list of 7 numbers",
        "it has 8",
    ),
    case(
        "weekday-nan",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = [1, 1, 1, 1, 1, 1, nan]',
        "problems.weekday_profile",
        "item 7 is nan",
    ),
    case(
        "weekday-negative",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = [1, 1, -1, 1, 1, 1, 1]',
        "problems.weekday_profile",
        "item 3 is -1",
    ),
    case(
        "weekday-text",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = [1, 1, 1, 1, 1, 1, "x"]',
        "problems.weekday_profile",
        "item 7 is 'x'",
    ),
    case(
        "weekday-all-zero",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = [0, 0, 0, 0, 0, 0, 0]',
        "problems.weekday_profile",
        "not all zero",
        "[0, 0, 0",
    ),
    case(
        "weekday-number",
        'rate = "200/h"',
        'rate = "200/h"\nweekday_profile = 1',
        "problems.weekday_profile",
        "list of 7 numbers",
        "found 1",
    ),
    # sections of the wrong shape
    case(
        "problems-not-a-table",
        '[run]\nduration = "2d"\n\n[problems]\nrate = "200/h"',
        "problems = 3\n[run]",
        "problems",
        "a table",
        "3",
    ),
    case(
        "team-not-a-table",
        BASE[BASE.index("[teams.agents]") :],
        "[teams]\nagents = 3\n",
        "teams.agents",
        "a table",
        "3",
    ),
    case(
        "incidents-not-a-list", "[run]", "incidents = 3\n[run]", "incidents", "[[incidents]]", "3"
    ),
    case(
        "source-not-text",
        "",
        '[sources]\n"problems.rate" = 3',
        "sources.problems.rate",
        "a string",
        "3",
    ),
]


@pytest.mark.parametrize(("old", "new", "key", "fragments"), CASES)
def test_one_problem_names_file_key_expectation_and_value(
    tmp_path: Path, old: str, new: str, key: str, fragments: list[str]
) -> None:
    path, error, lines = problem_lines(tmp_path, variant(old, new))
    assert [p.key for p in error.problems] == [key], str(error)
    assert lines[0].startswith(f"{path}: {key}: ")
    for fragment in fragments:
        assert fragment in error.problems[0].message, (fragment, str(error))


def test_the_did_you_mean_for_agnets(tmp_path: Path) -> None:
    path = write(tmp_path, variant("agents = 14", "agents = 14\nagnets = 3"))
    with pytest.raises(
        ScenarioError,
        match=r"case\.toml: teams\.agents\.agnets: unknown key; .*did you mean 'agents'\?",
    ):
        load_scenario(path)


def test_wrong_type_error_text(tmp_path: Path) -> None:
    path = write(tmp_path, variant("agents = 14", 'agents = "14"'))
    with pytest.raises(
        ScenarioError,
        match=r"case\.toml: teams\.agents\.agents: expected a whole number.*, found '14'",
    ):
        load_scenario(path)


def test_several_problems_in_one_file_are_all_reported(tmp_path: Path) -> None:
    text = """\
name = "broken"

[run]
duration = "2 fortnights"
warmup = 5

[problems]
rate = "200"
hourly_profile = [1, 2]

[channels.phone]
mode = "liv"
share = -1

[teams.agents]
channels = ["phone", "emial"]
agnets = 3
agents = "14"
handle_time.phone = { dist = "gamma", mean = "3min" }

[[incidents]]
name = "recall"
start = "1d"
duration = "0s"
extra_rate = "x/h"
"""
    _, error, lines = problem_lines(tmp_path, text)
    assert sorted(p.key for p in error.problems) == sorted(
        [
            "run.duration",
            "run.warmup",
            "problems.rate",
            "problems.hourly_profile",
            "channels.phone.mode",
            "channels.phone.share",
            "teams.agents.channels",
            "teams.agents.agnets",
            "teams.agents.agents",
            "teams.agents.handle_time.phone.dist",
            "incidents[0].duration",
            "incidents[0].extra_rate",
        ]
    )
    assert len(lines) == 12


def test_checks_of_one_value_still_run_when_another_key_is_bad(tmp_path: Path) -> None:
    # days cannot be read, so the shift is never built; its agents are still checked.
    shift = '{ days = "mon-fry", start = "08:00", end = "17:00", agents = -3 }'
    _, error, _ = problem_lines(tmp_path, variant("agents = 14", f"shifts = [{shift}]"))
    assert [p.key for p in error.problems] == [
        "teams.agents.shifts[0].days",
        "teams.agents.shifts[0].agents",
    ]


def test_a_bad_distribution_does_not_hide_the_rest_of_its_team(tmp_path: Path) -> None:
    text = variant('dist = "exponential"', 'dist = "gamma"').replace(
        "agents = 14", "agents = 14\nshrinkage = 1.5"
    )
    _, error, _ = problem_lines(tmp_path, text)
    assert [p.key for p in error.problems] == [
        "teams.agents.handle_time.phone.dist",
        "teams.agents.shrinkage",
    ]


def test_every_bad_value_of_a_table_is_reported_not_only_the_first(tmp_path: Path) -> None:
    text = variant("", "[segments.all]\nshare = -1\nannual_value = 300\nloyalty = 7\n")
    text = text.replace('mean = "3min" }', 'mean = "3min" }\ncost_per_hour = -5')
    _, error, lines = problem_lines(tmp_path, text)
    assert [p.key for p in error.problems] == [
        "segments.all.share",
        "segments.all.loyalty",
        "teams.agents.cost_per_hour",
    ], lines


def test_cross_section_problems_are_reported_with_the_others(tmp_path: Path) -> None:
    text = variant('channels = ["phone"]', 'channels = ["email"]') + (
        '\n[[incidents]]\nname = "x"\nstart = "1h"\nduration = "1h"\nextra_rate = "5/h"\n'
        'severity = "huge"\n'
    )
    text = text.replace('duration = "2d"', 'duration = "0s"')
    _, error, _ = problem_lines(tmp_path, text)
    assert [p.key for p in error.problems] == [
        "run.duration",
        "teams.agents.channels",
        "incidents[0].severity",
    ]


def test_scenario_error_problems_can_be_inspected(tmp_path: Path) -> None:
    error = load_error(write(tmp_path, variant("agents = 14", "agents = -2")))
    (problem,) = error.problems
    assert problem.key == "teams.agents.agents"
    assert "-2" in problem.message
    assert str(problem) == f"teams.agents.agents: {problem.message}"


# --- accepted spellings ---


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ('"mon-fri"', (0, 1, 2, 3, 4)),
        ('"sat,sun"', (5, 6)),
        ('"sat-sun"', (5, 6)),
        ('"fri-mon"', (0, 4, 5, 6)),
        ('"daily"', tuple(range(7))),
        ('"all"', tuple(range(7))),
        ('"Mon - Wed, FRI"', (0, 1, 2, 4)),
        ('["wed", "mon"]', (0, 2)),
        ('["mon-tue", "sun"]', (0, 1, 6)),
    ],
)
def test_shift_days_spellings(tmp_path: Path, days: str, expected: tuple[int, ...]) -> None:
    shift = f'{{ days = {days}, start = "22:00", end = "06:00", agents = 2 }}'
    scenario = load_scenario(write(tmp_path, variant("agents = 14", f"shifts = [{shift}]")))
    (loaded,) = scenario.teams["agents"].shifts
    assert loaded == Shift(expected, 22 * 60.0, 6 * 60.0, 2)


def test_toml_local_times_are_accepted(tmp_path: Path) -> None:
    shift = '{ days = "mon", start = 08:30:00, end = 17:00:00, agents = 2 }'
    scenario = load_scenario(write(tmp_path, variant("agents = 14", f"shifts = [{shift}]")))
    (loaded,) = scenario.teams["agents"].shifts
    assert (loaded.start_min, loaded.end_min) == (510.0, 1020.0)


def test_a_constant_may_say_cv_zero(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(tmp_path, variant('dist = "exponential"', 'dist = "constant", cv = 0'))
    )
    assert scenario.teams["agents"].handle_time["phone"].kind is DistributionKind.CONSTANT


# --- the file itself ---


def test_invalid_toml_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\n\n[run]\nduration = = "2d"\n')
    error = load_error(path)
    assert str(error) == f"{path}: invalid TOML at line 4, column 12: Invalid value"


def test_invalid_toml_at_the_end_still_has_a_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\ntitle = "unterminated')
    with pytest.raises(ScenarioError, match=r"invalid TOML at line 2, column 22: Unterminated"):
        load_scenario(path)


def test_duplicate_keys_are_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "[run]\n")
    with pytest.raises(ScenarioError, match=r"case\.toml: invalid TOML at line \d+, column \d+"):
        load_scenario(path)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"], ids=["empty", "spaces", "whitespace"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=r"case\.toml: the file is empty"):
        load_scenario(path)


def test_comment_only_file_lists_what_is_missing(tmp_path: Path) -> None:
    _, error, _ = problem_lines(tmp_path, "# nothing yet\n")
    assert [p.key for p in error.problems] == ["problems", "channels"]


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ScenarioError, match=r"case\.toml: binary content"):
        load_scenario(path)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(
        ScenarioError, match=r"case\.toml: not UTF-8 text \(bad byte at position 12\)"
    ):
        load_scenario(path)


def test_utf16_file(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.encode("utf-16"))
    with pytest.raises(ScenarioError, match=r"case\.toml: UTF-16 text; save it as UTF-8"):
        load_scenario(path)


def test_huge_file(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * MAX_FILE_BYTES + "\n")
    with pytest.raises(ScenarioError, match=r"case\.toml: larger than 1,000,000 bytes"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioError, match=r"nowhere\.toml: no such file$"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match=r"nowhere\.toml: no such file$"):
        load_scenario(str(path))


def test_missing_file_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no such file"):
        load_scenario(str(tmp_path / "sub" / "case"))


def test_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    for source in (folder, str(folder), tmp_path):
        with pytest.raises(ScenarioError, match=r": is a folder; expected a scenario \.toml file"):
            load_scenario(source)


def test_neither_a_file_nor_a_builtin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    error = load_error("textbook_contact_center")
    assert str(error) == (
        "textbook_contact_center: no such file or built-in case; built-in cases: "
        f"{', '.join(BUILTINS)}; did you mean 'textbook_contact_centre'?"
    )
    assert "did you mean" not in str(load_error("zzzz"))


def test_a_builtin_name_with_toml_suffix_gets_a_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ScenarioError,
        match=r"no such file; did you mean the built-in case 'textbook_contact_centre'",
    ):
        load_scenario("textbook_contact_centre.toml")


def test_a_local_file_wins_over_a_builtin_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, 'name = "local"\n' + BASE, "textbook_contact_centre")
    assert load_scenario("textbook_contact_centre").name == "local"


@pytest.mark.parametrize("name", ["a" * 300, "a" * 300 + ".toml", "bad\x00name.toml"])
def test_impossible_file_names(name: str) -> None:
    with pytest.raises(ScenarioError):
        load_scenario(name)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, BASE)
    path.chmod(0)
    try:
        with pytest.raises(ScenarioError, match=r"cannot read the file: Permission denied"):
            load_scenario(path)
    finally:
        path.chmod(0o600)


def test_loads_scenario_names_its_source() -> None:
    with pytest.raises(ScenarioError, match=r"^here\.toml: problems\.rate: missing"):
        loads_scenario("[problems]\n[channels.phone]\n", "here.toml")


def test_dump_is_valid_toml_with_units() -> None:
    data = tomllib.loads(dump_scenario(load_scenario("textbook_contact_centre")))
    assert data["run"]["duration"] == "2d"
    assert data["run"]["service_level_target"] == "20s"
    assert data["problems"]["rate"] == "200/h"
    assert data["teams"]["agents"]["handle_time"]["phone"] == {
        "dist": "exponential",
        "mean": "3min",
    }
