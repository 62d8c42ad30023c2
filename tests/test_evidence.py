"""The evidence ships with the code: docs/evidence.md exists and every citation of it resolves.

Scenario files, the README, code and tests cite the evidence as ``docs/evidence.md, "Staff cost"``;
these checks keep each citation pointing at a section that exists, and keep anyone from citing
the old calibration notes, which are not in the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EVIDENCE = ROOT / "docs" / "evidence.md"

SECTIONS = [
    "Who complains, and what they tell",
    "Repurchase after a complaint",
    "The recovery paradox",
    "Expected response times",
    "Replying in public",
    "Deleting complaints",
    "How posts spread",
    "Customers, churn and value",
    "Staff cost",
    "Case figures",
    "Contact-centre definitions",
    "Erlang checks",
    "Defaults and where they come from",
    "Plausible ranges",
    "References",
]
"""The sections, in order: other files cite them by name, so a renamed one breaks citations."""

# The notes the evidence was written from (not shipped), by file name or by section mark (§).
OLD_NOTES = re.compile(rb"calibration(\.md|\s+\xc2\xa7)")
# docs/evidence.md, "Staff cost" — in TOML basic strings the quotes are escaped (\").
CITATION = re.compile(r'docs/evidence\.md,\s+\\?"(?P<section>[^"\\]+)\\?"')
# A relative path to a Markdown file, as a link target or in code: not part of a URL.
MARKDOWN_PATH = re.compile(r"(?<![\w/.:-])(?P<path>(?:[\w.-]+/)*[\w.-]+\.md)\b")

# The lead is rewriting these modules' docstrings (issue 16); each still names the old notes.
# Remove a file from here once it no longer does: the check below says when.
STILL_CITING_OLD_NOTES: set[str] = set()
THIS_FILE = Path(__file__).relative_to(ROOT).as_posix()  # names the old notes in its checks


def _tracked_files() -> list[str]:
    """Files git tracks in the repository (the test needs a checkout)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in listed.decode().split("\0") if name]


def _text_files() -> dict[str, str]:
    """Every tracked file that is UTF-8 text, by path."""
    texts = {}
    for name in _tracked_files():
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # images
            continue
    return texts


def _headings() -> list[str]:
    return re.findall(r"^## (.+)$", EVIDENCE.read_text(encoding="utf-8"), flags=re.MULTILINE)


def test_evidence_has_the_sections_others_cite() -> None:
    assert _headings() == SECTIONS


def test_no_tracked_file_cites_the_old_notes() -> None:
    citing = {
        name
        for name in _tracked_files()
        if name != THIS_FILE
        and (ROOT / name).is_file()
        and OLD_NOTES.search((ROOT / name).read_bytes())
    }
    assert citing - STILL_CITING_OLD_NOTES == set(), "cite docs/evidence.md by section instead"
    assert STILL_CITING_OLD_NOTES - citing == set(), "no longer cites them: remove from the list"


def test_every_citation_names_a_section_that_exists() -> None:
    sections = set(_headings())
    cited: dict[str, set[str]] = {}
    for name, text in _text_files().items():
        for match in CITATION.finditer(text):
            cited.setdefault(name, set()).add(match["section"])
    unknown = {name: sorted(names - sections) for name, names in cited.items() if names - sections}
    assert unknown == {}
    # The pattern finds what it must: every case cites the evidence in its [sources].
    cases = {f"scenarios/{path.name}" for path in (ROOT / "scenarios").glob("*.toml")}
    assert cases
    assert cases <= set(cited)


def test_every_markdown_file_the_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = {match["path"] for match in MARKDOWN_PATH.finditer(readme)}
    assert "docs/evidence.md" in named
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_the_patterns_tell_a_citation_from_a_near_miss() -> None:
    """The checks above are only as good as their patterns."""
    assert CITATION.search('docs/evidence.md, "Staff cost": $40')["section"] == "Staff cost"
    assert CITATION.search(r'"docs/evidence.md, \"Staff cost\": $40"')["section"] == "Staff cost"
    assert CITATION.search("docs/evidence.md (Staff cost)") is None
    assert OLD_NOTES.search(b"see calibration.md")
    assert OLD_NOTES.search("calibration §6".encode())
    assert OLD_NOTES.search(b"a calibration source") is None
    paths = {m["path"] for m in MARKDOWN_PATH.finditer("[a](docs/a.md) `B.md` https://x.org/c.md")}
    assert paths == {"docs/a.md", "B.md"}
