"""Scenario files: the journey, word of mouth, churn and response-policy sections."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simcare.scenario import (
    Behaviour,
    Channel,
    Churn,
    Distribution,
    DistributionKind,
    Loss,
    Outcome,
    Problems,
    RunSettings,
    Scenario,
    ScenarioError,
    Severity,
    Teaching,
    Visibility,
    WordOfMouth,
)
from simcare.scenario.policy import (
    Compensation,
    CrossSell,
    Depth,
    Failure,
    FollowUp,
    Hours,
    Policy,
    Priority,
)
from simcare.scenario_file import (
    dump_scenario,
    load_scenario,
    loads_scenario,
    scenario_from_dict,
    scenario_to_dict,
)

REPO = Path(__file__).resolve().parents[2]
STARTER = REPO / "simcare" / "scenario_file" / "starter.toml"

BASE = """\
[problems]
rate = "200/h"

[channels.phone]
mode = "live"

[channels.wall]
mode = "async"
visibility = "public"

[channels.twitter]
mode = "async"
visibility = "public"
brand_owned = false

[policies.mine]
based_on = "reply_private"
"""


def variant(old: str, new: str) -> str:
    """BASE with ``old`` replaced by ``new`` (``old`` empty: ``new`` appended)."""
    if not old:
        return BASE + "\n" + new + "\n"
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def write(tmp_path: Path, text: str, name: str = "case.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> tuple[Path, ScenarioError]:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    error = caught.value
    assert error.source == str(path)
    for line in str(error).splitlines():  # every line names the file
        assert line.startswith(f"{path}: ")
    return path, error


EVERY_KEY = """\
name = "journeys"

[run]
duration = "2d"
policy = "office_hours"

[problems]
rate = "200/h"

[severities.minor]
share = 3
loss = "small"
anger = 0.5
[severities.major]
share = 1
loss = "large"
anger = 2

[channels.email]
mode = "async"
share = 0.5
escalate_to = "wall"
[channels.wall]
mode = "async"
visibility = "public"
share = 0.3
escalate_to = "twitter"
audience = "5/h"
[channels.twitter]
mode = "async"
visibility = "public"
brand_owned = false
share = 0.2
audience = "1500/day"

[teams.desk]
channels = ["email", "wall", "twitter"]
agents = 3
handle_time.email = { mean = "9min" }
handle_time.wall = { mean = "6min" }
handle_time.twitter = { mean = "6min" }

[behaviour]
max_attempts = 6
persistence = 0.7
escalate_share = 0.5
retry_delay = { dist = "lognormal", mean = "3h", cv = 0.5 }
resolve_share = 0.9
quick = "30min"
anger = { deleted = 3, waited = 0.25 }
repost_share = 0.4
repost_amplification = 2.5
update_share = 0.1
intrusion_share = 0.05

[word_of_mouth]
told_negative = 13
told_positive = [4, 8.5]
told_shape = 2
follower_reach = 0.25
attention = "1d 12h"
reshare_share = 0.1
reshare_audience = 500
reshare_sigma = 1.5
reshare_branching = 0.5
negative_reshare_factor = 2
reply_lift = 1.2
pile_on = "2/h"
pile_on_audience = 10
customer_share = 0.3
bystander_churn = 0.001
prospect_share = 0.4
prospect_deterred = 0.01
prospects = 50000
prospect_won = 0.02
good_answer_steadies = 0.25
deletion_seen = 0.1

[churn]
small_loss = { silent = 0.3, resolved_quickly = 0.97 }
large_loss = { unresolved = 0.1 }
reference_loyalty = 0.7
anger_effect = 0.5
recovery_paradox = true
paradox_boost = 0.1
discount_rate = 0.05

[policies.office_hours]
description = "delete on the wall; email in office hours"
based_on = "reply_public"
priority = "severity"
actions = { wall = "delete", twitter = "acknowledge_then_private" }
hours = { email = "09:00-17:00", wall = "22:00 - 06:30" }
compensation = { cost = 5, satisfaction = 0.2 }
cross_sell = { extra_time = "90s", revenue = 3.5, dissatisfaction = 0.05 }
depth = { handle_factor = 1.5, satisfaction = 0.3 }
[policies.office_hours.follow_up]
within = "2d"
handle_time = { dist = "constant", mean = "4min" }
satisfaction = 0.1

