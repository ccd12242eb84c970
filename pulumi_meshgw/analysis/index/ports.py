"""The protocol Istio gives each Service and ServiceEntry port, indexed by port number.

``service_port_protocol`` is ``ConvertProtocol`` (``pkg/config/kube/conversion.go``); the index
keeps the ports that carry TLS or TCP, what an HTTP port on the same number conflicts with.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .._access import Key, integer, mapping, text

__all__ = ["HTTP_FAMILY", "PortIndex", "service_port_protocol"]

_PROTOCOLS = frozenset(
    {
        "TCP",
        "UDP",
        "GRPC",
        "GRPC-WEB",
        "HTTP",
        "HTTP_PROXY",
        "HTTP2",
        "HTTPS",
        "TLS",
        "MONGO",
        "REDIS",
        "MYSQL",
    }
)
_WELL_KNOWN_TCP_PORTS = frozenset({25, 53, 3306, 27017})  # SMTP, DNS, MySQL, MongoDB
_APP_PROTOCOLS = {"kubernetes.io/h2c": "HTTP2", "kubernetes.io/ws": "HTTP", "kubernetes.io/wss": "HTTPS"}
HTTP_FAMILY = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
"""Protocols Istio serves with an HTTP listener."""


def service_port_protocol(port: Any) -> str:
    """The protocol Istio gives a Kubernetes Service port, as ``pkg/config/kube/conversion.go``
    (``ConvertProtocol``) does: UDP by ``protocol``; else ``appProtocol`` if set (with Kubernetes'
    ``kubernetes.io/h2c``, ``ws``, ``wss``), else the port name up to its first ``-``; ``grpc-web``
    before the split; TCP for unnamed well-known ports (SMTP, DNS, MySQL, MongoDB);
    ``"UNSUPPORTED"`` otherwise (Istio then sniffs the protocol)."""
    p = mapping(port)
    if text(p.get("protocol")) == "UDP":
        return "UDP"
    app = text(p.get("appProtocol"))
    name = app if app is not None else (text(p.get("name")) or "")
    if app is not None and app in _APP_PROTOCOLS:
        return _APP_PROTOCOLS[app]
    if name.lower().startswith("grpc-web"):
        return "GRPC-WEB"
    prefix = name.partition("-")[0].upper()
    if prefix in _PROTOCOLS:
        return prefix
    return "TCP" if integer(p.get("port")) in _WELL_KNOWN_TCP_PORTS else "UNSUPPORTED"


class PortIndex:
    """The port part of :class:`~.mesh.MeshIndex`: port number -> the objects that declare it as
    something else than HTTP, with the protocol."""

    def __init__(self) -> None:
        super().__init__()
        # port number -> (Service or ServiceEntry, the protocol Istio gives that port), for the
        # ports declared as something else than HTTP
        self.port_protocols: dict[int, list[tuple[Key, str]]] = defaultdict(list)

    def _add_port_protocol(self, port: int | None, key: Key, protocol: str) -> None:
        # Only the ports that carry TLS or TCP are kept: they are what an HTTP port conflicts with,
        # and keeping the HTTP ones would make every check of a common port (8080) scan them all.
        if port is not None and protocol not in HTTP_FAMILY and protocol != "UNSUPPORTED":
            self.port_protocols[port].append((key, protocol))
