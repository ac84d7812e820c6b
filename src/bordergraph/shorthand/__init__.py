"""Evidence written once: the curator's quote on a fact, expanded into a W3C Web Annotation at load time.

A curator writes the verbatim words on the fact itself (see docs/curation.md, "Evidence"):

    bgr:claim-x a bg:Claim ; ... ;
        bg:quote "the verbatim words" .                                  # they occur once in the source
    bgr:claim-y a bg:Claim ; ... ;
        bg:quoteSelector [ oa:exact "the words" ; bg:occurrence 2 ] .   # their 2nd occurrence
    bgr:claim-z a bg:Claim ; ... ;
        bg:quoteSelector [ oa:exact "the words" ; oa:prefix "said " ] . # the one after "said "

``expand`` turns that into the full annotation: an ``oa:Annotation`` (one per distinct passage,
whose ``oa:hasBody`` lists every fact citing it), its ``oa:SpecificResource`` target on the fact's
source, an ``oa:TextQuoteSelector`` with computed ``oa:prefix``/``oa:suffix`` and an
``oa:TextPositionSelector`` with computed code-point offsets. The shorthand itself is not served.
``derive`` adds the direct edges that the qualified nodes already say (``bg:participant``,
``org:holds``, ``bg:postHolding``), so each fact is written once.

Annotation IRIs: an annotation written before the shorthand existed keeps its IRI through
``data/annotation-iris.tsv`` (source graph, start, end → IRI; written by ``compact``); any other gets
``bgr:ann-<graph>-<start>-<end>``, which depends only on the passage (sources never change), so adding
a fact never renames another annotation.

``compact`` is the one-off migration of hand-written annotations into the shorthand
(``python -m bordergraph.shorthand compact``, in ``migrate``). It edits the records files as text, so comments and
layout stay, and refuses to write unless the expansion of the new file is isomorphic to the
expansion of the old one. It can be run again on whatever the records files hold.
"""

from bordergraph.shorthand.expansion import (
    LEGACY_FILE,
    LEGACY_HEADER,
    QuoteSpec,
    Sources,
    Triple,
    add_annotation,
    annotation_iri,
    annotation_label,
    complete_annotations,
    derive,
    derived_triples,
    expand,
    expand_parsed,
    legacy_path,
    locate,
    quote_specs,
    read_legacy,
    write_legacy,
)
from bordergraph.shorthand.migrate import (
    Compacted,
    MigrationReport,
    Segment,
    Statement,
    Token,
    compact,
    compact_text,
    expanded,
    main,
    quote_literal,
    statements,
    tokens,
    triple_count,
)

__all__ = [
    "LEGACY_FILE",
    "LEGACY_HEADER",
    "Compacted",
    "MigrationReport",
    "QuoteSpec",
    "Segment",
    "Sources",
    "Statement",
    "Token",
    "Triple",
    "add_annotation",
    "annotation_iri",
    "annotation_label",
    "compact",
    "compact_text",
    "complete_annotations",
    "derive",
    "derived_triples",
    "expand",
    "expand_parsed",
    "expanded",
    "legacy_path",
    "locate",
    "main",
    "quote_literal",
    "quote_specs",
    "read_legacy",
    "statements",
    "tokens",
    "triple_count",
    "write_legacy",
]
