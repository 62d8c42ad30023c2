"""docs/notebook.py runs, cell by cell as Jupyter runs it, and shows what it says it shows.

The notebook is kept as a jupytext "percent" script, so no notebook runner is needed: each
code cell is executed in one namespace and its last expression evaluated, as Jupyter does to
display it. That value's text and HTML views are what a notebook user sees.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.py"
MAX_SHOWN_CHARACTERS = 2_000
"""A result shown in a notebook is a short table, not its whole dataclass (126k–437k before)."""


def code_cells(text: str) -> list[str]:
    """The code cells of a percent-format notebook (markdown cells and the header left out)."""
    cells = text.split("\n# %%")[1:]
    return [cell.partition("\n")[2] for cell in cells if not cell.startswith(" [markdown]")]


def run_cell(code: str, namespace: dict[str, Any]) -> Any:
    """Execute a cell and return its last expression's value (None if it ends otherwise)."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, str(NOTEBOOK), "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), str(NOTEBOOK), "eval"), namespace)


@pytest.fixture(scope="module")
def shown() -> tuple[list[Any], dict[str, Any]]:
    """Each code cell's displayed value, and the notebook's namespace at the end."""
    namespace: dict[str, Any] = {"__name__": "notebook"}
    cells = code_cells(NOTEBOOK.read_text(encoding="utf-8"))
    return [run_cell(cell, namespace) for cell in cells], namespace


def test_every_code_cell_shows_something(shown: tuple[list[Any], dict[str, Any]]) -> None:
    values, _ = shown
    assert len(values) == 10
    assert all(value is not None for value in values)


def test_results_show_short_text_and_an_html_table(
    shown: tuple[list[Any], dict[str, Any]],
) -> None:
    values, namespace = shown
    results = [v for v in values if hasattr(v, "_repr_html_") and not isinstance(v, pd.DataFrame)]
    assert [type(r).__name__ for r in results] == [
        "RunResult",
        "Comparison",
        "RunResult",
        "SweepResult",
        "Summary",
    ]
    for result in results:
        assert len(repr(result)) < MAX_SHOWN_CHARACTERS
        assert result._repr_html_().startswith("<table>")
    assert "reply_public" in repr(namespace["comparison"])


def test_frames_are_tidy_and_hold_what_the_notebook_says(
    shown: tuple[list[Any], dict[str, Any]],
) -> None:
    values, namespace = shown
    money = values[4]
    assert list(money.policy) == ["delete", "reply_public", "acknowledge_then_private"]
    assert money.difference.isna().tolist() == [True, False, False]  # the baseline has none
    assert values[5] == [1, 2]  # with_values changed a copy, not the case
    pivot = values[-1]
    assert pivot.index.tolist() == [1, 2]
    assert sorted(pivot.columns) == ["delete", "reply_public"]
    assert pivot.notna().all().all()
    assert namespace["fan"].teams["social_desk"].shifts[0].agents == 1
