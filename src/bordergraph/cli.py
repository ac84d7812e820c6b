"""The ``bordergraph`` command. Thin: every command calls the modules that do the work.

Exit codes follow pySHACL: 0 the data is valid, 1 the data is invalid, 2 usage or other error.
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from bordergraph.build import Built, InvalidDataError, build
from bordergraph.builddir import (
    CURRENT,
    DUMP,
    SEARCH,
    BuildDir,
    BuildError,
    current,
    project_inputs,
    publish,
    validation_summary,
    write_store,
)
from bordergraph.paths import find_paths
from bordergraph.problems import LoadError
from bordergraph.querystore import QueryStore
from bordergraph.version import __version__
from bordergraph.web.settings import Settings, split_iris

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


def folder_option(*names: str, default: str, help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """An option naming an output folder (created when needed)."""
    return click.option(
        *names, type=click.Path(file_okay=False, path_type=Path), default=Path(default), show_default=True, help=help
    )


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _check_port(host: str, port: int) -> None:
    """Exit with what to do when ``host:port`` cannot be bound (in use, or not an address of this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                _fail(
                    f"error: port {port} on {host} is already in use (another bordergraph serve?). Stop that "
                    f"process (see `ss -ltnp 'sport = :{port}'`), or serve on another port: "
                    f"BORDERGRAPH_PORT={port + 1} make serve, or bordergraph serve --port {port + 1}",
                    EXIT_ERROR,
                )
            _fail(f"error: cannot listen on {host}:{port} ({exc.strerror}); set BORDERGRAPH_HOST/--host", EXIT_ERROR)


def _build(root: Path | None, data_files: tuple[Path, ...] = (), dump_dir: Path | None = None) -> Built:
    """Build (and write the canonical dump into ``dump_dir``) or exit with the report: 1 invalid data, 2 else."""
    try:
        return build(root, list(data_files) or None, dump_dir)
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


def _publish(root: Path | None, out: Path) -> BuildDir:
    """Validate, then publish a build into ``out`` (atomically), or exit with the report.

    The build writes into the new build's own folder (its canonical dump and search index), then
    the store is bulk-loaded there; only a complete, validated build becomes ``out/current``.
    """
    try:
        inputs = project_inputs(find_paths(root).root)
        prints = inputs.fingerprint()  # before loading: a file changed during the build makes the next start rebuild
    except OSError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)

    def fill(folder: Path) -> dict[str, Any]:
        built = _build(root, dump_dir=folder)  # exits (and the folder is removed) when the data is invalid
        click.echo(built.report.render(), err=True)
        counts = write_store(folder, quads=built.store.store.quads_for_pattern(None, None, None, None))
        return {**counts, "validation": validation_summary(built.report)}

    try:
        return publish(out, inputs, fill, prints=prints)
    except BuildError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    except OSError as exc:
        _fail(f"error: cannot write the build to {out}: {exc.strerror or exc}", EXIT_ERROR)


@main.command(name="build")
@root_option
@folder_option(
    "--out",
    default="build",
    help="Folder of the builds: each is written beside the last one, then OUT/current points to it.",
)
def build_command(root: Path | None, out: Path) -> None:
    """Validate, then write a build: the on-disk store, the canonical dump, the search index and a manifest.

    The build is written beside the previous one and only then made current (OUT/current), so a
    build that fails or is interrupted never replaces the last good one. Refuses invalid data (exit 1).
    """
    made = _publish(root, out)
    click.echo(
        f"wrote build {made.id} to {made.path} ({made.manifest['triples']} triples in "
        f"{len(made.graph_sizes)} named graphs: store/, {DUMP}, {SEARCH}, manifest.json); {out / CURRENT} points to it"
    )


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
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BORDERGRAPH_BUILD_DIR",
    show_envvar=True,
    default=Path("build"),
    show_default=True,
    help="Folder of the builds (bordergraph build --out); BUILD_DIR/current is the last good one.",
)
@setting("host", "Interface to bind.")
@setting("port", "TCP port.")
@setting("public_url", "Public URL of the SPARQL endpoint: `sd:endpoint` in the service description "
         "(default: the URL each client used).")  # fmt: skip
