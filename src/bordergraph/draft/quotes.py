"""Quotations and who the text says spoke them ("…,” said Secretary Nielsen; “- Name, Title” lines)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bordergraph.draft.gazetteer import PERSON, Mention
from bordergraph.draft.text import Span, paragraphs, sentences

_SAY = r"(?:said|says|added|stated|noted|explained|continued|remarked|declared)"
_AFTER_SAID_WHO = re.compile(r"\s*,?\s*" + _SAY + r"\s+(?P<who>[^.,;:\n\"“”]{2,80})")
_AFTER_WHO_SAID = re.compile(r"\s*,?\s*(?P<who>[^.,;:\n\"“”]{2,80}?)\s+" + _SAY + r"\b")
_BEFORE = re.compile(r"(?P<who>[^.;\n\"“”]{2,120}?)\s+" + _SAY + r"\s*[:,]?\s*$")
_INTRO = re.compile(
    r"(?:the following (?:joint )?statement|(?:said|stated|declared)\s*):\s*$|following statement\.\s*$"
)
_MIN_WORDS = 6  # shorter quoted words are titles or scare quotes ("Shared Vision")


@dataclass
class QuoteMention:
    """Words printed between quotation marks, and their speakers when the text names them."""

    start: int  # first character inside the marks
    end: int  # the closing mark (exclusive end of the words)
    speakers: list[Mention] = field(default_factory=list)
    attribution: Span | None = None  # the words that name the speaker
    rule: str = ""  # which pattern named the speaker


def _pairs(text: str) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    open_at: int | None = None
    for m in re.finditer(r"[“”\"]", text):
        mark = m.group(0)
        if mark == "“":
            if open_at is None:
                open_at = m.start()
            continue  # a paragraph of a long quotation opens again without closing the one before
        if mark == "”":
            if open_at is not None:
                pairs.append((open_at, m.start()))
                open_at = None
            continue
        if open_at is None:
            open_at = m.start()
        else:
            pairs.append((open_at, m.start()))
            open_at = None
    return pairs


def _people(mentions: list[Mention], span: Span) -> list[Mention]:
    seen: dict[str, Mention] = {}
    for mention in mentions:
        if mention.kind == PERSON and Span(mention.start, mention.end).inside(span):
            seen.setdefault(str(mention.iri), mention)
    return list(seen.values())


def find_quotes(text: str, mentions: list[Mention]) -> list[QuoteMention]:
    """Quotations of at least a few words, with speakers resolved through the mentions."""
    paras = paragraphs(text)
    all_sentences = sentences(text)

    def para_of(pos: int) -> int:
        return next((i for i, p in enumerate(paras) if p.start <= pos <= p.end), -1)

    quotes: list[QuoteMention] = []
    for open_at, close_at in _pairs(text):
        words = text[open_at + 1 : close_at]
        if len(words.split()) < _MIN_WORDS:
            continue
        quote = QuoteMention(open_at + 1, close_at)
        para = para_of(close_at)
        para_end = paras[para].end if para >= 0 else len(text)
        after = text[close_at + 1 : para_end]
        first_para = para_of(open_at)
        before = text[paras[first_para].start if first_para >= 0 else 0 : open_at]
        for pattern, where, base in (
            (_AFTER_SAID_WHO, after, close_at + 1),
            (_AFTER_WHO_SAID, after, close_at + 1),
        ):
            m = pattern.match(where)
            if m:
                span = Span(base + m.start("who"), base + m.end("who"))
                people = _people(mentions, span)
                if people:
                    quote.speakers, quote.attribution, quote.rule = people, span, "said"
                    break
        if not quote.speakers:
            m = _BEFORE.search(before)
            if m:
                base = open_at - len(before)
                span = Span(base + m.start("who"), base + m.end("who"))
                people = _people(mentions, span)
                if people:
                    quote.speakers, quote.attribution, quote.rule = people, span, "said"
        previous = quotes[-1] if quotes else None
        said = previous.attribution if previous is not None and previous.rule == "said" else None
        if not quote.speakers and previous is not None and said is not None:
            between = text[previous.end + 1 : open_at]
            if (
                said.start > previous.end and para_of(previous.end) == first_para and re.fullmatch(r"[^“”\"]*", between)
            ):  # “…,” said X. “…”: the second part is X's too
                quote.speakers, quote.attribution, quote.rule = previous.speakers, previous.attribution, "continued"
        if para + 1 < len(paras):
            line = paras[para + 1]
            m = re.match(r"[-–—]\s*(?P<who>[^\n]{2,200})", text[line.start : line.end])
            if m:
                span = Span(line.start + m.start("who"), line.end)
                people = _people(mentions, span)
                if people and not quote.speakers:
                    quote.speakers, quote.attribution, quote.rule = people, span, "signature line"
        if not quote.speakers and first_para > 0:
            intro = paras[first_para - 1]
            last = next((s for s in reversed(all_sentences) if s.start < intro.end), None)
            if last is not None and _INTRO.search(text[last.start : last.end]):
                span = Span(last.start, last.end)
                people = _people(mentions, span)
                if people:
                    quote.speakers, quote.attribution, quote.rule = people, span, "introduced"
        quotes.append(quote)
    return quotes
