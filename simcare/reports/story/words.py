"""A journey's moments in words: the time on the clock, places, complaints and answers.

Each function returns a clause without its subject, as in a diary ("posts again on Twitter");
`simcare.reports.story.text` makes sentences of them.
"""

from __future__ import annotations

import math

from simcare.metrics import Unit
from simcare.model.journeys import Result
from simcare.reports.format import format_value, spoken_duration, whole_number
from simcare.scenario import Channel, Mode
from simcare.scenario.policy import Effect

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_PROPER_NAMES = {"twitter": "Twitter", "facebook": "Facebook", "instagram": "Instagram"}
"""Channel keys that are names of platforms, written as such (no article, capitalised)."""


def clock(minute: float, start_weekday: int = 0) -> str:
    """A moment as a person reads it: "Day 2 (Tue), 09:14" (day 1 starts at minute 0)."""
    whole = math.floor(minute)
    day, of_day = divmod(whole, 1440)
    hour, rest = divmod(of_day, 60)
    return f"Day {day + 1} ({_WEEKDAYS[(start_weekday + day) % 7]}), {hour:02d}:{rest:02d}"


def between(earlier: float, later: float) -> str:
    """The time from one moment to another as read off their clocks (`clock` drops seconds).

    "14:05" to "14:08" reads "3 min", even when the exact gap is 2.4 min; a gap under a
    minute reads in seconds.
    """
    if later - earlier < 1:
        return spoken_duration(later - earlier)
    return spoken_duration(math.floor(later) - math.floor(earlier))


def count_of(n: int, thing: str, plural: str | None = None) -> str:
    """A count of things: "1 follower", "1,500 followers", "2 people"."""
    return f"{whole_number(n)} {thing if n == 1 else plural or thing + 's'}"


def words(key: str) -> str:
    """A key as words: "devoted_fan" reads "devoted fan"."""
    return key.replace("_", " ")


def channel_label(key: str) -> str:
    """A channel key as a reader sees it: "brand page", "Twitter"."""
    return _PROPER_NAMES.get(key.lower(), words(key))


def article(text: str) -> str:
    """The words with "a" or "an" before them."""
    return f"an {text}" if text[:1].lower() in "aeiou" else f"a {text}"


def place(channel: Channel) -> str:
    """Where a channel is, for "on ...": "the brand page", "Twitter"."""
    return _PROPER_NAMES.get(channel.name.lower(), f"the {words(channel.name)}")


def unwatched(channel: Channel) -> str:
    """Why nobody answers a channel under the policy."""
    if channel.public:
        return f"nobody is watching {place(channel)} under this policy"
    if channel.mode is Mode.LIVE:
        return f"nobody picks up on the {words(channel.name)} line under this policy"
    return f"nobody reads {words(channel.name)} under this policy"


def complain(channel: Channel, followers: int, first_public: bool, again: bool) -> str:
    """The act of complaining on a channel, without its subject."""
    if again:
        if channel.public:
            return f"posts again on {place(channel)}"
        if channel.mode is Mode.LIVE:
            return f"tries again on the {words(channel.name)} line"
        return f"writes again by {words(channel.name)}"
    if channel.public:
        text = (
            f"posts a complaint on {place(channel)}, in public, for their "
            f"{whole_number(followers)} followers"
        )
        if channel.audience_per_min > 0:
            text += " and passers-by"
        text += " to see"
        if first_public and not channel.brand_owned:
            text += " (the brand cannot delete it there)"
        return text
    name = channel.name.lower()
    if "email" in name:
        return f"writes to customer care by {words(channel.name)}"
    if "phone" in name:
        return "phones customer care"
    if "store" in name:
        return f"complains {words(channel.name)}, face to face"
    if channel.mode is Mode.LIVE:
        return f"contacts customer care on the {words(channel.name)} line"
    return f"writes to customer care on the {words(channel.name)} channel"


def answer(result: int, channel: Channel, effect: Effect, refund: str) -> str:
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


def reach(negative: float, positive: float, reshares: int, pile_ons: int, deleted: bool) -> str:
    """The numbers behind a public post."""
    # Views, not people: the same person may see a post more than once.
    seen = count_of(round(negative), "time")
    if deleted:
        text = f"before it goes, it is seen {seen} with no answer under it"
    else:
        text = f"in all, it is seen {seen} with no good answer under it"
    if round(positive):
        text += f", and {count_of(round(positive), 'time')} with the brand's answer"
    if reshares:
        text += "; reshared once" if reshares == 1 else f"; reshared {whole_number(reshares)} times"
    if pile_ons:
        text += f"; {count_of(pile_ons, 'other customer')} pile on with their own stories"
    return text


def refund_text(amount: float, currency: str) -> str:
    """What an answer that fixes the problem adds: ", with $120 in compensation" ("" if none)."""
    if amount > 0:
        return f", with {format_value(amount, Unit.MONEY, currency)} in compensation"
    return ""