@setting("timeout", "Seconds a query may run; then its worker is killed and the client gets **504**.")
@setting("row_cap", "Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) in one answer; above it the answer is **422** "
         "with a message (never a truncated result); every answer carries `X-Bordergraph-Row-Cap` and "
         "`X-Bordergraph-Rows`.")  # fmt: skip
@setting("body_cap", "Largest request body or query string, in bytes; above it: **413**.")
@setting("concurrency", "Worker processes, i.e. queries evaluated at once (all read the build's one store on disk).")
@setting("queue", "Queries that may wait for a worker; beyond: **503** with `Retry-After`.")
@setting("rate", "Queries per minute per client address, `0` for none; above it: **429** with `Retry-After`.",
         type=float)  # fmt: skip
@setting("burst", "Queries a client may send at once before `--rate` applies.")
@setting("cache_bytes", "Bytes of recent answers kept in memory so that repeated queries skip the workers; `0`: none.")
@setting("cache_max_age", "Seconds clients and proxies may reuse an answer (`Cache-Control: max-age`); then its "
         "`ETag` revalidates it (**304**).")  # fmt: skip
@setting("client_concurrency", "Workers one client address may hold at once; `0`: all but one, so one client "
         "flooding slow queries always leaves a worker for the others (a free worker goes to the waiting client "
         "holding fewest).")  # fmt: skip
@setting("client_queue", "Queries one client address may have waiting for a worker; beyond: **429** with "
         "`Retry-After`.")  # fmt: skip
@setting("crash_quarantine", "Seconds a query that crashed a worker is refused with **422** when sent again "
         "(recognised however it is spaced or commented; logged once); `0`: never.")  # fmt: skip
@setting("guard_margin", "Safety factor between the query engine's measured crash points (long chains of "
         "operators, `UNION`, `MINUS`, `BIND`, path steps, nesting; `bench/guard_limits.py` measures them) and "
         "what is accepted; beyond: **400** naming the limit.", type=float)  # fmt: skip
@setting("backend", "A triple store's SPARQL query endpoint (e.g. `http://host:7878/query`, Virtuoso's "
         "`…/sparql`) holding the build (`bordergraph publish`): it evaluates the queries instead of local "
         "workers; partial answers become errors, a store down or slow **503**/**504**.", type=str)  # fmt: skip
@setting("backend_kind", "How the backend holds the default graph: `oxigraph` (as its default graph), "
         "`virtuoso` (the graph `urn:bordergraph:merge`) or `generic`.",
         type=click.Choice(["oxigraph", "virtuoso", "generic"]))  # fmt: skip
@setting("service_allow", "SPARQL endpoint IRIs that `SERVICE` may call (repeat the flag; the variable takes IRIs "
         "separated by spaces); none: `SERVICE` is refused.", multiple=True)  # fmt: skip
def serve(root: Path | None, build_dir: Path, service_allow: tuple[str, ...], **options: Any) -> None:
    """Serve the last good build over SPARQL (Oxigraph engine), building it first if an input changed.

    When BUILD_DIR/current was built from exactly today's files and tools (its manifest says so), it
    is served without validating again; otherwise the data is validated and a new build written
    first. Data that does not validate is never served (exit 1).
    """
    import uvicorn

    from bordergraph.web.reason import ReasonProtocol
    from bordergraph.web.worker import start_fork_server

    try:
        settings = Settings(**options, service_allow=tuple(iri for v in service_allow for iri in split_iris(v)))
    except ValueError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    _check_port(settings.host, settings.port)  # before any build: a busy port is known at once
    try:
        paths = find_paths(root)
        found = current(build_dir)
        reason = found.mismatch(project_inputs(paths.root)) if found else f"no validated build in {build_dir}"
    except OSError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    if found is not None and reason is None:
        click.echo(
            f"serving build {found.id} ({found.path}, validated {found.manifest['created']}): "
            "inputs and tools unchanged, not validated again",
            err=True,
        )
    else:
        click.echo(f"building first: {reason}", err=True)
        found = _publish(root, build_dir)
        click.echo(f"serving build {found.id} ({found.path})", err=True)
    dump = found.dump_path
    if dump is None:
        _fail(f"error: the build {found.path} has no {DUMP}: run bordergraph build", EXIT_ERROR)
    start_fork_server()  # the query workers' imports run while the app's do
    # One line per query on stderr (logger bordergraph.access), next to uvicorn's own log.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from bordergraph.web.app import create_app

    search = found.path / SEARCH
    app = create_app(
        QueryStore(found.open_store()),
        paths,
        dump,
        settings,
        search_index=search if search.is_file() else None,
        build=found,
    )
    # ReasonProtocol: error messages also travel as the HTTP reason phrase (see bordergraph.web.reason).
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", http=ReasonProtocol)


