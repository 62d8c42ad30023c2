from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simcare.core.units import (
    duration_text,
    parse_duration,
    parse_rate,
    rate_text,
)
from simcare.metrics.catalogue import Unit
from simcare.reports.format import format_duration, short_value

# --- parse_duration ---


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45s", 0.75),
        ("90s", 1.5),
        ("20s", 20 / 60),
        ("1sec", 1 / 60),
        ("4min", 4.0),
        ("4m", 4.0),
        ("6h", 360.0),
        ("3d", 3 * 1440.0),
        ("2day", 2880.0),
        ("2days", 2880.0),
        ("1w", 10080.0),
        ("1week", 10080.0),
        ("2weeks", 20160.0),
        ("1d 6h", 1440.0 + 360.0),
        ("2h30min", 150.0),
        ("1h 30min 30s", 90.5),
        ("1.5h", 90.0),
        ("0.25min", 0.25),
        (".5h", 30.0),
        ("2.h", 120.0),
        ("0s", 0.0),
        ("  4 min  ", 4.0),
        ("4MIN", 4.0),
    ],
)
def test_parse_duration_reads_units(text: str, minutes: float) -> None:
    assert parse_duration(text) == minutes


def test_parse_duration_seconds_are_exact() -> None:
    # 1/60 is not exact in binary; seconds must be divided by 60, not multiplied by 1/60.
    for seconds in range(0, 3600):
        assert parse_duration(f"{seconds}s") == seconds / 60


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "5",
        "5.5",
        "min",
        "5 parsecs",
        "2 fortnights",
        "-3min",
        "+3min",
        "nan min",
        "nanmin",
        "infh",
        "inf h",
        "1e3min",
        "5min extra",
        "1d,6h",
        "h5",
        "5 min 3",
    ],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - any message will do
        parse_duration(text)


def test_parse_duration_rejects_overflow() -> None:
    with pytest.raises(ValueError, match="not finite"):
        parse_duration("9" * 400 + "d")


# --- parse_rate ---


@pytest.mark.parametrize(
    ("text", "per_minute"),
    [
        ("200/h", 200 / 60),
        ("1500/day", 1500 / 1440),
        ("1500/d", 1500 / 1440),
        ("3/min", 3.0),
        ("3/s", 180.0),
        ("0.5/min", 0.5),
        ("0/h", 0.0),
        (" 200 / h ", 200 / 60),
        ("70/week", 70 / 10080),
        ("200/H", 200 / 60),
    ],
)
def test_parse_rate_reads_units(text: str, per_minute: float) -> None:
    assert parse_rate(text) == per_minute


def test_parse_rate_zero_is_positive_zero() -> None:
    assert math.copysign(1.0, parse_rate("-0/h")) == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "200",
        "/h",
        "-1/h",
        "x/h",
        "200/",
        "200/parsec",
        "nan/h",
        "inf/h",
        "-inf/h",
        "",
        "200h",
        "1e308/s",  # finite count, infinite rate
    ],
)
def test_parse_rate_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_rate(text)


# --- text that reads back exactly ---


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0.0, "0s"),
        (-0.0, "0s"),
        (0.5, "30s"),
        (20 / 60, "20s"),
        (4.0, "4min"),
        (90.0, "90min"),
        (120.0, "2h"),
        (1440.0, "1d"),
        (2880.0, "2d"),
        (1500.0, "25h"),
    ],
)
def test_duration_text_picks_a_readable_unit(minutes: float, text: str) -> None:
    assert duration_text(minutes) == text


@pytest.mark.parametrize(
    "minutes", [1e-5, 1e-12, 0.1, 1 / 3, 7 / 60, 120.00000000000003, 1e16, 1e300, 5e-324]
)
def test_duration_text_round_trips_awkward_values(minutes: float) -> None:
    text = duration_text(minutes)
    assert "e" not in text.replace("min", "").replace("d", "")  # no exponent notation
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("minutes", [-1.0, math.nan, math.inf])
def test_duration_text_rejects_what_no_text_reads_as(minutes: float) -> None:
    with pytest.raises(ValueError, match="expected a finite duration"):
        duration_text(minutes)


