"""One customer's journey told as a timeline in plain language, with the numbers behind it.

Everything here reads a finished `RunRecord`; nothing is simulated, printed or written. Journey
j is the same customer (same problem, traits and random draws) under every policy for a given
seed and replication (common random numbers), so `tell` on two records of the same replication
gives the same customer's story under two policies (`format_twins`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simcare.model.journeys import ContactKind, Result
from simcare.model.records import JourneyEnd, RunRecord
from simcare.reports.pick import Pick
from simcare.scenario import Channel, Mode, Scenario
from simcare.scenario.policy import ACTIONS, Effect

WIDTH = 100
"""Lines of `format_story` and `format_twins` are wrapped to this many columns."""

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_PROPER_NAMES = {"twitter": "Twitter", "facebook": "Facebook", "instagram": "Instagram"}
"""Channel keys that are names of platforms, written as such (no article, capitalised)."""


class StoryError(ValueError):
    """No customer fits what was asked for (the message says what to try instead)."""


_PICK_MISSES = {
    Pick.ESCALATED: "no customer moved to another channel",
    Pick.CHURNED: "no complainant left the brand",
    Pick.DELETED: "no customer's post was deleted",
    Pick.VIRAL: "no customer's post drew negative impressions",
}


@dataclass(frozen=True, slots=True)
class Moment:
    """Something that happened to the customer, and when.

    Attributes:
        minute: minutes from the run's start.
        text: what happened, in plain language (a sentence without its subject, as in a diary).
        detail: the numbers behind it (a public post's impressions), or "".
    """

    minute: float
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    """One customer's complaint journey under one policy, and its consequences.

    Attributes:
        journey: the journey's index in the record (the same customer under every policy).
        policy: the policy the brand followed.
        segment, severity: names from the scenario.
        followers: the customer's follower count.
        first_channel: the channel key of the first complaint.
        start_min: when they first complained.
        start_weekday: weekday of minute 0 (0 is Monday), for telling the time.
        measured: whether the journey started after the warm-up (counted in the run's outcomes).
        moments: what happened, in time order.
        contacts: complaints made (the first included; follow-ups not counted).
        channels: the channels they complained on, in the order first used.
        escalations: moves to a different channel.
        went_public: started in private and reached a public channel.
        negative_impressions, positive_impressions: views of their posts, unanswered / with
            a good answer under them.
        reshares, pile_ons: of their posts, all together.
        told_negative, told_positive: people they told in private.
        leave_probability: their probability of leaving the brand.
        left: whether they left.
        ending: how the journey ended (`JourneyEnd.label`).
        resolved: whether the problem was fixed in the end.
        cause: the cause given if they left (`JourneyEnd.cause`).
    """

    journey: int
    policy: str
    segment: str
    severity: str
    followers: int
    first_channel: str
    start_min: float
    start_weekday: int
    measured: bool
    moments: tuple[Moment, ...]
    contacts: int
    channels: tuple[str, ...]
    escalations: int
    went_public: bool
    negative_impressions: float
    positive_impressions: float
    reshares: int
    pile_ons: int
    told_negative: int
    told_positive: int
    leave_probability: float
    left: bool
    ending: str
    resolved: bool
    cause: str


# --- choosing a customer -----------------------------------------------------------------------


def _candidates(record: RunRecord) -> np.ndarray:
    """Journeys that started after the warm-up, or every journey if none did."""
    everyone = np.arange(len(record.journeys))
    measured = everyone[record.journeys.start_min >= record.warmup_min]
    return measured if len(measured) else everyone


def _post_sums(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    """Per journey: negative impressions of its posts, and posts deleted."""
    n = len(record.journeys)
    posts = record.posts
    negative = np.bincount(
        posts.journey, weights=record.spread.negative_impressions, minlength=n
    ).astype(float)
    deleted = np.bincount(posts.journey[np.isfinite(posts.removed_min)], minlength=n)
    return negative, deleted


def _best(candidates: np.ndarray, *keys: np.ndarray) -> int | None:
    """The candidate with the largest keys (compared in order); ties go to the lowest index."""
    if not len(candidates):
        return None
    return min((int(j) for j in candidates), key=lambda j: (*(-float(key[j]) for key in keys), j))


def _choose(record: RunRecord, pick: Pick) -> int | None:
    journeys = record.journeys
    candidates = _candidates(record)
    negative, deleted = _post_sums(record)
    if pick is Pick.ESCALATED:
        moved = candidates[(journeys.escalations[candidates] > 0)]
        return _best(moved, journeys.escalations, journeys.went_public, negative)
    if pick is Pick.CHURNED:
        left = candidates[record.churn.left[candidates]]
        return _best(left, record.churn.leave_probability)
    if pick is Pick.DELETED:
        removed = candidates[deleted[candidates] > 0]
        return _best(removed, journeys.attempts, negative)
    seen = candidates[negative[candidates] > 0]
    return _best(seen, negative)


def choose(record: RunRecord, pick: Pick, replication: int = 0) -> int:
    """Return the journey index of the customer a pick asks for (see `Pick`).

    Only journeys that started after the warm-up are considered, if any did; ties go to the
    lowest index, so the choice is the same every time for the same record.

    Raises:
        StoryError: nobody fits; the message names the picks that would find someone.
    """
    found = _choose(record, pick)
    if found is not None:
        return found
    others = [
        other.value for other in Pick if other is not pick and _choose(record, other) is not None
    ]
    listed = " or ".join(others) if len(others) < 3 else f"{', '.join(others[:-1])} or {others[-1]}"
    hint = f"try --pick {listed}, or another policy" if others else "try another policy"
    raise StoryError(
        f"{_PICK_MISSES[pick]} under {record.policy} in replication {replication}; {hint}"
    )


def busiest(record: RunRecord) -> int:
    """The customer who made the most contacts (after the warm-up if anyone complained then).

    Raises:
        StoryError: nobody complained in the run.
    """
    found = _best(_candidates(record), record.journeys.attempts)
    if found is None:
        raise StoryError(f"nobody complained in this run (policy {record.policy})")
    return found


# --- words ---------------------------------------------------------------------------------


def clock(minute: float, start_weekday: int = 0) -> str:
    """A moment as a person reads it: "Day 2 (Tue), 09:14" (day 1 starts at minute 0)."""
    whole = math.floor(minute)
    day, of_day = divmod(whole, 1440)
    hour, rest = divmod(of_day, 60)
    return f"Day {day + 1} ({_WEEKDAYS[(start_weekday + day) % 7]}), {hour:02d}:{rest:02d}"


def span(minutes: float) -> str:
    """A duration as said aloud: "40 s", "25 min", "3 h 5 min", "2 days 3 h"."""
    if minutes < 1:
        return f"{max(1, round(minutes * 60))} s"
    if minutes < 59.5:
        return f"{round(minutes)} min"
    if minutes < 1440 - 0.5:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(round(minutes / 60), 24)
    day_text = "1 day" if days == 1 else f"{days} days"
    return f"{day_text} {hours} h" if hours else day_text


def between(earlier: float, later: float) -> str:
    """The time from one moment to another as read off their clocks (`clock` drops seconds).

    "14:05" to "14:08" reads "3 min", even when the exact gap is 2.4 min; a gap under a
    minute reads in seconds.
    """
    if later - earlier < 1:
        return span(later - earlier)
    return span(math.floor(later) - math.floor(earlier))


def _count(n: int, thing: str, plural: str | None = None) -> str:
    return f"{n:,} {thing if n == 1 else plural or thing + 's'}"


def _words(key: str) -> str:
    return key.replace("_", " ")


def channel_label(key: str) -> str:
    """A channel key as a reader sees it: "brand page", "Twitter"."""
    return _PROPER_NAMES.get(key.lower(), _words(key))


def _article(words: str) -> str:
    return f"an {words}" if words[:1].lower() in "aeiou" else f"a {words}"


def place(channel: Channel) -> str:
    """Where a channel is, for "on ...": "the brand page", "Twitter"."""
    return _PROPER_NAMES.get(channel.name.lower(), f"the {_words(channel.name)}")


def _unwatched(channel: Channel) -> str:
    """Why nobody answers a channel under the policy."""
    if channel.public:
        return f"nobody is watching {place(channel)} under this policy"
    if channel.mode is Mode.LIVE:
        return f"nobody picks up on the {_words(channel.name)} line under this policy"
    return f"nobody reads {_words(channel.name)} under this policy"


def _complain(channel: Channel, followers: int, first_public: bool, again: bool) -> str:
    """The act of complaining on a channel, without its subject."""
    if again:
        if channel.public:
            return f"posts again on {place(channel)}"
        if channel.mode is Mode.LIVE:
            return f"tries again on the {_words(channel.name)} line"
        return f"writes again by {_words(channel.name)}"
    if channel.public:
        where = place(channel)
        text = f"posts a complaint on {where}, in public, for their {followers:,} followers"
        if channel.audience_per_min > 0:
            text += " and passers-by"
        text += " to see"
        if first_public and not channel.brand_owned:
            text += " (the brand cannot delete it there)"
        return text
    name = channel.name.lower()
    if "email" in name:
        return f"writes to customer care by {_words(channel.name)}"
    if "phone" in name:
        return "phones customer care"
    if "store" in name:
        return f"complains {_words(channel.name)}, face to face"
    if channel.mode is Mode.LIVE:
        return f"contacts customer care on the {_words(channel.name)} line"
    return f"writes to customer care on the {_words(channel.name)} channel"


def _answer(result: int, channel: Channel, effect: Effect, refund: str) -> str:
    """What the brand did with an answered contact, as a clause with its own subject.

    ``refund`` (", with $120 in compensation", or "") follows the words that fix the problem.
    """
    if result == Result.DELETED:
        return "a moderator deletes the post"
    if result == Result.UNRESOLVED:
        if channel.public and effect.visible_answer:
            return "an agent answers under the post, but the problem is not fixed"
        if channel.public:
            return "an agent answers in private, but the problem is not fixed"
        return "an agent answers, but the problem is not fixed"
    if result == Result.INTRUDED:
        return f"a clerk walks up and fixes the problem{refund}, but the customer feels watched"
    if result == Result.FOLLOW_UP:
        return "an agent follows up to check that all is well"
    if not channel.public:
        return f"an agent answers and fixes the problem{refund}"
    if effect.lifts_visibility:
        return f"an agent answers under the post, in public, and fixes the problem{refund}"
    if effect.visible_answer:
        text = (
            f"an agent acknowledges the post in public, then fixes the problem in private{refund}"
        )
    else:
        text = f"an agent fixes the problem in private{refund}"
    if result == Result.UPDATED:
        return f"{text}; the customer updates the post to say so"
    if effect.visible_answer:
        return text
    return f"{text}; the post stays up with no answer in view"


def _reach(negative: float, positive: float, reshares: int, pile_ons: int, deleted: bool) -> str:
    """The numbers behind a public post."""
    seen = round(negative)
    if deleted:
        text = f"before it goes, {_count(seen, 'person', 'people')} see it with no answer under it"
    else:
        text = f"in all, {_count(seen, 'person', 'people')} see it with no good answer under it"
    if round(positive):
        text += f", and {round(positive):,} with the brand's answer"
    if reshares:
        text += "; reshared once" if reshares == 1 else f"; reshared {reshares:,} times"
    if pile_ons:
        text += f"; {_count(pile_ons, 'other customer')} pile on with their own stories"
    return text


# --- telling ---------------------------------------------------------------------------------


def tell(record: RunRecord, scenario: Scenario, journey: int) -> Story:
    """Tell journey ``journey`` of a replication as a timeline, with its numbers.

    Args:
        record: the replication.
        scenario: the scenario it ran (its channels, policy and calendar).
        journey: the journey's index (0 to ``len(record.journeys) - 1``).

    Raises:
        StoryError: ``journey`` is out of range.
    """
    journeys = record.journeys
    if not 0 <= journey < len(journeys):
        raise StoryError(
            f"customer {journey} does not exist: this run has customers 0 to {len(journeys) - 1}"
        )
    channels = list(scenario.channels.values())
    policy = scenario.policy(record.policy)
    effects = [ACTIONS[policy.action_for(channel)].effect(channel) for channel in channels]
    covered = {name for team in scenario.teams.values() for name in team.channels}
    answered_channel = [
        e.answers and c.name in covered for c, e in zip(channels, effects, strict=True)
    ]
    refund = ""
    if policy.compensation is not None and policy.compensation.cost > 0:
        refund = f", with {scenario.currency}{policy.compensation.cost:,.0f} in compensation"

    rows = np.flatnonzero(record.journey == journey)
    rows = rows[np.lexsort((record.kind[rows], record.attempt[rows], record.arrival_min[rows]))]
    followers = int(record.followers[rows[0]])
    posts = np.flatnonzero(record.posts.journey == journey)
    post_of = {int(record.posts.attempt[p]): int(p) for p in posts}
    spread = record.spread
    end = JourneyEnd(int(journeys.end[journey]))

    moments: list[Moment] = []
    complaints = [int(r) for r in rows if record.kind[r] != ContactKind.FOLLOW_UP]
    went_public_yet = False
    run_ended = False  # a moment already says the run ended mid-contact
    for position, row in enumerate(int(r) for r in rows):
        code = int(record.channel[row])
        channel, effect = channels[code], effects[code]
        arrival = float(record.arrival_min[row])
        kind = int(record.kind[row])
        is_last = row == complaints[-1]
        if kind == ContactKind.FOLLOW_UP:
            start = float(record.service_start_min[row])
            if math.isnan(start):
                moments.append(Moment(arrival, "a follow-up is due, but nobody makes it in time"))
            else:
                moments.append(Moment(start, _answer(Result.FOLLOW_UP, channel, effect, "")))
            continue
        # The complaint itself.
        text = _complain(channel, followers, not went_public_yet, again=False)
        if kind == ContactKind.REPOST:
            amplification = scenario.behaviour.repost_amplification
            text = (
                f"reposts a screenshot of the deleted post on {place(channel)}, where the brand "
                "cannot delete it"
            )
            if amplification > 1:
                text += f"; the screenshot travels {amplification:g} times as far"
        elif position > 0:
            previous = int(record.channel[complaints[complaints.index(row) - 1]])
            if previous == code:
                text = _complain(channel, followers, False, again=True)
            else:
                text = f"escalates: {text}"
        went_public_yet = went_public_yet or channel.public
        detail = ""
        attempt = int(record.attempt[row])
        if channel.public and attempt in post_of:
            p = post_of[attempt]
            detail = _reach(
                float(spread.negative_impressions[p]),
                float(spread.positive_impressions[p]),
                int(spread.reshares[p]),
                int(spread.pile_ons[p]),
                math.isfinite(float(record.posts.removed_min[p])),
            )
        moments.append(Moment(arrival, text, detail))
        # What came of it.
        start = float(record.service_start_min[row])
        result = int(record.result[row])
        if not math.isnan(start):
            if result < 0:
                run_ended = True
                when = f"after {between(arrival, start)}"
                moments.append(
                    Moment(start, f"{when}, an agent takes it up; the run ends before they finish")
                )
                continue
            done = start + float(record.handle_min[row])
            text = f"{between(arrival, done)} later, {_answer(result, channel, effect, refund)}"
            if is_last and end is JourneyEnd.DELETED:
                text += "; the customer goes quiet"
            elif is_last and end is JourneyEnd.UNRESOLVED:
                text += "; the customer gives up"
            moments.append(Moment(done, text))
            continue
        deadline = float(record.deadline_min[row])
        if deadline < record.end_min:
            text = f"after waiting {between(arrival, deadline)} with no answer, loses patience"
            if is_last and end in (JourneyEnd.WAITED, JourneyEnd.IGNORED):
                text += " and gives up"
            if not answered_channel[code]:
                text += f": {_unwatched(channel)}"
            moments.append(Moment(deadline, text))
        else:
            run_ended = True
            moments.append(
                Moment(
                    record.end_min,
                    f"the run ends after {between(arrival, record.end_min)} with the complaint "
                    "still unanswered",
                )
            )
    if end is JourneyEnd.OPEN and not run_ended:
        moments.append(
            Moment(
                record.end_min,
                "the run ends with the complaint still open (they were about to try again)",
            )
        )
    moments.sort(key=lambda moment: moment.minute)  # stable: same-minute events keep order

    used: list[str] = []
    for row in complaints:
        name = record.channel_names[int(record.channel[row])]
        if name not in used:
            used.append(name)
    return Story(
        journey=journey,
        policy=record.policy,
        segment=record.segment_names[int(record.journey_segment[journey])],
        severity=record.severity_names[int(record.journey_severity[journey])],
        followers=followers,
        first_channel=record.channel_names[int(record.channel[rows[0]])],
        start_min=float(journeys.start_min[journey]),
        start_weekday=scenario.run.start_weekday,
        measured=bool(journeys.start_min[journey] >= record.warmup_min),
        moments=tuple(moments),
        contacts=int(journeys.attempts[journey]),
        channels=tuple(used),
        escalations=int(journeys.escalations[journey]),
        went_public=bool(journeys.went_public[journey]),
        negative_impressions=float(spread.negative_impressions[posts].sum()),
        positive_impressions=float(spread.positive_impressions[posts].sum()),
        reshares=int(spread.reshares[posts].sum()),
        pile_ons=int(spread.pile_ons[posts].sum()),
        told_negative=int(spread.told_negative[journey]),
        told_positive=int(spread.told_positive[journey]),
        leave_probability=float(record.churn.leave_probability[journey]),
        left=bool(record.churn.left[journey]),
        ending=end.label,
        resolved=end.resolved,
        cause=end.cause,
    )


# --- formatting --------------------------------------------------------------------------------


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
    words = _words(severity)
    if words.lower() in ("problem", "issue"):
        return f"a {words}"
    if words.lower().endswith((" problem", " issue")):
        return _article(words)
    return f"{_article(words)} problem"


def introduce(story: Story) -> str:
    """Who the customer is: "Customer 1,234 (devoted fan, 150 followers) has a major problem"."""
    text = (
        f"Customer {story.journey:,} ({_words(story.segment)}, "
        f"{_count(story.followers, 'follower')}) has {_problem(story.severity)}"
    )
    if not story.measured:
        text += " (complained during the warm-up, so not counted in the run's outcomes)"
    return text


def _told(story: Story) -> str:
    if story.told_negative:
        return f"tells {_count(story.told_negative, 'person', 'people')} an unhappy story"
    if story.told_positive:
        return f"tells {_count(story.told_positive, 'person', 'people')} a happy story"
    return "tells nobody about it"


def summary_lines(story: Story) -> list[str]:
    """The story's numbers as plain sentences (the end, word of mouth, loyalty)."""
    journey = f"{_count(story.contacts, 'contact')} on {_count(len(story.channels), 'channel')}"
    if story.escalations:
        journey += f", {_count(story.escalations, 'escalation')}"
    if story.went_public:
        journey += ", went public"
    lines = [f"How it ended: {story.ending} ({journey})."]
    talk = sentence(_told(story))
    if story.negative_impressions or story.positive_impressions:
        talk += (
            f" Their posts were seen {round(story.negative_impressions):,} times with no good "
            f"answer under them and {round(story.positive_impressions):,} times with one"
        )
        extras = []
        if story.reshares:
            extras.append(_count(story.reshares, "reshare"))
        if story.pile_ons:
            extras.append(_count(story.pile_ons, "pile-on"))
        talk += f" ({', '.join(extras)})." if extras else "."
    lines.append(talk)
    loyalty = f"Chance of leaving the brand: {story.leave_probability:.0%}. "
    if not story.left:
        loyalty += "They stay."
    elif story.resolved:
        loyalty += (
            "They leave the brand even though the problem was fixed (cause: the problem itself)."
        )
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
    ("Contacts", lambda s: f"{s.contacts:,}"),
    ("Channels", lambda s: ", ".join(channel_label(c) for c in s.channels)),
    ("Escalations", lambda s: f"{s.escalations:,}" + (", went public" if s.went_public else "")),
    ("Seen, no good answer", lambda s: f"{round(s.negative_impressions):,}"),
    ("Seen, with an answer", lambda s: f"{round(s.positive_impressions):,}"),
    ("Reshares", lambda s: f"{s.reshares:,}"),
    ("Pile-ons", lambda s: f"{s.pile_ons:,}"),
    ("People told, unhappy", lambda s: f"{s.told_negative:,}"),
    ("People told, happy", lambda s: f"{s.told_positive:,}"),
    ("Chance of leaving", lambda s: f"{s.leave_probability:.0%}"),
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
