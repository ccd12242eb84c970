"""Typed security options of gateways: where client addresses come from, IP firewall rules, and
authentication (JWT, external authorization, mesh mTLS for the namespaces behind a gateway).

Field names follow Istio where Istio has one (``numTrustedProxies``, ``jwksUri``, ``fromHeaders``,
``ipBlocks`` semantics). What the options render to is in :mod:`pulumi_meshgw.render.firewall` and
:mod:`pulumi_meshgw.render.authentication`; ``docs/security.md`` is the user guide.

Checks that need only one Gateway live on the models (errors carry the config path). Checks that
need the Gateway *and* its workload (topology, exposure, the Service's traffic policy) are
:func:`gateway_security_problems`, which the planner runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..errors import show
from ._base import NestedProblems, SpecModel, dns_label

if TYPE_CHECKING:
    from .istio import Server
    from .resources import GatewaySpec
    from .workload import WorkloadSpec

__all__ = [
    "Authentication",
    "ClaimCondition",
    "ExtAuthz",
    "Firewall",
    "FirewallHost",
    "JwtHeader",
    "JwtRule",
    "NetworkTopology",
    "PeerAuthenticationSettings",
    "WorkloadNetwork",
    "firewall_warnings",
    "gateway_security_problems",
    "host_served",
    "parse_cidr",
    "path_covers",
]

PathProblem = tuple[tuple[str | int, ...], str]


# -- network topology (on the workload) -------------------------------------------------------------


class NetworkTopology(str, Enum):
    """Where clients' connections come from, as the gateway pods see them.

    - ``direct``: clients connect to the load balancer, which keeps their source address
      (``externalTrafficPolicy: Local``); IP rules match the connection's peer (``ipBlocks``).
    - ``proxied``: an L7 proxy or CDN terminates the client connection and adds
      ``X-Forwarded-For``; IP rules match the address Envoy derives from it with
      ``numTrustedProxies`` (``remoteIpBlocks``).
    """

    DIRECT = "direct"
    PROXIED = "proxied"


class WorkloadNetwork(SpecModel):
    """How client addresses reach the gateway pods. Config: ``workloads[].network``.

    Default: ``topology: direct``. With ``proxied``, the pods get Istio's
    ``gatewayTopology.numTrustedProxies`` in their ``proxy.istio.io/config`` annotation, so Envoy
    takes the client address from the right ``X-Forwarded-For`` entry.
    """

    topology: NetworkTopology = NetworkTopology.DIRECT
    """Default: ``direct``."""
    num_trusted_proxies: int | None = Field(default=None, ge=1)
    """How many proxies in front of the gateway append to ``X-Forwarded-For`` (Istio
    ``gatewayTopology.numTrustedProxies``). Required with ``topology: proxied``, not allowed with
    ``direct``. Default: unset."""

    @model_validator(mode="after")
    def _coherent(self) -> WorkloadNetwork:
        if self.topology is NetworkTopology.PROXIED and self.num_trusted_proxies is None:
            raise ValueError(
                "topology 'proxied' needs numTrustedProxies (>= 1): the number of proxies in front of "
                "the gateway that append to X-Forwarded-For; without it Envoy trusts no entry and "
                "every client looks like the proxy"
            )
        if self.topology is NetworkTopology.DIRECT and self.num_trusted_proxies is not None:
            raise ValueError(
                "numTrustedProxies only applies to topology 'proxied'; with 'direct' clients connect "
                "to the load balancer and X-Forwarded-For is client-controlled: remove it or set "
                "topology: proxied"
            )
        return self


# -- firewall (on the Gateway) ----------------------------------------------------------------------


def parse_cidr(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR (``10.0.0.0/8``) or a single address (``203.0.113.7``), as a network.

    Raises:
        ValueError: not an address or CIDR, or host bits set (``10.0.0.1/8``).
    """
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            fixed = ipaddress.ip_network(value, strict=False)
            raise ValueError(f"{show(value)} has host bits set; write the network address: {fixed}") from None
        raise ValueError(
            f"{show(value)} is not an IP address or CIDR block (e.g. 203.0.113.0/24 or 2001:db8::/32)"
        ) from None


def _cidr(value: str) -> str:
    parse_cidr(value)
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]
"""A CIDR block or a single address, checked with :func:`parse_cidr`."""