@pytest.mark.parametrize(
    ("per_minute", "text"),
    [(200 / 60, "200/h"), (1500 / 1440, "1500/day"), (3.0, "180/h"), (0.0, "0/h")],
)
def test_rate_text_picks_a_readable_unit(per_minute: float, text: str) -> None:
    assert rate_text(per_minute) == text


@pytest.mark.parametrize("per_minute", [1e-7, 1e-300, 0.1, 1 / 7, 1e300])
def test_rate_text_round_trips_awkward_values(per_minute: float) -> None:
    assert parse_rate(rate_text(per_minute)) == per_minute


@pytest.mark.parametrize("per_minute", [-1.0, math.nan, math.inf])
def test_rate_text_rejects_what_no_text_reads_as(per_minute: float) -> None:
    with pytest.raises(ValueError, match="expected a finite rate"):
        rate_text(per_minute)


reasonable = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(reasonable)
def test_duration_text_round_trips(minutes: float) -> None:
    assert parse_duration(duration_text(minutes)) == minutes


@given(st.integers(min_value=0, max_value=10**7))
def test_duration_text_round_trips_whole_seconds(seconds: int) -> None:
    minutes = seconds / 60
    text = duration_text(minutes)
    assert parse_duration(text) == minutes


@given(reasonable)
def test_rate_text_round_trips(per_minute: float) -> None:
    assert parse_rate(rate_text(per_minute)) == per_minute


@given(st.integers(min_value=0, max_value=10**7), st.sampled_from(["h", "day", "min", "s"]))
def test_rate_text_round_trips_written_rates(count: int, unit: str) -> None:
    per_minute = parse_rate(f"{count}/{unit}")
    assert parse_rate(rate_text(per_minute)) == per_minute


# --- format_duration ---


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0.0, "0 s"),
        (-0.0, "0 s"),
        (0.13, "7.8 s"),
        (9.36 / 60, "9.36 s"),
        (0.5, "30 s"),
        (0.9999, "1 min"),  # 59.99 s rounds to 60 s: say "1 min"
        (4.2, "4.2 min"),
        (59.5, "59.5 min"),
        (119.99, "2 h"),
        (180.0, "3 h"),
        (3.1 * 60, "3.1 h"),
        (47 * 60, "47 h"),
        (2879.9, "2 d"),
        (2.5 * 1440, "2.5 d"),
        (1e7, "6,944 d"),  # no exponent notation
        (1e-5, "0.0006 s"),
        (1e-9, "0 s"),  # below a millisecond: nothing a person would read
        (-3.0, "-3 min"),
        (math.inf, "∞"),
        (-math.inf, "-∞"),
        (math.nan, "—"),
    ],
)
def test_format_duration_picks_a_sensible_unit(minutes: float, text: str) -> None:
    assert format_duration(minutes) == text


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_format_duration_is_short_and_has_no_exponent(minutes: float) -> None:
    text = format_duration(minutes)
    number, unit = text.split(" ")
    assert unit in {"s", "min", "h", "d"}
    assert "e" not in number
    if unit != "d":
        significant = number.replace(".", "").lstrip("-0").rstrip("0")
        assert len(significant) <= 3
        assert float(number) < (60 if unit == "s" else 120 if unit == "min" else 48)


@pytest.mark.parametrize(
    ("value", "count", "money"),
    [
        (12_345, "12.3k", "$12.3k"),
        (999_499, "999k", "$999k"),
        (999_500, "1M", "$1M"),
        (2.48e9, "2.48B", "$2.48B"),
        (-1.75e9, "−1.75B", "−$1.75B"),
        (3.2e12, "3,200B", "$3,200B"),
    ],
)
def test_short_values_never_show_an_exponent(value: float, count: str, money: str) -> None:
    # A critic read "2.48e+03M" impressions in a compare table; billions are "B".
    assert short_value(value, Unit.COUNT) == count
    assert short_value(value, Unit.MONEY) == money
