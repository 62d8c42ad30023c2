"""The live workshop's pages: join, a team's decisions, the teacher's desk; all text escaped.

Every page is a plain form that works without JavaScript; `LIVE_JS`, served by the app itself,
only keeps the status current (it writes text, never markup).
"""

from __future__ import annotations

from typing import Any

from simcare.metrics import Unit
from simcare.reports.format import format_value
from simcare.reports.html import Html, escape, join, tag
from simcare.workshop.case import Lever, Workshop
from simcare.workshop.decisions import MAX_REASONING, MAX_TEAM_NAME, Decisions
from simcare.workshop.levers import value_text
from simcare.workshop.serve.forms import lever_field
from simcare.workshop.serve.round import Round, Team

__all__ = [
    "LIVE_JS",
    "join_page",
    "notice_page",
    "teacher_page",
    "teacher_status",
    "team_page",
    "team_status",
]

_STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 52rem;
  padding: 1rem 1.2rem 3rem; color: #1d1d1f; }
h1 { font-size: 1.5rem; margin: .4rem 0 .8rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .5rem; }
fieldset { border: 1px solid #c8c8cc; border-radius: 6px; margin: 0 0 1rem; padding: .6rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
label.choice { display: block; margin: .3rem 0; }
label.choice small, .lever small { color: #555; display: block; margin-left: 1.6rem; }
.lever { margin: .7rem 0; }
.lever label { font-weight: 600; display: block; }
.lever small { margin-left: 0; }
input[type=number], select, input[type=text] { font: inherit; padding: .25rem .4rem; }
textarea { font: inherit; width: 100%; min-height: 4rem; box-sizing: border-box; }
button { font: inherit; padding: .45rem 1.1rem; margin-right: .6rem; border-radius: 5px;
  border: 1px solid #0b5cad; background: #0b6bcb; color: #fff; cursor: pointer; }
button.quiet { background: #fff; color: #0b5cad; }
.notice { border-left: 4px solid #0b6bcb; background: #eef5fc; padding: .5rem .8rem; }
.problems { border-left: 4px solid #b00020; background: #fdecef; padding: .5rem .8rem; }
.problems li { margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
form { margin: 0 0 .6rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; }
.status-submitted { color: #146c2e; font-weight: 600; }
.status-draft { color: #8a5a00; }
.status-not-started { color: #777; }
code { background: #f2f2f4; padding: 0 .25rem; border-radius: 3px; }
progress { width: 100%; height: 1.2rem; }
"""

LIVE_JS = """\
// simcare workshop: keep a page's status current. It only writes text (textContent) and
// reloads the page when the round's stage changes (locked, debriefed, a team joined).
(function () {
  "use strict";
  var root = document.querySelector("[data-status-url]");
  if (!root) { return; }
  var url = root.getAttribute("data-status-url");
  var stage = root.getAttribute("data-stage");
  function show(status) {
    if (status.stage !== stage) { window.location.reload(); return; }
    (status.teams || []).forEach(function (team) {
      var row = document.querySelector('tr[data-team="' + team.number + '"]');
      if (!row) { return; }
      var cell = row.querySelector(".status");
      cell.textContent = team.status;
      cell.className = "status status-" + team.status.replace(" ", "-");
      row.querySelector(".at").textContent = team.at;
    });
    var summary = document.getElementById("summary");
    if (summary) { summary.textContent = status.summary; }
    var bar = document.getElementById("progress");
    if (bar && status.total) { bar.max = status.total; bar.value = status.done; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) { if (status) { show(status); } })
      .catch(function () { /* the server restarts: try again */ })
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
"""


def _page(title: str, body: Html, live: bool = False) -> str:
    """A whole page: its title, the stylesheet, the body and, if ``live``, the status script."""
    script = '<script src="/live.js" defer></script>\n' if live else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n{script}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _void(element: str, /, **attributes: str | bool) -> Html:
    """An element without content (``<input>``); True writes a bare attribute, False none."""
    parts = [
        f" {key.rstrip('_').replace('_', '-')}"
        + ("" if value is True else f'="{escape(str(value))}"')
        for key, value in attributes.items()
        if value is not False
    ]
    return Html(f"<{element}{''.join(parts)}>")


def _form(action: str, csrf: str, *content: Html) -> Html:
    """A POST form to this server, carrying the anti-forgery token."""
    hidden = _void("input", type="hidden", name="csrf", value=csrf)
    return Html(f'<form method="post" action="{escape(action)}">{hidden}{join(content, "")}</form>')


def _problems(problems: list[str]) -> Html:
    if not problems:
        return Html("")
    return tag("div", tag("ul", join(tag("li", p) for p in problems)), class_="problems")


def _notice(text: str) -> Html:
    return tag("p", text, class_="notice") if text else Html("")


def notice_page(title: str, text: str, link: tuple[str, str] | None = None) -> str:
    """A page that says one thing (a refusal, a missing page), with a way on."""
    way = tag("p", tag("a", link[1], href=link[0])) if link else Html("")
    return _page(title, join([tag("h1", title), tag("p", text), way]))


def join_page(workshop: Workshop, csrf: str, problems: list[str], name: str = "") -> str:
    """Where a team starts: a new team's name, or a team's code to join it on this laptop."""
    new = _form(
        "/join",
        csrf,
        tag("label", "Your team's name", for_="name"),
        Html(" "),
        _void(
            "input",
            type="text",
            id="name",
            name="name",
            value=name,
            required=True,
            maxlength=str(MAX_TEAM_NAME),
            autocomplete="off",
        ),
        Html(" "),
        tag("button", "Start as a new team", type="submit"),
    )
    existing = _form(
        "/join",
        csrf,
        tag("label", "Your team's code", for_="code"),
        Html(" "),
        _void("input", type="text", id="code", name="code", required=True, autocomplete="off"),
        Html(" "),
        tag("button", "Join my team", type="submit", class_="quiet"),
    )
    body = join(
        [
            tag("h1", f"Workshop: {workshop.title}"),
            tag("p", join(["Read the ", tag("a", "handout", href="/handout"), " first."], "")),
            _problems(problems),
            tag("h2", "A new team"),
            new,
            tag("h2", "A team that has started on another laptop"),
            tag("p", "Its page shows the team's code."),
            existing,
        ]
    )
    return _page(f"{workshop.title} — join", body)


def _same(value: Any, choice: Any) -> bool:
    return type(value) is type(choice) and value == choice


def _lever_control(index: int, lever: Lever, value: Any, currency: str) -> Html:
    """A lever's control: a number field within its range, or a drop-down of its values."""
    name = lever_field(index)
    if lever.choices:
        options = [tag("option", "the case's default", value="")] if lever.current is None else []
        for k, choice in enumerate(lever.choices):
            chosen = _void("option", value=str(k), selected=_same(value, choice))
            options.append(Html(f"{chosen}{escape(value_text(choice))}</option>"))
        control = Html(f'<select id="{name}" name="{name}">{join(options, "")}</select>')
    else:
        control = _void(
            "input",
            type="number",
            id=name,
            name=name,
            min=f"{lever.low:g}",
            max=f"{lever.high:g}",
            step="1" if lever.whole else "any",
            value="" if value is None else f"{value:g}",
            placeholder="the case's default" if lever.current is None else "",
            required=lever.current is not None,
        )
    help_text = f"{lever.description}: {lever.allowed}."
    if lever.agents:
        help_text += f" One agent costs {format_value(lever.weekly_cost, Unit.MONEY, currency)}"
        help_text += f" a week; the case has {lever.current}."
    return tag(
        "div",
        join([tag("label", lever.label, for_=name), control, tag("small", help_text)]),
        class_="lever",
    )


def _policies(workshop: Workshop, chosen: str) -> Html:
    choices = []
    for name in workshop.policies:
        radio = _void(
            "input", type="radio", name="policy", value=name, required=True, checked=name == chosen
        )
        text = join(
            [radio, Html(" "), tag("b", name), tag("small", workshop.policy_description(name))], ""
        )
        choices.append(tag("label", text, class_="choice"))
    return tag("fieldset", join([tag("legend", "Response policy"), *choices]))


def clock(stamp: str) -> str:
    """When something was saved, as a wall clock shows it: "09:47:49 UTC"."""
    return f"{stamp[11:19]} UTC" if len(stamp) >= 19 and stamp[10] == "T" else stamp


def _team_values(
    workshop: Workshop, decisions: Decisions | None
) -> tuple[str, dict[str, Any], str]:
    """The policy, levers and reasoning a team's form shows: its latest, else the case's."""
    if decisions is None:
        return workshop.status_quo, {lever.key: lever.current for lever in workshop.levers}, ""
    return decisions.policy, decisions.levers, decisions.reasoning


def _decision_fields(
    workshop: Workshop, policy: str, levers: dict[str, Any], reasoning: str, locked: bool
) -> Html:
    """The team form's fields and buttons (shown, not changeable, once the round is locked)."""
    currency = workshop.scenario.currency
    controls = [
        _lever_control(i, lever, levers.get(lever.key), currency)
        for i, lever in enumerate(workshop.levers)
    ]
    decisions = tag(
        "fieldset",
        join(
            [
                tag("legend", "Your decisions"),
                _policies(workshop, policy),
                *controls,
                tag(
                    "label",
                    f"Why these choices? (at most {MAX_REASONING:,} characters)",
                    for_="reasoning",
                ),
                tag(
                    "textarea",
                    reasoning,
                    id="reasoning",
                    name_="reasoning",
                    maxlength=str(MAX_REASONING),
                ),
            ]
        ),
    )
    buttons = join(
        [
            tag("button", "Submit", type="submit", name_="action", value="submit"),
            tag(
                "button", "Save draft", type="submit", name_="action", value="draft", class_="quiet"
            ),
        ],
        "",
    )
    if locked:
        decisions = Html(decisions.replace("<fieldset>", "<fieldset disabled>", 1))
        buttons = Html("")
    return join([decisions, buttons])


def team_page(
    round_: Round,
    team: Team,
    code: str,
    csrf: str,
    notice: str = "",
    problems: list[str] | None = None,
    typed: dict[str, Any] | None = None,
) -> str:
    """A team's own page: the levers, its status, and the debrief once the teacher has run it.

    ``typed`` holds what the team sent when it was refused, so nothing typed is lost.
    """
    workshop = round_.workshop
    policy, levers, reasoning = _team_values(workshop, team.latest)
    if typed is not None:
        policy, reasoning = typed["policy"], typed["reasoning"]
        levers = {**levers, **typed["levers"]}
    fields = _decision_fields(workshop, policy, levers, reasoning, round_.locked)
    body = join(
        [
            tag("h1", f"{team.name} — {workshop.title}"),
            _team_state(round_, team),
            _notice(notice),
            _problems(problems or []),
            _form("/team", csrf, fields),
            tag(
                "p",
                join(
                    [
                        "Teammates on another laptop join with your team's code: ",
                        tag("code", code),
                        ".",
                    ],
                    "",
                ),
            ),
        ]
    )
    stage = team_status(round_)["stage"]
    live = tag("div", body, data_status_url="/team/status.json", data_stage=stage)
    return _page(f"{team.name} — {workshop.title}", live, live=True)


def _team_state(round_: Round, team: Team) -> Html:
    """Where the team stands: the handout, its status, the lock, the debrief."""
    parts: list[str | Html] = [tag("a", "The handout", href="/handout"), ". "]
    if team.submitted is not None:
        parts.append(
            f"Submitted at {clock(team.submitted_at)}; you may revise until the teacher locks."
        )
        if team.latest is team.draft:
            parts.append(" Your newer draft is not submitted: the debrief uses your submission.")
    elif team.draft is not None:
        parts.append(f"Draft saved at {clock(team.draft_at)}, not submitted yet.")
    else:
        parts.append("Not started: set your levers and submit.")
    if round_.locked:
        parts.append(" The teacher has locked the round.")
    if round_.debrief.state == "done":
        parts += [" ", tag("a", "The debrief is ready.", href="/debrief")]
    return tag("p", join(parts, ""))


def _team_rows(round_: Round) -> Html:
    rows = []
    for team in round_.teams:
        when = team.submitted_at if team.submitted is not None else team.draft_at
        status = tag("td", team.status, class_=f"status status-{team.status.replace(' ', '-')}")
        row = join(
            [
                tag("td", str(team.number)),
                tag("td", team.name),
                status,
                tag("td", clock(when) or "—", class_="at"),
            ],
            "",
        )
        rows.append(Html(f'<tr data-team="{team.number}">{row}</tr>'))
    if not rows:
        rows.append(tag("tr", tag("td", "No team has joined yet.", colspan="4")))
    head = tag("tr", join([tag("th", h) for h in ("#", "Team", "Status", "Saved at")], ""))
    return tag("table", join([tag("thead", head), tag("tbody", join(rows))]))


def _teacher_actions(round_: Round, csrf: str, submitted: int) -> list[Html]:
    """What the teacher can do now: lock; or run the debrief, or open the round again."""
    actions: list[Html] = []
    if not round_.locked:
        actions.append(
            _form(
                "/teacher/lock", csrf, tag("button", "Lock the round", name_="action", value="lock")
            )
        )
    elif round_.debrief.state in ("not run", "failed"):
        actions.append(
            _form("/teacher/debrief", csrf, tag("button", f"Run the debrief ({submitted} teams)"))
        )
        actions.append(
            _form(
                "/teacher/lock",
                csrf,
                tag("button", "Open the round again", name_="action", value="open", class_="quiet"),
            )
        )
    return actions


def teacher_page(round_: Round, csrf: str, address: str, notice: str = "") -> str:
    """The teacher's desk: every team's status, the lock, the debrief and its progress."""
    debrief = round_.debrief
    submitted = sum(team.submitted is not None for team in round_.teams)
    actions = _teacher_actions(round_, csrf, submitted)
    state = {
        "not run": "",
        "running": "The debrief is running…",
        "failed": f"The debrief failed: {debrief.message}",
        "done": "The debrief is ready.",
    }[debrief.state]
    parts = [
        tag("h1", f"Teacher — {round_.workshop.title}"),
        tag(
            "p",
            join(
                [
                    "Students open ",
                    tag("code", address),
                    "; the ",
                    tag("a", "handout", href="/handout"),
                    " is there too. ",
                    tag("a", "Refresh", href="/teacher"),
                    " (it refreshes itself with JavaScript).",
                ],
                "",
            ),
        ),
        _notice(notice),
        tag(
            "p",
            join(
                [
                    f"The round is {'locked' if round_.locked else 'open'}: ",
                    tag("span", _summary(round_), id="summary"),
                    ".",
                ],
                "",
            ),
        ),
        _team_rows(round_),
        join(actions),
        tag("p", state),
    ]
    if debrief.state == "running":
        parts.append(
            Html(
                f'<progress id="progress" value="{debrief.done}" '
                f'max="{max(debrief.total, 1)}"></progress>'
            )
        )
    if debrief.state == "done":
        parts.append(tag("p", tag("a", "Open the debrief to project it", href="/debrief")))
    live = tag(
        "div",
        join(parts),
        data_status_url="/teacher/status.json",
        data_stage=str(teacher_status(round_)["stage"]),
    )
    return _page(f"Teacher — {round_.workshop.title}", live, live=True)


def team_status(round_: Round) -> dict[str, Any]:
    """What a team's page polls: the round's stage only (never another team's anything)."""
    return {"stage": f"{'locked' if round_.locked else 'open'}-{round_.debrief.state}"}


def _summary(round_: Round) -> str:
    submitted = sum(team.submitted is not None for team in round_.teams)
    return f"{submitted} of {len(round_.teams)} teams have submitted"


def teacher_status(round_: Round) -> dict[str, Any]:
    """What the teacher's page polls: every team's status and the debrief's progress."""
    teams = [
        {
            "number": team.number,
            "status": team.status,
            "at": clock(team.submitted_at if team.submitted is not None else team.draft_at) or "—",
        }
        for team in round_.teams
    ]
    debrief = round_.debrief
    stage = f"{len(teams)}-{'locked' if round_.locked else 'open'}-{debrief.state}"
    return {
        "stage": stage,
        "summary": _summary(round_),
        "teams": teams,
        "done": debrief.done,
        "total": debrief.total,
    }