[policies.bare]

[teaching]
policies = ["ignore", "office_hours", "bare"]
"""


# --- every new key, read as written ---


def test_every_new_key_loads_to_the_expected_values() -> None:
    scenario = loads_scenario(EVERY_KEY, "journeys.toml")
    assert scenario.run.policy == "office_hours"
    assert scenario.severities["minor"] == Severity("minor", 3.0, 1.0, Loss.SMALL, 0.5)
    assert scenario.severities["major"] == Severity("major", 1.0, 1.0, Loss.LARGE, 2.0)
    email, wall, twitter = scenario.channels.values()
    assert (email.escalate_to, email.audience_per_min) == ("wall", 0.0)
    assert (wall.escalate_to, wall.audience_per_min) == ("twitter", 5 / 60)
    assert (twitter.escalate_to, twitter.audience_per_min) == (None, 1500 / 1440)
    assert scenario.behaviour == Behaviour(
        max_attempts=6,
        persistence=0.7,
        escalate_share=0.5,
        retry_delay=Distribution(DistributionKind.LOGNORMAL, 180.0, 0.5),
        resolve_share=0.9,
        quick_min=30.0,
        anger_steps={
            Failure.WAITED: 0.25,  # given
            Failure.IGNORED: 1.0,  # the rest keep their defaults
            Failure.UNRESOLVED: 1.0,
            Failure.DELETED: 3.0,
            Failure.INTRUDED: 1.0,
        },
        repost_share=0.4,
        repost_amplification=2.5,
        update_share=0.1,
        intrusion_share=0.05,
    )
    assert scenario.word_of_mouth == WordOfMouth(
        told_negative=(13.0, 13.0),
        told_positive=(4.0, 8.5),
        told_shape=2.0,
        follower_reach=0.25,
        attention_min=36 * 60.0,
        reshare_share=0.1,
        reshare_audience=500.0,
        reshare_sigma=1.5,
        reshare_branching=0.5,
        negative_reshare_factor=2.0,
        reply_lift=1.2,
        pile_on_per_min=2 / 60,
        pile_on_audience=10.0,
        customer_share=0.3,
        bystander_churn=0.001,
        prospect_share=0.4,
        prospect_deterred=0.01,
        prospects=50_000.0,
        prospect_won=0.02,
        good_answer_steadies=0.25,
        deletion_seen=0.1,
    )
    default = Churn()
    assert scenario.churn == Churn(
        small_loss={
            **default.small_loss,
            Outcome.SILENT: 0.3,
            Outcome.RESOLVED_QUICKLY: 0.97,
        },
        large_loss={**default.large_loss, Outcome.UNRESOLVED: 0.1},
        reference_loyalty=0.7,
        anger_effect=0.5,
        recovery_paradox=True,
        paradox_boost=0.1,
        discount_rate=0.05,
    )
    assert scenario.churn.small_loss[Outcome.RESOLVED] == 0.70  # the default row's value
    assert scenario.policies == {
        "office_hours": Policy(
            name="office_hours",
            actions={"wall": "delete", "twitter": "acknowledge_then_private"},
            based_on="reply_public",
            description="delete on the wall; email in office hours",
            hours={"email": Hours(540.0, 1020.0), "wall": Hours(1320.0, 390.0)},
            priority=Priority.SEVERITY,
            compensation=Compensation(5.0, 0.2),
            cross_sell=CrossSell(1.5, 3.5, 0.05),
            follow_up=FollowUp(2880.0, Distribution(DistributionKind.CONSTANT, 4.0), 0.1),
            depth=Depth(1.5, 0.3, 1.0),
        ),
        "bare": Policy(name="bare"),
    }
    assert scenario.teaching.policies == ("ignore", "office_hours", "bare")
    assert scenario.policy() is scenario.policies["office_hours"]
    assert scenario.policy().action_for(email) == "reply_public"  # from based_on


def test_the_new_sections_default_when_left_out() -> None:
    scenario = loads_scenario('[problems]\nrate = "60/h"\n[channels.phone]\n')
    assert scenario.behaviour == Behaviour()
    assert scenario.word_of_mouth == WordOfMouth()
    assert scenario.churn == Churn()
    assert scenario.policies == {}
    assert scenario.run.policy == RunSettings().policy == "reply_private"
    assert scenario.teaching.policies == ()
    (channel,) = scenario.channels.values()
    assert (channel.escalate_to, channel.audience_per_min) == (None, 0.0)
    assert scenario.severities["problem"].loss is Loss.SMALL


def test_the_run_may_use_a_builtin_or_an_own_policy(tmp_path: Path) -> None:
    builtin = load_scenario(write(tmp_path, variant("", '[run]\npolicy = "delete"')))
    assert builtin.run.policy == "delete"
    assert builtin.policy().name == "delete"
    own = load_scenario(write(tmp_path, variant("", '[run]\npolicy = "mine"')))
    assert own.policy() is own.policies["mine"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"09:00-17:00"', Hours(540.0, 1020.0)),
        ('"22:00-06:00"', Hours(1320.0, 360.0)),  # crosses midnight
        ('" 08:30 - 12:45 "', Hours(510.0, 765.0)),
        ('"00:00-00:00"', Hours(0.0, 0.0)),  # all day
    ],
)
def test_hours_spellings(tmp_path: Path, written: str, expected: Hours) -> None:
    text = variant('based_on = "reply_private"', f"hours = {{ phone = {written} }}")
    assert load_scenario(write(tmp_path, text)).policies["mine"].hours == {"phone": expected}


# --- writing back ---


def test_every_new_key_round_trips() -> None:
    scenario = loads_scenario(EVERY_KEY)
    text = dump_scenario(scenario)
    again = loads_scenario(text)
    assert again == scenario
    assert dump_scenario(again) == text
    assert scenario_from_dict(scenario_to_dict(scenario)) == scenario


def test_the_dump_writes_every_new_field_with_units() -> None:
    data = tomllib.loads(dump_scenario(loads_scenario(EVERY_KEY)))
    assert data["run"]["policy"] == "office_hours"
    assert data["channels"]["wall"]["audience"] == "5/h"
    assert data["channels"]["wall"]["escalate_to"] == "twitter"
    assert "escalate_to" not in data["channels"]["twitter"]
    assert data["severities"]["major"] == {
        "share": 1.0,
        "complaint_share": 1.0,
        "loss": "large",
        "anger": 2.0,
    }
    behaviour = data["behaviour"]
    assert behaviour["quick"] == "30min"
    assert behaviour["retry_delay"] == {"dist": "lognormal", "mean": "3h", "cv": 0.5}
    assert behaviour["anger"] == {f.value: s for f, s in Behaviour().anger_steps.items()} | {
        "waited": 0.25,
        "deleted": 3.0,
    }
    assert set(behaviour) == {
        "max_attempts",
        "persistence",
        "escalate_share",
        "retry_delay",
        "resolve_share",
        "quick",
        "anger",
        "repost_share",
        "repost_amplification",
        "update_share",
        "intrusion_share",
    }
    spread = data["word_of_mouth"]
    assert (spread["told_negative"], spread["told_positive"]) == (13.0, [4.0, 8.5])
    assert (spread["attention"], spread["pile_on"]) == ("36h", "2/h")
    assert len(spread) == len(dataclasses.fields(WordOfMouth))
    assert data["churn"]["small_loss"] == {
        "resolved_quickly": 0.97,
        "resolved": 0.70,
        "unresolved": 0.46,
        "silent": 0.3,
    }
    assert data["churn"]["recovery_paradox"] is True
    policy = data["policies"]["office_hours"]
    assert policy["hours"] == {"email": "09:00-17:00", "wall": "22:00-06:30"}
    assert policy["cross_sell"]["extra_time"] == "90s"
    assert policy["follow_up"]["within"] == "2d"
    assert policy["follow_up"]["handle_time"] == {"dist": "constant", "mean": "4min"}
    assert policy["depth"]["told_positive_factor"] == 1.0  # the default, filled in
    assert data["policies"]["bare"] == {
        "description": "",
        "based_on": "reply_private",
        "priority": "first_come",
    }
    assert data["teaching"]["policies"] == ["ignore", "office_hours", "bare"]


def test_a_scenario_built_in_code_with_every_new_field_round_trips() -> None:
    channels = {
        "phone": Channel("phone", escalate_to="page"),
        "page": Channel("page", visibility=Visibility.PUBLIC, audience_per_min=0.125),
    }
    policy = Policy(
        name="careful",
        actions={"page": "delete"},
        based_on="acknowledge_then_private",
        description="careful",
        hours={"page": Hours(1439.0, 1.0)},
        priority=Priority.FOLLOWERS,
        compensation=Compensation(0.0, 1.0),
        cross_sell=CrossSell(0.0, 0.0, 0.0),
        follow_up=FollowUp(0.5, Distribution(DistributionKind.LOGNORMAL, 2.5, 0.3), 0.0),
        depth=Depth(0.75, 1.0, 0.0),
    )
    scenario = Scenario(
        name="coded",
        problems=Problems(1 / 3),
        channels=channels,
        run=RunSettings(policy="careful"),
        severities={"s": Severity("s", loss=Loss.LARGE, anger=0.0)},
        behaviour=Behaviour(
            max_attempts=20, retry_delay=Distribution(DistributionKind.CONSTANT, 7)
        ),
        word_of_mouth=WordOfMouth(told_negative=(0.0, 0.0), told_positive=(1.5, 1000.0)),
        churn=Churn(recovery_paradox=True, reference_loyalty=0.0),
        policies={"careful": policy},
        teaching=Teaching(policies=("careful", "ignore")),
    )
    assert loads_scenario(dump_scenario(scenario)) == scenario


# --- one problem each: the dotted key, what was expected, the value found ---


def case(name: str, old: str, new: str, key: str, *fragments: str) -> object:
    """One bad variant of BASE: the key at fault and what its message must contain."""
    return pytest.param(old, new, key, fragments, id=name)


POLICY = 'based_on = "reply_private"'


def policy(line: str) -> tuple[str, str]:
    """Replace the policy's body with ``line``."""
    return POLICY, line