def settings_table() -> str:
    """The README's table of ``serve`` settings, generated from the options above (cog writes it; a test checks it)."""
    rows = ["| flag | variable | default | what |", "|---|---|---|---|"]
    defaults = Settings()
    for param in serve.params:
        if not isinstance(param, click.Option) or param.name in ("root", "build_dir"):
            continue
        default = getattr(defaults, str(param.name))
        if isinstance(default, float) and default.is_integer():
            default = int(default)
        shown = f"`{default}`" if default not in (None, ()) else "none"
        rows.append(f"| `{param.opts[0]}` | `{param.envvar}` | {shown} | {param.help} |")
    return "\n".join(rows)


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
    from bordergraph.links import link_health, render_link_health

    built = _build(root)
    click.echo(render_link_health(link_health(built.store, built.paths)))


@main.command(name="export")
@root_option
@folder_option(
    "--to",
    "out",
    default="dist/latest",
    help="Folder for the dumps, the property-graph files, manifest.json and SHA256SUMS.",
)
def export_command(root: Path | None, out: Path) -> None:
    """Validate, then write every export: RDF dumps, GraphML, GEXF, Cytoscape JSON, Neo4j CSV and Cypher.

    Also the ontology and shapes, a JSON-LD context, manifest.json and SHA256SUMS. Refuses invalid data.
    """
    from bordergraph.export.release import export_checkout

    built = _build(root)
    try:
        manifest = export_checkout(built.store, built.paths, out)
    except OSError as exc:
        _fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"wrote {len(manifest['files'])} files, manifest.json and SHA256SUMS to {out}")


@main.command(name="release")
@root_option
@folder_option("--out", default="dist", help="Folder holding one sub-folder per release.")
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

    from bordergraph.export.release import ReleaseError, release

    built = _build(root)
    day = date.date() if date else dt.datetime.now(dt.UTC).date()
    try:
        target = release(built.store, built.paths, out, version, day, force=force)
    except ReleaseError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    except OSError as exc:
        _fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"released {version} ({day.isoformat()}) to {target}")
    click.echo((target / "CHANGELOG.md").read_text(encoding="utf-8"))


@main.command(name="add-source")
@root_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--title", required=True, help="The title exactly as the text prints it.")
@click.option("--issued", default=None, help="The date as printed ('March 10, 2017') or YYYY-MM-DD; omit if undated.")
@click.option("--publisher", default=None, help="The publisher exactly as printed, when the text names one.")
@click.option("--place", default=None, help="The place of issue exactly as printed (a dateline), when there is one.")
@click.option("--slug", default=None, help="Slug of the source and its graph (default: from kind, year and title).")
@click.option(
    "--kind",
    type=click.Choice(["news-article", "web-page"]),
    default="news-article",
    show_default=True,
    help="schema:NewsArticle or schema:WebPage.",
)
@click.option("--language", default="en", show_default=True, help="BCP 47 language tag of the text.")
@click.option("--label", default=None, help="rdfs:label of the source record (default: title and date).")
def add_source_command(root: Path | None, file: Path, **options: Any) -> None:
    """Archive FILE under data/sources/, add its record to data/sources.trig and an empty records file.

    Prints what remains to do. Writes nothing when a check fails (exit 2, the message says what to fix).
    """
    from bordergraph.draft.add_source import AddSourceError, add_source
    from bordergraph.paths import find_paths

    try:
        added = add_source(find_paths(root), file, **options)
    except (AddSourceError, FileNotFoundError) as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    click.echo(f"archived {file} as {added.archived} (sha256 {added.sha256})")
    click.echo(f"added bgr:{added.slug} to {added.sources_file}; opened {added.records_file}")
    click.echo("still to do:")
    for number, step in enumerate(added.todo, start=1):
        click.echo(f"  {number}. {step}")