def _kubernetes_cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError(
            f"{show(value)} is not an IP range; Kubernetes requires a CIDR with a prefix length, "
            "e.g. 203.0.113.0/24 (a single address is 203.0.113.7/32)"
        )
    parse_cidr(value)
    return value


KubernetesCidr = Annotated[str, AfterValidator(_kubernetes_cidr)]
"""A CIDR where Kubernetes takes one (a Service's ``loadBalancerSourceRanges``, a NetworkPolicy's
``ipBlock.cidr``), as its validation reads it (``ValidateService``, ``ValidateIPBlock``:
``netutils.ParseCIDRSloppy``): a prefix length is required. Host bits, which Kubernetes reads as
the network, are refused with the network address as the fix (:func:`parse_cidr`): ``10.0.0.1/8``
is more often a typo than a way to write ``10.0.0.0/8``."""


class FirewallHost(SpecModel):
    """IP rules for one host of the Gateway, on top of the gateway-wide ones."""

    host: str
    """One of the Gateway's server hosts (or a name a wildcard server host covers), as an exact
    DNS name."""
    allow: list[Cidr] = Field(default_factory=list)
    """Only these CIDRs (or addresses) may reach the host, in addition to the gateway-wide
    ``allow``: a client must pass both. Default: none (no host-specific allow-list)."""
    deny: list[Cidr] = Field(default_factory=list)
    """These CIDRs may not reach the host. Default: none."""

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if "*" in v or "/" in v:
            raise ValueError(
                f"host {show(v)}: give an exact DNS name without namespace or wildcard; an authorization "
                "rule cannot match both a wildcard and the port form of the Host header "
                "(name:port), so a wildcard would be bypassable"
            )
        return v

    @model_validator(mode="after")
    def _some(self) -> FirewallHost:
        if not self.allow and not self.deny:
            raise ValueError("give allow, deny or both")
        return self


class Firewall(SpecModel):
    """IP allow- and deny-lists. Config: ``gateways[].firewall``.

    Rendered as one DENY AuthorizationPolicy on the workload's pods, scoped to this Gateway's hosts
    and ports, so it never affects other Gateways sharing the workload. ``ipBlocks`` with workload
    topology ``direct``, ``remoteIpBlocks`` with ``proxied``. Gateway-wide allow-lists also become
    the Service's ``loadBalancerSourceRanges`` when every Gateway on the workload has one
    (docs/security.md). Default: no rules.
    """

    allow: list[Cidr] = Field(default_factory=list)
    """Only these CIDRs (or addresses) may reach any host of this Gateway. Default: none (every
    client)."""
    deny: list[Cidr] = Field(default_factory=list)
    """These CIDRs may reach no host of this Gateway; deny wins over allow. Default: none."""
    hosts: list[FirewallHost] = Field(default_factory=list)
    """Per-host rules. Default: none."""

    @model_validator(mode="after")
    def _unique_hosts(self) -> Firewall:
        seen: set[str] = set()
        for h in self.hosts:
            if h.host in seen:
                raise ValueError(f"host {show(h.host)} is listed twice in firewall.hosts; merge the entries")
            seen.add(h.host)
        return self

    @property
    def has_rules(self) -> bool:
        return bool(self.allow or self.deny or self.hosts)


# -- authentication (on the Gateway) ----------------------------------------------------------------


def _check_path(p: str) -> str:
    if not (p.startswith("/") or p.startswith("*")):
        raise ValueError(
            f"path {show(p)} must start with '/' (exact, or a prefix ending in '*') or be '*' or a "
            f"suffix '*.ext'"
        )
    if "*" in p.strip("*") or p.count("*") > 1:
        raise ValueError(f"path {show(p)}: Istio accepts a single '*' at the start or the end only")
    return p


HttpPath = Annotated[str, AfterValidator(_check_path)]
"""An Istio path match: exact, ``prefix*``, ``*suffix`` or ``*``."""


def path_covers(pattern: str, path: str) -> bool:
    """Whether Istio's path match ``pattern`` (exact, ``prefix*``, ``*suffix`` or ``*``) matches
    every path that ``path`` (itself a pattern) matches."""
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        head = pattern[:-1]
        return path.startswith(head) and not path.startswith("*")
    if pattern.startswith("*"):
        tail = pattern[1:]
        return path.endswith(tail) and not path.endswith("*")
    return pattern == path


