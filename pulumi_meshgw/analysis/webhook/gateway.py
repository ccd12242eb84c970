"""Istio's webhook rules for a Gateway.

From ``pkg/config/validation/validation.go``: ``validateServer``, ``validateServerPort`` and
``validateTLSOptions``; the hosts as ``ValidateNamespaceSlashWildcardHostname`` checks them for a
gateway (``pkg/config/validation/agent/validation.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import show
from .._access import mapping, seq, text
from ..diagnostics import Level
from .common import Found, is_ip, istio_wildcard_domain

__all__ = ["validate_gateway"]


def validate_gateway(spec: Mapping[str, Any]) -> Found:
    """``validateServer``: hosts (``ValidateNamespaceSlashWildcardHostname`` for a gateway: no short
    name, a domain or an IP, no partial wildcard), a ``unix://`` bind only with port 0, and
    ``validateTLSOptions``: SIMPLE and MUTUAL without a credential name need the certificate files."""
    out: Found = []
    for i, raw in enumerate(seq(spec.get("servers"))):
        server, at = mapping(raw), ("servers", i)
        for h, host in enumerate(seq(server.get("hosts"))):
            if isinstance(host, str):
                name = host.partition("/")[2] if "/" in host else host
                reason = _gateway_host(name)
                if reason:
                    out.append(((*at, "hosts", h), Level.ERROR, reason))
        port = server.get("port")
        if isinstance(port, Mapping) and port.get("name") == "":  # validateServerPort
            out.append(((*at, "port", "name"), Level.ERROR, "port name must be set"))
        bind = server.get("bind")
        number = mapping(port).get("number")
        if isinstance(bind, str) and bind.startswith("unix://") and number not in (0, None):
            out.append(
                ((*at, "bind"), Level.ERROR, f"port number must be 0 for unix domain socket, got {number}")
            )
        tls = mapping(server.get("tls"))
        mode = text(tls.get("mode")) or ""
        credential = tls.get("credentialName") or tls.get("credentialNames") or tls.get("tlsCertificates")
        if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not credential:
            prefix = "SIMPLE TLS" if mode == "SIMPLE" else "MUTUAL TLS"
            for field, what in (
                ("serverCertificate", "a server certificate"),
                ("privateKey", "a private key"),
            ):
                if not text(tls.get(field)):
                    out.append(((*at, "tls", field), Level.ERROR, f"{prefix} requires {what}"))
    return out


def _gateway_host(name: str) -> str | None:
    if name != "*" and "." not in name:
        return "short names (non FQDN) are not allowed"
    if "*" in name and name != "*" and not name.startswith("*."):
        return f"partial wildcard {show(name)} not allowed"
    reason = istio_wildcard_domain(name)
    return None if reason is None or is_ip(name) else reason
