"""Dates as printed: full, partial and relative, resolved only against the source's own date.

Written by hand with ``re``: the date parsers on PyPI (dateutil, dateparser) either guess the
missing parts of a partial date (a year for "March 10") or read "today" from the clock, and
both are exactly what the curation rules forbid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"  # fmt: skip
_WEEKDAY = r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_PREP = r"(?P<prep>(?:[Oo]n|[Ii]n|[Oo]f|[Bb]y|[Ss]ince|[Uu]ntil|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter)\s+)?"

# Most specific first; each pattern names the parts it reads.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd", re.compile(r"\b" + _PREP + r"(?P<iso>(?P<year>(?:1[89]|20)\d\d)-(?P<mm>[01]\d)-(?P<dd>[0-3]\d))\b")),
    ("mdy-num", re.compile(r"\b" + _PREP + r"(?P<mm>[01]?\d)/(?P<dd>[0-3]?\d)/" + _YEAR + r"\b")),
    ("mdy", re.compile(r"\b" + _PREP + _WEEKDAY + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + r"\b")),
    ("dmy", re.compile(r"\b" + _PREP + _WEEKDAY + _DAY + r"\s+" + _MONTH + r",?\s+" + _YEAR + r"\b")),
    ("my", re.compile(r"\b" + _PREP + _MONTH + r",?\s+" + _YEAR + r"\b")),
    ("md", re.compile(r"\b" + _PREP + _MONTH + r"\s+" + _DAY + r"\b(?!,?\s+(?:1[89]|20)\d\d)")),
    ("m-poss", re.compile(r"\b" + _MONTH + r"['’]s\b")),
    (
        "m",
        re.compile(
            r"\b(?P<prep>(?:[Ii]n|[Ss]ince|[Uu]ntil|[Dd]uring|[Bb]y)\s+)(?:early\s+|late\s+|mid-)?"
            + _MONTH
            + r"\b(?!\s+[0-3]?\d\b)"
        ),
    ),
    (
        "y",
        re.compile(
            r"\b"
            + r"(?P<prep>(?:[Ii]n|[Ss]ince|[Uu]ntil|[Dd]uring|[Bb]y|[Oo]f|[Ff]rom|[Bb]efore|[Aa]fter)\s+)"
            + r"(?:early\s+|late\s+|mid-)?"
            + _YEAR
            + r"\b(?![-/]\d)"
        ),
    ),
    ("rel", re.compile(r"\b(?P<rel>[Tt]oday|[Yy]esterday|[Tt]omorrow)(?P<poss>['’]s)?\b")),
]
# Vague time words: kept as printed, with no value (bg:DateNotStated).
_VAGUE = re.compile(
    r"\b(?:in the coming (?:days|weeks|months|years)|later this (?:week|month|summer|spring|fall|autumn|winter|year)|"
    r"earlier this (?:week|month|year)|next (?:week|month|year)|last (?:week|month|year)|recently)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """One date printed in a text: where, the words, and the XSD value it allows (or none)."""

    start: int
    end: int
    as_stated: str
    value: str | None  # lexical form: 2017-03-10, 2016-03, --03-10, --01, 2011
    datatype: str | None  # xsd local name: date, gYearMonth, gMonthDay, gMonth, gYear
    relative: bool = False  # "today", "yesterday": read against the source's own date
    since: bool = False  # "since 1952": a starting point, not the date of an event
    deadline: bool = False  # "by 2033", "until June": a limit, not the date of an event

    @property
    def status(self) -> str:
        """The bg:dateStatus this mention supports."""
        if self.value is None:
            return "DateNotStated"
        return "DateStated" if self.datatype == "date" else "DatePartial"


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _value(kind: str, m: re.Match[str], issued: dt.date | None) -> tuple[str | None, str | None]:
    g = m.groupdict()
    if kind == "ymd" or kind == "mdy-num":
        year, month, day = int(g["year"]), int(g["mm"]), int(g["dd"])
        return (f"{year:04d}-{month:02d}-{day:02d}", "date") if _valid(year, month, day) else (None, None)
    if kind in ("mdy", "dmy"):
        year, month, day = int(g["year"]), _month(g["month"]), int(g["day"])
        return (f"{year:04d}-{month:02d}-{day:02d}", "date") if _valid(year, month, day) else (None, None)
    if kind == "my":
        return f"{int(g['year']):04d}-{_month(g['month']):02d}", "gYearMonth"
    if kind == "md":
        month, day = _month(g["month"]), int(g["day"])
        return (f"--{month:02d}-{day:02d}", "gMonthDay") if _valid(2000, month, day) else (None, None)
    if kind in ("m", "m-poss"):
        return f"--{_month(g['month']):02d}", "gMonth"
    if kind == "y":
        return g["year"], "gYear"
    # relative: only against the source's own printed date, never the clock
    if issued is None:
        return None, None
    shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["rel"].lower()]
    return (issued + dt.timedelta(days=shift)).isoformat(), "date"


def find_dates(text: str, issued: dt.date | None = None) -> list[DateMention]:
    """Every date printed in ``text``, longest reading first, no two overlapping.

    ``issued`` is the source's own printed date; "today" and "yesterday" resolve against it
    and stay without a value when it is not known.
    """
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if not free(start, end):
                continue
            if kind == "md" and m.group("day") and len(m.group("day")) > 2:
                continue
            value, datatype = _value(kind, m, issued)
            if value is None and kind != "rel":
                continue
            prep = (m.groupdict().get("prep") or "").strip().lower()
            taken.append((start, end))
            found.append(
                DateMention(
                    start=start,
                    end=end,
                    as_stated=text[start:end],
                    value=value,
                    datatype=datatype,
                    relative=kind == "rel",
                    since=prep == "since",
                    deadline=prep in ("by", "until"),
                )
            )
    for m in _VAGUE.finditer(text):
        if free(*m.span()):
            taken.append(m.span())
            found.append(DateMention(m.start(), m.end(), m.group(0), None, None))
    return sorted(found, key=lambda d: d.start)


def parse_date(words: str) -> tuple[str, str] | None:
    """Read a date given alone ("2017-03-10", "March 10, 2017", "2016-03"): (lexical value, XSD type)."""
    words = words.strip()
    for mention in find_dates(words):
        if mention.start == 0 and mention.end == len(words) and mention.value and mention.datatype:
            return mention.value, mention.datatype
    iso = re.fullmatch(r"((?:1[89]|20)\d\d)(?:-([01]\d))?", words)
    if iso:
        return (words, "gYearMonth") if iso.group(2) else (words, "gYear")
    return None