def _overlap(a: str, b: str) -> bool:
    """Whether two path patterns can match a common path (conservative: True when unsure)."""
    if a == "*" or b == "*":
        return True
    if a.endswith("*") and b.endswith("*"):
        return a[:-1].startswith(b[:-1]) or b[:-1].startswith(a[:-1])
    if a.startswith("*") or b.startswith("*"):
        return True
    if a.endswith("*"):
        return b.startswith(a[:-1])
    if b.endswith("*"):
        return a.startswith(b[:-1])
    return a == b


def _exact_hosts(v: list[str]) -> list[str]:
    for h in v:
        if "*" in h or "/" in h:
            raise ValueError(
                f"host {show(h)}: give exact DNS names; a rule cannot match both a wildcard and the "
                "port form of the Host header (name:port), so a wildcard would be bypassable"
            )
    if len(set(v)) != len(v):
        raise ValueError("hosts are listed twice")
    return v


class JwtHeader(SpecModel):
    """Istio ``JWTHeader``: a header the token is read from."""

    name: str
    prefix: str | None = None
    """E.g. ``"Bearer "``. Default: none."""


class ClaimCondition(SpecModel):
    """A claim the token must carry with one of ``values``. Tokens without the claim are denied."""

    claim: str | list[str]
    """Claim name, or the path of a nested claim (``[realm_access, roles]``)."""
    values: list[str] = Field(min_length=1)
    """Accepted values; for a list claim, one element must match. Istio matching: exact,
    ``prefix*``, ``*suffix``."""

    @property
    def key(self) -> str:
        parts = [self.claim] if isinstance(self.claim, str) else self.claim
        return "request.auth.claims" + "".join(f"[{p}]" for p in parts)

    @field_validator("claim")
    @classmethod
    def _claim(cls, v: str | list[str]) -> str | list[str]:
        parts = [v] if isinstance(v, str) else v
        if not parts or any(not p or "[" in p or "]" in p for p in parts):
            raise ValueError(f"claim {show(v)}: give a non-empty name (or names) without brackets")
        return v


class JwtRule(SpecModel):
    """Require a valid JWT from one issuer on some hosts (and paths) of the Gateway.

    Renders an entry of the RequestAuthentication's ``jwtRules`` (Istio ``JWTRule`` fields:
    ``issuer``, ``jwksUri``/``jwks``, ``audiences``, ``fromHeaders``, ``fromParams``,
    ``forwardOriginalToken``) and DENY rules that refuse requests without a principal from this
    issuer (and, with ``claims``, without the claims), except on ``excludePaths``.
    """

    issuer: str
    """The token's ``iss``: an https URL (or another identifier when ``jwks`` is inline)."""
    jwks_uri: str | None = None
    """Where the signing keys are published (https). Exactly one of ``jwksUri`` and ``jwks``."""
    jwks: str | None = None
    """The JSON Web Key Set inline. Exactly one of ``jwksUri`` and ``jwks``."""
    audiences: list[str] = Field(default_factory=list)
    """Accepted ``aud`` values. Default: none (any audience; set them in production)."""
    hosts: list[str] = Field(min_length=1)
    """Exact host names of this Gateway that require the token."""
    paths: list[HttpPath] = Field(default_factory=list)
    """Paths that require it (Istio matching: exact, ``prefix*``, ``*suffix``). Default: every
    path."""
    exclude_paths: list[HttpPath] = Field(default_factory=list)
    """Paths reachable without a token (health checks, public assets). Default: none."""
    claims: list[ClaimCondition] = Field(default_factory=list)
    """Claim conditions, all of which must hold. Default: none."""
    from_headers: list[JwtHeader] | None = None
    """Default: Istio's (``Authorization: Bearer <token>``)."""
    from_params: list[str] | None = None
    """Default: Istio's (``access_token``)."""
    forward_original_token: bool | None = None
    """Keep the token on the request to the backend. Default: Istio's (false)."""

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        return _exact_hosts(v)

    @model_validator(mode="after")
    def _coherent(self) -> JwtRule:
        problems: list[PathProblem] = []
        if (self.jwks_uri is None) == (self.jwks is None):
            problems.append((("jwksUri",), "set exactly one of jwksUri and jwks"))
        if self.jwks_uri is not None and not self.jwks_uri.startswith("https://"):
            problems.append(
                (
                    ("jwksUri",),
                    f"{show(self.jwks_uri)} is not https: keys fetched in clear text can be replaced "
                    "in transit, and then any token is accepted; use an https URL",
                )
            )
        if self.jwks_uri is not None and not self.issuer.startswith("https://"):
            problems.append(
                (
                    ("issuer",),
                    f"{show(self.issuer)} is not an https URL; an issuer that publishes keys at jwksUri "
                    "is identified by its https URL (OpenID Connect)",
                )
            )
        for i, ex in enumerate(self.exclude_paths):
            if ex == "*" or ex == "/*":
                problems.append(
                    (
                        ("excludePaths", i),
                        f"{show(ex)} excludes every path, so no request needs a token; remove the JWT "
                        "rule or list the public paths",
                    )
                )
            elif self.paths and ex in self.paths:
                problems.append(
                    (("excludePaths", i), f"{show(ex)} is also in paths; a path is either protected or not")
                )
            elif self.paths and not any(_overlap(p, ex) for p in self.paths):
                problems.append(
                    (
                        ("excludePaths", i),
                        f"{show(ex)} is not within any of paths {self.paths}, so excluding it changes "
                        "nothing; remove it",
                    )
                )
        if problems:
            raise NestedProblems(problems)
        return self


