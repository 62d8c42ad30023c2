"""The workshop's pages: the printable handout, the debrief page and the terminal scoreboard.

Everything here presents what `simcare.workshop` worked out (the case's levers, the ranked
teams and their stories); nothing here simulates, ranks or reads a file. The pages are built
like the report's (`simcare.reports.html`): escaped text, inline SVG charts, no scripts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from rich.table import Table
from rich.text import Text as RichText

from simcare import __version__
from simcare.core.units import MINUTES_PER_DAY
from simcare.experiments.compare import Call
from simcare.reports.charts import (
    PlotError,
    Results,
    Row,
    comparison_chart,
    difference_chart,
    svg_text,
)
from simcare.reports.comparison import difference_text, short_value
from simcare.reports.html import (
    Html,
    definition_list,
    figure,
    inline,
    inline_svg,
    join,
    page,
    paragraphs,
    table,
    tag,
)
from simcare.reports.story import Story, clock, introduce, sentence, summary_lines
from simcare.results.write import versions
from simcare.workshop import (
    BASELINE_POLICY,
    BASELINE_TEAM,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    EXTRAS,
    RANKING_RULE,
    SCOREBOARD,
    STORY_REPLICATION,
    Debrief,
    Decisions,
    Measure,
    Score,
    TeamResult,
    Workshop,
    template_text,
)

__all__ = ["debrief_html", "handout_html", "scoreboard_table"]


# --- a team's numbers and decisions in words ---------------------------------------------------


def _mean_text(measure: Measure, score: Score, currency: str) -> str:
    text = short_value(score.mean, measure.unit, currency)
    if not math.isnan(score.half_width):
        text += f" ±{difference_text(score.half_width, measure.unit, currency, sign=False)}"
    return text


def _delta_text(measure: Measure, score: Score, currency: str) -> str:
    text = f"Δ {difference_text(score.difference, measure.unit, currency)}"
    if not math.isnan(score.difference_half_width) and score.difference_half_width > 0:
        half = difference_text(score.difference_half_width, measure.unit, currency, sign=False)
        text += f" ±{half}"
    return text


def _identical(score: Score) -> bool:
    """Whether the two teams gave exactly the same value in every replication."""
    return score.pairs > 0 and score.difference == 0 and score.difference_half_width == 0


def _call_text(score: Score) -> str:
    if score.call is None:
        return ""
    if _identical(score):
        return "identical"
    if score.call in (Call.BETTER, Call.WORSE):
        return f"{score.call.value}, {score.better}/{score.pairs}"
    return score.call.value


def _call_class(call: Call | None) -> str:
    """The CSS class of a call: better, worse, or close (too close to call, or undefined)."""
    return call.value if call is Call.BETTER or call is Call.WORSE else "close"


def _cell_lines(measure: Measure, team: TeamResult, currency: str) -> list[tuple[str, str]]:
    """A team's scoreboard cell, line by line, each with its CSS classes.

    The page and the terminal table show the same lines (`_rich_cell` colours them).
    """
    score = team.scores[measure.key]
    lines = [(_mean_text(measure, score, currency), "nowrap")]
    if team.decisions.baseline:
        lines.append(("baseline", "baseline"))
    elif score.call is not None:
        if _identical(score):
            lines.append(("Δ 0, identical", "close"))
        else:
            call = _call_class(score.call)
            lines.append((_delta_text(measure, score, currency), f"nowrap {call}"))
            lines.append((_call_text(score), call))
    if measure.ranked:
        lines.append((f"rank {team.ranks[measure.key]:g}", "small"))
    return lines


def _decision_summary(workshop: Workshop, decisions: Decisions) -> str:
    changes = decisions.changes(workshop)
    if not changes:
        return "staffing as in the case"
    parts = []
    for key, value in changes.items():
        lever = workshop.lever(key)
        parts.append(f"{lever.team}, {lever.shift}: {lever.current} → {value} agents")
    return "; ".join(parts)


def _plural(count: int, thing: str) -> str:
    return f"{count} {thing}{'s' if count != 1 else ''}"


# --- the scoreboard in the terminal ------------------------------------------------------------


_RICH_STYLES = {"better": "green", "worse": "red"}


def _rich_cell(lines: list[tuple[str, str]]) -> RichText:
    """A cell's lines as rich text: the first plain, calls coloured, the others dim."""
    (first, _), *rest = lines
    cell = RichText(first)
    for line, classes in rest:
        style = next((_RICH_STYLES[c] for c in classes.split() if c in _RICH_STYLES), "dim")
        cell.append(f"\n{line}", style=style)
    return cell


