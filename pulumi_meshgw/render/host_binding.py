"""Gateway server hosts bound to the namespaces of the routes the program declares for them.

A server host without a namespace part (``shop.example.com``) lets a VirtualService in any
namespace bind it; Istio reads ``namespace/host`` as "only routes from that namespace"
(``Server.hosts`` in the Gateway API reference). When the program itself declares the routes of an
exact host, the rendered Gateway names their namespaces, so that no other namespace can bind a
route for that host and take its traffic. Hosts already written with a namespace part (``*/host``
included), wildcard hosts and hosts no declared route serves are kept as written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from ._meta import Manifest

__all__ = ["bind_hosts_to_routes"]


def bind_hosts_to_routes(gateway: Manifest, routes: Iterable[tuple[str, Iterable[str]]]) -> Manifest:
    """``gateway`` with each unqualified exact server host written as ``<namespace>/<host>``, once
    per namespace whose declared routes (bound to this Gateway) name the host.

    Args:
        gateway: A rendered Gateway.
        routes: (namespace, hosts) of the VirtualServices bound to it.

    Returns:
        A new Gateway; ``gateway`` itself is unchanged.
    """
    owners: dict[str, set[str]] = {}
    for route_ns, route_hosts in routes:
        for h in route_hosts:
            owners.setdefault(h, set()).add(route_ns)
    out = copy.deepcopy(dict(gateway))
    for server in out.get("spec", {}).get("servers", []):
        hosts: list[str] = []
        for h in server.get("hosts", []):
            bound = owners.get(h)
            if "/" in h or h.startswith("*") or not bound:
                hosts.append(h)
            else:
                hosts.extend(f"{n}/{h}" for n in sorted(bound))
        server["hosts"] = list(dict.fromkeys(hosts))
    return out
