"""Hardening II (issue 23): values that validated but could not run, and text that got around
the control-character guard.

Each test fails on the code before its fix: a lifetime value that divides by zero, word of
mouth counted one by one up to 1e15, a named pipe that blocks the reader, a scenario named
after a file name holding an escape sequence, ``--set`` values holding them, direction
controls in names, a shift from 08:00 to 08:00, and rates a Latin hypercube could not sample.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FAN, invoke

from simcare.core.errors import Problem, ScenarioError
from simcare.core.units import parse_duration, parse_rate
from simcare.experiments.design import SettingError, grid, parse_setting, point_scenario
from simcare.experiments.sweep import plan_sweep
from simcare.scenario_file import load_scenario, load_scenario_data

BASE = """\
[problems]
rate = "20/h"

[channels.phone]
mode = "live"

[teams.desk]
channels = ["phone"]
agents = 2
handle_time.phone = { dist = "exponential", mean = "3min" }
"""
"""A small valid scenario with no name: it runs a day in well under a second."""


def scenario_file(folder: Path, extra: str = "", name: str = "case.toml") -> Path:
    path = folder / name
    path.write_text(BASE + extra, encoding="utf-8")
    return path


def assert_no_raw_controls(text: str) -> None:
    """Nothing that a terminal would take as a command: no ESC, BEL, NUL or C1 character."""
    assert not any(
        (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in text
    ), repr(text)


# --- 1. lifetime value m·r / (1 + i − r) with r = 1 and i = 0 ---

LOYAL_FOREVER = "[segments.fan]\nloyalty = 1\n[churn]\ndiscount_rate = {rate}\n"


@pytest.mark.parametrize("rate", ["0", "1e-17", "0.0"])
def test_loyalty_1_without_a_discount_rate_is_refused_naming_both_keys(
    tmp_path: Path, rate: str
) -> None:
    path = scenario_file(tmp_path, LOYAL_FOREVER.format(rate=rate))
    checked = invoke("validate", path)
    assert checked.exit_code == 2
    assert "churn.discount_rate: expected a discount rate above 0" in checked.output
    assert "segments.fan.loyalty is 1" in checked.output
    ran = invoke("run", path, "-r", "2")  # was a ZeroDivisionError traceback
    assert ran.exit_code == 2
    assert "churn.discount_rate" in ran.stderr


@pytest.mark.parametrize(
    "extra",
    [
        LOYAL_FOREVER.format(rate="0.01"),  # a hundred years of spend (at most a thousand)
        "[segments.fan]\nloyalty = 0.99\n[churn]\ndiscount_rate = 0\n",
    ],
)
def test_a_finite_lifetime_value_still_validates(tmp_path: Path, extra: str) -> None:
    assert invoke("validate", scenario_file(tmp_path, extra)).exit_code == 0


# --- 3. people told, counted one by one ---


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("[word_of_mouth]\ntold_negative = [10, 1e9]\n", "word_of_mouth.told_negative"),
        ("[word_of_mouth]\ntold_positive = 1e15\n", "word_of_mouth.told_positive"),
        ("[word_of_mouth]\ntold_negative = 1001\n", "word_of_mouth.told_negative"),
    ],
)
def test_people_told_beyond_any_real_case_are_refused(tmp_path: Path, extra: str, key: str) -> None:
    result = invoke("validate", scenario_file(tmp_path, extra))
    assert result.exit_code == 2
    assert f"{key}: expected at most 1,000 people" in result.output


def test_a_depth_policy_cannot_multiply_people_told_past_the_bound(tmp_path: Path) -> None:
    extra = (
        "[policies.deep]\n"
        "depth = { handle_factor = 1.5, satisfaction = 0.2, told_positive_factor = 1e6 }\n"
    )
    result = invoke("validate", scenario_file(tmp_path, extra))
    assert result.exit_code == 2
    assert "policies.deep.depth.told_positive_factor:" in result.output
    assert "expected at most 1,000" in result.output


def test_people_told_at_the_bound_validate(tmp_path: Path) -> None:
    extra = "[word_of_mouth]\ntold_negative = [0, 1000]\ntold_positive = 1000\n"
    assert invoke("validate", scenario_file(tmp_path, extra)).exit_code == 0


# --- 4. a named pipe, or any file that is not a regular one ---


def simcare_in_a_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run simcare in its own process, which a hang cannot take the test suite with."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "simcare", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"simcare {' '.join(map(str, args))} hung on a file that is not regular")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path, command: str) -> None:
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    done = simcare_in_a_process(command, pipe)
    assert done.returncode == 2, done.stderr
    assert f"{pipe}: is a named pipe, not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_by_name(tmp_path: Path) -> None:
    done = simcare_in_a_process("validate", "/dev/zero")
    assert done.returncode == 2
    assert "/dev/zero: is a device, not a regular file" in done.stderr


# --- 5. a scenario named after its file ---


def test_a_file_name_with_an_escape_sequence_cannot_name_the_scenario(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, name="esc_\x1b[31mname.toml")
    out = tmp_path / "out"
    result = invoke("run", path, "-r", "2", "--out", out)
    assert result.exit_code == 2
    assert 'add name = "..." to the file' in result.stderr
    assert "holds a control character (\\x1b)" in result.stderr
    assert_no_raw_controls(result.output)
    assert not out.exists()
    # With a name of its own, the same file runs.
    path.write_text('name = "esc"\n' + BASE, encoding="utf-8")
    assert invoke("validate", path).exit_code == 0


def test_a_file_name_with_a_direction_control_cannot_name_the_scenario(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, name="gnp.\u202etoml.toml")
    result = invoke("run", path, "-r", "2")
    assert result.exit_code == 2
    assert "holds a direction control (\\u202e)" in result.stderr
    assert_no_raw_controls(result.output)


def test_a_name_from_a_file_name_is_read_as_a_name_key_is(tmp_path: Path) -> None:
    """Trimmed: a scenario.toml written from it loads back as the same scenario."""
    path = scenario_file(tmp_path, name="fan\n.toml")
    assert load_scenario(path).name == "fan"
    out = tmp_path / "out"
    assert invoke("run", path, "-r", "2", "--out", out).exit_code == 0
    assert load_scenario(out / "scenario.toml") == load_scenario(path)
    checked = invoke("reproduce", out)
    assert checked.exit_code == 0, checked.output


def test_a_blank_file_name_cannot_name_the_scenario(tmp_path: Path) -> None:
    result = invoke("validate", scenario_file(tmp_path, name="  .toml"))
    assert result.exit_code == 2
    assert "is blank; add name" in result.output


def test_a_file_name_in_a_message_is_shown_escaped() -> None:
    error = ScenarioError(Problem("name", "bad"), "esc_\x1b]0;x\x07.toml")
    assert str(error) == "esc_\\x1b]0;x\\x07.toml: name: bad"


# --- 8. --set values pass the guards that file text does ---


@pytest.mark.parametrize(
    ("setting", "escaped"),
    [
        ('title="\\u001b]0;pwned\\u0007"', "(\\x1b)"),
        ('teaching.briefing="a\\u0000b"', "(\\x00)"),
        ("title=plain,a\x1b[31mred", "value 2 holds a control character (\\x1b)"),
        ('name="\\u202eevil"', "holds a direction control (\\u202e)"),
    ],
)
def test_a_set_value_with_a_control_character_is_refused_and_shown_escaped(
    tmp_path: Path, setting: str, escaped: str
) -> None:
    out = tmp_path / "out"
    result = invoke("sweep", FAN, "--set", setting, "--out", out, "-r", "2")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --set '")
    assert escaped in result.stderr
    assert_no_raw_controls(result.output)
    assert not out.exists()  # no plan.json, no CSV


def test_a_point_from_a_plan_passes_the_file_guard_too() -> None:
    """Points read back from a plan.json never went through --set parsing."""
    data, source, name = load_scenario_data(FAN)
    with pytest.raises(ScenarioError) as raised:
        point_scenario(data, {"title": "\x1b]0;pwned\x07"}, source, name)
    assert "title: holds a control character (\\x1b)" in str(raised.value)
    assert_no_raw_controls(str(raised.value))
    data["policies"]["\u202edelete"] = {"based_on": "delete"}
    with pytest.raises(ScenarioError, match=r"holds a direction control \(\\u202e\)"):
        point_scenario(data, {}, source, name)


def test_a_set_message_never_prints_a_control_character() -> None:
    from simcare.core.errors import shown  # new with the fix: imported here

    with pytest.raises(SettingError) as raised:
        parse_setting("ti\x1btle=1")  # a bad key, shown in the message
    assert "'ti\\x1btle=1'" in str(raised.value)
    assert shown("a\x1bb\nc") == "a\\x1bb\\x0ac"


# --- also: direction controls in names and titles ---


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "admin\\u202egnp.exe"\n', "name"),
        ('title = "a \\u2066b\\u2069"\n', "title"),
        ('[policies."\u202etcelfer"]\n', "policies.\\u202etcelfer"),
        ('[teaching]\nbriefing = "\\u200f"\n', "teaching.briefing"),
    ],
)
def test_direction_controls_are_refused_naming_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bidi.toml"
    path.write_text(text + BASE, encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert f"{key}: holds a direction control (\\u" in result.output
    assert_no_raw_controls(result.output)


# --- also: a shift, or opening hours, from a time to the same time ---

SHIFTS = """
[teams.night]
channels = ["email"]
handle_time.email = {{ mean = "5min" }}
shifts = [{{ days = "mon-fri", start = "{start}", end = "{end}", agents = 1 }}]

