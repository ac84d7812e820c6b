"""HTTP caching of query answers: an ETag per build and request, and recent answers kept in memory.

Answers change only with a new build, so a request's ETag is a digest of the build id and of
everything that decides the answer's bytes (query text, dataset parameters, media type, row cap).
It is known before evaluation: a client's ``If-None-Match`` is answered 304 without a worker.
Recent answers are kept in a least-recently-used map bounded in bytes, so repeated queries (entity
pages, the examples, a dashboard) skip the workers too. The cache is per process and per build: a
new build is a new server, with an empty cache. Written by hand: the maintained caches (cachetools,
functools.lru_cache) bound the number of entries, not their bytes.

The fast path in front of the framework, which answers a request seen before byte for byte from
this cache, is ``bordergraph.web.fastpath``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

#: Bytes counted per entry on top of its body (key, headers, bookkeeping), so empty answers count.
ENTRY_OVERHEAD = 512


def etag(build_id: str, key: Hashable) -> str:
    """A strong ETag for the answer to ``key`` from build ``build_id`` (the same bytes every time)."""
    digest = hashlib.blake2b(f"{build_id}\0{key!r}".encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``tag`` (RFC 9110 §13.1.2: weak comparison, ``*``)."""
    if not if_none_match:
        return False
    bare = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


class AnswerCache:
    """Answer bodies by request key, least recently used first out, at most ``capacity`` bytes in all.

    An answer larger than an eighth of the capacity is not kept: one big answer must not flush
    every small one.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self.hits = 0
        self.misses = 0
        self.early = 0  # requests answered by ``CachedAnswers`` before the framework (hits and 304s)
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()

    def get(self, key: Hashable) -> object | None:
        """The kept answer for ``key`` (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def peek(self, key: Hashable) -> object | None:
        """The kept value for ``key`` (now the most recently used), or None; not counted as a hit or miss."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, answer: object, size: int) -> bool:
        """Keep ``answer`` (``size`` bytes of body) unless it is too large; whether it was kept."""
        cost = size + ENTRY_OVERHEAD
        if self.capacity <= 0 or cost > self.capacity // 8:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self._entries[key] = (answer, cost)
        self.size += cost
        while self.size > self.capacity:
            _, (_, freed) = self._entries.popitem(last=False)
            self.size -= freed
        return True

    def __len__(self) -> int:
        return len(self._entries)
