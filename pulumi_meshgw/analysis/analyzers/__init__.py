"""The cross-object analyzers, one module per concern as Istio lays out
``pkg/config/analysis/analyzers/``: :mod:`.gateway`, :mod:`.virtualservice`, :mod:`.destinationrule`,
:mod:`.subset`, :mod:`.serviceentry`, :mod:`.service`, :mod:`.authz`, :mod:`.injection`.

Each module declares one :class:`~._base.Analyzer` (the kinds it reads, the kinds it reports on,
the codes it may emit) and checks objects against one shared :class:`~..index.MeshIndex`, built
once per input. Adding an analyzer is adding a module and a line to :data:`ANALYZERS`.
"""

from __future__ import annotations

from functools import cache

from . import authz, destinationrule, gateway, injection, service, serviceentry, subset, virtualservice
from ._base import Analyzer, GroupKind

__all__ = ["ANALYZERS", "Analyzer", "GroupKind", "analyzers_for"]

ANALYZERS: list[Analyzer] = [
    gateway.ANALYZER,
    virtualservice.ANALYZER,
    destinationrule.ANALYZER,
    subset.ANALYZER,
    serviceentry.ANALYZER,
    service.ANALYZER,
    authz.ANALYZER,
    injection.ANALYZER,
]
"""Every analyzer, in the order their findings about one object are reported."""


@cache
def analyzers_for(group: str, kind: str) -> tuple[Analyzer, ...]:
    """The analyzers that check objects of ``kind`` in API ``group``, in :data:`ANALYZERS` order."""
    return tuple(a for a in ANALYZERS if (group, kind) in a.subjects)
