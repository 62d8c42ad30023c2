"""Exact queueing-theory results (Erlang C and Erlang A) for checking the simulator and teaching.

All times are in minutes and all rates are per minute, as in the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "WORKED_CASES",
    "QueueTheory",
    "WorkedCase",
    "erlang_a",
    "erlang_c",
    "theory_for",
]

FloatArray = npt.NDArray[np.float64]

# Stationary probabilities below this fraction of the largest one are dropped (the tail
# beyond the truncation point is bounded geometrically, see `_erlang_a_distribution`).
_TAIL_TOLERANCE = 1e-17
# Refuse state spaces larger than this (only reachable with absurdly patient customers
# facing an overloaded system, where Erlang A needs millions of states).
_MAX_STATES = 2_000_000
# Uniformisation keeps Poisson terms until the neglected tail mass is below this.
_POISSON_TOLERANCE = 1e-16


@dataclass(frozen=True, slots=True)
class QueueTheory:
    """Steady-state performance measures of an M/M/c or M/M/c+M queue.

    Attributes:
        offered_load_erlangs: Offered load λ·AHT in Erlangs.
        p_wait: Probability that an arrival finds all agents busy and must wait.
        asa_min: Average speed of answer: mean wait of answered contacts, minutes.
        mean_wait_all_min: Mean wait over all arrivals, counting abandoning contacts'
            time until they abandon, minutes.
        service_level_offered: Contacts answered within the target / all arrivals.
        service_level_answered: Contacts answered within the target / answered contacts.
        p_abandon: Probability that an arrival abandons before being answered.
        occupancy: Fraction of agent time spent handling contacts, λ(1 − P(ab))·AHT / c.
    """

    offered_load_erlangs: float
    p_wait: float
    asa_min: float
    mean_wait_all_min: float
    service_level_offered: float
    service_level_answered: float
    p_abandon: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class WorkedCase:
    """Inputs of a published worked example, in minutes.

    Attributes:
        arrivals_per_min: Poisson arrival rate λ, contacts per minute.
        mean_handle_min: Mean (exponential) handling time AHT = 1/μ, minutes.
        agents: Number of agents c.
        mean_patience_min: Mean (exponential) patience 1/θ, minutes; ``math.inf`` for
            the Erlang C cases (no abandonment).
        target_min: Service-level target T, minutes.
    """

    arrivals_per_min: float
    mean_handle_min: float
    agents: int
    mean_patience_min: float
    target_min: float


def _case(
    calls_per_hour: float, handle_s: float, agents: int, patience_s: float, target_s: float
) -> WorkedCase:
    return WorkedCase(
        arrivals_per_min=calls_per_hour / 60.0,
        mean_handle_min=handle_s / 60.0,
        agents=agents,
        mean_patience_min=patience_s / 60.0,
        target_min=target_s / 60.0,
    )


#: The worked examples (inputs only); the expected results are in tests/unit/test_theory.py.
WORKED_CASES: dict[str, WorkedCase] = {
    "C1": _case(200, 180, 14, math.inf, 20),
    "C2": _case(200, 180, 11, math.inf, 20),
    "C3": _case(10, 360, 2, math.inf, 60),
    "C4": _case(1000, 240, 70, math.inf, 20),
    "C5": _case(95, 360, 10, math.inf, 20),
    "A1": _case(200, 180, 14, 300, 20),
    "A2": _case(200, 180, 11, 180, 20),
    "A3": _case(200, 180, 9, 120, 20),
    "A4": _case(1000, 240, 65, 60, 20),
}


def _check_positive(name: str, value: float, *, allow_inf: bool = False) -> None:
    if math.isnan(value) or value <= 0.0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {value!r}")


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise ValueError(f"agents must be an integer, got {agents!r}")
    if agents < 1:
        raise ValueError(f"agents must be >= 1, got {agents}")


def _erlang_b(load: float, agents: int) -> float:
    """Erlang B blocking probability via the numerically stable recursion."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(
    arrivals_per_min: float, mean_handle_min: float, agents: int, target_min: float
) -> QueueTheory:
    """Exact steady-state measures of the M/M/c queue (Erlang C, no abandonment).

    Args:
        arrivals_per_min: Poisson arrival rate λ, contacts per minute.
        mean_handle_min: Mean exponential handling time AHT, minutes.
        agents: Number of agents c.
        target_min: Service-level target T, minutes.

    Returns:
        The performance measures; ``p_abandon`` is 0 and both service levels are equal.

    Raises:
        ValueError: If a rate or time is not positive and finite, ``agents`` < 1, or the
            offered load is at least ``agents`` (the queue would be unstable).
    """
    _check_positive("arrivals_per_min", arrivals_per_min)
    _check_positive("mean_handle_min", mean_handle_min)
    _check_agents(agents)
    _check_positive("target_min", target_min, allow_inf=True)
    load = arrivals_per_min * mean_handle_min
    if load >= agents:
        raise ValueError(
            f"Erlang C is unstable: offered load {load:.6g} Erlangs >= {agents} agents"
        )
    blocking = _erlang_b(load, agents)
    p_wait = agents * blocking / (agents - load * (1.0 - blocking))
    drain_rate = (agents - load) / mean_handle_min  # cμ − λ, per minute
    asa = p_wait / drain_rate
    service_level = 1.0 - p_wait * math.exp(-drain_rate * target_min)
    return QueueTheory(
        offered_load_erlangs=load,
        p_wait=p_wait,
        asa_min=asa,
        mean_wait_all_min=asa,
        service_level_offered=service_level,
        service_level_answered=service_level,
        p_abandon=0.0,
        occupancy=load / agents,
    )


