"""The ontology: a proper header, and every own term used anywhere is declared, labelled and defined."""

from __future__ import annotations

import re

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS

from bordergraph.build import Built
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, ONTOLOGY_GRAPH, ONTOLOGY_IRI

DECLARATIONS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, SKOS.Concept, SKOS.ConceptScheme)


def test_header_names_licence_creator_and_a_dated_version(built: Built) -> None:
    ontology = built.loaded.dataset.graph(ONTOLOGY_GRAPH)
    iri = URIRef(ONTOLOGY_IRI)
    assert not ONTOLOGY_IRI.endswith(("/", "#"))
    assert (iri, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator, OWL.versionInfo):
        assert ontology.value(iri, prop) is not None, prop
    version = str(ontology.value(iri, OWL.versionIRI))
    assert re.fullmatch(re.escape(ONTOLOGY_IRI) + r"/\d{4}-\d{2}-\d{2}", version), version
    description = str(ontology.value(iri, DCTERMS.description))
    for reused in ("PROV-O", "W3C ORG", "Web Annotation", "SKOS", "Dublin Core", "schema.org", "FOAF"):
        assert reused in description, f"the header does not say that {reused} is reused"


def test_every_own_term_is_declared_labelled_and_defined(built: Built) -> None:
    ontology = built.loaded.dataset.graph(ONTOLOGY_GRAPH)
    for term in {s for s in ontology.subjects() if isinstance(s, URIRef) and s.startswith(str(BG))}:
        assert any((term, RDF.type, kind) in ontology for kind in DECLARATIONS), f"{term} is not declared"
        label = ontology.value(term, RDFS.label) or ontology.value(term, SKOS.prefLabel)
        definition = ontology.value(term, SKOS.definition) or ontology.value(term, RDFS.comment)
        assert label is not None and definition is not None, f"{term} needs a label and a definition"


def test_every_own_term_used_is_in_the_ontology(built: Built, paths: Paths) -> None:
    """Data, shapes, checks and examples use no bg: term the ontology does not define."""
    ontology = built.loaded.dataset.graph(ONTOLOGY_GRAPH)
    defined = {str(s) for s in ontology.subjects() if isinstance(s, URIRef)}
    used = {str(t) for quad in built.loaded.dataset.quads((None, None, None, None)) for t in quad[:3]}
    used |= {str(t) for triple in Graph().parse(paths.shapes_file) for t in triple}
    for query in paths.queries_dir.glob("**/*.rq"):
        used |= {str(BG) + local for local in re.findall(r"\bbg:([A-Za-z][\w]*)", query.read_text(encoding="utf-8"))}
    undefined = sorted(t for t in used if t.startswith(str(BG)) and t != str(BG) and t not in defined)
    assert not undefined, f"terms used but not defined in ontology/bordergraph.ttl: {undefined}"
