"""Kubernetes strategic merge for ``overrides``: lists of named things merge item by item.

A plain deep merge replaces lists whole, so an override that only adds an env var to the
``istio-proxy`` container would drop the container's ``image: auto`` and its hardened
``securityContext``. Kubernetes' strategic merge patch merges such lists by a key (the
``patchMergeKey`` of the API types, ``k8s.io/api/core/v1/types.go``); this module does the same for
the lists a gateway workload override touches, and replaces every other list, as Kubernetes does
for lists without a merge key.

- A mapping merges key by key; ``None`` deletes the key (as in :func:`._meta.deep_merge`).
- A list under a key in :data:`MERGE_KEYS` whose items (in the base and in the patch) all carry
  the merge key merges by it: matching items merge recursively, new items are appended in patch
  order. An item ``{"$patch": "delete", <key>: ...}`` removes the matching item.
- Any other list, or one whose items lack the key, replaces.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["MERGE_KEYS", "strategic_merge"]

MERGE_KEYS: dict[str, tuple[str, ...]] = {
    # field name -> candidate merge keys, first one every item carries wins.
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "volumes": ("name",),
    "env": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "topologySpreadConstraints": ("topologyKey",),
    # Container ports merge by containerPort, Service ports by port.
    "ports": ("containerPort", "port"),
    "sysctls": ("name",),
}
"""List fields merged by key, with their ``patchMergeKey`` (Kubernetes core/v1)."""

_DIRECTIVE = "$patch"


def _merge_key(field: str, base: list[Any], patch: list[Any]) -> str | None:
    items = [*base, *patch]
    if not items or not all(isinstance(i, Mapping) for i in items):
        return None
    for key in MERGE_KEYS.get(field, ()):
        if all(key in i for i in items):
            return key
    return None


def _merge_list(key: str, base: list[Any], patch: list[Any]) -> list[Any]:
    out = [copy.deepcopy(i) for i in base]
    for item in patch:
        at = next((n for n, b in enumerate(out) if b.get(key) == item.get(key)), None)
        if item.get(_DIRECTIVE) == "delete":
            if at is not None:
                del out[at]
            continue
        if at is None:
            out.append(copy.deepcopy(dict(item)))
        else:
            out[at] = strategic_merge(out[at], item)
    return out


def strategic_merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base`` as a Kubernetes strategic merge patch would.

    Args:
        base: The rendered object (or part of it).
        patch: The override, in the object's shape.

    Returns:
        A new mapping; neither input is changed.
    """
    out = copy.deepcopy(dict(base))
    for field, value in patch.items():
        current = out.get(field)
        if value is None:
            out.pop(field, None)
        elif isinstance(value, Mapping) and isinstance(current, Mapping):
            out[field] = strategic_merge(current, value)
        elif isinstance(value, list) and isinstance(current, list):
            key = _merge_key(field, current, value)
            out[field] = _merge_list(key, current, value) if key else copy.deepcopy(value)
        else:
            out[field] = copy.deepcopy(value)
    return out
