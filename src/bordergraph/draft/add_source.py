"""Archive a new source text and open its (empty) records file: ``bordergraph add-source``.

Naming of archived files, ``data/sources/NNN_<16 hex>.txt``:

* ``NNN`` is the next free three-digit sequence number (one more than the highest in use);
* the hex is the first 16 hex digits of the sha256 of the archived bytes.

The five files archived before this command existed do not follow the second rule: their
hex part is not a prefix of the sha256, md5, sha1, sha512, blake2 or sha3 of the bytes, nor of
the title, slug or IRI (checked); it was probably derived from the original download, which is
not kept, so it cannot be recomputed. They keep their names; ``bg:sha256`` in
``data/sources.trig`` is what ties every record to its bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Literal, URIRef
from rdflib.namespace import FOAF, SKOS

from bordergraph.draft.dates import find_dates, parse_date
from bordergraph.paths import Paths
from bordergraph.prefixes import BG, BGG, BGR, PREFIXES, compact

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ARCHIVE_NAME = re.compile(r"^(\d{3})_([0-9a-f]{16})\.[A-Za-z0-9]+$")
KINDS = {"news-article": "schema:NewsArticle", "web-page": "schema:WebPage"}
_RECORD_PREFIXES = ("bg", "bgr", "bgg", "bgt", "rdf", "rdfs", "xsd", "owl", "skos", "dcterms", "foaf", "org", "prov",
                    "oa", "schema")  # fmt: skip
_STOP = {
    "a",
    "an",
    "and",
    "the",
    "of",
    "on",
    "in",
    "to",
    "for",
    "by",
    "with",
    "at",
    "from",
    "u",
    "s",
    "us",
    "minister",
    "secretary",
    "president",
    "prime",
    "honourable",
    "honorable",
    "release",
    "statement",
}


class AddSourceError(Exception):
    """The source cannot be added as asked; the message says what to change."""


@dataclass
class AddedSource:
    """What ``add_source`` wrote, and what a curator still has to do."""

    slug: str
    archived: Path
    sources_file: Path
    records_file: Path
    sha256: str
    todo: list[str] = field(default_factory=list)


def slugify(words: str) -> str:
    """Lower-case ASCII words joined by ``-`` (the project's slug rule)."""
    ascii_words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii").lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_words))


def archive_name(index: int, data: bytes, suffix: str) -> str:
    """``NNN_<first 16 hex of sha256>.<suffix>``, the scheme for every newly archived source."""
    return f"{index:03d}_{hashlib.sha256(data).hexdigest()[:16]}{suffix}"


def next_index(sources_dir: Path) -> int:
    """One more than the highest sequence number in ``data/sources/`` (0 for an empty folder)."""
    numbers = [int(m.group(1)) for p in sources_dir.glob("*") if (m := ARCHIVE_NAME.match(p.name))]
    return max(numbers, default=-1) + 1


def _months_long(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _read_sources(paths: Paths) -> Dataset:
    data = Dataset(default_union=True)
    data.parse(paths.sources_file, format="trig")
    return data


def _labelled(datasets: Iterable[Dataset], name: str) -> URIRef | None:
    """The one record labelled ``name`` (rdfs:label, skos:altLabel or foaf:name) in the given data, if exactly one."""
    found: set[URIRef] = set()
    for data in datasets:
        for prop in (RDFS.label, SKOS.altLabel, FOAF.name):
            for subject, value in data.subject_objects(prop):
                if not isinstance(subject, URIRef) or str(value).casefold() != name.casefold():
                    continue
                if (subject, RDF.type, BG.SourceDocument) not in data:
                    found.add(subject)
    return found.pop() if len(found) == 1 else None


def _record_datasets(paths: Paths) -> list[Dataset]:
    out = []
    for path in [paths.sources_file, *paths.record_files]:
        data = Dataset(default_union=True)
        try:
            data.parse(path, format="trig")
        except Exception:  # noqa: S112  # rdflib raises many types; `validate` reports the file, here we only look up names
            continue
        out.append(data)
    return out


def _issued(text: str, issued: str) -> tuple[str, str]:
    """(xsd:date value, the words printed) for ``--issued``, given as printed or as YYYY-MM-DD."""
    parsed = parse_date(issued)
    if parsed is None or parsed[1] != "date":
        raise AddSourceError(
            f"--issued {issued!r} is not a full date: give it as printed in the text (e.g. 'March 10, 2017') "
            "or as YYYY-MM-DD; leave it out when the text prints no date"
        )
    value = parsed[0]
    if issued.strip() in text and not re.fullmatch(r"\d{4}-\d\d-\d\d", issued.strip()):
        return value, issued.strip()
    printed = [d for d in find_dates(text) if d.value == value and not d.relative]
    if not printed:
        raise AddSourceError(
            f"the text does not print the date {value} (looked for every printed form of it): give --issued "
            "exactly as the text prints it, or leave it out for an undated source"
        )
    words = printed[0].as_stated
    words = re.sub(r"^(?:[Oo]n|[Ii]n|[Oo]f|[Bb]y|[Ss]ince|[Uu]ntil|[Ff]rom|[Dd]uring|[Bb]efore|[Aa]fter)\s+", "", words)
    return value, words


def _turtle(value: str) -> str:
    return Literal(value).n3()


def _source_block(
    slug: str,
    *,
    kind: str,
    label: str,
    title: str,
    issued: tuple[str, str] | None,
    publisher: tuple[str, URIRef | None] | None,
    place: tuple[str, URIRef | None] | None,
    media_type: str,
    language: str,
    local_path: str,
    sha256: str,
) -> str:
    """The source record, laid out exactly as the existing ones in data/sources.trig."""
    lines = [
        f"bgr:{slug} a bg:SourceDocument , {KINDS[kind]} ;",
        f"    rdfs:label {_turtle(label)}@en ;",
        f"    dcterms:title {_turtle(title)}@en ;",
    ]
    if issued:
        lines += [
            f'    dcterms:issued "{issued[0]}"^^xsd:date ;',
            f"    bg:dateAsStated {_turtle(issued[1])} ;",
            "    bg:dateStatus bg:DateStated ;",
        ]
    else:
        lines.append("    bg:dateStatus bg:DateNotStated ;")
    for words, link, printed_prop, link_prop in (
        (*(publisher or ("", None)), "bg:publisherAsStated", "dcterms:publisher"),
        (*(place or ("", None)), "bg:placeOfIssueAsStated", "schema:locationCreated"),
    ):
        if words:
            lines.append(f"    {printed_prop} {_turtle(words)} ;")
            if link is not None:
                lines.append(f"    {link_prop} {compact(str(link))} ;")
    lines += [
        f"    dcterms:format {_turtle(media_type)} ;",
        f"    dcterms:language {_turtle(language)} ;",
        f"    bg:localPath {_turtle(local_path)} ;",
        f"    bg:sha256 {_turtle(sha256)} ;",
        f"    bg:sourceGraph bgg:{slug} .",
    ]
    return "\n".join(lines) + "\n"


def _insert_record(trig: str, block: str) -> str:
    """Put ``block`` after the last source record (before the trailing labels and the closing brace)."""
    records = list(re.finditer(r"^\s*bg:sourceGraph\s+bgg:[\w-]+\s*\.[ \t]*\n", trig, flags=re.MULTILINE))
    if records:
        last = records[-1]
        return trig[: last.end()] + "\n" + block + trig[last.end() :]
    close = trig.rstrip().rfind("}")
    if close < 0:
        raise AddSourceError("data/sources.trig has no GRAPH bgg:sources { … } block to add the record to")
    return trig[:close] + "\n" + block + "\n" + trig[close:]


def _records_file_text(slug: str, title: str, local_path: str) -> str:
    prefixes = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in _RECORD_PREFIXES)
    return (
        f"{prefixes}\n"
        f"# Records drawn from {title!r} ({local_path}).\n"
        "# Every fact: a qualified node with rdfs:label and prov:wasDerivedFrom "
        f"bgr:{slug},\n"
        '# and bg:quote "the verbatim words" (docs/curation.md, Evidence).\n\n'
        f"GRAPH bgg:{slug} {{\n\n}}\n"
    )


def add_source(
    paths: Paths,
    file: Path,
    *,
    title: str,
    issued: str | None = None,
    publisher: str | None = None,
    place: str | None = None,
    slug: str | None = None,
    kind: str = "news-article",
    language: str = "en",
    label: str | None = None,
) -> AddedSource:
    """Archive ``file`` under data/sources/, add its source record and an empty records file.

    Every printed string (title, date, publisher, place) must occur verbatim in the text, as
    ``bordergraph validate`` requires. Nothing is written unless everything checks out.

    Raises:
        AddSourceError: the message says what to fix.

    """
    if kind not in KINDS:
        raise AddSourceError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise AddSourceError(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AddSourceError(f"{file} is not UTF-8 ({exc}): convert it first; offsets count code points") from exc
    if not text.strip():
        raise AddSourceError(f"{file} is empty")
    sha256 = hashlib.sha256(data).hexdigest()
    sources = _read_sources(paths)
    for known, value in sources.subject_objects(BG.sha256):
        if str(value) == sha256:
            raise AddSourceError(f"{file} is already archived: it has the sha256 of <{known}>")
    if title not in text:
        raise AddSourceError(f"--title {title!r} is not printed in {file}: copy the title verbatim from the text")
    for option, words in (("--publisher", publisher), ("--place", place)):
        if words is not None and words not in text:
            raise AddSourceError(f"{option} {words!r} is not printed in {file}: copy the words verbatim")
    issued_pair = _issued(text, issued) if issued else None
    year = issued_pair[0][:4] if issued_pair else ""
    if slug is None:
        title_words = [w for w in slugify(title).split("-") if w not in _STOP][:4]
        prefix = "release" if kind == "news-article" else "page"
        slug = "-".join(part for part in (prefix, year, *title_words) if part)
    if not SLUG.match(slug):
        raise AddSourceError(f"slug {slug!r} must be lower-case ASCII words joined by '-' (^[a-z0-9]+(-[a-z0-9]+)*$)")
    records_file = paths.data_dir / "records" / f"{slug}.trig"
    if records_file.exists() or (BGR[slug], None, None) in sources or (None, BG.sourceGraph, BGG[slug]) in sources:
        raise AddSourceError(f"slug {slug!r} is taken (bgr:{slug} or {paths.relative(records_file)}): pass --slug")
    media, _ = mimetypes.guess_type(file.name)
    if media is None or not media.startswith("text/"):
        media = "text/plain"
    suffix = file.suffix.lower() if re.fullmatch(r"\.[a-z0-9]+", file.suffix.lower()) else ".txt"
    paths.sources_dir.mkdir(parents=True, exist_ok=True)
    archived = paths.sources_dir / archive_name(next_index(paths.sources_dir), data, suffix)
    local_path = f"data/sources/{archived.name}"

    others = _record_datasets(paths)
    publisher_pair = (publisher, _labelled(others, publisher)) if publisher else None
    place_pair = (place, _labelled(others, place)) if place else None
    when = f", {_months_long(dt.date.fromisoformat(issued_pair[0]))}" if issued_pair else " (undated)"
    block = _source_block(
        slug,
        kind=kind,
        label=label or f"{title}{when}",
        title=title,
        issued=issued_pair,
        publisher=publisher_pair,
        place=place_pair,
        media_type=f"{media}; charset=utf-8",
        language=language,
        local_path=local_path,
        sha256=sha256,
    )
    old_trig = paths.sources_file.read_text(encoding="utf-8")
    new_trig = _insert_record(old_trig, block)
    check = Dataset(default_union=True)
    check.parse(data=new_trig, format="trig")  # never write a sources.trig that does not parse
    if (BGR[slug], BG.sha256, Literal(sha256)) not in check:
        raise AddSourceError("the new record did not land in data/sources.trig: add it by hand")

    written: list[Path] = []
    try:
        with archived.open("xb") as out:
            out.write(data)
        written.append(archived)
        records_file.parent.mkdir(parents=True, exist_ok=True)
        with records_file.open("x", encoding="utf-8") as out:
            out.write(_records_file_text(slug, title, local_path))
        written.append(records_file)
        tmp = paths.sources_file.with_suffix(".trig.tmp")
        tmp.write_text(new_trig, encoding="utf-8")
        tmp.replace(paths.sources_file)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise AddSourceError(f"cannot write: {exc}") from exc

    todo = [
        f"read {local_path} and mark what is page chrome (menus, contact blocks, footers): it is not data",
        f"check rdfs:label of bgr:{slug} in data/sources.trig (written as {label or title + when!r})",
    ]
    if publisher_pair and publisher_pair[1] is None:
        todo.append(f"no record is named {publisher!r}: describe it, then add dcterms:publisher to bgr:{slug}")
    if place_pair and place_pair[1] is None:
        todo.append(f"no record is named {place!r}: describe the place, then add schema:locationCreated to bgr:{slug}")
    if not issued_pair:
        todo.append("no --issued date: 'today' in the text cannot be resolved; say so in an editorialNote if it occurs")
    todo += [
        f"draft the records: bordergraph draft {local_path} (writes drafts/{slug}.trig, never loaded)",
        f"write the facts into {paths.relative(records_file)}, each with prov:wasDerivedFrom bgr:{slug} "
        'and bg:quote "the verbatim words" (docs/curation.md, Evidence)',
        "bordergraph validate, then make test",
    ]
    return AddedSource(slug, archived, paths.sources_file, records_file, sha256, todo)
