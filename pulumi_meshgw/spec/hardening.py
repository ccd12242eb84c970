"""Settings of a Gateway and its workload that silently lose a protection, found before rendering.

- **MGW0159** (error): IP rules with ``network.topology: proxied`` on TLS-passthrough or TCP
  servers, without the PROXY protocol. ``remoteIpBlocks`` comes from ``X-Forwarded-For``, which
  such connections do not carry, so the address matched is the proxy's: deny-lists never match
  and allow-lists refuse everyone.
- **MGW0160** (warning): a broad host on an internet-facing workload: ``*`` on an HTTP or HTTPS
  server (any Host header reaches the routes), or a TLS-passthrough server with ``*`` (any SNI,
  even one that names an internal service).
- **MGW0161** (warning): JWT or external authorization scoped by path (``paths`` or
  ``excludePaths`` other than ``*``). Under Istio's default path normalization (``BASE``) ``//admin``
  and ``/admin%2F..`` are not merged or decoded before the policy matches, while many backends
  do so after; set meshConfig ``pathNormalization.normalization: MERGE_SLASHES`` (or
  ``DECODE_AND_MERGE_SLASHES``) to close the gap (docs/security.md).
- **MGW0162** (warning): ``service.loadBalancerSourceRanges`` that contain ``0.0.0.0/0`` or
  ``::/0`` restrict nothing: the load balancer is open to the internet.

Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

import ipaddress

from .resources import GatewaySpec
from .security import NetworkTopology
from .workload import Exposure, WorkloadSpec

__all__ = [
    "PROXY_PROTOCOL_ANNOTATION",
    "gateway_hardening",
    "internet_facing",
    "open_source_ranges",
    "workload_warnings",
]

CodedProblem = tuple[tuple[str | int, ...], str, str]

PROXY_PROTOCOL_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"
"""The Service annotation that makes the load balancer speak the PROXY protocol; the gateway then
needs Envoy's ``proxy_protocol`` listener filter (an EnvoyFilter of your own)."""


def open_source_ranges(ranges: list[str] | None) -> list[str]:
    """The entries of ``ranges`` that admit every address (a ``/0``)."""
    out = []
    for r in ranges or []:
        try:
            if ipaddress.ip_network(r, strict=False).prefixlen == 0:
                out.append(r)
        except ValueError:
            continue
    return out


def internet_facing(workload: WorkloadSpec) -> bool:
    """A managed ``public`` workload whose load balancer admits every address."""
    if workload.is_external or workload.exposure is not Exposure.PUBLIC:
        return False
    ranges = workload.service.load_balancer_source_ranges
    return not ranges or bool(open_source_ranges(ranges))


def _proxied_ip_rules(spec: GatewaySpec, workload: WorkloadSpec) -> list[CodedProblem]:
    fw = spec.firewall
    if fw is None or not fw.has_rules or workload.is_external:
        return []
    if workload.network.topology is not NetworkTopology.PROXIED:
        return []
    if PROXY_PROTOCOL_ANNOTATION in workload.service.annotations:
        return []
    out: list[CodedProblem] = []
    for i, s in enumerate(spec.servers):
        mode = s.tls.mode if s.tls is not None else None
        terminated_http = s.port.protocol.is_http or (
            s.port.protocol.value == "HTTPS" and mode is not None and mode.terminates
        )
        if terminated_http:
            continue
        out.append(
            (
                ("servers", i),
                f"IP rules with network.topology: proxied match the address taken from "
                f"X-Forwarded-For, which this {s.port.protocol.value} server (port {s.port.number}) never "
                "sees: the address matched is the proxy's, so deny-lists never match and allow-lists "
                "refuse everyone; terminate TLS here, or configure the PROXY protocol (service "
                f"annotation {PROXY_PROTOCOL_ANNOTATION} and Envoy's proxy_protocol listener filter)",
                "MGW0159",
            )
        )
    return out


def _broad_hosts(spec: GatewaySpec, workload: WorkloadSpec) -> list[CodedProblem]:
    if not internet_facing(workload):
        return []
    out: list[CodedProblem] = []
    for i, s in enumerate(spec.servers):
        mode = s.tls.mode if s.tls is not None else None
        passthrough = mode is not None and not mode.terminates
        http = s.port.protocol.value in ("HTTP", "HTTPS", "HTTP2", "GRPC")
        for j, h in enumerate(s.hosts):
            if h.rpartition("/")[2] != "*" or not (http or passthrough):
                continue
            what = (
                "any SNI, including names of internal services, is forwarded"
                if passthrough
                else "any Host header reaches the routes bound to it"
            )
            out.append(
                (
                    ("servers", i, "hosts", j),
                    f"host '*' on internet-facing workload {workload.name!r}: {what}; name the hosts "
                    "this Gateway serves",
                    "MGW0160",
                )
            )
    return out


def _path_scoped(spec: GatewaySpec) -> list[CodedProblem]:
    auth = spec.authentication
    if auth is None:
        return []
    scoped: list[tuple[tuple[str | int, ...], list[str]]] = []
    for i, r in enumerate(auth.jwt):
        scoped.append((("authentication", "jwt", i, "paths"), list(r.paths)))
        scoped.append((("authentication", "jwt", i, "excludePaths"), list(r.exclude_paths)))
    if auth.ext_authz is not None:
        scoped.append((("authentication", "extAuthz", "paths"), list(auth.ext_authz.paths)))
        scoped.append((("authentication", "extAuthz", "excludePaths"), list(auth.ext_authz.exclude_paths)))
    out: list[CodedProblem] = []
    for path, patterns in scoped:
        for k, p in enumerate(patterns):
            if p == "*":
                continue
            out.append(
                (
                    (*path, k),
                    f"{p!r} scopes the policy by path, which '//' or an encoded '%2F' in the request "
                    "path can slip past under Istio's default path normalization (BASE) while the "
                    "backend still serves it; set meshConfig pathNormalization.normalization: "
                    "MERGE_SLASHES (or DECODE_AND_MERGE_SLASHES), or scope by host only",
                    "MGW0161",
                )
            )
    return out


def workload_warnings(workload: WorkloadSpec) -> list[CodedProblem]:
    """MGW0162: ``loadBalancerSourceRanges`` with a ``/0`` entry, which restricts nothing."""
    ranges = workload.service.load_balancer_source_ranges
    opened = open_source_ranges(ranges)
    if not opened or ranges is None:
        return []
    return [
        (
            ("service", "loadBalancerSourceRanges", ranges.index(opened[0])),
            f"{opened[0]} admits every address, so the load balancer of {workload.name!r} is open to the "
            "internet; list the client networks, or remove loadBalancerSourceRanges if that is meant",
            "MGW0162",
        )
    ]


def gateway_hardening(
    spec: GatewaySpec, workload: WorkloadSpec
) -> tuple[list[CodedProblem], list[CodedProblem]]:
    """(errors, warnings) of the Gateway on its workload, as (path under the Gateway, message,
    code) triples; see the module docstring for each code."""
    warnings = [*_broad_hosts(spec, workload), *_path_scoped(spec)]
    return _proxied_ip_rules(spec, workload), warnings
