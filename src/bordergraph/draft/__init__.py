"""``bordergraph draft``: a first draft of the records for a new source text, for a curator to edit.

Rule-based and deterministic: the graph itself is the gazetteer; no model is downloaded and
the clock is never read ("today" is the source's own printed date). The draft is written
outside ``data/`` and is never loaded or served until a curator moves records into
``data/records/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, URIRef

from bordergraph.draft.dates import DateMention, find_dates
from bordergraph.draft.events import ClaimDraft, EventDraft, find_claims, find_events, is_metadata
from bordergraph.draft.figures import FigureMention, find_figures, not_figures
from bordergraph.draft.gazetteer import Gazetteer, Mention, find_mentions, slugify
from bordergraph.draft.quotes import QuoteMention, find_quotes
from bordergraph.draft.text import Sentence, Span, chrome, dateline, paragraphs, sentences
from bordergraph.draft.write import render
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGR

__all__ = ["Draft", "DraftError", "SourceInfo", "draft_file", "draft_text", "source_info", "write_draft"]


class DraftError(Exception):
    """The draft cannot be made or written as asked; the message says what to fix."""


@dataclass(frozen=True)
class SourceInfo:
    """What the graph says about the source being drafted (or what the curator passed)."""

    iri: URIRef
    slug: str
    issued: dt.date | None
    issued_from: str  # where the date came from, said in the draft


@dataclass
class Draft:
    """Everything found in one text, with offsets into it."""

    text: str
    source: SourceInfo
    sentences: list[Sentence]
    mentions: list[Mention]
    dates: list[DateMention]
    metadata_dates: list[DateMention]
    figures: list[FigureMention]
    quotes: list[QuoteMention]
    events: list[EventDraft]
    claims: list[ClaimDraft]
    gazetteer: Gazetteer
    chrome: set[Sentence] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def source_info(data: Dataset, raw: bytes, name: str, issued: dt.date | None = None) -> SourceInfo:
    """The source record with these bytes (by sha256), else a new slug from ``name``; ``issued`` wins if given."""
    digest = hashlib.sha256(raw).hexdigest()
    for subject, value in data.subject_objects(BG.sha256):
        if str(value) == digest and isinstance(subject, URIRef):
            printed = data.value(subject, URIRef("http://purl.org/dc/terms/issued"))
            day = dt.date.fromisoformat(str(printed)) if printed is not None else None
            if issued is not None:
                return SourceInfo(subject, str(subject)[len(str(BGR)) :], issued, "--issued")
            where = "its record in data/sources.trig" if day else "nowhere: its record says the source is undated"
            return SourceInfo(subject, str(subject)[len(str(BGR)) :], day, where)
    slug = slugify(Path(name).stem) or "new-source"
    return SourceInfo(BGR[slug], slug, issued, "--issued" if issued else "")


def _dateline_date(text: str) -> tuple[dt.date | None, str]:
    """The date printed alone near the top (a dateline or a date line), when nothing else gives one."""
    for para in paragraphs(text)[:12]:
        found = dateline(text, para)
        for mention in find_dates(text[para.start : para.end]):
            if mention.datatype == "date" and mention.value and not mention.relative:
                in_dateline = found is not None and found[2] is not None
                alone = len(text[para.start : para.end].split()) <= len(mention.as_stated.split()) + 3
                if in_dateline or alone:
                    return dt.date.fromisoformat(mention.value), f"the date line {mention.as_stated!r} (check it)"
    return None, ""


def draft_text(text: str, gazetteer_data: Dataset, source: SourceInfo) -> Draft:
    """Draft the records of ``text``, using the records in ``gazetteer_data`` as gazetteer."""
    notes: list[str] = []
    if source.issued is None:
        day, where = _dateline_date(text)
        if day is not None:
            source = SourceInfo(source.iri, source.slug, day, where)
        else:
            notes.append("The source's own date is unknown: 'today' and 'yesterday' are left unresolved.")
    gaz = Gazetteer.from_dataset(gazetteer_data)
    all_sentences = sentences(text)
    page_chrome = chrome(text, all_sentences)
    content = [s for s in all_sentences if s not in page_chrome]
    mentions = find_mentions(text, gaz)
    dates = find_dates(text, source.issued)
    metadata: list[DateMention] = []
    for date in dates:
        sentence = next((s for s in all_sentences if s.start <= date.start < s.end), None)
        if sentence is None or is_metadata(text, date, sentence):
            metadata.append(date)
    masks = [Span(d.start, d.end) for d in dates] + not_figures(text)
    figures = [f for s in content for f in find_figures(text, s, masks)]
    quotes = [q for q in find_quotes(text, mentions) if not any(s.start <= q.start < s.end for s in page_chrome)]
    events = find_events(text, content, mentions, dates)
    claims = find_claims(text, content, mentions, quotes)
    return Draft(
        text=text,
        source=source,
        sentences=all_sentences,
        mentions=mentions,
        dates=dates,
        metadata_dates=metadata,
        figures=figures,
        quotes=quotes,
        events=events,
        claims=claims,
        gazetteer=gaz,
        chrome=page_chrome,
        notes=notes,
    )


def draft_file(data: Dataset, file: Path, issued: dt.date | None = None, *, turtle: bool = False) -> tuple[str, str]:
    """Draft ``file`` with ``data`` as gazetteer: (the source's slug, the draft as TriG or Turtle)."""
    try:
        raw = file.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DraftError(f"{file} is not UTF-8 ({exc}): convert it first; offsets count code points") from exc
    except OSError as exc:
        raise DraftError(f"cannot read {file}: {exc.strerror or exc}") from exc
    source = source_info(data, raw, file.name, issued)
    return source.slug, render(draft_text(text, data, source), turtle=turtle)


def write_draft(paths: Paths, slug: str, trig: str, out: Path | None = None, *, turtle: bool = False) -> Path:
    """Write a draft to ``out`` or drafts/<slug>.trig; never inside data/ (drafts are not data until moved)."""
    base = Path.cwd() if paths.root.name == "_resources" else paths.root  # never inside an installed package
    target = out or base / "drafts" / f"{slug}.{'ttl' if turtle else 'trig'}"
    if target.resolve().is_relative_to(paths.data_dir.resolve()):
        raise DraftError(f"{target} is inside data/: drafts stay outside the data until a curator moves them")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(trig, encoding="utf-8")
    except OSError as exc:
        raise DraftError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
