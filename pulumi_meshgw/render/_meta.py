"""Helpers every render module shares: object metadata, standard labels, deep merge.

Render functions are pure: spec in, plain manifest dicts out. camelCase lives only in this package.
Values the program only knows at deploy time (Pulumi Outputs) may appear as opaque leaves; render
never inspects them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["MANAGED_BY", "Manifest", "deep_merge", "manifest", "object_meta", "standard_labels"]

Manifest = dict[str, Any]
"""A Kubernetes object as a plain dict: apiVersion, kind, metadata, and the rest."""

MANAGED_BY = "pulumi-meshgw"


def standard_labels(name: str, component: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Labels on every object the library renders.

    Args:
        name: The owning workload or gateway name (``app.kubernetes.io/name``).
        component: What the object is part of (``gateway-workload``, ``gateway``, ``route``...).
        extra: User labels, merged last.
    """
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": "istio",
    }
    labels.update(extra or {})
    return labels


def object_meta(
    name: str,
    namespace: str | None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``metadata`` with a fixed name (no random suffixes) and sorted label/annotation maps."""
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(sorted(labels.items()))
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta


def manifest(api_version: str, kind: str, metadata: dict[str, Any], **body: Any) -> Manifest:
    """Assemble an object, dropping top-level fields that are None."""
    obj: Manifest = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    obj.update({k: v for k, v in body.items() if v is not None})
    return obj


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``: mappings merge key by key, anything else replaces.

    A ``None`` in ``override`` deletes the key, so an override can remove a rendered field.
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
