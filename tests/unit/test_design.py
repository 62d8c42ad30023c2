"""Sweep designs: parsing setting texts, grid and Latin hypercube points, a scenario per point."""

from __future__ import annotations

import itertools
import json
import math
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from simcare.core.errors import unsafe_character
from simcare.experiments.design import (
    MAX_POINTS,
    MAX_RANGE_VALUES,
    Setting,
    SettingError,
    apply_point,
    check_distinct,
    format_value,
    grid,
    latin_hypercube,
    parse_setting,
    point_scenario,
    point_text,
)
from simcare.scenario import ScenarioError
from simcare.scenario_file import load_scenario, load_scenario_data, scenario_from_dict

PLAIN_TYPES = (int, float, str, bool)


# --- parsing values ---


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2", 2),
        ("-3", -3),
        ("1_000", 1000),
        ("0.5", 0.5),
        ("1e-3", 0.001),
        ("true", True),
        ("false", False),
        ("reply_public", "reply_public"),
        ("20/h", "20/h"),
        ("9min", "9min"),
        ('"2"', "2"),  # quoted: the text 2, not the number
        ("'single'", "single"),
        ("09:00-17:00", "09:00-17:00"),  # colons, but not all numbers: one value
        ("09:00", "09:00"),
        ('"a:b"', "a:b"),
        ("08:00:00", "08:00:00"),  # a TOML local time stays text (a point must be JSON)
        ("2024-01-31", "2024-01-31"),
        ("mon-fri", "mon-fri"),
        ("café", "café"),
    ],
)
def test_a_single_value_is_read_as_toml_or_kept_as_text(written: str, expected: Any) -> None:
    setting = parse_setting(f"run.policy={written}")
    assert setting.values == (expected,)
    assert type(setting.values[0]) is type(expected)
    assert (setting.low, setting.high, setting.step) == (None, None, None)


def test_a_list_keeps_its_order_and_types() -> None:
    setting = parse_setting("teams.social_desk.agents=1,2,4")
    assert setting == Setting(
        "teams.social_desk.agents", (1, 2, 4), text="teams.social_desk.agents=1,2,4"
    )
    mixed = parse_setting("x=1, 0.5 ,true,ignore,20/h")
    assert mixed.values == (1, 0.5, True, "ignore", "20/h")
    assert [type(v) for v in mixed.values] == [int, float, bool, str, str]


def test_commas_always_split_even_inside_quotes() -> None:
    assert parse_setting('x="a,b"').values == ('"a', 'b"')


def test_the_key_may_index_a_list_and_use_dashes_and_is_stripped() -> None:
    assert parse_setting(" teams.social_desk.shifts.0.agents =3").key == (
        "teams.social_desk.shifts.0.agents"
    )
    assert parse_setting("a-b.c_d.9=1").key == "a-b.c_d.9"


def test_a_value_may_contain_an_equals_sign() -> None:
    assert parse_setting("name=a=b").values == ("a=b",)


# --- parsing ranges ---


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1:10:3", (1, 4, 7, 10)),
        ("1:9:3", (1, 4, 7)),  # HI off the grid is left out
        ("5:5:1", (5,)),
        ("-2:2:2", (-2, 0, 2)),
        ("0.1:0.3:0.1", (0.1, 0.2, 0.3)),  # not 0.30000000000000004, and HI included
        ("0:1:0.25", (0.0, 0.25, 0.5, 0.75, 1.0)),
        ("0:1:0.3", (0.0, 0.3, 0.6, 0.9)),
        ("-0.1:0.1:0.1", (-0.1, 0.0, 0.1)),  # exactly zero, not 1.4e-17
        ("1:2.0:1", (1.0, 2.0)),  # one float bound: all floats
    ],
)
def test_a_stepped_range_expands_inclusively(written: str, expected: tuple[Any, ...]) -> None:
    setting = parse_setting(f"x={written}")
    assert setting.values == expected
    assert [type(v) for v in setting.values] == [type(v) for v in expected]
    low, high, step = (float(part) for part in written.split(":"))
    assert (setting.low, setting.high, setting.step) == (low, high, step)


def test_a_stepped_range_of_ints_keeps_int_bounds() -> None:
    setting = parse_setting("x=2:10:2")
    assert [type(setting.low), type(setting.high), type(setting.step)] == [int, int, int]


