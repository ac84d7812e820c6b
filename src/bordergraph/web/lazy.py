"""Made on first use: what the site and the reconciliation service read from the whole store.

Their indexes take a scan of the store (a fraction of a second on the real data, minutes at a
million triples), which must not delay the SPARQL endpoint: they are built by the first request
that needs them, once, while queries are already being answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class Lazy(Generic[T]):
    """Stands for the object ``make()`` returns, made on the first attribute access (thread-safe)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: T | None = None

    def made(self) -> T:
        """The object, made now if it was not yet."""
        if self._made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.made(), name)


def lazy(make: Callable[[], T]) -> T:
    """A stand-in for ``make()`` that makes it on first use (typed as the object itself)."""
    return cast(T, Lazy(make))