CASES = [
    # values of the wrong kind
    case(
        "max-attempts-float",
        "",
        "[behaviour]\nmax_attempts = 2.5",
        "behaviour.max_attempts",
        "expected a whole number",
        "found 2.5",
    ),
    case(
        "persistence-text",
        "",
        '[behaviour]\npersistence = "high"',
        "behaviour.persistence",
        "expected a number",
        "'high'",
    ),
    case(
        "quick-bare-number",
        "",
        "[behaviour]\nquick = 30",
        "behaviour.quick",
        "duration with a unit",
        '"30min"',
    ),
    case(
        "retry-delay-not-a-table",
        "",
        '[behaviour]\nretry_delay = "2h"',
        "behaviour.retry_delay",
        "expected a table",
        "'2h'",
    ),
    case(
        "retry-delay-dist",
        "",
        '[behaviour]\nretry_delay = { dist = "gama", mean = "2h" }',
        "behaviour.retry_delay.dist",
        "one of ['exponential', 'lognormal', 'constant']",
        "found 'gama'",
    ),
    case(
        "anger-text",
        "",
        '[behaviour]\nanger = { ignored = "very" }',
        "behaviour.anger.ignored",
        "expected a number",
        "'very'",
    ),
    case(
        "told-text",
        "",
        '[word_of_mouth]\ntold_positive = "many"',
        "word_of_mouth.told_positive",
        "a number or a list [low, high] of two numbers",
        "'many'",
    ),
    case(
        "told-three",
        "",
        "[word_of_mouth]\ntold_negative = [1, 2, 3]",
        "word_of_mouth.told_negative",
        "a list [low, high] of two numbers",
        "(it has 3)",
    ),
    case(
        "pile-on-bare-number",
        "",
        "[word_of_mouth]\npile_on = 3",
        "word_of_mouth.pile_on",
        "rate with a unit",
        '"3/h"',
    ),
    case(
        "paradox-text",
        "",
        '[churn]\nrecovery_paradox = "yes"',
        "churn.recovery_paradox",
        "true or false",
        "'yes'",
    ),
    case(
        "audience-bare-number",
        'visibility = "public"\n',
        'visibility = "public"\naudience = 5\n',
        "channels.wall.audience",
        "rate with a unit",
        "found 5",
        '"5/h"',
    ),
    case(
        "escalate-to-number",
        'mode = "live"',
        'mode = "live"\nescalate_to = 3',
        "channels.phone.escalate_to",
        "expected a string",
        "found 3",
    ),
    case(
        "loss-misspelt",
        "",
        '[severities.bad]\nloss = "smal"',
        "severities.bad.loss",
        "one of ['small', 'large']",
        "did you mean 'small'?",
    ),
    case(
        "priority",
        *policy('priority = "loudest"'),
        "policies.mine.priority",
        "one of ['first_come', 'severity', 'followers']",
        "'loudest'",
    ),
    case(
        "description-number",
        *policy("description = 1"),
        "policies.mine.description",
        "expected a string",
        "found 1",
    ),
    case(
        "compensation-not-a-table",
        *policy("compensation = 5"),
        "policies.mine.compensation",
        "expected a table",
        "found 5",
    ),
    case(
        "extra-time-bare-number",
        *policy("cross_sell = { extra_time = 2, revenue = 1, dissatisfaction = 0 }"),
        "policies.mine.cross_sell.extra_time",
        "duration with a unit",
        '"2min"',
    ),
    case(
        "run-policy-number",
        "",
        "[run]\npolicy = 1",
        "run.policy",
        "expected a string",
        "found 1",
    ),
    case(
        "teaching-policies-text",
        "",
        '[teaching]\npolicies = "ignore"',
        "teaching.policies",
        "list of strings",
        "'ignore'",
    ),
    # numbers out of range
    case(
        "max-attempts-zero",
        "",
        "[behaviour]\nmax_attempts = 0",
        "behaviour.max_attempts",
        "expected 1 to 20",
        "found 0",
    ),
    case(
        "escalate-share-above-one",
        "",
        "[behaviour]\nescalate_share = 1.5",
        "behaviour.escalate_share",
        "share between 0 and 1",
        "found 1.5",
    ),
    case(
        "quick-zero",
        "",
        '[behaviour]\nquick = "0s"',
        "behaviour.quick",
        "expected a duration > 0",
        "'0s'",
    ),
    case(
        "anger-step-negative",
        "",
        "[behaviour]\nanger = { deleted = -1 }",
        "behaviour.anger.deleted",
        "finite number >= 0",
        "found -1",
    ),
    case(
        "told-reversed",
        "",
        "[word_of_mouth]\ntold_negative = [16, 10]",
        "word_of_mouth.told_negative",
        "0 <= low <= high",
        "found [16, 10]",
    ),
    case(
        "told-negative-number",
        "",
        "[word_of_mouth]\ntold_positive = -2",
        "word_of_mouth.told_positive",
        "0 <= low <= high",
        "found -2",
    ),
    case(
        "attention-zero",
        "",
        '[word_of_mouth]\nattention = "0s"',
        "word_of_mouth.attention",
        "duration > 0",
        "'0s'",
    ),
    case(
        "branching-one",
        "",
        "[word_of_mouth]\nreshare_branching = 1",
        "word_of_mouth.reshare_branching",
        "below 1",
        "die out",
        "found 1",
    ),
    case(
        "bystander-churn-nan",
        "",
        "[word_of_mouth]\nbystander_churn = nan",
        "word_of_mouth.bystander_churn",
        "share between 0 and 1",
        "nan",
    ),
    case(
        "repurchase-above-one",
        "",
        "[churn]\nsmall_loss = { silent = 1.5 }",
        "churn.small_loss.silent",
        "share between 0 and 1",
        "found 1.5",
    ),
    case(
        "reference-loyalty-one",
        "",
        "[churn]\nreference_loyalty = 1",
        "churn.reference_loyalty",
        "from 0 to below 1",
        "found 1",
    ),
    case(
        "severity-anger-negative",
        "",
        "[severities.bad]\nanger = -1",
        "severities.bad.anger",
        ">= 0",
        "found -1",
    ),
    case(
        "compensation-satisfaction",
        *policy("compensation = { cost = 5, satisfaction = 1.5 }"),
        "policies.mine.compensation.satisfaction",
        "share between 0 and 1",
        "found 1.5",
    ),
    case(
        "cross-sell-revenue",
        *policy('cross_sell = { extra_time = "1min", revenue = -1, dissatisfaction = 0.1 }'),
        "policies.mine.cross_sell.revenue",
        ">= 0",
        "found -1",
    ),
    case(
        "follow-up-satisfaction",
        *policy('follow_up = { within = "1d", handle_time = { mean = "3min" }, satisfaction = 2 }'),
        "policies.mine.follow_up.satisfaction",
        "share between 0 and 1",
        "found 2",
    ),
    case(
        "follow-up-handle-time",
        *policy('follow_up = { within = "1d", handle_time = { mean = "0s" }, satisfaction = 0 }'),
        "policies.mine.follow_up.handle_time.mean",
        "duration > 0",
        "'0s'",
    ),
    case(
        "depth-handle-factor-zero",
        *policy("depth = { handle_factor = 0, satisfaction = 0.1 }"),
        "policies.mine.depth.handle_factor",
        "number > 0",
        "found 0",
    ),
    case(
        "escalate-to-itself",
        'mode = "live"',
        'mode = "live"\nescalate_to = "phone"',
        "channels.phone.escalate_to",
        "cannot escalate to itself",
        "'phone'",
    ),
    # missing parts of a policy modifier
    case(
        "compensation-missing-satisfaction",
        *policy("compensation = { cost = 5 }"),
        "policies.mine.compensation.satisfaction",
        "missing",
        "required",
    ),
    case(
        "follow-up-missing-handle-time",
        *policy('follow_up = { within = "1d", satisfaction = 0.1 }'),
        "policies.mine.follow_up.handle_time",
        "missing",
        "required",
    ),
    # unknown keys, with the closest known one
    case(
        "unknown-behaviour-key",
        "",
        "[behaviour]\npersistance = 0.5",
        "behaviour.persistance",
        "unknown key",
        "did you mean 'persistence'?",
    ),
    case(
        "unknown-failure",
        "",
        "[behaviour]\nanger = { deleetd = 3 }",
        "behaviour.anger.deleetd",
        "unknown key",
        "did you mean 'deleted'?",
    ),
    case(
        "unknown-outcome",
        "",
        "[churn]\nlarge_loss = { silnt = 0.1 }",
        "churn.large_loss.silnt",
        "unknown key",
        "did you mean 'silent'?",
    ),
    case(
        "unknown-word-of-mouth-key",
        "",
        '[word_of_mouth]\npile_onn = "2/h"',
        "word_of_mouth.pile_onn",
        "unknown key",
        "did you mean 'pile_on'?",
    ),
    case(
        "unknown-section-behavior",
        "",
        "[behavior]\nmax_attempts = 3",
        "behavior",
        "unknown key",
        "did you mean 'behaviour'?",
    ),
    case(
        "unknown-channel-key",
        'mode = "live"',
        'mode = "live"\nescalate = "wall"',
        "channels.phone.escalate",
        "unknown key",
        "did you mean 'escalate_to'?",
    ),
    case(
        "unknown-policy-key",
        *policy("compensaton = { cost = 1, satisfaction = 0.1 }"),
        "policies.mine.compensaton",
        "unknown key",
        "did you mean 'compensation'?",
    ),
    case(
        "unknown-depth-key",
        *policy("depth = { handle_factor = 1, satisfaction = 0, told_positive_factr = 2 }"),
        "policies.mine.depth.told_positive_factr",
        "unknown key",
        "did you mean 'told_positive_factor'?",
    ),
    # names of actions and policies
    case(
        "unknown-action",
        *policy('actions = { wall = "delet" }'),
        "policies.mine.actions.wall",
        "expected one of ['ignore', 'delete', 'reply_public'",
        "found 'delet'",
        "did you mean 'delete'?",
    ),
    case(
        "unknown-based-on",
        *policy('based_on = "reply_publc"'),
        "policies.mine.based_on",
        "expected one of ['ignore', 'delete'",
        "found 'reply_publc'",
        "did you mean 'reply_public'?",
    ),
    case(
        "based-on-an-action-that-is-no-policy",
        *policy('based_on = "approach_in_store"'),
        "policies.mine.based_on",
        "expected one of ['ignore', 'delete'",
        "'approach_in_store'",
    ),
    case(
        "delete-not-brand-owned",
        *policy('actions = { twitter = "delete" }'),
        "policies.mine.actions.twitter",
        "channel 'twitter' is not brand-owned",
        "'delete' is not allowed here",
    ),
    case(
        "delete-private",
        *policy('actions = { phone = "delete" }'),
        "policies.mine.actions.phone",
        "channel 'phone' is private",
        "'delete' is not allowed here",
    ),
    case(
        "builtin-name",
        "[policies.mine]",
        "[policies.delete]",
        "policies.delete",
        "belongs to a built-in policy",
    ),
    # channels named in other sections
    case(
        "escalate-to-unknown",
        'mode = "live"',
        'mode = "live"\nescalate_to = "twiter"',
        "channels.phone.escalate_to",
        "unknown channel 'twiter'",
        "channels are ['phone', 'wall', 'twitter']",
        "did you mean 'twitter'?",
    ),
    case(
        "action-unknown-channel",
        *policy('actions = { twiter = "reply_public" }'),
        "policies.mine.actions.twiter",
        "unknown channel 'twiter'",
        "did you mean 'twitter'?",
    ),
    case(
        "hours-unknown-channel",
        *policy('hours = { fone = "09:00-17:00" }'),
        "policies.mine.hours.fone",
        "unknown channel 'fone'",
        "did you mean 'phone'?",
    ),
    # the policy to run, and those to teach
    case(
        "run-policy-unknown",
        "",
        '[run]\npolicy = "mien"',
        "run.policy",
        "unknown policy 'mien'",
        "policies are ['ignore', 'delete', 'reply_public', 'reply_private', "
        "'acknowledge_then_private', 'mine']",
        "did you mean 'mine'?",
    ),
    case(
        "run-policy-misspelt-builtin",
        "",
        '[run]\npolicy = "reply_privat"',
        "run.policy",
        "unknown policy 'reply_privat'",
        "did you mean 'reply_private'?",
    ),
    case(
        "teaching-policy-unknown",
        "",
        '[teaching]\npolicies = ["ignore", "mien"]',
        "teaching.policies[1]",
        "unknown policy 'mien'",
        "did you mean 'mine'?",
    ),
    # opening hours
    case(
        "hours-without-minutes",
        *policy('hours = { phone = "9-17" }'),
        "policies.mine.hours.phone",
        'expected opening hours "HH:MM-HH:MM"',
        'such as "09:00-17:00"',
        "found '9-17'",
    ),
    case(
        "hours-25",
        *policy('hours = { phone = "09:00-25:00" }'),
        "policies.mine.hours.phone",
        '"HH:MM-HH:MM"',
        "'09:00-25:00'",
    ),
    case(
        "hours-one-time",
        *policy('hours = { phone = "09:00" }'),
        "policies.mine.hours.phone",
        '"HH:MM-HH:MM"',
        "'09:00'",
    ),
    case(
        "hours-number",
        *policy("hours = { phone = 9 }"),
        "policies.mine.hours.phone",
        '"HH:MM-HH:MM"',
        "found 9",
    ),
    case(
        "hours-not-a-table",
        *policy('hours = "09:00-17:00"'),
        "policies.mine.hours",
        "expected a table",
        "'09:00-17:00'",
    ),
]