def test_a_stepped_range_may_have_exactly_the_maximum_number_of_values() -> None:
    assert len(parse_setting(f"x=1:{MAX_RANGE_VALUES}:1").values or ()) == MAX_RANGE_VALUES
    with pytest.raises(SettingError, match=r"more than 10,000 values"):
        parse_setting(f"x=0:{MAX_RANGE_VALUES}:1")


def test_a_bare_range_is_kept_for_sampling() -> None:
    ints = parse_setting("teams.t.agents=2:10")
    assert ints == Setting("teams.t.agents", None, 2, 10, None, "teams.t.agents=2:10")
    assert [type(ints.low), type(ints.high)] == [int, int]
    floats = parse_setting("x=0.5:1")
    assert (floats.values, floats.low, floats.high) == (None, 0.5, 1)
    assert type(floats.low) is float


@given(
    low=st.integers(-1000, 1000),
    width=st.integers(0, 5000),
    step=st.integers(1, 500),
)
def test_int_ranges_step_from_low_to_at_most_high(low: int, width: int, step: int) -> None:
    high = low + width
    values = parse_setting(f"x={low}:{high}:{step}").values
    assert values is not None
    assert values[0] == low
    assert all(type(v) is int for v in values)
    assert all(b - a == step for a, b in itertools.pairwise(values))
    assert values[-1] <= high < values[-1] + step
    assert len(values) == width // step + 1


@given(
    low=st.decimals(-100, 100, places=3),
    count=st.integers(1, 300),
    step=st.decimals("0.001", 10, places=3),
    extra=st.sampled_from([0, 1, 2]),  # HI on the grid, or a little past it
)
def test_float_ranges_step_from_low_to_high(low: Any, count: int, step: Any, extra: int) -> None:
    high = low + (count - 1) * step + extra * step / 4  # written exactly, as a user would
    values = parse_setting(f"x={float(low)}:{float(high)}:{float(step)}").values
    assert values is not None
    assert len(values) == count
    assert values[0] == float(low)
    assert all(b > a for a, b in itertools.pairwise(values))
    assert values[-1] <= float(high) + 1e-9 * float(step)
    # Each value is the decimal a person would write, not LO + i·STEP's binary noise.
    assert values == tuple(float(low + i * step) for i in range(count))


# --- parsing errors ---


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams.x.agents", "expected KEY=V1,V2,... or KEY=LO:HI:STEP, such as"),
        ("=1", "the key before '=' is empty"),
        ("  =1", "the key before '=' is empty"),
        ("x=", "no value after '='"),
        ("x=  ", "no value after '='"),
        ("x=1,,2", "value 2 of the list is empty"),
        ("x=1,", "value 2 of the list is empty"),
        ("a..b=1", "in the key 'a..b', part 2 is empty"),
        (".a=1", "part 1 is empty"),
        ("a.b c=1", "part 2 'b c' is not a name"),
        ("a.b/c=1", "'b/c' is not a name"),
        ("x=1:10:0", "STEP must be > 0 in LO:HI:STEP, found 0"),
        ("x=1:10:-1", "STEP must be > 0"),
        ("x=10:1:1", "HI must be >= LO in LO:HI:STEP, found 10:1"),
        ("x=10:1", "HI must be >= LO in LO:HI, found 10:1"),
        ("x=0:1e9:0.5", "more than 10,000 values; use a larger STEP"),
        ("x=0:1:1e-300", "more than 10,000 values"),
        ("x=1:2:3:4", "a range has 2 or 3 parts"),
        ("x=0:inf", "range bounds must be finite numbers"),
        ("x=nan", "nan is not a finite number"),
        ("x=1,-inf", "-inf is not a finite number"),
        ("x=[1]", "is a TOML list or table"),
        ("x={a=1}", "is a TOML list or table"),
        ("x=1,2:3", "2:3 looks like a range; a range cannot be one value of a list"),
    ],
)
def test_a_malformed_setting_names_the_text_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(SettingError) as raised:
        parse_setting(text)
    assert str(raised.value).startswith(f"setting '{text}': ")
    assert message in str(raised.value)


def test_a_setting_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="expected KEY="):
        parse_setting("nothing")


def test_check_distinct_names_the_repeated_key() -> None:
    first, other, again = (parse_setting(t) for t in ("a.b=1", "c=2", "a.b=3:4"))
    check_distinct([first, other])  # no error
    with pytest.raises(SettingError) as raised:
        check_distinct([first, other, again])
    assert str(raised.value) == (
        "setting 'a.b=3:4': a.b is already set by setting 'a.b=1'; set each key once"
    )


