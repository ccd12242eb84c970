"""Istio's webhook rules for a VirtualService.

From ``pkg/config/validation/virtualservice.go`` (``ValidateVirtualService``) and
``pkg/config/validation/validation.go``: ``validateDestination``, ``validateGatewayNames``,
``validateSniHost``, ``validateHTTPRewrite``, ``ValidateHTTPHeaderNameOrJwtClaimRoute``,
``ValidateHTTPHeaderOperationName``, ``ValidateHTTPHeaderWithAuthorityOperationName``, the
``supportedRetryOnPolicies`` and ``supportedCORSMethods``; ``host.Name.SubsetOf``
(``pkg/config/host/name.go``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...errors import show
from .._access import mapping, seq, text
from ..crd_rules import go_duration
from ..diagnostics import Level
from .common import Found, Path, is_ip, istio_dns1123_label, istio_wildcard_domain

__all__ = ["validate_virtual_service"]


def validate_virtual_service(spec: Mapping[str, Any]) -> Found:
    """``ValidateVirtualService`` (``validation.go``, ``virtualservice.go``): a delegate (no hosts)
    binds no gateway; no empty gateway name; each HTTP route routes, redirects or responds; a fault
    aborts or delays; retries with 0 attempts configure nothing else; a rewrite rewrites."""
    out: Found = []
    if not seq(spec.get("hosts")) and seq(spec.get("gateways")):
        out.append((("gateways",), Level.ERROR, "delegate virtual service must have no gateways specified"))
    for i, gateway in enumerate(seq(spec.get("gateways"))):
        if gateway == "":
            out.append((("gateways", i), Level.ERROR, "empty domain name not allowed"))
    hosts = [h for h in seq(spec.get("hosts")) if isinstance(h, str)]
    for i, host in enumerate(hosts):
        if host in hosts[:i]:
            out.append((("hosts", i), Level.ERROR, f"duplicate hosts in virtual service: {host} & {host}"))
        elif host != "*" and not is_ip(host) and (reason := istio_wildcard_domain(host)) is not None:
            out.append((("hosts", i), Level.ERROR, reason))
    for list_name in ("http", "tcp", "tls"):
        for i, raw in enumerate(seq(spec.get(list_name))):
            route = mapping(raw)
            destinations: list[tuple[Path, Any]] = [
                ((list_name, i, "route", r, "destination"), mapping(d).get("destination"))
                for r, d in enumerate(seq(route.get("route")))
            ]
            destinations.append(((list_name, i, "mirror"), route.get("mirror")))
            for where, destination in destinations:
                out.extend(_destination(where, destination))
            for m, match in enumerate(seq(route.get("match"))):
                for g, gateway in enumerate(seq(mapping(match).get("gateways"))):
                    if isinstance(gateway, str) and (reason := _gateway_name(gateway)):
                        out.append(((list_name, i, "match", m, "gateways", g), Level.ERROR, reason))
    for i, raw in enumerate(seq(spec.get("tls"))):  # validateSniHost: each SNI within a host
        for m, match in enumerate(seq(mapping(raw).get("match"))):
            for n, sni in enumerate(seq(mapping(match).get("sniHosts"))):
                if (
                    isinstance(sni, str)
                    and sni
                    and not is_ip(sni)
                    and not any(_subset_of(sni, h) for h in hosts)
                ):
                    out.append(
                        (
                            ("tls", i, "match", m, "sniHosts", n),
                            Level.ERROR,
                            f"SNI host {show(sni)} is not a compatible subset of any of the virtual service "
                            f"hosts: [{', '.join(hosts)}]",
                        )
                    )
    for i, raw in enumerate(seq(spec.get("http"))):
        route = mapping(raw)
        at: Path = ("http", i)
        if route.get("route") and "redirect" in route:
            out.append((at, Level.ERROR, "HTTP route cannot contain both route and redirect"))
        for m, match in enumerate(seq(route.get("match"))):
            for field in ("headers", "withoutHeaders"):
                for name in mapping(mapping(match).get(field)):
                    if reason := _match_header(str(name)):
                        out.append(((*at, "match", m, field, str(name)), Level.ERROR, reason))
        for side in ("request", "response"):
            ops = mapping(mapping(route.get("headers")).get(side))
            for op in ("set", "add", "remove"):
                names = mapping(ops.get(op)) if op != "remove" else seq(ops.get(op))
                for name in names:
                    if reason := _operation_header(str(name), authority=side == "request" and op != "remove"):
                        out.append(((*at, "headers", side, op), Level.ERROR, reason))
        retry_on = mapping(route.get("retries")).get("retryOn")
        for policy in retry_on.split(",") if isinstance(retry_on, str) and retry_on else ():
            if policy not in _RETRY_ON and not (policy.isdigit() and int(policy) in _HTTP_STATUSES):
                out.append(
                    (
                        (*at, "retries", "retryOn"),
                        Level.ERROR,
                        f"{show(policy)} is not a valid retryOn policy",
                    )
                )
        for c, method in enumerate(seq(mapping(route.get("corsPolicy")).get("allowMethods"))):
            if isinstance(method, str) and method not in _CORS_METHODS:  # supportedCORSMethods
                out.append(
                    (
                        (*at, "corsPolicy", "allowMethods", c),
                        Level.ERROR,
                        f"{show(method)} is not a supported HTTP method",
                    )
                )
        max_age = mapping(route.get("corsPolicy")).get("maxAge")
        if isinstance(max_age, str) and (nanos := go_duration(max_age)) is not None and nanos % 1_000_000_000:
            out.append(
                (
                    (*at, "corsPolicy", "maxAge"),
                    Level.ERROR,
                    "max_age duration is accurate only to seconds precision",
                )
            )
        if not any(route.get(k) for k in ("route", "redirect", "directResponse", "delegate")) and not (
            "redirect" in route or "directResponse" in route
        ):
            out.append((at, Level.ERROR, "HTTP route, redirect or direct_response is required"))
        fault = route.get("fault")
        if isinstance(fault, Mapping) and "abort" not in fault and "delay" not in fault:
            out.append(
                ((*at, "fault"), Level.ERROR, "HTTP fault injection must have an abort and/or a delay")
            )
        retries = route.get("retries")
        if (
            isinstance(retries, Mapping)
            and retries.get("attempts", 0) == 0
            and any(
                k in retries and retries[k] not in ("", None)
                for k in ("perTryTimeout", "retryOn", "retryRemoteLocalities")
            )
        ):
            out.append(
                (
                    (*at, "retries"),
                    Level.ERROR,
                    "http retry policy configured when attempts are set to 0 (disabled)",
                )
            )
        out.extend(_rewrite((*at, "rewrite"), route.get("rewrite")))
        for c, header in enumerate(seq(mapping(route.get("corsPolicy")).get("allowHeaders"))):
            if header == "":
                out.append(
                    ((*at, "corsPolicy", "allowHeaders", c), Level.ERROR, "header name cannot be empty")
                )
    return out


# validation.go: supportedRetryOnPolicies, and Go's http.StatusText codes.
_RETRY_ON = frozenset(
    {
        "5xx",
        "gateway-error",
        "reset",
        "reset-before-request",
        "connect-failure",
        "retriable-4xx",
        "refused-stream",
        "retriable-status-codes",
        "retriable-headers",
        "envoy-ratelimited",
        "http3-post-connect-failure",
        "cancelled",
        "deadline-exceeded",
        "internal",
        "resource-exhausted",
        "unavailable",
    }
)


_HTTP_STATUSES = frozenset(
    [
        *range(100, 104),
        *range(200, 209),
        226,
        *range(300, 309),
        *range(400, 419),
        *range(421, 427),
        428,
        429,
        431,
        451,
        *range(500, 509),
        510,
        511,
    ]
)


_CORS_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"}
)


_TCHARS = re.compile(r"\A[!#$%&'*+\-.^_`|~A-Za-z0-9]+\Z")


_PSEUDO = frozenset({":method", ":scheme", ":authority", ":path", ":status"})


def _match_header(name: str) -> str | None:
    """``ValidateHTTPHeaderNameOrJwtClaimRoute``: a token, a pseudo header or a JWT claim."""
    if not name:
        return "header name cannot be empty"
    if name.startswith("@request.auth.claims") or name in _PSEUDO or _TCHARS.match(name):
        return None
    return f"header name {name} is not a valid header name"


def _operation_header(name: str, *, authority: bool) -> str | None:
    """``ValidateHTTPHeaderWithAuthorityOperationName`` (request set/add) and
    ``ValidateHTTPHeaderOperationName`` (the rest: no Host header)."""
    if not name:
        return "header name cannot be empty"
    if not authority and name.lower() == "host":
        return f"invalid header {show(name)}: cannot set Host header"
    if name.startswith(":") and not (authority and name.lower() == ":authority"):
        return f'invalid header {show(name)}: header cannot have ":" prefix'
    return None


def _subset_of(name: str, other: str) -> bool:
    """``host.Name.SubsetOf`` (``pkg/config/host/name.go``): every name ``name`` matches,
    ``other`` matches."""
    if name == other or other == "*":
        return True
    if other.startswith("*"):
        return (name[1:] if name.startswith("*") else name).endswith(other[1:]) and name != "*"
    return False


def _destination(at: Path, destination: Any) -> Found:
    """``validateDestination``: the host a domain name (``ValidateWildcardDomain``; an IP is
    refused), the subset a DNS-1123 label."""
    if not isinstance(destination, Mapping):
        return []
    out: Found = []
    host = destination.get("host")
    if host == "*":
        out.append(((*at, "host"), Level.ERROR, "invalid destination host *"))
    elif isinstance(host, str) and host and (reason := istio_wildcard_domain(host)) is not None:
        out.append(((*at, "host"), Level.ERROR, reason))
    subset = destination.get("subset")
    if isinstance(subset, str) and subset and not istio_dns1123_label(subset):
        out.append(((*at, "subset"), Level.ERROR, f"subset name is invalid: {subset}"))
    return out


def _gateway_name(ref: str) -> str | None:
    """``validateGatewayNames``: ``name`` or ``namespace/name`` of DNS-1123 labels (or ``mesh``)."""
    namespace, sep, name = ref.partition("/")
    if not sep:
        return None  # a bare or legacy name: checked with the spec models
    if not namespace or not name:
        return "config namespace and gateway name cannot be empty"
    if not istio_dns1123_label(namespace):
        return f"invalid value for namespace: {show(namespace)}"
    if not istio_dns1123_label(name):
        return f"invalid value for gateway name: {show(name)}"
    return None


def _rewrite(at: Path, rewrite: Any) -> Found:
    """``validateHTTPRewrite``."""
    if not isinstance(rewrite, Mapping):
        return []
    uri, regex = text(rewrite.get("uri")), rewrite.get("uriRegexRewrite")
    if uri and regex is not None:
        return [(at, Level.ERROR, "rewrite may only contain one of URI or UriRegexRewrite")]
    if not uri and regex is None and not text(rewrite.get("authority")):
        return [
            (
                at,
                Level.ERROR,
                "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of "
                "URI or UriRegexRewrite may be specified",
            )
        ]
    match = mapping(regex).get("match")
    if isinstance(match, str):
        try:
            re.compile(match)  # a malformed pattern fails both; what only RE2 refuses is not caught
        except re.error as err:
            return [((*at, "uriRegexRewrite", "match"), Level.ERROR, f"UriRegexRewrite has errors: {err}")]
    return []
