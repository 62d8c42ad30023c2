"""Response policies: what the brand does with a complaint on each channel, and how.

An *action* is a small class behind the `Action` protocol, registered under its TOML key. The
simulation does not call actions per contact: it reads each channel's `Effect` once, when a
replication starts, and works from those numbers (so a policy costs nothing on the hot path).

How long each action keeps an agent busy, relative to the team's handling time, is the
scenario's `ActionHandling` (its ``[actions]`` table), not a constant here. Approaching a
customer in store is only possible on a public, geotagged channel, and only the channel's
`approach_team` (store staff) does it (`serves`).

A `Policy` maps every channel to an action, plus modifiers (response hours, queue priority,
compensation, cross-selling, follow-up, conversation depth). The five built-in policies apply to
any scenario: their action is used wherever it is allowed and channels where it is not are
answered in private (a phone call cannot be answered "in public" or deleted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import ClassVar, Protocol

from simcare.core.errors import (
    Problem,
    ScenarioError,
    check_non_negative,
    check_positive,
    check_share,
    every_problem,
    expectation,
)
from simcare.scenario.in_file import FileKind, in_file
from simcare.scenario.parts import Channel, Distribution


class Failure(StrEnum):
    """Ways a response (or its absence) fails the customer; each raises their anger."""

    WAITED = "waited"  # patience ran out on a channel that is answered
    IGNORED = "ignored"  # patience ran out on a channel nobody answers
    UNRESOLVED = "unresolved"  # answered, but the problem is not fixed
    DELETED = "deleted"  # the post was removed by a moderator
    INTRUDED = "intruded"  # approached in store and felt watched (resolved, but angrier)


@dataclass(frozen=True, slots=True)
class Effect:
    """What an action does to a contact on one channel, as numbers the simulation reads.

    Attributes:
        answers: an agent (or moderator, or clerk) takes the contact from the queue.
        handle_factor: multiplies the team's handling time for the channel.
        resolves: the contact may fix the problem (with the scenario's resolve share).
        removes_post: the public post disappears when the agent is done (deletion).
        visible_answer: bystanders see the brand answer under the post (public channels).
        lifts_visibility: the public answer pushes the post to more viewers.
        may_update: the customer may update their public post after a private fix.
        may_intrude: the customer may feel watched (store approach).
    """

    answers: bool
    handle_factor: float = 1.0
    resolves: bool = False
    removes_post: bool = False
    visible_answer: bool = False
    lifts_visibility: bool = False
    may_update: bool = False
    may_intrude: bool = False


@dataclass(frozen=True, slots=True)
class ActionHandling:
    """How long each action keeps an agent busy: a factor on the team's handling time.

    Attributes:
        delete_factor: a moderator's removal of a post, as a share of answering it.
        reply_public_factor: an answer written in the open.
        reply_private_factor: an answer by private message, email or phone.
        acknowledge_factor: a public acknowledgement and then a private answer, on a public
            channel (on a private one it is a private answer).
        approach_factor: a store clerk finding the customer and sorting it out (on the
            approach team's own handling time for the channel).
    """

    delete_factor: float = field(
        default=0.2, metadata=in_file(FileKind.NUMBER, "delete.handle_factor")
    )
    reply_public_factor: float = field(
        default=1.0, metadata=in_file(FileKind.NUMBER, "reply_public.handle_factor")
    )
    reply_private_factor: float = field(
        default=1.0, metadata=in_file(FileKind.NUMBER, "reply_private.handle_factor")
    )
    acknowledge_factor: float = field(
        default=1.1, metadata=in_file(FileKind.NUMBER, "acknowledge_then_private.handle_factor")
    )
    approach_factor: float = field(
        default=1.0, metadata=in_file(FileKind.NUMBER, "approach_in_store.handle_factor")
    )

    @every_problem
    def __post_init__(self) -> None:
        for spec in fields(self):
            check_positive(spec.metadata["key"], getattr(self, spec.name))


class Action(Protocol):
    """A response to a complaint: its TOML key, where it is allowed, and its effect."""

    key: ClassVar[str]
    description: ClassVar[str]

    def refuses(self, channel: Channel) -> str | None:
        """Return why this action cannot be used on the channel, or None if it can."""
        ...

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        """Return what the action does to a contact on the channel."""
        ...


class _Anywhere:
    def refuses(self, channel: Channel) -> str | None:
        return None


class Ignore(_Anywhere):
    """Nobody answers: an unmonitored channel. The customer waits until their patience ends."""

    key: ClassVar[str] = "ignore"
    description: ClassVar[str] = "nobody answers (an unmonitored channel)"

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        return Effect(answers=False)


class Delete:
    """A moderator removes the public post: quick to do, and it angers the author."""

    key: ClassVar[str] = "delete"
    description: ClassVar[str] = "a moderator removes the post (brand-owned public channels only)"

    def refuses(self, channel: Channel) -> str | None:
        if not channel.public:
            return f"channel {channel.name!r} is private: there is no public post to delete"
        if not channel.brand_owned:
            return f"channel {channel.name!r} is not brand-owned: the brand cannot delete there"
        return None

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        return Effect(answers=True, handle_factor=handling.delete_factor, removes_post=True)


class ReplyPublic(_Anywhere):
    """Answer and resolve in the open: bystanders see it, and the reply lifts the post."""

    key: ClassVar[str] = "reply_public"
    description: ClassVar[str] = "answer and resolve in the open"

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        public = channel.public
        return Effect(
            answers=True,
            handle_factor=handling.reply_public_factor,
            resolves=True,
            visible_answer=public,
            lifts_visibility=public,
        )


class ReplyPrivate(_Anywhere):
    """Resolve by private message, email or phone; a public post stays up, unanswered in view."""

    key: ClassVar[str] = "reply_private"
    description: ClassVar[str] = "resolve in private; a public post stays up with no visible answer"

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        return Effect(
            answers=True,
            handle_factor=handling.reply_private_factor,
            resolves=True,
            may_update=channel.public,
        )


class AcknowledgeThenPrivate(_Anywhere):
    """A short public acknowledgement, then private resolution (no lift of the post)."""

    key: ClassVar[str] = "acknowledge_then_private"
    description: ClassVar[str] = "acknowledge in public, resolve in private"

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        public = channel.public
        # On a private channel there is nothing to acknowledge in public: a private answer.
        factor = handling.acknowledge_factor if public else handling.reply_private_factor
        return Effect(
            answers=True,
            handle_factor=factor,
            resolves=True,
            visible_answer=public,
        )


class ApproachInStore:
    """A store clerk walks up to the customer who posted from the store: fast, maybe intrusive.

    Only where the store is known (a public, geotagged post) and someone is there to walk up
    (the channel's `approach_team`, store staff, who take these contacts and no others).
    """

    key: ClassVar[str] = "approach_in_store"
    description: ClassVar[str] = "a clerk approaches the customer in the store they posted from"

    def refuses(self, channel: Channel) -> str | None:
        name = channel.name
        if not channel.public:
            return (
                f"channel {name!r} is private: a clerk can only approach the author of a "
                f"public, geotagged post"
            )
        if not channel.geotagged:
            return (
                f"channel {name!r} is not geotagged: nobody knows which store its posts come "
                f"from (mark it geotagged = true if they carry the store's location)"
            )
        if channel.approach_team is None:
            return (
                f"channel {name!r} names no approach_team: nobody in the store walks up to "
                f"the customer (give approach_team = the team of store staff who do)"
            )
        return None

    def effect(self, channel: Channel, handling: ActionHandling) -> Effect:
        return Effect(
            answers=True, handle_factor=handling.approach_factor, resolves=True, may_intrude=True
        )


def serves(team: str, channel: Channel, action: str) -> bool:
    """Whether a team that lists the channel takes its contacts under the channel's action.

    A channel's approach team (store staff) takes only approach contacts, and takes them
    alone: under approach_in_store nobody else answers, under any other action they do not.
    """
    if channel.approach_team is None:
        return True
    return (team == channel.approach_team) == (action == ApproachInStore.key)


def approach_team_problems(
    channels: Mapping[str, Channel], team_channels: Mapping[str, Sequence[str]]
) -> list[Problem]:
    """Each channel's approach team must exist and list the channel (its handling time)."""
    found: list[Problem] = []
    for channel in channels.values():
        team = channel.approach_team
        if team is None:
            continue
        key = f"channels.{channel.name}.approach_team"
        if team not in team_channels:
            found.append(Problem(key, f"unknown team {team!r}; teams are {sorted(team_channels)}"))
        elif channel.name not in team_channels[team]:
            found.append(
                Problem(
                    key,
                    f"team {team!r} does not serve channel {channel.name!r}: list it in "
                    f"teams.{team}.channels, with the team's handling time for an approach",
                )
            )
    return found


ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        Ignore(),
        Delete(),
        ReplyPublic(),
        ReplyPrivate(),
        AcknowledgeThenPrivate(),
        ApproachInStore(),
    )
}
"""Every response action, by the key a scenario file uses."""


class Priority(StrEnum):
    """Which waiting complaint an agent takes first on a channel."""

    FIRST_COME = "first_come"
    SEVERITY = "severity"  # most severe first (severities are listed mildest first)
    FOLLOWERS = "followers"  # most followers first


@dataclass(frozen=True, slots=True)
class Compensation:
    """A refund or coupon with every resolution: it costs money and cuts the risk of leaving.

    Attributes:
        cost: paid per resolved complaint.
        satisfaction: share by which the customer's probability of leaving falls.
    """

    cost: float = field(metadata=in_file(FileKind.NUMBER))
    satisfaction: float = field(metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        check_non_negative("cost", self.cost)
        check_share("satisfaction", self.satisfaction)


@dataclass(frozen=True, slots=True)
class CrossSell:
    """Pitching products while handling a complaint: longer contacts, some revenue, less trust.

    Attributes:
        extra_min: minutes added to every answered contact.
        revenue: expected revenue per answered contact.
        dissatisfaction: share by which the probability of leaving rises.
    """

    extra_min: float = field(metadata=in_file(FileKind.DURATION, "extra_time"))
    revenue: float = field(metadata=in_file(FileKind.NUMBER))
    dissatisfaction: float = field(metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        check_non_negative("extra_time", self.extra_min)
        check_non_negative("revenue", self.revenue)
        check_non_negative("dissatisfaction", self.dissatisfaction)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """An agent contacts the customer again within a time after resolving: work, and trust.

    Attributes:
        within_min: the follow-up is made at a uniform time in this window after resolution.
        handle_time: how long the follow-up takes the agent.
        satisfaction: share by which the probability of leaving falls.
    """

    within_min: float = field(metadata=in_file(FileKind.DURATION, "within"))
    handle_time: Distribution = field(metadata=in_file(FileKind.DISTRIBUTION))
    satisfaction: float = field(metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        check_non_negative("within", self.within_min)
        check_share("satisfaction", self.satisfaction)


@dataclass(frozen=True, slots=True)
class Depth:
    """Deeper conversations (the Nespresso case): longer handling, happier customers.

    Attributes:
        handle_factor: multiplies handling time on answered contacts.
        satisfaction: share by which the probability of leaving falls after a resolution.
        told_positive_factor: multiplies how many people a satisfied customer tells.
    """

    handle_factor: float = field(metadata=in_file(FileKind.NUMBER))
    satisfaction: float = field(metadata=in_file(FileKind.NUMBER))
    told_positive_factor: float = field(default=1.0, metadata=in_file(FileKind.NUMBER))

    @every_problem
    def __post_init__(self) -> None:
        check_positive("handle_factor", self.handle_factor)
        check_share("satisfaction", self.satisfaction)
        check_non_negative("told_positive_factor", self.told_positive_factor)


@dataclass(frozen=True, slots=True)
class Hours:
    """When a channel is monitored each day: from ``open_min`` to ``close_min`` (may wrap)."""

    open_min: float
    close_min: float

    @every_problem
    def __post_init__(self) -> None:
        for value in (self.open_min, self.close_min):
            if not 0 <= value < 24 * 60:
                raise ScenarioError(
                    expectation("", "times of day from 00:00 to 23:59", repr(value))
                )
        if self.open_min == self.close_min != 0:
            # Otherwise all day, as "00:00-00:00" is; written so, it is more likely a slip.
            raise ScenarioError(
                Problem(
                    "",
                    'expected different opening and closing times, or "00:00-00:00" for all day',
                )
            )

    def is_open(self, minute_of_day: float) -> bool:
        """Whether the channel is worked at this minute after midnight."""
        if self.open_min == self.close_min:
            return True
        if self.open_min < self.close_min:
            return self.open_min <= minute_of_day < self.close_min
        return minute_of_day >= self.open_min or minute_of_day < self.close_min


@dataclass(frozen=True, slots=True)
class Policy:
    """What the brand does on each channel, plus modifiers.

    Attributes:
        actions: action key per channel; channels not listed use ``based_on``'s choice.
        based_on: a built-in policy that fills the channels not listed.
        hours: channels worked only part of the day; the rest are worked whenever staffed.
    """

    name: str = field(metadata=in_file(FileKind.NAME))
    actions: dict[str, str] = field(
        default_factory=dict, metadata=in_file(FileKind.PER_CHANNEL, of=FileKind.ACTION)
    )
    based_on: str = field(default="reply_private", metadata=in_file(FileKind.BUILTIN_POLICY))
    description: str = field(default="", metadata=in_file(FileKind.TEXT))
    hours: dict[str, Hours] = field(
        default_factory=dict, metadata=in_file(FileKind.PER_CHANNEL, of=FileKind.HOURS)
    )
    priority: Priority = field(
        default=Priority.FIRST_COME, metadata=in_file(FileKind.CHOICE, of=Priority)
    )
    compensation: Compensation | None = field(
        default=None, metadata=in_file(FileKind.TABLE, of=Compensation)
    )
    cross_sell: CrossSell | None = field(
        default=None, metadata=in_file(FileKind.TABLE, of=CrossSell)
    )
    follow_up: FollowUp | None = field(default=None, metadata=in_file(FileKind.TABLE, of=FollowUp))
    depth: Depth | None = field(default=None, metadata=in_file(FileKind.TABLE, of=Depth))

    @every_problem
    def __post_init__(self) -> None:
        problems = [
            Problem(
                f"actions.{channel}",
                f"unknown action {key!r}; actions are {sorted(ACTIONS)}",
            )
            for channel, key in self.actions.items()
            if key not in ACTIONS
        ]
        if self.based_on not in BUILTIN_POLICIES:
            problems.append(
                Problem(
                    "based_on",
                    f"unknown built-in policy {self.based_on!r}; "
                    f"built-in policies are {list(BUILTIN_POLICIES)}",
                )
            )
        if problems:
            raise ScenarioError(problems)

    def action_for(self, channel: Channel) -> str:
        """Return the action key used on a channel."""
        if channel.name in self.actions:
            return self.actions[channel.name]
        return builtin_action(self.based_on, channel)

    def refusals(self, channels: dict[str, Channel]) -> list[tuple[str, str]]:
        """Return (channel, reason) for every channel whose action is not allowed there."""
        found = []
        for name, key in self.actions.items():
            channel = channels.get(name)
            if channel is not None and key in ACTIONS:
                reason = ACTIONS[key].refuses(channel)
                if reason:
                    found.append((name, reason))
        return found


BUILTIN_POLICIES: dict[str, str] = {
    "ignore": "nobody answers on any channel",
    "delete": "delete public posts where the brand can; answer in private elsewhere",
    "reply_public": "answer in public on public channels, in private elsewhere",
    "reply_private": "answer in private everywhere; public posts stay up unanswered in view",
    "acknowledge_then_private": "acknowledge in public, then resolve in private",
}
"""The built-in policies, usable with every scenario, and what each does."""


def builtin_action(policy: str, channel: Channel) -> str:
    """The action a built-in policy uses on a channel: its own where allowed, else private."""
    if policy in ACTIONS and ACTIONS[policy].refuses(channel) is None:
        return policy
    return ReplyPrivate.key


def builtin_policy(name: str) -> Policy:
    """Return a built-in policy by name (see `BUILTIN_POLICIES`)."""
    if name not in BUILTIN_POLICIES:
        raise KeyError(name)
    return Policy(name=name, based_on=name, description=BUILTIN_POLICIES[name])