# --- printing values ---


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (2, "2"),
        (0.5, "0.5"),
        (True, "true"),
        (False, "false"),
        ("20/h", "20/h"),
        ("09:00-17:00", "09:00-17:00"),
        ("2", '"2"'),
        ("true", '"true"'),
        ("1:2", '"1:2"'),
        ("a,b", '"a,b"'),
        ("nan", '"nan"'),
        ("", '""'),
    ],
)
def test_format_value_writes_what_a_set_would(value: Any, written: str) -> None:
    assert format_value(value) == written


@given(
    st.one_of(
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        # Any text but a comma, which always separates values, and the control characters
        # that a --set is refused for, as a scenario file is.
        st.text(
            st.characters(exclude_categories=("Cs",), exclude_characters=","), max_size=12
        ).filter(lambda text: unsafe_character(text) is None),
    )
)
def test_format_value_reads_back_as_the_same_value(value: Any) -> None:
    again = parse_setting(f"x={format_value(value)}").values
    assert again == (value,)
    assert type(again[0]) is type(value)


def test_point_text_lists_the_keys_in_order() -> None:
    assert point_text({"teams.a.agents": 3, "run.policy": "ignore"}) == (
        "teams.a.agents=3 run.policy=ignore"
    )


# --- grid ---


def test_grid_is_the_product_with_the_first_setting_slowest() -> None:
    settings = [parse_setting("a=1,2"), parse_setting("b=x,y,z"), parse_setting("c=0:1:0.5")]
    points = grid(settings)
    expected = [
        {"a": a, "b": b, "c": c} for a in (1, 2) for b in ("x", "y", "z") for c in (0.0, 0.5, 1.0)
    ]
    assert points == expected
    assert all(list(point) == ["a", "b", "c"] for point in points)


def test_a_grid_of_no_settings_is_the_scenario_as_it_is() -> None:
    assert grid([]) == [{}]


def test_a_grid_refuses_a_bare_range() -> None:
    with pytest.raises(SettingError) as raised:
        grid([parse_setting("a=1,2"), parse_setting("b=2:10")])
    assert str(raised.value).startswith("setting 'b=2:10': ")
    assert "a grid needs LO:HI:STEP or a list" in str(raised.value)


def test_a_grid_has_at_most_the_maximum_number_of_points() -> None:
    assert len(grid([parse_setting("a=1:100:1"), parse_setting("b=1:1000:1")])) == MAX_POINTS
    too_many = [parse_setting("a=1:100:1"), parse_setting("b=1:1001:1")]
    with pytest.raises(SettingError) as raised:
        grid(too_many)
    assert str(raised.value) == (
        "design grid: 100,100 points (100 × 1001); at most 100,000 — use design lhs samples N"
    )


# --- Latin hypercube ---


def _strata(values: list[float], low: float, high: float, samples: int) -> list[int]:
    """Invert the bare range's mapping: the stratum of u each value came from."""
    return [math.floor((value - low) / (high - low) * samples) for value in values]


@given(samples=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_each_setting_hits_every_stratum_exactly_once(samples: int, seed: int) -> None:
    settings = [parse_setting("a=-3.5:4.5"), parse_setting("b=0.0:1.0")]
    points = latin_hypercube(settings, samples, seed)
    assert len(points) == samples
    for setting in settings:
        assert setting.low is not None
        assert setting.high is not None
        values = [point[setting.key] for point in points]
        assert all(type(v) is float and setting.low <= v < setting.high for v in values)
        assert sorted(_strata(values, setting.low, setting.high, samples)) == list(range(samples))


def test_settings_get_strata_in_orders_of_their_own() -> None:
    points = latin_hypercube([parse_setting("a=0.0:1.0"), parse_setting("b=0.0:1.0")], 50, 3)
    first = _strata([p["a"] for p in points], 0.0, 1.0, 50)
    second = _strata([p["b"] for p in points], 0.0, 1.0, 50)
    assert first != second


def test_the_design_follows_its_own_seed_branch() -> None:
    # Pinned so that a sweep's plan is the same on every version: the algorithm and stream.
    rng = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(0xD5,)))
    strata = rng.permutation(5)
    u = (strata + rng.random(5)) / 5
    points = latin_hypercube([parse_setting("a=0.0:10.0")], 5, 7)
    assert [p["a"] for p in points] == pytest.approx(list(u * 10), abs=1e-10)
    # ... which is not the stream the replications use.
    plain = np.random.default_rng(np.random.SeedSequence(7, spawn_key=(0,))).permutation(5)
    assert [p["a"] for p in latin_hypercube([parse_setting("a=0:4")], 5, 7)] != list(plain)