@pytest.mark.parametrize(("old", "new", "key", "fragments"), CASES)
def test_one_problem_names_file_key_expectation_and_value(
    tmp_path: Path, old: str, new: str, key: str, fragments: list[str]
) -> None:
    path, error = load_error(tmp_path, variant(old, new))
    assert [p.key for p in error.problems] == [key], str(error)
    assert str(error).startswith(f"{path}: {key}: ")
    for fragment in fragments:
        assert fragment in error.problems[0].message, (fragment, str(error))


def test_a_nested_value_is_restated_as_written(tmp_path: Path) -> None:
    # The check in Behaviour sees -1.0; the message shows the file's -1 under its full key.
    _, error = load_error(tmp_path, variant("", "[behaviour]\nanger = { deleted = -1 }"))
    (problem,) = error.problems
    assert str(problem) == "behaviour.anger.deleted: expected a finite number >= 0, found -1"
    _, error = load_error(tmp_path, variant("", "[churn]\nlarge_loss = { resolved = 2 }"))
    assert str(error.problems[0]) == (
        "churn.large_loss.resolved: expected a share between 0 and 1, found 2"
    )


def test_every_problem_in_the_new_sections_is_reported_at_once(tmp_path: Path) -> None:
    text = variant(
        POLICY,
        'based_on = "reply_publc"\n'
        'actions = { twitter = "delete", phone = "delet", emial = "ignore" }\n'
        'hours = { phone = "9-17" }\n'
        "compensation = { cost = 5, satisfaction = 1.5 }\n",
    ).replace('mode = "live"', 'mode = "live"\nescalate_to = "twiter"')
    text += """
[run]
policy = "mien"

[behaviour]
anger = { deleetd = 3 }
quick = 5

[word_of_mouth]
told_negative = [16, 10]

[churn]
small_loss = { silent = 1.5 }

[policies.ignore]

[teaching]
policies = ["mien"]
"""
    _, error = load_error(tmp_path, text)
    assert [p.key for p in error.problems] == [
        "run.policy",
        "channels.phone.escalate_to",
        "behaviour.anger.deleetd",
        "behaviour.quick",
        "word_of_mouth.told_negative",
        "churn.small_loss.silent",
        "policies.mine.actions.twitter",
        "policies.mine.actions.phone",
        "policies.mine.actions.emial",
        "policies.mine.hours.phone",
        "policies.mine.based_on",
        "policies.mine.compensation.satisfaction",
        "policies.ignore",
        "teaching.policies[0]",
    ]


