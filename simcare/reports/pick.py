"""The customers `simcare story --pick` can choose.

Apart from the story code, so that the command line declares its options without loading the
model.
"""

from __future__ import annotations

from enum import StrEnum


class Pick(StrEnum):
    """Which customer to tell the story of, when no journey index is given."""

    ESCALATED = "escalated"  # climbed the most channels (going public first)
    CHURNED = "churned"  # left the brand: the likeliest to leave of those who did
    DELETED = "deleted"  # a post of theirs was deleted: the longest such journey
    VIRAL = "viral"  # the most negative impressions across their posts


PICK_REASONS = {
    Pick.ESCALATED: "climbed the most channels",
    Pick.CHURNED: "left the brand, and was the likeliest to leave of those who did",
    Pick.DELETED: "had a post deleted, and made the most contacts of those who did",
    Pick.VIRAL: "drew the most negative impressions with their posts",
}
"""Why a pick chose its customer, for a heading ("picked because they ...")."""
