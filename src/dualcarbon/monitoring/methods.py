"""The published accounting methods (``docs/methods.md``) as a public page and as the outline the public
statistics link to.

The document is the one the engine implements (formulas, standards, worked examples); it is rendered with
markdown-it-py (CommonMark with tables; raw HTML in the source is escaped, never passed through) and every
heading gets a stable anchor so the statistics page can link to each section.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

METHODS_DOC = Path(__file__).resolve().parents[3] / "docs" / "methods.md"

#: "1. Total emissions (排放总量) per GB/T 32150-2015" → number, English words, Chinese name in brackets
_NUMBERED = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<rest>.+)$")
_ZH_IN_BRACKETS = re.compile(r"\s*[（(](?P<zh>[^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]")


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str  # the heading as written (English with the Chinese term in brackets)
    number: str  # "1", "5.1" or ""
    zh: str  # the Chinese term the heading names ("排放总量"), "" if none
    en: str  # the heading without its number and its Chinese term

    def label(self, chinese: bool) -> str:
        """The heading for a reader: in Chinese its Chinese term first, the English title beside it."""
        prefix = f"{self.number} " if self.number else ""
        if chinese and self.zh:
            return f"{prefix}{self.zh}（{self.en}）"
        return f"{prefix}{self.en}" if self.number else self.text


def _slug(text: str, seen: dict[str, int]) -> str:
    base = re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "section"
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n + 1}"


def _heading(level: int, text: str, seen: dict[str, int]) -> Heading:
    number, rest = "", text
    m = _NUMBERED.match(text)
    if m:
        number, rest = m["num"], m["rest"]
    zh_match = _ZH_IN_BRACKETS.search(rest)
    zh = zh_match["zh"].strip() if zh_match else ""
    en = _ZH_IN_BRACKETS.sub("", rest, count=1).strip() if zh_match else rest
    return Heading(level, _slug(f"{number} {en}", seen), text, number, zh, en)


@dataclass(frozen=True)
class Document:
    html: str
    headings: tuple[Heading, ...]

    def outline(self, max_level: int = 2) -> list[Heading]:
        """The numbered sections (level 2: § 0 … § n), the statistics page's table of contents."""
        return [h for h in self.headings if 2 <= h.level <= max_level]


def render(source: str) -> Document:
    """Render the methods document: HTML with an id on every heading, and the headings in order."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(source)
    seen: dict[str, int] = {}
    headings: list[Heading] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            heading = _heading(int(token.tag[1]), tokens[i + 1].content.strip(), seen)
            token.attrSet("id", heading.anchor)
            headings.append(heading)
        elif token.type == "table_open":
            token.attrSet("class", "table compact")
    return Document(md.renderer.render(tokens, md.options, {}), tuple(headings))


@functools.cache
def _cached(mtime_ns: int) -> Document:
    return render(METHODS_DOC.read_text(encoding="utf-8"))


def document() -> Document:
    """The methods document as shipped with the platform (re-read when the file changes); empty if absent."""
    try:
        return _cached(METHODS_DOC.stat().st_mtime_ns)
    except OSError:
        return Document("", ())
