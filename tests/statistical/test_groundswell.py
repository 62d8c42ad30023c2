"""Silence causes part of the groundswell: a paired confidence interval (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from simcare.core.stats import estimate
from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario_file import load_scenario

REPLICATIONS = 8


@pytest.mark.slow
def test_ignoring_creates_complaint_journeys_beyond_the_ci() -> None:
    case = load_scenario("silence_and_the_groundswell")
    differences = []
    for replication in range(REPLICATIONS):
        journeys = [
            outcomes(simulate(case, 2024, replication, policy), case)[("journeys", "all")]
            for policy in ("ignore", "acknowledge_then_private")
        ]
        differences.append(journeys[0] - journeys[1])
    paired = estimate(np.array(differences))
    assert paired.mean - paired.half_width > 0, paired
