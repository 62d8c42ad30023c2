"""The printable handouts: the students' and the teacher's (the plan and the debrief's command).

The students' has the task, case, workload, levers, scoring, questions and decision file.
"""

from __future__ import annotations

import re
import shlex

from simcare import __version__
from simcare.core.units import MINUTES_PER_DAY
from simcare.metrics import Unit
from simcare.reports.format import format_value
from simcare.reports.html import Html, inline, join, page, paragraphs, table, tag
from simcare.workshop.case import Lever, Workshop
from simcare.workshop.debrief import DEFAULT_REPLICATIONS, DEFAULT_SEED
from simcare.workshop.decisions import BASELINE_POLICY, BASELINE_TEAM
from simcare.workshop.levers import value_text
from simcare.workshop.pages.parts import KEEP_TOGETHER, plural
from simcare.workshop.pages.workload_facts import workload_section
from simcare.workshop.scoreboard import RANKING_RULE
from simcare.workshop.template import template_text
from simcare.workshop.workload import Workload

__all__ = ["debrief_command", "handout_html", "split_briefing", "teacher_html"]

_NAMES_SIMCARE = re.compile(r"\bsimcare\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


_HANDOUT_STYLE = """
.choices { margin: .4rem 0 0; padding-left: 1.2rem; }
.choices li { margin: .15rem 0; }
.ticks { list-style: none; padding-left: 0; columns: 2; }
.ticks li { margin: .35rem 0; }
.box { font-size: 1.2rem; }
.card td .write-in { min-width: 12rem; }
.questions li { margin-bottom: .5rem; }
.questions .write-in { min-height: 3.5rem; }
.teacher-only { border-left: 4px solid var(--ink); padding-left: 1rem; }
@media print {
  pre { font-size: 7.5pt; }
  .wide { overflow: visible; }
  .wide table { font-size: 9pt; }
  .wide table .small { font-size: 1em; }
  th, td { padding: .25rem .4rem; }
}
"""


def handout_html(
    workshop: Workshop, teams: int, workload: Workload, template_name: str = "team-{n}.toml"
) -> str:
    """The students' handout: briefing, today's workload, levers, scoring, questions, files.

    It holds nothing for the teacher's eyes only (the plan, the debrief's command): that is
    in `teacher_html`.

    Args:
        workshop: the case.
        teams: how many team decision files were written beside it.
        workload: today's workload (`today_workload`).
        template_name: the decision files' names, with ``{n}`` for the team's number.
    """
    title = f"{workshop.title} — workshop handout"
    return page(
        title,
        join(_student_parts(workshop, teams, workload, template_name, "Workshop handout")),
        extra_css=KEEP_TOGETHER + _HANDOUT_STYLE,
    )


def teacher_html(
    workshop: Workshop, teams: int, workload: Workload, template_name: str = "team-{n}.toml"
) -> str:
    """The teacher's copy: the plan, the debrief's command and questions, then the handout."""
    notes = [
        tag("h1", f"{workshop.title} — for the teacher"),
        tag(
            "p",
            f"Teacher's copy · case {workshop.scenario.name} · {plural(teams, 'team')} · "
            f"simcare {__version__} · the students' handout (handout.html) follows, as printed "
            "for them; this page is not in it.",
            class_="subtitle",
        ),
        tag("div", _teacher_notes(workshop, template_name), class_="teacher-only"),
        tag("h1", workshop.title, class_="page-break"),
    ]
    parts = _student_parts(workshop, teams, workload, template_name, "Students' handout")
    return page(
        f"{workshop.title} — workshop, teacher's copy",
        join([*notes, *parts[1:]]),
        extra_css=KEEP_TOGETHER + _HANDOUT_STYLE,
    )


def _student_parts(
    workshop: Workshop, teams: int, workload: Workload, template_name: str, kind: str
) -> list[Html]:
    """The students' pages, from the title to the paper decision sheet."""
    scenario = workshop.scenario
    parts: list[Html] = [
        tag("h1", workshop.title),
        tag(
            "p",
            f"{kind} · case {scenario.name} · {plural(teams, 'team')} · simcare {__version__}",
            class_="subtitle",
        ),
        tag("h2", "Your task"),
        tag(
            "p",
            inline(
                "Your team runs customer care for the brand in this case. Choose a response "
                "policy and set the levers below. The teacher then runs every team's "
                "choices on the same simulated customers — the same people with the same "
                "problems, patience and tempers — beside a baseline team that ignores "
                "everything, and ranks the teams on churn, negative word of mouth and cost. "
                "You need nothing but this handout (and a text editor, if you fill in the "
                "decision file rather than the paper sheet)."
            ),
        ),
    ]
    story, _ = split_briefing(scenario.teaching.briefing)
    if story:
        parts += [tag("h2", "The case"), paragraphs(story)]
    policy_text = workshop.policy_description(scenario.run.policy)
    parts += [
        *workload_section(workload, policy_text),
        kept(
            tag("h2", "Your levers"),
            tag(
                "p",
                "Everything else about the case (customers, channels, how people react) is "
                "fixed. Levers you leave alone keep the value in the “Now” column.",
            ),
            _levers_table(workshop),
        ),
        *_scoring(workshop),
        tag("h2", "Questions for your team"),
        tag(
            "ol",
            join(
                tag("li", join([inline(q), tag("div", "", class_="write-in")]))
                for q in planning_questions(workshop, workload)
            ),
            class_="questions",
        ),
        *_decision_file(workshop, teams, template_name),
    ]
    return parts


def kept(*parts: Html) -> Html:
    """Parts a printed page may not split: a heading stays with the table under it."""
    return tag("section", join(parts), class_="keep")


def split_briefing(briefing: str) -> tuple[str, str]:
    """The briefing for students, and the paragraphs only the teacher gets.

    A paragraph that names simcare reports what the model gives (the lesson's numbers): it
    would give the answers away. The students have no simcare, so a sentence telling the
    reader to run the case ("Run it under each policy ...") is left out of theirs too.
    """
    paragraphs = [part for part in re.split(r"\n\s*\n", briefing) if part.strip()]
    for_students = [
        " ".join(s for s in _SENTENCE_END.split(" ".join(part.split())) if not s.startswith("Run "))
        for part in paragraphs
        if not _NAMES_SIMCARE.search(part)
    ]
    for_teacher = [part for part in paragraphs if _NAMES_SIMCARE.search(part)]
    return "\n\n".join(for_students), "\n\n".join(for_teacher)


def planning_questions(workshop: Workshop, workload: Workload) -> list[str]:
    """Questions a team can answer from the handout alone, before choosing."""
    busiest = max(workload.channels, key=lambda row: row.per_day, default=None)
    questions = []
    if busiest is not None:
        who = f"the {' and '.join(busiest.teams)} desk" if busiest.teams else "nobody"
        questions.append(
            f"Which channel brings the most complaints a day? (Today: {busiest.channel}, "
            f"answered by {who}.) Who can see a complaint there, and what happens to it if "
            "nobody answers?"
        )
    if workload.teams:
        questions.append(
            "For each desk, compare the handling it needs in a week with the agent-hours on "
            "duty. How many agents would cover the work, on which shift, and what would they "
            "cost a week (see the Cost column)? Customers wait when a desk is off duty, too."
        )
    questions.append(
        "Which response policy will you choose, and what do you expect it to do to the "
        "customers who complain in public, and to the people who read their posts?"
    )
    others = [lever.key for lever in workshop.levers if not lever.agents]
    if others:
        listed = ", ".join(f"`{key}`" for key in others)
        questions.append(
            f"Your other levers ({listed}): what do you expect each to change, and at what price?"
        )
    questions.append(
        "Which measure of the scoreboard do your choices give up to win on the others? Write "
        "your reasons in the decision file: the debrief shows them beside your results."
    )
    return questions


def _scoring(workshop: Workshop) -> list[Html]:
    """How teams are scored: the run's length, the three measures, the rule, the baseline."""
    run = workshop.scenario.run
    measured = (run.duration_min - run.warmup_min) / MINUTES_PER_DAY
    warmup = run.warmup_min / MINUTES_PER_DAY
    return [
        tag("h2", "How you will be scored"),
        tag(
            "p",
            f"The simulation runs {run.duration_min / MINUTES_PER_DAY:g} days and measures the "
            f"last {measured:g} (the first {warmup:g} fill the queues). Three measures, lower "
            "is better in each:",
        ),
        _scoreboard_items(measured),
        tag("p", join([tag("strong", "Ranking. "), RANKING_RULE])),
        tag(
            "p",
            f"The baseline team, “{BASELINE_TEAM}”, answers nobody (policy "
            f"{BASELINE_POLICY}) and keeps the case's staffing, and paying for it. Every "
            "result is shown as a paired difference from it, with a 95% confidence interval: "
            "“better”, “worse”, or “too close to call” when the interval includes zero.",
        ),
    ]


def _decision_file(workshop: Workshop, teams: int, template_name: str) -> list[Html]:
    """The decision file as handed out, and the paper sheet."""
    first, last = template_name.format(n=1), template_name.format(n=teams)
    files = first if teams == 1 else f"{first} … {last}"
    return [
        tag("h2", "Your decision file", class_="page-break"),
        tag(
            "p",
            inline(
                f"Each team gets a file ({files}). Open yours in any text editor, write your "
                "team's name, pick your policy, set the levers, add a sentence on why, save it "
                "and give it back to your teacher. Keep the quotes around text; change only the "
                "values after `=`. This is team 1's file as handed out:"
            ),
        ),
        tag("pre", template_text(workshop, 1)),
        tag("h3", "Decision sheet (if you prefer paper)"),
        _decision_sheet(workshop),
    ]


def _levers_table(workshop: Workshop) -> Html:
    currency = workshop.scenario.currency
    policies = tag(
        "ul",
        join(
            tag("li", join([tag("code", name), f" — {workshop.policy_description(name)}"]))
            for name in workshop.policies
        ),
        class_="choices",
    )
    rows: list[list[str | Html]] = [
        [
            join(
                [
                    tag("strong", "Response policy"),
                    tag("div", tag("code", "policy"), class_="small"),
                ]
            ),
            join(
                [Html("What the brand does with a complaint, on every channel. One of:"), policies]
            ),
            tag("code", workshop.scenario.run.policy),
            "one policy",
            "—",
        ]
    ]
    for lever in workshop.levers:
        cost = _agent_cost(lever, currency) if lever.agents else "—"
        rows.append(
            [
                join(
                    [
                        tag("strong", lever.label),
                        tag("div", tag("code", lever.key), class_="small"),
                    ]
                ),
                lever.description,
                value_text(lever.current),
                lever.range_text,
                cost,
            ]
        )
    headers = ["Lever", "What it is", "Now", "You may choose", "Cost"]
    return tag("div", table(headers, rows, numeric_from=2), class_="wide")


def _agent_cost(lever: Lever, currency: str) -> Html:
    """What one more agent on a lever's shift costs, as the levers' table shows it."""
    return join(
        [
            tag(
                "span",
                f"{format_value(lever.weekly_cost, Unit.MONEY, currency)} a week",
                class_="nowrap",
            ),
            tag("div", "per agent", class_="small"),
            tag(
                "div",
                f"{lever.hours_per_week:g} h on duty, {lever.paid_hours_per_week:.3g} h "
                f"paid at {format_value(lever.cost_per_hour, Unit.MONEY, currency)}/h",
                class_="small",
            ),
        ]
    )


def _scoreboard_items(measured_days: float) -> Html:
    """The three scoreboard measures, as the handout explains them."""
    items = [
        tag(
            "li",
            join(
                [
                    tag("strong", "Churn among complainants"),
                    " — the share of customers who complained and then left the brand.",
                ]
            ),
        ),
        tag(
            "li",
            join(
                [
                    tag("strong", "Negative word of mouth"),
                    " — public impressions: how many times people saw a complaint with no good "
                    "answer under it (on the brand's pages and on open networks, reshares "
                    "included).",
                ]
            ),
        ),
        tag(
            "li",
            join(
                [
                    tag("strong", "Cost"),
                    f" — staff cost plus compensation paid, over the {measured_days:g} days "
                    "measured.",
                ]
            ),
        ),
    ]
    return tag("ol", join(items))


def _decision_sheet(workshop: Workshop) -> Html:
    boxes = join(
        tag("li", join([tag("span", "☐ ", class_="box"), tag("code", name)]))
        for name in workshop.policies
    )
    rows: list[list[str | Html]] = [
        [
            join(
                [
                    tag("strong", lever.label),
                    tag("div", lever.shift or tag("code", lever.key), class_="small"),
                ]
            ),
            f"{lever.range_text} (now {value_text(lever.current)})",
            tag("div", "", class_="write-in"),
        ]
        for lever in workshop.levers
    ]
    parts = [
        tag("div", join([tag("strong", "Team name"), tag("div", "", class_="write-in")])),
        tag("div", join([tag("strong", "Policy (tick one)"), tag("ul", boxes, class_="ticks")])),
    ]
    if rows:
        parts.append(table(["Lever", "Allowed", "Your choice"], rows, numeric_from=3))
    parts.append(
        tag(
            "div",
            join(
                [
                    tag("strong", "Why these choices?"),
                    tag("div", "", class_="write-in"),
                    tag("div", "", class_="write-in"),
                ]
            ),
        )
    )
    return tag("div", join(parts), class_="card")


def debrief_command(workshop: Workshop, team_files: str, out: str = "debrief.html") -> str:
    """The command that runs the debrief: the case, the teacher's levers, the team files."""
    words = ["simcare", "workshop", "debrief", workshop.scenario.name]
    words += [part for text in workshop.lever_texts for part in ("--lever", text)]
    return " ".join([*map(shlex.quote, words), team_files, "-o", shlex.quote(out)])


def _teacher_notes(workshop: Workshop, template_name: str) -> Html:
    pattern = template_name.format(n="*")
    plan = [
        "10 min — read the case and today's workload together.",
        "25 min — teams discuss their questions and fill in their decision file or sheet.",
        "5 min — collect the files and run the debrief (below; it takes seconds).",
        "40 min — project the debrief: the ranking, the charts, each team's customer story, "
        "and the questions for discussion (below).",
        "10 min — what would you change? Rerun a team's file with their new idea.",
    ]
    parts = [
        tag("h2", "The plan for 90 minutes"),
        tag("ul", join(tag("li", step) for step in plan)),
        tag("h2", "The debrief"),
        tag(
            "p",
            "Run it offline with the team files (a paper sheet typed into a copy of a file "
            f"works too). Every team meets the same customers ({DEFAULT_REPLICATIONS} "
            f"replications, seed {DEFAULT_SEED}, unless you set -r and -s). Misspelt keys or "
            "values are reported by file and key, and nothing is run until every file is right.",
        ),
        tag("pre", debrief_command(workshop, pattern)),
    ]
    if workshop.lever_texts:
        parts.append(
            tag(
                "p",
                "The levers you chose (--lever) are in the command: the debrief needs them to "
                "read the teams' files.",
                class_="small",
            )
        )
    _, results = split_briefing(workshop.scenario.teaching.briefing)
    if results:
        parts += [
            tag("h2", "Left out of the students' briefing"),
            tag(
                "p",
                "The briefing's paragraphs that report simcare's results: they would give the "
                "answers away. Use them in the debrief.",
            ),
            paragraphs(results),
        ]
    questions = workshop.scenario.teaching.questions
    if questions:
        parts += [
            tag("h2", "Questions for discussion, with the debrief"),
            tag(
                "p",
                "The case's own questions. Some ask to run the case in simcare: answer them "
                "from the debrief page, or run them yourself; they are not in the students' "
                "handout, which asks only what the handout can answer.",
            ),
            tag("ol", join(tag("li", inline(q)) for q in questions)),
        ]
    return join(parts)
