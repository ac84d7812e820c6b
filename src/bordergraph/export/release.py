"""The export folder and releases: dumps, property graph, vocabulary, manifest, SHA256SUMS, changelog.

Takes the validated store and the paths of the checkout (never the build result).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from bordergraph.export.dumps import (
    CONTEXT,
    CYJS,
    CYPHER,
    DATASET_DUMPS,
    DUMPS,
    FORMAT_NAMES,
    GEXF,
    GRAPHML,
    NEO4J_EDGES,
    NEO4J_NODES,
    NQ,
    sha256_of,
    write_rdf_dumps,
)
from bordergraph.export.projection import GraphSource, StreamedGraph, named_quads
from bordergraph.export.writers import (
    CYJS_TYPE,
    GEXF_TYPE,
    GRAPHML_TYPE,
    stream_cypher,
    stream_cytoscape,
    stream_gexf,
    stream_graphml,
    stream_neo4j_edges,
    stream_neo4j_nodes,
)
from bordergraph.paths import Paths
from bordergraph.prefixes import BGG, ONTOLOGY_IRI, PREFIXES, compact
from bordergraph.querystore import QueryStore
from bordergraph.version import __version__

# --------------------------------------------------------------------------------------------

MEDIA_TYPES = dict(DUMPS) | {
    CONTEXT: "application/ld+json",
    GRAPHML: GRAPHML_TYPE,
    GEXF: GEXF_TYPE,
    CYJS: CYJS_TYPE,
    NEO4J_NODES: "text/csv",
    NEO4J_EDGES: "text/csv",
    CYPHER: "application/x-cypher-query",
}


def write_property_graph(graph: GraphSource, out: Path) -> None:
    """Every property-graph file, from the one projection, each streamed to disk."""
    (out / "neo4j").mkdir(parents=True, exist_ok=True)
    for name, stream in [
        (GRAPHML, stream_graphml),
        (GEXF, stream_gexf),
        (CYJS, stream_cytoscape),
        (NEO4J_NODES, stream_neo4j_nodes),
        (NEO4J_EDGES, stream_neo4j_edges),
        (CYPHER, stream_cypher),
    ]:
        with (out / name).open("w", encoding="utf-8", newline="\n") as handle:
            stream(graph, handle)


def write_store_property_graph(store: QueryStore, out: Path) -> tuple[int, int]:
    """Project the store's named graphs through a scratch database on disk and write every file; (nodes, edges)."""
    with (
        tempfile.TemporaryDirectory(prefix="bordergraph-projection-") as tmp,
        StreamedGraph(named_quads(store), Path(tmp) / "projection.sqlite") as graph,
    ):
        write_property_graph(graph, out)
        return graph.node_count, graph.edge_count


