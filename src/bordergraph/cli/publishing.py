"""``bordergraph publish``: the validated build into a triple store over the Graph Store Protocol."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from bordergraph.builddir import (
    DUMP,
)
from bordergraph.cli.common import (
    EXIT_ERROR,
    build_dir_option,
    fail,
    last_good_build,
    root_option,
)


@click.command(name="publish")
@root_option
@build_dir_option
@click.option("--to", "gsp_url", required=True, help="The store's Graph Store Protocol endpoint "
              "(Oxigraph: http://HOST:PORT/store; Virtuoso: http://HOST:PORT/sparql-graph-crud-auth; "
              "any other store: --store-kind generic with --query-url).")  # fmt: skip
@click.option(
    "--store-kind",
    type=click.Choice(["oxigraph", "virtuoso", "generic"]),
    default="oxigraph",
    show_default=True,
    help="How the store holds the default graph and replaces graphs (see docs/operations.md).",
)
@click.option("--user", default=None, help="User for the store's HTTP Digest authentication; the password is read "
              "from the environment variable BORDERGRAPH_STORE_PASSWORD, never from a flag.")  # fmt: skip
@click.option("--query-url", default=None, help="The store's SPARQL query endpoint, used to verify the publish "
              "(oxigraph, virtuoso: derived from --to by default; generic: required).")  # fmt: skip
@click.option("--update-url", default=None, help="The store's SPARQL update endpoint (virtuoso: derived from --to by "
              "default; oxigraph and generic use none).")  # fmt: skip
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
        fail(f"error: {exc}", EXIT_ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="bordergraph-publish-") as tmp:
            scratch = Path(tmp)
            if dump is None:  # the last good build, made first if an input changed (as serve does)
                found = last_good_build(root, build_dir)
                if found.dump_path is None:
                    fail(f"error: the build {found.path} has no {DUMP}: run bordergraph build", EXIT_ERROR)
                click.echo(f"publishing build {found.id} ({found.path})", err=True)
                nquads, merge = found.dump_path, None
            elif dump.is_dir():
                nquads, merge = dump / "bordergraph.nq", dump / "bordergraph.nt"
                if not nquads.exists():
                    fail(f"error: {dump} has no bordergraph.nq (a build or export folder has one)", EXIT_ERROR)
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
        fail(f"error: {exc}", EXIT_ERROR)
    finally:
        publisher.close()
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    state = "already published, unchanged" if result.unchanged else "published and verified"
    click.echo(
        f"{state}: version {result.version}, {result.graphs} graphs, {result.triples} triples "
        f"+ {result.merge_triples} in the merge, at {gsp_url}"
    )
