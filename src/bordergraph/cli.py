"""The ``bordergraph`` command. Thin: every command calls the modules that do the work.

Exit codes follow pySHACL: 0 the data is valid, 1 the data is invalid, 2 usage or other error.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from bordergraph import __version__
from bordergraph.build import Built, InvalidDataError, build
from bordergraph.loader import LoadError
from bordergraph.settings import Settings, split_iris

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BORDERGRAPH_ROOT",
    help="Folder holding ontology/, data/ and queries/ (default: this checkout, else the installed copy).",
)
data_option = click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Validate these record files instead of data/records/*.trig (repeatable).",
)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _build(root: Path | None, data_files: tuple[Path, ...] = ()) -> Built:
    """Build or exit with the report: 1 for invalid data, 2 for anything else."""
    try:
        return build(root, list(data_files) or None)
    except LoadError as exc:
        _fail("INVALID: the files do not load:\n" + "\n".join(f"  - {p}" for p in exc.problems), EXIT_INVALID)
    except InvalidDataError as exc:
        _fail(exc.report.render(), EXIT_INVALID)
    except FileNotFoundError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    except Exception as exc:  # anything else is our failure, not the data's: exit 2, not 1
        _fail(f"error: {type(exc).__name__}: {exc}", EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bordergraph")
def main() -> None:
    """bordergraph: Canada–US border-security cooperation as a knowledge graph.

    Every fact comes from an archived press release, with the verbatim quote that supports it.
    Typical use: `bordergraph validate`, then `bordergraph serve`.
    """


@main.command()
@root_option
@data_option
def validate(root: Path | None, data_files: tuple[Path, ...]) -> None:
    """Check the data contract: SHACL shapes, SPARQL checks, and every quote against its source.

    Exit code 0 when valid, 1 when invalid (the report names file, record and rule), 2 on error.
    """
    built = _build(root, data_files)
    click.echo(built.report.render())


@main.command(name="build")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build"),
    show_default=True,
    help="Folder for the validated dataset (N-Quads, one graph per source).",
)
def build_command(root: Path | None, out: Path) -> None:
    """Validate, then write the validated dataset to OUT/bordergraph.nq; refuses invalid data."""
    built = _build(root)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "bordergraph.nq"
    lines = sorted(built.loaded.dataset.serialize(format="nquads").splitlines())
    target.write_text("\n".join(line for line in lines if line.strip()) + "\n", encoding="utf-8")
    click.echo(built.report.render())
    click.echo(f"wrote {target} ({len(built.store)} quads in {len(built.store.graph_names())} named graphs)")


def setting(name: str, help: str, **kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A ``serve`` option for one Settings field: ``--row-cap`` ↔ ``BORDERGRAPH_ROW_CAP``, default from Settings."""
    default = getattr(Settings, name, None)
    if default is not None and "multiple" not in kwargs:
        kwargs.setdefault("type", type(default))
        kwargs.update(default=default, show_default=True)
    return click.option(
        f"--{name.replace('_', '-')}", envvar=f"BORDERGRAPH_{name.upper()}", show_envvar=True, help=help, **kwargs
    )


@main.command()
@root_option
@setting("host", "Interface to bind.")
@setting("port", "TCP port.")
@setting(
    "public_url", "Public URL of the SPARQL endpoint, for the service description (default: the URL each client used)."
)
@setting("timeout", "Seconds a query may run; then its worker is killed and the client gets 504.")
@setting("row_cap", "Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) per answer; above it the client gets 422, "
         "never a truncated answer.")  # fmt: skip
@setting("body_cap", "Largest request body or query string in bytes; above it: 413.")
@setting("concurrency", "Query worker processes (queries evaluated at once).")
@setting("queue", "Queries that may wait for a worker; beyond that: 503 with Retry-After.")
@setting("rate", "Queries per minute per client address (0: unlimited); above it: 429 with Retry-After.", type=float)
@setting("burst", "Queries a client may send at once before --rate applies.")
@setting("service_allow", "A SPARQL endpoint IRI that SERVICE may call (repeatable; the variable takes IRIs "
         "separated by spaces). Default: none, SERVICE is refused.", multiple=True)  # fmt: skip
