"""Workshop mode: the handout and decision files, their checks, and the ranked debrief.

Everything runs on the loyal-fan case cut to four days (`short_fan`), with few replications.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from browser import render
from helpers import STAFF, invoke, short_fan, team_file

from simcare.experiments.compare import Call
from simcare.experiments.design import apply_point
from simcare.metrics import Better
from simcare.model.replication import simulate
from simcare.scenario_file import load_scenario_data
from simcare.workshop import (
    load_workshop,
    read_teams,
    run_debrief,
    template_text,
    today_workload,
)
from simcare.workshop.case import Workshop
from simcare.workshop.debrief import TeamResult, rank_teams
from simcare.workshop.decisions import BASELINE_TEAM, DecisionError, Decisions, read_decisions
from simcare.workshop.pages import debrief_html, handout_html
from simcare.workshop.scoreboard import EXTRAS, RANKING_RULE, SCOREBOARD, Score

EMAIL = "teams.email_desk.shifts.0.agents"
REPLICATIONS = "4"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"))


@pytest.fixture(scope="module")
def workshop(case: Path) -> Workshop:
    return load_workshop(case)


@pytest.fixture(scope="module")
def teams(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("teams")
    return [
        team_file(folder, "team-1.toml", "Clean Wall", "delete", {STAFF: 3}),
        team_file(folder, "team-2.toml", "Out in the Open", "reply_public"),
        team_file(folder, "team-3.toml", "The Responders", "acknowledge_then_private", {STAFF: 2}),
    ]


# --- the handout and the decision files ---


def test_handout_holds_the_case_and_valid_templates(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    result = invoke("workshop", case, "-o", out, "--teams", "4")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    files = ["handout.html", "teacher.html", *(f"team-{n}.toml" for n in range(1, 5))]
    assert written == sorted([*files, "manifest.json"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "simcare"  # its mark: what --force may replace
    assert manifest["files"] == [*files, "manifest.json"]
    assert str(out / "handout.html") in result.output
    handout = (out / "handout.html").read_text(encoding="utf-8")
    teacher = (out / "teacher.html").read_text(encoding="utf-8")
    prepared = load_workshop(case)
    briefing = prepared.scenario.teaching.briefing.split()
    assert " ".join(briefing[:8]).replace("'", "&#x27;") in handout
    for question in prepared.scenario.teaching.questions:
        # The case's questions ask to run simcare: the teacher's, not the students'.
        asked = max(question.split("`"), key=len).strip().replace("'", "&#x27;")[:40]
        assert asked in teacher
        assert asked not in handout
    assert "Today&#x27;s workload" in handout
    assert "plan for 90 minutes" in teacher
    assert "plan for 90 minutes" not in handout
    assert "simcare workshop debrief" not in handout
    assert not re.search(r"\brun (it|the case)\b", handout, re.IGNORECASE)
    for key in (STAFF, EMAIL, "Response policy", "acknowledge_then_private", BASELINE_TEAM):
        assert key in handout
    assert RANKING_RULE.split(".")[0].replace("'", "&#x27;") in handout
    assert "<script" not in handout
    names = set()
    for n in range(1, 5):
        path = out / f"team-{n}.toml"
        decisions = read_decisions(path, prepared)  # a template validates as it is
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert set(data) == {"team", "policy", "reasoning", "levers"}
        assert decisions.policy == prepared.scenario.run.policy
        assert decisions.levers == {STAFF: 1, EMAIL: 1}
        assert not decisions.changes(prepared)
        names.add(decisions.team)
    assert names == {"Team 1", "Team 2", "Team 3", "Team 4"}


def test_case_text_is_escaped_and_kept_out_of_the_toml(case: Path, tmp_path: Path) -> None:
    data, _, _ = load_scenario_data(case)
    hostile = apply_point(
        data,
        {
            "title": "<script>alert('title')</script> team = 1",
            "teaching.briefing": "<img src=x onerror=alert(1)> & friends",
            "teaching.questions.0": "Is <b>this</b> bold?",
            "policies.refund_and_apologise.description": "<i>refund</i>\npolicy = 3",
        },
    )
    path = tmp_path / "hostile.toml"
    path.write_text(tomli_w.dumps(hostile), encoding="utf-8")
    out = tmp_path / "ws"
    assert invoke("workshop", path, "-o", out, "--teams", "1").exit_code == 0
    handout = (out / "handout.html").read_text(encoding="utf-8")
    for raw in ("<script", "<img", "<b>", "<i>"):
        assert raw not in handout
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; friends" in handout
    assert "&lt;i&gt;refund&lt;/i&gt;" in handout
    decisions = read_decisions(out / "team-1.toml", load_workshop(path))
    assert (decisions.team, decisions.policy) == ("Team 1", "delete")


def test_levers_of_the_loyal_fan(workshop: Workshop) -> None:
    assert [lever.key for lever in workshop.levers] == [EMAIL, STAFF]
    social = workshop.lever(STAFF)
    assert (social.current, social.low, social.high) == (1, 0, 4)
    assert "social_desk" in social.description
    assert "mon-fri 09:00-17:00" in social.description
    assert social.hours_per_week == 40
    assert social.weekly_cost == pytest.approx(40 * 40 / 0.85)
    assert workshop.policies == workshop.scenario.teaching.policies
    assert f'"{STAFF}" = 1' in template_text(workshop, 2)


def test_handout_refuses_a_folder_in_use(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = invoke("workshop", case, "-o", out)
    assert result.exit_code == 3
    assert "not empty" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert invoke("workshop", case, "-o", out, "--force").exit_code == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "team-3.toml").is_file()
    assert not (out / "team-4.toml").exists()


def test_unquoted_dotted_levers_are_read(workshop: Workshop, tmp_path: Path) -> None:
    path = tmp_path / "nested.toml"
    path.write_text(
        'team = "Nested"\npolicy = "delete"\n[levers]\nteams.social_desk.shifts.0.agents = 2\n',
        encoding="utf-8",
    )
    assert read_decisions(path, workshop).levers[STAFF] == 2


GOOD = 'team = "Fine"\npolicy = "delete"\n'
BROKEN = {
    "misspelt key": ('team = "A"\npolcy = "delete"\n', "polcy", "did you mean 'policy'"),
    "unknown lever": (
        'team = "A"\npolicy = "delete"\n[levers]\n"teams.social_desk.shifts.0.agent" = 2\n',
        'levers."teams.social_desk.shifts.0.agent"',
        f"did you mean '{STAFF}'",
    ),
    "too many agents": (
        f'team = "A"\npolicy = "delete"\n[levers]\n"{STAFF}" = 99\n',
        f'levers."{STAFF}"',
        "from 0 to 4",
    ),
    "negative agents": (
        f'team = "A"\npolicy = "delete"\n[levers]\n"{STAFF}" = -1\n',
        f'levers."{STAFF}"',
        "from 0 to 4",
    ),
    "agents as text": (
        f'team = "A"\npolicy = "delete"\n[levers]\n"{STAFF}" = "two"\n',
        f'levers."{STAFF}"',
        "a whole number",
    ),
    "fractional agents": (
        f'team = "A"\npolicy = "delete"\n[levers]\n"{STAFF}" = 1.5\n',
        f'levers."{STAFF}"',
        "a whole number",
    ),
    "unknown policy": ('team = "A"\npolicy = "delet"\n', "policy", "did you mean 'delete'"),
    "policy as a number": ('team = "A"\npolicy = 3\n', "policy", "in quotes"),
    "missing policy": ('team = "A"\n', "policy", "missing"),
    "missing team": ('policy = "delete"\n', "team", "missing"),
    "empty team": ('team = "  "\npolicy = "delete"\n', "team", "empty"),
    "baseline's name": (f'team = "{BASELINE_TEAM}"\npolicy = "delete"\n', "team", "baseline"),
    "not TOML": ('team = "A\npolicy = delete\n', "", "invalid TOML at line 1"),
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_bad_team_file_exits_2_naming_file_and_key(case: Path, tmp_path: Path, kind: str) -> None:
    text, key, expected = BROKEN[kind]
    good = tmp_path / "good.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    page = tmp_path / "debrief.html"
    result = invoke("workshop", "debrief", case, good, bad, "-o", page, "-r", "2", "-w", "1")
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"{bad}: {key}" in message
    assert expected in message
    assert str(good) not in message  # the good file has no problem
    assert not page.exists()


def test_every_bad_file_is_reported_at_once(workshop: Workshop, tmp_path: Path) -> None:
    first = tmp_path / "one.toml"
    first.write_text('team = "A"\npolicy = "delet"\n', encoding="utf-8")
    second = tmp_path / "two.toml"
    second.write_text('policy = "delete"\n[levers]\nx = 1\n', encoding="utf-8")
    with pytest.raises(DecisionError) as raised:
        read_teams([first, second], workshop)
    lines = raised.value.problems
    assert [line.split(": ")[0] for line in lines] == [str(first), str(second), str(second)]


def test_duplicate_team_names_and_missing_files(case: Path, tmp_path: Path) -> None:
    one = team_file(tmp_path, "one.toml", "Red", "delete")
    two = team_file(tmp_path, "two.toml", " red ", "reply_public")
    page = tmp_path / "debrief.html"
    result = invoke("workshop", "debrief", case, one, two, "-o", page)
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"{two}: team:" in message
    assert str(one) in message
    assert "own name" in message
    missing = tmp_path / "nope.toml"
    result = invoke("workshop", "debrief", case, one, missing, "-o", page)
    assert result.exit_code == 2
    assert f"{missing}: no such file" in result.output
    assert not page.exists()


def test_options_belong_to_their_form(case: Path, tmp_path: Path) -> None:
    result = invoke("workshop", case, "-r", "5", "-o", tmp_path / "ws")
    assert result.exit_code == 2
    assert "--replications is for the debrief" in result.output
    result = invoke("workshop", "debrief", case, "-o", tmp_path / "d.html")
    assert result.exit_code == 2
    assert "decision files" in result.output
    result = invoke("workshop", "debrief", case, tmp_path / "x.toml", "--teams", "3")
    assert result.exit_code == 2
    assert "--teams is for the handout" in result.output
    result = invoke("workshop", case, tmp_path / "x.toml")
    assert result.exit_code == 2
    assert "simcare workshop debrief" in result.output
    assert invoke("workshop", "no_such_case").exit_code == 2
    assert not any(tmp_path.iterdir())
    helped = invoke("workshop", "--help")
    assert "simcare workshop CASE" in helped.output
    assert "simcare workshop debrief CASE TEAM_FILES" in " ".join(helped.output.split())


# --- the debrief ---


@pytest.fixture(scope="module")
def debrief_run(
    case: Path, teams: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    page = tmp_path_factory.mktemp("debrief") / "debrief.html"
    result = invoke(
        "workshop", "debrief", case, *teams, "-o", page, "-r", REPLICATIONS, "-w", "1"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return page, result.stdout


def test_debrief_ranks_three_teams_and_the_baseline(
    debrief_run: tuple[Path, str], workshop: Workshop, teams: list[Path]
) -> None:
    page, stdout = debrief_run
    names = ["Clean Wall", "Out in the Open", "The Responders", BASELINE_TEAM]
    for name in names:
        assert name in stdout
    html = page.read_text(encoding="utf-8")
    assert html.count('class="card team"') == 4
    assert html.count("<svg") == 2
    # The ranking on the page and on stdout follows the library's, which follows the rule.
    debrief = run_debrief(workshop, read_teams(teams, workshop), int(REPLICATIONS), 2024)
    order = [team.name for team in debrief.teams]
    assert sorted(order) == sorted(names)
    table = html[html.index("The ranking") : html.index("Beside the scoreboard")]
    assert [table.index(f"<strong>{name}</strong>") for name in order] == sorted(
        table.index(f"<strong>{name}</strong>") for name in order
    )
    rows = [line for line in stdout.splitlines() if re.match(r"│\s+\d+ │", line)]
    assert [row.split("│")[2].strip() for row in rows] == order
    check_rule(debrief.teams)


def check_rule(ranked: tuple[TeamResult, ...]) -> None:
    """Recompute the documented rule from the replications' values."""
    ranks: dict[str, list[float]] = {team.name: [] for team in ranked}
    for measure in SCOREBOARD:
        means = {team.name: float(np.mean(team.values(measure))) for team in ranked}
        for name, mean in means.items():
            ahead = sum(other < mean for other in means.values())
            level = sum(other == mean for other in means.values())
            ranks[name].append(ahead + (level + 1) / 2)
    scores = {name: sum(r) / len(r) for name, r in ranks.items()}
    net = {team.name: float(np.mean(team.values(EXTRAS[0]))) for team in ranked}
    expected = sorted(scores, key=lambda name: (scores[name], -net[name], name.casefold()))
    assert [team.name for team in ranked] == expected
    for team in ranked:
        assert team.score == pytest.approx(scores[team.name])
    assert [team.rank for team in ranked] == sorted(team.rank for team in ranked)
    assert ranked[0].rank == 1


