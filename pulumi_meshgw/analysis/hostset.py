"""A set of host patterns that answers "which patterns intersect this host?" by look-ups.

Istio compares hosts as exact names, left-most wildcards (``*.example.com``) and ``*``. Checking a
host against every pattern declared so far is an all-pairs scan: 10,000 hosts on one gateway port
would mean 50 million comparisons. :class:`HostSet` indexes each pattern under its DNS suffixes
instead, so a query costs one dictionary look-up per label of the queried host, plus the size of
the answer.

Two patterns intersect when some concrete name matches both (:func:`hosts.hosts_intersect`):
``a.example.com`` and ``*.example.com`` do, ``example.com`` and ``*.example.com`` do not,
``*.example.com`` and ``*.a.example.com`` do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["HostSet"]

T = TypeVar("T")


def _proper_suffixes(name: str) -> Iterator[str]:
    """``a.b.c`` -> ``b.c``, ``c``."""
    rest = name
    while True:
        _, dot, rest = rest.partition(".")
        if not dot or not rest:
            return
        yield rest


class HostSet(Generic[T]):
    """Host patterns, each with a payload, indexed for intersection queries.

    Answers come in a deterministic order (by kind of match, then insertion order), so the first
    one is a stable choice for a message.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[str, T]] = []
        self._star: list[tuple[str, T]] = []
        self._exact: dict[str, list[tuple[str, T]]] = {}
        # proper suffix -> exact names below it ("example.com" -> a.example.com, b.a.example.com)
        self._exact_below: dict[str, list[tuple[str, T]]] = {}
        # base of a wildcard ("example.com" for "*.example.com") -> those wildcards
        self._wild: dict[str, list[tuple[str, T]]] = {}
        # proper suffix of a wildcard's base -> wildcards below it ("com" -> *.example.com)
        self._wild_below: dict[str, list[tuple[str, T]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def add(self, pattern: str, payload: T) -> None:
        """Add ``pattern`` (``*``, ``*.suffix`` or a plain name) with ``payload``."""
        entry = (pattern, payload)
        self._entries.append(entry)
        if pattern == "*":
            self._star.append(entry)
        elif pattern.startswith("*."):
            base = pattern[2:]
            self._wild.setdefault(base, []).append(entry)
            for suffix in _proper_suffixes(base):
                self._wild_below.setdefault(suffix, []).append(entry)
        else:
            self._exact.setdefault(pattern, []).append(entry)
            for suffix in _proper_suffixes(pattern):
                self._exact_below.setdefault(suffix, []).append(entry)

    def intersecting(self, host: str) -> Iterator[tuple[str, T]]:
        """Every (pattern, payload) whose pattern intersects ``host``; lazily, so callers may stop
        at the first acceptable one."""
        if host == "*":
            yield from self._entries
            return
        yield from self._star
        if host.startswith("*."):
            base = host[2:]
            yield from self._exact_below.get(base, ())
            yield from self._wild.get(base, ())
            for suffix in _proper_suffixes(base):
                yield from self._wild.get(suffix, ())
            yield from self._wild_below.get(base, ())
            return
        yield from self._exact.get(host, ())
        for suffix in _proper_suffixes(host):
            yield from self._wild.get(suffix, ())

    def equal(self, pattern: str) -> Iterator[tuple[str, T]]:
        """Every (pattern, payload) whose pattern is exactly ``pattern``, in insertion order."""
        if pattern == "*":
            return iter(self._star)
        if pattern.startswith("*."):
            return (e for e in self._wild.get(pattern[2:], ()) if e[0] == pattern)
        return iter(self._exact.get(pattern, ()))

    def first(self, host: str) -> tuple[str, T] | None:
        """The first (pattern, payload) that intersects ``host``, or None."""
        return next(self.intersecting(host), None)