@main.command(name="draft")
@root_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the draft ('-' for standard output). Default: drafts/<slug>.trig (never loaded or served).",
)
@click.option(
    "--issued",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The source's own date (YYYY-MM-DD) for 'today', when data/sources.trig has no record of FILE.",
)
@click.option("--turtle", is_flag=True, help="Write Turtle (no GRAPH block) instead of TriG.")
def draft_command(root: Path | None, file: Path, out: Path | None, issued: Any, turtle: bool) -> None:
    """Draft the records of FILE for a curator: sentences, mentions, dates, figures, quotations, events, claims.

    Rule-based and deterministic; the loaded graph is the gazetteer; 'today' is the source's own date, never the
    clock. The draft goes to drafts/ (or --out), outside data/: nothing is loaded or served until a curator moves it.
    """
    from bordergraph.draft import DraftError, draft_file, write_draft
    from bordergraph.loader import load
    from bordergraph.paths import find_paths

    try:
        paths = find_paths(root)
        slug, trig = draft_file(load(paths).dataset, file, issued.date() if issued else None, turtle=turtle)
        if out is not None and str(out) == "-":
            click.echo(trig, nl=False)
            return
        click.echo(f"wrote {write_draft(paths, slug, trig, out, turtle=turtle)}")
    except LoadError as exc:
        _fail("INVALID: the files do not load:\n" + "\n".join(f"  - {p}" for p in exc.problems), EXIT_INVALID)
    except (DraftError, FileNotFoundError) as exc:
        _fail(f"error: {exc}", EXIT_ERROR)


@main.command(name="publish")
@root_option
@click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="BORDERGRAPH_BUILD_DIR",
    show_envvar=True,
    default=Path("build"),
    show_default=True,
    help="Folder of the builds; BUILD_DIR/current, the last good one, is published (built first if stale).",
)
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
    help="Publish this build or export folder (its bordergraph.nq) or N-Quads file (named graphs, "
    "optionally their merge as the default graph) instead of the last good build.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds each request to the store may take.")
def publish_command(
    root: Path | None,
    build_dir: Path,
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
    from bordergraph.publish import PrepareError, Publisher, PublishError, prepare

    try:
        publisher = Publisher(gsp_url, store_kind, user, query_url, update_url, timeout)
    except PublishError as exc:
        _fail(f"error: {exc}", EXIT_ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="bordergraph-publish-") as tmp:
            scratch = Path(tmp)
            if dump is None:  # the last good build, made first if an input changed (as serve does)
                found = current(build_dir)
                reason = found.mismatch(project_inputs(find_paths(root).root)) if found else "no build yet"
                if found is None or reason is not None:
                    click.echo(f"building first: {reason}", err=True)
                    found = _publish(root, build_dir)
                if found.dump_path is None:
                    _fail(f"error: the build {found.path} has no {DUMP}: run bordergraph build", EXIT_ERROR)
                click.echo(f"publishing build {found.id} ({found.path})", err=True)
                nquads, merge = found.dump_path, None
            elif dump.is_dir():
                nquads, merge = dump / "bordergraph.nq", dump / "bordergraph.nt"
                if not nquads.exists():
                    _fail(f"error: {dump} has no bordergraph.nq (a build or export folder has one)", EXIT_ERROR)
                merge = merge if merge.exists() else None
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
