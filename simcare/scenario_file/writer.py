"""Writing a resolved scenario back as TOML data that loads back equal."""

from __future__ import annotations

from typing import Any

import tomli_w

from simcare.core.units import duration_text, rate_text
from simcare.scenario import (
    WEEKDAYS,
    Behaviour,
    Churn,
    Distribution,
    DistributionKind,
    Scenario,
    WordOfMouth,
)
from simcare.scenario.policy import Policy


def _distribution_dict(distribution: Distribution) -> dict[str, Any]:
    values: dict[str, Any] = {
        "dist": distribution.kind.value,
        "mean": duration_text(distribution.mean_min),
    }
    if distribution.kind is DistributionKind.LOGNORMAL or (
        distribution.kind is DistributionKind.CONSTANT and distribution.cv != 1.0
    ):
        values["cv"] = distribution.cv
    return values


def _clock(minutes: float) -> str:
    return f"{int(minutes // 60):02d}:{int(minutes % 60):02d}"


def _range_value(low: float, high: float) -> float | list[float]:
    return low if low == high else [low, high]


def _behaviour_dict(behaviour: Behaviour) -> dict[str, Any]:
    return {
        "max_attempts": behaviour.max_attempts,
        "persistence": behaviour.persistence,
        "escalate_share": behaviour.escalate_share,
        "retry_delay": _distribution_dict(behaviour.retry_delay),
        "resolve_share": behaviour.resolve_share,
        "quick": duration_text(behaviour.quick_min),
        "anger": {str(failure): step for failure, step in behaviour.anger_steps.items()},
        "repost_share": behaviour.repost_share,
        "repost_amplification": behaviour.repost_amplification,
        "update_share": behaviour.update_share,
        "intrusion_share": behaviour.intrusion_share,
    }


def _word_of_mouth_dict(spread: WordOfMouth) -> dict[str, Any]:
    return {
        "told_negative": _range_value(*spread.told_negative),
        "told_positive": _range_value(*spread.told_positive),
        "told_shape": spread.told_shape,
        "follower_reach": spread.follower_reach,
        "attention": duration_text(spread.attention_min),
        "reshare_share": spread.reshare_share,
        "reshare_audience": spread.reshare_audience,
        "reshare_sigma": spread.reshare_sigma,
        "reshare_branching": spread.reshare_branching,
        "negative_reshare_factor": spread.negative_reshare_factor,
        "reply_lift": spread.reply_lift,
        "pile_on": rate_text(spread.pile_on_per_min),
        "pile_on_audience": spread.pile_on_audience,
        "customer_share": spread.customer_share,
        "bystander_churn": spread.bystander_churn,
        "prospect_share": spread.prospect_share,
        "prospect_deterred": spread.prospect_deterred,
    }


def _churn_dict(churn: Churn) -> dict[str, Any]:
    return {
        "small_loss": {str(outcome): share for outcome, share in churn.small_loss.items()},
        "large_loss": {str(outcome): share for outcome, share in churn.large_loss.items()},
        "reference_loyalty": churn.reference_loyalty,
        "anger_effect": churn.anger_effect,
        "recovery_paradox": churn.recovery_paradox,
        "paradox_boost": churn.paradox_boost,
        "discount_rate": churn.discount_rate,
    }


