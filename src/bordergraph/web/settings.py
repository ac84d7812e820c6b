"""Service settings: one frozen dataclass, filled from CLI flags or ``BORDERGRAPH_*`` variables.

Every limit that keeps the public endpoint up lives here, with the default a public deployment
should start from; ``bordergraph serve --help`` and README.md ("Running the endpoint") list them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def split_iris(value: str | None) -> tuple[str, ...]:
    """Read an allow-list written as IRIs separated by spaces or commas."""
    return tuple(part for part in (value or "").replace(",", " ").split() if part)


@dataclass(frozen=True)
class Settings:
    """Limits and addresses of one running endpoint."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: Public URL of the SPARQL endpoint for the service description; None: the URL the client used.
    public_url: str | None = None
    #: Seconds a query may run before its worker is killed (the client gets 504).
    timeout: float = 10.0
    #: Most result rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one answer may hold; above it: 422.
    row_cap: int = 10_000
    #: Largest request body or query string, in bytes; above it: 413.
    body_cap: int = 128 * 1024
    #: Worker processes, i.e. queries evaluated at the same time.
    concurrency: int = 4
    #: Queries that may wait for a free worker; beyond that: 503 with Retry-After.
    queue: int = 32
    #: Queries per minute per client address (0: no limit); above it: 429 with Retry-After.
    rate: float = 600.0
    #: Queries a client may send at once before the per-minute rate applies.
    burst: int = 60
    #: SPARQL endpoints that SERVICE may call; empty: SERVICE is refused.
    service_allow: tuple[str, ...] = field(default_factory=tuple)
    #: Bytes of recent answers kept in memory, so repeated queries skip the workers (0: none).
    cache_bytes: int = 64 * 1024 * 1024
    #: Seconds a client or proxy may reuse an answer without asking (Cache-Control max-age).
    cache_max_age: int = 300
    #: Deepest nesting of {, ( and [ accepted (deeper queries overflow the engine's parser).
    max_depth: int = 64
    #: Safety factor between the engine's measured crash points (operator and pattern chains, see
    #: bordergraph.guard) and what the guard accepts; 1 accepts queries just short of a crash.
    guard_margin: float = 5.0
    #: Seconds a query that killed a worker is refused (422) when sent again; 0: never refused.
    crash_quarantine: float = 600.0
    #: Workers one client address may hold at once; 0: all but one (never every worker).
    client_concurrency: int = 0
    #: Queries one client address may have waiting for a worker; beyond that: 429 with Retry-After.
    client_queue: int = 8
    #: A remote store's SPARQL query endpoint that evaluates the queries instead of local workers; None: local.
    backend: str | None = None
    #: How that store holds bordergraph's default graph: oxigraph, virtuoso or generic (see bordergraph.remote).
    backend_kind: str = "oxigraph"

    def __post_init__(self) -> None:
        problems = [
            name
            for name, value in (
                ("timeout", self.timeout),
                ("row_cap", self.row_cap),
                ("body_cap", self.body_cap),
                ("concurrency", self.concurrency),
                ("burst", self.burst),
                ("max_depth", self.max_depth),
                ("guard_margin", self.guard_margin),
            )
            if value <= 0
        ]
        problems += [
            name
            for name, value in (
                ("queue", self.queue),
                ("rate", self.rate),
                ("cache_bytes", self.cache_bytes),
                ("cache_max_age", self.cache_max_age),
                ("crash_quarantine", self.crash_quarantine),
                ("client_concurrency", self.client_concurrency),
                ("client_queue", self.client_queue),
            )
            if value < 0
        ]
        if problems:
            raise ValueError(f"these settings must be positive (or zero where allowed): {', '.join(problems)}")
        if self.backend is not None and not self.backend.startswith(("http://", "https://")):
            raise ValueError(f"the backend must be an http(s) SPARQL query endpoint URL, not {self.backend!r}")
        if self.backend_kind not in ("oxigraph", "virtuoso", "generic"):
            raise ValueError(f"backend_kind must be oxigraph, virtuoso or generic, not {self.backend_kind!r}")
        bad = [iri for iri in self.service_allow if not iri.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"SERVICE allow-list entries must be http(s) endpoint IRIs: {', '.join(bad)}")
