"""The printable handout: task, case, levers, scoring, questions, decision file, teacher's notes."""

from __future__ import annotations

from simcare import __version__
from simcare.core.units import MINUTES_PER_DAY
from simcare.metrics import Unit
from simcare.reports.format import format_value
from simcare.reports.html import Html, inline, join, page, paragraphs, table, tag
from simcare.workshop.case import Workshop
from simcare.workshop.debrief import DEFAULT_REPLICATIONS, DEFAULT_SEED
from simcare.workshop.decisions import BASELINE_POLICY, BASELINE_TEAM
from simcare.workshop.pages.parts import plural
from simcare.workshop.scoreboard import RANKING_RULE
from simcare.workshop.template import template_text

__all__ = ["handout_html"]


_HANDOUT_STYLE = """
.choices { margin: .4rem 0 0; padding-left: 1.2rem; }
.choices li { margin: .15rem 0; }
.ticks { list-style: none; padding-left: 0; columns: 2; }
.ticks li { margin: .35rem 0; }
.box { font-size: 1.2rem; }
.card td .write-in { min-width: 12rem; }
.questions li { margin-bottom: .5rem; }
.questions .write-in { min-height: 3.5rem; }
@media print {
  pre { font-size: 7.5pt; }
  .wide { overflow: visible; }
  .wide table { font-size: 9pt; }
  .wide table .small { font-size: 1em; }
  th, td { padding: .25rem .4rem; }
}
"""


def handout_html(workshop: Workshop, teams: int, template_name: str = "team-{n}.toml") -> str:
    """The printable handout: briefing, levers, scoreboard, questions and the decision file.

    Args:
        workshop: the case.
        teams: how many team decision files were written beside it.
        template_name: the decision files' names, with ``{n}`` for the team's number.
    """
    scenario = workshop.scenario
    parts: list[Html] = [
        tag("h1", workshop.title),
        tag(
            "p",
            f"Workshop handout · case {scenario.name} · {plural(teams, 'team')} · "
            f"simcare {__version__}",
            class_="subtitle",
        ),
        tag("h2", "Your task"),
        tag(
            "p",
            inline(
                "Your team runs customer care for the brand in this case. Choose a response "
                "policy and how many agents work each shift. The teacher then runs every team's "
                "choices on the same simulated customers — the same people with the same "
                "problems, patience and tempers — beside a baseline team that ignores "
                "everything, and ranks the teams on churn, negative word of mouth and cost."
            ),
        ),
    ]
    if scenario.teaching.briefing:
        parts += [tag("h2", "The case"), paragraphs(scenario.teaching.briefing)]
    parts += [
        tag("h2", "Your levers"),
        tag(
            "p",
            "Everything else about the case (customers, channels, how people react) is fixed. "
            "Levers you leave alone keep the value in the “Now” column.",
        ),
        _levers_table(workshop),
        *_scoring(workshop),
    ]
    if scenario.teaching.questions:
        parts += [
            tag("h2", "Questions"),
            tag(
                "ol",
                join(
                    tag("li", join([inline(q), tag("div", "", class_="write-in")]))
                    for q in scenario.teaching.questions
                ),
                class_="questions",
            ),
        ]
    parts += _decision_file(workshop, teams, template_name)
    return page(f"{workshop.title} — workshop handout", join(parts), extra_css=_HANDOUT_STYLE)


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
    """The decision file as handed out, the paper sheet, and the teacher's notes."""
    first, last = template_name.format(n=1), template_name.format(n=teams)
    files = first if teams == 1 else f"{first} … {last}"
    return [
        tag("h2", "Your decision file", class_="page-break"),
        tag(
            "p",
            inline(
                f"Each team gets a file ({files}). Open yours in any text editor, write your "
                "team's name, pick your policy, set the agents, add a sentence on why, save it "
                "and give it back to your teacher. Keep the quotes around text; change only the "
                "values after `=`. This is team 1's file as handed out:"
            ),
        ),
        tag("pre", template_text(workshop, 1)),
        tag("h3", "Decision sheet (if you prefer paper)"),
        _decision_sheet(workshop),
        tag("h2", "For the teacher", class_="page-break"),
        _teacher_notes(workshop, template_name),
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
        cost = join(
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
        rows.append(
            [
                join(
                    [
                        tag("strong", f"Agents, {lever.team}"),
                        tag("div", tag("code", lever.key), class_="small"),
                    ]
                ),
                lever.description,
                str(lever.current),
                f"{lever.low} to {lever.high}",
                cost,
            ]
        )
    headers = ["Lever", "What it is", "Now", "You may choose", "Cost"]
    return tag("div", table(headers, rows, numeric_from=2), class_="wide")


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
                    tag("strong", f"Agents, {lever.team}"),
                    tag("div", lever.shift, class_="small"),
                ]
            ),
            f"{lever.low}–{lever.high} (now {lever.current})",
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


def _teacher_notes(workshop: Workshop, template_name: str) -> Html:
    name = workshop.scenario.name
    pattern = template_name.format(n="*")
    plan = [
        "10 min — read the case together (above).",
        "25 min — teams discuss the questions and fill in their decision file or sheet.",
        "5 min — collect the files and run the debrief (below; it takes seconds).",
        "40 min — project the debrief: the ranking, the charts, each team's customer story.",
        "10 min — what would you change? Rerun a team's file with their new idea.",
    ]
    return join(
        [
            tag("p", "A plan for 90 minutes:"),
            tag("ul", join(tag("li", step) for step in plan)),
            tag(
                "p",
                inline(
                    "Run the debrief offline with the team files (a paper sheet typed into a "
                    "copy of a file works too): "
                    f"`simcare workshop debrief {name} {pattern} -o debrief.html`. "
                    f"Every team meets the same customers ({DEFAULT_REPLICATIONS} replications, "
                    f"seed {DEFAULT_SEED}, unless you set `-r` and `-s`). Misspelt keys or values "
                    "are reported by file and key, and nothing is run until every file is right."
                ),
            ),
        ]
    )
