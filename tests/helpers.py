"""Helpers shared by the test modules (imported as ``from helpers import ...``)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from simcare.cli import app


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    # No Python traceback for anything a user can type, ever.
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result
