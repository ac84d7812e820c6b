"""An entity page in plain words: one row per fact, each value with the sources that state it.

Every record is described graph by graph (one named graph per source), so "which sources state
this value" is read from the quads' graph names, never guessed. Values that differ between
sources (dates, statuses, places, figures linked by ``bg:sameQuantityAs``) go to a "sources
disagree" panel; curator notes (``skos:editorialNote`` …) are kept apart and folded away.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from bordergraph.prefixes import PREFIXES, RDF_TYPE
from bordergraph.web.ui import local_href

if TYPE_CHECKING:
    from bordergraph.web.viewmodel import Quote, SiteData, Source, Term

BG, SKOS, XSD, RDFS = PREFIXES["bg"], PREFIXES["skos"], PREFIXES["xsd"], PREFIXES["rdfs"]
SCHEMA = "https://schema.org/"
LABEL = RDFS + "label"
NOTES = {SKOS + n for n in ("editorialNote", "note", "scopeNote", "historyNote", "changeNote")} | {RDFS + "comment"}
#: Properties that repeat the name (shown once, as the page title and the "name" row).
SAME_AS_LABEL = {PREFIXES["foaf"] + "name", SKOS + "prefLabel", SCHEMA + "name"}
#: Rows shown elsewhere on the page: types as the subtitle, the source as the footnotes, matches apart.
NOT_A_ROW = {RDF_TYPE, PREFIXES["prov"] + "wasDerivedFrom", SKOS + "exactMatch", SKOS + "closeMatch"}
#: Properties with one value per source: two sources giving different values disagree.
ONE_PER_SOURCE = {
    BG + "date",
    BG + "dateStatus",
    BG + "status",
    BG + "placeStatus",
    BG + "location",
    BG + "approximation",
    SCHEMA + "value",
}
FIRST_ROWS = [LABEL, SKOS + "altLabel", PREFIXES["dcterms"] + "description"]
#: Plain names for the reused vocabulary terms the ontology does not label itself (written by hand:
#: these are the words a reader sees; the ontology's own rdfs:labels win wherever they exist).
WORDS = {
    LABEL: "name",
    SKOS + "altLabel": "also printed as",
    PREFIXES["dcterms"] + "description": "description",
    PREFIXES["dcterms"] + "title": "title",
    PREFIXES["dcterms"] + "issued": "issued",
    PREFIXES["dcterms"] + "publisher": "publisher",
    PREFIXES["dcterms"] + "language": "language",
    PREFIXES["dcterms"] + "format": "format",
    PREFIXES["dcterms"] + "license": "licence",
    PREFIXES["org"] + "holds": "holds the post",
    PREFIXES["org"] + "postIn": "post in",
    SCHEMA + "value": "value",
    SCHEMA + "unitText": "unit",
    SCHEMA + "text": "words",
    SCHEMA + "locationCreated": "place of issue",
    RDFS + "seeAlso": "see also",
}
WORDS |= {
    PREFIXES["foaf"] + "Person": "person",
    PREFIXES["org"] + "Organization": "organisation",
    PREFIXES["org"] + "FormalOrganization": "organisation",
    PREFIXES["org"] + "Post": "post",
    SKOS + "Concept": "topic",
    PREFIXES["oa"] + "Annotation": "annotation (a quote)",
}
PARTIAL_DATES = {
    XSD + "gYear": "year only",
    XSD + "gYearMonth": "year and month only",
    XSD + "gMonthDay": "month and day only, no year",
    XSD + "gMonth": "month only",
    XSD + "gDay": "day only",
}
LANGUAGES = {"fr": "French", "de": "German", "es": "Spanish"}


@dataclass
class Cite:
    """One source stating a value: its footnote number and the quote (or page) it links to."""

    number: int
    title: str
    date: str
    href: str


@dataclass
class Value:
    """A value of a row, the sources stating it, and (for a place not stated) where each source was issued."""

    term: Term
    cites: list[Cite]
    issued_at: list[tuple[Term, str, Cite]] = field(default_factory=list)


@dataclass
class Footnote:
    """A numbered source of the page."""

    number: int
    title: str
    date: str
    href: str
    graph: str
    place: str = ""


def plain_literal(node: ox.Literal) -> str:
    """What to say beside a literal: partial dates and foreign languages; nothing for plain strings and numbers."""
    if node.language:
        return "" if node.language.startswith("en") else LANGUAGES.get(node.language, node.language)
    return PARTIAL_DATES.get(node.datatype.value, "")


class EntityView:
    """Builds the context of ``entity.html`` for one IRI from the site's lookups."""

    def __init__(self, data: SiteData, iri: str) -> None:
        self.data = data
        self.iri = iri
        self.node = ox.NamedNode(iri)
        self.by_graph = {s.graph: s for s in data.sources.values()}
        self.footnotes: dict[str, Footnote] = {}
        # (predicate, object) → graphs stating it; named graphs only (the default graph is their union).
        self.stated: dict[tuple[str, Any], list[str]] = defaultdict(list)
        for q in data.ox.quads_for_pattern(self.node, None, None, None):
            if isinstance(q.graph_name, ox.NamedNode):
                self.stated[q.predicate.value, q.object].append(q.graph_name.value)
        order = {s.graph: i for i, s in enumerate(sorted(self.by_graph.values(), key=source_order))}
        for graphs in self.stated.values():
            graphs.sort(key=lambda g: (order.get(g, len(order)), g))

    def types(self) -> list[Term]:
        """The record's classes by their ontology labels; reused classes in plain words (foaf:Person → person)."""
        out = []
        for iri in self.data.types.get(self.iri, []):
            term = self.data.term(ox.NamedNode(iri))
            if ":" in term.text:  # no label: a reused vocabulary class
                words = WORDS.get(iri) or term.text.split(":", 1)[1]
                term = replace(term, text=words_of(words), kind="plain", href="")
            out.append(term)
        return out

    # -- footnotes -------------------------------------------------------------------------

    def cite(self, graph: str, words: str) -> Cite:
        """The footnote for ``graph``, linking to the quote of its source that states ``words`` if any."""
        source = self.by_graph.get(graph)
        if graph not in self.footnotes:
            number = len(self.footnotes) + 1
            if source is None:
                name = graph.rsplit("/", 1)[-1]
                self.footnotes[graph] = Footnote(number, f"the {name} graph", "", local_href(graph), graph)
            else:
                self.footnotes[graph] = Footnote(
                    number, source.title, source.date or "undated", f"/source/{source.slug}", graph, source.place
                )
        note = self.footnotes[graph]
        quote = self.quote(source, words) if source else None
        href = f"/source/{source.slug}#{quote.anchor}" if source and quote else note.href
        return Cite(note.number, note.title, note.date, href)

    def quote(self, source: Source, words: str) -> Quote | None:
        """The quote of ``source`` behind this record: one with the value's words first, then any."""
        own = [q for q in self.data.quotes_of.get(self.iri, []) if q.source == source.iri]
        wanted = words.casefold()
        for pool in (own, source.quotes):
            hit = next((q for q in pool if wanted and wanted in q.exact.casefold()), None)
            if hit:
                return hit
        return own[0] if own else None

    # -- rows ------------------------------------------------------------------------------

    def words(self, node: Any) -> str:
        if isinstance(node, ox.NamedNode):
            return self.data.labels.get(node.value, "")
        return str(node.value) if isinstance(node, ox.Literal) else ""

    def value(self, predicate: str, obj: Any, graphs: list[str]) -> Value:
        term = self.data.term(obj, self.blank_context(obj))
        if isinstance(obj, ox.Literal):
            term.note = plain_literal(obj)
        cites = [self.cite(g, self.words(obj)) for g in graphs]
        out = Value(term, cites)
        if predicate == BG + "placeStatus" and obj.value == BG + "PlaceNotStated":
            for g, c in zip(graphs, cites, strict=True):
                source = self.by_graph.get(g)
                if source and source.place_iri:
                    out.issued_at.append((self.data.term(ox.NamedNode(source.place_iri)), source.place, c))
        return out

    def property_term(self, predicate: str) -> Term:
        """The property's name from the ontology (linked to its definition); reused terms in plain words, unlinked."""
        term = self.data.term(ox.NamedNode(predicate))
        if predicate in self.data.labels and predicate.startswith(BG):
            return term
        text = self.data.labels.get(predicate) or WORDS.get(predicate) or term.text
        return replace(term, text=text, kind="plain", href="")

    def rows(self) -> list[tuple[Term, list[Value]]]:
        """One row per fact: property, values, and the sources of each value; names not repeated."""
        names = {o.value for (p, o) in self.stated if p == LABEL and isinstance(o, ox.Literal)}
        groups: dict[str, list[Value]] = defaultdict(list)
        for (p, o), graphs in self.stated.items():
            if p in NOT_A_ROW or p in NOTES or (p in SAME_AS_LABEL and isinstance(o, ox.Literal) and o.value in names):
                continue
            groups[p].append(self.value(p, o, graphs))
        rows = [(self.property_term(p), sorted(v, key=lambda x: (x.term.kind, x.term.text))) for p, v in groups.items()]
        first = {self.property_term(p).text: i for i, p in enumerate(FIRST_ROWS)}
        return sorted(rows, key=lambda r: (first.get(r[0].text, len(first)), r[0].text.lower()))

    def blank_context(self, obj: Any) -> list[ox.Triple] | None:
        """The triples a blank-node value is shown from (its own properties, nested); None for other terms."""
        if not isinstance(obj, ox.BlankNode):
            return None
        out: list[ox.Triple] = []
        todo, seen = [obj], set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for q in self.data.ox.quads_for_pattern(node, None, None, None):
                out.append(ox.Triple(q.subject, q.predicate, q.object))
                if isinstance(q.object, ox.BlankNode):
                    todo.append(q.object)
        return out

    def notes(self) -> list[Value]:
        """Curator notes (kept in the data, folded away on the page), each with its graph."""
        return [
            self.value(p, o, graphs)
            for (p, o), graphs in sorted(self.stated.items(), key=lambda kv: str(kv[0][1]))
            if p in NOTES
        ]

    # -- disagreements ---------------------------------------------------------------------

    def disagreements(self) -> list[dict[str, Any]]:
        """Where sources give different dates, statuses or places, and figures of one quantity that differ."""
        out: list[dict[str, Any]] = []
        by_predicate: dict[str, list[tuple[Any, list[str]]]] = defaultdict(list)
        for (p, o), graphs in self.stated.items():
            if p in ONE_PER_SOURCE:
                by_predicate[p].append((o, graphs))
        for p, values in sorted(by_predicate.items()):
            if len(values) > 1:
                out.append(
                    {
                        "what": self.property_term(p).text,
                        "values": [self.value(p, o, g) for o, g in sorted(values, key=lambda v: v[1])],
                    }
                )
        out.extend(self.figure_disagreements())
        if self.data.kind(self.iri) != "event":  # an agreement's dates live on its signing (and other events)
            rows = self.data.select(f"SELECT DISTINCT ?e WHERE {{ ?e bg:object <{self.iri}> }} ORDER BY ?e")
            for row in rows:
                event = EntityView(self.data, row["e"].value)
                event.footnotes = self.footnotes  # one numbering for the page
                label = self.data.labels.get(event.iri, event.iri)
                out.extend({**d, "what": f"{d['what']} of {label}"} for d in event.disagreements())
        return out

    def figure_disagreements(self) -> list[dict[str, Any]]:
        """Figures of one quantity (``bg:sameQuantityAs``) printed differently by different sources."""
        data = self.data
        same = BG + "sameQuantityAs"
        figures = {self.iri} if any(p == same for p, _ in self.stated) else set()
        about = f"SELECT DISTINCT ?f WHERE {{ ?f bg:about <{self.iri}> ; bg:sameQuantityAs ?o }}"
        figures |= {r["f"].value for r in data.select(about)}
        done: set[frozenset[str]] = set()
        out = []
        for figure in sorted(figures):
            rows = data.select(
                f"SELECT DISTINCT ?f ?value ?printed ?src WHERE {{ "
                f"{{ BIND(<{figure}> AS ?f) }} UNION {{ <{figure}> bg:sameQuantityAs ?f }} "
                f"?f schema:value ?value ; prov:wasDerivedFrom ?src . OPTIONAL {{ ?f bg:asPrinted ?printed }} }}"
            )
            cluster = frozenset(r["f"].value for r in rows)
            if len(cluster) < 2 or cluster in done:
                continue
            done.add(cluster)
            if len({r["value"].value for r in rows}) < 2:  # same number, other words: not a disagreement
                continue
            values = []
            for r in sorted(rows, key=lambda r: source_order(data.sources[r["src"].value])):
                source = data.sources[r["src"].value]
                term = data.term(r["f"])
                term.text = f"{r['printed'].value if r['printed'] else r['value'].value} (value {r['value'].value})"
                values.append(Value(term, [self.cite(source.graph, r["printed"].value if r["printed"] else "")]))
            label = data.labels.get(figure, figure)
            out.append({"what": f"figure: {label}", "values": values})
        return out

    # -- evidence --------------------------------------------------------------------------

    def evidence(self, related: set[str]) -> list[dict[str, Any]]:
        """Quotes behind the record and its neighbours, grouped by source in date order, each quote once."""
        quotes: dict[str, tuple[Quote, set[str]]] = {}
        for fact in related & self.data.facts:
            for q in self.data.quotes_of.get(fact, []):
                quotes.setdefault(q.annotation, (q, set()))[1].add(fact)
        groups: dict[str, list[tuple[Quote, list[Term]]]] = defaultdict(list)
        for q, facts in quotes.values():
            terms = sorted((self.data.term(ox.NamedNode(f)) for f in facts), key=lambda t: t.text)
            groups[q.source].append((q, terms))
        out = []
        for src in sorted(groups, key=lambda s: source_order(self.data.sources[s])):
            items = sorted(groups[src], key=lambda item: item[0].start)
            out.append({"source": self.data.sources[src], "quotes": items})
        return out

    # -- summary ---------------------------------------------------------------------------

    def summary(self, types: list[Term]) -> str:
        """One line: what the record is, when and where (as each source says), and how many sources."""
        data = self.data
        kinds = [t.text for t in types] or [data.kind(self.iri).replace("other", "record")]
        kind = " and ".join(dict.fromkeys(kinds))
        article = "An" if kind[:1].lower() in "aeiou" else "A"
        parts = [f"{article} {kind}"]
        dates = sorted({o.value for (p, o) in self.stated if p == BG + "date"})
        if dates:
            parts.append("dated " + " or ".join(dates) + (" (the sources differ)" if len(dates) > 1 else ""))
        places = sorted({data.labels.get(o.value, o.value) for (p, o) in self.stated if p == BG + "location"})
        if places:
            parts.append("at " + " and ".join(places))
        elif any(p == BG + "placeStatus" for p, _ in self.stated):
            parts.append("place not stated")
        posts = sorted({data.labels.get(o.value, o.value) for (p, o) in self.stated if p == PREFIXES["org"] + "holds"})
        if posts:
            parts.append("holding " + "; ".join(posts))
        values = [o for (p, o) in self.stated if p == SCHEMA + "value"]
        units = [o.value for (p, o) in self.stated if p == SCHEMA + "unitText"]
        if values:
            parts.append(f"of {values[0].value} {units[0] if units else ''}".rstrip())
        graphs = {g for gs in self.stated.values() for g in gs if g in self.by_graph}
        n = len(graphs)
        parts.append(f"described by {n} source{'s' if n != 1 else ''}" if n else "described by no source")
        return ", ".join(parts) + "."


def words_of(name: str) -> str:
    """``NewsArticle`` → ``news article``."""
    return "".join(" " + c.lower() if c.isupper() else c for c in name).strip()


def source_order(source: Source) -> tuple[int, str, str]:
    """Sources in date order; undated ones last."""
    return (0 if source.date else 1, source.date, source.title)
