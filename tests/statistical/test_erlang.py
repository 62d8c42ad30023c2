"""simcare against queueing theory: Erlang C (no abandonment) and Erlang A (exponential patience).

With Poisson arrivals, exponential handling and exponential patience on one live channel, the
simulated ASA, P(wait), service level, abandonment and occupancy must agree with the exact
steady-state values of the nine worked cases in docs/evidence.md, "Erlang checks". Each
comparison uses a confidence interval from independent replications (fixed seed). There are 45
comparisons, so each interval is at the Bonferroni level 1 - 0.05/45: all 45 hold together with
95% confidence. Each interval must also be narrow enough that a wrong model would fall outside it.
"""

from __future__ import annotations

import pytest
from conftest import worked_case_scenario

from simcare.core.stats import estimate
from simcare.core.theory import WORKED_CASES, theory_for
from simcare.experiments.replicate import run_replications

SEED = 20261122
# simcare outcome -> QueueTheory field
MEASURES = {
    "asa_min": "asa_min",
    "p_wait": "p_wait",
    "service_level_offered": "service_level_offered",
    "abandonment_rate": "p_abandon",
    "occupancy": "occupancy",
}
LEVEL = 1 - 0.05 / (len(WORKED_CASES) * len(MEASURES))
# case -> (warm-up hours, run length hours, replications): long enough for the busiest cases
# to forget their empty start, and for every interval to be tight.
RUNS = {
    "C1": (2, 60, 40),
    "C2": (6, 150, 40),
    "C3": (24, 24 * 21, 40),
    "C4": (2, 100, 40),
    "C5": (48, 48 + 900, 40),
    "A1": (2, 50, 40),
    "A2": (2, 26, 40),
    "A3": (2, 26, 40),
    "A4": (1, 19, 40),
}
# The widest interval that still tells a right model from a wrong one: 15% of the value for
# the mean wait (strongly autocorrelated near full load), 3 percentage points for shares.
MAX_RELATIVE_HALF_WIDTH = {"asa_min": 0.15}
MAX_ABSOLUTE_HALF_WIDTH = 0.03


@pytest.mark.slow
@pytest.mark.parametrize("case_name", list(RUNS))
def test_simulation_agrees_with_theory(case_name: str) -> None:
    case = WORKED_CASES[case_name]
    warmup_h, length_h, replications = RUNS[case_name]
    scenario = worked_case_scenario(case, length_h * 60.0, warmup_h * 60.0)
    result = run_replications(scenario, replications, SEED)
    theory = theory_for(case)
    failures = []
    for outcome, field in MEASURES.items():
        expected = getattr(theory, field)
        est = estimate([values[(outcome, "all")] for values in result.per_replication], LEVEL)
        if expected == 0.0:  # Erlang C: nobody may abandon, in any replication
            if est.mean != 0.0:
                failures.append(f"{outcome}: {est.mean} != 0")
            continue
        limit = MAX_RELATIVE_HALF_WIDTH.get(outcome, 0.0) * expected or MAX_ABSOLUTE_HALF_WIDTH
        if est.half_width > limit:
            failures.append(
                f"{outcome}: interval too wide to test (±{est.half_width:.4g} > {limit:.4g})"
            )
        if not est.low <= expected <= est.high:
            failures.append(
                f"{outcome}: theory {expected:.4g} outside [{est.low:.4g}, {est.high:.4g}]"
            )
    assert not failures, f"{case_name}: " + "; ".join(failures)
