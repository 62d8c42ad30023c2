"""Hostile input: generated bad scenario files and ``--set`` texts never give a traceback.

Every built-in scenario is mutated (wrong types, negative, zero, NaN, infinite and huge numbers,
bad units, missing, duplicated, unknown and misspelt keys, empty strings, deep nesting, invalid
UTF-8, binary junk, truncation, extreme but maybe valid numbers) and loaded the way
``simcare validate`` loads it: 1,200 cases per run. The only error allowed is a `ScenarioError`
whose every line names the file and, for a changed key, a problem at that key (or the table
holding it). Generated ``--set`` texts go through `plan_sweep` the same way. A sample goes
through the real command line (``validate``, and ``run -r 1`` of the files that load), and
``tests/hostile/`` keeps the nastiest files as regular tests.
"""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcare.core.errors import shown
from simcare.experiments.design import SettingError, format_value, parse_setting
from simcare.experiments.sweep import plan_sweep
from simcare.scenario import Scenario, ScenarioError
from simcare.scenario_file import builtin_scenarios, load_scenario, loads_scenario

CASES = builtin_scenarios()
HOSTILE = Path(__file__).parent / "hostile"

# --- where a file can be changed ---

Path_ = tuple[str | int, ...]
"""A place in parsed TOML data: table keys and list indices, from the root."""

NAMED_TABLES = {
    ("channels",),
    ("teams",),
    ("severities",),
    ("segments",),
    ("policies",),
    ("sources",),
    ("teams", "*", "handle_time"),
    ("policies", "*", "actions"),
    ("policies", "*", "hours"),
}
"""Tables whose keys are names the file chooses (a new key there is a new entry, not a typo)."""


def is_named_table(path: Path_) -> bool:
    return any(
        len(pattern) == len(path)
        and all(p == "*" or p == part for p, part in zip(pattern, path, strict=True))
        for pattern in NAMED_TABLES
    )


def dotted(path: Path_) -> str:
    """A place as the loader names it: ``teams.desk.shifts[0].agents``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def table_of_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def walk(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every place in the data (tables, lists and their items, scalars), parents first."""
    if path:
        yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))


def key_path(path: Path_, data: dict[str, Any]) -> Path_:
    """The place the loader reports for ``path``: a scalar list's items are the list's key.

    An item of a list of tables (``shifts[0]``) is named on its own; an item of a list of
    numbers or names (``hourly_profile[3]``) is reported at the list.
    """
    node: Any = data
    for depth, part in enumerate(path):
        if isinstance(part, int) and not table_of_tables(node):
            return path[:depth]
        node = node[part]
    return path


def get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


@dataclass(frozen=True)
class Base:
    """A built-in scenario, parsed, with the places a mutation can reach."""

    name: str
    text: str
    data: dict[str, Any]
    places: tuple[Path_, ...]  # every value, table and list (replace or delete)
    tables: tuple[Path_, ...]  # every table, the root included (add a key)
    headers: tuple[int, ...]  # line numbers of [table] headers
    key_lines: tuple[int, ...]  # line numbers of key = value lines outside multi-line strings
    scalars: dict[str, Any]  # each single value, by the key a --set gives it (shifts.0.agents)


def statement_lines(text: str) -> tuple[list[int], list[int]]:
    """Headers and key lines of a file, skipping lines inside multi-line strings."""
    headers, keys, inside = [], [], False
    for number, line in enumerate(text.splitlines()):
        quotes = line.count('"""') + line.count("'''")
        if not inside:
            stripped = line.strip()
            if re.match(r"\[[^\]]+\]\]?\s*(#.*)?$", stripped):
                headers.append(number)
            elif re.match(r"[A-Za-z0-9_.\"' -]+=", stripped) and quotes == 0:
                keys.append(number)
        if quotes % 2:
            inside = not inside
    return headers, keys


def base(name: str) -> Base:
    text = CASES[name].read_text(encoding="utf-8")
    data = tomllib.loads(text)
    places = tuple(path for path, _ in walk(data))
    tables = ((), *(path for path, value in walk(data) if isinstance(value, dict)))
    headers, key_lines = statement_lines(text)
    scalars = {
        ".".join(str(part) for part in path): value
        for path, value in walk(data)
        if not isinstance(value, dict | list)
    }
    return Base(name, text, data, places, tables, tuple(headers), tuple(key_lines), scalars)


BASES = {name: base(name) for name in CASES}

# --- mutations ---

