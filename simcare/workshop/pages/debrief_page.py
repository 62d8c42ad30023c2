"""The debrief page: the ranking, a head-to-head, the charts, each team's story, provenance."""

from __future__ import annotations

from collections.abc import Sequence

from simcare.reports.html import Html, definition_list, inline, join, page, table, tag
from simcare.reports.story import Story, clock, introduce, sentence, summary_lines
from simcare.results.write import versions
from simcare.workshop.debrief import Debrief, TeamResult
from simcare.workshop.decisions import BASELINE_TEAM
from simcare.workshop.levers import value_text
from simcare.workshop.pages.debrief_charts import debrief_charts
from simcare.workshop.pages.parts import (
    KEEP_TOGETHER,
    call_class,
    call_text,
    cell_lines,
    decision_summary,
    delta_text,
    plural,
)
from simcare.workshop.scoreboard import EXTRAS, RANKING_RULE, SCOREBOARD, Measure
from simcare.workshop.stories import STORY_REPLICATION

__all__ = ["debrief_html"]


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
            f"Workshop debrief · case {workshop.scenario.name} · {plural(teams, 'team')} "
            "and the baseline team on the same customers · "
            f"{debrief.replications} replications, seed {debrief.seed}",
            class_="subtitle",
        ),
        *_ranking(debrief),
        *_head_to_head(debrief),
        *debrief_charts(debrief),
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
    return page(title, join(parts), extra_css=KEEP_TOGETHER + _DEBRIEF_STYLE)


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
        tag("div", decision_summary(debrief.workshop, team.decisions), class_="small"),
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
        tag("div", line, class_=classes) for line, classes in cell_lines(measure, team, currency)
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
        text = f"{delta_text(measure, score, currency)} — {call_text(score)}"
        mark = tag("span", text, class_=call_class(score.call))
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
        case = value_text(lever.current)
        change = "as in the case" if value == lever.current else f"case: {case}"
        label = f"{lever.label} ({lever.shift})" if lever.agents else lever.label
        items.append((label, f"{value_text(value)} ({change})"))
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
        f"{plural(twin.contacts, 'contact')}, seen {round(twin.negative_impressions):,} times "
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