def test_the_scenario_checks_are_reported_with_the_readers_problems(tmp_path: Path) -> None:
    # No channel at all is found by the scenario's own checks; it is not lost when a
    # reader has found another problem.
    text = '[problems]\nrate = "60/h"\n[channels]\n[behaviour]\npersistence = "high"\n'
    _, error = load_error(tmp_path, text)
    assert [p.key for p in error.problems] == ["behaviour.persistence", "channels"]
    assert "at least one" in error.problems[1].message


def test_validate_reports_a_policy_problem_with_exit_code_2(tmp_path: Path) -> None:
    from simcare.cli import app

    path = write(tmp_path, variant(*policy('actions = { twitter = "delete" }')), "bad.toml")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert (
        f"{path}: policies.mine.actions.twitter: channel 'twitter' is not brand-owned"
        in result.output
    )


# --- the starter ---


def _starter_with_every_option() -> str:
    """The starter with its optional settings (``#key = ...``, ``#[table]``) uncommented."""
    return re.sub(r"(?m)^#(?=[^\s#])", "", STARTER.read_text(encoding="utf-8"))


def test_the_starter_shows_the_new_sections() -> None:
    text = STARTER.read_text(encoding="utf-8")
    for line in (
        "#[behaviour]",
        "#[word_of_mouth]",
        "#[churn]",
        "#[policies.office_hours]",
        "#escalate_to =",
        '#hours = { email = "09:00-17:00" }',
    ):
        assert line in text, line


def test_the_starter_loads_with_every_option_switched_on() -> None:
    plain = load_scenario(STARTER)
    scenario = loads_scenario(_starter_with_every_option(), "starter.toml")
    assert scenario != plain
    assert scenario.channels["phone"].escalate_to == "email"
    assert scenario.severities["major"].loss is Loss.LARGE
    policy = scenario.policies["office_hours"]
    assert policy.hours == {"email": Hours(540.0, 1020.0)}
    assert policy.follow_up is not None
    assert scenario.teaching.policies == ("ignore", "reply_private", "office_hours")
    assert loads_scenario(dump_scenario(scenario)) == scenario
