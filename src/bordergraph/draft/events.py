"""Events with their dates and participants, and claims with their modality cue words.

Rules over the words around a verb, written by hand (no parser model): who stands before the
verb in its clause, who follows "met with", "launched by", "assisted".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bordergraph.draft.dates import DateMention
from bordergraph.draft.gazetteer import AGENTS, ORGANISATION, TITLE_WORDS, Mention
from bordergraph.draft.quotes import QuoteMention
from bordergraph.draft.text import Sentence, Span

# Verbs that make an event even without a date, with the class they suggest.
_STRONG = re.compile(
    r"\b(?P<verb>(?<!are )(?<!is )(?<!be )(?<!been )(?<!were )(?<!was )met"  # not "requirements are met"
    r"|meets?|held\s+(?:discussions|talks|a\s+meeting)|visited|signed|launched|deployed|assisted)\b",
    re.IGNORECASE,
)
# Verbs that end the subject of a clause (weaker: they make no event by themselves).
_VERB = re.compile(
    r"\b(?:met|meets?|held|visited|signed|launched|deployed|assisted|announced|announces?|discussed|agreed|"
    r"committed|reaffirmed|made|said|underscored|tasked|recognized|recognised|continued|joined?|will|would|are|is|"
    r"was|were|have|has|had|remains?|intends?|plans?|released|touched|emphasizes|focuses|outlines)\b",
    re.IGNORECASE,
)
_TYPES = [
    (re.compile(r"\b(?:met|meets?|meeting|held\s+(?:discussions|talks)|discussions\s+with|talks\s+with)\b", re.I),
     "Meeting"),
    (re.compile(r"\bsign(?:ed|ing)\b", re.I), "Signing"),
    (re.compile(r"\blaunch(?:ed|ing)?\b", re.I), "Launch"),
    (re.compile(r"\bdeploy(?:ed|ment)\b", re.I), "Deployment"),
    (re.compile(r"\b(?:earthquake|hurricane|flood|wildfire|tsunami|disaster)\b", re.I), "Disaster"),
    (re.compile(r"\bannounce(?:d|ment|ments)?\b", re.I), "Announcement"),
]  # fmt: skip
_BOUNDARY = re.compile(r"[:;—–]|\s-\s|\b(?:that|which|who|whereby|while|although)\b")
_WITH = re.compile(r"\b(?:met|meets?|meeting|discussions|talks)\s+with\b", re.I)
_BY = re.compile(r"\b(?:launched|signed|hosted|led|organi[sz]ed|chaired)\s+by\b", re.I)
_OBJECT = re.compile(r"\b(?:assisted|joined)\b", re.I)
_PHRASE_END = re.compile(
    r"\s+(?:to|on|during|about|regarding|in\s+(?:creating|order|the\s+coming))\b|[;—–(]|(?<![A-Z])\.(?=\s|$)|\s-\s"
)
_METADATA = re.compile(r"last (?:reviewed|modified|updated)|date modified|release date|posted|updated on", re.I)
# Modality cue words, most specific first (bg:ModalityScheme).
MODALITY_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("ToBeRatified", re.compile(r"\bratif(?:y|ied|ication)\b", re.I)),
    ("PendingLegislation", re.compile(r"\bonce\b[^.]*\blegislat|\bpassage of Bill\b|\bpending legislation\b", re.I)),
    ("Tasked", re.compile(r"\btasked\b", re.I)),
    ("Signed", re.compile(r"\bsigned\b", re.I)),
    ("Agreed", re.compile(r"\bagreed\b|\bagree to\b", re.I)),
    ("Reaffirmed", re.compile(r"\breaffirm(?:ed|s)?\b", re.I)),
    ("Committed", re.compile(r"\bcommit(?:ted|ment|s)? to\b|\bcommitted\b", re.I)),
    ("Announced", re.compile(r"\bannounce[ds]?\b", re.I)),
    ("Planned", re.compile(r"\bplan(?:s|ned)? to\b|\bwill be \w+ed\b|\bplan\b", re.I)),
    ("Intended", re.compile(r"\bintend(?:s|ed)? to\b|\bwill\b", re.I)),
    ("Discussed", re.compile(r"\bdiscuss(?:ed|es)?\b", re.I)),
]


@dataclass
class Participant:
    """An agent taking part in an event, and the sentences that say so."""

    mention: Mention
    evidence: list[Span] = field(default_factory=list)


@dataclass
class EventDraft:
    """An event proposed from a date or a verb, with its participants."""

    kind: str  # a subclass of bg:Event
    date: DateMention | None
    evidence: list[Span] = field(default_factory=list)
    participants: dict[str, Participant] = field(default_factory=dict)
    cue: str = ""


@dataclass
class ClaimDraft:
    """A sentence worded as a claim, with its modality cue and claimants."""

    modality: str
    cue: str
    sentence: Sentence
    claimants: list[Mention] = field(default_factory=list)


def is_metadata(text: str, date: DateMention, sentence: Sentence) -> bool:
    """A date of the page rather than of an event: a date alone on its line, a release date, "last modified"."""
    words = (text[sentence.start : date.start] + " " + text[date.end : sentence.end]).split()
    if _METADATA.search(text[sentence.start : sentence.end]):
        return True
    few_words = len([w for w in words if re.search(r"[A-Za-z]", w)]) <= 3
    return few_words and not _STRONG.search(text[sentence.start : sentence.end])


def _agents(mentions: list[Mention], start: int, end: int, text: str) -> list[Mention]:
    out = []
    for m in mentions:
        if m.kind not in AGENTS or m.start < start or m.end > end:
            continue
        follow = text[m.end : m.end + 30]
        if m.kind == ORGANISATION and re.match(r"(?:'s)?\s+(?:" + "|".join(sorted(TITLE_WORDS)) + r")\b", follow):
            continue  # "U.S. Department of Homeland Security Secretary, Janet Napolitano": a title, not an agent
        out.append(m)
    return out


def _clause_start(text: str, sentence: Sentence, position: int) -> int:
    start = sentence.start
    for m in _BOUNDARY.finditer(text, sentence.start, position):
        start = m.end()
    return start


def _phrase_end(text: str, start: int, limit: int, dates: list[DateMention]) -> int:
    m = _PHRASE_END.search(text, start, limit)
    end = m.start() if m else limit
    for date in dates:
        if start <= date.start < end:
            end = date.start
    return end


def _participants(
    text: str, sentence: Sentence, verb: re.Match[str], mentions: list[Mention], dates: list[DateMention]
) -> list[Mention]:
    subject_start = _clause_start(text, sentence, verb.start())
    found = _agents(mentions, subject_start, verb.start(), text)
    for pattern in (_WITH, _BY, _OBJECT):
        for m in pattern.finditer(text, max(sentence.start, verb.start() - 20), sentence.end):
            if m.start() > verb.end() + 20:
                break
            found += _agents(mentions, m.end(), _phrase_end(text, m.end(), sentence.end, dates), text)
    return found


def _governing_verb(text: str, sentence: Sentence, anchor: int) -> re.Match[str] | None:
    """The verb an event hangs on: the last one before the date in its clause, else the first after it."""
    clause = _clause_start(text, sentence, anchor)
    before = [m for m in _VERB.finditer(text, clause, anchor)]
    if before:
        return before[-1]
    return _VERB.search(text, anchor, sentence.end)


def _kind(text: str, sentence: Sentence, anchor: int) -> str:
    best, distance = "Event", None
    for pattern, kind in _TYPES:
        for m in pattern.finditer(text, sentence.start, sentence.end):
            d = abs(m.start() - anchor)
            if distance is None or d < distance:
                best, distance = kind, d
    return best


def find_events(
    text: str, sentences: list[Sentence], mentions: list[Mention], dates: list[DateMention]
) -> list[EventDraft]:
    """Dated events (one per date value, gathering every sentence that gives it) and undated ones from verbs."""
    events: dict[str, EventDraft] = {}
    for sentence in sentences:
        here = [d for d in dates if sentence.start <= d.start < sentence.end]
        event_dates = [d for d in here if not d.since and not d.deadline and not is_metadata(text, d, sentence)]
        anchors: list[tuple[str, DateMention | None, int]] = [
            (f"date:{d.value}", d, d.start) for d in event_dates if d.value is not None
        ]
        if not anchors:
            strong = _STRONG.search(text, sentence.start, sentence.end)
            if strong:
                vague = next((d for d in event_dates if d.value is None), None)
                anchors.append((f"sentence:{sentence.start}", vague, strong.start()))
        for key, date, anchor in anchors:
            event = events.get(key)
            kind = _kind(text, sentence, anchor)
            if event is None:
                event = events[key] = EventDraft(kind=kind, date=date)
            elif event.kind == "Event":
                event.kind = kind
            if date is not None and event.date is not None and date.relative is False and event.date.relative:
                event.date = date  # the words that print the date win over "today"
            span = Span(sentence.start, sentence.end)
            if span not in event.evidence:
                event.evidence.append(span)
            verb = _STRONG.search(text, sentence.start, sentence.end) if key.startswith("sentence:") else None
            verb = verb or _governing_verb(text, sentence, anchor)
            if verb is None:
                continue
            event.cue = event.cue or verb.group(0)
            for agent in _participants(text, sentence, verb, mentions, dates):
                taking_part = event.participants.setdefault(str(agent.iri), Participant(agent))
                if span not in taking_part.evidence:
                    taking_part.evidence.append(span)
    # an undated event nobody is named at says too little to propose
    return [e for e in events.values() if e.participants or (e.date is not None and e.date.value is not None)]


def find_claims(
    text: str, sentences: list[Sentence], mentions: list[Mention], quotes: list[QuoteMention]
) -> list[ClaimDraft]:
    """Sentences with a modality cue word; claimants are the speakers of a quotation, else the clause's subject."""
    claims: list[ClaimDraft] = []
    for sentence in sentences:
        words = text[sentence.start : sentence.end]
        for modality, pattern in MODALITY_CUES:
            cue = pattern.search(words)
            if cue is None:
                continue
            quote = next((q for q in quotes if q.start <= sentence.start + cue.start() < q.end), None)
            if quote is not None:
                claimants = list(quote.speakers)
            else:
                position = sentence.start + cue.start()
                verb = _governing_verb(text, sentence, position)
                subject_end = verb.start() if verb is not None and verb.start() <= position else position
                claimants = _agents(mentions, _clause_start(text, sentence, subject_end), subject_end, text)
            claims.append(ClaimDraft(modality, cue.group(0), sentence, claimants))
            break
    return claims
