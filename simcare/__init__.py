"""simcare: a discrete-event simulator of customer service under public scrutiny.

The library in one import::

    import simcare

    scenario = simcare.load_scenario("loyal_fan_deleted_post")
    comparison = simcare.compare(scenario, replications=20)
    result = simcare.sweep("loyal_fan_deleted_post", ["teams.social_desk.shifts.0.agents=1,2"])
    busier = simcare.with_values(scenario, {"teams.social_desk.shifts.0.agents": 2})
    held = simcare.robustness("social_brand", samples=64)  # do the verdicts hold?
    comparison.to_frame()  # with pandas: pip install 'simcare[frames]'

The names below load on first use (PEP 562), so that ``simcare --help`` starts without numpy,
SimPy or the model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0.dev0"

if TYPE_CHECKING:
    from simcare.experiments.compare import Comparison, compare
    from simcare.experiments.engine import Precision
    from simcare.experiments.guard import MainGuardError
    from simcare.experiments.optimise import Goal, Optimised, Rounds, Target, optimise
    from simcare.experiments.replicate import RunResult, run_replications, simulate
    from simcare.experiments.robustness import Robustness, robustness
    from simcare.experiments.summary import MissingExtraError, Summary
    from simcare.experiments.sweep import SweepPlan, SweepResult, plan_sweep, run_sweep, sweep
    from simcare.experiments.values import with_values
    from simcare.scenario_file import load_scenario

_HOMES = {
    "Comparison": "simcare.experiments.compare",
    "compare": "simcare.experiments.compare",
    "Precision": "simcare.experiments.engine",
    "RunResult": "simcare.experiments.replicate",
    "Robustness": "simcare.experiments.robustness",
    "robustness": "simcare.experiments.robustness",
    "run_replications": "simcare.experiments.replicate",
    "MainGuardError": "simcare.experiments.guard",
    "Goal": "simcare.experiments.optimise",
    "Optimised": "simcare.experiments.optimise",
    "Rounds": "simcare.experiments.optimise",
    "Target": "simcare.experiments.optimise",
    "optimise": "simcare.experiments.optimise",
    "MissingExtraError": "simcare.experiments.summary",
    "Summary": "simcare.experiments.summary",
    "SweepPlan": "simcare.experiments.sweep",
    "SweepResult": "simcare.experiments.sweep",
    "plan_sweep": "simcare.experiments.sweep",
    "run_sweep": "simcare.experiments.sweep",
    "sweep": "simcare.experiments.sweep",
    "with_values": "simcare.experiments.values",
    "simulate": "simcare.experiments.replicate",
    "load_scenario": "simcare.scenario_file",
}

__all__ = [
    "Comparison",
    "Goal",
    "MainGuardError",
    "MissingExtraError",
    "Optimised",
    "Precision",
    "Robustness",
    "Rounds",
    "RunResult",
    "Summary",
    "SweepPlan",
    "SweepResult",
    "Target",
    "__version__",
    "compare",
    "load_scenario",
    "optimise",
    "plan_sweep",
    "robustness",
    "run_replications",
    "run_sweep",
    "simulate",
    "sweep",
    "with_values",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        if not name.startswith("_"):  # a submodule, as `simcare.metrics` after `import simcare`
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{__name__}.{name}":
                    raise
        raise AttributeError(f"module 'simcare' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
