"""What every chart shares: the style and palette, the figure's size and panels, the error.

Charts are built without pyplot; the style (fonts, the Okabe–Ito palette, SVG's fixed hash
salt) is applied under a lock with `matplotlib.rc_context`, so nothing touches global state.
Every text is drawn as written: names and titles come from scenario and team files, and a
``$`` in them must not start matplotlib's mathematics (``text.parse_math`` off in the style,
and `literal_texts` on every text of a figure before it is drawn).
"""

from __future__ import annotations

import math
import textwrap
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from simcare.experiments.compare import KEY_OUTCOMES
from simcare.metrics import OUTCOMES, Better
from simcare.reports.comparison import SHORT_LABELS
from simcare.reports.format import AxisScale, compact_number
from simcare.results.read import Results

DPI = 160
"""PNG resolution: a 12 × 6.75 in chart is 1920 × 1080 pixels, a full-HD slide."""
WIDTH_IN = 12.0
SLIDE_IN = (WIDTH_IN, 6.75)

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}
"""Okabe & Ito's palette, distinguishable with every common colour-vision deficiency."""
GREY = "#999999"
LIGHT_GREY = "#DDDDDD"
_SERIES_COLOURS = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "reddish_purple",
        "sky_blue",
        "vermillion",
        "black",
        "yellow",
    )
)
"""Colours of policies, channels and causes, in order (yellow last: faint on white)."""
_HATCHES = ("", "..", "xx", "\\\\")
"""Past the eighth colour, hatches tell the repeats apart."""
_BASELINE_HATCH = "//"

STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "simcare",
    "svg.fonttype": "path",
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "figure.titlesize": 16,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "hatch.linewidth": 1.2,
    "errorbar.capsize": 4,
    "text.parse_math": False,  # "$x^2$" in a policy's name is drawn as "$x^2$", not as maths
}
_LOCK = threading.RLock()
"""rcParams are global: charts are styled and saved one at a time across threads."""


class PlotError(Exception):
    """Charts cannot be drawn: a folder unreadable, nothing to draw, or a file not written.

    A folder that cannot be read (`simcare.results.read.ReadError`) is reported as this too,
    as is an outcome asked for that the folder lacks. ``str()`` names the folder or file and
    says what is wrong.
    """


@contextmanager
def chart_style() -> Iterator[None]:
    """Apply simcare's chart style while a chart is built or saved (one thread at a time).

    A character the font lacks is drawn as a box; matplotlib's warning about it would print
    the character and matplotlib's source lines to the user's terminal, so it is silenced.
    """
    with _LOCK, mpl.rc_context(STYLE), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        yield


def literal_texts(figure: Figure) -> Figure:
    """Draw every text of a figure as written, even one made outside `chart_style`.

    A text takes ``text.parse_math`` when it is made; one added to a finished chart (a
    relabelled title) would otherwise parse a ``$`` as mathematics. Texts made while the
    figure is drawn (tick labels) are made in the style, which has it off.
    """
    for text in figure.findobj(Text):
        text.set_parse_math(False)
    return figure


def finish(ax: Axes) -> None:
    """Tick sizes fixed on the axes (ticks are made lazily, maybe outside the style)."""
    ax.tick_params(labelsize=STYLE["xtick.labelsize"])


def ticks(scale: AxisScale) -> FuncFormatter:
    """An axis formatter writing ticks in ``scale``'s text."""
    text = scale.text
    return FuncFormatter(lambda value, _position: text(value))


def compact_ticks() -> FuncFormatter:
    """An axis formatter writing counts in k and M."""
    return FuncFormatter(lambda value, _position: compact_number(value))


def light_grid(ax: Axes, axis: Literal["both", "x", "y"] = "both", width: float = 0.8) -> None:
    """Light grid lines behind the data."""
    ax.grid(axis=axis, color=LIGHT_GREY, linewidth=width)
    ax.set_axisbelow(True)


# --- colours and labels ---