def serve(
    root: Path | None,
    host: str,
    port: int,
    public_url: str | None,
    timeout: float,
    row_cap: int,
    body_cap: int,
    concurrency: int,
    queue: int,
    rate: float,
    burst: int,
    service_allow: tuple[str, ...],
) -> None:
    """Validate the dataset and serve it over SPARQL (Oxigraph engine); refuses invalid data."""
    import uvicorn

    from bordergraph.app import create_app

    try:
        settings = Settings(
            host=host,
            port=port,
            public_url=public_url,
            timeout=timeout,
            row_cap=row_cap,
            body_cap=body_cap,
            concurrency=concurrency,
            queue=queue,
            rate=rate,
            burst=burst,
            service_allow=tuple(iri for value in service_allow for iri in split_iris(value)),
        )
    except ValueError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    built = _build(root)
    click.echo(built.report.render(), err=True)
    # One line per query on stderr (logger bordergraph.access), next to uvicorn's own log.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(built, settings=settings)
    uvicorn.run(app, host=host, port=port, log_level="info")


@main.command()
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("text")
@click.option(
    "--occurrence",
    default=1,
    show_default=True,
    help="Which occurrence, when the words occur more than once.",
)
def locate(source: Path, text: str, occurrence: int) -> None:
    """Print the oa:start/oa:end offsets of TEXT in SOURCE, for writing an annotation.

    Offsets count Unicode code points of the UTF-8 decoded file (Python str indexes).
    """
    content = source.read_text(encoding="utf-8")
    count = content.count(text)
    if count == 0:
        _fail(f"not found in {source}: copy the words exactly (curly quotes and dashes included)", EXIT_ERROR)
    if not 1 <= occurrence <= count:
        _fail(f"found {count} time(s); --occurrence must be between 1 and {count}", EXIT_ERROR)
    start = -1
    for _ in range(occurrence):
        start = content.find(text, start + 1)
    if count > 1:
        click.echo(f"# note: occurs {count} times; this is occurrence {occurrence}", err=True)
    click.echo(f"oa:start {start} ; oa:end {start + len(text)}")


@main.command()
@root_option
def links(root: Path | None) -> None:
    """Report the health of the Wikidata links: linked, not linked (with the reason), by type.

    Links live in data/mappings/wikidata.sssom.tsv; the reasons for missing ones in
    data/mappings/wikidata-not-linked.tsv.
    """
    from bordergraph.mappings import link_health, render_link_health

    built = _build(root)
    click.echo(render_link_health(link_health(built.store, built.loaded.paths)))


@main.command(name="export")
@root_option
@click.option(
    "--to",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist/latest"),
    show_default=True,
    help="Folder for the dumps, the property-graph files, manifest.json and SHA256SUMS.",
)
def export_command(root: Path | None, out: Path) -> None:
    """Validate, then write every export: RDF dumps, GraphML, GEXF, Cytoscape JSON, Neo4j CSV and Cypher.

    Also the ontology and shapes, a JSON-LD context, manifest.json and SHA256SUMS. Refuses invalid data.
    """
    from bordergraph.export import export_built

    built = _build(root)
    try:
        manifest = export_built(built, out)
    except OSError as exc:
        _fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"wrote {len(manifest['files'])} files, manifest.json and SHA256SUMS to {out}")


@main.command(name="release")
@root_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder holding one sub-folder per release.",
)
@click.option("--version", "version", default=__version__, show_default=True, help="Release version.")
@click.option(
    "--date",
    "date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Release date for the ontology's owl:versionIRI (default: today, UTC).",
)
@click.option("--force", is_flag=True, help="Rewrite the release folder if it exists.")
def release_command(root: Path | None, out: Path, version: str, date: Any, force: bool) -> None:
    """Validate, then write OUT/VERSION/: every export, a dated owl:versionIRI and CHANGELOG.md.

    The changelog counts triples added and removed per named graph against the previous release in OUT.
    """
    import datetime as dt

    from bordergraph.export import ReleaseError, release

    built = _build(root)
    day = date.date() if date else dt.datetime.now(dt.UTC).date()
    try:
        target = release(built, out, version, day, force=force)
    except ReleaseError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    except OSError as exc:
        _fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"released {version} ({day.isoformat()}) to {target}")
    click.echo((target / "CHANGELOG.md").read_text(encoding="utf-8"))