def fake(name: str, churn: float, impressions: float, cost: float, net: float) -> TeamResult:
    values = [
        {
            ("complainant_churn_rate", "all"): churn,
            ("impressions_negative", "all"): impressions,
            ("staff_cost", "all"): cost,
            ("compensation_paid", "all"): 0.0,
            ("net_value", "all"): net,
        }
    ] * 2
    scores = {m.key: Score(m.value(values[0]), 0.0) for m in (*SCOREBOARD, *EXTRAS)}
    return TeamResult(Decisions(name, "ignore", {}), None, values, scores)  # type: ignore[arg-type]


def test_the_ranking_rule_by_hand() -> None:
    ranked = rank_teams(
        [
            fake("A", 0.5, 100, 16, -5),  # ranks 2, 1, 3: score 2
            fake("B", 0.4, 300, 20, -1),  # ranks 1, 3, 4: score 2.67
            fake("C", 0.6, 200, 5, -9),  # ranks 3, 2, 1: score 2, loses A's tie on net value
            fake("D", 0.7, 400, 15, 0),  # ranks 4, 4, 2: score 3.33
        ]
    )
    assert [(t.name, t.rank) for t in ranked] == [("A", 1), ("C", 2), ("B", 3), ("D", 4)]
    assert ranked[0].ranks == {"churn": 2, "negative_word_of_mouth": 1, "cost": 3}
    # Equal means share the average rank; a full tie shares the place too.
    tied = rank_teams([fake("Y", 0.5, 100, 10, 0), fake("X", 0.5, 100, 10, 0)])
    assert [(t.name, t.rank, t.score) for t in tied] == [("X", 1, 1.5), ("Y", 1, 1.5)]
    assert all(m.better is Better.LOWER for m in SCOREBOARD)