[channels.email]
mode = "async"
"""


def test_a_shift_from_a_time_to_the_same_time_is_refused(tmp_path: Path) -> None:
    result = invoke("validate", scenario_file(tmp_path, SHIFTS.format(start="08:00", end="08:00")))
    assert result.exit_code == 2
    assert "teams.night.shifts[0].end: expected a time other than start" in result.output
    assert 'a whole day is start = "00:00", end = "00:00"' in result.output


@pytest.mark.parametrize(("start", "end"), [("00:00", "00:00"), ("22:00", "06:00")])
def test_a_whole_day_and_a_night_shift_still_validate(tmp_path: Path, start: str, end: str) -> None:
    path = scenario_file(tmp_path, SHIFTS.format(start=start, end=end))
    assert invoke("validate", path).exit_code == 0


def test_opening_hours_from_a_time_to_the_same_time_are_refused(tmp_path: Path) -> None:
    extra = '[policies.p]\nhours = { phone = "09:30-09:30" }\n'
    result = invoke("validate", scenario_file(tmp_path, extra))
    assert result.exit_code == 2
    assert "policies.p.hours.phone: expected different opening and closing times" in (result.output)
    all_day = '[policies.p]\nhours = { phone = "00:00-00:00" }\n'
    assert invoke("validate", scenario_file(tmp_path, all_day)).exit_code == 0


# --- also: a Latin hypercube over rates and durations ---


def test_a_latin_hypercube_samples_rates_and_durations_in_their_unit(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    plan = plan_sweep(
        path,
        ["problems.rate=150/h:250/h", "run.duration=0.5d:2d"],
        design="lhs",
        samples=8,
    )
    rates = [point["problems.rate"] for point in plan.points]
    durations = [point["run.duration"] for point in plan.points]
    assert all(rate.endswith("/h") for rate in rates), rates
    assert all(duration.endswith("d") for duration in durations), durations
    assert all(150 / 60 <= parse_rate(rate) <= 250 / 60 for rate in rates)
    assert all(720 <= parse_duration(duration) <= 2880 for duration in durations)
    assert len(set(rates)) == 8  # one per stratum of [150, 250]
    for index in range(len(plan.points)):
        assert plan.scenario(index).problems.problems_per_min == parse_rate(rates[index])


def test_a_grid_steps_rates_in_their_unit() -> None:
    points = grid([parse_setting("problems.rate=150/h:250/h:50/h")])
    assert points == [{"problems.rate": f"{n}/h"} for n in (150, 200, 250)]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("problems.rate=150/h:4/min", "in the same unit"),
        ("problems.rate=250/h:150/h", "HI must be >= LO in LO:HI, found 250/h:150/h"),
        ("problems.rate=150/h:250/h,300/h", "looks like a range"),
    ],
)
def test_a_range_of_rates_in_two_units_is_refused(setting: str, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        parse_setting(setting)


def test_validate_shows_a_file_name_with_an_escape_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "esc_\x1b[31mred.toml"
    bad.write_text('name = "fine"\n[problems]\nrate = "1/h"\n[channels.phone]\n', "utf-8")
    result = invoke("validate", bad)
    assert "\x1b" not in result.output
    assert "esc_\\x1b[31mred.toml" in result.output


@pytest.mark.parametrize(
    ("loyalty", "rate", "refused"),
    [(0.9999999999999999, 0.0, True), (1.0, 1e-15, True), (0.99, 0.0, False), (0.8, 0.1, False)],
)
def test_a_lifetime_of_more_than_a_thousand_years_of_spend_is_refused(
    tmp_path: Path, loyalty: float, rate: float, refused: bool
) -> None:
    # The re-attack valued a lost customer at about $1e20: loyalty next to 1, no discount.
    path = tmp_path / "ltv.toml"
    path.write_text(
        f'name = "ltv"\n[problems]\nrate = "1/h"\n[channels.phone]\nmode = "live"\n'
        f"[segments.s]\nloyalty = {loyalty!r}\n[churn]\ndiscount_rate = {rate!r}\n",
        encoding="utf-8",
    )
    result = invoke("validate", path)
    assert result.exit_code == (2 if refused else 0), result.output
    assert ("expected at most 1,000" in result.output) is refused
