"""How problems show what a file holds: short values, and known names with the closest."""

from __future__ import annotations

import math
from typing import Any

from simcare.core.errors import did_you_mean


def describe(value: Any) -> str:
    """Show a value as the file wrote it, cut to 60 characters (and safe for huge numbers)."""
    if isinstance(value, int) and value.bit_length() > 10_000:  # too long for repr()
        return f"a whole number of about {int(value.bit_length() * math.log10(2)):,} digits"
    try:
        text = repr(value)
    except ValueError:  # repr() refuses a whole number of over 4,300 digits inside
        kind = "a table" if isinstance(value, dict) else "a list"
        return f"{kind} holding a whole number of over 4,300 digits"
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_name(noun: str, value: str, known: list[str], nouns: str = "") -> str:
    """Say that a name is none of the known ones, listing them, with the closest."""
    nouns = nouns or f"{noun}s"
    return f"unknown {noun} {value!r}; {nouns} are {known}{did_you_mean(value, known)}"
