"""A story as text: who the customer is, the timeline, the numbers; two side by side.

`format_twins` gives the same customer's story under two policies: journey j is the same
customer (same problem, traits and random draws) under every policy for a given seed and
replication (common random numbers).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

from simcare.reports.format import percent, whole_number
from simcare.reports.story.telling import Story
from simcare.reports.story.words import article, channel_label, clock, count_of, words

WIDTH = 100
"""Lines of `format_story` and `format_twins` are wrapped to this many columns."""


def _wrap(text: str, first: str, rest: str, width: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    )


def sentence(text: str) -> str:
    """The text as a sentence: a capital first letter and a full stop at the end."""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _problem(severity: str) -> str:
    """A severity as a problem: "a major problem", "a problem" (a severity named "problem")."""
    name = words(severity)
    if name.lower() in ("problem", "issue"):
        return f"a {name}"
    if name.lower().endswith((" problem", " issue")):
        return article(name)
    return f"{article(name)} problem"


def introduce(story: Story) -> str:
    """Who the customer is: "Customer 1,234 (devoted fan, 150 followers) has a major problem"."""
    text = (
        f"Customer {whole_number(story.journey)} ({words(story.segment)}, "
        f"{count_of(story.followers, 'follower')}) has {_problem(story.severity)}"
    )
    if not story.measured:
        text += " (complained during the warm-up, so not counted in the run's outcomes)"
    return text


def _told(story: Story) -> str:
    if story.told_negative:
        return f"tells {count_of(story.told_negative, 'person', 'people')} an unhappy story"
    if story.told_positive:
        return f"tells {count_of(story.told_positive, 'person', 'people')} a happy story"
    return "tells nobody about it"


def summary_lines(story: Story) -> list[str]:
    """The story's numbers as plain sentences (the end, word of mouth, loyalty)."""
    journey = f"{count_of(story.contacts, 'contact')} on {count_of(len(story.channels), 'channel')}"
    if story.escalations:
        journey += f", {count_of(story.escalations, 'escalation')}"
    if story.went_public:
        journey += ", went public"
    lines = [f"How it ended: {story.ending} ({journey})."]
    talk = sentence(_told(story))
    if story.negative_impressions or story.positive_impressions:
        talk += (
            f" Their posts were seen {whole_number(round(story.negative_impressions))} times with "
            f"no good answer under them and {whole_number(round(story.positive_impressions))} "
            "times with one"
        )
        extras = []
        if story.reshares:
            extras.append(count_of(story.reshares, "reshare"))
        if story.pile_ons:
            extras.append(count_of(story.pile_ons, "pile-on"))
        talk += f" ({', '.join(extras)})." if extras else "."
    lines.append(talk)
    loyalty = f"Chance of leaving the brand: {percent(story.leave_probability, 0)}. "
    if not story.left:
        loyalty += "They stay."
    elif story.resolved:  # the cause is the journey's worst moment: a deletion outlives a fix
        loyalty += f"They leave the brand even though the problem was fixed (cause: {story.cause})."
    else:
        loyalty += f"They leave the brand (cause: {story.cause})."
    lines.append(loyalty)
    return lines


def timeline_lines(story: Story, width: int = WIDTH) -> list[str]:
    """The moments, one paragraph each: "Day 2 (Tue), 09:14 — posts ...", numbers below."""
    stamps = [clock(moment.minute, story.start_weekday) for moment in story.moments]
    pad = max((len(stamp) for stamp in stamps), default=0)
    lines: list[str] = []
    for stamp, moment in zip(stamps, story.moments, strict=True):
        first = f"{stamp:<{pad}} — "
        rest = " " * len(first)
        lines.extend(_wrap(sentence(moment.text), first, rest, width))
        if moment.detail:
            lines.extend(_wrap(sentence(moment.detail), rest + "→ ", rest + "  ", width))
    return lines


def format_story(story: Story, heading: str = "", width: int = WIDTH) -> str:
    """A story as plain text: who, then the timeline, then the numbers.

    Args:
        story: from `tell`.
        heading: a first line (the scenario, policy, seed and replication), or "".
        width: columns to wrap to.
    """
    lines = [heading] if heading else []
    lines.extend(_wrap(introduce(story), "", "  ", width))
    lines.append("")
    lines.extend(timeline_lines(story, width))
    lines.append("")
    for line in summary_lines(story):
        lines.extend(_wrap(line, "", "", width))
    return "\n".join(lines) + "\n"


_ROWS: tuple[tuple[str, Callable[[Story], str]], ...] = (
    ("How it ended", lambda s: s.ending),
    ("Contacts", lambda s: whole_number(s.contacts)),
    ("Channels", lambda s: ", ".join(channel_label(c) for c in s.channels)),
    (
        "Escalations",
        lambda s: whole_number(s.escalations) + (", went public" if s.went_public else ""),
    ),
    ("Seen, no good answer", lambda s: whole_number(round(s.negative_impressions))),
    ("Seen, with an answer", lambda s: whole_number(round(s.positive_impressions))),
    ("Reshares", lambda s: whole_number(s.reshares)),
    ("Pile-ons", lambda s: whole_number(s.pile_ons)),
    ("People told, unhappy", lambda s: whole_number(s.told_negative)),
    ("People told, happy", lambda s: whole_number(s.told_positive)),
    ("Chance of leaving", lambda s: percent(s.leave_probability, 0)),
    ("Left the brand", lambda s: f"yes: {s.cause}" if s.left else "no"),
)


def numbers_table(stories: Sequence[Story], headers: Sequence[str]) -> list[str]:
    """The stories' numbers side by side, one column per story."""
    cells = [[label, *(value(story) for story in stories)] for label, value in _ROWS]
    table = [["", *headers], *cells]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]


def format_twins(
    a: Story, b: Story, policy_a: str, policy_b: str, heading: str = "", width: int = WIDTH
) -> str:
    """The same customer under two policies: both timelines, then the numbers side by side.

    Args:
        a: the journey under the first policy.
        b: the same journey (same seed and replication) under the second policy.
        policy_a: the first policy's name, for the headers.
        policy_b: the second policy's name.
        heading: a first line (the scenario, seed and replication), or "".
        width: columns to wrap to.
    """
    lines = [heading] if heading else []
    lines.extend(_wrap(introduce(a), "", "  ", width))
    lines.append("The same customer, the same problem and the same choices, under two policies.")
    for story, policy in ((a, policy_a), (b, policy_b)):
        lines.extend(["", f"Under {policy}:", ""])
        lines.extend(timeline_lines(story, width))
    lines.extend(["", "Side by side:", ""])
    lines.extend(numbers_table([a, b], [policy_a, policy_b]))
    return "\n".join(lines) + "\n"
