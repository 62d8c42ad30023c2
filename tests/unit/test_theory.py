import dataclasses
import math

import numpy as np
import pytest

from simcare.core.theory import (
    WORKED_CASES,
    QueueTheory,
    WorkedCase,
    erlang_a,
    erlang_c,
    theory_for,
)

# The published check. Times in SECONDS, as printed:
# load Erl, P(wait), ASA s (answered), mean wait s (all), SL offered, SL answered,
# P(abandon), occupancy.
EXPECTED: dict[str, tuple[float, float, float, float, float, float, float, float]] = {
    "C1": (10.000, 0.1741, 7.84, 7.84, 0.8884, 0.8884, 0.0000, 0.7143),
    "C2": (10.000, 0.6821, 122.78, 122.78, 0.3896, 0.3896, 0.0000, 0.9091),
    "C3": (1.000, 0.3333, 120.00, 120.00, 0.7178, 0.7178, 0.0000, 0.5000),
    "C4": (66.667, 0.5892, 42.42, 42.42, 0.5537, 0.5537, 0.0000, 0.9524),
    "C5": (9.500, 0.8256, 594.42, 594.42, 0.1970, 0.1970, 0.0000, 0.9500),
    "A1": (10.000, 0.1453, 3.88, 4.20, 0.9168, 0.9298, 0.0140, 0.7043),
    "A2": (10.000, 0.4170, 13.54, 15.01, 0.7054, 0.7696, 0.0834, 0.8333),
    "A3": (10.000, 0.6133, 20.94, 23.06, 0.5241, 0.6487, 0.1922, 0.8976),
    "A4": (66.667, 0.4130, 4.34, 4.75, 0.8595, 0.9333, 0.0791, 0.9445),
}

# Half a unit of the last printed digit of each column, plus a tiny margin.
MARGIN = 1e-6
TOLERANCES = (0.0005, 0.00005, 0.005, 0.005, 0.00005, 0.00005, 0.00005, 0.00005)


def _printed_columns(result: QueueTheory) -> tuple[float, ...]:
    return (
        result.offered_load_erlangs,
        result.p_wait,
        result.asa_min * 60.0,
        result.mean_wait_all_min * 60.0,
        result.service_level_offered,
        result.service_level_answered,
        result.p_abandon,
        result.occupancy,
    )


def test_worked_cases_cover_the_table():
    assert set(WORKED_CASES) == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_worked_case_matches_published_table(name: str):
    result = theory_for(WORKED_CASES[name])
    columns = [f.name for f in dataclasses.fields(QueueTheory)]
    for column, got, expected, tol in zip(
        columns, _printed_columns(result), EXPECTED[name], TOLERANCES, strict=True
    ):
        assert got == pytest.approx(expected, abs=tol + MARGIN), f"{name}: {column}"


def test_worked_cases_are_in_minutes():
    case = WORKED_CASES["A4"]
    assert case.arrivals_per_min == pytest.approx(1000 / 60)
    assert case.mean_handle_min == pytest.approx(4.0)
    assert case.agents == 65
    assert case.mean_patience_min == pytest.approx(1.0)
    assert case.target_min == pytest.approx(1 / 3)
    assert math.isinf(WORKED_CASES["C1"].mean_patience_min)


def test_theory_for_dispatches_on_patience():
    c1 = WORKED_CASES["C1"]
    assert theory_for(c1) == erlang_c(c1.arrivals_per_min, c1.mean_handle_min, 14, c1.target_min)
    a1 = WORKED_CASES["A1"]
    assert theory_for(a1) == erlang_a(
        a1.arrivals_per_min, a1.mean_handle_min, 14, a1.mean_patience_min, a1.target_min
    )


def test_erlang_c_closed_form_for_two_agents():
    # a = 1 Erlang, c = 2: P(wait) = a² / (2 + a) / (1 + a + a² / (2 + a)) = 1/3.
    result = erlang_c(1 / 6, 6.0, 2, 1.0)
    assert result.p_wait == pytest.approx(1 / 3, rel=1e-12)
    assert result.asa_min == pytest.approx(2.0, rel=1e-12)
    assert result.service_level_offered == pytest.approx(1 - math.exp(-1 / 6) / 3, rel=1e-12)
    assert result.p_abandon == 0.0
    assert result.service_level_answered == result.service_level_offered


@pytest.mark.parametrize("name", ["C1", "C2", "C3", "C4", "C5"])
def test_erlang_a_with_huge_patience_approaches_erlang_c(name: str):
    case = WORKED_CASES[name]
    c = theory_for(case)
    a = erlang_a(case.arrivals_per_min, case.mean_handle_min, case.agents, 1e7, case.target_min)
    assert a.p_abandon < 1e-4
    for got, expected in zip(_printed_columns(a), _printed_columns(c), strict=True):
        assert got == pytest.approx(expected, rel=1e-3, abs=1e-6)


def test_erlang_a_with_infinite_patience_is_erlang_c():
    assert erlang_a(10 / 3, 3.0, 14, math.inf, 1 / 3) == erlang_c(10 / 3, 3.0, 14, 1 / 3)


def test_erlang_a_is_stable_when_overloaded():
    result = erlang_a(1000 / 60, 4.0, 50, 1.0, 1 / 3)
    assert 0.0 < result.p_abandon < 1.0
    assert result.occupancy < 1.0
    # Nearly all agents busy, and at least the excess load must abandon.
    assert result.p_abandon > 1 - 50 / (1000 / 60 * 4.0)


GRID = [
    (rate, handle, agents, patience, target)
    for rate, handle, agents in [
        (0.5, 3.0, 1),
        (10 / 3, 3.0, 9),
        (1000 / 60, 4.0, 70),
        (2.0, 1.0, 1),
    ]
    for patience in [0.05, 1.0, 10.0]
    for target in [0.01, 1 / 3, 5.0]
]


