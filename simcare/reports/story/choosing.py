"""Which customer's story to tell: the one a pick asks for, or the busiest.

Only journeys that started after the warm-up are considered, if any did; ties go to the lowest
index, so the choice is the same every time for the same record.
"""

from __future__ import annotations

import numpy as np

from simcare.model.records import RunRecord
from simcare.reports.pick import Pick
from simcare.reports.story.telling import StoryError

_PICK_MISSES = {
    Pick.ESCALATED: "no customer moved to another channel",
    Pick.CHURNED: "no complainant left the brand",
    Pick.DELETED: "no customer's post was deleted",
    Pick.VIRAL: "no customer's post drew negative impressions",
}


def _candidates(record: RunRecord) -> np.ndarray:
    """Journeys that started after the warm-up, or every journey if none did."""
    everyone = np.arange(len(record.journeys))
    measured = everyone[record.journeys.start_min >= record.warmup_min]
    return measured if len(measured) else everyone


def _post_sums(record: RunRecord) -> tuple[np.ndarray, np.ndarray]:
    """Per journey: negative impressions of its posts, and posts deleted."""
    n = len(record.journeys)
    posts = record.posts
    negative = np.bincount(
        posts.journey, weights=record.spread.negative_impressions, minlength=n
    ).astype(float)
    deleted = np.bincount(posts.journey[np.isfinite(posts.removed_min)], minlength=n)
    return negative, deleted


def _best(candidates: np.ndarray, *keys: np.ndarray) -> int | None:
    """The candidate with the largest keys (compared in order); ties go to the lowest index."""
    if not len(candidates):
        return None
    return min((int(j) for j in candidates), key=lambda j: (*(-float(key[j]) for key in keys), j))


def _choose(record: RunRecord, pick: Pick) -> int | None:
    journeys = record.journeys
    candidates = _candidates(record)
    negative, deleted = _post_sums(record)
    if pick is Pick.ESCALATED:
        moved = candidates[(journeys.escalations[candidates] > 0)]
        return _best(moved, journeys.escalations, journeys.went_public, negative)
    if pick is Pick.CHURNED:
        left = candidates[record.churn.left[candidates]]
        return _best(left, record.churn.leave_probability)
    if pick is Pick.DELETED:
        removed = candidates[deleted[candidates] > 0]
        return _best(removed, journeys.attempts, negative)
    seen = candidates[negative[candidates] > 0]
    return _best(seen, negative)


def choose(record: RunRecord, pick: Pick, replication: int = 0) -> int:
    """Return the journey index of the customer a pick asks for (see `Pick`).

    Only journeys that started after the warm-up are considered, if any did; ties go to the
    lowest index, so the choice is the same every time for the same record.

    Raises:
        StoryError: nobody fits; the message names the picks that would find someone.
    """
    found = _choose(record, pick)
    if found is not None:
        return found
    others = [
        other.value for other in Pick if other is not pick and _choose(record, other) is not None
    ]
    listed = " or ".join(others) if len(others) < 3 else f"{', '.join(others[:-1])} or {others[-1]}"
    hint = f"try --pick {listed}, or another policy" if others else "try another policy"
    raise StoryError(
        f"{_PICK_MISSES[pick]} under {record.policy} in replication {replication}; {hint}"
    )


def busiest(record: RunRecord) -> int:
    """The customer who made the most contacts (after the warm-up if anyone complained then).

    Raises:
        StoryError: nobody complained in the run.
    """
    found = _best(_candidates(record), record.journeys.attempts)
    if found is None:
        raise StoryError(f"nobody complained in this run (policy {record.policy})")
    return found