def colour(index: int) -> tuple[str, str]:
    """The colour and hatch of the ``index``-th series."""
    colours = len(_SERIES_COLOURS)
    return _SERIES_COLOURS[index % colours], _HATCHES[(index // colours) % len(_HATCHES)]


def policy_styles(results: Results) -> dict[str, tuple[str, str]]:
    """Each policy's colour and hatch: the baseline grey and hatched, the others in order."""
    styles: dict[str, tuple[str, str]] = {}
    others = 0
    for policy in results.policies:
        if policy == results.baseline:
            styles[policy] = (GREY, _BASELINE_HATCH)
        else:
            styles[policy] = colour(others)
            others += 1
    return styles


def policy_label(results: Results, policy: str) -> str:
    """A policy's name on an axis, the baseline's marked so."""
    return f"{policy} (baseline)" if policy == results.baseline else policy


def direction(outcome: str) -> Better | None:
    """Which way the outcome improves (None when neither way is better, or it is unknown)."""
    spec = OUTCOMES.get(outcome)
    return spec.better if spec else None


def short_label(results: Results, outcome: str) -> str:
    """The outcome's heading in the comparison table, else its full label."""
    return SHORT_LABELS.get(outcome, results.label(outcome))


def panel_title(results: Results, outcome: str) -> str:
    """A panel's title: the outcome's short label and which way is better."""
    better = direction(outcome)
    if better is None:
        return short_label(results, outcome)
    return f"{short_label(results, outcome)} — {better.value} is better"


def replications_text(results: Results) -> str:
    """The replications behind every mean: "3 replications"."""
    n = results.replications
    return f"{n} replication{'s' if n != 1 else ''}"


# --- panels ---


def shape(panels: int) -> tuple[int, int]:
    """Rows and columns for ``panels`` panels: one row up to 3, else two or three columns."""
    columns = panels if panels <= 3 else 2 if panels == 4 else 3
    return math.ceil(panels / columns), columns


def grid(figure: Figure, panels: int, sharey: bool = False) -> list[Axes]:
    """Lay out ``panels`` axes (see `shape`), hiding the cells left over."""
    rows, columns = shape(panels)
    found = figure.subplots(rows, columns, squeeze=False, sharey=sharey)
    axes: list[Axes] = list(found.flat)
    for extra in axes[panels:]:
        extra.set_visible(False)
    return axes[:panels]


def wrap(text: str, panels: int) -> str:
    """Break a panel's title or label into lines that fit its width."""
    _, columns = shape(panels)
    return textwrap.fill(text, width=max(24, 92 // columns), break_long_words=False)


def chosen(results: Results, outcomes: Sequence[str] | None) -> list[str]:
    """The outcomes to draw: those asked for (each must be in the table), else the key ones.

    Raises:
        PlotError: an outcome asked for is not in the table.
    """
    if outcomes is None:
        return [o for o in KEY_OUTCOMES if results.has(o)]
    missing = [o for o in outcomes if not results.has(o)]
    if missing:
        known = sorted({r.outcome for r in results.rows if r.scope == "all"})
        raise PlotError(
            f"{results.table}: no outcome {', '.join(map(repr, missing))} (scope all); "
            f"it has {', '.join(known)}"
        )
    return list(dict.fromkeys(outcomes))


def spread(mean: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error bar lengths below and above the means (never negative; NaN draws none)."""
    return np.clip(np.vstack([mean - low, high - mean]), 0.0, None)


def bar_intervals(
    ax: Axes,
    mean: np.ndarray,
    y: np.ndarray,
    interval: tuple[np.ndarray, np.ndarray],
    width: float,
    caps: float,
) -> None:
    """Black 95% CIs (``interval``: lows and highs) across the ends of horizontal bars."""
    low, high = interval
    ax.errorbar(
        mean,
        y,
        xerr=spread(mean, low, high),
        fmt="none",
        ecolor="black",
        elinewidth=width,
        capsize=caps,
    )