@pytest.mark.parametrize(("rate", "handle", "agents", "patience", "target"), GRID)
def test_erlang_a_invariants(
    rate: float, handle: float, agents: int, patience: float, target: float
):
    r = erlang_a(rate, handle, agents, patience, target)
    for p in (r.p_wait, r.p_abandon, r.service_level_offered, r.service_level_answered):
        assert 0.0 <= p <= 1.0
    assert r.p_abandon <= r.p_wait
    assert r.service_level_offered <= 1.0 - r.p_abandon + 1e-12
    assert r.service_level_offered >= 1.0 - r.p_wait - 1e-12
    assert r.service_level_answered == pytest.approx(r.service_level_offered / (1 - r.p_abandon))
    assert 0.0 < r.occupancy < 1.0
    # Little's law + abandonment rate θ per waiting contact: P(ab) = θ · E[wait of all].
    assert r.p_abandon == pytest.approx(r.mean_wait_all_min / patience, rel=1e-9)
    longer = erlang_a(rate, handle, agents, patience, target * 2)
    assert longer.service_level_offered >= r.service_level_offered - 1e-12
    everyone = erlang_a(rate, handle, agents, patience, math.inf)
    assert everyone.service_level_offered == pytest.approx(1.0 - r.p_abandon, rel=1e-12)


def _service_level_by_ode(
    rate: float, handle: float, agents: int, patience: float, target: float
) -> float:
    # Independent check: stationary chain by brute force, then integrate the tagged
    # customer's Kolmogorov equations (state = contacts ahead) with RK4.
    mu, theta = 1.0 / handle, 1.0 / patience
    size = 400
    death = (
        np.minimum(np.arange(size), agents) * mu + np.maximum(np.arange(size) - agents, 0) * theta
    )
    pi = np.ones(size)
    for n in range(1, size):
        pi[n] = pi[n - 1] * rate / death[n]
    pi /= pi.sum()
    ahead = pi[agents:]  # arrival finds k = 0, 1, ... ahead
    leave = agents * mu + np.arange(len(ahead)) * theta  # queue departures ahead of it

    def derivative(p: np.ndarray) -> np.ndarray:
        d = -(leave + theta) * p
        d[:-1] += leave[1:] * p[1:]
        return d

    steps = 4000
    h = target / steps
    p = ahead.copy()
    served = 0.0
    for _ in range(steps):
        k1 = derivative(p)
        k2 = derivative(p + h / 2 * k1)
        k3 = derivative(p + h / 2 * k2)
        k4 = derivative(p + h * k3)
        f0 = [p[0], (p + h / 2 * k1)[0], (p + h / 2 * k2)[0], (p + h * k3)[0]]
        served += h / 6 * agents * mu * (f0[0] + 2 * f0[1] + 2 * f0[2] + f0[3])
        p = p + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return float(pi[:agents].sum() + served)


@pytest.mark.parametrize(
    ("rate", "handle", "agents", "patience", "target"),
    [(10 / 3, 3.0, 9, 2.0, 1 / 3), (10 / 3, 3.0, 11, 3.0, 2.0), (2.0, 1.0, 1, 0.5, 1.5)],
)
def test_erlang_a_service_level_matches_ode_integration(
    rate: float, handle: float, agents: int, patience: float, target: float
):
    expected = _service_level_by_ode(rate, handle, agents, patience, target)
    got = erlang_a(rate, handle, agents, patience, target).service_level_offered
    assert got == pytest.approx(expected, abs=1e-9)


def test_large_system_does_not_overflow():
    result = erlang_a(5000 / 60, 4.0, 340, 1.0, 1 / 3)
    assert all(math.isfinite(v) for v in _printed_columns(result))
    result_c = erlang_c(5000 / 60, 4.0, 340, 1 / 3)
    assert all(math.isfinite(v) for v in _printed_columns(result_c))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrivals_per_min": 0.0},
        {"arrivals_per_min": -1.0},
        {"arrivals_per_min": math.nan},
        {"mean_handle_min": 0.0},
        {"mean_handle_min": -3.0},
        {"agents": 0},
        {"agents": -2},
        {"target_min": 0.0},
        {"target_min": -1.0},
    ],
)
def test_erlang_c_rejects_bad_inputs(kwargs: dict[str, float]):
    args: dict[str, float] = {
        "arrivals_per_min": 10 / 3,
        "mean_handle_min": 3.0,
        "agents": 14,
        "target_min": 1 / 3,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match="must be"):
        erlang_c(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rate", "agents"), [(10 / 3, 10), (10 / 3, 9), (100.0, 1)])
def test_erlang_c_rejects_unstable_load(rate: float, agents: int):
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(rate, 3.0, agents, 1 / 3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"arrivals_per_min": 0.0},
        {"mean_handle_min": -1.0},
        {"agents": 0},
        {"mean_patience_min": 0.0},
        {"mean_patience_min": -5.0},
        {"mean_patience_min": math.nan},
        {"target_min": 0.0},
    ],
)
def test_erlang_a_rejects_bad_inputs(kwargs: dict[str, float]):
    args: dict[str, float] = {
        "arrivals_per_min": 10 / 3,
        "mean_handle_min": 3.0,
        "agents": 11,
        "mean_patience_min": 3.0,
        "target_min": 1 / 3,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match="must be"):
        erlang_a(**args)  # type: ignore[arg-type]


def test_results_are_frozen():
    result = theory_for(WORKED_CASES["C1"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_wait = 0.5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        WORKED_CASES["C1"].agents = 3  # type: ignore[misc]
    assert isinstance(WORKED_CASES["C1"], WorkedCase)
