"""The team page's form: its fields in, a decision file's data out, every bad value named.

A range lever is a number field and a list of values a drop-down; the text a browser sends is
turned into the value a decision file would hold (a whole number, a number, a choice), and
`simcare.workshop.decisions.parse_decisions` checks it as it checks a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from simcare.workshop.case import Lever, Workshop

__all__ = ["MAX_BODY_BYTES", "MAX_FIELDS", "FormError", "form_data", "lever_field", "parse_form"]

MAX_BODY_BYTES = 32_768
"""A form's body at most: a reasoning of 1,000 characters, each percent-encoded, fits."""
MAX_FIELDS = 100
_WHOLE = re.compile(r"[+-]?\d{1,12}")
_NUMBER = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})(?:[eE][+-]?\d{1,3})?")


class FormError(ValueError):
    """A request's body is not a form this server wrote (the message says why)."""


def parse_form(body: bytes) -> dict[str, str]:
    """A URL-encoded form's fields (each named once).

    Raises:
        FormError: not UTF-8, too many fields, or a field given twice.
    """
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormError(
            "the form is not one of this server's (not UTF-8, or too many fields)"
        ) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise FormError(f"the form gives {name!r} twice")
        fields[name] = value
    return fields


def lever_field(index: int) -> str:
    """The form field of the workshop's lever number ``index`` (never its key: any text)."""
    return f"lever-{index}"


def _lever_value(lever: Lever, text: str, problems: list[str]) -> Any:
    """The value a field's text stands for, or None (a problem noted, or the case's default)."""
    text = text.strip()
    key = f'levers."{lever.key}"'
    if lever.choices:
        if text == "" and lever.current is None:
            return None
        if text.isdigit() and int(text) < len(lever.choices):
            return lever.choices[int(text)]
        problems.append(f"{key}: expected {lever.allowed}, found a choice that is not one")
        return None
    if text == "" and lever.current is None:
        return None
    if _WHOLE.fullmatch(text):
        return int(text)
    if not lever.whole and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
        return float(text)
    problems.append(f"{key}: expected {lever.allowed}, found {text!r}")
    return None


def form_data(fields: Mapping[str, str], workshop: Workshop) -> tuple[dict[str, Any], list[str]]:
    """A decision file's data from the team form, and the problems of fields that are no value.

    A number out of range is returned as it is, for `parse_decisions` to name with the rest.
    """
    problems: list[str] = []
    levers: dict[str, Any] = {}
    for index, lever in enumerate(workshop.levers):
        value = _lever_value(lever, fields.get(lever_field(index), ""), problems)
        if value is not None:
            levers[lever.key] = value
    data = {
        "policy": fields.get("policy", ""),
        "reasoning": fields.get("reasoning", ""),
        "levers": levers,
    }
    return data, problems