def test_the_same_seed_gives_the_same_points_and_another_seed_others() -> None:
    settings = [parse_setting("a=0.0:1.0"), parse_setting("b=1,2,3"), parse_setting("c=2:10")]
    assert latin_hypercube(settings, 20, 1) == latin_hypercube(settings, 20, 1)
    assert latin_hypercube(settings, 20, 1) != latin_hypercube(settings, 20, 2)


def test_a_setting_draws_the_same_whatever_follows_it() -> None:
    alone = latin_hypercube([parse_setting("a=0.0:1.0")], 10, 4)
    together = latin_hypercube([parse_setting("a=0.0:1.0"), parse_setting("b=1,2")], 10, 4)
    assert [p["a"] for p in alone] == [p["a"] for p in together]


def test_an_int_range_gives_each_whole_number_equally_often() -> None:
    points = latin_hypercube([parse_setting("agents=2:5")], 8, 11)
    values = [p["agents"] for p in points]
    assert all(type(v) is int for v in values)
    # 8 strata over 4 numbers: each number gets exactly two strata.
    assert Counter(values) == {2: 2, 3: 2, 4: 2, 5: 2}


@given(samples=st.integers(1, 100), seed=st.integers(0, 1000))
def test_an_int_range_stays_within_its_bounds(samples: int, seed: int) -> None:
    values = [p["n"] for p in latin_hypercube([parse_setting("n=-3:3")], samples, seed)]
    assert all(type(v) is int and -3 <= v <= 3 for v in values)


def test_a_list_is_covered_evenly_when_samples_are_a_multiple_of_its_length() -> None:
    points = latin_hypercube([parse_setting("run.policy=ignore,reply_public,delete")], 9, 5)
    assert Counter(p["run.policy"] for p in points) == {
        "ignore": 3,
        "reply_public": 3,
        "delete": 3,
    }
    stepped = latin_hypercube([parse_setting("x=0:1:0.5")], 6, 5)
    assert Counter(p["x"] for p in stepped) == {0.0: 2, 0.5: 2, 1.0: 2}


def test_a_degenerate_range_gives_its_one_value() -> None:
    assert [p["x"] for p in latin_hypercube([parse_setting("x=2.5:2.5")], 3, 0)] == [2.5] * 3


def test_points_hold_plain_values_that_json_and_toml_can_write() -> None:
    settings = [
        parse_setting("a=0.0:1.0"),
        parse_setting("b=2:10"),
        parse_setting("c=1,0.5,true,ignore"),
        parse_setting("d=0:1:0.1"),
    ]
    for points in (latin_hypercube(settings, 12, 9), grid(settings[2:])):
        for point in points:
            assert all(type(value) in PLAIN_TYPES for value in point.values())
            assert json.loads(json.dumps(point, allow_nan=False)) == point
            assert tomllib.loads(tomli_w.dumps(point)) == point


@pytest.mark.parametrize(
    ("samples", "seed", "message"),
    [
        (0, 1, "samples 0: expected a whole number from 1 to 10,000"),
        (-3, 1, "samples -3: expected a whole number from 1 to 10,000"),
        (5, -1, "seed -1: expected a whole number >= 0"),
    ],
)
def test_a_hypercube_needs_samples_and_a_seed(samples: int, seed: int, message: str) -> None:
    with pytest.raises(SettingError) as raised:
        latin_hypercube([parse_setting("a=1,2")], samples, seed)
    assert str(raised.value) == message


# --- applying a point ---

RAW: dict[str, Any] = {
    "run": {"duration": "2d"},
    "teams": {"desk": {"agents": 2, "shifts": [{"start": "09:00", "agents": 1}], "none": []}},
}


def test_apply_point_sets_keys_in_a_copy() -> None:
    changed = apply_point(
        RAW, {"run.duration": "3d", "teams.desk.shifts.0.agents": 4, "behaviour.anger.x": 0.5}
    )
    assert changed["run"]["duration"] == "3d"
    assert changed["teams"]["desk"]["shifts"] == [{"start": "09:00", "agents": 4}]
    assert changed["behaviour"] == {"anger": {"x": 0.5}}  # missing tables are created
    assert RAW["run"]["duration"] == "2d"  # the original is untouched, deep down too
    assert RAW["teams"]["desk"]["shifts"][0]["agents"] == 1
    assert "behaviour" not in RAW


