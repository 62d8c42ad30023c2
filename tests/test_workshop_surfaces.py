"""The workshop as issue 21 asks: workload facts, two copies, chosen levers, kept team files.

Everything runs on the loyal-fan case cut to four days (`short_fan`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import STAFF, invoke, short_fan, team_file

from simcare.model.records import RESOLVED_ENDS, Cause
from simcare.model.replication import simulate
from simcare.reports.story import summary_lines, tell
from simcare.workshop import LeverError, load_workshop, read_teams, team_scenario, today_workload
from simcare.workshop.case import Workshop
from simcare.workshop.decisions import DecisionError, read_decisions
from simcare.workshop.pages.handout import kept, split_briefing, teacher_html
from simcare.workshop.template import template_text

COST = "policies.refund_and_apologise.compensation.cost"
PILE_ON = "word_of_mouth.pile_on"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("case"))


@pytest.fixture(scope="module")
def workshop(case: Path) -> Workshop:
    return load_workshop(case, [f"{COST}=0:200", f"{PILE_ON}=0.1/h,0.2/h,0.4/h"])


# --- today's workload ---


def test_workload_is_the_case_today(workshop: Workshop) -> None:
    facts = today_workload(workshop, replications=3, seed=7)
    scenario = workshop.scenario
    assert facts.policy == scenario.run.policy
    assert facts.days == pytest.approx(3)  # four days, one of warm-up
    runs = [simulate(scenario, 7, r, facts.policy) for r in range(3)]
    by_name = {row.channel: row for row in facts.channels}
    assert list(by_name) == list(scenario.channels)
    for index, name in enumerate(scenario.channels):
        # Complaints a day: the contacts offered in the measured window (follow-ups aside).
        counted = [
            (
                (run.channel == index)
                & (run.kind != 2)
                & (run.arrival_min >= run.warmup_min)
                & (run.arrival_min < run.end_min)
            ).sum()
            for run in runs
        ]
        assert by_name[name].per_day == pytest.approx(np.mean(counted) / 3)
    email = by_name["email"]
    assert (email.teams, email.public, email.handle_min) == (("email_desk",), False, 9)
    assert 0 < email.answered_share < 1
    assert email.wait_min > 0
    desk = {row.team: row for row in facts.teams}["email_desk"]
    assert desk.on_duty_hours == 30  # one agent, 09:00-15:00 on weekdays
    assert desk.needed_hours == pytest.approx(email.per_day * 7 * 9 / 60)
    assert today_workload(workshop, replications=3, seed=7) == facts  # fixed seed, same facts


def test_the_handout_shows_the_workload(workshop: Workshop, case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    assert invoke("workshop", case, "-o", out).exit_code == 0
    handout = (out / "handout.html").read_text(encoding="utf-8")
    facts = today_workload(load_workshop(case))
    assert "Today&#x27;s workload" in handout
    for row in facts.channels:
        assert f"<strong>{row.channel}</strong>" in handout
        assert f">{row.per_day:,.0f}<" in handout
    assert "Handling needed (h a week)" in handout


# --- the students' and the teacher's copies ---


def test_students_get_no_plan_and_no_call_to_run(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    result = invoke("workshop", case, "-o", out, "--lever", f"{COST}=0:200")
    assert result.exit_code == 0, result.output
    handout = (out / "handout.html").read_text(encoding="utf-8")
    teacher = (out / "teacher.html").read_text(encoding="utf-8")
    for teachers_only in ("plan for 90 minutes", "workshop debrief", "--lever", "simcare compare"):
        assert teachers_only not in handout
        assert teachers_only in teacher
    assert "Run it under each policy" not in handout
    assert "What carries the lesson" not in handout  # the answers, for the debrief
    assert "What carries the lesson" in teacher
    assert "Questions for your team" in handout
    # The command the teacher copies runs the debrief with the same levers.
    assert f"--lever {COST}=0:200" in result.stdout
    assert f"--lever {COST}=0:200" in teacher


def test_split_briefing_keeps_the_story_for_students() -> None:
    briefing = (
        "A fan's shoes break. She emails.\n\nThe file sets it up. Run it under each policy. "
        "Look at churn.\n\nWhat comes out (simcare compare): deleting loses $163k."
    )
    students, teacher = split_briefing(briefing)
    assert students == "A fan's shoes break. She emails.\n\nThe file sets it up. Look at churn."
    assert teacher == "What comes out (simcare compare): deleting loses $163k."


def test_print_keeps_headings_with_their_tables(workshop: Workshop) -> None:
    page = teacher_html(workshop, 2, today_workload(workshop, replications=2))
    style = page.split("<style>")[1].split("</style>")[0]
    assert ".keep, table, pre, li, tr { break-inside: avoid;" in style
    assert "h1, h2, h3, h4, caption { break-after: avoid;" in style
    section = str(kept())
    assert section.startswith('<section class="keep">')
    body = page.split("<body>")[1]
    # Every table of the workload and the levers sits in a section with its heading.
    for heading in ("Today&#x27;s workload", "Each desk&#x27;s work", "Your levers"):
        start = body.index(heading)
        assert body.rfind('<section class="keep">', 0, start) > body.rfind("</section>", 0, start)
        assert body.index("<table>", start) < body.index("</section>", start)


# --- the teacher's levers ---


def test_any_case_value_can_be_a_lever(workshop: Workshop, tmp_path: Path) -> None:
    cost = workshop.lever(COST)
    assert (cost.current, cost.low, cost.high, cost.agents) == (120, 0, 200, False)
    assert cost.allowed == "a whole number from 0 to 200"
    pile = workshop.lever(PILE_ON)
    assert pile.choices == ("0.1/h", "0.2/h", "0.4/h")
    assert pile.current == "0.2/h"
    assert workshop.lever(STAFF).agents  # the agents stay levers
    template = template_text(workshop, 1)
    assert f'"{COST}" = 120' in template
    assert f'"{PILE_ON}" = "0.2/h"' in template
    path = team_file(
        tmp_path, "team-1.toml", "Refunders", "refund_and_apologise", {COST: 40, STAFF: 2}
    )
    path.write_text(path.read_text(encoding="utf-8") + f'"{PILE_ON}" = "0.4/h"\n', encoding="utf-8")
    decisions = read_decisions(path, workshop)
    scenario = team_scenario(workshop, decisions)
    assert scenario.policy("refund_and_apologise").compensation.cost == 40
    assert scenario.word_of_mouth.pile_on_per_min == pytest.approx(0.4 / 60)
    assert scenario.teams["social_desk"].shifts[0].agents == 2


def test_a_value_the_case_leaves_to_its_default_can_be_a_lever(case: Path, tmp_path: Path) -> None:
    priority = "policies.refund_and_apologise.priority"
    workshop = load_workshop(case, [f'{priority}="first_come","followers"'])
    lever = workshop.lever(priority)
    assert lever.current is None  # the case file does not write it
    template = template_text(workshop, 1)
    assert f'# "{priority}" = "first_come"' in template  # to uncomment, not a value
    untouched = tmp_path / "team-1.toml"
    untouched.write_text(template, encoding="utf-8")
    assert not read_decisions(untouched, workshop).changes(workshop)
    chosen = team_file(tmp_path, "team-2.toml", "Loud First", "refund_and_apologise")
    chosen.write_text(
        chosen.read_text(encoding="utf-8") + f'"{priority}" = "followers"\n', encoding="utf-8"
    )
    scenario = team_scenario(workshop, read_decisions(chosen, workshop))
    assert scenario.policy("refund_and_apologise").priority.value == "followers"
    with pytest.raises(LeverError, match=r"priorty: unknown key.*did you mean 'priority'"):
        load_workshop(case, ['policies.refund_and_apologise.priorty="first_come"'])


def test_a_lever_out_of_range_names_the_file_and_key(workshop: Workshop, tmp_path: Path) -> None:
    path = team_file(tmp_path, "team-1.toml", "Big Spenders", "delete", {COST: 500})
    with pytest.raises(DecisionError, match=rf'levers."{COST}": expected a whole number from 0'):
        read_decisions(path, workshop)
    path.write_text(f'team = "X"\npolicy = "delete"\n[levers]\n"{PILE_ON}" = "1/h"\n')
    with pytest.raises(DecisionError, match=r"expected one of 0.1/h, 0.2/h, 0.4/h, found '1/h'"):
        read_decisions(path, workshop)


@pytest.mark.parametrize(
    ("lever", "message"),
    [
        ("nothing.here=1:2", "nothing: unknown key; expected one of"),
        (f"{COST}=0:100", "the case's own value, 120, must be allowed too"),
        (f"{COST}.x=1:2", "goes into a value of the case file, not a table"),
        (f"{COST}", "expected KEY=V1,V2"),
        ("teams.email_desk=1:2", "is a table or a list in the case file"),
        (f"{COST}=-50:200", "the case is not valid with -50"),
        (f"{PILE_ON}=0.1/h:0.4/h", "needs a step"),
    ],
)
def test_a_bad_lever_is_refused(case: Path, lever: str, message: str) -> None:
    with pytest.raises(LeverError, match=message):
        load_workshop(case, [lever])
    result = invoke("workshop", case, "-o", "never", "--lever", lever)
    assert result.exit_code == 2
    assert f"--lever '{lever}'" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not Path("never").exists()


def test_the_debrief_needs_the_handouts_levers(case: Path, tmp_path: Path) -> None:
    path = team_file(tmp_path, "team-1.toml", "Refunders", "refund_and_apologise", {COST: 40})
    result = invoke("workshop", "debrief", case, path, "-r", "2")
    assert result.exit_code == 2
    assert f'levers."{COST}": unknown lever' in result.output
    assert "give the debrief the same --lever" in result.output
    result = invoke(
        "workshop", "debrief", case, path, "-r", "2", "-w", "1", "--lever", f"{COST}=0:200"
    )
    assert result.exit_code == 0, result.output
    page = (tmp_path / "debrief.html").read_text(encoding="utf-8")
    assert "refund_and_apologise compensation cost: 120 → 40" in page


# --- --force and the teams' files ---


def test_force_never_replaces_a_filled_in_team_file(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    assert invoke("workshop", case, "-o", out, "--teams", "3").exit_code == 0
    filled = out / "team-2.toml"
    text = filled.read_text(encoding="utf-8").replace('"Team 2"', '"The Responders"')
    filled.write_text(text, encoding="utf-8")
    (out / "team-3.toml").write_text("# ours now\n", encoding="utf-8")
    fresh = (out / "team-1.toml").read_text(encoding="utf-8")
    (out / "team-1.toml").unlink()  # a fresh one comes back
    for _ in range(2):  # and a second --force keeps them too
        result = invoke("workshop", case, "-o", out, "--teams", "2", "--force")
        assert result.exit_code == 0, result.output
        assert filled.read_text(encoding="utf-8") == text
        assert (out / "team-3.toml").read_text(encoding="utf-8") == "# ours now\n"
        assert "kept" in result.output
        assert "team-2.toml: a team has filled it in" in result.output
        assert (out / "team-1.toml").read_text(encoding="utf-8") == fresh
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "team-2.toml" not in manifest["files"]  # the team's file, not simcare's
    assert list(manifest["written"]) == ["team-1.toml"]
    decisions = read_teams([out / "team-1.toml", filled], load_workshop(case))
    assert [d.team for d in decisions] == ["Team 1", "The Responders"]


def test_force_replaces_untouched_team_files(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "ws"
    assert invoke("workshop", case, "-o", out, "--teams", "3").exit_code == 0
    result = invoke("workshop", case, "-o", out, "--teams", "2", "--force")
    assert result.exit_code == 0, result.output
    assert "kept" not in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "handout.html",
        "manifest.json",
        "teacher.html",
        "team-1.toml",
        "team-2.toml",
    ]


# --- the debrief's story ---


def test_a_fixed_customer_who_left_after_a_deletion_blames_it(workshop: Workshop) -> None:
    record = simulate(workshop.scenario, 0, 0, "delete")
    journeys = record.journeys
    fixed = np.isin(journeys.end, [int(end) for end in RESOLVED_ENDS])
    found = np.flatnonzero((journeys.cause == Cause.DELETED) & fixed & record.churn.left)
    assert len(found)  # the short case has such customers at this seed
    story = tell(record, workshop.scenario, int(found[0]))
    assert summary_lines(story)[-1].endswith(
        "They leave the brand even though the problem was fixed (cause: post deleted)."
    )
    calm = np.flatnonzero((journeys.cause == Cause.PROBLEM) & record.churn.left)
    if len(calm):
        told = tell(record, workshop.scenario, int(calm[0]))
        assert "(cause: the problem itself)" in summary_lines(told)[-1]