def test_teams_meet_the_same_customers(workshop: Workshop, tmp_path: Path) -> None:
    files = [
        team_file(tmp_path, "a.toml", "Deleters", "delete"),
        team_file(tmp_path, "b.toml", "Repliers", "reply_public"),
        team_file(tmp_path, "c.toml", "Big desk", "reply_public", {STAFF: 4, EMAIL: 0}),
    ]
    debrief = run_debrief(workshop, read_teams(files, workshop), 3, 7, stories=False)
    # Contagion's recruits (the fan's commenters) may differ: they are counted apart.
    counts = {
        "problems": lambda v: v[("problems", "all")],
        "journeys": lambda v: v[("journeys", "all")] - v[("contagion_journeys", "all")],
        "silent": lambda v: v[("silent_problems", "all")] + v[("contagion_journeys", "all")],
    }
    for key, count in counts.items():
        per_team = {team.name: [count(v) for v in team.per_replication] for team in debrief.teams}
        assert len({tuple(values) for values in per_team.values()}) == 1, (key, per_team)
    # Customer j of replication r is the same person whatever the team decided (recruits last).
    records = [
        simulate(team.scenario, 7, 1, team.decisions.policy) for team in debrief.teams
    ]  # fmt: skip
    first = records[0]
    n = len(first.journeys) - int(first.came_forward.sum())
    for record in records[1:]:
        assert n == len(record.journeys) - int(record.came_forward.sum())
        assert np.array_equal(record.journeys.start_min[:n], first.journeys.start_min[:n])
        assert np.array_equal(record.journey_segment[:n], first.journey_segment[:n])
    # Paired differences: a team identical to the baseline differs by exactly zero.
    same = team_file(tmp_path, "d.toml", "Copycats", "ignore")
    copy = run_debrief(workshop, read_teams([same], workshop), 3, 7, stories=False)
    cats = next(team for team in copy.teams if team.name == "Copycats")
    for measure in SCOREBOARD:
        score = cats.scores[measure.key]
        assert score.difference == 0
        assert score.call is Call.TOO_CLOSE


