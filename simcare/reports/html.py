"""Self-contained HTML pages: escaped text, inline SVG charts and one stylesheet, no scripts.

Every page simcare writes (the report, the workshop handout and debrief) is built from these
pieces, so escaping happens in one place: every function that takes text escapes it, and only
`Html` values (already safe markup) pass through unchanged. Pages load nothing from the
network and need no JavaScript; they print on A4 or Letter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

__all__ = [
    "Html",
    "definition_list",
    "escape",
    "figure",
    "figures",
    "inline_svg",
    "join",
    "page",
    "paragraphs",
    "table",
    "tag",
]


class Html(str):
    """Markup that is already safe: it is inserted into a page as it is."""

    __slots__ = ()


def escape(content: str | Html) -> Html:
    """Escape text for HTML (quotes included); markup already built passes through."""
    if isinstance(content, Html):
        return content
    return Html(html.escape(str(content), quote=True))


def join(parts: Iterable[str | Html], separator: str = "\n") -> Html:
    """Escape each part that is text and join them."""
    return Html(separator.join(escape(part) for part in parts))


def tag(name: str, content: str | Html = "", **attributes: str) -> Html:
    """``<name attributes>content</name>``; attribute values and text content are escaped.

    An attribute ``class_`` is written ``class`` (a Python keyword otherwise).
    """
    attrs = "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape(value)}"'
        for key, value in attributes.items()
    )
    return Html(f"<{name}{attrs}>{escape(content)}</{name}>")


_CODE = re.compile(r"`([^`]+)`")


# A run of characters with no line-break opportunity of its own between blanks, holding a
# digit: "−$2.67M", "±$57.5k", "(95%", "Δ\u00a0+9.7". (Not \S: it would stop at the no-break
# space that ties "Δ" to its number.)
_FIGURE = re.compile(r"(?<![^ \t\n])[^ \t\n]*\d[^ \t\n]*")


def figures(text: str) -> Html:
    """Escaped text whose numbers never break across lines: "−" and "$2.6M" stay together.

    Browsers may break after a sign or currency symbol ("−" / "$2.67M"), so each number, with
    whatever is attached to it, goes in a no-wrap span; "Δ" is tied to the number after it.
    A line may still break at the blank between a mean and its "±half-width".
    """
    escaped = escape(text.replace("Δ ", "Δ\u00a0"))
    return Html(_FIGURE.sub(lambda match: f'<span class="nowrap">{match.group(0)}</span>', escaped))


def paragraphs(text: str) -> Html:
    """Text with blank lines between paragraphs as ``<p>`` elements; `code` in backticks.

    Line breaks inside a paragraph are joined, as a TOML multi-line string wraps them.
    """
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip())]
    return join(tag("p", inline(block)) for block in blocks if block)


def inline(text: str) -> Html:
    """Escaped text with `backticked` spans as ``<code>``."""
    escaped = escape(text)
    return Html(_CODE.sub(lambda match: f"<code>{match.group(1)}</code>", escaped))


def table(
    headers: Sequence[str | Html],
    rows: Iterable[Sequence[str | Html]],
    numeric_from: int = 1,
    caption: str | Html | None = None,
) -> Html:
    """A table; columns from ``numeric_from`` on are right-aligned (numbers)."""

    def cells(row: Sequence[str | Html], name: str) -> Html:
        return join(
            tag(name, cell, class_="num") if k >= numeric_from else tag(name, cell)
            for k, cell in enumerate(row)
        )

    head = tag("thead", tag("tr", cells(headers, "th")))
    body = tag("tbody", join(tag("tr", cells(row, "td")) for row in rows))
    title = tag("caption", caption) if caption is not None else Html("")
    return tag("table", join([title, head, body]))


def definition_list(items: Iterable[tuple[str, str | Html]]) -> Html:
    """Terms and their descriptions (``<dl>``)."""
    return tag("dl", join(join([tag("dt", term), tag("dd", value)]) for term, value in items))


_SVG_START = re.compile(r"<svg\b[^>]*>", re.S)
_SVG_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str, label: str) -> Html:
    """An SVG file's ``<svg>`` element, ready to place in a page.

    Drops the XML prolog and the fixed size (the page's CSS scales it), prefixes every id with
    ``prefix`` so that two charts on one page cannot share one (matplotlib names clip paths
    and glyphs by their content, so two charts often do), and labels it for screen readers.
    """
    start = _SVG_START.search(svg)
    if start is None:
        raise ValueError("not an SVG document: no <svg> element")
    body = svg[start.start() :]
    ids = set(_ID.findall(body))

    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    # References are id="x", href="#x" / xlink:href="#x" and url(#x).
    body = re.sub(r'(\bid=")([^"]+)(?=")', rename, body)
    body = re.sub(r'(href="#)([^"]+)(?=")', rename, body)
    body = re.sub(r"(url\(#)([^)]+)(?=\))", rename, body)
    opening = _SVG_START.match(body)
    assert opening is not None  # found above
    root = _SVG_SIZE.sub("", opening.group(0))
    root = root[:-1] + f' role="img" aria-label="{escape(label)}">'
    return Html(root + body[opening.end() :].rstrip())


def figure(svg: Html, caption: str | Html) -> Html:
    """A chart with its caption."""
    return tag("figure", join([svg, tag("figcaption", caption)]))


_STYLE = """
:root { color-scheme: light; --ink: #1a1a1a; --muted: #5a5a5a; --rule: #d0d0d0;
  --better: #0072B2; --worse: #D55E00; --band: #f4f4f4; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 68rem; padding: 2rem 1.5rem 4rem; color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
p, li { max-width: 46rem; }
.subtitle { color: var(--muted); margin: 0 0 1.5rem; }
code { font: .9em ui-monospace, "DejaVu Sans Mono", monospace; background: var(--band);
  padding: 0 .2em; border-radius: 3px; }
pre { font: .85rem/1.45 ui-monospace, "DejaVu Sans Mono", monospace; background: var(--band);
  padding: .75rem 1rem; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; color: var(--muted); padding-bottom: .35rem; }
th, td { padding: .3rem .45rem; border-bottom: 1px solid var(--rule); vertical-align: top;
  text-align: left; }
th { border-bottom: 2px solid var(--ink); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
.wide { overflow-x: auto; }
.nowrap { white-space: nowrap; }
.small { font-size: .85rem; color: var(--muted); }
.better { color: var(--better); font-weight: 600; }
.worse { color: var(--worse); font-weight: 600; }
.close { color: var(--muted); }
.baseline { color: var(--muted); font-style: italic; }
.verdicts li { margin-bottom: .5rem; }
figure { margin: 1.5rem 0; break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .25rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .9rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: 1rem 1.25rem;
  margin: 1rem 0; break-inside: avoid; }
.write-in { border-bottom: 1px solid var(--muted); min-height: 2rem; margin: .25rem 0 1rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  .page-break { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(title: str, body: Html, lang: str = "en", extra_css: str = "") -> str:
    """A complete HTML document: the title, the stylesheet and the body, nothing else loaded.

    ``extra_css`` is appended to the shared stylesheet, for rules only one kind of page needs;
    it is the caller's own text, never the user's (a stylesheet is not escaped).
    """
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Nothing on the page may load from elsewhere, even if a chart or text tried to.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{escape(title)}</title>\n<style>{_STYLE}{extra_css}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
