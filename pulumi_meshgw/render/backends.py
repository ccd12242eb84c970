"""Where a gateway workload's routes send traffic: what its NetworkPolicy's egress must allow.

The destinations of the VirtualServices bound to a workload's Gateways are known when the config
is rendered. A cluster host (``name``, ``name.ns.svc.cluster.local``) names the namespace of the
backend pods; any other host (a ServiceEntry, an external name) is outside the pod network, which
a NetworkPolicy can only allow by address (``networkPolicy.egressCidrs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["Backends", "destination_hosts", "route_backends"]

_CLUSTER_SUFFIX = ".svc.cluster.local"
_W = TypeVar("_W")


@dataclass
class Backends:
    """The destinations of one workload's routes.

    Attributes:
        namespaces: Namespaces of in-cluster destinations.
        external: Hosts outside the cluster, with the VirtualService (``namespace/name``) that
            routes to each.
    """

    namespaces: set[str] = field(default_factory=set)
    external: dict[str, str] = field(default_factory=dict)


def destination_hosts(vs_spec: Mapping[str, Any]) -> list[str]:
    """Every ``destination.host`` (and ``mirror.host``) of a VirtualService spec, in order."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key in ("destination", "mirror"):
                target = value.get(key)
                if isinstance(target, Mapping) and isinstance(target.get("host"), str):
                    out.append(target["host"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for block in ("http", "tls", "tcp"):
        walk(vs_spec.get(block))
    return list(dict.fromkeys(out))


def _namespace_of(host: str, vs_namespace: str) -> str | None:
    if "." not in host:
        return vs_namespace  # a short name resolves in the VirtualService's namespace
    if host.endswith(_CLUSTER_SUFFIX):
        parts = host.removesuffix(_CLUSTER_SUFFIX).split(".")
        return parts[-1] if len(parts) == 2 else None
    return None


def route_backends(
    virtual_services: Iterable[Mapping[str, Any]],
    gateway_workload: Mapping[tuple[str, str], _W],
) -> dict[_W, Backends]:
    """The destinations of the routes, per workload.

    Args:
        virtual_services: Rendered VirtualServices.
        gateway_workload: (namespace, name) of each Gateway -> its workload's key.

    Returns:
        Workload key -> its :class:`Backends`; a workload no route reaches is absent.
    """
    out: dict[_W, Backends] = {}
    for vs in virtual_services:
        meta, spec = vs.get("metadata", {}), vs.get("spec", {})
        ns = str(meta.get("namespace", ""))
        workloads = []
        for ref in spec.get("gateways") or []:
            gw_ns, sep, name = str(ref).partition("/")
            key = (gw_ns, name) if sep else (ns, gw_ns)
            if key in gateway_workload:
                workloads.append(gateway_workload[key])
        for w in dict.fromkeys(workloads):
            b = out.setdefault(w, Backends())
            for host in destination_hosts(spec):
                target = _namespace_of(host, ns)
                if target is not None:
                    b.namespaces.add(target)
                else:
                    b.external.setdefault(host, f"{ns}/{meta.get('name', '')}")
    return out
