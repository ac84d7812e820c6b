"""Finding verbatim words in an archived source: occurrences, context, and the closest passage.

Offsets count Unicode code points of the decoded text (Python ``str`` indexes), as ``oa:start`` and
``oa:end`` do. Written by hand: no maintained library locates a near-miss quote and explains the
difference in a curator's terms (``difflib`` does the alignment).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

# How many code points of text before and after a quote go into oa:prefix and oa:suffix
# (the W3C TextQuoteSelector's disambiguating context; 32 is what Hypothesis uses).
CONTEXT = 32

# Look-alike characters a curator may type for what a source prints (or the reverse).
_LOOKALIKE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)


def occurrences(text: str, exact: str) -> list[int]:
    """Every start offset of ``exact`` in ``text``, overlapping ones included, in order."""
    found: list[int] = []
    if not exact:
        return found
    start = text.find(exact)
    while start != -1:
        found.append(start)
        start = text.find(exact, start + 1)
    return found


def prefix_suffix(text: str, start: int, end: int, width: int = CONTEXT) -> tuple[str, str]:
    """The ``width`` code points before ``start`` and after ``end`` (fewer at either end of the text)."""
    return text[max(0, start - width) : start], text[end : end + width]


def context(text: str, start: int, end: int, width: int = 25) -> str:
    """The words around an occurrence on one line, the occurrence in [brackets], for a report."""
    before, after = prefix_suffix(text, start, end, width)
    one_line = " ".join
    return (
        ("…" if start - width > 0 else "")
        + one_line(before.split())
        + (" " if before[-1:].isspace() else "")
        + "["
        + one_line(text[start:end].split())
        + "]"
        + (" " if after[:1].isspace() else "")
        + one_line(after.split())
        + ("…" if end + width < len(text) else "")
    )


def short(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for one report line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class NearMiss:
    """The passage of a source closest to a quote that is not in it, and how the two differ."""

    start: int
    end: int
    passage: str
    differences: list[str]

    def explain(self) -> str:
        """One sentence for a report: where the closest passage is and what differs."""
        diffs = "; ".join(self.differences[:3]) + (" …" if len(self.differences) > 3 else "")
        return f'closest passage at oa:start {self.start} ; oa:end {self.end}: "{short(self.passage, 80)}"' + (
            f" (differs: {diffs})" if diffs else ""
        )


def _describe(quote: str, passage: str) -> list[str]:
    matcher = difflib.SequenceMatcher(None, passage, quote, autojunk=False)
    out = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        source, typed = passage[i1:i2], quote[j1:j2]
        if op == "replace":
            out.append(f"the source has {source!r} where the quote has {typed!r}")
        elif op == "delete":
            out.append(f"the source has {source!r} that the quote leaves out")
        else:
            out.append(f"the quote has {typed!r} that the source does not")
    return out


def closest(text: str, quote: str) -> NearMiss | None:
    """The passage of ``text`` most like ``quote``, or None when nothing is alike at all.

    First look-alike characters (curly vs straight quotes, dashes, non-breaking spaces) and case are
    ignored; failing that, the longest common run anchors a window the length of the quote.
    """
    if not quote or not text:
        return None
    folded_text, folded_quote = text.translate(_LOOKALIKE).casefold(), quote.translate(_LOOKALIKE).casefold()
    if len(folded_text) == len(text) and len(folded_quote) == len(quote):  # casefold kept the lengths
        start = folded_text.find(folded_quote)
        if start != -1:
            passage = text[start : start + len(quote)]
            return NearMiss(start, start + len(quote), passage, _describe(quote, passage))
    matcher = difflib.SequenceMatcher(None, text, quote, autojunk=False)
    match = matcher.find_longest_match(0, len(text), 0, len(quote))
    if match.size < min(8, len(quote)):
        return None
    start = max(0, match.a - match.b)
    end = min(len(text), start + len(quote))
    passage = text[start:end]
    return NearMiss(start, end, passage, _describe(quote, passage))
