"""Write a draft as TriG (or Turtle): the record patterns of data/records/, plus the reading aids as comments."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import TYPE_CHECKING

from rdflib import Literal, URIRef

from bordergraph.draft.gazetteer import ORGANISATION, PERSON, POST, Mention, slugify
from bordergraph.draft.text import Span
from bordergraph.prefixes import PREFIXES, curie

if TYPE_CHECKING:  # the package imports this module to write its drafts
    from bordergraph.draft import Draft

_PREFIXES = ("bg", "bgr", "bgg", "bgt", "rdf", "rdfs", "xsd", "owl", "skos", "dcterms", "foaf", "org", "prov", "oa",
             "schema")  # fmt: skip
_XSD = {"date": "xsd:date", "gYearMonth": "xsd:gYearMonth", "gMonthDay": "xsd:gMonthDay", "gMonth": "xsd:gMonth",
        "gYear": "xsd:gYear"}  # fmt: skip


def _q(value: str) -> str:
    return Literal(value).n3()


def _iri(iri: URIRef) -> str:
    """A CURIE through the project prefix map when it is a valid Turtle prefixed name, else ``<iri>``."""
    short = curie(str(iri))
    return short if short is not None and re.fullmatch(r"[a-z]+:[A-Za-z0-9][\w-]*", short) else f"<{iri}>"


def _about(draft: Draft, start: int, end: int, near: int | None = None) -> list[Mention]:
    """Records a fact in ``text[start:end]`` may be about: places, organisations and things, not people or posts."""
    found = [m for m in draft.mentions if start <= m.start < end and m.kind not in (PERSON, POST)]
    if near is not None and found:
        return [min(found, key=lambda m: abs(m.start - near))]
    return list({str(m.iri): m for m in found}.values())


def _surname_only(name: str, label: str) -> bool:
    """A surname alone ("Nielsen" for "Kirstjen Nielsen") is a reference, not a name to record."""
    return " " not in name and label.split()[-1:] == [name]


def _comment(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Names:
    """Readable, unique slugs for the drafted facts."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, *parts: str) -> str:
        base = "-".join(p for p in (slugify(part) for part in parts) if p) or "record"
        slug, n = base, 2
        while slug in self.used:
            slug, n = f"{base}-{n}", n + 1
        self.used.add(slug)
        return slug


