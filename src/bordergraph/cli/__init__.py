"""The ``bordergraph`` command. Thin: every command calls the modules that do the work.

Exit codes follow pySHACL: 0 the data is valid, 1 the data is invalid, 2 usage or other error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from bordergraph.builddir import CURRENT, DUMP, SEARCH
from bordergraph.cli.common import (
    EXIT_ERROR,
    build_or_exit,
    data_option,
    fail,
    folder_option,
    publish_build,
    root_option,
)
from bordergraph.cli.curating import add_source_command, draft_command, links, locate
from bordergraph.cli.publishing import publish_command
from bordergraph.cli.serving import serve, settings_table
from bordergraph.version import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bordergraph")
def main() -> None:
    """bordergraph: Canada–US border-security cooperation as a knowledge graph.

    Every fact comes from an archived press release, with the verbatim quote that supports it.
    Typical use: `bordergraph validate`, then `bordergraph serve`.
    """


@click.command()
@root_option
@data_option
def validate(root: Path | None, data_files: tuple[Path, ...]) -> None:
    """Check the data contract: SHACL shapes, SPARQL checks, and every quote against its source.

    Exit code 0 when valid, 1 when invalid (the report names file, record and rule), 2 on error.
    """
    built = build_or_exit(root, data_files)
    click.echo(built.report.render())


@click.command(name="build")
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
    made = publish_build(root, out)
    click.echo(
        f"wrote build {made.id} to {made.path} ({made.manifest['triples']} triples in "
        f"{len(made.graph_sizes)} named graphs: store/, {DUMP}, {SEARCH}, manifest.json); {out / CURRENT} points to it"
    )


@click.command(name="export")
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

    built = build_or_exit(root)
    try:
        manifest = export_checkout(built.store, built.paths, out)
    except OSError as exc:
        fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"wrote {len(manifest['files'])} files, manifest.json and SHA256SUMS to {out}")


@click.command(name="release")
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
    from bordergraph.export.release import ReleaseError, release

    built = build_or_exit(root)
    day = date.date() if date else dt.datetime.now(dt.UTC).date()
    try:
        target = release(built.store, built.paths, out, version, day, force=force)
    except ReleaseError as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    except OSError as exc:
        fail(f"error: cannot write to {out}: {exc.strerror or exc}", EXIT_ERROR)
    click.echo(built.report.render())
    click.echo(f"released {version} ({day.isoformat()}) to {target}")
    click.echo((target / "CHANGELOG.md").read_text(encoding="utf-8"))


for command in (validate, build_command, export_command, release_command):
    main.add_command(command)
for command in (serve, locate, links, add_source_command, draft_command, publish_command):
    main.add_command(command)

__all__ = ["main", "serve", "settings_table"]
