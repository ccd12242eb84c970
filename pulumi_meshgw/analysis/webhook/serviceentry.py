"""Istio's webhook rules for a ServiceEntry.

From ``pkg/config/validation/validation.go``: ``ValidateServiceEntry`` (its endpoints through
``validateWorkloadEntry``, in :mod:`.workloadentry`) and ``ValidatePortName``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import show
from .._access import mapping, seq, text
from ..diagnostics import Level
from .common import (
    Found,
    ip_or_cidr,
    istio_dns1123_label,
    istio_wildcard_domain,
    validate_fqdn,
    validate_protocol,
)
from .workloadentry import validate_workload_entry

__all__ = ["validate_port_names", "validate_service_entry"]


def validate_service_entry(spec: Mapping[str, Any]) -> Found:
    """``ValidateServiceEntry``: its endpoints as WorkloadEntries (``validateWorkloadEntry``, FQDN
    addresses allowed for DNS resolution), ``addresses`` IPs or CIDRs."""
    out: Found = []
    names = {text(mapping(p).get("name")) or "" for p in seq(spec.get("ports"))}
    for i, port in enumerate(seq(spec.get("ports"))):
        out.extend(validate_protocol(("ports", i, "protocol"), mapping(port).get("protocol")))
    dns = text(spec.get("resolution")) in ("DNS", "DNS_ROUND_ROBIN")
    if dns and not seq(spec.get("endpoints")):
        for i, host in enumerate(seq(spec.get("hosts"))):
            if isinstance(host, str) and (reason := validate_fqdn(host)) is not None:
                out.append(
                    (
                        ("hosts", i),
                        Level.ERROR,
                        f"hosts must be FQDN or contain only prefix wildcards if no endpoints "
                        f"are provided for resolution mode DNS, {reason}",
                    )
                )
    if (text(spec.get("resolution")) or "NONE") != "NONE" and len(seq(spec.get("hosts"))) > 1:
        for i, port in enumerate(seq(spec.get("ports"))):
            protocol = (text(mapping(port).get("protocol")) or "").lower()
            if protocol not in ("http", "http2", "grpc", "grpc-web", "http_proxy", "https", "tls"):
                out.append(
                    (("ports", i), Level.ERROR, "multiple hosts provided with non-HTTP, non-TLS ports")
                )
    for i, endpoint in enumerate(seq(spec.get("endpoints"))):
        address = mapping(endpoint).get("address")
        if dns and isinstance(address, str) and address.startswith("unix://"):
            out.append(
                (
                    ("endpoints", i, "address"),
                    Level.ERROR,
                    f"endpoint address {show(address)} is not a valid FQDN or an IP address",
                )
            )
            continue
        out.extend(validate_workload_entry(("endpoints", i), mapping(endpoint), names))
    for i, host in enumerate(seq(spec.get("hosts"))):
        if (
            isinstance(host, str)
            and host not in ("", "*")
            and (reason := istio_wildcard_domain(host)) is not None
        ):
            out.append((("hosts", i), Level.ERROR, reason))
    for i, address in enumerate(seq(spec.get("addresses"))):
        if isinstance(address, str) and not ip_or_cidr(address):
            out.append((("addresses", i), Level.ERROR, f"{address} is not a valid IP"))
    return out


def validate_port_names(spec: Mapping[str, Any]) -> Found:
    """``ValidatePortName`` on a ServiceEntry's ports: a DNS-1123 label (upper case allowed)."""
    return [
        (("ports", i, "name"), Level.ERROR, f"invalid port name: {name}")
        for i, port in enumerate(seq(spec.get("ports")))
        if isinstance(name := mapping(port).get("name"), str) and not istio_dns1123_label(name)
    ]
