"""What several kinds' webhook rules share: names, hosts, addresses, ports, labels, exportTo, selectors.

Istio's sources: ``labels.IsDNS1123Label`` and ``labels.Instance.Validate``
(``pkg/config/labels/instance.go``); ``ValidateWildcardDomain``, ``ValidateFQDN``, ``ValidatePort``
and ``ValidateIPSubnet`` (``pkg/config/validation/agent/validation.go``); ``validateExportTo``,
``validateWorkloadSelector`` and ``ValidateProtocol`` (``pkg/config/validation/validation.go``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ...errors import show
from ...spec.istio import is_ip  # one address check for the spec models and the webhook rules
from .._access import mapping, seq
from ..diagnostics import Level

__all__ = [
    "Found",
    "Path",
    "ip_or_cidr",
    "is_ip",
    "istio_dns1123_label",
    "istio_wildcard_domain",
    "validate_export_to",
    "validate_fqdn",
    "validate_labels",
    "validate_port_number",
    "validate_protocol",
    "workload_selector",
]


Path = tuple[str | int, ...]
Found = list[tuple[Path, Level, str]]


# pkg/config/labels/instance.go: Istio's label formats accept upper case.
_DNS1123_LABEL = re.compile(r"\A[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?\Z")
_WILDCARD_LABEL = re.compile(r"\A(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)\Z")


def istio_dns1123_label(value: str) -> bool:
    """``labels.IsDNS1123Label`` (``pkg/config/labels/instance.go``)."""
    return len(value) <= 63 and bool(_DNS1123_LABEL.match(value))


def istio_wildcard_domain(domain: str) -> str | None:
    """Istio's ``ValidateWildcardDomain`` (``pkg/config/validation/agent/validation.go``): the
    reason ``domain`` is refused, or None if Istio accepts it."""
    if len(domain) > 255:
        return f"domain name {show(domain)} too long (max 255)"
    if not domain:
        return "empty domain name not allowed"
    first, _, rest = domain.partition(".")
    if len(first) > 63 or not _WILDCARD_LABEL.match(first):
        return f"domain name {show(domain)} invalid (label {show(first)} invalid)"
    if "." not in domain:
        return None
    labels = rest.split(".")
    if labels[-1].isdigit():
        return f"domain name {show(rest)} invalid (top level domain {show(labels[-1])} cannot be all-numeric)"
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label == "":
            return None  # a trailing dot: "istio.io."
        if not istio_dns1123_label(label):
            return f"domain name {show(rest)} invalid (label {show(label)} invalid)"
    return None


def validate_export_to(spec: Mapping[str, Any], *, service_entry: bool = False) -> Found:
    """``validateExportTo``: ``~`` only on a ServiceEntry, ``*`` not beside other entries, no
    duplicates, each entry ``.``, ``*`` or a namespace name."""
    out: Found = []
    entries = [e for e in seq(spec.get("exportTo")) if isinstance(e, str)]
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where: Path = ("exportTo", i)
        if entry in seen:
            out.append((where, Level.ERROR, f"duplicate entries in exportTo for entry {show(entry)}"))
            continue
        seen.add(entry)
        if entry == "~" and not service_entry:
            out.append(
                (where, Level.ERROR, "exportTo ~ (none) is not allowed for Istio configuration objects")
            )
        elif entry not in (".", "*", "~") and not istio_dns1123_label(entry):
            out.append((where, Level.ERROR, f"exportTo {show(entry)} is not '.', '*' or a namespace name"))
    if "*" in seen and len(seen) > 1:
        out.append(
            (
                ("exportTo",),
                Level.ERROR,
                "cannot have both public (*) and non-public exportTo values for a resource",
            )
        )
    return out


def workload_selector(field: str, labels: str) -> Any:
    """``validateWorkloadSelector``: an empty key or a ``*`` is an error; no labels a warning."""

    def rule(spec: Mapping[str, Any]) -> Found:
        selector = spec.get(field)
        if not isinstance(selector, Mapping):
            return []
        out: Found = []
        found = mapping(selector.get(labels))
        for key, value in found.items():
            if key == "" or "*" in str(key) or "*" in str(value):
                what = "empty key" if key == "" else "wildcard"
                out.append(
                    (
                        (field, labels),
                        Level.ERROR,
                        f"{what} is not supported in selector: {show(f'{key}={value}')}",
                    )
                )
        if not found:
            out.append(
                (
                    (field,),
                    Level.WARNING,
                    "workload selector specified without labels: it selects every workload in the namespace",
                )
            )
        return out

    return rule


def ip_or_cidr(value: str) -> bool:
    """``agent.ValidateIPSubnet``: an IP, or a CIDR block (``netip.ParsePrefix``)."""
    if value.count("/") == 1:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return True
    return is_ip(value)


def validate_fqdn(value: str) -> str | None:
    """``agent.ValidateFQDN``: the reason ``value`` is not a domain name, or None."""
    if not value:
        return "empty domain name not allowed"
    if len(value) > 255:
        return f"domain name {show(value)} too long (max 255)"
    labels = value.split(".")
    if labels[-1].isdigit():
        return (
            f"domain name {show(value)} invalid (top level domain {show(labels[-1])} cannot be all-numeric)"
        )
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label == "":
            return None
        if not istio_dns1123_label(label):
            return f"domain name {show(value)} invalid (label {show(label)} invalid)"
    return None


_TAG_KEY = re.compile(
    r"\A([a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/)?"
    r"((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])\Z"
)


_TAG_VALUE = re.compile(r"\A((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")


def validate_labels(at: Path, labels: Any) -> Found:
    """``labels.Instance.Validate`` (``pkg/config/labels/instance.go``): Kubernetes label keys and
    values."""
    out: Found = []
    for key, value in mapping(labels).items():
        match = _TAG_KEY.match(str(key))
        if match is None or len(match[2]) > 63 or (match[1] and len(match[1]) - 1 > 253):
            out.append(((*at, str(key)), Level.ERROR, f"invalid tag key: {show(key)}"))
        if not isinstance(value, str) or not _TAG_VALUE.match(value):
            out.append(((*at, str(key)), Level.ERROR, f"invalid tag value: {show(value)}"))
    return out


def validate_port_number(at: Path, value: Any) -> Found:
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        return [(at, Level.ERROR, f"port number {value} must be in the range 1..65535")]
    return []


_PROTOCOLS = frozenset(
    {
        "tcp",
        "udp",
        "grpc",
        "grpc-web",
        "http",
        "http_proxy",
        "http2",
        "https",
        "tls",
        "mongo",
        "redis",
        "mysql",
    }
)


def validate_protocol(at: Path, value: Any) -> Found:
    """``ValidateProtocol`` (``protocol.Parse``, case-insensitive; empty means sniffing)."""
    if isinstance(value, str) and value and value.lower() not in _PROTOCOLS:
        return [(at, Level.ERROR, f"unsupported protocol: {value}")]
    return []
