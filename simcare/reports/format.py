"""Numbers as a reader sees them, formatted by their `Unit`.

In full, short, as signed differences, as "mean ±half-width", on a chart's axis, and durations
as said aloud: every table, chart, page and story of `simcare.reports` writes its numbers here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from simcare.metrics import Unit

__all__ = [
    "AxisScale",
    "axis_scale",
    "compact_number",
    "difference_text",
    "display_unit",
    "format_duration",
    "format_value",
    "identical",
    "mean_text",
    "percent",
    "plain_number",
    "short_value",
    "spoken_duration",
    "unit_named",
    "whole_number",
]


def unit_named(text: str) -> Unit:
    """The unit a results table names (a plain count if a hand-edited file names another)."""
    try:
        return Unit(text)
    except ValueError:
        return Unit.COUNT


# --- durations ---


def _three_figures(value: float) -> str:
    """Three significant figures, without an exponent ("7.8", "42", "1,500"); 0 below 0.001."""
    if abs(value) >= 999.5:
        return f"{value:,.0f}"
    if abs(value) < 0.0005:
        return "0"
    return format(Decimal(f"{value:.3g}"), "f")


def _sig3(value: float) -> float:
    return float(f"{value:.3g}")


def display_unit(minutes: float) -> tuple[str, float]:
    """Return the unit a person would read a duration in, and its size in minutes."""
    # Choose the unit on the rounded value, so that 59.99 s shows as "1 min", not "60 s".
    magnitude = abs(minutes)
    if _sig3(magnitude * 60) < 60:
        return "s", 1 / 60
    if _sig3(magnitude) < 120:
        return "min", 1.0
    if _sig3(magnitude / 60) < 48:
        return "h", 60.0
    return "d", 1440.0


def format_duration(minutes: float, unit: tuple[str, float] | None = None) -> str:
    """Return a duration in the unit a person would use: "7.8 s", "4.2 min", "3.1 h", "2.5 d".

    Args:
        minutes: the duration.
        unit: a `display_unit` to use instead of this duration's own (to write a range in one
            unit, "109 min – 243 min", not "109 min – 4.05 h").
    """
    if not math.isfinite(minutes):
        return "—" if math.isnan(minutes) else ("-∞" if minutes < 0 else "∞")
    minutes += 0.0  # -0.0 shows as "0 s"
    name, size = unit or display_unit(minutes)
    # Seconds divide by 60 rather than multiply by an inexact 1/60.
    value = minutes * 60 if name == "s" else minutes / size
    return f"{_three_figures(value)} {name}"


def spoken_duration(minutes: float) -> str:
    """A duration as said aloud: "40 s", "25 min", "3 h 5 min", "2 days 3 h"."""
    if minutes < 1:
        return f"{max(1, round(minutes * 60))} s"
    if minutes < 59.5:
        return f"{round(minutes)} min"
    if minutes < 1440 - 0.5:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(minutes / 60), 24)
    day_text = "1 day" if days == 1 else f"{days} days"
    return f"{day_text} {hours} h" if hours else day_text


# --- values in tables, pages and stories ---


def whole_number(value: float) -> str:
    """A count rounded to a whole number, with thousands separators: "9,245"."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"


def percent(value: float, decimals: int = 1) -> str:
    """A share in percent: "17.4%" (with ``decimals`` 0, "17%")."""
    return f"{value:.{decimals}%}"


def format_value(value: float, unit: Unit, currency: str = "$", like: float | None = None) -> str:
    """Format one number for a reader: "7.8 s", "17.4%", "9,245", "$25,760".

    A duration is written in the unit that suits ``like`` when given (so that both ends of an
    interval share the unit of its mean).
    """
    if math.isnan(value):
        return "—"
    if unit is Unit.MINUTES:
        scale = like if like is not None and math.isfinite(like) else value
        return format_duration(value, display_unit(scale) if math.isfinite(scale) else None)
    if unit is Unit.SHARE:
        return percent(value)
    if unit is Unit.MONEY:
        return f"{'−' if value < 0 else ''}{currency}{abs(value):,.0f}"
    if unit is Unit.HOURS:
        return f"{value:,.1f} h"
    if abs(value) < 100 and not float(value).is_integer():
        return f"{value:,.1f}"
    return whole_number(value)