class ExtAuthz(SpecModel):
    """Send requests to an external authorizer (AuthorizationPolicy ``action: CUSTOM``).

    The provider is declared in the mesh config (``meshConfig.extensionProviders``) by whoever runs
    istiod; this names it.
    """

    provider: str
    """The extension provider's name (``meshConfig.extensionProviders[].name``)."""
    hosts: list[str] = Field(min_length=1)
    """Exact host names of this Gateway whose requests the provider checks."""
    paths: list[HttpPath] = Field(default_factory=list)
    """Default: every path."""
    exclude_paths: list[HttpPath] = Field(default_factory=list)
    """Paths not sent to the provider. Default: none."""

    @field_validator("provider")
    @classmethod
    def _provider(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("provider must name an extension provider of the mesh config")
        return v

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        return _exact_hosts(v)


class PeerAuthenticationSettings(SpecModel):
    """Mesh mTLS for the namespaces behind the Gateway: a namespace-wide PeerAuthentication named
    ``default`` in each. Config: ``gateways[].authentication.peerAuthentication``."""

    namespaces: list[str] = Field(min_length=1)
    """The route backends' namespaces."""
    mode: Literal["STRICT", "PERMISSIVE"] = "STRICT"
    """Default: ``STRICT`` (plaintext from outside the mesh is refused)."""

    @field_validator("namespaces")
    @classmethod
    def _ns(cls, v: list[str]) -> list[str]:
        for ns in v:
            dns_label(ns, "namespace")
            if ns == "istio-system":
                raise ValueError(
                    "istio-system is Istio's root namespace: a policy there applies to the whole mesh; "
                    "set mesh-wide mTLS in the control plane's configuration instead"
                )
        if len(set(v)) != len(v):
            raise ValueError("namespaces are listed twice")
        return v


class Authentication(SpecModel):
    """Who may call the Gateway's hosts. Config: ``gateways[].authentication``. Default: none."""

    jwt: list[JwtRule] = Field(default_factory=list)
    """JWT requirements, one issuer each; a host may appear in one entry only. Default: none."""
    ext_authz: ExtAuthz | None = None
    """An external authorizer. Default: none."""
    peer_authentication: PeerAuthenticationSettings | None = None
    """Mesh mTLS for the backends' namespaces. Default: none."""

    @model_validator(mode="after")
    def _one_issuer_per_host(self) -> Authentication:
        problems: list[PathProblem] = []
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.jwt):
            for j, h in enumerate(rule.hosts):
                if h in seen and seen[h] != i:
                    problems.append(
                        (
                            ("jwt", i, "hosts", j),
                            f"{show(h)} already requires a token from jwt[{seen[h]}]; the DENY rules of "
                            "two issuers on one host would require both tokens at once: use one "
                            "entry per host",
                        )
                    )
                seen.setdefault(h, i)
        if problems:
            raise NestedProblems(problems)
        return self