def _erlang_a_distribution(
    arrival_rate: float, service_rate: float, agents: int, abandon_rate: float
) -> tuple[float, FloatArray]:
    """Stationary distribution of the M/M/c+M birth-death chain.

    Returns:
        ``(p_not_waiting, queue)`` where ``p_not_waiting`` = P(N < c) and ``queue[k]`` =
        P(N = c + k) for k = 0..K, truncated where the remaining tail is negligible.
    """
    load = arrival_rate / service_rate
    # log π_n (unnormalised) for n = 0..c: Poisson-like terms, computed in log space.
    log_low = np.array(
        [n * math.log(load) - math.lgamma(n + 1) for n in range(agents + 1)], dtype=np.float64
    )
    # For n = c + k, k >= 1: π_{c+k} = π_{c+k-1} · λ / (cμ + kθ).
    log_queue = [float(log_low[-1])]
    busy_rate = agents * service_rate
    peak = max(float(log_low.max()), log_queue[0])
    k = 0
    while True:
        k += 1
        ratio = arrival_rate / (busy_rate + k * abandon_rate)
        log_next = log_queue[-1] + math.log(ratio)
        log_queue.append(log_next)
        peak = max(peak, log_next)
        if ratio < 1.0:
            # Later ratios are smaller, so the tail is below a geometric series.
            tail_bound = math.exp(log_next - peak) * ratio / (1.0 - ratio)
            if tail_bound < _TAIL_TOLERANCE:
                break
        if k > _MAX_STATES:
            raise ValueError(
                "Erlang A state space too large (patience too long for an overloaded "
                "system); use a shorter mean patience"
            )
    low = np.exp(log_low[:-1] - peak)
    queue = np.exp(np.array(log_queue, dtype=np.float64) - peak)
    total = float(low.sum() + queue.sum())
    return float(low.sum()) / total, queue / total


def _absorbed_by(
    weights: FloatArray, busy_rate: float, abandon_rate: float, horizon: float
) -> float:
    """Weighted probability that a pure-death process is absorbed at 0 by ``horizon``.

    The process starts in state m = 1..M with weight ``weights[m - 1]`` and leaves state
    i >= 1 for i − 1 at rate ``busy_rate + i * abandon_rate``. Computed exactly (up to a
    truncated Poisson tail below 1e-16) by uniformisation, which only adds positive terms.
    """
    size = len(weights)
    exit_rates = busy_rate + abandon_rate * np.arange(1, size + 1, dtype=np.float64)
    uniform_rate = float(exit_rates[-1])
    step = exit_rates / uniform_rate  # probability of moving down one state per jump
    mean_jumps = uniform_rate * horizon
    state = weights.astype(np.float64, copy=True)
    absorbed = 0.0  # mass absorbed within the jumps made so far
    result = 0.0
    cumulative_poisson = 0.0
    jumps = 0
    while True:
        log_poisson = -mean_jumps + jumps * math.log(mean_jumps) - math.lgamma(jumps + 1)
        poisson = math.exp(log_poisson)
        result += poisson * absorbed
        cumulative_poisson += poisson
        remaining = float(state.sum())
        if remaining < _POISSON_TOLERANCE or (
            jumps > mean_jumps and 1.0 - cumulative_poisson < _POISSON_TOLERANCE
        ):
            # Each later term is poisson_n · absorbed_n with absorbed <= absorbed_n <=
            # absorbed + remaining, and the later Poisson weights sum to 1 − cumulative.
            return result + max(0.0, 1.0 - cumulative_poisson) * absorbed
        moving = state * step
        absorbed += float(moving[0])
        state -= moving
        state[:-1] += moving[1:]
        jumps += 1


