"""simcare: a discrete-event simulator of customer service under public scrutiny.

The library in one import::

    import simcare

    scenario = simcare.load_scenario("loyal_fan_deleted_post")
    comparison = simcare.compare(scenario, replications=20)
    result = simcare.sweep("loyal_fan_deleted_post", ["teams.social_desk.shifts.0.agents=1,2"])
"""

__version__ = "0.2.0.dev0"

from simcare.experiments.compare import Comparison, compare
from simcare.experiments.engine import Precision
from simcare.experiments.replications import RunResult, run_replications
from simcare.experiments.sweep import SweepPlan, SweepResult, plan_sweep, run_sweep, sweep
from simcare.model import simulate
from simcare.scenario_file import load_scenario

__all__ = [
    "Comparison",
    "Precision",
    "RunResult",
    "SweepPlan",
    "SweepResult",
    "__version__",
    "compare",
    "load_scenario",
    "plan_sweep",
    "run_replications",
    "run_sweep",
    "simulate",
    "sweep",
]
