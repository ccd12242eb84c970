"""Reading untrusted manifests without tripping over them.

The analysis runs on whatever a user hands ``meshgw check``: a ``spec`` that is a string, a port
number that is a list, a label value that is a boolean. Schema validation reports those; the
cross-object checks must simply not see them. These helpers return the value when it has the
expected type and an empty or ``None`` stand-in otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "Key",
    "Manifest",
    "api_group",
    "integer",
    "key_of",
    "labels",
    "mapping",
    "seq",
    "text",
]

Manifest = Mapping[str, Any]
Key = tuple[str, str, str]
"""(kind, namespace, name) of an object; empty strings where the manifest has none."""

_EMPTY: Mapping[str, Any] = {}

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CSIDriver",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "GatewayClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
    }
)
"""Kinds without a namespace: a namespaced object that names none is applied to the default one."""


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


def seq(value: Any) -> list[Any]:
    """``value`` as a list if it is a list or tuple, else an empty list."""
    return list(value) if isinstance(value, (list, tuple)) else []


def text(value: Any) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None


def integer(value: Any) -> int | None:
    """``value`` if it is an integer (a whole float counts, a boolean does not), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def labels(value: Any) -> dict[str, str]:
    """The string-to-string entries of a label mapping."""
    return {k: v for k, v in mapping(value).items() if isinstance(k, str) and isinstance(v, str)}


def key_of(obj: Manifest) -> Key:
    """(kind, namespace, name) of ``obj``."""
    meta = mapping(obj.get("metadata"))
    return text(obj.get("kind")) or "", text(meta.get("namespace")) or "", text(meta.get("name")) or ""


def api_group(obj: Manifest) -> str:
    """The API group of ``obj`` (``""`` for the core group or a malformed apiVersion)."""
    api_version = text(obj.get("apiVersion")) or ""
    group, sep, _ = api_version.rpartition("/")
    return group if sep else ""
