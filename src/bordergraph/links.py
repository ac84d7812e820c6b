"""The Wikidata link-health report (``bordergraph links``): which actors and places are linked, and why not.

Reads the validated store and ``data/mappings/wikidata-not-linked.tsv``; it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bordergraph.paths import Paths
from bordergraph.prefixes import compact, expand
from bordergraph.querystore import QueryStore

NOT_LINKED_FILE = "wikidata-not-linked.tsv"

# Records that a link to Wikidata is sought for: people, organisations, posts and places.
_LINKABLE = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX bg: <https://w3id.org/bordergraph/ontology#>
SELECT ?record ?type (MIN(?l) AS ?label) (MIN(?q) AS ?item) WHERE {
  VALUES ?top { foaf:Person org:Organization org:Post bg:Place }
  ?record a ?type . ?type rdfs:subClassOf* ?top .
  FILTER NOT EXISTS { ?record a ?narrower . ?narrower rdfs:subClassOf+ ?type . FILTER(?narrower != ?type) }
  OPTIONAL { ?record rdfs:label ?l }
  OPTIONAL { ?record skos:exactMatch ?q . FILTER(STRSTARTS(STR(?q), "http://www.wikidata.org/entity/")) }
} GROUP BY ?record ?type
"""


@dataclass(frozen=True)
class LinkStatus:
    """Whether one actor or place has a Wikidata link, and if not, why."""

    record: str
    label: str
    type: str
    item: str | None
    reason: str


def not_linked_reasons(paths: Paths) -> dict[str, str]:
    """Record IRI → why it has no link yet, from ``data/mappings/wikidata-not-linked.tsv``."""
    path = paths.data_dir / "mappings" / NOT_LINKED_FILE
    if not path.is_file():
        return {}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    return {expand(row[0]): row[1] for row in rows[1:] if len(row) > 1}


def link_health(store: QueryStore, paths: Paths) -> list[LinkStatus]:
    """Every person, organisation, post and place, linked or not (with the recorded reason)."""
    reasons = not_linked_reasons(paths)
    out: list[LinkStatus] = []
    for row in store.query(_LINKABLE):
        record = row["record"].value
        item = row["item"].value if row["item"] is not None else None
        reason = (
            "" if item else reasons.get(record, "not searched yet (no entry in data/mappings/" + NOT_LINKED_FILE + ")")
        )
        label = row["label"].value if row["label"] is not None else ""
        out.append(LinkStatus(record, label, compact(row["type"].value), item, reason))
    return sorted(out, key=lambda s: (s.type, s.record))


def render_link_health(statuses: list[LinkStatus]) -> str:
    """The ``bordergraph links`` report: totals, a table by type, then every unlinked record and why."""
    linked = [s for s in statuses if s.item]
    lines = [f"Wikidata links: {len(linked)} of {len(statuses)} people, organisations, posts and places linked", ""]
    types = sorted({s.type for s in statuses})
    width = max([len(t) for t in types] + [len("type")])
    lines.append(f"{'type':<{width}}  linked  not linked")
    for kind in types:
        group = [s for s in statuses if s.type == kind]
        done = sum(1 for s in group if s.item)
        lines.append(f"{kind:<{width}}  {done:>6}  {len(group) - done:>10}")
    unlinked = [s for s in statuses if not s.item]
    if unlinked:
        lines += ["", "Not linked:"]
        lines += [f"  {compact(s.record)} ({s.type}, {s.label}): {s.reason}" for s in unlinked]
    return "\n".join(lines)


def link_summary(statuses: list[LinkStatus]) -> str:
    """One sentence of counts for docs/wikidata-links.md (cog writes it there; ``tests/test_docs.py`` checks it)."""
    linked = sum(1 for s in statuses if s.item)
    missing = sum(
        1 for s in statuses if not s.item and s.reason.endswith(f"(no entry in data/mappings/{NOT_LINKED_FILE})")
    )
    unsearched = sum(1 for s in statuses if not s.item and s.reason.startswith("not searched yet")) - missing
    text = (
        f"{linked} of {len(statuses)} people, organisations, posts and places have a link; "
        f"{len(statuses) - linked - missing} have none, with the reason in `data/mappings/{NOT_LINKED_FILE}`"
    )
    if unsearched:
        text += f" ({unsearched} of them not searched yet)"
    if missing:
        text += f"; {missing} have neither a link nor a reason (`bordergraph links` names them)"
    return text + "."
