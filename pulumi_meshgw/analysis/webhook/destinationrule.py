"""Istio's webhook rules for a DestinationRule.

From ``pkg/config/validation/validation.go``: ``validateDestinationRule``, ``validateTrafficPolicy``,
``validatePortTrafficPolicies``, ``validateConnectionPool`` and ``validateOutlierDetection``; and
``ValidateTLS`` and ``validateLocalityLbSetting`` (``pkg/config/validation/agent/validation.go``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._access import mapping, seq, text
from ..diagnostics import Level
from .common import Found, Path, istio_wildcard_domain, validate_labels

__all__ = ["validate_destination_rule", "validate_traffic_policy"]


def _policies(spec: Mapping[str, Any]) -> list[tuple[Path, Any]]:
    """A DestinationRule's traffic policies: the top one and each subset's, with their paths."""
    subsets = seq(spec.get("subsets"))
    return [(("trafficPolicy",), spec.get("trafficPolicy"))] + [
        (("subsets", i, "trafficPolicy"), mapping(s).get("trafficPolicy")) for i, s in enumerate(subsets)
    ]


def validate_traffic_policy(spec: Mapping[str, Any]) -> Found:
    """``validateTrafficPolicy`` / ``validatePortTrafficPolicies``: a policy with no field, a port
    policy without a port or with nothing else; ``validateConnectionPool`` and
    ``validateOutlierDetection`` bounds."""
    out: Found = []
    for where, policy in _policies(spec):
        if not isinstance(policy, Mapping):
            continue
        if not policy:
            out.append((where, Level.ERROR, "traffic policy must have at least one field"))
        out.extend(_policy_bounds(where, policy))
        for i, port_policy in enumerate(seq(policy.get("portLevelSettings"))):
            at, port_policy = (*where, "portLevelSettings", i), mapping(port_policy)
            if not isinstance(mapping(port_policy.get("port")).get("number"), int):
                out.append((at, Level.ERROR, "portTrafficPolicy must have valid port"))
            if not [k for k in port_policy if k != "port"]:
                out.append((at, Level.ERROR, "port traffic policy must have at least one field"))
            out.extend(_policy_bounds(at, port_policy))
    return out


def _policy_bounds(where: Path, policy: Mapping[str, Any]) -> Found:
    out: Found = []
    max_connections = mapping(mapping(policy.get("connectionPool")).get("tcp")).get("maxConnections")
    if isinstance(max_connections, int) and max_connections < 0:
        out.append(
            (
                (*where, "connectionPool", "tcp", "maxConnections"),
                Level.ERROR,
                "max connections must be non-negative",
            )
        )
    http = mapping(mapping(policy.get("connectionPool")).get("http"))
    for field, what in (
        ("http1MaxPendingRequests", "http1 max pending requests"),
        ("http2MaxRequests", "http2 max requests"),
        ("maxRequestsPerConnection", "max requests per connection"),
        ("maxRetries", "max retries"),
        ("maxConcurrentStreams", "max concurrent streams"),
    ):
        value = http.get(field)
        if isinstance(value, int) and value < 0:
            out.append(
                ((*where, "connectionPool", "http", field), Level.ERROR, f"{what} must be non-negative")
            )
    outlier = mapping(policy.get("outlierDetection"))
    for field in ("maxEjectionPercent", "minHealthPercent"):
        value = outlier.get(field)
        if isinstance(value, int) and not 0 <= value <= 100:
            out.append(
                (
                    (*where, "outlierDetection", field),
                    Level.ERROR,
                    f"percentage {value} is not in range 0..100",
                )
            )
    return out


def validate_destination_rule(spec: Mapping[str, Any]) -> Found:
    """``agent.ValidateTLS`` for ``MUTUAL`` without a credential name: a client certificate and a
    private key; ``labels.Instance.Validate`` on subset labels."""
    out: Found = []
    for where, policy in _policies(spec):
        tls = mapping(mapping(policy).get("tls"))
        if text(tls.get("mode")) == "MUTUAL" and not text(tls.get("credentialName")):
            for field, what in (("clientCertificate", "client certificate"), ("privateKey", "private key")):
                if not text(tls.get(field)):
                    out.append(((*where, "tls", field), Level.ERROR, f"{what} required for mutual tls"))
        locality = mapping(mapping(mapping(policy).get("loadBalancer")).get("localityLbSetting"))
        for d, distribute in enumerate(seq(locality.get("distribute"))):  # agent.validateLocalityLbSetting
            weights = [w for w in mapping(mapping(distribute).get("to")).values() if isinstance(w, int)]
            at = (*where, "loadBalancer", "localityLbSetting", "distribute", d, "to")
            if any(not 1 <= w <= 100 for w in weights):
                out.append((at, Level.ERROR, "locality weight must be in range [1, 100]"))
            elif sum(weights) != 100:
                out.append((at, Level.ERROR, f"total locality weight {sum(weights)} != 100"))
        for f, failover in enumerate(seq(locality.get("failover"))):  # agent.validateLocalityLbSetting
            failover = mapping(failover)
            if failover.get("from") == failover.get("to"):
                out.append(
                    (
                        (*where, "loadBalancer", "localityLbSetting", "failover", f),
                        Level.ERROR,
                        "locality lb failover settings must specify different regions",
                    )
                )
    host = spec.get("host")
    if isinstance(host, str) and host and (reason := istio_wildcard_domain(host)) is not None:
        out.append((("host",), Level.ERROR, reason))  # ValidateWildcardDomain, e.g. a label over 63
    names: set[str] = set()
    for i, subset in enumerate(seq(spec.get("subsets"))):
        out.extend(validate_labels(("subsets", i, "labels"), mapping(subset).get("labels")))
        name = mapping(subset).get("name")
        if isinstance(name, str) and name in names:  # validateDestinationRule
            out.append((("subsets", i, "name"), Level.ERROR, f"duplicate subset names: {name}"))
        names.add(str(name))
    if isinstance(spec.get("workloadSelector"), Mapping) and any(
        e not in (".", "~") for e in seq(spec.get("exportTo"))
    ):  # validateExportTo with a workload selector (the own namespace by name is not seen here)
        out.append(
            (
                ("exportTo",),
                Level.ERROR,
                "destination rule with workload selector cannot have exportTo beyond current namespace",
            )
        )
    return out