def export(
    store: QueryStore,
    out: Path,
    vocabulary: Iterable[Path] = (),
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write all dumps, the property graph, the vocabulary files, ``manifest.json`` and ``SHA256SUMS``.

    Args:
        store: the validated store (its default graph is the merge of its named graphs).
        out: the folder to write into (created if needed).
        vocabulary: ontology and shapes files, copied unchanged into ``out/ontology/``.
        metadata: extra top-level manifest fields (a release's version, date and version IRI).

    Returns:
        The manifest.

    """
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, dict[str, int]] = {name: {"triples": n} for name, n in write_rdf_dumps(store, out).items()}
    for name in DATASET_DUMPS:
        counts[name] = {"quads": counts[name]["triples"]}
    nodes, edges = write_store_property_graph(store, out)
    for name in (GRAPHML, GEXF, CYJS, NEO4J_NODES, NEO4J_EDGES, CYPHER):
        counts[name] = {"nodes": nodes, "edges": edges}
    files = [*counts, CONTEXT]
    for source in vocabulary:
        name = f"ontology/{source.name}"
        (out / "ontology").mkdir(exist_ok=True)
        shutil.copyfile(source, out / name)
        MEDIA_TYPES.setdefault(name, "text/turtle")
        files.append(name)
    manifest: dict[str, Any] = {"generator": f"bordergraph {__version__}", **(metadata or {}), "files": []}
    for name in sorted(files):
        path = out / name
        entry: dict[str, Any] = {
            "file": name,
            "format": FORMAT_NAMES.get(name, "Turtle"),
            "media_type": MEDIA_TYPES[name],
            "size": path.stat().st_size,
        }
        entry.update(counts.get(name, {}))
        entry["sha256"] = sha256_of(path)
        manifest["files"].append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(out)
    return manifest


def write_checksums(out: Path) -> Path:
    """``SHA256SUMS`` for every file under ``out`` (``sha256sum -c SHA256SUMS`` checks them)."""
    target = out / "SHA256SUMS"
    lines = [
        f"{sha256_of(path)}  {path.relative_to(out).as_posix()}"
        for path in sorted(out.rglob("*"))
        if path.is_file() and path != target
    ]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def export_checkout(
    store: QueryStore, paths: Paths, out: Path, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Export a validated store, with the checkout's ontology, topics and shapes beside the dumps."""
    return export(store, out, [*paths.ontology_files, paths.shapes_file], metadata)


# --------------------------------------------------------------------------------------------
# Releases
# --------------------------------------------------------------------------------------------

VERSION_IRI = re.compile(r"owl:versionIRI\s+<[^>]*>")
VERSION_INFO = re.compile(r'owl:versionInfo\s+"[^"]*"')


class ReleaseError(Exception):
    """A release cannot be written; the message says what to change."""


def version_iri(date: dt.date) -> str:
    """The dated version IRI of the ontology in a release."""
    return f"{ONTOLOGY_IRI}/{date.isoformat()}"


def _stamp_ontology(path: Path, version: str, date: dt.date) -> None:
    """Set owl:versionIRI and owl:versionInfo in the released copy of the ontology (text edit keeps comments)."""
    text = path.read_text(encoding="utf-8")
    if len(VERSION_IRI.findall(text)) != 1 or len(VERSION_INFO.findall(text)) != 1:
        raise ReleaseError(f'{path.name} must state owl:versionIRI <...> and owl:versionInfo "..." exactly once')
    text = VERSION_IRI.sub(f"owl:versionIRI <{version_iri(date)}>", text)
    text = VERSION_INFO.sub(f'owl:versionInfo "{version}"', text)
    path.write_text(text, encoding="utf-8")


def _stamped(store: QueryStore, version: str, date: dt.date) -> QueryStore:
    """A copy of the store whose ontology states the release's version IRI and version."""
    owl = PREFIXES["owl"]
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    replaced = {ox.NamedNode(owl + "versionIRI"), ox.NamedNode(owl + "versionInfo")}
    copy = ox.Store()
    copy.bulk_extend(
        q
        for q in store.store.quads_for_pattern(None, None, None, None)
        if not (q.subject == ontology and q.predicate in replaced)
    )
    new: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (ox.NamedNode(owl + "versionIRI"), ox.NamedNode(version_iri(date))),
        (ox.NamedNode(owl + "versionInfo"), ox.Literal(version)),
    ]
    for graph in (ox.NamedNode(str(BGG["ontology"])), ox.DefaultGraph()):
        copy.bulk_extend(ox.Quad(ontology, p, o, graph) for p, o in new)
    return QueryStore(copy)


def _previous_release(dist: Path, current: str) -> Path | None:
    """The most recent other release in ``dist`` (by date, then version), if any."""
    found: list[tuple[str, str, Path]] = []
    for manifest in dist.glob("*/manifest.json"):
        if manifest.parent.name == current:
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        found.append((str(data.get("date", "")), str(data.get("version", "")), manifest.parent))
    return max(found)[2] if found else None


def graph_changes(previous: Path | None, current: Path) -> dict[str, dict[str, int]]:
    """Triples added and removed per named graph between two N-Quads dumps (blank nodes compared canonically)."""
    from rdflib import Dataset, URIRef
    from rdflib.compare import graph_diff, to_isomorphic

    def graphs(path: Path | None) -> dict[str, Any]:
        if path is None:
            return {}
        dataset = Dataset()
        dataset.parse(path, format="nquads")
        return {str(g.identifier): g for g in dataset.graphs() if len(g) and isinstance(g.identifier, URIRef)}

    old, new = graphs(previous), graphs(current)
    changes: dict[str, dict[str, int]] = {}
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            changes[name] = {"added": len(new.get(name, ())), "removed": len(old.get(name, ()))}
            continue
        _both, removed, added = graph_diff(to_isomorphic(old[name]), to_isomorphic(new[name]))
        changes[name] = {"added": len(added), "removed": len(removed)}
    return changes


def _changelog(version: str, date: dt.date, previous: Path | None, changes: dict[str, dict[str, int]]) -> str:
    against = f"release {previous.name}" if previous else "nothing (first release)"
    lines = [
        f"# bordergraph {version} ({date.isoformat()})",
        "",
        f"Ontology version IRI: <{version_iri(date)}>",
        "",
        f"Changes against {against}, in triples per named graph:",
        "",
        "| graph | added | removed |",
        "|---|---:|---:|",
    ]
    lines += [f"| {compact(g)} | {c['added']} | {c['removed']} |" for g, c in changes.items()]
    total_added = sum(c["added"] for c in changes.values())
    total_removed = sum(c["removed"] for c in changes.values())
    lines += [f"| **total** | {total_added} | {total_removed} |", ""]
    return "\n".join(lines)


def release(store: QueryStore, paths: Paths, dist: Path, version: str, date: dt.date, force: bool = False) -> Path:
    """Write ``dist/<version>/``: every export, the dated version IRI, and a changelog against the last release.

    Raises:
        ReleaseError: the release folder exists (and ``force`` is off), or the ontology cannot be stamped.

    """
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]*", version):
        raise ReleaseError(f"version {version!r} is not a plain version string such as 0.2.0")
    target = dist / version
    if target.exists():
        if not force:
            raise ReleaseError(f"{target} exists: bump the version in pyproject.toml, or pass --force to rewrite it")
        shutil.rmtree(target)
    previous = _previous_release(dist, version)
    stamped = _stamped(store, version, date)
    metadata = {"version": version, "date": date.isoformat(), "versionIRI": version_iri(date)}
    export(stamped, target, [*paths.ontology_files, paths.shapes_file], metadata)
    _stamp_ontology(target / "ontology" / "bordergraph.ttl", version, date)
    changes = graph_changes(previous / NQ if previous else None, target / NQ)
    (target / "CHANGELOG.md").write_text(_changelog(version, date, previous, changes), encoding="utf-8")
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["previous"] = previous.name if previous else None
    manifest["changes"] = changes
    for entry in manifest["files"]:
        path = target / entry["file"]
        entry["size"], entry["sha256"] = path.stat().st_size, sha256_of(path)
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_checksums(target)
    return target
