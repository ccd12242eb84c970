"""Gateway options that Istio has no API for, rendered as EnvoyFilters: HTTP caching and local rate
limiting (``cache`` and ``rateLimit`` on a Gateway; see docs/caching.md).

Each option names the hosts it applies to. Envoy's cache filter has no per-host configuration, so
the filter is inserted disabled and enabled per virtual host; the local rate limit filter is
inserted as a no-op and given a token bucket per virtual host. Both only work where Envoy sees HTTP
requests, so :func:`envoy_filter_problems` checks the named hosts against the Gateway's servers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..constants import ENVOY_FILTER_PROXY_VERSION
from ..errors import show
from ._base import SpecModel
from .istio import Server, TLSMode, validate_gateway_host

__all__ = [
    "RATE_LIMIT_STATUS_CODES",
    "HttpCache",
    "LocalRateLimit",
    "TokenBucket",
    "VirtualHostRef",
    "duration_ms",
    "envoy_filter_problems",
    "virtual_hosts",
]

# Envoy's ``type.v3.StatusCode`` enum is validated ``defined_only``: other codes NACK the listener.
RATE_LIMIT_STATUS_CODES = frozenset(
    {
        *range(400, 418),
        *(421, 422, 423, 424, 425, 426, 428, 429, 431),
        *range(500, 509),
        *(510, 511),
    }
)
"""The 4xx/5xx codes Envoy's ``StatusCode`` enum defines, hence the only ones a rate limit may return."""

_DURATION = re.compile(r"\A(\d+)(ms|s|m|h)\Z")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
_HEADER_NAME = re.compile(r"\A[a-z0-9!#$%&'*+.^_`|~-]+\Z")
_MIN_FILL_MS = 50  # Envoy's local rate limit filter rejects a shorter fill_interval


def duration_ms(value: str) -> int:
    """Parse an Istio-style duration (``500ms``, ``1s``, ``1m``, ``1h``) into milliseconds."""
    m = _DURATION.match(value)
    if m is None:
        raise ValueError(
            f"duration {show(value)} is not valid: write a whole number and a unit, ms, s, m or h "
            "(e.g. 1s, 500ms)"
        )
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


def _hosts(v: list[str]) -> list[str]:
    seen: set[str] = set()
    for h in v:
        if "/" in h:
            raise ValueError(
                f"host {show(h)}: give the DNS name only; the namespace part of a server host does not "
                f"apply here"
            )
        validate_gateway_host(h)
        if h in seen:
            raise ValueError(f"host {show(h)} is listed twice")
        seen.add(h)
    return v


def _proxy_version(v: str | None) -> str | None:
    if v is None:
        return v
    if not v.strip():
        raise ValueError("proxyVersion must not be empty; leave it out to use the verified range")
    try:
        re.compile(v)
    except re.error as exc:
        raise ValueError(f"proxyVersion {show(v)} is not a valid regular expression: {exc}") from None
    return v


# The fields every EnvoyFilter option has, each with its validator.
FilterHosts = Annotated[list[str], Field(min_length=1), AfterValidator(_hosts)]
ProxyVersion = Annotated[str | None, AfterValidator(_proxy_version)]


class HttpCache(SpecModel):
    """Envoy's HTTP cache filter, in memory, for the hosts named. Config key: ``cache`` on a Gateway.

    Renders one EnvoyFilter (``<gateway>-cache``, in the gateway pods' namespace) that inserts the
    cache filter, disabled, right before the router, and enables it on the virtual host of each
    named host. Responses are cached per gateway pod, and only when they are cacheable under
    RFC 7234 as Envoy implements it (``Cache-Control``/``Expires``, a cacheable status code).
    """

    hosts: FilterHosts
    """Hosts to cache, each served by an HTTP (or TLS-terminating HTTPS) server of this Gateway.
    Wildcards name the virtual host of a VirtualService whose host is that wildcard. Required."""
    max_body_bytes: int = Field(default=1_048_576, ge=1, le=4_294_967_295)
    """Largest response body stored. Default: 1048576 (1 MiB); Envoy's own default, unlimited, lets
    one large object hold gateway memory."""
    allowed_vary_headers: list[str] = Field(default_factory=list)
    """Request headers a response may ``Vary`` on and still be cached (lowercase names, e.g.
    ``accept-encoding``). Default: none, so responses with ``Vary`` are not cached."""
    proxy_version: ProxyVersion = None
    """RE2 regex over the proxies' Istio version that the EnvoyFilter applies to. Default: the
    verified range (``constants.ENVOY_FILTER_PROXY_VERSION``: Istio 1.22 to 1.28). Widen it only
    after checking the proxy version (docs/caching.md)."""

    @field_validator("allowed_vary_headers")
    @classmethod
    def _vary(cls, v: list[str]) -> list[str]:
        for h in v:
            if not _HEADER_NAME.match(h):
                raise ValueError(f"allowedVaryHeaders: {show(h)} is not a lowercase HTTP header name")
        return v

    @property
    def version_regex(self) -> str:
        return self.proxy_version or ENVOY_FILTER_PROXY_VERSION