# -- checks that need the Gateway's servers, or its workload ----------------------------------------


def host_served(host: str, servers: Sequence[Server]) -> list[int]:
    """Indices of the servers that serve the exact name ``host`` (exactly or through a wildcard)."""
    out = []
    for i, s in enumerate(servers):
        for h in s.hosts:
            name = h.rpartition("/")[2]
            if name == host or name == "*" or (name.startswith("*.") and host.endswith(name[1:])):
                out.append(i)
                break
    return out


def _http_served(server: Server) -> bool:
    """Whether Envoy sees HTTP requests on this server (plain HTTP family or terminated HTTPS)."""
    proto = server.port.protocol
    if proto.is_http:
        return True
    mode = server.tls.mode if server.tls else None
    return proto.value == "HTTPS" and mode is not None and mode.terminates


def servers_problems(spec: GatewaySpec) -> list[PathProblem]:
    """Hosts named by firewall and authentication rules must be served by the Gateway (for JWT and
    external authorization: by a server where Envoy sees HTTP)."""
    problems: list[PathProblem] = []
    fw = spec.firewall
    if fw is not None:
        for i, h in enumerate(fw.hosts):
            idx = host_served(h.host, spec.servers)
            if not idx:
                problems.append(
                    (
                        ("firewall", "hosts", i, "host"),
                        f"{show(h.host)} is not a host of this Gateway's servers",
                    )
                )
                continue
            kinds = {_scope_kind(spec.servers[k]) for k in idx}
            if kinds == {"tcp"}:
                problems.append(
                    (
                        ("firewall", "hosts", i, "host"),
                        f"{show(h.host)} is only served by plain TCP servers, where connections carry no "
                        "host name to tell hosts apart; use the gateway-wide allow/deny instead",
                    )
                )
    auth = spec.authentication
    if auth is not None:
        entries: list[tuple[tuple[str | int, ...], list[str]]] = [
            (("authentication", "jwt", i, "hosts"), r.hosts) for i, r in enumerate(auth.jwt)
        ]
        if auth.ext_authz is not None:
            entries.append((("authentication", "extAuthz", "hosts"), auth.ext_authz.hosts))
        for path, names in entries:
            for j, name in enumerate(names):
                idx = host_served(name, spec.servers)
                if not idx:
                    problems.append(((*path, j), f"{show(name)} is not a host of this Gateway's servers"))
                elif not any(_http_served(spec.servers[k]) for k in idx):
                    problems.append(
                        (
                            (*path, j),
                            f"{show(name)} is only served by TLS passthrough or TCP servers, where Envoy "
                            f"never "
                            "sees the HTTP request (nor a token); terminate TLS at the gateway "
                            "(tls.mode SIMPLE) or authenticate in the backend",
                        )
                    )
    return problems


def _scope_kind(server: Server) -> Literal["http", "sni", "tcp"]:
    if _http_served(server):
        return "http"
    if server.port.protocol.is_tls:
        return "sni"
    return "tcp"


def _has_ip_rules(spec: GatewaySpec) -> bool:
    return spec.firewall is not None and spec.firewall.has_rules


CodedProblem = tuple[tuple[str | int, ...], str, str]