def strip_run_details(html: str) -> str:
    """The page without when and where it ran (the only lines that may differ)."""
    return re.sub(r"<dt>(Ran on|Made|Command)</dt>\s*<dd>.*?</dd>", "", html, flags=re.S)


def test_same_seed_same_page(
    case: Path, teams: list[Path], debrief_run: tuple[Path, str], tmp_path: Path
) -> None:
    page, stdout = debrief_run
    again = tmp_path / "again.html"
    result = invoke(
        "workshop", "debrief", case, *teams, "-o", again, "-r", REPLICATIONS, "-w", "2"
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == stdout
    first, second = page.read_text(encoding="utf-8"), again.read_text(encoding="utf-8")
    assert first != second  # it says where it ran
    assert strip_run_details(first) == strip_run_details(second)


def test_the_page_refuses_to_overwrite(
    case: Path, teams: list[Path], debrief_run: tuple[Path, str]
) -> None:
    page, _ = debrief_run
    before = page.read_bytes()
    result = invoke("workshop", "debrief", case, *teams, "-o", page, "-r", "2")
    assert result.exit_code == 3
    assert "--force" in result.output
    assert page.read_bytes() == before
    folder = page.parent
    result = invoke("workshop", "debrief", case, *teams, "-o", folder, "-r", "2")
    assert result.exit_code == 3
    assert "is a folder" in result.output


def test_the_page_goes_beside_the_first_team_file(case: Path, tmp_path: Path) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    only = team_file(folder, "team-1.toml", "Solo", "reply_private", {EMAIL: 2})
    result = invoke("workshop", "debrief", case, only, "-r", "2", "-w", "1")
    assert result.exit_code == 0, result.output
    assert (folder / "debrief.html").is_file()
    assert str(folder / "debrief.html") in result.output
    assert "Solo" in result.stdout


def test_pages_keep_their_styles_in_the_head(
    workshop: Workshop, debrief_run: tuple[Path, str]
) -> None:
    handout = handout_html(workshop, 2, today_workload(workshop, 2))
    debrief = debrief_run[0].read_text(encoding="utf-8")
    for html, own_rule in ((handout, ".choices {"), (debrief, ".rank {")):
        head, body = html.split("<body>")
        assert head.count("<style>") == 1
        assert own_rule in head
        assert "<style>" not in body  # the charts' SVG has its own <style type=...>


def test_team_text_is_escaped(workshop: Workshop, tmp_path: Path) -> None:
    hostile = team_file(
        tmp_path,
        "hostile.toml",
        "<script>alert(1)</script>",
        "delete",
        extra='reasoning = "<img src=x onerror=alert(2)> & more"',
    )
    dollars = team_file(tmp_path, "dollars.toml", "$$ Money $x^2$ talks", "reply_public")
    debrief = run_debrief(workshop, read_teams([hostile, dollars], workshop), 2, 3)
    html = debrief_html(debrief, ["simcare", "workshop", "<b>"], "now")
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; more" in html
    assert "$$ Money $x^2$ talks" in html
    assert html.count("<svg") == 2
    assert all(math.isfinite(team.score) for team in debrief.teams)


def test_handout_and_debrief_render_in_headless_chromium(
    workshop: Workshop, debrief_run: tuple[Path, str], tmp_path: Path
) -> None:
    handout = tmp_path / "handout.html"
    handout.write_text(handout_html(workshop, 3, today_workload(workshop, 2)), encoding="utf-8")
    shown = render(handout, tmp_path / "handout.png")
    assert shown.problems == []
    assert "How you will be scored" in shown.text
    assert STAFF in shown.text
    debrief = render(debrief_run[0], tmp_path / "debrief.png")
    assert debrief.problems == []
    assert BASELINE_TEAM in debrief.text
    assert len(debrief.chart_widths) == 2
    assert all(900 < width <= 1100 for width in debrief.chart_widths)