def render(draft: Draft, *, turtle: bool = False) -> str:
    """The draft as TriG (GRAPH bgg:<slug> { … }) or, with ``turtle``, the same triples without the graph."""
    text, src = draft.text, draft.source
    source = _iri(src.iri)
    year = src.issued.isoformat()[:4] if src.issued else ""
    names = _Names()
    out: list[str] = [
        f"# DRAFT of the records of {source}, written by `bordergraph draft`. NOT DATA: never loaded or served.",
        "# Check every fact against the text, fix labels, slugs and classes, delete what is wrong or page chrome,",
        f"# then move what is right into data/records/{src.slug}.trig and run `bordergraph validate`.",
        f"# Source date used for 'today': {src.issued.isoformat() if src.issued else 'unknown'}"
        + (f" (from {src.issued_from})" if src.issued_from else ""),
        *(f"# NOTE: {note}" for note in draft.notes),
    ]
    out += [f"@prefix {p}: <{PREFIXES[p]}> ." for p in _PREFIXES]
    out += ["", "# Sentences [start:end] (code points, as Python slices the decoded text)"]
    out += [
        f"# [{s.start}:{s.end}] {'(page chrome?) ' if s in draft.chrome else ''}{_comment(text[s.start : s.end])}"
        for s in draft.sentences
    ]
    out += ["", "# Mentions of records"]
    for m in draft.mentions:
        tag = "NEW " + m.kind if m.new else m.kind
        out.append(f"# [{m.start}:{m.end}] {text[m.start : m.end]!r} → {_iri(m.iri)} ({tag})")
    out += ["", "# Dates printed"]
    for d in draft.dates:
        role = "since" if d.since else "deadline" if d.deadline else "event date"
        role = "page date" if d in draft.metadata_dates else role
        value = f"{d.value}^^{_XSD[d.datatype]}" if d.value and d.datatype else "no value (bg:DateNotStated)"
        out.append(f"# [{d.start}:{d.end}] {d.as_stated!r} → {value} ({role})")
    out.append("")
    out.append(f"GRAPH bgg:{src.slug} {{" if not turtle else "")

    evidence: dict[tuple[int, int], list[str]] = defaultdict(list)

    def cite(slug: str, spans: list[Span]) -> None:
        for span in spans:
            evidence[(span.start, span.end)].append(slug)

    referenced: set[URIRef] = set()
    new_records: dict[str, Mention] = {}
    for m in draft.mentions:
        if any(s.start <= m.start < s.end for s in draft.chrome):
            continue  # named only in page chrome: listed above, not proposed
        if m.new and m.kind in (PERSON, ORGANISATION):
            new_records.setdefault(str(m.iri), m)
    if new_records:
        out.append("\n# --- records the graph does not have yet (one real-world thing, one IRI: check) ---")
    for m in new_records.values():
        label = draft.gazetteer.labels.get(m.iri, m.label)
        if m.kind == PERSON:
            out.append(
                f"{_iri(m.iri)} a foaf:Person ;\n    rdfs:label {_q(label)}@en ;\n    foaf:name {_q(label)} ;"
                f"\n    prov:wasDerivedFrom {source} ."
            )
        else:
            acronyms = sorted(n for n, iris in draft.gazetteer.names.items() if m.iri in iris and n.isupper())
            alt = "".join(f" ;\n    skos:altLabel {_q(a)}@en" for a in acronyms if a != label)
            out.append(
                f"{_iri(m.iri)} a org:Organization ;\n    rdfs:label {_q(label)}@en{alt} ;"
                f"\n    prov:wasDerivedFrom {source} ."
            )

    if draft.events:
        out.append("\n# --- events and who took part ---")
    for event in draft.events:
        people = [p.mention for p in event.participants.values()]
        when = event.date.value if event.date and event.date.value else "undated"
        slug = names(event.kind, when if when != "undated" else "", *[p.label.split()[-1] for p in people][:3])
        lines = [f"bgr:{slug} a bg:{event.kind} ;", f"    rdfs:label {_q(f'{event.kind} ({when})')}@en ;"]
        if event.date and event.date.value and event.date.datatype:
            status = "DateStated" if event.date.datatype == "date" else "DatePartial"
            lines.append(f'    bg:date "{event.date.value}"^^{_XSD[event.date.datatype]} ; bg:dateStatus bg:{status} ;')
            lines.append(f"    bg:dateAsStated {_q(event.date.as_stated)} ;")
        else:
            lines.append("    bg:dateStatus bg:DateNotStated ;")
            if event.date is not None:
                lines.append(f"    bg:dateAsStated {_q(event.date.as_stated)} ;")
        lines.append("    bg:placeStatus bg:PlaceNotStated ;  # or bg:location, when the text says where")
        parts = []
        for p in event.participants.values():
            part = f"{slug}--{slugify(p.mention.label.split()[-1])}"
            while part in names.used:
                part += "-2"
            names.used.add(part)
            parts.append((part, p))
        referenced.update(p.mention.iri for _, p in parts)
        if parts:
            lines.append("    bg:participant " + " , ".join(_iri(p.mention.iri) for _, p in parts) + " ;")
            lines.append("    bg:participation " + " , ".join(f"bgr:{s}" for s, _ in parts) + " ;")
        lines.append(f"    skos:editorialNote {_q(f'DRAFT: from the cue {event.cue!r}')}@en ;")
        lines.append(f"    prov:wasDerivedFrom {source} .")
        out.append("\n".join(lines))
        cite(slug, event.evidence)
        for part, p in parts:
            label = _q(f"{p.mention.label} at the {event.kind.lower()}")
            out.append(
                f"bgr:{part} a bg:Participation ;\n    rdfs:label {label}@en ;"
                f"\n    bg:agent {_iri(p.mention.iri)} ;\n    prov:wasDerivedFrom {source} ."
            )
            cite(part, p.evidence)

    if draft.figures:
        out.append("\n# --- figures ---")
    for f in draft.figures:
        slug = names("figure", year, f.unit.split(" (")[0])
        lines = [
            f"bgr:{slug} a bg:Figure ;",
            f"    rdfs:label {_q(f.as_printed)}@en ;",
            f'    schema:value "{f.value.normalize():f}"^^xsd:decimal ;',
            f"    schema:unitText {_q(f.unit)} ;",
            f"    bg:approximation bg:{f.hedge} ;",
        ]
        if f.period:
            lines.append(f"    bg:period bg:{f.period} ;")
        lines.append(f"    bg:measure {_q('DRAFT: ' + f.unit + ' ' + f.clause.strip(chr(34) + '”'))} ;")
        sentence = next((s for s in draft.sentences if s.start <= f.start < s.end), Span(f.start, f.end))
        about = _about(draft, sentence.start, sentence.end, near=f.start)
        if about:
            referenced.update(m.iri for m in about)
            lines.append(f"    bg:about {_iri(about[0].iri)} ;  # the nearest record named in the sentence: check")
        else:
            lines.append("    # bg:about <the record it measures> ;  (required: the sentence names no record)")
        lines.append(f"    bg:asPrinted {_q(f.as_printed)} ;")
        if src.issued:
            lines.append(f'    bg:attestedOn "{src.issued.isoformat()}"^^xsd:date ;')
        lines.append(f"    prov:wasDerivedFrom {source} .")
        out.append("\n".join(lines))
        cite(slug, [Span(sentence.start, sentence.end)])

    if draft.quotes:
        out.append("\n# --- quotations ---")
    for q in draft.quotes:
        who = [m.label.split()[-1] for m in q.speakers] or ["unattributed"]
        slug = names("quotation", year, *who)
        lines = [f"bgr:{slug} a bg:Quotation ;", f"    rdfs:label {_q('Quotation of ' + ' and '.join(who))}@en ;",
                 f"    schema:text {_q(text[q.start : q.end])} ;"]  # fmt: skip
        referenced.update(m.iri for m in q.speakers)
        if q.speakers:
            lines.append("    bg:speaker " + " , ".join(_iri(m.iri) for m in q.speakers) + " ;")
            lines.append(f"    skos:editorialNote {_q(f'DRAFT: speaker from the {q.rule} pattern')}@en ;")
        else:
            lines.append("    bg:speakerStatus bg:SpeakerNotStated ;")
        lines.append(f"    prov:wasDerivedFrom {source} .")
        out.append("\n".join(lines))
        cite(slug, [Span(q.start, q.end)] + ([q.attribution] if q.attribution else []))

    if draft.claims:
        out.append("\n# --- claims (modality from the cue word; check it against bg:ModalityScheme) ---")
    for c in draft.claims:
        slug = names("claim", year, *text[c.sentence.start : c.sentence.end].split()[:5])
        label = _q(_comment(text[c.sentence.start : c.sentence.end]))
        lines = [f"bgr:{slug} a bg:Claim ;", f"    rdfs:label {label}@en ;", f"    bg:modality bg:{c.modality} ;"]
        if c.claimants:
            referenced.update(m.iri for m in c.claimants)
            lines.append("    bg:claimant " + " , ".join(dict.fromkeys(_iri(m.iri) for m in c.claimants)) + " ;")
        about = [m for m in _about(draft, c.sentence.start, c.sentence.end) if m not in c.claimants]
        if about:
            referenced.update(m.iri for m in about)
            lines.append("    bg:about " + " , ".join(dict.fromkeys(_iri(m.iri) for m in about)) + " ;")
        else:
            lines.append("    # bg:about <the record it concerns> ;  (required: the sentence names no record)")
        lines.append(f"    skos:editorialNote {_q(f'DRAFT: cue word {c.cue!r}')}@en ;")
        lines.append(f"    prov:wasDerivedFrom {source} .")
        out.append("\n".join(lines))
        cite(slug, [Span(c.sentence.start, c.sentence.end)])

    again = sorted(i for i in referenced if i in draft.gazetteer.classes and str(i) not in new_records)
    if again:
        out.append(
            "\n# --- records the graph has, typed and labelled again (each source graph describes what it names) ---"
        )
    for iri in again:
        # rdfs:label only where this text prints the record's label; the names it prints otherwise are altLabels
        label = draft.gazetteer.labels.get(iri, "")
        printed = sorted({text[m.start : m.end] for m in draft.mentions if m.iri == iri} - {label})
        lines = [f"{_iri(iri)} a {_iri(draft.gazetteer.classes[iri])} ;"]
        if label and label in text:
            lines.append(f"    rdfs:label {_q(label)}@en ;")
        lines += [f"    skos:altLabel {_q(name)}@en ;" for name in printed if not _surname_only(name, label)]
        lines.append(f"    prov:wasDerivedFrom {source} .")
        out.append("\n".join(lines))

    if evidence:
        out.append("\n# --- evidence: one annotation per quoted stretch ---")
    for n, ((start, end), bodies) in enumerate(sorted(evidence.items()), start=1):
        body = " ,\n        ".join(f"bgr:{b}" for b in dict.fromkeys(bodies))
        out.append(
            f"bgr:ann-{src.slug}-{n:02d} a oa:Annotation ;\n"
            f"    rdfs:label {_q(f'Annotation {n:02d} of {src.slug}')}@en ;\n"
            f"    oa:motivatedBy oa:describing ;\n"
            f"    oa:hasBody {body} ;\n"
            f"    oa:hasTarget [ a oa:SpecificResource ;\n"
            f"        oa:hasSource {source} ;\n"
            f"        oa:hasSelector [ a oa:TextQuoteSelector ;\n"
            f"                oa:exact {_q(text[start:end])} ] ,\n"
            f"            [ a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} ] ] ."
        )
    if not turtle:
        out.append("}")
    return "\n".join(out) + "\n"
