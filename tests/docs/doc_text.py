"""What a Markdown doc says in code: inline code spans, fenced blocks, links and headings, each with its line.

The docs-truth checks read claims only where the docs write them as code (a command, a path, a variable, a
target) or as a link, so prose can use the same words freely. Parsing follows CommonMark where it matters
here: a code span opens with a run of N backticks and closes at the next run of exactly N (so
``` `` a `b` `` ``` holds a backtick), may wrap lines but not cross a blank line, and fenced blocks hold no spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
BACKTICKS = re.compile(r"`+")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")


@dataclass(frozen=True)
class Doc:
    """One Markdown file: its repository-relative path and text."""

    path: str
    text: str

    @classmethod
    def read(cls, repo: Path, relative: str) -> Doc:
        return cls(relative, (repo / relative).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Code:
    """A piece of code a doc shows: an inline span or one fenced block (``lang`` set, ``block`` True)."""

    doc: str
    line: int
    text: str
    block: bool = False
    lang: str = ""

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass(frozen=True)
class Link:
    """A Markdown link ``[text](target)`` outside code."""

    doc: str
    line: int
    target: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass(frozen=True)
class Heading:
    """A heading and the anchor GitHub gives it."""

    doc: str
    line: int
    title: str
    anchor: str


def _fenced(doc: Doc) -> list[tuple[int, int, str, str]]:
    """(opening line index, closing line index, language, body) of every fenced block."""
    found: list[tuple[int, int, str, str]] = []
    lines = doc.text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening.group(1)
        end = index + 1
        while end < len(lines) and not lines[end].lstrip().startswith(fence):
            end += 1
        found.append((index, end, opening.group(2), "\n".join(lines[index + 1 : end])))
        index = end + 1
    return found


def blocks(doc: Doc) -> list[Code]:
    """Every fenced code block; ``line`` is the line of the opening fence."""
    return [Code(doc.path, start + 1, body, block=True, lang=lang) for start, _, lang, body in _fenced(doc)]


def prose(doc: Doc) -> str:
    """The text with every fenced block (fences included) blanked, so line numbers stay true."""
    lines = doc.text.splitlines()
    for start, end, _, _ in _fenced(doc):
        for index in range(start, min(end + 1, len(lines))):
            lines[index] = ""
    return "\n".join(lines)


def spans(doc: Doc) -> list[Code]:
    """Every inline code span outside fenced blocks, content stripped of one surrounding space."""
    text = prose(doc)
    found: list[Code] = []
    for opening, closing in _span_runs(text):
        content = text[opening.end() : closing].replace("\n", " ")
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        found.append(Code(doc.path, text.count("\n", 0, opening.start()) + 1, content))
    return found


def _span_runs(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """(opening backtick run, start of its closing run) of every code span in ``text``, in order."""
    position = 0
    while opening := BACKTICKS.search(text, position):
        closing = _closing_run(text, opening.end(), len(opening.group(0)))
        if closing is None:
            position = opening.end()
            continue
        yield opening, closing
        position = closing + len(opening.group(0))


def _closing_run(text: str, start: int, length: int) -> int | None:
    """Start of the next backtick run of exactly ``length`` before the paragraph ends, if any."""
    paragraph_end = text.find("\n\n", start)
    limit = len(text) if paragraph_end == -1 else paragraph_end
    for candidate in BACKTICKS.finditer(text, start, limit):
        if len(candidate.group(0)) == length:
            return candidate.start()
    return None


def links(doc: Doc) -> list[Link]:
    """Every link outside code (spans blanked, so a bracket inside code is not a link)."""
    blanked = _blank_spans(prose(doc))
    return [
        Link(doc.path, blanked.count("\n", 0, match.start()) + 1, match.group("target"))
        for match in LINK.finditer(blanked)
    ]


def _blank_spans(text: str) -> str:
    """The text with the content of each code span replaced by spaces (newlines kept)."""
    out = list(text)
    for opening, closing in _span_runs(text):
        for index in range(opening.start(), closing + len(opening.group(0))):
            if out[index] != "\n":
                out[index] = " "
    return "".join(out)


def headings(doc: Doc) -> list[Heading]:
    """Every ATX heading outside fenced blocks, with GitHub's anchor (duplicates get ``-1``, ``-2`` ...)."""
    seen: dict[str, int] = {}
    found: list[Heading] = []
    for number, line in enumerate(prose(doc).splitlines(), start=1):
        match = HEADING.match(line)
        if not match:
            continue
        base = anchor_of(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.append(Heading(doc.path, number, match.group(2), base if count == 0 else f"{base}-{count}"))
    return found


def anchor_of(title: str) -> str:
    """GitHub's heading anchor: lowercase, markup and punctuation dropped (``-`` and ``_`` kept), spaces → ``-``."""
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).replace("`", "")
    return re.sub(r"[^\w\- ]", "", plain.strip().lower()).replace(" ", "-")


def code(doc: Doc) -> Iterator[Code]:
    """Spans, then blocks: every piece of code the doc shows."""
    yield from spans(doc)
    yield from blocks(doc)
