"""``bordergraph serve``: its settings (flags and BORDERGRAPH_* variables) and the README table made from them."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bordergraph.builddir import (
    DUMP,
    SEARCH,
)
from bordergraph.cli.common import (
    EXIT_ERROR,
    build_dir_option,
    fail,
    last_good_build,
    root_option,
)
from bordergraph.paths import find_paths
from bordergraph.querystore import QueryStore
from bordergraph.web.settings import Settings, split_iris


def _check_port(host: str, port: int) -> None:
    """Exit with what to do when ``host:port`` cannot be bound (in use, or not an address of this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(
                    f"error: port {port} on {host} is already in use (another bordergraph serve?). Stop that "
                    f"process (see `ss -ltnp 'sport = :{port}'`), or serve on another port: "
                    f"BORDERGRAPH_PORT={port + 1} make serve, or bordergraph serve --port {port + 1}",
                    EXIT_ERROR,
                )
            fail(f"error: cannot listen on {host}:{port} ({exc.strerror}); set BORDERGRAPH_HOST/--host", EXIT_ERROR)


def setting(name: str, help: str, **kwargs: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A ``serve`` option for one Settings field: ``--row-cap`` ↔ ``BORDERGRAPH_ROW_CAP``, default from Settings."""
    default = getattr(Settings, name, None)
    if default is not None and "multiple" not in kwargs:
        kwargs.setdefault("type", type(default))
        kwargs.update(default=default, show_default=True)
    return click.option(
        f"--{name.replace('_', '-')}", envvar=f"BORDERGRAPH_{name.upper()}", show_envvar=True, help=help, **kwargs
    )


@click.command()
@root_option
@build_dir_option
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
        fail(f"error: {exc}", EXIT_ERROR)
    kind_source = click.get_current_context().get_parameter_source("backend_kind")
    if settings.backend is None and kind_source not in (None, click.core.ParameterSource.DEFAULT):
        fail(  # a kind without a store would silently serve the local build instead
            f"error: --backend-kind {settings.backend_kind} names the kind of a backend store, but no store was "
            "given: add --backend QUERY_URL (or BORDERGRAPH_BACKEND), or drop --backend-kind to serve the build",
            EXIT_ERROR,
        )
    _check_port(settings.host, settings.port)  # before any build: a busy port is known at once
    try:
        paths = find_paths(root)
    except OSError as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    found = last_good_build(root, build_dir)
    click.echo(f"serving build {found.id} ({found.path})", err=True)
    dump = found.dump_path
    if dump is None:
        fail(f"error: the build {found.path} has no {DUMP}: run bordergraph build", EXIT_ERROR)
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
