"""Pile-ons at their cap against none: CPU time of the rich case, the walk against the quantile.

`simcare.model.word_of_mouth.poisson_quantile` walked k = 0, 1, 2, ... to every count; at the
allowed cap of pile-on comments (1 a minute: means near 2,880 under a post left unanswered for
its 48 hours of attention) that walk was most of the run. This script runs the rich case
(`cases.RICH_CASE`, about ``--complaints`` complaints) with ``pile_on`` 0 (the case's) and at
the cap, in this process, interleaved, with the quantile as it is and with the walk alone,
and prints the median CPU time of each and the ratio cap / default. Reported, not asserted.

    python benchmarks/bench_pile_on.py --policy ignore --repeats 3
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

import numpy as np
from cases import RICH_CASE, RICH_POLICY, for_complaints, run_outcomes
from machine import load_average

from simcare.model import word_of_mouth
from simcare.scenario.parts import MAX_PILE_ON_PER_MIN
from simcare.scenario_file import load_scenario

Quantile = Callable[..., np.ndarray]


def walked(mean: np.ndarray, u: np.ndarray, cap: int = 10**9) -> np.ndarray:
    """`poisson_quantile` by the walk alone, whatever the mean (the code before issue 20)."""
    mean, u = np.broadcast_arrays(np.asarray(mean, dtype=float), np.asarray(u, dtype=float))
    out = np.where(np.isinf(mean), cap, 0).astype(np.int64)
    active = np.flatnonzero((mean > 0) & np.isfinite(mean) & (u > 0))
    word_of_mouth._walk(out, active, mean, u, cap)
    return out


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=50_000)
    parser.add_argument("--policy", default=RICH_POLICY)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    base = for_complaints(load_scenario(RICH_CASE), args.complaints)
    capped = dataclasses.replace(
        base,
        word_of_mouth=dataclasses.replace(base.word_of_mouth, pile_on_per_min=MAX_PILE_ON_PER_MIN),
    )
    quantiles: dict[str, Quantile] = {
        "quantile": word_of_mouth.poisson_quantile,
        "walk": walked,
    }
    times: dict[tuple[str, str], list[float]] = {}
    print(f"simcare pile-on benchmark - {RICH_CASE} under {args.policy}, load {load_average()}")
    try:
        for _ in range(args.repeats):
            for label, quantile in quantiles.items():
                word_of_mouth.poisson_quantile = quantile  # type: ignore[assignment]
                for name, scenario in (("default", base), ("cap", capped)):
                    start = time.process_time()
                    run_outcomes(scenario, 0, args.policy)
                    times.setdefault((label, name), []).append(time.process_time() - start)
    finally:
        word_of_mouth.poisson_quantile = quantiles["quantile"]  # type: ignore[assignment]
    ratios = {}
    for label in quantiles:
        default = statistics.median(times[(label, "default")])
        cap = statistics.median(times[(label, "cap")])
        ratios[label] = cap / default
        print(
            f"{label:>9}: default {default:.2f} s, pile-on at its cap {cap:.2f} s, "
            f"x{cap / default:.2f} (CPU s, median of {args.repeats})"
        )
    return ratios


if __name__ == "__main__":
    main()