@main.command(name="publish")
@root_option
@click.option("--to", "gsp_url", required=True, help="The store's Graph Store Protocol endpoint "
              "(Oxigraph: http://HOST:PORT/store; Virtuoso: http://HOST:PORT/sparql-graph-crud-auth).")  # fmt: skip
@click.option(
    "--store-kind",
    type=click.Choice(["oxigraph", "virtuoso", "generic"]),
    default="oxigraph",
    show_default=True,
    help="How the store holds the default graph and replaces graphs (see docs/operations.md).",
)
@click.option("--user", default=None, help="User for the store's HTTP Digest authentication; the password is read "
              "from the environment variable BORDERGRAPH_STORE_PASSWORD, never from a flag.")  # fmt: skip
@click.option("--query-url", default=None, help="The store's SPARQL query endpoint (default: derived from --to).")
@click.option("--update-url", default=None, help="The store's SPARQL update endpoint (default: derived from --to).")
@click.option(
    "--from",
    "dump",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Publish this export folder (bordergraph.nq + bordergraph.nt) or N-Quads file (named graphs "
    "and their merge as the default graph) instead of validating and dumping the data now.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds each request to the store may take.")
def publish_command(
    root: Path | None,
    gsp_url: str,
    store_kind: str,
    user: str | None,
    query_url: str | None,
    update_url: str | None,
    dump: Path | None,
    timeout: float,
) -> None:
    """Publish the validated dataset into a triple store over the Graph Store Protocol, then verify it.

    One graph per source plus their merge as the default graph (Virtuoso: as the graph
    urn:bordergraph:merge). Readers never see a half-published dataset; publishing the same build
    twice changes nothing. Exit code 0 when the store holds exactly the build, 2 otherwise.
    """
    import tempfile

    from bordergraph.publish import PrepareError, Publisher, PublishError, prepare

    try:
        publisher = Publisher(gsp_url, store_kind, user, query_url, update_url, timeout)
    except PublishError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="bordergraph-publish-") as tmp:
            scratch = Path(tmp)
            if dump is None:
                from bordergraph.export import write_sorted_nquads, write_sorted_ntriples

                built = _build(root)
                click.echo(built.report.render(), err=True)
                nquads, merge = scratch / "bordergraph.nq", scratch / "bordergraph.nt"
                write_sorted_nquads(built.store, nquads, scratch)
                write_sorted_ntriples(built.store, merge, scratch)
            elif dump.is_dir():
                nquads, merge = dump / "bordergraph.nq", dump / "bordergraph.nt"
                if not nquads.exists() or not merge.exists():
                    _fail(f"error: {dump} lacks bordergraph.nq or bordergraph.nt (write it with bordergraph export)",
                          EXIT_ERROR)  # fmt: skip
            else:
                nquads, merge = dump, None
            prepared_dir = scratch / "prepared"
            prepared_dir.mkdir()
            prepared = prepare(nquads, merge, prepared_dir)
            total = prepared.named.stat().st_size + prepared.merge.stat().st_size
            with click.progressbar(length=total, label=f"publishing {prepared.version}", file=sys.stderr) as bar:
                result = publisher.publish(prepared, progress=bar.update)
    except (PrepareError, PublishError) as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    finally:
        publisher.close()
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    state = "already published, unchanged" if result.unchanged else "published and verified"
    click.echo(
        f"{state}: version {result.version}, {result.graphs} graphs, {result.triples} triples "
        f"+ {result.merge_triples} in the merge, at {gsp_url}"
    )
