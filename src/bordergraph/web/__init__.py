"""The web layer: the SPARQL endpoint, the Linked Data site and the reconciliation API over one store."""