class TokenBucket(SpecModel):
    """A token bucket: each request takes a token; ``tokensPerFill`` tokens come back every
    ``fillInterval``, up to ``maxTokens``. Envoy: ``type.v3.TokenBucket``."""

    max_tokens: int = Field(ge=1, le=4_294_967_295)
    """Bucket size: the largest burst. Required."""
    tokens_per_fill: int | None = Field(default=None, ge=1, le=4_294_967_295)
    """Tokens added every ``fillInterval``. Default: ``maxTokens`` (a full refill: ``maxTokens``
    requests per ``fillInterval``); Envoy's own default of 1 is rarely what anyone means."""
    fill_interval: str
    """How often tokens are added: ``500ms``, ``1s``, ``1m``, ``1h``; at least 50ms. Required."""

    @field_validator("fill_interval")
    @classmethod
    def _interval(cls, v: str) -> str:
        if duration_ms(v) < _MIN_FILL_MS:
            raise ValueError(f"fillInterval {show(v)} is shorter than 50ms, which Envoy rejects")
        return v

    @model_validator(mode="after")
    def _fill(self) -> TokenBucket:
        if self.tokens_per_fill is not None and self.tokens_per_fill > self.max_tokens:
            raise ValueError(
                f"tokensPerFill ({self.tokens_per_fill}) is larger than maxTokens ({self.max_tokens}); "
                "the bucket never holds more than maxTokens, so lower tokensPerFill or raise maxTokens"
            )
        return self

    @property
    def fill(self) -> int:
        return self.tokens_per_fill if self.tokens_per_fill is not None else self.max_tokens


class LocalRateLimit(SpecModel):
    """Envoy's local (per-pod) rate limit for the hosts named. Config key: ``rateLimit`` on a Gateway.

    Renders one EnvoyFilter (``<gateway>-ratelimit``, in the gateway pods' namespace) that inserts the
    local rate limit filter as a no-op before the router and gives each named host's virtual host
    its own token bucket. The bucket is per pod: the effective limit is the bucket times the
    number of gateway replicas.
    """

    hosts: FilterHosts
    """Hosts to limit, each served by an HTTP (or TLS-terminating HTTPS) server of this Gateway;
    each host gets its own bucket. Required."""
    token_bucket: TokenBucket
    """The bucket of each host, per gateway pod. Required."""
    status_code: int = 429
    """Status of a rejected request. Default: 429 (Too Many Requests)."""
    enforce: bool = True
    """Reject requests over the limit. Default: true. False is shadow mode: the filter only counts
    (``http_local_rate_limiter.http_local_rate_limit.rate_limited`` stat), which is how to size a
    new limit safely."""
    response_headers: dict[str, str] = Field(default_factory=lambda: {"x-local-rate-limit": "true"})
    """Headers added to rejected responses. Default: ``x-local-rate-limit: "true"``."""
    proxy_version: ProxyVersion = None
    """RE2 regex over the proxies' Istio version that the EnvoyFilter applies to. Default: the
    verified range (``constants.ENVOY_FILTER_PROXY_VERSION``: Istio 1.22 to 1.28)."""

    @field_validator("status_code")
    @classmethod
    def _status(cls, v: int) -> int:
        if v not in RATE_LIMIT_STATUS_CODES:
            raise ValueError(
                f"statusCode {v} is not a 4xx/5xx code Envoy's StatusCode enum defines; use 429 "
                "(Too Many Requests) or 503"
            )
        return v

    @field_validator("response_headers")
    @classmethod
    def _headers(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"responseHeaders: {show(name)} is not a lowercase HTTP header name")
        return v

    @property
    def version_regex(self) -> str:
        return self.proxy_version or ENVOY_FILTER_PROXY_VERSION


# -- which virtual hosts --------------------------------------------------------------------------