def scoreboard_table(debrief: Debrief) -> Table:
    """The ranked scoreboard as a rich table: one row per team, best first."""
    workshop = debrief.workshop
    currency = workshop.scenario.currency
    table = Table(  # Text, not str: the case's title is not rich markup
        title=RichText(
            f"{workshop.title}\nWorkshop debrief: {len(debrief.teams)} teams on the same "
            f"customers, {debrief.replications} replications, seed {debrief.seed}. Each cell: "
            f"mean ±95% half-width; Δ, the paired difference from the baseline team "
            f"({BASELINE_TEAM}) ±95% half-width, and the call. Shares and their differences in "
            "percentage points. Score: the mean of the three ranks (lower is better); net "
            "value breaks ties."
        ),
        title_justify="left",
        show_lines=True,
    )
    table.add_column("Rank", justify="right", no_wrap=True)
    table.add_column("Team")
    table.add_column("Policy", no_wrap=True)
    for measure in SCOREBOARD:
        table.add_column(measure.short, justify="right")
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Net value", justify="right")
    for team in debrief.teams:
        name = RichText(team.name)
        name.append(f"\n{_decision_summary(workshop, team.decisions)}", style="dim")
        table.add_row(
            str(team.rank),
            name,
            RichText(team.decisions.policy),
            *(_rich_cell(_cell_lines(m, team, currency)) for m in SCOREBOARD),
            f"{team.score:.2f}",
            _rich_cell(_cell_lines(EXTRAS[0], team, currency)),
        )
    return table


