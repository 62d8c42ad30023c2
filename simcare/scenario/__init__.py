"""The scenario: frozen, validated values that describe one brand's customer-service world.

No numpy, no files: `simcare.scenario_file` reads and writes them as TOML. Every time is in
minutes, every rate per minute. The names below are the scenario's interface.
"""

from simcare.core.errors import Problem, ScenarioError
from simcare.scenario.behaviour import Behaviour, Churn, Contagion, Outcome, WordOfMouth
from simcare.scenario.learning import Learning
from simcare.scenario.parts import (
    MAX_ATTEMPTS,
    MAX_AUDIENCE_PER_MIN,
    MAX_LIFT,
    MAX_PILE_ON_PER_MIN,
    MAX_TOLD,
    MIN_TOLD_SHAPE,
    Channel,
    Distribution,
    DistributionKind,
    Incident,
    Loss,
    Mode,
    Problems,
    RunSettings,
    Segment,
    Severity,
    Visibility,
)
from simcare.scenario.scenario import Scenario, Teaching
from simcare.scenario.staffing import WEEKDAYS, Shift, Team
from simcare.scenario.uncertainty import DEFAULT_RANGES, Spread, Uncertain, ranges_of

__all__ = [
    "DEFAULT_RANGES",
    "MAX_ATTEMPTS",
    "MAX_AUDIENCE_PER_MIN",
    "MAX_LIFT",
    "MAX_PILE_ON_PER_MIN",
    "MAX_TOLD",
    "MIN_TOLD_SHAPE",
    "WEEKDAYS",
    "Behaviour",
    "Channel",
    "Churn",
    "Contagion",
    "Distribution",
    "DistributionKind",
    "Incident",
    "Learning",
    "Loss",
    "Mode",
    "Outcome",
    "Problem",
    "Problems",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "Segment",
    "Severity",
    "Shift",
    "Spread",
    "Teaching",
    "Team",
    "Uncertain",
    "Visibility",
    "WordOfMouth",
    "ranges_of",
]
