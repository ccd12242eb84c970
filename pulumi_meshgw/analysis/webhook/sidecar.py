"""Istio's webhook rules for a Sidecar.

From ``pkg/config/validation/validation.go``: ``ValidateSidecar``; its egress hosts as
``ValidateNamespaceSlashWildcardHostname`` checks them (``pkg/config/validation/agent/validation.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import show
from .._access import mapping, seq, text
from ..diagnostics import Level
from .common import (
    Found,
    is_ip,
    istio_dns1123_label,
    istio_wildcard_domain,
    validate_port_number,
    validate_protocol,
)

__all__ = ["validate_sidecar"]


def validate_sidecar(spec: Mapping[str, Any]) -> Found:
    """``ValidateSidecar``: egress listeners (a port-less one only last, at least one host, each
    ``namespace/dnsName``, ports in range, ``bind`` an IP), ingress listeners (a port,
    ``defaultEndpoint`` of form ``127.0.0.1:<port>`` or ``unix://``), and an egress proxy only
    with ``ALLOW_ANY``."""
    out: Found = []
    egress = seq(spec.get("egress"))
    if (
        not egress
        and not seq(spec.get("ingress"))
        and "outboundTrafficPolicy" not in spec
        and ("inboundConnectionPool" not in spec)
    ):
        return [((), Level.ERROR, "sidecar: empty configuration provided")]
    catch_all = False
    for i, raw in enumerate(egress):
        listener, at = mapping(raw), ("egress", i)
        port = listener.get("port")
        if not isinstance(port, Mapping):
            if catch_all:
                out.append((at, Level.ERROR, "sidecar: egress can have only one listener with empty port"))
            elif i == len(egress) - 1:
                catch_all = True
            else:
                out.append(
                    (
                        at,
                        Level.ERROR,
                        "sidecar: the egress listener with empty port should be the last listener in the "
                        "list",
                    )
                )
        else:
            number = port.get("number")
            bind = text(listener.get("bind")) or ""
            if number == 0:
                if not bind.startswith("unix://"):
                    out.append(
                        (
                            (*at, "bind"),
                            Level.ERROR,
                            "sidecar: ports with 0 value must have a unix domain socket bind address",
                        )
                    )
            else:
                out.extend(validate_port_number((*at, "port", "number"), number))
                if bind and not is_ip(bind):
                    out.append(((*at, "bind"), Level.ERROR, f"{bind} is not a valid IP"))
            out.extend(validate_protocol((*at, "port", "protocol"), port.get("protocol")))
        hosts = seq(listener.get("hosts"))
        if not hosts:
            out.append(
                ((*at, "hosts"), Level.ERROR, "sidecar: egress listener must contain at least one host")
            )
        for h, host in enumerate(hosts):
            if isinstance(host, str):
                out.extend((((*at, "hosts", h)), Level.ERROR, m) for m in _namespace_slash_host(host))
    for i, raw in enumerate(seq(spec.get("ingress"))):
        listener, at = mapping(raw), ("ingress", i)
        port = listener.get("port")
        if not isinstance(port, Mapping):
            out.append(((*at, "port"), Level.ERROR, "sidecar: port is required for ingress listeners"))
            continue
        out.extend(validate_port_number((*at, "port", "number"), port.get("number")))
        endpoint = listener.get("defaultEndpoint")
        if isinstance(endpoint, str) and endpoint and not endpoint.startswith("unix://"):
            out.extend(((*at, "defaultEndpoint"), Level.ERROR, m) for m in _default_endpoint(endpoint))
    policy = mapping(spec.get("outboundTrafficPolicy"))
    if "egressProxy" in policy and text(policy.get("mode")) != "ALLOW_ANY":
        out.append(
            (
                ("outboundTrafficPolicy", "egressProxy"),
                Level.ERROR,
                "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode",
            )
        )
    return out


def _default_endpoint(endpoint: str) -> list[str]:
    host, sep, port = endpoint.rpartition(":")
    if not sep:
        return [f"address {endpoint}: missing port in address"]
    out = []
    if host.strip("[]") not in ("", "127.0.0.1", "0.0.0.0", "::1", "::"):
        out.append(
            "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,"
            "unix://filepath or unset"
        )
    if not port.isdigit():
        out.append(f"sidecar: defaultEndpoint port ({port}) is not a number")
    elif not 1 <= int(port) <= 65535:
        out.append(f"port number {port} must be in the range 1..65535")
    return out


def _namespace_slash_host(host: str) -> list[str]:
    """``agent.ValidateNamespaceSlashWildcardHostname`` for a Sidecar."""
    namespace, sep, name = host.partition("/")
    if not sep:
        return ["host must be of form namespace/dnsName"]
    out = []
    if not namespace or not name:
        out.append("config namespace and dnsName in host entry cannot be empty")
    bare = namespace.removeprefix("~")
    if bare not in ("", "*", ".") and not istio_dns1123_label(bare):
        out.append(f"invalid namespace value {show(namespace)} in sidecar")
    if name != "*" and "." not in name:
        out.append("short names (non FQDN) are not allowed")
    reason = istio_wildcard_domain(name)
    if reason is not None:
        out.append(reason)
    if "*" in name and name != "*" and not name.startswith("*."):
        out.append(f"partial wildcard {show(name)} not allowed")
    return out