def _policy_dict(policy: Policy) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": policy.description,
        "based_on": policy.based_on,
        "priority": policy.priority.value,
    }
    if policy.actions:
        entry["actions"] = dict(policy.actions)
    if policy.hours:
        entry["hours"] = {
            channel: f"{_clock(hours.open_min)}-{_clock(hours.close_min)}"
            for channel, hours in policy.hours.items()
        }
    if policy.compensation is not None:
        entry["compensation"] = {
            "cost": policy.compensation.cost,
            "satisfaction": policy.compensation.satisfaction,
        }
    if policy.cross_sell is not None:
        entry["cross_sell"] = {
            "extra_time": duration_text(policy.cross_sell.extra_min),
            "revenue": policy.cross_sell.revenue,
            "dissatisfaction": policy.cross_sell.dissatisfaction,
        }
    if policy.follow_up is not None:
        entry["follow_up"] = {
            "within": duration_text(policy.follow_up.within_min),
            "handle_time": _distribution_dict(policy.follow_up.handle_time),
            "satisfaction": policy.follow_up.satisfaction,
        }
    if policy.depth is not None:
        entry["depth"] = {
            "handle_factor": policy.depth.handle_factor,
            "satisfaction": policy.depth.satisfaction,
            "told_positive_factor": policy.depth.told_positive_factor,
        }
    return entry


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario with every default filled in, as TOML data that loads back equal."""
    run = scenario.run
    data: dict[str, Any] = {
        "name": scenario.name,
        "title": scenario.title,
        "currency": scenario.currency,
        "run": {
            "duration": duration_text(run.duration_min),
            "warmup": duration_text(run.warmup_min),
            "service_level_target": duration_text(run.service_level_target_min),
            "start_weekday": WEEKDAYS[run.start_weekday],
            "policy": run.policy,
        },
        "problems": {
            "rate": rate_text(scenario.problems.problems_per_min),
            "hourly_profile": list(scenario.problems.hourly_profile),
            "weekday_profile": list(scenario.problems.weekday_profile),
        },
        "severities": {
            s.name: {
                "share": s.share,
                "complaint_share": s.complaint_share,
                "loss": s.loss.value,
                "anger": s.anger,
            }
            for s in scenario.severities.values()
        },
        "segments": {
            s.name: {
                "share": s.share,
                "annual_value": s.annual_value,
                "loyalty": s.loyalty,
                "followers": {"median": s.followers_median, "sigma": s.followers_sigma},
                "patience_multiplier": s.patience_multiplier,
            }
            for s in scenario.segments.values()
        },
        "channels": {},
        "teams": {},
    }
    for channel in scenario.channels.values():
        entry: dict[str, Any] = {
            "mode": channel.mode.value,
            "visibility": channel.visibility.value,
            "brand_owned": channel.brand_owned,
            "share": channel.share,
            "audience": rate_text(channel.audience_per_min),
        }
        if channel.patience is not None:
            entry["patience"] = _distribution_dict(channel.patience)
        if channel.escalate_to is not None:
            entry["escalate_to"] = channel.escalate_to
        data["channels"][channel.name] = entry
    for team in scenario.teams.values():
        data["teams"][team.name] = {
            "channels": list(team.channels),
            "cost_per_hour": team.cost_per_hour,
            "shrinkage": team.shrinkage,
            "shifts": [
                {
                    "days": [WEEKDAYS[d] for d in shift.days],
                    "start": _clock(shift.start_min),
                    "end": _clock(shift.end_min),
                    "agents": shift.agents,
                }
                for shift in team.shifts
            ],
            "handle_time": {c: _distribution_dict(d) for c, d in team.handle_time.items()},
        }
    if scenario.incidents:
        data["incidents"] = [
            {
                "name": i.name,
                "start": duration_text(i.start_min),
                "duration": duration_text(i.duration_min),
                "extra_rate": rate_text(i.extra_problems_per_min),
                **({"severity": i.severity} if i.severity is not None else {}),
            }
            for i in scenario.incidents
        ]
    data["behaviour"] = _behaviour_dict(scenario.behaviour)
    data["word_of_mouth"] = _word_of_mouth_dict(scenario.word_of_mouth)
    data["churn"] = _churn_dict(scenario.churn)
    if scenario.policies:
        data["policies"] = {
            name: _policy_dict(policy) for name, policy in scenario.policies.items()
        }
    data["teaching"] = {
        "briefing": scenario.teaching.briefing,
        "questions": list(scenario.teaching.questions),
        "policies": list(scenario.teaching.policies),
    }
    if scenario.teaching.sources:
        data["sources"] = dict(scenario.teaching.sources)
    return data


def dump_scenario(scenario: Scenario) -> str:
    """Return the resolved scenario as TOML text (what an output folder keeps)."""
    return tomli_w.dumps(scenario_to_dict(scenario), multiline_strings=True)
