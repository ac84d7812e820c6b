"""Everything users download: the property-graph projection and its writers, RDF dumps, the export folder, releases.

``projection`` (RDF → property graph) ← ``writers`` (GraphML, GEXF, Cytoscape, Neo4j, Cypher) and
``dumps`` (canonical N-Quads and the other RDF files) ← ``release`` (export folder, manifest,
checksums, releases). Nothing here knows HTTP: ``bordergraph.web`` uses ``writers`` for answers.
"""
