"""Refuse to start worker processes from a script's unguarded top level, and say why.

Local workers are started with "spawn": each one imports the main script again. A script
whose work is not under ``if __name__ == "__main__":`` would run that work again in every
worker, which would start workers of its own: Python refuses, each worker dies, and all the
user saw was pages of tracebacks ending in "a worker process died". Checking before any
worker starts turns that into one clear error.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from types import FrameType, ModuleType


class MainGuardError(RuntimeError):
    """Worker processes were asked for by a script's top-level code, outside its main guard."""


def check_main_guard(workers: int) -> None:
    """Raise `MainGuardError` if the main script's top level, unguarded, asked for workers.

    Only a script the workers would run again is checked (as `multiprocessing.spawn` decides:
    not Jupyter, an interactive session, ``python -c``, nor a package's ``__main__``); when
    its source cannot be read, nothing is said.
    """
    main = sys.modules.get("__main__")
    path = _rerun_path(main)
    frame = _top_level_frame(main)
    if path is None or frame is None:
        return
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return
    line = frame.f_lineno
    if not guarded(tree, line):
        raise MainGuardError(
            f"workers={workers} starts worker processes, and each one imports {path} again; "
            f"its line {line} runs when it is imported (it is not under "
            'if __name__ == "__main__":), so every worker would run it again rather than its '
            'share of the work. Put the script\'s work under if __name__ == "__main__": '
            "(or use workers=1)."
        )


def _rerun_path(main: ModuleType | None) -> str | None:
    """The main script's file if spawned workers would run it again, else None."""
    if main is None:
        return None
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name is not None and (name == "__main__" or name.endswith(".__main__")):
        return None  # spawn does not run a package's __main__ again (python -m package)
    path = getattr(main, "__file__", None)
    if path is None or os.path.basename(path).startswith("ipython"):
        return None
    return str(path)


def _top_level_frame(main: ModuleType | None) -> FrameType | None:
    """The frame running the main script's top-level code, if it is on the stack."""
    if main is None:
        return None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            return frame
        frame = frame.f_back
    return None


def guarded(tree: ast.Module, line: int) -> bool:
    """Whether ``line`` of a module is under ``if __name__ == "__main__":``.

    The ``else`` of ``if __name__ != "__main__":`` counts too.
    """
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        kind = _main_test(node.test)
        branch = node.body if kind is ast.Eq else node.orelse if kind is ast.NotEq else []
        if branch and branch[0].lineno <= line <= (branch[-1].end_lineno or 0):
            return True
    return False


def _main_test(test: ast.expr) -> type[ast.cmpop] | None:
    """``ast.Eq`` for ``__name__ == "__main__"``, ``ast.NotEq`` for ``!=``, else None."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return None
    sides = [test.left, test.comparators[0]]
    names = [side.id for side in sides if isinstance(side, ast.Name)]
    texts = [side.value for side in sides if isinstance(side, ast.Constant)]
    if names != ["__name__"] or texts != ["__main__"]:
        return None
    kind = type(test.ops[0])
    return kind if kind in (ast.Eq, ast.NotEq) else None