def gateway_security_problems(spec: GatewaySpec, workload: WorkloadSpec) -> list[CodedProblem]:
    """Problems of the Gateway's security options that depend on its workload, as (path under the
    Gateway, message, code) triples.

    - MGW0150: IP rules need the client address: topology ``direct`` on a ClusterIP workload (only
      in-cluster peers are seen), or on a LoadBalancer with ``externalTrafficPolicy: Cluster``
      (nodes SNAT), is refused.
    - MGW0151: JWT on a host that a plain HTTP server without ``httpsRedirect`` serves on a public
      workload: the token would cross the internet in clear text.
    - MGW0155: a PeerAuthentication for the gateway pods' own namespace: Istio does not apply it to
      gateway listeners, so it protects nothing there (and reads as if it did).
    """
    from .workload import Exposure

    problems: list[CodedProblem] = []
    if _has_ip_rules(spec) and not workload.is_external:
        topo = workload.network.topology
        if topo is NetworkTopology.DIRECT and workload.exposure is Exposure.CLUSTER:
            problems.append(
                (
                    ("firewall",),
                    f"workload {show(workload.name)} has exposure 'cluster', so its pods only see the "
                    "addresses of in-cluster peers (a proxy or load balancer in front), never the "
                    "client's; if that proxy sets X-Forwarded-For, set the workload's network: "
                    "{topology: proxied, numTrustedProxies: N}, otherwise filter at the proxy",
                    "MGW0150",
                )
            )
        elif topo is NetworkTopology.DIRECT and workload.service.external_traffic_policy == "Cluster":
            problems.append(
                (
                    ("firewall",),
                    f"workload {show(workload.name)} sets service.externalTrafficPolicy: Cluster, so "
                    "nodes forward with SNAT and the gateway sees node addresses, never the "
                    "client's: IP rules would match nobody (or everybody); remove the setting "
                    "(Default: Local keeps the client address) or, behind an L7 proxy, set network: "
                    "{topology: proxied, numTrustedProxies: N}",
                    "MGW0150",
                )
            )
    auth = spec.authentication
    if auth is not None and not workload.is_external and workload.exposure is Exposure.PUBLIC:
        for i, rule in enumerate(auth.jwt):
            for j, h in enumerate(rule.hosts):
                for k in host_served(h, spec.servers):
                    s = spec.servers[k]
                    redirect = s.tls is not None and bool(s.tls.https_redirect)
                    if s.port.protocol.is_http and not s.port.protocol.is_tls and not redirect:
                        problems.append(
                            (
                                ("authentication", "jwt", i, "hosts", j),
                                f"{show(h)} is served over plain {s.port.protocol.value} by servers[{k}] "
                                f"(port {s.port.number}) on public workload {show(workload.name)}: bearer "
                                "tokens would cross the internet in clear text and can be replayed; "
                                "set tls.httpsRedirect: true on that server or serve the host over "
                                "HTTPS only",
                                "MGW0151",
                            )
                        )
                        break
    pa = auth.peer_authentication if auth is not None else None
    if pa is not None and workload.pod_namespace in pa.namespaces:
        j = pa.namespaces.index(workload.pod_namespace)
        problems.append(
            (
                ("authentication", "peerAuthentication", "namespaces", j),
                f"{show(workload.pod_namespace)} is where the gateway pods run: Istio applies "
                "PeerAuthentication to sidecars' inbound traffic, not to gateway listeners, so it "
                "would protect nothing here; list the namespaces of the backends behind the Gateway",
                "MGW0155",
            )
        )
    return problems


def _overlapping(a: Iterable[str], b: Iterable[str]) -> list[tuple[str, str]]:
    nets_b = [(x, parse_cidr(x)) for x in b]
    out = []
    for x in a:
        na = parse_cidr(x)
        for y, nb in nets_b:
            if na.version == nb.version and na.overlaps(nb):
                out.append((x, y))
    return out


def firewall_warnings(spec: GatewaySpec) -> list[PathProblem]:
    """Rules that contradict each other: an allowed block that a deny-list overlaps (deny wins), and
    a host allow-list entry outside the gateway-wide allow-list (it can never admit anyone)."""
    fw = spec.firewall
    if fw is None:
        return []
    out: list[PathProblem] = []
    for a, d in _overlapping(fw.allow, fw.deny):
        out.append(
            (("firewall", "allow", fw.allow.index(a)), f"{a} overlaps deny entry {d}; deny wins there")
        )
    for i, h in enumerate(fw.hosts):
        for a, d in _overlapping(h.allow, [*h.deny, *fw.deny]):
            out.append(
                (("firewall", "hosts", i, "allow", h.allow.index(a)), f"{a} overlaps deny {d}; deny wins")
            )
        if fw.allow:
            nets = [parse_cidr(x) for x in fw.allow]
            for j, a in enumerate(h.allow):
                na = parse_cidr(a)
                if not any(na.version == n.version and na.overlaps(n) for n in nets):
                    out.append(
                        (
                            ("firewall", "hosts", i, "allow", j),
                            f"{a} is outside the gateway-wide allow-list, which applies too, so this "
                            "entry admits nobody",
                        )
                    )
    return out