def short_value(value: float, unit: Unit, currency: str = "$") -> str:
    """A number for a narrow cell: money and big counts in k, M and B ("$2.69M", "47.5k")."""
    if math.isnan(value) or unit not in (Unit.MONEY, Unit.COUNT) or abs(value) < 10_000:
        return format_value(value, unit, currency)
    prefix = currency if unit is Unit.MONEY else ""
    sign = "−" if value < 0 else ""
    size, suffix = next(
        (size, suffix)
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k"))
        if abs(value) >= size * 0.9995 or suffix == "k"
    )
    number = abs(value) / size
    # Beyond a thousand billions, digits rather than an exponent: "3,200B", never "3.2e+03B".
    text = f"{number:,.0f}" if number >= 999.5 else f"{number:.3g}"
    return f"{sign}{prefix}{text}{suffix}"


def difference_text(value: float, unit: Unit, currency: str = "$", sign: bool = True) -> str:
    """A difference in the outcome's unit, a share's in percentage points ("+6.0", "−$57.5k")."""
    if math.isnan(value):
        return "—"
    mark = ("+" if value > 0 else "−" if value < 0 else "") if sign else ""
    if unit is Unit.SHARE:
        return f"{mark}{abs(value) * 100:.1f}"
    return f"{mark}{short_value(abs(value), unit, currency)}"


def identical(difference: float, low: float, high: float) -> bool:
    """Whether a paired difference read from a file was 0 in every replication.

    Its mean is 0 and so is its 95% interval (with one replication, it has none): the report
    and its charts then say "identical", as the command line does, not "too close to call".
    """
    return difference == 0 and ((low, high) == (0, 0) or (math.isnan(low) and math.isnan(high)))


def mean_text(mean: float, half_width: float, unit: Unit, currency: str = "$") -> str:
    """A mean and its 95% CI half-width for a narrow cell: "17.4% ±1.2", "$2.69M ±$57.5k".

    A NaN half-width (one replication) leaves the mean alone.
    """
    text = short_value(mean, unit, currency)
    if not math.isnan(half_width):
        text += f" ±{difference_text(half_width, unit, currency, sign=False)}"
    return text


# --- numbers on a chart's axis ---


def plain_number(value: float, digits: int = 4) -> str:
    """A tick number without float noise or exponent: 0.3, 12, 2.25."""
    text = f"{round(value, 9):.{digits}g}"
    if "e" in text:
        text = f"{value:,.0f}"
    return "0" if text in ("-0", "0") else text


def compact_number(value: float, prefix: str = "", signed: bool = False) -> str:
    """A number in k and M, with a prefix such as a currency: "$2.5M", "−$750k", "+12"."""
    size = abs(value)
    if size >= 999_500:
        body = f"{plain_number(size / 1e6)}M"
    elif size >= 999.5:
        body = f"{plain_number(size / 1e3)}k"
    else:
        body = plain_number(size)
    if body == "0":
        return f"{prefix}0"
    sign = "−" if value < 0 else "+" if signed else ""
    return f"{sign}{prefix}{body}"


def _signed(value: float, body: str) -> str:
    if body == "0":
        return body
    return f"{'−' if value < 0 else '+'}{body}"


@dataclass(frozen=True, slots=True)
class AxisScale:
    """How an outcome shows on an axis: values × ``factor``, ticks as ``text``.

    ``suffix`` names the unit after the axis label (" (%)", " ($)", " (min)").
    """

    factor: float
    suffix: str
    text: Callable[[float], str]


def axis_scale(
    unit: str, currency: str, values: Iterable[float], difference: bool = False
) -> AxisScale:
    """Choose an axis' scale for numbers of ``unit`` (a difference's: signed, in points)."""
    if unit == "share":
        if difference:
            return AxisScale(
                1.0, " (percentage points)", lambda v: _signed(v, plain_number(abs(v) * 100, 3))
            )
        return AxisScale(1.0, " (%)", lambda v: f"{plain_number(v * 100, 3)}%")
    if unit == "money":
        return AxisScale(1.0, f" ({currency})", lambda v: compact_number(v, currency, difference))
    if unit == "minutes":
        finite = [abs(v) for v in values if math.isfinite(v)]
        name, size = display_unit(max(finite, default=1.0))
        factor = 60.0 if name == "s" else 1 / size
        if difference:
            return AxisScale(factor, f" ({name})", lambda v: _signed(v, plain_number(abs(v))))
        return AxisScale(factor, f" ({name})", plain_number)
    suffix = " (h)" if unit == "hours" else ""
    return AxisScale(1.0, suffix, lambda v: compact_number(v, "", difference))
