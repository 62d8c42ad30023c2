"""Output folders: complete files or none, and files simcare can prove are its own.

Every file is written under a temporary name, flushed to disk and renamed when complete, so
a full disk, a refused write, Ctrl-C or a killed process never leaves a half-written file under
its final name. Nothing is overwritten unless asked, and ``--force`` replaces only the files a
marked record of simcare's lists: ownership is proven, never guessed from names.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

from simcare.core.errors import shown
from simcare.results.records import MAX_RECORD_BYTES

MANIFEST = "manifest.json"
PLAN = "plan.json"
"""A sweep's plan, written when it starts (what `--resume` reads)."""
RESULT_FILES = (
    "summary.csv", "summary.json", "replications.csv", "timeseries.csv", "events.csv",
    "comparison.csv", "comparison.json", "points.csv", "scenario.toml", "report.html", PLAN,
    "robustness.json", "robustness.csv",
    "plan.toml", "optimise.json", "evaluations.jsonl",
)  # fmt: skip
"""What a run, a comparison, a sweep, an optimisation or a report writes into a result's folder,
besides the manifest, the charts in plots/ and a sweep's points in parts/ and scenarios/."""
CHART_LIST = ".simcare-charts"
"""In a result's plots/ folder: the charts simcare drew there, a name a line."""
TOOL = "simcare"
FORMAT = 1
"""The mark of simcare's records (a manifest, a sweep's plan, a claim): ``"tool": TOOL`` and
``"format": FORMAT``, the version of the folder format, beside ``"files"``, the files simcare
wrote there. What ``--force`` may remove is what a marked record lists, and nothing else."""
CLAIM = ".simcare-unfinished.json"
"""While a result is written: the mark and the files being written, so that ``--force`` can
replace a result that was stopped half-written; removed once the manifest (or a sweep's plan)
lists them."""
RUN_FILES = ("summary.csv", "summary.json", "replications.csv", "timeseries.csv", "scenario.toml")
"""What a run writes (and ``events.csv`` with ``--events``), besides the manifest."""
COMPARE_FILES = ("comparison.csv", "comparison.json", "replications.csv", "scenario.toml")
"""What a comparison writes, besides the manifest."""
SWEEP_FILES = (
    "scenario.toml", PLAN, "points.csv", "replications.csv", "summary.csv", "parts/", "scenarios/",
)  # fmt: skip
"""What a sweep writes, besides the manifest: files, and folders of its own (ending in /)."""
ROBUSTNESS = "robustness.json"
"""A robustness study's verdicts, shares, drivers and rules (its folder is a sweep's besides)."""
ROBUSTNESS_FILES = (*SWEEP_FILES, ROBUSTNESS, "robustness.csv")
"""What a robustness study writes, besides the manifest."""
_TOP_FILES = frozenset((*RESULT_FILES, MANIFEST, CLAIM))
_SUB_FILE = re.compile(
    r"parts/point-\d+\.(?:csv|error\.txt)|scenarios/point-\d+\.toml"
    rf"|plots/(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:png|svg)|{re.escape(CHART_LIST)})"
    r"|handout\.html|teacher\.html|team-\d+\.toml"
)
"""A sweep's file of one point, a chart (or the list of charts) in a result's plots/, or a
workshop handout's files."""


class OutputError(Exception):
    """An output folder cannot be used; the message says why and what to do."""


def write_error(path: Path, error: OSError, doing: str = "cannot write") -> OutputError:
    """An `OutputError` for a write that failed: the path, the reason and what to do about it."""
    message = shown(f"{path}: {doing}: {error.strerror or error}")
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        message += "; the disk is full: free some space"
    elif isinstance(error, PermissionError) or error.errno == errno.EROFS:
        message += "; not writable: make it writable, or write somewhere else"
    return OutputError(message)


def check_writable(folder: Path) -> None:
    """Refuse a folder that cannot be written to, before long work rather than after it.

    A file is created there and removed; while the folder does not exist, in the nearest folder
    above it that does (where it would be made).
    """
    where = next((p for p in (folder, *folder.parents) if p.exists()), Path.cwd())
    probe = where / f".simcare-probe-{os.getpid()}.partial"
    try:
        with probe.open("x", encoding="utf-8"):
            pass
    except FileExistsError:
        pass  # a probe of this process left behind: the folder is writable
    except OSError as error:
        raise write_error(folder, error, "cannot write there") from None
    try:
        probe.unlink()
    except OSError as error:
        raise write_error(folder, error, "cannot remove files there") from None


def is_marked(data: Any) -> bool:
    """Whether JSON data is a record of simcare's: its mark and a list of files."""
    return (
        isinstance(data, dict)
        and data.get("tool") == TOOL
        and type(data.get("format")) is int
        and data.get("format") == FORMAT
        and isinstance(data.get("files"), list)
    )


