"""Issue 23 (Hardening II): chart texts are drawn as written; SIGTERM stops a command as Ctrl-C.

Names, titles and the currency come from scenario and team files, and a ``$`` in them used to
start matplotlib's mathematics: ``$\\frac$`` or ``$$`` was a traceback, ``$x^2$`` was drawn
as maths. Every chart (compare --plots, sweep --plots, plot, report, the workshop debrief) now
draws them literally. SIGTERM (`kill`, a batch system's time limit) used to end a sweep at once
with exit -15 and no resume hint; it now ends every command the way Ctrl-C does.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.mathtext
import pytest
import tomli_w
from helpers import FAN, STAFF, gone, invoke, team_file, workers

from simcare.experiments.design import apply_point
from simcare.scenario_file import load_scenario_data

# --- $ in chart texts ---

CHANNEL = "tw$x^2$"
TEAM = "desk$\\frac$"
TITLE = "Title $x^2$ and $\\frac$ and $$"
CURRENCY = "$$"
REFUND = "ref$x^2$"
MIXED = "mix$$"
WORKSHOP_TEAM = "Pay $x^2$ or $$ \\frac $\\frac$"


@pytest.fixture(scope="module")
def dollars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The loyal-fan case, short, with $ in its title, currency and every kind of name."""
    data, _, _ = load_scenario_data(FAN)
    data = apply_point(data, {"run.duration": "3d", "run.warmup": "1d"})
    data["title"] = TITLE
    data["currency"] = CURRENCY
    channels = data["channels"]
    channels[CHANNEL] = channels.pop("twitter")
    channels["care_tab"]["escalate_to"] = CHANNEL
    desk = data["teams"].pop("social_desk")
    desk["channels"] = ["brand_page", "care_tab", CHANNEL]
    desk["handle_time"][CHANNEL] = desk["handle_time"].pop("twitter")
    data["teams"][TEAM] = desk
    policies = data["policies"]
    policies[REFUND] = policies.pop("refund_and_apologise")
    policies[MIXED] = {"description": "delete, named with dollars", "based_on": "delete"}
    data["teaching"]["policies"] = ["delete", REFUND, MIXED]
    del data["sources"]  # its keys name the channel and team renamed here
    path = tmp_path_factory.mktemp("case") / "dollars.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def maths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text matplotlib parses as mathematics (none should be)."""
    parsed: list[str] = []
    real = matplotlib.mathtext.MathTextParser.parse

    def parse(self: Any, s: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(s)
        return real(self, s, *args, **kwargs)

    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse", parse)
    return parsed


def texts(svg: str) -> set[str]:
    """The texts an SVG chart draws (matplotlib writes each one beside its glyphs)."""
    return {text.strip() for text in re.findall(r"<!-- (.*?) -->", svg, flags=re.S)}


def drawn_literally(svg: str, *expected: str) -> None:
    found = texts(svg)
    for text in expected:
        assert any(text in line for line in found), (text, sorted(found))
    assert "Oblique" not in svg  # mathematics draws letters in italics: x of $x^2$


def charts(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.svg"))}


def test_compare_plots_and_report_draw_dollars_as_written(
    dollars: Path, tmp_path: Path, maths: list[str]
) -> None:
    out = tmp_path / "compare"
    policies = f"delete,{REFUND},{MIXED}"
    result = invoke("compare", dollars, "-p", policies, "-r", "2", "-w", "1", "-o", out, "--plots")
    assert result.exit_code == 0, result.output
    drawn = charts(out / "plots")
    assert set(drawn) == {
        "comparison",
        "differences",
        "churn_by_cause",
        "escalation_flows",
        "complaints_over_time",
    }
    for svg in drawn.values():
        drawn_literally(svg, TITLE, REFUND, MIXED)
    drawn_literally(drawn["comparison"], f"({CURRENCY})")
    drawn_literally(drawn["escalation_flows"], f"care_tab → {CHANNEL}")
    assert (out / "plots" / "comparison.png").stat().st_size > 0

    result = invoke("report", out)
    assert result.exit_code == 0, result.output
    drawn_literally((out / "report.html").read_text(encoding="utf-8"), TITLE, REFUND, MIXED)
    assert maths == []


def test_sweep_plots_and_report_draw_dollars_as_written(
    dollars: Path, tmp_path: Path, maths: list[str]
) -> None:
    swept = f"channels.email.escalate_to=brand_page,{CHANNEL}"
    lines = tmp_path / "lines"
    result = invoke(
        "sweep", dollars, "--set", swept, "-p", f"delete,{REFUND}", "-r", "2", "-w", "1",
        "-o", lines, "--plots",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    drawn = charts(lines / "plots")
    assert {"sweep_net_value", "tradeoff"} <= set(drawn)
    for svg in drawn.values():
        drawn_literally(svg, TITLE, REFUND)
    drawn_literally(drawn["sweep_net_value"], CHANNEL, f"({CURRENCY})")  # a swept value

    grid = tmp_path / "grid"
    result = invoke(
        "sweep", dollars, "--set", swept, "--set", "behaviour.persistence=0.3,0.6",
        "-p", f"delete,{MIXED}", "-r", "2", "-w", "1", "-o", grid, "--plots",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    drawn = charts(grid / "plots")
    assert {"heatmap_delete", "heatmap_mix", "tradeoff"} <= set(drawn)
    drawn_literally(drawn["heatmap_mix"], TITLE, f"policy {MIXED}", CHANNEL)

    for folder in (lines, grid):
        result = invoke("report", folder)
        assert result.exit_code == 0, result.output
        drawn_literally((folder / "report.html").read_text(encoding="utf-8"), TITLE, CHANNEL)
    assert maths == []


def test_plot_and_report_of_a_run_draw_dollars_as_written(
    dollars: Path, tmp_path: Path, maths: list[str]
) -> None:
    out = tmp_path / "run"
    assert invoke("run", dollars, "-r", "1", "-o", out).exit_code == 0
    result = invoke("plot", out)
    assert result.exit_code == 0, result.output
    drawn = charts(out / "plots")
    drawn_literally(drawn["timeseries"], TITLE, f"Agents of team {TEAM}", CHANNEL)
    drawn_literally(drawn["escalation_flows"], f"brand_page → {CHANNEL}")
    result = invoke("report", out)
    assert result.exit_code == 0, result.output
    drawn_literally((out / "report.html").read_text(encoding="utf-8"), TEAM)
    assert maths == []


def test_the_debrief_draws_team_names_with_dollars_as_written(
    dollars: Path, tmp_path: Path, maths: list[str]
) -> None:
    teams = [
        team_file(tmp_path, "team-1.toml", WORKSHOP_TEAM, MIXED),
        team_file(tmp_path, "team-2.toml", "Plain", REFUND),
    ]
    page = tmp_path / "debrief.html"
    result = invoke("workshop", "debrief", dollars, *teams, "-r", "2", "-w", "1", "-o", page)
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") == 2
    # Drawn as written: not "\$" (as when the debrief escaped them itself), nor as maths.
    drawn_literally(html, WORKSHOP_TEAM, "Title $x^2$ and $\\frac$ and $$ — 3 teams")
    drawn_literally(html, f"Staff cost + compensation ({CURRENCY})")
    assert "\\$" not in "".join(texts(html))
    assert maths == []


# --- SIGTERM ---


def test_sigterm_raises_keyboard_interrupt_inside_the_block_only() -> None:
    from simcare.cli.exits import terminate_as_interrupt

    def sigterm() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs between two bytecodes of this thread
            time.sleep(0.01)
        raise AssertionError("SIGTERM was not turned into KeyboardInterrupt")

    before = signal.getsignal(signal.SIGTERM)
    with terminate_as_interrupt(), pytest.raises(KeyboardInterrupt):
        sigterm()
    assert signal.getsignal(signal.SIGTERM) == before


SIMCARE = [sys.executable, "-m", "simcare"]
SWEEP = [
    "--set", f"{STAFF}=1:4:1", "--set", "behaviour.persistence=0.3,0.6",
    "-p", "delete,reply_public", "-r", "4",
]  # fmt: skip
"""8 points × 2 policies × 4 replications: about a second in one process."""
FINAL = ("points.csv", "replications.csv", "summary.csv")


@pytest.fixture(scope="module")
def fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data, _, _ = load_scenario_data(FAN)
    data = apply_point(data, {"run.duration": "3d", "run.warmup": "1d"})
    path = tmp_path_factory.mktemp("case") / "short_fan.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def whole_sweep(fan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "sweep"
    result = invoke("sweep", fan, *SWEEP, "-w", "1", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def start(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SIMCARE, *map(str, args)],
        start_new_session=True,  # its own process group, as `kill -TERM -PGID` reaches
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(process: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        assert process.poll() is None, "it finished before SIGTERM"
        assert time.monotonic() < deadline, "it never got there"
        time.sleep(0.01)


def terminate(process: subprocess.Popen[str], group: bool) -> None:
    """`kill PID` (the main process only) or `kill -TERM -PGID` (it and its workers)."""
    if group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        os.kill(process.pid, signal.SIGTERM)


@pytest.mark.slow
@pytest.mark.parametrize("group", [False, True], ids=["kill", "kill-group"])
def test_sigterm_stops_a_sweep_like_ctrl_c_and_resume_finishes_it(
    group: bool, fan: Path, whole_sweep: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sweep"
    process = start("sweep", fan, *SWEEP, "-w", "2", "-o", out)
    wait_until(process, lambda: len(list((out / "parts").glob("point-*.csv"))) >= 2)
    pool = workers(process.pid)
    terminate(process, group)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert f"interrupted; finished points are kept: simcare sweep --resume {out}" in stderr
    assert "Traceback" not in stderr
    assert "worker process died" not in stderr
    assert gone(pool), "worker processes were left running"
    assert not [p for p in out.rglob("*") if p.name.endswith(".partial")]
    assert not (out / "manifest.json").exists()  # unfinished, and it looks so
    done = sorted(p.name for p in (out / "parts").glob("point-*.csv"))

    result = invoke("sweep", "--resume", out, "-w", "1")
    assert result.exit_code == 0, result.output
    assert f"{len(done)} points already done" in result.stderr
    for name in FINAL:
        assert (out / name).read_bytes() == (whole_sweep / name).read_bytes(), name


def long_command(name: str, case: Path, out: Path) -> list[str | Path]:
    """A command still simulating a second after it starts (it is stopped then anyway)."""
    if name == "compare":
        return ["compare", case, "-p", "delete,reply_public", "-w", "2", "-r", "2000", "-o", out]
    if name == "debrief":
        teams = [
            team_file(out.parent, "team-1.toml", "Clean Wall", "delete", {STAFF: 3}),
            team_file(out.parent, "team-2.toml", "Out in the Open", "reply_public"),
        ]
        return ["workshop", "debrief", case, *teams, "-w", "2", "-r", "2000", "-o", out]
    if name == "run-workers":
        return ["run", case, "-w", "2", "-r", "2000", "-o", out]
    return ["run", case, "-r", "2000", "-o", out]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("compare", "interrupted; nothing was written"),
        ("debrief", "interrupted; nothing was written"),
        ("run", "interrupted; nothing was written"),
        ("run-workers", "interrupted; nothing was written"),
    ],
    ids=["compare", "debrief", "run", "run-workers"],
)
def test_sigterm_stops_a_command_like_ctrl_c_writing_nothing(
    name: str, said: str, fan: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    process = start(*long_command(name, fan, out))
    if name != "run":
        wait_until(process, lambda: len(workers(process.pid)) == 2)
    time.sleep(1.0)
    pool = workers(process.pid)
    assert process.poll() is None, "it finished before SIGTERM"
    terminate(process, group=False)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert said in stderr
    assert "Traceback" not in stderr
    assert gone(pool), "worker processes were left running"
    assert not out.exists()


def test_a_character_the_font_lacks_is_drawn_without_a_warning_printed() -> None:
    # The re-attack saw matplotlib's "Glyph ... missing from font" warning print the raw
    # character and matplotlib's source lines; warnings are errors in this suite.
    import matplotlib.pyplot as plt

    from simcare.reports.charts.folder import svg_text
    from simcare.reports.charts.style import chart_style

    with chart_style():
        figure, axes = plt.subplots()
        axes.set_title("policy \u4e2d")  # a CJK character: DejaVu Sans has none
    try:
        assert "<svg" in svg_text(figure)
    finally:
        plt.close(figure)