HOSTILE_VALUES: dict[str, str] = {
    # wrong types (TOML text)
    "text": '"text"',
    "true": "true",
    "date": "1979-05-27",
    "datetime": "1979-05-27T07:32:00Z",
    "time": "08:00:00",
    "empty list": "[]",
    "empty table": "{}",
    "mixed list": '[1, "a", true]',
    "table": "{ x = 1 }",
    "number": "42",
    "fraction": "0.5",
    # numbers
    "negative": "-1",
    "negative float": "-0.5",
    "zero": "0",
    "minus zero": "-0.0",
    "nan": "nan",
    "inf": "inf",
    "-inf": "-inf",
    "1e308": "1e308",
    "-1e308": "-1e308",
    "10**30": str(10**30),
    "10**400": str(10**400),  # a whole number no float holds
    "5000 digits": "9" * 5000,  # more digits than Python reads
    "hex of 6000 digits": "0x" + "f" * 5000,  # more digits than Python prints
    "just over 1e15": "1.0000001e15",
    "1e15": "1e15",
    "tiny": "5e-324",
    # durations, rates, times and days, written wrong
    "parsecs": '"5 parsecs"',
    "negative hours": '"-3h"',
    "unit only": '"h"',
    "1e999min": '"1e999min"',
    "nan min": '"nan min"',
    "3d 3d": '"3d 3d"',
    "huge duration": '"99999999999999999999999999999d"',
    "endless duration": '"9' + "9" * 400 + 'd"',
    "huge rate": '"1e308/day"',
    "nan rate": '"nan/h"',
    "inf rate": '"inf/h"',
    "negative rate": '"-5/h"',
    "slash only": '"/"',
    "rate no unit": '"5/"',
    "zero duration": '"0s"',
    "zero rate": '"0/h"',
    "bare number text": '"5"',
    "fullwidth digits": '"\uff15min"',
    "misspelt weekday": '"mon-fry"',
    "hour 25": '"25:00"',
    "half hours": '"09:00-"',
    # strings
    "empty string": '""',
    "blank string": '"   "',
    "nul escape": '"a\\u0000b"',
    "control escapes": '"\\u001b[31mred\\u007f"',
    "unicode": '"\u00e9\u00e8\U0001f600\u202e\u0301"',
    "long string": '"' + "x" * 20_000 + '"',
    # nesting
    "nested lists": "[" * 30 + "]" * 30,
    "nested tables": "{ a = " * 30 + "1" + " }" * 30,
    "deep lists": "[" * 700 + "]" * 700,
    "deep tables": "{ a = " * 700 + "1" + " }" * 700,
}
NEVER_VALID = {
    "nan",
    "inf",
    "-inf",
    "negative",
    "negative float",
    "1e308",
    "-1e308",
    "10**30",
    "10**400",
    "5000 digits",
    "hex of 6000 digits",
    "just over 1e15",
    "mixed list",
    "nested lists",
    "nested tables",
    "deep lists",
    "deep tables",
}
"""Values no key of a scenario accepts: a file holding one must not load."""
UNREADABLE = {"deep lists", "deep tables", "5000 digits"}
"""Values Python's TOML reader refuses: the message names their line, not their key."""

PLACEHOLDER = "@@hostile@@"


@dataclass(frozen=True)
class Mutant:
    """A changed built-in scenario: the file's bytes and what was done to it."""

    case: str
    kind: str
    detail: str
    content: bytes
    keys: tuple[str, ...] = ()  # the keys changed, as the loader names them
    related: tuple[str, ...] = ()  # words a problem may name instead (a deleted channel's name)
    never_valid: bool = False
    unreadable: bool = False  # holds a value the TOML reader cannot read (it names the line)
    misspelt_of: str = ""  # the real key an added key misspells

    def __str__(self) -> str:
        return f"{self.case}: {self.kind} {self.detail}"


def render(data: dict[str, Any], raw: dict[str, str]) -> bytes:
    """The data as TOML, with each placeholder string replaced by its raw TOML text."""
    text = tomli_w.dumps(data)
    for marker, value in raw.items():
        assert text.count(f'"{marker}"') == 1, marker
        text = text.replace(f'"{marker}"', value)
    return text.encode("utf-8")


