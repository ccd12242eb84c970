"""What an analyzer is: its metadata and the function that checks one object against the index.

Istio's analyzers (``pkg/config/analysis/analyzer.go``) each declare ``analysis.Metadata``: a name,
a description and the ``Inputs`` (kinds) they read; the messages they emit come from
``pkg/config/analysis/msg/messages.yaml``. :class:`Analyzer` is the same record, plus the codes the
analyzer may emit (checked by the tests) and the kinds whose objects it reports on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .._access import Key, Manifest
from ..diagnostics import Diagnostic, Level

if TYPE_CHECKING:
    from ..index import MeshIndex

__all__ = ["WORKLOADS", "Analyzer", "GroupKind", "diag"]

GroupKind = tuple[str, str]
"""(API group, kind); the core group is ``""``."""

WORKLOADS: frozenset[GroupKind] = frozenset(
    {
        ("", "Pod"),
        ("apps", "ReplicaSet"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
    }
)
"""The kinds that are (or make) pods, which Istio's selectors match."""


@dataclass(frozen=True)
class Analyzer:
    """One analyzer: what it reads, what it reports on, what it may say.

    Attributes:
        name: Its name, after Istio's (``gateway.ConflictingGatewayAnalyzer`` -> ``gateway``).
        subjects: The kinds whose objects it checks, one call of ``check`` per object.
        inputs: Every kind it reads from the index (Istio's ``Metadata.Inputs``); includes
            ``subjects``.
        codes: Every code it may emit. The tests hold each analyzer to this list.
        check: ``check(index, obj)``: the findings about ``obj`` (and, where Istio reports a
            finding on every object involved, about the others), given everything in ``index``.
    """

    name: str
    subjects: frozenset[GroupKind]
    inputs: frozenset[GroupKind]
    codes: frozenset[str]
    check: Callable[[MeshIndex, Manifest], list[Diagnostic]]


def diag(obj_key: Key, code: str, level: Level, path: str, message: str) -> Diagnostic:
    """A finding about the object ``obj_key`` (kind, namespace, name)."""
    return Diagnostic(code, level, obj_key[0], obj_key[1], obj_key[2], path, message)