@dataclass(frozen=True)
class VirtualHostRef:
    """A virtual host Istio builds on a gateway: named ``<host>:<server port>``."""

    host: str
    port: int

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"


def _server_host(h: str) -> str:
    return h.rpartition("/")[2]


def _covers(server_host: str, host: str) -> bool:
    """Whether a Gateway server host (``*``, ``*.example.com``, ``a.example.com``) serves ``host``."""
    if server_host in ("*", host):
        return True
    if server_host.startswith("*."):
        suffix = server_host[1:]
        bare = host[2:] if host.startswith("*.") else host
        return bare.endswith(suffix) and bare != suffix[1:]
    return False


def _carries_http(s: Server) -> bool:
    """Whether Envoy parses HTTP on this server: plain HTTP protocols, or HTTPS that terminates."""
    if s.port.protocol.is_http:
        return True
    mode = s.tls.mode if s.tls else None
    return s.port.protocol.value == "HTTPS" and mode is not None and mode.terminates


def _describe(i: int, s: Server) -> str:
    mode = s.tls.mode.value if s.tls and s.tls.mode else None
    what = f"{s.port.protocol.value}" + (f" {mode}" if mode else "")
    return f"servers[{i}] ({what} on port {s.port.number})"


def virtual_hosts(servers: Sequence[Server], hosts: Sequence[str]) -> list[VirtualHostRef]:
    """The virtual hosts to patch for ``hosts``: one per host and HTTP server port that serves it,
    in host then port order; HTTPS-redirect servers are skipped (they only redirect)."""
    out: dict[tuple[str, int], VirtualHostRef] = {}
    for host in hosts:
        ports = sorted(
            {
                s.port.number
                for s in servers
                if _carries_http(s)
                and not (s.tls and s.tls.https_redirect)
                and any(_covers(_server_host(h), host) for h in s.hosts)
            }
        )
        for p in ports:
            out.setdefault((host, p), VirtualHostRef(host, p))
    return list(out.values())


def envoy_filter_problems(
    servers: Sequence[Server], option: str, hosts: Sequence[str], what: str
) -> list[tuple[tuple[str | int, ...], str]]:
    """Check an option's hosts against the Gateway's servers, as (path, message) pairs.

    Args:
        servers: The Gateway's servers.
        option: The option's config key (``cache``, ``rateLimit``), the first element of each path.
        hosts: The hosts the option names.
        what: What the option does, for messages (``caching``, ``rate limiting``).
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if not any(_carries_http(s) for s in servers):
        problems.append(
            (
                (option,),
                f"{what} needs a server where Envoy sees HTTP requests (protocol HTTP, HTTP2, GRPC, or "
                "HTTPS with tls.mode SIMPLE or MUTUAL), and this Gateway has none; its TLS/TCP "
                "servers forward bytes Envoy never parses",
            )
        )
        return problems
    for i, host in enumerate(hosts):
        serving = [
            (j, s) for j, s in enumerate(servers) if any(_covers(_server_host(h), host) for h in s.hosts)
        ]
        if not serving:
            served = sorted({_server_host(h) for s in servers for h in s.hosts})
            problems.append(
                (
                    (option, "hosts", i),
                    f"host {show(host)} is not served by this Gateway (its servers serve "
                    f"{', '.join(served)}); "
                    "add it to a server's hosts or remove it here",
                )
            )
            continue
        http = [(j, s) for j, s in serving if _carries_http(s)]
        if not http:
            where = ", ".join(_describe(j, s) for j, s in serving)
            passthrough = any(
                s.tls is not None and s.tls.mode in (TLSMode.PASSTHROUGH, TLSMode.AUTO_PASSTHROUGH)
                for _, s in serving
            )
            why = (
                "TLS passes through to the backend encrypted, so Envoy never sees the HTTP requests"
                if passthrough
                else "Envoy proxies those connections as TCP and never parses HTTP"
            )
            problems.append(
                (
                    (option, "hosts", i),
                    f"host {show(host)} is only served by {where}: {why}, so {what} cannot apply; terminate "
                    "TLS at the gateway (protocol HTTPS, tls.mode SIMPLE) or remove the host here",
                )
            )
            continue
        if all(s.tls is not None and s.tls.https_redirect for _, s in http):
            where = ", ".join(_describe(j, s) for j, s in http)
            problems.append(
                (
                    (option, "hosts", i),
                    f"host {show(host)} is only served by {where}, which redirects every request to HTTPS, "
                    f"so {what} would never apply; serve the host on an HTTPS server too",
                )
            )
    return problems