def test_apply_point_replaces_a_list_entry() -> None:
    changed = apply_point(RAW, {"teams.desk.shifts.0": {"agents": 9}})
    assert changed["teams"]["desk"]["shifts"] == [{"agents": 9}]


def test_an_empty_point_changes_nothing() -> None:
    assert apply_point(RAW, {}) == RAW


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("teams.desk.shifts.5.agents", "shifts has 1 entry (indices 0 to 0)"),
        ("teams.desk.none.0", "none has no entries"),
        ("teams.desk.shifts.first", "shifts is a list; expected an index, found 'first'"),
        ("run.duration.x", "duration is '2d', not a table or a list"),
        ("teams.desk.agents.x.y", "agents is 2, not a table or a list"),
        ("teams.0.agents", "teams is a table, not a list; it has no key '0'"),
    ],
)
def test_apply_point_names_the_key_and_what_it_found(key: str, message: str) -> None:
    with pytest.raises(SettingError) as raised:
        apply_point(RAW, {key: 1})
    assert str(raised.value) == f"setting {key}: {message}"
    assert raised.value.spelled({"setting": "--set"}) == f"--set {key}: {message}"


# --- a scenario per point ---

CASE = "textbook_contact_centre"


def test_load_scenario_data_gives_the_raw_data_the_path_and_the_name() -> None:
    data, source, name = load_scenario_data(CASE)
    assert Path(source).name == f"{CASE}.toml"
    assert name == CASE
    assert data["teams"]["agents"]["agents"] == 14
    assert scenario_from_dict(data, name) == load_scenario(CASE)
    assert load_scenario_data(Path(source))[0] == data


def test_load_scenario_data_fails_like_load_scenario(tmp_path: Path) -> None:
    for source in ("textbook_contact_centr", str(tmp_path / "missing.toml")):
        with pytest.raises(ScenarioError) as from_data:
            load_scenario_data(source)
        with pytest.raises(ScenarioError) as from_load:
            load_scenario(source)
        assert str(from_data.value) == str(from_load.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.toml: invalid TOML at line 1"):
        load_scenario_data(bad)


def test_load_scenario_data_suggests_a_built_in_case() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'textbook_contact_centre'"):
        load_scenario_data("textbook_contact_centr")


def test_a_point_changes_the_scenario() -> None:
    data, source, name = load_scenario_data(CASE)
    scenario = point_scenario(data, {"teams.agents.agents": 11}, source, name)
    assert scenario.teams["agents"].shifts[0].agents == 11
    assert scenario.name == CASE
    assert data["teams"]["agents"]["agents"] == 14  # the base data is reused by every point
    assert point_scenario(data, {}, source, name) == load_scenario(CASE)


def test_a_point_may_change_a_shift_in_a_list() -> None:
    data, source, name = load_scenario_data("loyal_fan_deleted_post")
    point = {"teams.social_desk.shifts.0.agents": 3, "teams.social_desk.shifts.0.end": "18:00"}
    shift = point_scenario(data, point, source, name).teams["social_desk"].shifts[0]
    assert (shift.agents, shift.end_min) == (3, 18 * 60.0)


def test_an_unknown_key_names_the_file_the_point_and_the_closest_key() -> None:
    data, source, name = load_scenario_data(CASE)
    point = {"run.policy": "ignore", "teams.agents.agentz": 3}
    with pytest.raises(ScenarioError) as raised:
        point_scenario(data, point, source, name)
    message = str(raised.value)
    assert raised.value.source == f"{source} at run.policy=ignore teams.agents.agentz=3"
    assert message.startswith(f"{source} at run.policy=ignore teams.agents.agentz=3: ")
    assert "teams.agents.agentz: unknown key" in message
    assert "did you mean 'agents'?" in message


def test_a_bad_value_gives_the_readers_message() -> None:
    data, source, name = load_scenario_data(CASE)
    with pytest.raises(ScenarioError) as raised:
        point_scenario(data, {"teams.agents.agents": -1}, source, name)
    assert [str(problem) for problem in raised.value.problems] == [
        "teams.agents.agents: expected a whole number of agents from 0 to 100,000, found -1"
    ]
    assert " at teams.agents.agents=-1: " in str(raised.value)


def test_a_key_that_cannot_be_set_is_a_setting_error() -> None:
    data, source, name = load_scenario_data(CASE)
    with pytest.raises(SettingError, match=r"setting run.duration.x: duration is '2d'"):
        point_scenario(data, {"run.duration.x": 1}, source, name)
