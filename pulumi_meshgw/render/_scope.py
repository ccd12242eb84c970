"""Which traffic of a gateway workload belongs to one Gateway: the ``to``/``when`` parts of
AuthorizationPolicy rules that scope a policy to a Gateway's servers (or some of its hosts).

Policies select pods, and several Gateways may share a workload's pods, so every rule the library
renders for a Gateway is narrowed to that Gateway's listeners:

- servers where Envoy sees HTTP (plain HTTP family, terminated HTTPS): ``operation.hosts`` and
  ``operation.ports``. Each exact host is matched as ``host`` and ``host:*``, because Istio's
  gateways ignore the port in the Host header when routing (``ignore_port_in_host_matching``) while
  authorization compares the header as sent; without the second form ``Host: shop.example.com:443``
  would slip past a DENY rule. A wildcard server host cannot be written both ways, so a group of
  servers with a wildcard host is scoped by port only (stricter, never bypassable);
- TLS servers Envoy does not terminate as HTTP (passthrough, TLS termination to TCP): the port and
  the SNI (``when: connection.sni``);
- plain TCP servers: the port only (there is no host name to match).

Ports are the gateway container's ports, not the Service's: Istio matches ``to.operation.ports``
against the port the listener is bound to (``destination.port``; the Gateway server's Service
port is translated to the target port in ``pilot/pkg/model/gateway.go``), so on the stock
``istio-ingressgateway`` (Service 443 -> container 8443) a rule on 443 never matches. The planner
refuses a port-scoped policy whose target port is unknown (:func:`unknown_target_ports`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ..spec.security import host_served

__all__ = ["PortMap", "Scope", "gateway_scopes", "server_kind"]

PortMap = Callable[[int], "int | None"]
"""Service port -> container port (``WorkloadSpec.target_port``); None when unknown."""

Kind = Literal["http", "sni", "tcp"]


@dataclass(frozen=True)
class Scope:
    """One listener group of a Gateway: the rule parts that match its traffic and nothing else."""

    kind: Kind
    operation: dict[str, Any]
    when: list[dict[str, Any]] = field(default_factory=list)

    def rule(self, **extra: Any) -> dict[str, Any]:
        """An AuthorizationPolicy rule over this scope; ``extra`` may add ``from``, operation fields
        (``paths``, ``notPaths``) via ``operation=...`` and more ``when`` conditions via ``when=...``."""
        # Copies: rules must not share sub-objects (a later merge would change them all).
        op = copy.deepcopy({**self.operation, **extra.pop("operation", {})})
        when = copy.deepcopy([*self.when, *extra.pop("when", [])])
        out: dict[str, Any] = {}
        if "from_" in extra:
            out["from"] = copy.deepcopy(extra.pop("from_"))
        out["to"] = [{"operation": dict(sorted(op.items()))}]
        if when:
            out["when"] = when
        out.update(extra)
        return out


def server_kind(server: Server) -> Kind:
    """How a server's traffic can be told apart: by HTTP host, by SNI, or by port only."""
    proto = server.port.protocol
    mode = server.tls.mode if server.tls else None
    if proto.is_http or (proto.value == "HTTPS" and mode is not None and mode.terminates):
        return "http"
    if proto.is_tls:
        return "sni"
    return "tcp"


def _names(server: Server) -> list[str]:
    return [h.rpartition("/")[2] for h in server.hosts]


def _http_hosts(names: Sequence[str]) -> list[str] | None:
    if any(n.startswith("*") for n in names):
        return None
    out: list[str] = []
    for n in sorted(set(names)):
        out.extend([n, f"{n}:*"])
    return out


def gateway_scopes(
    spec: GatewaySpec,
    hosts: Sequence[str] | None = None,
    *,
    http_only: bool = False,
    skip_redirects: bool = False,
    target_port: PortMap | None = None,
) -> list[Scope]:
    """The scopes of a Gateway's listeners, or of those serving ``hosts``.

    Args:
        spec: The Gateway.
        hosts: Exact host names; only servers that serve them count, and only these names are
            matched. Default: every server and every host.
        http_only: Only servers where Envoy sees HTTP (JWT, external authorization).
        skip_redirects: Leave out plain HTTP servers with ``httpsRedirect``: they answer every
            request with a redirect to HTTPS, which a policy must not turn into a 403.
        target_port: The container port behind each server's port (``WorkloadSpec.target_port``),
            which is what the rules name. Default: the server port itself. A port it does not know
            is kept as written; the planner refuses such policies before rendering.

    Returns:
        One scope per group of servers with the same kind and host set, in a stable order.
    """
    groups: dict[tuple[Kind, tuple[str, ...]], set[int]] = {}
    wanted = set(hosts) if hosts is not None else None
    for s in spec.servers:
        kind = server_kind(s)
        if http_only and kind != "http":
            continue
        if skip_redirects and s.tls is not None and s.tls.https_redirect and not s.port.protocol.is_tls:
            continue
        if wanted is not None:
            names = sorted(h for h in wanted if host_served(h, [s]))
            if not names:
                continue
        else:
            names = sorted(set(_names(s)))
        groups.setdefault((kind, tuple(names)), set()).add(s.port.number)
    out: list[Scope] = []
    for (kind, group_names), ports in sorted(groups.items(), key=lambda kv: (kv[0], sorted(kv[1]))):
        mapped = {_target(target_port, p) for p in ports}
        op: dict[str, Any] = {"ports": [str(p) for p in sorted(mapped)]}
        when: list[dict[str, Any]] = []
        if kind == "http":
            matched = _http_hosts(group_names)
            if matched is not None:
                op["hosts"] = matched
        elif kind == "sni" and "*" not in group_names:
            when = [{"key": "connection.sni", "values": list(group_names)}]
        out.append(Scope(kind, op, when))
    return out


def _target(target_port: PortMap | None, port: int) -> int:
    found = target_port(port) if target_port is not None else None
    return port if found is None else found
