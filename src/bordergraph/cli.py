"""The ``bordergraph`` command. Thin: every command calls the modules that do the work.

Exit codes follow pySHACL: 0 the data is valid, 1 the data is invalid, 2 usage or other error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from bordergraph import __version__
from bordergraph.build import Built, InvalidDataError, build
from bordergraph.load import LoadError

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


@main.command()
@root_option
@click.option("--host", default="127.0.0.1", show_default=True, envvar="BORDERGRAPH_HOST", help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, envvar="BORDERGRAPH_PORT", help="TCP port.")
@click.option(
    "--public-url",
    envvar="BORDERGRAPH_PUBLIC_URL",
    help="Public URL of the SPARQL endpoint, for the service description (default: http://HOST:PORT/sparql).",
)
def serve(root: Path | None, host: str, port: int, public_url: str | None) -> None:
    """Validate the dataset and serve it over SPARQL (Oxigraph engine); refuses invalid data."""
    import uvicorn

    from bordergraph.app import create_app

    built = _build(root)
    click.echo(built.report.render(), err=True)
    app = create_app(built, public_url or f"http://{host}:{port}/sparql")
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