def set_at(data: Any, path: Path_, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def misspell(key: str, draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    """A typo of a key: a letter changed, dropped, doubled or two swapped, or the case changed."""
    how = draw(st.sampled_from(["change", "drop", "double", "swap", "case"]))
    i = draw(st.integers(0, len(key) - 1))
    if how == "change":
        letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz_"))
        return key[:i] + letter + key[i + 1 :]
    if how == "drop" and len(key) > 1:
        return key[:i] + key[i + 1 :]
    if how == "double":
        return key[:i] + key[i] + key[i:]
    if how == "swap" and len(key) > 1:
        i = min(i, len(key) - 2)
        return key[:i] + key[i + 1] + key[i] + key[i + 2 :]
    return key.upper()


@st.composite
def value_mutants(draw: Any, case: Base, count: int) -> Mutant:
    """Replace one or a few values (or whole tables and lists) with hostile ones."""
    data = copy.deepcopy(case.data)
    raw: dict[str, str] = {}
    keys: list[str] = []
    names: list[str] = []
    chosen: list[Path_] = []
    for number in range(count):
        # Replacing a table also replaces what is inside: don't change the same place twice.
        free = [
            p for p in case.places if not any(p[: len(c)] == c or c[: len(p)] == p for c in chosen)
        ]
        if not free:
            break
        path = draw(st.sampled_from(free))
        chosen.append(path)
        name = draw(st.sampled_from(sorted(HOSTILE_VALUES)))
        marker = f"{PLACEHOLDER}{number}"
        set_at(data, path, marker)
        raw[marker] = HOSTILE_VALUES[name]
        keys.append(dotted(key_path(path, case.data)))
        names.append(f"{dotted(path)} = {name}")
    return Mutant(
        case.name,
        "value" if count == 1 else "values",
        "; ".join(names),
        render(data, raw),
        tuple(keys),
        never_valid=any(n.rsplit(" = ", 1)[1] in NEVER_VALID for n in names),
        unreadable=any(n.rsplit(" = ", 1)[1] in UNREADABLE for n in names),
    )


@st.composite
def deletions(draw: Any, case: Base) -> Mutant:
    """Delete a key, a whole section, or an item of a list of tables."""
    data = copy.deepcopy(case.data)
    path = draw(st.sampled_from(case.places))
    parent = get(data, path[:-1])
    if isinstance(parent, list) and not table_of_tables(parent):
        path = path[:-1]  # delete the whole list of numbers or names, not one of them
        parent = get(data, path[:-1])
    del parent[path[-1]]
    related = tuple(str(p) for p in path if isinstance(p, str))
    return Mutant(
        case.name, "delete", dotted(path), render(data, {}), (dotted(path),), related=related
    )


@st.composite
def added_keys(draw: Any, case: Base) -> Mutant:
    """Add an unknown key, or a misspelt copy of a real one, to some table."""
    data = copy.deepcopy(case.data)
    table_path = draw(st.sampled_from(case.tables))
    table = get(data, table_path)
    real = sorted(k for k in table if isinstance(k, str))
    misspelt = ""
    if real and draw(st.booleans()):
        misspelt = draw(st.sampled_from(real))
        key = misspell(misspelt, draw)
        value = copy.deepcopy(table[misspelt])
    else:
        key = draw(st.sampled_from(["zzz", "x", "_", "-", "1", "__init__", "é", "a b", "k" * 300]))
        value = draw(st.sampled_from([1, "x", True, [1], {"a": 1}]))
    if key in table:
        key += "_x"  # the typo made another real key
    table[key] = value
    path = (*table_path, key)
    return Mutant(
        case.name,
        "add key",
        dotted(path),
        render(data, {}),
        (dotted(path),),
        misspelt_of="" if is_named_table(table_path) else misspelt,
    )


@st.composite
def text_mutants(draw: Any, case: Base) -> Mutant:
    """Change the file's text: duplicate a section or a key, corrupt or cut its bytes."""
    kind = draw(
        st.sampled_from(
            [
                "duplicate section",
                "duplicate key",
                "invalid utf-8",
                "binary junk",
                "truncate",
                "nul byte",
                "deep header",
                "deep dotted key",
                "utf-16",
                "crlf and bom",
            ]
        )
    )
    text = case.text
    raw = text.encode("utf-8")
    lines = text.splitlines(keepends=True)
    at = draw(st.integers(0, len(raw)))
    if kind == "duplicate section":
        line = draw(st.sampled_from(case.headers))
        content = (text + "\n" + lines[line].strip() + '\nzzz = "again"\n').encode()
        detail = lines[line].strip()
    elif kind == "duplicate key":
        line = draw(st.sampled_from(case.key_lines))
        content = "".join([*lines[: line + 1], lines[line], *lines[line + 1 :]]).encode()
        detail = lines[line].strip()[:60]
    elif kind == "invalid utf-8":
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80"]))
        content, detail = raw[:at] + junk + raw[at:], f"{junk!r} at byte {at}"
    elif kind == "binary junk":
        junk = draw(st.binary(min_size=1, max_size=64))
        content, detail = raw[:at] + junk + raw[at:], f"{junk!r} at byte {at}"
    elif kind == "truncate":
        content, detail = raw[:at], f"at byte {at}"
    elif kind == "nul byte":
        content, detail = raw[:at] + b"\x00" + raw[at:], f"at byte {at}"
    elif kind == "deep header":
        parts = draw(st.sampled_from([50, 3000]))
        content = raw + ("\n[" + ".".join(["run"] + ["a"] * parts) + "]\nx = 1\n").encode()
        detail = f"{parts} parts"
    elif kind == "deep dotted key":
        parts = draw(st.sampled_from([50, 3000]))
        content = raw + ("\n" + ".".join(["a"] * parts) + " = 1\n").encode()
        detail = f"{parts} parts"
    elif kind == "utf-16":
        content, detail = text.encode("utf-16"), ""
    else:
        content, detail = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), ""
    return Mutant(case.name, kind, detail, content)


_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?)(\s*/?\s*[a-z]+)$")
"""A duration or rate as the built-in cases write them: "21d", "300/day", "4.5min"."""

SCALES = [0.0, 1e-9, 1e-3, 0.5, 2.0, 10.0, 1e3, 1e6, 1e9, 1e15]