def marked(data: dict[str, Any], files: Iterable[str]) -> dict[str, Any]:
    """A manifest or plan with simcare's mark first and the files it wrote last."""
    return {"tool": TOOL, "format": FORMAT, **data, "files": list(dict.fromkeys(files))}


def ownable(name: str) -> bool:
    """Whether ``name`` (relative, with /) is a file simcare may write into a result's folder.

    A record's list is only believed for such names: never a path out of the folder, never a
    file of some other name.
    """
    return name in _TOP_FILES or _SUB_FILE.fullmatch(name) is not None


def _listed(path: Path) -> list[str] | None:
    """The files a record (manifest, plan or claim) lists, or None if it is not simcare's."""
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
            return None  # a link, a folder or a file far bigger than a record simcare writes
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not is_marked(data):
        return None
    return [name for name in data["files"] if isinstance(name, str)]


def owned_files(folder: Path) -> set[str]:
    """The files of ``folder`` that simcare's records there list as written by simcare.

    A record is the manifest, a sweep's plan, or the claim of a result being written; each
    carries the mark (`TOOL`, `FORMAT`) and its list. Ownership is proven by a marked record,
    never guessed from a file's name; a listed file's temporary (``.NAME.partial``) is simcare's
    too.

    Raises:
        OutputError: a manifest.json, plan.json or claim there has no mark: another program's,
            or written by simcare before 0.2 (which wrote no mark), so nothing is proven.
    """
    owned: set[str] = set()
    for record in (MANIFEST, PLAN, CLAIM):
        path = folder / record
        if not os.path.lexists(path):
            continue
        listed = _listed(path)
        if listed is None:
            raise OutputError(
                f"{shown(str(path))}: has no mark of simcare's (another program's file, or one "
                "simcare wrote before version 0.2), so simcare cannot tell which files here are "
                "its own; --force replaces only files a marked simcare manifest lists: remove "
                "the old files by hand, or choose another --out"
            )
        owned.add(record)
        for name in listed:
            if ownable(name):
                head, _, base = name.rpartition("/")
                owned |= {name, f"{head}/.{base}.partial" if head else f".{base}.partial"}
    return owned


def _check_not_others(folder: Path, owned: set[str], writes: Iterable[str]) -> None:
    """Refuse to replace any file simcare did not write (no marked record lists it).

    ``writes``: the names the command writes; a name ending in / is a folder of its own
    (a sweep's parts/), which must hold only simcare's files.
    """
    for name in writes:
        path = folder / name.rstrip("/")
        if not os.path.lexists(path):
            continue
        if name.endswith("/"):
            if (
                path.is_symlink()
                or not path.is_dir()
                or any(f"{name}{p.name}" not in owned for p in path.iterdir())
            ):
                raise OutputError(
                    f"{shown(str(path))}: holds files that are not simcare's; move them away, "
                    "or choose another --out"
                )
        elif name not in owned or not stat.S_ISREG(path.lstat().st_mode):
            # Listed, but a link or a pipe now: simcare wrote a regular file, not this.
            raise OutputError(
                f"{shown(str(path))}: not simcare's (no simcare manifest here lists it), and "
                "simcare never replaces a file it did not write; move it away, or choose "
                "another --out"
            )


