"""Figures as printed: the number, its hedge word, its unit and the period it is given per.

Hand-written with ``re``: quantity parsers on PyPI (quantulum3, pint) need trained data or
read only physical units, and none keeps the hedge word ("nearly", "some") as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bordergraph.draft.text import Span

HEDGES = {
    "nearly": "Nearly",
    "almost": "Almost",
    "some": "Some",
    "approximately": "Approximately",
    "about": "Approximately",
    "around": "Approximately",
    "roughly": "Approximately",
    "more than": "MoreThan",
    "over": "MoreThan",
}
_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}  # fmt: skip
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_HEDGE = (
    r"(?:(?P<hedge>[Nn]early|[Aa]lmost|[Ss]ome|[Aa]pproximately|[Aa]bout|[Aa]round|[Rr]oughly|[Mm]ore than|[Oo]ver)"
    r"\s+)?"
)
_NUMBER = (
    r"(?P<currency>(?:US|C|CA|CAN)?\$)?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(_WORDS, key=len, reverse=True))
    + r")(?P<scale>\s+(?:thousand|million|billion|trillion))?"
)
_FIGURE = re.compile(r"(?<![\w$.,/-])" + _HEDGE + _NUMBER + r"(?![\w/]|[-:]\d|\.\d|%?-)", re.IGNORECASE)
# The words that may follow a number up to its unit noun; stop words end the unit.
_UNIT_STOP = re.compile(
    r"^(?:in|of|a|an|every|per|on|to|from|at|with|by|for|that|which|who|will|are|is|were|was|be|been|cross|across|"
    r"and|or|but|daily|annually|each|the|this|these|has|have|had|serve|serves|support|supports|into|than|as)$",
    re.IGNORECASE,
)
_PERIODS = [
    (re.compile(r"\b(?:a|per|every|each)\s+day\b|\bdaily\b", re.IGNORECASE), "PerDay"),
    (re.compile(r"\b(?:a|per|every|each)\s+year\b|\bannually\b|\byearly\b", re.IGNORECASE), "PerYear"),
]
_VERB_BEFORE = re.compile(
    r"\b(?:will|would|shall|can|could|must|to)\s+(?:also\s+)?[a-z]+\b|\b(?:built|build|builds|bought|buy|hired|hire|"
    r"seized|seize|deployed|deploy|trained|train|added|add|opened|open|funded|fund|spent|spend)\b"
)
_DEFINITE = re.compile(r"\b(?:the|our|their|these|those|both|its|his|her|your|my|first|last|next)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class FigureMention:
    """A number printed with what it counts."""

    start: int
    end: int
    as_printed: str
    value: Decimal
    unit: str
    hedge: str  # a concept of bg:ApproximationScheme
    period: str | None  # a concept of bg:PeriodScheme
    clause: str  # the words after the unit, for a curator writing bg:measure


def _value(number: str, scale: str | None) -> Decimal:
    word = number.lower()
    base = Decimal(_WORDS[word]) if word in _WORDS else Decimal(number.replace(",", ""))
    if scale:
        base *= _SCALES[scale.strip().lower()]
    return base


def find_figures(text: str, sentence: Span, masked: list[Span]) -> list[FigureMention]:
    """The figures printed in one sentence; ``masked`` are stretches that are not figures (dates, phone numbers)."""
    found: list[FigureMention] = []
    words = text[sentence.start : sentence.end]
    for m in _FIGURE.finditer(words):
        start, end = sentence.start + m.start(), sentence.start + m.end()
        if any(Span(start, end).overlaps(mask) for mask in masked) or any(f.start <= start < f.end for f in found):
            continue
        number = m.group("number")
        is_word = number.lower() in _WORDS
        if is_word and ((number[0].isupper() and m.start("number") > 0) or _DEFINITE.search(words[: m.start()])):
            continue  # "our two countries", "the two governments": a reference, not a figure
        if not is_word and re.fullmatch(r"(?:1[89]|20)\d\d", number) and not m.group("scale"):
            continue  # a bare year
        hedge_word = (m.group("hedge") or "").lower()
        if hedge_word == "some" and is_word:
            continue  # "some two" is rare; "some" before a word is usually a determiner
        tail = words[m.end() :]
        unit_words: list[str] = []
        tokens = [t.group(0) for t in re.finditer(r"[A-Za-z’'.&-]+|\S", tail)]
        for i, word in enumerate(tokens):
            word = word if re.fullmatch(r"(?:[A-Z]\.)+", word) else word.rstrip(".")
            capitalised_and = word == "and" and unit_words and unit_words[-1][:1].isupper() and (
                tokens[i + 1 : i + 2] or ["x"])[0][:1].isupper()  # fmt: skip
            if m.group("currency") or re.fullmatch(r"[a-z]+ed", word):
                break  # "$2.4 billion crossed": the currency is the unit; a past tense starts the verb
            if not capitalised_and and (not re.match(r"[A-Za-z]", word) or _UNIT_STOP.match(word)):
                break
            if len(unit_words) >= 6 or (unit_words and word.endswith("ing") and word.islower()):
                break
            unit_words.append(word)
            if word != tokens[i] or re.fullmatch(r"[a-z]+[^su]s", word):
                break  # the sentence ends, or a plural noun ends the unit ("40 kites fly")
        if not unit_words and not m.group("currency"):
            continue  # a number that counts nothing named is not a figure ("number one", list labels)
        unit_end = end
        if unit_words:
            last = re.search(re.escape(unit_words[-1]), tail)
            unit_end = end + (last.end() if last else 0)
        paren = re.match(r"\s*\(([^)]{1,40})\)", text[unit_end : sentence.end])
        if paren and re.search(r"\d", paren.group(1)):
            unit_end += paren.end()  # "31,000 kilograms (31 metric tons)": one figure, restated
        rest = text[unit_end : sentence.end]
        clause = re.split(r"\b(?:which|that|who|where)\b|[;:—–]", words[: m.start()])[-1]
        if _VERB_BEFORE.search(clause):  # an object ("will build three bridges"): its clause ends at ", and"
            rest = re.split(r",\s+(?:and|but|while)\b|;", rest)[0]
        period = next((name for pattern, name in _PERIODS if pattern.search(rest)), None)
        unit = " ".join(unit_words)
        if m.group("currency"):
            unit = "dollars (currency not stated)" if m.group("currency") == "$" else f"{m.group('currency')} dollars"
        found.append(
            FigureMention(
                start=start,
                end=unit_end,
                as_printed=text[start:unit_end],
                value=_value(number, m.group("scale")),
                unit=unit,
                hedge=HEDGES.get(hedge_word, "Exact"),
                period=period,
                clause=" ".join(rest.split()[:12]),
            )
        )
    return found


_NOT_FIGURES = [
    re.compile(r"\b\d{3}[-. ]\d{3}[-. ]\d{4}\b"),  # telephone numbers
    re.compile(r"\b[A-Z]{1,3}-\d+\b"),  # Bill C-23, form I-9
    re.compile(r"\S+@\S+|\bwww\.\S+|https?://\S+"),  # addresses
    re.compile(r"\b\d{1,2}:\d\d\b(?:\s*[AP]M)?"),  # times
    re.compile(r"\b\d+(?:st|nd|rd|th)\b"),  # ordinals
]


def not_figures(text: str) -> list[Span]:
    """Stretches that hold digits but no figure: telephone numbers, bill numbers, addresses, times."""
    return [Span(m.start(), m.end()) for pattern in _NOT_FIGURES for m in pattern.finditer(text)]