def scale(value: Any, factor: float) -> Any:
    """A number, duration or rate multiplied by ``factor`` (written as the file would)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return min(round(value * factor), 2**63 - 1)
    if isinstance(value, float):
        return value * factor
    found = _QUANTITY.match(value) if isinstance(value, str) else None
    if found is None:
        return value
    number = format(Decimal(repr(float(found[1]) * factor)), "f")  # no exponent: "2e+16d"
    return f"{number}{found[2]}"


@st.composite
def scaled_mutants(draw: Any, case: Base) -> Mutant:
    """Scale one to three numbers, durations or rates: extreme values that may well be valid.

    These are the files that load, so they are the ones whose runs must not fail.
    """
    numbers = [
        p
        for p in case.places
        if p[0] not in ("sources", "teaching")
        and not isinstance(get(case.data, p), dict | list)
        and scale(get(case.data, p), 2.0) != get(case.data, p)
    ]
    data = copy.deepcopy(case.data)
    changed, keys = [], []
    for path in draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=3, unique=True)):
        factor = draw(st.sampled_from(SCALES))
        set_at(data, path, scale(get(data, path), factor))
        changed.append(f"{dotted(path)} × {factor:g}")
        keys.append(dotted(key_path(path, case.data)))
    return Mutant(case.name, "scaled", "; ".join(changed), render(data, {}), tuple(keys))


@st.composite
def mutants(draw: Any) -> Mutant:
    case = BASES[draw(st.sampled_from(sorted(BASES)))]
    kind = draw(
        st.sampled_from(["value", "value", "value", "values", "delete", "add", "text", "scaled"])
    )
    if kind == "scaled":
        return draw(scaled_mutants(case))
    if kind == "value":
        return draw(value_mutants(case, 1))
    if kind == "values":
        return draw(value_mutants(case, draw(st.integers(2, 4))))
    if kind == "delete":
        return draw(deletions(case))
    if kind == "add":
        return draw(added_keys(case))
    return draw(text_mutants(case))


# --- what a rejection must say ---


def load(path: Path) -> ScenarioError | None:
    """Load as ``simcare validate`` does: None if the file is valid."""
    try:
        load_scenario(path)
    except ScenarioError as error:
        return error
    return None


def related(problem_key: str, key: str) -> bool:
    """Whether a problem's key is the key, a part of it, or the table that holds it."""
    if not problem_key:
        return False
    return (
        problem_key == key
        or key.startswith((problem_key + ".", problem_key + "["))
        or problem_key.startswith((key + ".", key + "["))
    )


def names_a_key(error: ScenarioError, mutant: Mutant) -> bool:
    """Whether some problem is at a changed key (or its table), or names it in its message.

    A deleted key may show in a problem of a sibling (a distribution that lost its ``dist``
    is exponential, and its ``cv`` is then wrong) or as a name no longer known (a deleted
    channel that a team still serves).
    """
    for key in mutant.keys:
        for problem in error.problems:
            if related(problem.key, key) or key in problem.message:
                return True
            if mutant.kind == "delete":
                parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", key)
                if parent != key and related(problem.key, parent):
                    return True
                if any(f"'{word}'" in problem.message for word in mutant.related):
                    return True
        # Nested too deep or too long for the TOML reader: its line is named, not its key.
        if mutant.unreadable and re.search(r"invalid TOML at line \d+", str(error)):
            return True
    return False


def check_mutant(mutant: Mutant, path: Path) -> str:
    """Load the mutant; return how it went ("ok", "rejected"), or fail with what is wrong."""
    path.write_bytes(mutant.content)
    error = load(path)  # any other exception fails the test: it would be a traceback
    if error is None:
        assert not mutant.never_valid, f"{mutant}: loaded, but it holds a value nothing accepts"
        assert not mutant.kind.startswith("duplicate section"), f"{mutant}: loaded"
        return "ok"
    text = str(error)
    lines = text.splitlines()
    assert lines, mutant
    for line in lines:
        assert line.startswith(f"{path}: "), f"{mutant}: a line does not name the file: {line}"
    if mutant.keys:
        assert names_a_key(error, mutant), f"{mutant}: no problem names {mutant.keys}:\n{text}"
    if mutant.kind == "add key":
        assert any(p.key.startswith(mutant.keys[0]) for p in error.problems), (
            f"{mutant}: the added key is not named:\n{text}"
        )
        if mutant.misspelt_of and difflib.get_close_matches(
            mutant.keys[0].rsplit(".", 1)[-1], [mutant.misspelt_of], n=1, cutoff=0.6
        ):
            assert "did you mean" in text, f"{mutant}: no suggestion:\n{text}"
    if mutant.kind in ("duplicate section", "duplicate key"):
        assert re.search(r"invalid TOML at line \d+, column \d+", text) or "zzz" in text, text
    return "rejected"


GENERATED_CASES = 1200


