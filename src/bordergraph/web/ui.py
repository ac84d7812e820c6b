"""What every page shares: the Jinja environment, static files, colours, links, and the query editor page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from bordergraph.examples import examples
from bordergraph.paths import Paths
from bordergraph.prefixes import BASE, PREFIXES
from bordergraph.version import __version__

SPARQL_PATH = "/sparql"
SEARCH_PATH = "/search"
LABELS_PATH = "/labels"  # the names of records by IRI, for the query editor's result links
LIST_PATH = "/list"  # /list/{kind slug}: the list pages of bordergraph.search's kinds
STATIC = Path(__file__).parent.parent / "static"  # beside templates/, in the package root
TEMPLATES = Environment(
    loader=PackageLoader("bordergraph", "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True
)
KIND_COLOURS = {
    "person": "#4e79a7",
    "government": "#f28e2b",
    "organisation": "#e15759",
    "post": "#76b7b2",
    "event": "#59a14f",
    "agreement": "#edc948",
    "program": "#b07aa1",
    "place": "#ff9da7",
    "topic": "#9c755f",
    "source": "#bab0ac",
    "fact": "#d3d3d3",
    "other": "#ffffff",
}
COUNTRY_COLOURS = {BASE + "id/canada": "#d52b1e", BASE + "id/united-states": "#1d3f8f"}


def local_href(iri: str) -> str:
    """Where an IRI is served: namespace IRIs map onto this site's paths, others stay as they are."""
    return "/" + iri[len(BASE) :] if iri.startswith(BASE) else iri


def query_link(query: str) -> str:
    """A link that opens the query UI with ``query`` in a new tab (YASGUI reads the fragment)."""
    return f"{SPARQL_PATH}#query={quote(query, safe='')}"


def render_yasgui(paths: Paths, title: str, description: str, service_allow: tuple[str, ...] = ()) -> HTMLResponse:
    """The query UI page: vendored YASGUI, one tab per example query, a searchable gallery, the project prefixes."""
    tabs = [
        {
            "name": e.slug,
            "summary": e.summary,
            "question": e.question,
            "query": e.text,
            "federated": e.federated,
            "allowed": e.federated in service_allow,
        }
        for e in examples(paths)
    ]
    page = TEMPLATES.get_template("yasgui.html").render(
        version=__version__,
        q="",
        title=title,
        description=description,
        tabs=tabs,
        prefixes=PREFIXES,
        endpoint_path=SPARQL_PATH,
        base=BASE,
        kind_colours=KIND_COLOURS,
        country_colours=COUNTRY_COLOURS,
    )
    return HTMLResponse(page)
