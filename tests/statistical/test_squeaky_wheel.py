"""The squeaky wheel: answering every tweet raises public complaining and still pays (issue 17).

Paired confidence intervals over replications on the same customers (common random numbers).
"""

from __future__ import annotations

import numpy as np
import pytest

from simcare.core.stats import estimate
from simcare.metrics.tally import outcomes
from simcare.model.replication import simulate
from simcare.scenario_file import load_scenario

REPLICATIONS = 8


@pytest.mark.slow
def test_answering_every_tweet_raises_public_complaining_and_still_pays() -> None:
    case = load_scenario("squeaky_wheel")
    public, value = [], []
    for replication in range(REPLICATIONS):
        answer, leave = (
            outcomes(simulate(case, 2024, replication, policy), case)
            for policy in ("answer_every_tweet", "leave_tweets")
        )
        key = ("public_complaints_per_customer", "all")
        public.append(answer[key] - leave[key])
        value.append(answer[("net_value", "all")] - leave[("net_value", "all")])
    more_public, pays = estimate(np.array(public)), estimate(np.array(value))
    assert more_public.mean - more_public.half_width > 0, more_public
    assert pays.mean - pays.half_width > 0, pays