def test_generated_files_never_give_a_traceback(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("hostile")
    seen: Counter[str] = Counter()

    @settings(
        max_examples=GENERATED_CASES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutants())
    def check(mutant: Mutant) -> None:
        outcome = check_mutant(mutant, folder / f"{mutant.case}.toml")
        seen[mutant.kind] += 1
        seen[outcome] += 1

    check()
    cases = seen["ok"] + seen["rejected"]
    assert cases >= 1000, seen
    assert seen["rejected"] > cases // 2, seen
    for kind in ("value", "values", "delete", "add key", "duplicate section", "truncate"):
        assert seen[kind] > 0, seen


# --- --set KEY=VALUE ---


def set_keys(case: Base) -> list[str]:
    """Every key a ``--set`` can reach in a scenario (a list's items by index: shifts.0.agents)."""
    return [".".join(str(part) for part in path) for path in case.places]


SET_VALUES = [
    *HOSTILE_VALUES.values(),
    *["1:0:1", "1:1e9:1", "0:1e308:1e-308", "0:3:1", "0.1:0.3:0.1", "0:1", "1:2:3:4", "0:0:0"],
    *["5:1:-1", "x:y", "1:nan:1", "-inf:0:1", ":::", "1:" + "9" * 400 + ":1", "1:0x7f:1"],
    *["a,b,,", ",", "1,2,3", "true,false", "é,ü", "\x00", "\n", "[1,2]", "{a=1}", '"open'],
    *["5 parsecs", "-3h", "h", "1e999min", "nan min", "3d 3d", "20/h", "3min", "09:00-17:00"],
    *["nan", "inf", "-inf", "1e308", "1e-320", "-0", str(2**63), str(-(2**63) - 1)],
    *["9" * 5000, "0x" + "f" * 5000, "[" * 1000, "{ a = " * 600, "reply_public", "mon-fri"],
]


@st.composite
def set_keys_hostile(draw: Any, case: Base) -> str:
    """A key: real, misspelt, past a list's end, into a value, or malformed."""
    keys = set_keys(case)
    key = draw(st.sampled_from(keys))
    how = draw(
        st.sampled_from(["real", "misspelt", "index", "into value", "table index", "malformed"])
    )
    if how == "misspelt":
        parts = key.split(".")
        i = draw(st.integers(0, len(parts) - 1))
        parts[i] = misspell(parts[i], draw)
        return ".".join(parts)
    if how == "index":
        lists = [k for k in keys if re.search(r"\.\d+(\.|$)", k)]
        key = draw(st.sampled_from(lists))
        return re.sub(r"\.\d+(?=\.|$)", ".99", key, count=1)
    if how == "into value":
        return key + draw(st.sampled_from([".x", ".0", ".0.0"]))
    if how == "table index":
        return draw(st.sampled_from(["channels.0", "teams.0.agents", "run.0", "0"]))
    if how == "malformed":
        return draw(
            st.sampled_from(
                [
                    "",
                    " ",
                    ".",
                    "...",
                    ".run",
                    "run.",
                    "run..duration",
                    "run duration",
                    "ca\u00f1al.share",
                    "channels.\u00e9",
                    "k" * 5000,
                    ".".join(["a"] * 2000),
                    "run.policy",
                    "teams.*.agents",
                    "run.duration=3d",
                    "\x00",
                ]
            )
        )
    return key


@st.composite
def set_texts(draw: Any) -> tuple[str, list[str], str, int | None]:
    """A built-in case, one or two ``--set`` texts, a design and its samples."""
    case = BASES[draw(st.sampled_from(sorted(BASES)))]
    texts = []
    for _ in range(draw(st.integers(1, 2))):
        key = draw(set_keys_hostile(case))
        value = draw(st.sampled_from(SET_VALUES))
        if key in case.scalars and draw(st.integers(0, 3)) == 0:
            value = format_value(case.scalars[key])  # as it is: the sweep is valid
        joint = draw(st.sampled_from(["=", "=", "=", " = ", "==", ""]))
        texts.append(f"{key}{joint}{value}")
    if draw(st.integers(0, 9)) == 0:
        texts.append(texts[0])  # the same key twice
    design = draw(st.sampled_from(["grid", "grid", "lhs"]))
    samples = draw(st.integers(1, 3)) if design == "lhs" else None
    return case.name, texts, design, samples


def check_settings(case: str, texts: list[str], design: str, samples: int | None) -> str:
    """Plan the sweep; fail unless it works or raises a documented error naming the --set."""
    try:
        plan_sweep(CASES[case], texts, design=design, samples=samples, replications=1)
    except (SettingError, ScenarioError, ValueError) as error:
        # SettingError is a ValueError; so is an unknown design or policy.
        message = str(error)
        keys = [text.partition("=")[0].strip() for text in texts]
        # Control characters in it are shown escaped (\x00), never printed.
        assert any(shown(text) in message for text in texts) or any(
            key and shown(key) in message for key in keys
        ), f"{texts}: the message names no --set:\n{message[:2000]}"
        return "rejected"
    return "ok"


SET_CASES = 400


def test_generated_settings_never_give_a_traceback() -> None:
    seen: Counter[str] = Counter()

    @settings(
        max_examples=SET_CASES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(set_texts())
    def check(drawn: tuple[str, list[str], str, int | None]) -> None:
        seen[check_settings(*drawn)] += 1

    check()
    assert seen["ok"] + seen["rejected"] >= SET_CASES, seen
    assert seen["ok"] > 0, seen
    assert seen["rejected"] > SET_CASES // 2, seen


# --- through the command line: a sample of generated files, and the corpus ---


MAX_RUN_PROBLEMS = 100_000
"""Problems per replication the sample runs; the built-in cases have at most 42,000."""


def problems_expected(scenario: Scenario) -> float:
    """The problems one replication draws on average (the base rate and the incidents)."""
    length = scenario.run.duration_min
    extra = sum(
        incident.extra_problems_per_min
        * max(0.0, min(incident.duration_min, length - incident.start_min))
        for incident in scenario.incidents
    )
    return scenario.problems.problems_per_min * length + extra


def check_on_the_command_line(path: Path) -> str:
    """``validate`` and ``run -r 1`` agree with the loader: exit 2 with its message, or run."""
    error = load(path)
    validated = invoke("validate", path)
    if error is not None:
        assert validated.exit_code == 2, validated.output
        assert str(error) in validated.stderr
        ran = invoke("run", path, "-r", "1")
        assert ran.exit_code == 2, ran.output
        assert str(error) in ran.stderr
        return "rejected"
    assert validated.exit_code == 0, validated.output
    if problems_expected(load_scenario(path)) > MAX_RUN_PROBLEMS:
        return "too big to run"  # a sample must stay quick; runaway runs are tested on their own
    ran = invoke("run", path, "-r", "1", "--format", "csv")
    assert ran.exit_code == 0, ran.output
    return "ran"


CLI_CASES = 60


def scaled_cases(name: str) -> st.SearchStrategy[Mutant]:
    return scaled_mutants(BASES[name])


@pytest.mark.slow
def test_a_sample_of_generated_files_on_the_command_line(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("hostile_cli")
    seen: Counter[str] = Counter()

    @settings(
        max_examples=CLI_CASES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.one_of(mutants(), st.sampled_from(sorted(BASES)).flatmap(scaled_cases)))
    def check(mutant: Mutant) -> None:
        path = folder / f"{mutant.case}.toml"
        path.write_bytes(mutant.content)
        seen[check_on_the_command_line(path)] += 1

    check()
    assert sum(seen.values()) >= CLI_CASES, seen
    assert seen["ran"] > 0, seen
    assert seen["rejected"] > 0, seen


CORPUS: dict[str, tuple[str, ...]] = {
    # what validate must say about each file of tests/hostile (besides naming the file)
    "bad_units.toml": (
        "run.duration:",
        "run.warmup:",
        "run.service_level_target:",
        "problems.rate:",
    ),
    "binary_junk.toml": ("not UTF-8 text",),
    "deep_dotted_key.toml": ("line 9: a key of more than 10 dotted parts",),
    "deep_header.toml": ("line 15: a key of more than 10 dotted parts (run.a.a.a",),
    "deep_inline_table.toml": ("invalid TOML at line 9", "'patience = { a = { a", "too deep"),
    "deep_list.toml": ("invalid TOML at line 9", "'share = [[[[", "too deep"),
    "duplicate_section.toml": ("invalid TOML at line 15, column 5: Cannot declare ('run',) twice",),
    "empty_strings.toml": (
        "name: expected a non-empty name, found ''",
        "run.duration:",
        "channels.phone.mode:",
        "channels.phone.escalate_to:",
        "teams.agents.channels:",
    ),
    "hex_integer_of_6000_digits.toml": (
        "behaviour.max_attempts: expected 1 to 20, found a whole number of about 6,020 digits",
    ),
    "integer_of_5000_digits.toml": (
        "invalid TOML at line 12, column 10 ('agents = 999",
        "a whole number of more than 4,300 digits",
    ),
    "integer_over_1e308.toml": ("channels.phone.share: expected a number of at most 1e15",),
    "invalid_utf8.toml": ("not UTF-8 text (bad byte at position 217)",),
    "lognormal_cv_1e200.toml": ("teams.agents.handle_time.phone.cv: expected a number of at most",),
    "misspelt_keys.toml": (
        "chanels: unknown key",
        "did you mean 'channels'?",
        "channels.phone.mdoe: unknown key",
        "did you mean 'mode'?",
        "teams.agents.agnets: unknown key",
        "did you mean 'agents'?",
    ),
    "nan_inf_and_negative.toml": (
        "channels.phone.share: expected a finite number >= 0, found nan",
        "channels.phone.audience: expected a rate of 0 or more",
        "segments.fan.annual_value: expected a finite number >= 0, found inf",
        "segments.other.followers.median: expected a finite number >= 0, found -1e+308",
    ),
    "nested_too_deep.toml": ("channels.phone.share[0][0]", "nested more than 10"),
    "nul_byte.toml": ("binary content",),
    "pile_on_1e308.toml": ("word_of_mouth.pile_on: expected at most 60/h, found '1e308/h'",),
    "profile_weight_1e308.toml": ("problems.hourly_profile:", "(item 1 is 1e+308)"),
    "told_negative_1e308.toml": ("word_of_mouth.told_negative:", "numbers are at most 1e15"),
    "told_shape_tiny.toml": ("word_of_mouth.told_shape: expected at least 0.001, found 5e-324",),
    "truncated.toml": ("invalid TOML at line 13, column 31: Unterminated string",),
    "wrong_types.toml": (
        "run.duration:",
        "run.warmup:",
        "run.start_weekday:",
        "channels.phone.brand_owned: expected true or false, found 'yes'",
        "teams.agents.agents:",
    ),
}
RUNAWAY = {"rate_1e308.toml"}
"""Valid files whose run is enormous: the CLI must refuse them before it starts (issue 7)."""


def test_every_corpus_file_has_its_expectations() -> None:
    assert {path.name for path in HOSTILE.glob("*.toml")} == CORPUS.keys() | RUNAWAY


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_corpus_file_exits_2_naming_the_file_and_the_keys(name: str) -> None:
    path = HOSTILE / name
    validated = invoke("validate", path)
    assert validated.exit_code == 2
    lines = validated.stderr.splitlines()
    assert lines[0].startswith(f"{path}: ")  # "FILE: N problems", then one line each
    assert all(line.startswith(f"{path}: ") for line in lines[1:]), validated.stderr
    for fragment in CORPUS[name]:
        assert fragment in validated.stderr
    ran = invoke("run", path, "-r", "1")
    assert ran.exit_code == 2
    assert ran.stderr.startswith(f"error: {path}: ")


@pytest.mark.parametrize("name", sorted(RUNAWAY))
def test_a_runaway_run_is_valid_but_refused_before_it_starts(name: str) -> None:
    path = HOSTILE / name
    assert invoke("validate", path).exit_code == 0
    ran = invoke("run", path, "-r", "1")  # was: ValueError "lam value too large", a traceback
    assert ran.exit_code == 2
    assert "problems.rate" in ran.stderr


# --- bugs found, pinned ---


def test_a_key_of_thousands_of_parts_is_refused_before_it_is_read(tmp_path: Path) -> None:
    # The TOML reader's time and memory grow with the square of a key's parts: 20,000 parts
    # (40 kB) took 1.5 GB and 4 s, and a 1 MB file could exhaust any machine.
    path = tmp_path / "keys.toml"
    for key in (".".join(["a"] * 5000) + " = 1", "[" + ".".join(["b"] * 5000) + "]"):
        path.write_text('name = "x"\n' + key + "\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match=r"keys\.toml: line 2: a key of more than 10"):
            load_scenario(path)


@pytest.mark.parametrize(
    "text",
    [
        "x = { " + ".".join(["a"] * 11) + " = 1 }",  # in an inline table
        "x = [{ " + ".".join(['"a"'] * 11) + " = 1 }]",  # quoted parts
        "  " + " . ".join(["a"] * 11) + " = 1",  # spaces around the dots
        "[[" + ".".join(["a"] * 11) + "]]",
    ],
)
def test_a_key_of_eleven_parts_is_refused(text: str) -> None:
    with pytest.raises(ScenarioError, match=r"line 1: a key of more than 10 dotted parts"):
        loads_scenario(text, "case.toml")


@pytest.mark.parametrize(
    "text",
    [
        'title = "a.b.c.d.e.f.g.h.i.j.k.l = 1"',  # in a string: not a key
        "hourly_profile = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]",
        'briefing = """\na.b.c.d.e.f.g.h.i.j and so on\n"""',
    ],
)
def test_dots_elsewhere_are_not_keys(text: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(text, "case.toml")
    assert "dotted parts" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=1:" + "9" * 400 + ":1", "range bounds must be finite numbers"),
        ("a=1:0x" + "f" * 5000 + ":1", "range bounds must be finite numbers"),
        ("a=0x" + "f" * 5000, "is too large; whole numbers are at most 2**63 - 1"),
        ("a=99999999999999999999", "is too large; whole numbers are at most 2**63 - 1"),
    ],
)
def test_a_set_value_too_large_for_toml_is_refused(text: str, message: str) -> None:
    # Were OverflowError (a range) and ValueError from int() (printing a point).
    with pytest.raises(SettingError, match=re.escape(message)):
        parse_setting(text)


@pytest.mark.parametrize("item", ["[" * 1000, "9" * 5000, "{ a = " * 600])
def test_a_set_value_too_deep_or_long_for_toml_is_text(item: str) -> None:
    # Were RecursionError and ValueError (Python reads at most 4,300 digits of an int).
    assert parse_setting(f"a={item}").values == (item.strip(),)


BASE = """\
[problems]
rate = "200/h"

[channels.phone]
mode = "live"
"""


@pytest.mark.parametrize(
    ("added", "message"),
    [
        # Each of these loaded, then failed in the run (numpy ValueError or OverflowError) or
        # ran for hours; the bounds are far beyond any real case.
        ("[channels.wall]\naudience = '1e15/min'", "channels.wall.audience: expected at most"),
        ("[behaviour]\nrepost_amplification = 1000", "behaviour.repost_amplification: expected"),
        ("[word_of_mouth]\nreply_lift = 1e15", "word_of_mouth.reply_lift: expected at most 100"),
        ("[word_of_mouth]\npile_on = '1000/min'", "word_of_mouth.pile_on: expected at most 60/h"),
        ("[word_of_mouth]\ntold_shape = 1e-300", "word_of_mouth.told_shape: expected at least"),
        ("[segments.fan]\nannual_value = 1e308", "annual_value: expected a number of at most 1e15"),
        (
            "[channels.phone.patience]\ndist = 'lognormal'\nmean = '1h'\ncv = 1e200",
            "channels.phone.patience.cv: expected a number of at most 1e15, found 1e+200",
        ),
        # A whole number too long to print, inside a list (repr() raised ValueError).
        (
            "[segments.fan]\nfollowers = { median = [0x" + "f" * 5000 + "] }",
            "a list holding a whole number of over 4,300 digits",
        ),
    ],
)
def test_values_the_simulation_cannot_take_are_refused(added: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=re.escape(message)):
        loads_scenario(BASE + added, "case.toml")


def test_the_largest_allowed_values_still_load() -> None:
    loads_scenario(
        BASE
        + "audience = '1000000/min'\n[behaviour]\nrepost_amplification = 100\n"
        + "[word_of_mouth]\nreply_lift = 100\npile_on = '60/h'\ntold_shape = 0.001\n"
        + "[segments.fan]\nannual_value = 1e15\n",
        "case.toml",
    )


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("teams.social_desk.shifts.9.agents=1,2", "teams.social_desk.shifts.9.agents"),
        ("teams.social_desk.shfits.0.agents=1,2", "teams.social_desk.shfits"),
        ("run.duration.x=1", "run.duration.x"),
        ("...=1", "..."),
        ("=1", "=1"),
        ("run.duration=1:" + "9" * 400 + ":1", "run.duration="),
        ("run.duration=0x" + "f" * 5000, "run.duration="),
        ("run.duration=" + "[" * 1000, "run.duration"),
        ("problems.rate=1:0:1", "problems.rate=1:0:1"),
        ("problems.rate=1:1e9:1", "problems.rate=1:1e9:1"),
        ("problems.rate=a,b,,", "problems.rate=a,b,,"),
        ("channels.email.share=nan", "channels.email.share=nan"),
        ("channels.email.share=1e308", "channels.email.share"),
        ("k" * 5000 + "=1", "k" * 5000),
    ],
)
def test_a_hostile_set_exits_2_naming_it(setting: str, named: str, tmp_path: Path) -> None:
    result = invoke(
        "sweep", "loyal_fan_deleted_post", "--set", setting, "--out", tmp_path / "out", "-r", "2"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert named in result.stderr


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('name = "\\u001b[31mRED"\n', "name"),
        ('[teaching]\nbriefing = "ring \\u0007 the bell"\n', "teaching.briefing"),
        ('[channels."ph\\u009bone"]\n', "channels.ph\\x9bone"),
    ],
)
def test_control_characters_are_refused_and_never_printed(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "escape.toml"
    path.write_text(f'{text}[problems]\nrate = "1/h"\n[channels.phone]\n', encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert f"{key}: holds a control character" in result.output
    assert not any(0x80 <= ord(c) <= 0x9F or (ord(c) < 0x20 and c != "\n") for c in result.output)


def test_names_from_a_scenario_never_lead_files_out_of_the_output_folder(tmp_path: Path) -> None:
    """A policy named like a path gets charts named after it, inside the plots folder."""
    data = tomllib.loads(Path("scenarios/loyal_fan_deleted_post.toml").read_text(encoding="utf-8"))
    data["run"]["duration"], data["run"]["warmup"] = "3d", "1d"
    data["policies"]["../../escaped"] = {"based_on": "delete"}
    path = tmp_path / "case" / "fan.toml"
    path.parent.mkdir()
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    out = tmp_path / "case" / "sweep"
    result = invoke(
        "sweep", path, "--set", "teams.social_desk.shifts.0.agents=1,2",
        "--set", "behaviour.persistence=0.3,0.6", "-p", "../../escaped,delete", "-r", "2",
        "-w", "1", "-o", out, "--plots",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    inside = {p.resolve() for p in out.rglob("*")}
    everything = {p.resolve() for p in tmp_path.rglob("*")}
    assert everything - inside == {path.parent.resolve(), path.resolve(), out.resolve()}
    assert any("escaped" in p.name for p in (out / "plots").iterdir())


def test_brackets_in_names_are_printed_as_text_not_rich_markup(tmp_path: Path) -> None:
    """A "[/]" in a title or policy name once crashed the tables (rich read it as markup)."""
    data = tomllib.loads(Path("scenarios/loyal_fan_deleted_post.toml").read_text(encoding="utf-8"))
    data["run"]["duration"], data["run"]["warmup"] = "2d", "1d"
    data["title"] = "Fans [/] and [bold]critics"
    data["policies"]["[red]loud"] = {"based_on": "delete"}
    path = tmp_path / "brackets.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    compared = invoke("compare", path, "-p", "[red]loud,delete", "-r", "2", "-w", "1")
    assert compared.exit_code == 0, compared.output
    assert "Fans [/] and [bold]critics" in compared.stdout
    assert "[red]loud" in compared.stdout
    ran = invoke("run", path, "-r", "1", "-p", "[red]loud")
    assert ran.exit_code == 0, ran.output
    assert "Fans [/] and [bold]critics" in ran.stdout
    swept = invoke(
        "sweep", path, "--set", "behaviour.persistence=0.3,0.6", "-p", "[red]loud", "-r", "2",
        "-w", "1", "-o", tmp_path / "sweep",
    )  # fmt: skip
    assert swept.exit_code == 0, swept.output
    assert "[red]loud" in swept.stdout


@pytest.mark.parametrize(
    "text",
    [
        'team = "A"\npolicy = "delete"\nreasoning = 1' + "0" * 5000 + "\n",
        'team = "A"\npolicy = "delete"\nx = ' + "[" * 600 + "]" * 600 + "\n",
        'team = "A"\npolicy = "delete"\n' + ".".join(["a"] * 5000) + " = 1\n",
        'team = "A\\u001b[31m"\npolicy = "delete"\n',
    ],
    ids=["long-number", "deep", "long-key", "escape"],
)
def test_hostile_decision_files_get_the_scenario_files_guards(tmp_path: Path, text: str) -> None:
    team = tmp_path / "team.toml"
    team.write_text(text, encoding="utf-8")
    result = invoke("workshop", "debrief", "loyal_fan_deleted_post", team, "-r", "2")
    assert result.exit_code == 2, result.output
    assert str(team) in result.output
    assert not (tmp_path / "debrief.html").exists()
