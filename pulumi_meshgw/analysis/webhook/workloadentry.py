"""Istio's webhook rules for a WorkloadEntry, and a ServiceEntry's endpoints.

From ``pkg/config/validation/validation.go``: ``validateWorkloadEntry``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import show
from .._access import mapping, text
from ..diagnostics import Level
from .common import Found, Path, is_ip, validate_fqdn, validate_labels, validate_port_number

__all__ = ["validate_workload_entry"]


def validate_workload_entry(
    at: Path, entry: Mapping[str, Any], service_ports: set[str] | None = None
) -> Found:
    """``validateWorkloadEntry``: the address an IP, an FQDN or a ``unix://`` path; ports and
    labels well formed; on a ServiceEntry, each endpoint port one of the entry's port names."""
    out: Found = []
    address = entry.get("address")
    if isinstance(address, str):
        if address == "" and not text(entry.get("network")):
            out.append(((*at, "address"), Level.ERROR, "address is required"))
        elif address.startswith("unix://"):
            if entry.get("ports"):
                out.append(((*at, "ports"), Level.ERROR, f"unix endpoint {address} must not include ports"))
        elif address and not is_ip(address) and validate_fqdn(address) is not None:
            out.append(
                (
                    (*at, "address"),
                    Level.ERROR,
                    f"endpoint address {show(address)} is not a valid FQDN or an IP address",
                )
            )
    for name, number in mapping(entry.get("ports")).items():
        if service_ports is not None and name not in service_ports:
            out.append(
                (
                    (*at, "ports", name),
                    Level.ERROR,
                    f"endpoint port {number} is not defined by the service entry",
                )
            )
        if not name:
            out.append(((*at, "ports"), Level.ERROR, "invalid port name: ''"))
        out.extend(validate_port_number((*at, "ports", name), number))
    out.extend(validate_labels((*at, "labels"), entry.get("labels")))
    return out
