"""The scenario: one brand's customer-service world, its sections tied together and cross-checked.

Build variants with `dataclasses.replace`; a scenario is never changed in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from simcare.core.errors import Problem, ScenarioError, every_problem, unsafe_problem
from simcare.core.units import MINUTES_PER_DAY
from simcare.scenario.behaviour import Behaviour, Churn, Contagion, WordOfMouth
from simcare.scenario.in_file import FileKind, in_file
from simcare.scenario.learning import Learning
from simcare.scenario.parts import (
    DEFAULT_DRAIN_MIN,
    MAX_TOLD,
    Channel,
    Incident,
    Problems,
    RunSettings,
    Segment,
    Severity,
)
from simcare.scenario.policy import (
    BUILTIN_POLICIES,
    ActionHandling,
    Policy,
    approach_team_problems,
    builtin_policy,
)
from simcare.scenario.staffing import Team
from simcare.scenario.uncertainty import Uncertain

MINUTES_PER_YEAR = 365 * MINUTES_PER_DAY
MAX_LIFETIME_YEARS = 1000
"""A customer's lifetime value is at most this many years of what they spend a year: beyond,
a loyalty next to 1 with no discount makes a lost customer worth 1e16 years (a typo)."""


@dataclass(frozen=True, slots=True)
class Teaching:
    """What a teacher needs beside the parameters: the story, the questions, the sources."""

    briefing: str = field(default="", metadata=in_file(FileKind.TEXT))
    questions: tuple[str, ...] = field(default=(), metadata=in_file(FileKind.TEXTS))
    # The file's top-level [sources] table: where each key's value comes from.
    sources: dict[str, str] = field(default_factory=dict, metadata=in_file(FileKind.NOTES))
    policies: tuple[str, ...] = field(  # the policies worth comparing in class
        default=(), metadata=in_file(FileKind.TEXTS, refers_to="policies")
    )


@dataclass(frozen=True, slots=True)
class Scenario:
    """One brand's customer-service world: problems, customers, channels and staff."""

    name: str = field(metadata=in_file(FileKind.NAME))
    problems: Problems = field(metadata=in_file(FileKind.TABLE, of=Problems))
    channels: dict[str, Channel] = field(metadata=in_file(FileKind.NAMED, of=Channel))
    title: str = field(default="", metadata=in_file(FileKind.TEXT))
    currency: str = field(default="$", metadata=in_file(FileKind.TEXT))
    run: RunSettings = field(
        default_factory=RunSettings, metadata=in_file(FileKind.TABLE, of=RunSettings)
    )
    severities: dict[str, Severity] = field(
        default_factory=lambda: {"problem": Severity("problem")},
        metadata=in_file(FileKind.NAMED, of=Severity),
    )
    segments: dict[str, Segment] = field(
        default_factory=lambda: {"customer": Segment("customer")},
        metadata=in_file(FileKind.NAMED, of=Segment),
    )
    teams: dict[str, Team] = field(default_factory=dict, metadata=in_file(FileKind.NAMED, of=Team))
    incidents: tuple[Incident, ...] = field(
        default=(), metadata=in_file(FileKind.TABLES, of=Incident)
    )
    teaching: Teaching = field(
        default_factory=Teaching, metadata=in_file(FileKind.TABLE, of=Teaching)
    )
    behaviour: Behaviour = field(
        default_factory=Behaviour, metadata=in_file(FileKind.TABLE, of=Behaviour)
    )
    word_of_mouth: WordOfMouth = field(
        default_factory=WordOfMouth, metadata=in_file(FileKind.TABLE, of=WordOfMouth)
    )
    churn: Churn = field(default_factory=Churn, metadata=in_file(FileKind.TABLE, of=Churn))
    contagion: Contagion = field(
        default_factory=Contagion, metadata=in_file(FileKind.TABLE, of=Contagion)
    )
    learning: Learning = field(
        default_factory=Learning, metadata=in_file(FileKind.TABLE, of=Learning)
    )
    policies: dict[str, Policy] = field(
        default_factory=dict, metadata=in_file(FileKind.NAMED, of=Policy)
    )
    actions: ActionHandling = field(
        default_factory=ActionHandling, metadata=in_file(FileKind.TABLE, of=ActionHandling)
    )
    # The scenario's own plausible ranges (`simcare robustness` adds the defaults).
    uncertainty: tuple[Uncertain, ...] = field(default=(), metadata=in_file(FileKind.UNCERTAINTY))

    @every_problem
    def __post_init__(self) -> None:
        problems = self._problems_from_complaints()
        problems.extend(self._cross_check())
        if problems:
            raise ScenarioError(problems)

    def _problems_from_complaints(self) -> list[Problem]:
        """Set the problem rate from a complaint rate given instead (each time a variant is built).

        A frozen value sets its own derived field once, here, as it is built: the rate is then
        the problems that give the complaints asked for, whatever the severities become.
        """
        complaints = self.problems.complaints_per_min
        if complaints is None or not math.isfinite(complaints):
            return []
        share = self.complaint_share()
        if not share > 0:
            return [
                Problem(
                    "problems.complaints",
                    "cannot be met: no problem becomes a complaint (every severity's "
                    "complaint_share is 0); give problems.rate, the problems, instead",
                )
            ]
        rate = complaints / share
        if not math.isfinite(rate):
            return [
                Problem(
                    "problems.complaints",
                    f"too many for a complaint share of {share:g}: the problems they need "
                    "are more than can be counted",
                )
            ]
        object.__setattr__(self, "problems", replace(self.problems, problems_per_min=rate))
        return []

    def complaint_share(self) -> float:
        """The share of problems that become complaints: the severities' complaint shares."""
        total = sum(severity.share for severity in self.severities.values())
        if not total > 0:
            return 0.0
        weighted = sum(s.share * s.complaint_share for s in self.severities.values())
        return weighted / total

    def _cross_check(self) -> list[Problem]:
        """Rules that tie sections together; each returns the key at fault."""
        found: list[Problem] = []
        # Printed in terminals and pages: a file's text is guarded as it is read, a value
        # built in code or from a file's name is checked here.
        for key in ("name", "title", "currency"):
            unsafe = unsafe_problem(key, getattr(self, key))
            if unsafe is not None:
                found.append(unsafe)
            elif len(getattr(self, key).splitlines()) > 1 or "\t" in getattr(self, key):
                found.append(Problem(key, "expected one line, without tabs or line breaks"))
        for section, table in (
            ("channels", self.channels),
            ("severities", self.severities),
            ("segments", self.segments),
        ):
            if not table:
                found.append(Problem(section, "expected at least one entry"))
            elif sum(item.share for item in table.values()) <= 0:
                found.append(Problem(section, "the shares must not all be zero"))
        found.extend(self._check_teams())
        found.extend(self._check_references())
        found.extend(self._check_lifetime_value())
        found.extend(self._check_customers())
        found.extend(self._check_policies())
        known = self.policy_names
        if self.run.policy not in known:
            found.append(
                Problem("run.policy", f"unknown policy {self.run.policy!r}; policies are {known}")
            )
        for index, name in enumerate(self.teaching.policies):
            if name not in known:
                found.append(
                    Problem(
                        f"teaching.policies[{index}]",
                        f"unknown policy {name!r}; policies are {known}",
                    )
                )
        return found

    def _check_references(self) -> list[Problem]:
        """Names that must be entries of another section: severities, channels."""
        found: list[Problem] = []
        for index, incident in enumerate(self.incidents):
            if incident.severity is not None and incident.severity not in self.severities:
                found.append(
                    Problem(
                        f"incidents[{index}].severity",
                        f"unknown severity {incident.severity!r}; "
                        f"severities are {sorted(self.severities)}",
                    )
                )
        for rung in self.channels.values():
            if rung.escalate_to is not None and rung.escalate_to not in self.channels:
                found.append(
                    Problem(
                        f"channels.{rung.name}.escalate_to",
                        f"unknown channel {rung.escalate_to!r}; "
                        f"channels are {sorted(self.channels)}",
                    )
                )
        return found

    def _check_teams(self) -> list[Problem]:
        """The channels teams serve must exist; a channel's approach team must serve it."""
        found: list[Problem] = []
        for team in self.teams.values():
            for channel in team.channels:
                if channel not in self.channels:
                    found.append(
                        Problem(
                            f"teams.{team.name}.channels",
                            f"unknown channel {channel!r}; channels are {sorted(self.channels)}",
                        )
                    )
        team_channels = {name: team.channels for name, team in self.teams.items()}
        return found + approach_team_problems(self.channels, team_channels)

    def _check_lifetime_value(self) -> list[Problem]:
        """A segment's lifetime value m·r / (1 + i − r) must be finite (see `Churn`)."""
        rate = self.churn.discount_rate
        for name, segment in self.segments.items():
            # As the model computes it: with r = 1, an i too small to add to 1 is 0 too.
            if not 1.0 + rate - segment.loyalty > 0:
                tiny = "" if rate == 0 else ", too small to count next to 1"
                return [
                    Problem(
                        "churn.discount_rate",
                        f"expected a discount rate above 0 (such as 0.1) since "
                        f"segments.{name}.loyalty is {segment.loyalty:g}: customers who never "
                        f"leave have an infinite lifetime value m·r / (1 + i − r); found "
                        f"{rate:g}{tiny}",
                    )
                ]
            years = segment.loyalty / (1.0 + rate - segment.loyalty)
            if years > MAX_LIFETIME_YEARS:
                return [
                    Problem(
                        f"segments.{name}.loyalty",
                        f"with churn.discount_rate {rate:g}, a customer would be worth "
                        f"{years:,.3g} years of annual_value (m·r / (1 + i − r)); expected at "
                        f"most {MAX_LIFETIME_YEARS:,}: lower the loyalty or raise the rate",
                    )
                ]
        return []

    def _check_customers(self) -> list[Problem]:
        """A segment's customer base holds at least the problems it is expected to have.

        Unless customers learn: then a customer can have several problems in a run.
        """
        if self.learning.enabled:
            return []
        expected = self.expected_problems()
        shares = self._segment_shares()
        found = []
        for name, segment in self.segments.items():
            need = expected * shares[name]
            if segment.customers is not None and segment.customers < need:
                found.append(
                    Problem(
                        f"segments.{name}.customers",
                        f"expected at least {need:,.0f} customers (the problems this segment "
                        f"is expected to have in the run; a customer is lost at most once); "
                        f"found {segment.customers:,.0f}",
                    )
                )
        return found

    def _segment_shares(self) -> dict[str, float]:
        total = sum(segment.share for segment in self.segments.values())
        return {name: s.share / total if total > 0 else 0.0 for name, s in self.segments.items()}

    def expected_problems(self) -> float:
        """Problems expected in one run, incidents included (see `expected_load`)."""
        return self.expected_load()[0]

    def expected_load(self) -> tuple[float, float]:
        """Problems and complaints (journeys) expected in one run, incidents included.

        The profiles average to 1 over a week, so this is exact for whole weeks and close
        otherwise.
        """
        mix = self.complaint_share()
        duration = self.run.duration_min
        problems = self.problems.problems_per_min * duration
        complaints = problems * mix
        for incident in self.incidents:
            length = min(duration, incident.start_min + incident.duration_min) - incident.start_min
            extra = incident.extra_problems_per_min * max(0.0, length)
            forced = self.severities.get(incident.severity) if incident.severity else None
            problems += extra
            complaints += extra * (forced.complaint_share if forced is not None else mix)
        return problems, complaints

    @property
    def drain_min(self) -> float:
        """How long journeys go on after the last problem arises (``run.drain``).

        If the file does not say: long enough for a journey to use all its contacts, each
        waiting out the longest mean patience (times the most patient segment's multiplier;
        on a channel with no limit, the answer it expects) and a mean retry delay; at least a
        day and at most 30 days.
        """
        if self.run.drain_min is not None:
            return self.run.drain_min
        multiplier = max(segment.patience_multiplier for segment in self.segments.values())
        waits = [
            channel.patience.mean_min * multiplier
            if channel.patience is not None
            else channel.expected_response
            for channel in self.channels.values()
        ]
        behaviour = self.behaviour
        journey = behaviour.max_attempts * (max(waits) + behaviour.retry_delay.mean_min)
        shortest, longest = DEFAULT_DRAIN_MIN
        return min(max(journey, shortest), longest)

    @property
    def stop_min(self) -> float:
        """When a run stops: the end of the problems, then the drain."""
        return self.run.duration_min + self.drain_min

    def customer_base(self) -> dict[str, float]:
        """Each segment's customers (people, not problems).

        As given, else the problems the segment would have in a year at the base rate
        (``problems.rate``: incidents are not a normal year, and the run's length must not
        change the brand), divided by ``churn.problem_share``, the share of customers with a
        problem in a year (docs/evidence.md, "Customers, churn and value"); never fewer than
        the problems expected in the run.
        """
        per_year = self.problems.problems_per_min * MINUTES_PER_YEAR
        per_year = max(per_year, self.expected_problems())
        shares = self._segment_shares()
        return {
            name: segment.customers
            if segment.customers is not None
            else float(math.ceil(per_year * shares[name] / self.churn.problem_share))
            for name, segment in self.segments.items()
        }

    def _check_policies(self) -> list[Problem]:
        """The scenario's own policies: their names, and the channels their actions name."""
        found: list[Problem] = []
        for name, policy in self.policies.items():
            if policy.name != name:
                found.append(Problem(f"policies.{name}", f"the policy is named {policy.name!r}"))
            if name in BUILTIN_POLICIES:
                found.append(Problem(f"policies.{name}", "this name belongs to a built-in policy"))
            for part, keys in (("actions", policy.actions), ("hours", policy.hours)):
                for channel_name in keys:
                    if channel_name not in self.channels:
                        found.append(
                            Problem(
                                f"policies.{name}.{part}.{channel_name}",
                                f"unknown channel {channel_name!r}; "
                                f"channels are {sorted(self.channels)}",
                            )
                        )
            told = self.word_of_mouth.told_positive[1]
            if policy.depth is not None and told * policy.depth.told_positive_factor > MAX_TOLD:
                found.append(
                    Problem(
                        f"policies.{name}.depth.told_positive_factor",
                        f"a happy customer would tell up to {told:,.15g} × "
                        f"{policy.depth.told_positive_factor:,.15g} people (word_of_mouth."
                        f"told_positive × this factor); expected at most {MAX_TOLD:,.0f}",
                    )
                )
            for channel_name, reason in policy.refusals(self.channels):
                found.append(
                    Problem(
                        f"policies.{name}.actions.{channel_name}",
                        f"{reason}; {policy.actions[channel_name]!r} is not allowed here",
                    )
                )
        return found

    @property
    def policy_names(self) -> list[str]:
        """The built-in policies, then the scenario's own."""
        return [*BUILTIN_POLICIES, *self.policies]

    def policy(self, name: str | None = None) -> Policy:
        """Return a policy by name (default: the run's), built-in or the scenario's own.

        Raises:
            ScenarioError: naming the policies there are, if ``name`` is none of them.
        """
        name = name or self.run.policy
        if name in self.policies:
            return self.policies[name]
        if name in BUILTIN_POLICIES:
            return builtin_policy(name)
        raise ScenarioError(
            Problem("policy", f"unknown policy {name!r}; policies are {self.policy_names}")
        )
