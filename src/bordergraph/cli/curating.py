"""Curators' commands: locate words in a source, link health, add a source, draft its records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bordergraph.cli.common import (
    EXIT_ERROR,
    EXIT_INVALID,
    build_or_exit,
    fail,
    root_option,
)
from bordergraph.paths import find_paths
from bordergraph.problems import LoadError


@click.command()
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
        fail(f"not found in {source}: copy the words exactly (curly quotes and dashes included)", EXIT_ERROR)
    if not 1 <= occurrence <= count:
        fail(f"found {count} time(s); --occurrence must be between 1 and {count}", EXIT_ERROR)
    start = -1
    for _ in range(occurrence):
        start = content.find(text, start + 1)
    if count > 1:
        click.echo(f"# note: occurs {count} times; this is occurrence {occurrence}", err=True)
    click.echo(f"oa:start {start} ; oa:end {start + len(text)}")


@click.command()
@root_option
def links(root: Path | None) -> None:
    """Report the health of the Wikidata links: linked, not linked (with the reason), by type.

    Links live in data/mappings/wikidata.sssom.tsv; the reasons for missing ones in
    data/mappings/wikidata-not-linked.tsv.
    """
    from bordergraph.links import link_health, render_link_health

    built = build_or_exit(root)
    click.echo(render_link_health(link_health(built.store, built.paths)))


@click.command(name="add-source")
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

    try:
        added = add_source(find_paths(root), file, **options)
    except (AddSourceError, FileNotFoundError) as exc:
        fail(f"error: {exc}", EXIT_ERROR)
    click.echo(f"archived {file} as {added.archived} (sha256 {added.sha256})")
    click.echo(f"added bgr:{added.slug} to {added.sources_file}; opened {added.records_file}")
    click.echo("still to do:")
    for number, step in enumerate(added.todo, start=1):
        click.echo(f"  {number}. {step}")


@click.command(name="draft")
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

    try:
        paths = find_paths(root)
        slug, trig = draft_file(load(paths).dataset, file, issued.date() if issued else None, turtle=turtle)
        if out is not None and str(out) == "-":
            click.echo(trig, nl=False)
            return
        click.echo(f"wrote {write_draft(paths, slug, trig, out, turtle=turtle)}")
    except LoadError as exc:
        fail("INVALID: the files do not load:\n" + "\n".join(f"  - {p}" for p in exc.problems), EXIT_INVALID)
    except (DraftError, FileNotFoundError) as exc:
        fail(f"error: {exc}", EXIT_ERROR)