def erlang_a(
    arrivals_per_min: float,
    mean_handle_min: float,
    agents: int,
    mean_patience_min: float,
    target_min: float,
) -> QueueTheory:
    """Exact steady-state measures of the M/M/c+M queue (Palm / Erlang A).

    Solves the birth-death chain (birth rate λ, death rate min(n, c)μ + max(n − c, 0)θ)
    and uses the exact waiting-time law of an arrival finding k contacts ahead: it is
    answered after k + 1 queue departures, stage j (j ahead) ending at rate cμ + jθ,
    unless its own Exp(θ) patience runs out first. That gives, for the arrival,
    P(answered) = cμ / (cμ + (k + 1)θ) and mean time in queue (k + 1) / (cμ + (k + 1)θ);
    the within-target probability uses uniformisation of the tilted pure-death process.

    Args:
        arrivals_per_min: Poisson arrival rate λ, contacts per minute.
        mean_handle_min: Mean exponential handling time AHT = 1/μ, minutes.
        agents: Number of agents c.
        mean_patience_min: Mean exponential patience 1/θ, minutes. ``math.inf`` (no
            abandonment) falls back to :func:`erlang_c`.
        target_min: Service-level target T, minutes.

    Returns:
        The performance measures. Erlang A is stable for any load.

    Raises:
        ValueError: If a rate or time is not positive (or, except the patience, not
            finite), ``agents`` < 1, or the required state space is unreasonably large.
    """
    _check_positive("arrivals_per_min", arrivals_per_min)
    _check_positive("mean_handle_min", mean_handle_min)
    _check_agents(agents)
    _check_positive("mean_patience_min", mean_patience_min, allow_inf=True)
    _check_positive("target_min", target_min, allow_inf=True)
    if math.isinf(mean_patience_min):
        return erlang_c(arrivals_per_min, mean_handle_min, agents, target_min)

    arrival_rate = arrivals_per_min
    service_rate = 1.0 / mean_handle_min
    abandon_rate = 1.0 / mean_patience_min
    busy_rate = agents * service_rate
    load = arrival_rate * mean_handle_min

    p_not_waiting, queue = _erlang_a_distribution(arrival_rate, service_rate, agents, abandon_rate)
    p_wait = 1.0 - p_not_waiting
    ahead_plus_one = np.arange(1, len(queue) + 1, dtype=np.float64)  # k + 1
    # Arrival finding k ahead: its offered wait V is a sum of Exp(cμ + jθ), j = 0..k,
    # and it is answered iff V < its patience τ ~ Exp(θ). Tilting by e^{-θV} telescopes.
    total_rate = busy_rate + ahead_plus_one * abandon_rate  # cμ + (k + 1)θ
    p_answer_given = busy_rate / total_rate
    p_answered = p_not_waiting + float(np.dot(queue, p_answer_given))
    p_abandon = 1.0 - p_answered
    # E[min(V, τ)] = E[1 − e^{-θV}] / θ = (k + 1) / (cμ + (k + 1)θ).
    mean_wait_all = float(np.dot(queue, ahead_plus_one / total_rate))
    # E[V; V < τ] = P(answered | k) · Σ_{i=1..k+1} 1 / (cμ + iθ).
    mean_wait_answered_part = float(np.dot(queue, p_answer_given * np.cumsum(1.0 / total_rate)))
    asa = mean_wait_answered_part / p_answered
    # P(V ≤ T, V < τ) = P(answered | k) · P(Σ_{i=1..k+1} Exp(cμ + iθ) ≤ T).
    if math.isinf(target_min):
        answered_in_time = p_answered
    else:
        answered_in_time = p_not_waiting + _absorbed_by(
            queue * p_answer_given, busy_rate, abandon_rate, target_min
        )
    return QueueTheory(
        offered_load_erlangs=load,
        p_wait=p_wait,
        asa_min=asa,
        mean_wait_all_min=mean_wait_all,
        service_level_offered=answered_in_time,
        service_level_answered=answered_in_time / p_answered,
        p_abandon=p_abandon,
        occupancy=min(1.0, arrival_rate * p_answered * mean_handle_min / agents),
    )


def theory_for(case: WorkedCase) -> QueueTheory:
    """Exact results for a worked case: Erlang C if patience is infinite, else Erlang A.

    Args:
        case: The inputs, in minutes.

    Returns:
        The performance measures of the case.
    """
    if math.isinf(case.mean_patience_min):
        return erlang_c(case.arrivals_per_min, case.mean_handle_min, case.agents, case.target_min)
    return erlang_a(
        case.arrivals_per_min,
        case.mean_handle_min,
        case.agents,
        case.mean_patience_min,
        case.target_min,
    )
