"""Paragraphs, sentences and datelines with code-point offsets into the source text.

Hand-written with ``re``: sentence splitters on PyPI either need model downloads (spaCy,
stanza, NLTK's punkt data) or do not keep offsets; press releases need only a few rules
(abbreviations such as "U.S." and "D.C.", initials, quotation marks around a full stop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Same-length replacements, so that offsets found in the folded text are offsets in the source.
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def fold(text: str) -> str:
    """Typographic quotes and dashes as ASCII, one character for one (offsets stay valid)."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Span:
    """A stretch of the source: ``text[start:end]``."""

    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        """True when the two stretches share at least one character."""
        return self.start < other.end and other.start < self.end

    def inside(self, other: Span) -> bool:
        """True when this stretch lies within ``other``."""
        return other.start <= self.start and self.end <= other.end


@dataclass(frozen=True)
class Sentence(Span):
    """One sentence (or heading line) and the paragraph it sits in."""

    paragraph: int


_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){2,}|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|No|Inc|Ltd|Co|Gen|Lt|Sgt|Hon|Rev|Prof|Jan|Feb|Mar|Apr|Jun|Jul|"
    r"Aug|Sept|Sep|Oct|Nov|Dec|e\.g|i\.e|etc|vs)\.|\b[A-Z]\.)$"
)
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])|[.!?]+[\"')\]]*$")
# "WASHINGTON—", "Washington, D.C. - ", "Ottawa, Canada - - (March 10, 2017) - - " at the start of a paragraph.
_SEP = r"(?:\s*[—–]\s*|\s+-(?:\s*-)?\s+)"
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Za-z.]*(?:[ ,]+[A-Z][A-Za-z.]*){0,3})" + _SEP
    + r"(?:\((?P<date>[^)]{4,40})\)" + _SEP
    + r"|(?P<bare>(?:[A-Z][a-z]{2,8}\.? [0-3]?\d, (?:19|20)\d\d|[0-3]?\d [A-Z][a-z]{2,8} (?:19|20)\d\d))" + _SEP
    + r")?(?=[A-Z])"
)  # fmt: skip


def paragraphs(text: str) -> list[Span]:
    """Stretches between blank lines, and single lines that look like separate items (bullets, headings)."""
    spans: list[Span] = []
    for block in re.finditer(r"(?:[^\n]|\n(?!\s*\n))+", text):
        start, end = block.span()
        chunk = text[start:end]
        lines = list(re.finditer(r"[^\n]+", chunk))
        # A block of short lines without sentence punctuation (menus, contact blocks) stays line by line.
        if len(lines) > 1 and not all(line.group(0).rstrip().endswith((".", ",", ";", ":")) for line in lines[:-1]):
            for line in lines:
                s, e = start + line.start(), start + line.end()
                if text[s:e].strip():
                    spans.append(_trim(text, s, e))
            continue
        if chunk.strip():
            spans.append(_trim(text, start, end))
    return spans


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start] in " \t\r\n•":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end)


def dateline(text: str, paragraph: Span) -> tuple[Span, Span | None, Span | None] | None:
    """The dateline at the start of a paragraph: (whole dateline, place words, date words), if there is one."""
    m = _DATELINE.match(text, paragraph.start, paragraph.end)
    if not m:
        return None
    place = Span(m.start("place"), m.end("place"))
    words = text[place.start : place.end]
    if len(words.split()) > 4 or words.lower().startswith(("the ", "a ")):
        return None
    group = "date" if m.group("date") else "bare"
    date = Span(m.start(group), m.end(group)) if m.group(group) else None
    return Span(m.start(), m.end()), place, date


def sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets, paragraph by paragraph; a dateline is not part of the first sentence."""
    out: list[Sentence] = []
    raw, text = text, fold(text)
    for number, para in enumerate(paragraphs(text)):
        start = para.start
        found = dateline(raw, para)
        if found is not None:
            start = found[0].end
        cursor = start
        for m in _BOUNDARY.finditer(text, start, para.end):
            head = text[cursor : m.start() + 1]
            if _ABBREVIATION.search(head) and m.group(0).startswith(".") and len(m.group(0)) == 1:
                continue
            out.append(Sentence(cursor, m.end(), number))
            cursor = m.end()
            while cursor < para.end and text[cursor].isspace():
                cursor += 1
        if cursor < para.end and text[cursor : para.end].strip():
            out.append(Sentence(cursor, para.end, number))
    return out


def chrome(text: str, found: list[Sentence], run: int = 3) -> set[Sentence]:
    """Lines that look like page chrome: runs of short lines without sentence punctuation (menus, contact blocks).

    A guess for the curator (the draft marks them and proposes nothing from them), not a rule of the data.
    """
    by_paragraph: dict[int, list[Sentence]] = {}
    for sentence in found:
        by_paragraph.setdefault(sentence.paragraph, []).append(sentence)
    short: list[int] = []
    for number, parts in sorted(by_paragraph.items()):
        words = " ".join(text[s.start : s.end] for s in parts)
        link = re.fullmatch(r"\[[^\]]*\]\([^)]*\)", words.strip()) is not None
        if link or (len(parts) == 1 and len(words.split()) <= 8 and not re.search(r"[.!?\"”]$", words.strip())):
            short.append(number)
    marked: set[int] = set()
    start = 0
    for i in range(1, len(short) + 1):
        if i == len(short) or short[i] != short[i - 1] + 1:
            if i - start >= run:
                marked.update(short[start:i])
            start = i
    return {s for s in found if s.paragraph in marked}
