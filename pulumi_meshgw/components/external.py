"""Declaring objects that this program does not manage but refers to.

Preview checks every Gateway and route against what the program has declared. A route that binds a
Gateway of another team, sends traffic to a Service defined elsewhere, or a Gateway whose Secret is
made by cert-manager in another stack, would otherwise fail with IST0101 ("does not exist"). Declare
them once, before the components that refer to them::

    import pulumi_meshgw as meshgw

    meshgw.declare_external(
        {"kind": "Gateway", "namespace": "istio-system", "name": "shared", "hosts": ["*.example.com"]},
        {"kind": "Service", "host": "reviews.bookinfo.svc.cluster.local", "ports": [9080]},
        {"kind": "Secret", "namespace": "istio-ingress", "name": "wildcard-cert"},
    )

The items have the shape of the ``meshgw:external`` stack config key
(:class:`~pulumi_meshgw.spec.external.ExternalObject`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, Problem
from ..spec._base import parse
from ..spec.external import ExternalObject
from ._arguments import checked_arguments
from ._runtime import ComponentConfigError, current_state

__all__ = ["declare_external"]


@checked_arguments
def declare_external(*objects: ExternalObject | Mapping[str, Any]) -> list[ExternalObject]:
    """Declare objects managed outside this program, so references to them are not errors.

    Args:
        *objects: :class:`~pulumi_meshgw.spec.external.ExternalObject` items, or mappings in the
            ``meshgw:external`` shape (``{"kind": "Gateway", "namespace": ..., "name": ...}``).

    Returns:
        The validated items.

    Raises:
        ComponentConfigError: an item is invalid (every problem listed, with its position).
    """
    state = current_state()
    items: list[ExternalObject] = []
    problems: list[Problem] = []
    for i, obj in enumerate(objects):
        try:
            items.append(parse(ExternalObject, obj, prefix=(i,)))
        except ConfigError as err:
            problems.extend(err.problems)
    if problems:
        raise ComponentConfigError(problems, context="declare_external")
    for item in items:
        state.index.declare(item)
    return items