def check_folder(folder: Path, force: bool, writes: Iterable[str] | None = None) -> set[str]:
    """Refuse a folder that is a file, not empty unless ``force``, or not writable.

    For a result (``writes``: the files it writes, besides the manifest), a non-empty folder is
    refused even with ``force`` unless each of them is absent or listed by a marked record of
    simcare's there (see `owned_files`). A symbolic link is followed: its target must pass the
    same checks. Call it before long work, so that it is refused before the work, not after.

    Returns:
        The files of an earlier result there that simcare may remove (`clear_results`).
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{shown(str(folder))}: exists and is not a folder; choose another --out")
    owned: set[str] = set()
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            raise OutputError(
                f"{shown(str(folder))}: the folder is not empty; choose another --out, "
                "or add --force to replace simcare's files in it"
            )
        if writes is not None:
            owned = owned_files(folder)
            _check_not_others(folder, owned, (*writes, MANIFEST, CLAIM))
    check_writable(folder)
    return owned


def prepare_folder(folder: Path, force: bool, writes: Iterable[str] | None = None) -> None:
    """Create the output folder, refusing a non-empty one unless ``force`` (see `check_folder`).

    For a result (``writes``), an earlier result there is removed first (`clear_results`).
    """
    owned = check_folder(folder, force, writes)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(folder, error, "cannot create the folder") from None
    clear_results(folder, owned)


def own_folder(folder: Path) -> Path:
    """A result's folder of its own (plots/, parts/), made if missing.

    Raises:
        OutputError: it is a link or not a folder: what simcare writes into a folder it owns
            never lands somewhere else through a link someone put there.
    """
    if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
        raise OutputError(
            f"{shown(str(folder))}: is a link or not a folder; simcare writes a result's files "
            "only into a folder of its own, never through a link: move it away"
        )
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise write_error(folder, error, "cannot create the folder") from None
    return folder


def clear_results(folder: Path, owned: Collection[str]) -> None:
    """Remove an earlier result from a folder a new one replaces (``--force``).

    Nothing of it is left beside the new result: no old events.csv, no charts of other numbers.
    Only the ``owned`` files go (those simcare's marked records list: `owned_files`), the
    manifest first (never a finished look) and the records last (until then, the folder is still
    marked); a subfolder only once empty, and nothing through a link: someone else's files are
    never touched.
    """
    last = (MANIFEST, PLAN, CLAIM)
    order = [MANIFEST, *sorted(set(owned) - set(last)), PLAN, CLAIM]
    try:
        for name in order:
            if name not in owned:
                continue
            path = folder / name
            if path.parent != folder and path.parent.is_symlink():
                continue  # never through a link out of the folder
            with suppress(FileNotFoundError, NotADirectoryError):
                if stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()
        for sub in ("plots", "parts", "scenarios"):
            if (folder / sub).is_dir() and not (folder / sub).is_symlink():
                _remove_if_empty(folder / sub)
    except OSError as error:
        raise write_error(Path(error.filename or folder), error, "cannot replace") from None


@contextmanager
def claimed(folder: Path, files: Iterable[str]) -> Iterator[None]:
    """Mark ``folder`` as simcare's for ``files`` while they are written (the claim, `CLAIM`).

    The claim stays if the block does not finish, so that ``--force`` can replace what was
    written; it is removed once the block has written the manifest or plan that lists them.
    """
    with atomic_text(folder / CLAIM) as handle:
        handle.write(json.dumps(marked({}, [*files, CLAIM]), indent=2))
    yield
    with suppress(OSError):  # the manifest or plan lists the files now
        (folder / CLAIM).unlink(missing_ok=True)


def record_files(folder: Path, paths: Iterable[Path]) -> None:
    """List files simcare added to a finished result's folder (charts, a report) in its manifest.

    So that ``--force`` replaces them with the result. A folder whose manifest has no mark is
    left as it is (nothing there is proven simcare's), and so is a file outside the folder.
    """
    path = folder / MANIFEST
    listed = _listed(path)
    if listed is None:
        return
    root = folder.resolve()
    added = []
    for written in paths:
        try:
            if not written.is_file():
                continue
            name = written.resolve().relative_to(root).as_posix()
        except (OSError, ValueError):
            continue
        if ownable(name) and name not in listed:
            added.append(name)
    if added:
        data = json.loads(path.read_text(encoding="utf-8"))
        write_atomic(path, json.dumps({**data, "files": [*listed, *added]}, indent=2))


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """The temporary file to write ``path`` under: renamed to it if the block ends without error.

    On any error or interruption it is removed. A temporary file already there (left by a
    killed write, or a link someone put there) is removed first, and the new one is created
    exclusively, so that nothing is ever written through a link; the rename replaces a link at
    ``path`` itself, never what it points to.

    Raises:
        OutputError: the file cannot be written (naming it, the reason and what to do).
    """
    partial = path.with_name(f".{path.name}.partial")
    try:
        if os.path.lexists(partial):
            partial.unlink()
        yield partial
        partial.replace(path)
    except OSError as error:
        raise write_error(path, error) from None
    finally:
        with suppress(OSError):  # nothing to remove after the rename; never hide the error
            partial.unlink(missing_ok=True)


def _to_disk(handle: IO[Any]) -> None:
    handle.flush()
    os.fsync(handle.fileno())  # on the disk before it has its name (a crash, power)


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """Open a text file for writing that appears, complete, only when the block ends without error.

    The text goes to a hidden temporary file beside ``path``, which is flushed to the disk and
    renamed to ``path`` only when complete; on any error or interruption it is removed.

    Raises:
        OutputError: the file cannot be written (naming it, the reason and what to do).
    """
    with _replacing(path) as partial, partial.open("x", encoding="utf-8", newline="") as handle:
        yield handle
        _to_disk(handle)


@contextmanager
def atomic_bytes(path: Path) -> Iterator[BinaryIO]:
    """`atomic_text` for a binary file (a chart)."""
    with _replacing(path) as partial, partial.open("xb") as handle:
        yield handle
        _to_disk(handle)


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that it either appears complete or not at all."""
    with atomic_text(path) as handle:
        handle.write(text)


def run_files(events: bool) -> tuple[str, ...]:
    """What a run writes, besides the manifest (for `check_folder`)."""
    return (*RUN_FILES, "events.csv") if events else RUN_FILES