# --- the handout --------------------------------------------------------------------------------


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
    run = scenario.run
    measured = (run.duration_min - run.warmup_min) / MINUTES_PER_DAY
    warmup = run.warmup_min / MINUTES_PER_DAY
    first, last = template_name.format(n=1), template_name.format(n=teams)
    files = first if teams == 1 else f"{first} … {last}"
    parts: list[Html] = [
        tag("h1", workshop.title),
        tag(
            "p",
            f"Workshop handout · case {scenario.name} · {_plural(teams, 'team')} · "
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
    parts += [
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
    return page(f"{workshop.title} — workshop handout", join(parts), extra_css=_HANDOUT_STYLE)


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
                tag("span", f"{currency}{lever.weekly_cost:,.0f} a week", class_="nowrap"),
                tag("div", "per agent", class_="small"),
                tag(
                    "div",
                    f"{lever.hours_per_week:g} h on duty, {lever.paid_hours_per_week:.3g} h "
                    f"paid at {currency}{lever.cost_per_hour:,.0f}/h",
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


# --- the debrief page ----------------------------------------------------------------------------


_DEBRIEF_STYLE = """
.team h3 { margin-top: 0; }
.ranking td { white-space: nowrap; }
.ranking td:nth-child(2) { white-space: normal; min-width: 13rem; }
@media print {
  .wide { overflow: visible; }
  .ranking table, .wide table { font-size: 8pt; }
  .wide table .small { font-size: 1em; }
  .ranking td:nth-child(2) { min-width: 9rem; }
  .rank { font-size: 1.1rem; }
  th, td { padding: .25rem .35rem; }
  .card { break-inside: auto; }
}
.rank { font-size: 1.4rem; font-weight: 700; }
h4 { font-size: .95rem; margin: 1rem 0 .4rem; }
.team dl { margin-bottom: .5rem; }
"""


def debrief_html(debrief: Debrief, command: Sequence[str] | None = None, made: str = "") -> str:
    """The debrief page: ranking, charts, each team's decisions and story, and provenance.

    The page depends only on the debrief, ``command`` and ``made``: the same seed, replications
    and team files give the same page.

    Args:
        debrief: from `run_debrief`.
        command: the command line that made it, to show.
        made: when it was made, to show ("" leaves it out).
    """
    workshop = debrief.workshop
    teams = len(debrief.teams) - 1
    parts: list[Html] = [
        tag("h1", f"Debrief: {workshop.title}"),
        tag(
            "p",
            f"Workshop debrief · case {workshop.scenario.name} · {_plural(teams, 'team')} "
            "and the baseline team on the same customers · "
            f"{debrief.replications} replications, seed {debrief.seed}",
            class_="subtitle",
        ),
        *_ranking(debrief),
        *_head_to_head(debrief),
        *_charts(debrief),
        tag("h2", "Each team's decisions and story"),
        tag(
            "p",
            f"One customer per team, from replication {STORY_REPLICATION}, who shows the "
            "team's choice best: if the team deletes, a customer whose post was deleted; if it "
            f"answers, a customer {BASELINE_TEAM} lost and the team kept (else the likeliest "
            "to leave of those who left); if nobody answers, the customer who climbed the most "
            "channels. Every team met the same customers, so the last line tells how the same "
            "customer fared under the baseline team.",
        ),
        *(_team_section(debrief, team) for team in debrief.teams),
    ]
    if workshop.scenario.teaching.questions:
        parts += [
            tag("h2", "Questions for discussion"),
            tag("ol", join(tag("li", inline(q)) for q in workshop.scenario.teaching.questions)),
        ]
    parts += _provenance(debrief, command, made)
    title = f"Debrief: {workshop.title} — simcare workshop"
    return page(title, join(parts), extra_css=_DEBRIEF_STYLE)


_EXTRAS_CAPTION = (
    "People told, negative: private word of mouth, silent customers included (they never "
    "meet a team's decisions, so this moves less than public impressions). Escalated: "
    "complainants who moved to another channel. Resolved: journeys that ended with the "
    "problem fixed. Net value, in the ranking, weighs the money: revenue less staff cost, "
    "compensation and the lifetime value of customers lost."
)


def _ranking(debrief: Debrief) -> list[Html]:
    currency = debrief.workshop.scenario.currency
    net, others = EXTRAS[0], EXTRAS[1:]
    rows: list[list[str | Html]] = [
        [
            tag("span", str(team.rank), class_="rank"),
            _team_cell(debrief, team),
            *(_cell(m, team, currency) for m in SCOREBOARD),
            _score_cell(debrief, team),
            _cell(net, team, currency),
        ]
        for team in debrief.teams
    ]
    headers = ["Rank", "Team and decisions", *(m.short for m in SCOREBOARD), "Score", net.short]
    caption = (
        "Each cell: the mean ±95% half-width; Δ, the paired difference from the baseline team "
        f"({BASELINE_TEAM}) ±95% half-width; the call (better or worse, with the replications "
        "where the team did better, or too close to call); the team's rank in that measure. "
        "Shares and their differences are in percentage points."
    )
    extra_rows: list[list[str | Html]] = [
        [tag("strong", team.name), *(_cell(m, team, currency) for m in others)]
        for team in debrief.teams
    ]
    return [
        tag("h2", "The ranking"),
        tag("div", table(headers, rows, numeric_from=2, caption=caption), class_="wide ranking"),
        tag("p", join([tag("strong", "The rule. "), RANKING_RULE]), class_="small"),
        tag("h3", "Beside the scoreboard (not ranked)"),
        tag(
            "div",
            table(["Team", *(m.short for m in others)], extra_rows, caption=_EXTRAS_CAPTION),
            class_="wide",
        ),
    ]


def _team_cell(debrief: Debrief, team: TeamResult) -> Html:
    parts = [tag("strong", team.name)]
    if team.decisions.baseline:
        parts.append(tag("span", " (baseline team)", class_="baseline"))
    parts += [
        tag("div", tag("code", team.decisions.policy)),
        tag("div", _decision_summary(debrief.workshop, team.decisions), class_="small"),
    ]
    return join(parts)


def _score_cell(debrief: Debrief, team: TeamResult) -> Html:
    tied = [other for other in debrief.teams if other is not team and other.score == team.score]
    parts = [tag("span", f"{team.score:.2f}", class_="score")]
    if tied:
        parts.append(tag("div", "tied: net value", class_="small"))
        parts.append(tag("div", "splits it", class_="small"))
    return join(parts)


def _cell(measure: Measure, team: TeamResult, currency: str) -> Html:
    return join(
        tag("div", line, class_=classes) for line, classes in _cell_lines(measure, team, currency)
    )


def _head_to_head(debrief: Debrief) -> list[Html]:
    if len(debrief.teams) < 2:
        return []
    first, second = debrief.teams[0], debrief.teams[1]
    scores = debrief.head_to_head(first, second)
    currency = debrief.workshop.scenario.currency
    items = []
    for measure in SCOREBOARD:
        score = scores[measure.key]
        text = f"{_delta_text(measure, score, currency)} — {_call_text(score)}"
        mark = tag("span", text, class_=_call_class(score.call))
        items.append(tag("li", join([tag("strong", f"{measure.short}: "), mark])))
    return [
        tag("h3", f"Is {first.name} really ahead of {second.name}?"),
        tag(
            "p",
            f"{first.name} minus {second.name}, replication by replication on the same "
            "customers, with 95% confidence intervals:",
        ),
        tag("ul", join(items)),
    ]


class _Panel(NamedTuple):
    """How a scoreboard measure is drawn: as which outcome (same unit and direction), titled."""

    outcome: str
    title: str
    axis: str  # the axis label, before the unit


_PANELS = {
    "churn": _Panel(
        "complainant_churn_rate", "Churn among complainants", "Churn among complainants"
    ),
    "negative_word_of_mouth": _Panel(
        "impressions_negative", "Negative word of mouth", "Public impressions, negative"
    ),
    "cost": _Panel("staff_cost", "Cost: staff + compensation", "Staff cost + compensation"),
}
"""The scoreboard measures' chart panels: the policy charts draw outcomes, so each measure is
drawn as an outcome with its unit and direction, and relabelled."""


def _chart_label(name: str) -> str:
    """A team's name as matplotlib draws it literally ($ would start mathematics)."""
    return name.replace("$", r"\$")


def _chart_results(debrief: Debrief) -> Results:
    """The teams as the policy charts take them: one "policy" per team."""
    rows: list[Row] = []
    for team in debrief.teams:
        for measure in SCOREBOARD:
            score = team.scores[measure.key]
            rows.append(
                Row(
                    point=None,
                    settings=(),
                    policy=_chart_label(team.name),
                    outcome=_PANELS[measure.key].outcome,
                    scope="all",
                    label=measure.short,
                    unit=measure.unit.value,
                    mean=score.mean,
                    low=score.low,
                    high=score.high,
                    difference=score.difference,
                    difference_low=score.difference - score.difference_half_width,
                    difference_high=score.difference + score.difference_half_width,
                    call=score.call.value if score.call is not None else "",
                )
            )
    scenario = debrief.workshop.scenario
    return Results(
        folder=Path(scenario.name),
        kind="compare",
        title=_chart_label(debrief.workshop.title),
        currency=_chart_label(scenario.currency),
        policies=tuple(_chart_label(t.name) for t in debrief.teams),
        baseline=_chart_label(debrief.baseline.name),
        replications=debrief.replications,
        keys=(),
        rows=tuple(rows),
    )


def _unit_suffix(label: str) -> str:
    """The unit at the end of an axis label: " (%)" of "Churn (%)", else ""."""
    _, found, unit = label.rpartition(" (")
    return f" ({unit}" if found and unit.endswith(")") else ""


def _set_title(ax: Axes, text: str) -> None:
    """Replace an axes' left title, keeping its font and its distance from the axes."""
    old = ax.get_title(loc="left")
    for found in ax.findobj(Text):
        if found.get_text() == old:
            found.set_text(text)
            return


def _relabel(chart: Figure, kind: str, debrief: Debrief, headline: str) -> Figure:
    """Name the panels as the scoreboard does, and say "team" where the charts say "policy"."""
    axes = [ax for ax in chart.axes if ax.get_visible()]
    for ax, measure in zip(axes, SCOREBOARD, strict=False):
        panel = _PANELS[measure.key]
        suffix = _unit_suffix(ax.get_xlabel())
        if kind == "comparison":
            _set_title(ax, f"{panel.title}\n(lower is better)")
            ax.set_xlabel(f"{panel.axis}{suffix}")
        else:
            _set_title(ax, panel.title)
            ax.set_xlabel(f"team − {BASELINE_TEAM}{suffix}")
    runs = _plural(debrief.replications, "replication")
    if kind == "comparison":
        text = f"{headline} — {len(debrief.teams)} teams, {runs}, 95% CIs"
    else:
        text = f"Each team minus {BASELINE_TEAM}, paired over {runs} (95% CIs)"
    chart.suptitle(text, fontweight="bold", fontsize=16)
    return chart


_Draw = Callable[[Results, Sequence[str]], Figure]


def _charts(debrief: Debrief) -> list[Html]:
    """The report's comparison and difference charts, drawn for the teams (none if they fail)."""
    results = _chart_results(debrief)
    outcomes = [_PANELS[m.key].outcome for m in SCOREBOARD]
    wanted: list[tuple[str, _Draw, str]] = [
        (
            "comparison",
            comparison_chart,
            "Each scoreboard measure per team with its 95% confidence interval, teams in rank "
            "order; the baseline team is grey and hatched.",
        )
    ]
    if len(debrief.teams) > 1:
        wanted.append(
            (
                "differences",
                difference_chart,
                f"Each team minus {BASELINE_TEAM}, paired on the same customers, with its 95% "
                "confidence interval: better, worse, or too close to call.",
            )
        )
    try:
        drawn = [
            (name, _relabel(draw(results, outcomes), name, debrief, results.headline), caption)
            for name, draw, caption in wanted
        ]
    except PlotError:
        return []
    figures = [
        figure(inline_svg(svg_text(chart), f"debrief-{name}", caption), caption)
        for name, chart, caption in drawn
    ]
    return [tag("h2", "Charts"), *figures]


def _team_section(debrief: Debrief, team: TeamResult) -> Html:
    workshop = debrief.workshop
    decisions = team.decisions
    items: list[tuple[str, str | Html]] = [
        (
            "Policy",
            join(
                [
                    tag("code", decisions.policy),
                    f" — {workshop.policy_description(decisions.policy)}",
                ]
            ),
        ),
    ]
    for lever in workshop.levers:
        value = decisions.levers[lever.key]
        change = "as in the case" if value == lever.current else f"case: {lever.current}"
        items.append((f"Agents, {lever.team} ({lever.shift})", f"{value} ({change})"))
    if decisions.reasoning:
        items.append(("Why", decisions.reasoning))
    if decisions.source:
        items.append(("File", tag("code", decisions.source)))
    heading = f"{team.rank}. {team.name}" + (" (baseline team)" if decisions.baseline else "")
    parts = [tag("h3", heading), definition_list(items)]
    told = team.story
    if told is None:
        parts.append(
            tag("p", f"Nobody complained in replication {STORY_REPLICATION}: no story to tell.")
        )
    else:
        story = told.story
        parts += [
            tag("h4", "The most telling customer"),
            tag(
                "p",
                f"{introduce(story).rstrip('.')}. Picked ({told.pick}) from replication "
                f"{STORY_REPLICATION}: this customer {told.reason}.",
            ),
            _timeline(story),
            join(tag("p", line) for line in summary_lines(story)),
        ]
        if told.baseline is not None:
            parts.append(tag("p", _twin_text(told.baseline), class_="small"))
    return tag("div", join(parts), class_="card team")


def _timeline(story: Story) -> Html:
    rows: list[list[str | Html]] = []
    for moment in story.moments:
        what: list[str | Html] = [sentence(moment.text)]
        if moment.detail:
            what.append(tag("div", f"→ {sentence(moment.detail)}", class_="small"))
        rows.append(
            [tag("span", clock(moment.minute, story.start_weekday), class_="nowrap"), join(what)]
        )
    return table(["When", "What happened"], rows, numeric_from=2)


def _twin_text(twin: Story) -> str:
    left = "left the brand" if twin.left else "stayed"
    return (
        f"The same customer under {BASELINE_TEAM}: {twin.ending}, "
        f"{_plural(twin.contacts, 'contact')}, seen {round(twin.negative_impressions):,} times "
        f"with no good answer; chance of leaving {twin.leave_probability:.0%}, {left}."
    )


def _provenance(debrief: Debrief, command: Sequence[str] | None, made: str) -> list[Html]:
    items: list[tuple[str, str | Html]] = [
        ("Case", f"{debrief.workshop.scenario.name} ({debrief.workshop.source})"),
        ("Seed", str(debrief.seed)),
        ("Replications", f"{debrief.replications} per team, the same customers for every team"),
        ("Stories", f"replication {STORY_REPLICATION}"),
        ("Team files", ", ".join(debrief.sources)),
        ("Ran on", debrief.executor),
        ("Made", made),
        ("Versions", ", ".join(f"{k} {v}" for k, v in versions().items())),
    ]
    if command:
        items.append(("Command", tag("code", " ".join(command))))
    return [
        tag("h2", "How these numbers were made"),
        definition_list((term, value) for term, value in items if value),
    ]
