"""DestinationRule analyzers: client TLS that verifies nothing.

After Istio's ``pkg/config/analysis/analyzers/destinationrule/caCertificate.go`` (IST0128 for the
rule's TLS, IST0129 for a port-level TLS setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._access import Key, Manifest, integer, key_of, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..index import (
    ISTIO_NETWORKING_GROUP,
    MeshIndex,
)
from ._base import Analyzer
from ._base import diag as _diag


def _check_destination_rule(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    """IST0128 / IST0129: client TLS (SIMPLE or MUTUAL) with nothing pinned to verify the server."""
    key = key_of(obj)
    spec = mapping(obj.get("spec"))
    host = text(spec.get("host")) or "?"
    selected = bool(mapping(spec.get("workloadSelector")))
    policies = [("spec.trafficPolicy", mapping(spec.get("trafficPolicy")))]
    for i, subset in enumerate(seq(spec.get("subsets"))):
        policies.append((f"spec.subsets[{i}].trafficPolicy", mapping(mapping(subset).get("trafficPolicy"))))
    out: list[Diagnostic] = []
    for base, policy in policies:
        out.extend(_check_client_tls(key, host, selected, f"{base}.tls", mapping(policy.get("tls")), None))
        for j, pl in enumerate(seq(policy.get("portLevelSettings"))):
            port = integer(mapping(mapping(pl).get("port")).get("number"))
            tls = mapping(mapping(pl).get("tls"))
            out.extend(
                _check_client_tls(key, host, selected, f"{base}.portLevelSettings[{j}].tls", tls, port)
            )
    return out


def _check_client_tls(
    key: Key, host: str, selected: bool, path: str, tls: Mapping[str, Any], port: int | None
) -> list[Diagnostic]:
    mode = text(tls.get("mode"))
    if mode not in ("SIMPLE", "MUTUAL"):
        return []
    code = "IST0128" if port is None else "IST0129"
    target = host if port is None else f"{host} port {port}"
    if tls.get("insecureSkipVerify") is True:
        return [
            _diag(
                key,
                code,
                Level.WARNING,
                f"{path}.insecureSkipVerify",
                f"TLS mode {mode} to {target} with insecureSkipVerify: the server's certificate is not "
                "verified at all, so anyone on the path can impersonate it. Remove insecureSkipVerify and "
                "set caCertificates (or a credentialName whose Secret has ca.crt)",
            )
        ]
    if text(tls.get("caCertificates")) or (text(tls.get("credentialName")) and selected):
        return []
    return [
        _diag(
            key,
            code,
            Level.INFO,
            path,
            f"TLS mode {mode} to {target} sets no caCertificates: the server is verified only against "
            "the proxy's operating-system trust store (Istio 1.21 and later; older versions do not "
            "verify at all). For a private CA, or to pin the CA, set caCertificates, or credentialName "
            "with a ca.crt on a DestinationRule with a workloadSelector",
        )
    ]


ANALYZER = Analyzer(
    name="destinationrule",
    subjects=frozenset({(ISTIO_NETWORKING_GROUP, "DestinationRule")}),
    inputs=frozenset({(ISTIO_NETWORKING_GROUP, "DestinationRule")}),
    codes=frozenset({"IST0128", "IST0129"}),
    check=_check_destination_rule,
)
