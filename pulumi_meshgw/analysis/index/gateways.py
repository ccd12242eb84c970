"""Gateways and their servers as the checks read them, and the listeners they claim on workloads.

A server's route list follows ``pkg/config/gateway``; a ``gateways`` reference resolves as istiod
resolves it (``ns/name``, a bare name, or the legacy ``name.namespace``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._access import integer, labels, mapping, seq, text
from ..hosts import split_scoped_host
from ..hostset import HostSet
from .workloads import NsName

__all__ = ["GatewayIndex", "GatewayInfo", "ServerInfo", "gateway_ref"]

_HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})


_TCP_PROTOCOLS = frozenset({"TCP", "MONGO", "MYSQL", "REDIS"})


_PASSTHROUGH = frozenset({None, "PASSTHROUGH", "AUTO_PASSTHROUGH"})


@dataclass
class ServerInfo:
    """One server of a Gateway, as the checks read it."""

    index: int
    number: int | None
    name: str
    protocol: str
    bind: str
    hosts: list[tuple[str, str]]  # (namespace part, dnsName)
    tls_mode: str | None
    credential_names: list[str]
    has_tls: bool = False
    https_redirect: bool = False

    @property
    def route_block(self) -> str | None:
        """The VirtualService route list that serves this server (``pkg/config/gateway``), or None
        when none does (AUTO_PASSTHROUGH, UDP, unknown protocols)."""
        if self.protocol in _HTTP_PROTOCOLS:
            return "http"
        if self.protocol in _TCP_PROTOCOLS:
            return "tcp"
        if self.protocol == "HTTPS":
            return "tls" if self.tls_mode in _PASSTHROUGH else "http"
        if self.protocol == "TLS":
            if self.tls_mode == "AUTO_PASSTHROUGH":
                return None
            return "tls" if self.tls_mode in _PASSTHROUGH else "tcp"
        return None


@dataclass
class GatewayInfo:
    """An Istio Gateway: from a manifest, or declared external (``hosts_known`` False when its hosts
    were not given, so any route host counts as served)."""

    namespace: str
    name: str
    selector: dict[str, str]
    servers: list[ServerInfo] = field(default_factory=list)
    external: bool = False
    hosts_known: bool = True
    served: HostSet[tuple[str, ServerInfo]] = field(default_factory=HostSet)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


def gateway_ref(ref: str, namespace: str) -> NsName:
    """(namespace, name) of a VirtualService ``gateways`` entry, as istiod resolves it: ``ns/name``,
    a bare ``name`` in the route's ``namespace``, or the legacy ``name.namespace[.svc...]``."""
    gns, sep, gname = ref.partition("/")
    if sep:
        return gns, gname
    name, dot, rest = ref.partition(".")
    if dot:
        return rest.partition(".")[0], name
    return namespace, ref


class GatewayIndex:
    """The gateways part of :class:`~.mesh.MeshIndex`: Gateways by key and by name, the hosts each
    workload's listeners claim, and the certificates they use."""

    def __init__(self) -> None:
        super().__init__()
        self.gateways: dict[NsName, GatewayInfo] = {}
        self.gateway_names: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        # (workload, port number, bind) -> hosts claimed there, with (gateway, server index)
        self.listeners: dict[tuple[NsName, int, str], HostSet[tuple[NsName, int]]] = defaultdict(HostSet)
        self._claimed: set[tuple[NsName, NsName, int]] = set()  # (workload, gateway, server) registered
        # (workload, credentialName) -> first (gateway, server index) using it
        self.certificates: dict[tuple[NsName, str], tuple[NsName, int]] = {}

    def declare_gateway(self, namespace: str, name: str, hosts: Iterable[str] | None = None) -> None:
        """Declare a Gateway this program does not manage, so routes may bind it.

        Args:
            namespace: Its namespace.
            name: Its name.
            hosts: The hosts its servers serve (``[namespace/]dnsName``). Default: unknown, so every
                route host counts as served (no IST0132).
        """
        info = GatewayInfo(namespace, name, {}, external=True, hosts_known=hosts is not None)
        if hosts is not None:
            server = ServerInfo(0, None, "", "", "", [split_scoped_host(h) for h in hosts], None, [])
            info.servers.append(server)
            for hns, hname in server.hosts:
                info.served.add(hname, (hns, server))
        self.gateways[(namespace, name)] = info
        self.gateway_names[name].add(namespace)

    def _add_gateway(self, ns: str, name: str, spec: Mapping[str, Any]) -> None:
        info = GatewayInfo(ns, name, labels(spec.get("selector")))
        for i, raw in enumerate(seq(spec.get("servers"))):
            srv = mapping(raw)
            port = mapping(srv.get("port"))
            tls = mapping(srv.get("tls"))
            mode = text(tls.get("mode"))
            creds = [text(tls.get("credentialName"))] + [text(c) for c in seq(tls.get("credentialNames"))]
            server = ServerInfo(
                i,
                integer(port.get("number")),
                text(port.get("name")) or "",
                (text(port.get("protocol")) or "").upper(),
                text(srv.get("bind")) or "",
                [split_scoped_host(h) for h in seq(srv.get("hosts")) if isinstance(h, str)],
                mode.upper() if mode else None,
                [c for c in creds if c],
                "tls" in srv,
                tls.get("httpsRedirect") is True,
            )
            info.servers.append(server)
            for hns, hname in server.hosts:
                info.served.add(hname, (hns, server))
        self.gateways[(ns, name)] = info
        self.gateway_names[name].add(ns)
