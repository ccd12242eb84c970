"""What a mesh does for traffic, read from its manifests: the view ``meshgw diff`` compares.

:func:`mesh_view` turns Kubernetes and Istio objects (a ``meshgw render`` folder, any YAML) into
plain, comparable facts, keyed the way a reviewer thinks about them:

- gateways: the servers by port, with hosts, protocol and TLS (mode, minimum version, the
  certificate by SHA-256 fingerprint and expiry or by its cert-manager issuer), and whether the
  gateway's pods sit behind an internet-facing load balancer;
- routes: per (host, gateway) the ``http``, ``tls`` and ``tcp`` rules in the order Istio evaluates
  them (first match wins), each with its match, destinations, weights and other actions;
- egress: each external host (a ``MESH_EXTERNAL`` ServiceEntry) with its ports, how the gateway
  carries it (``http``, ``tls-passthrough``, ``tls-origination MODE``, ``tcp``) and who may use it;
- security: each AuthorizationPolicy rule, each RequestAuthentication JWT issuer, the
  load balancers' source ranges and each PeerAuthentication's mTLS mode.

Lists whose order Istio ignores (hosts, servers, gateways, matches that are ORed, destinations of
a split, policy rules, objects) are sorted here, so reordering them is no change; the order of
routes for a host is kept. Secret values are never read: a certificate is known by the
``meshgw.dev/certificate-sha256`` annotation the renderer puts on the Secrets it makes, or by
reading ``tls.crt``/``ca.crt`` when they are present in plain text (a certificate is public).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..analysis._access import Manifest, api_group, integer, key_of, labels, mapping, seq, text
from ..analysis.analyzers.gateway import internet_facing
from ..analysis.index import gateway_ref
from ..render.certinfo import (
    CA_EXPIRY_ANNOTATION,
    CA_SHA256_ANNOTATION,
    CERT_EXPIRY_ANNOTATION,
    CERT_SHA256_ANNOTATION,
    certificate_facts,
)
from .describe import canonical_json, describe_destinations, describe_extras, describe_match

__all__ = ["EgressView", "GatewayView", "MeshView", "RouteView", "ServerView", "mesh_view"]

_ROUTE_KINDS = ("http", "tls", "tcp")
_SECRET = "[secret]"
# Server TLS fields a reviewer reads, in reading order; "certificate" is added after credentialName.
_TLS_FIELDS = (
    "mode",
    "minProtocolVersion",
    "maxProtocolVersion",
    "httpsRedirect",
    "credentialName",
    "subjectAltNames",
    "cipherSuites",
    "verifyCertificateSpki",
    "verifyCertificateHash",
)


@dataclass(frozen=True)
class ServerView:
    """One Gateway server, as a reviewer reads it.

    Attributes:
        port: ``number/PROTOCOL`` (``443/HTTPS``).
        hosts: The server's hosts, sorted.
        tls: TLS facts, field name to value: ``mode``, ``minProtocolVersion``, ``httpsRedirect``,
            ``credentialName``, ``certificate`` (fingerprint and expiry, or the issuer); empty for
            a plain-text server.
    """

    port: str
    hosts: tuple[str, ...]
    tls: Mapping[str, str]


@dataclass(frozen=True)
class GatewayView:
    """A Gateway: ``namespace/name``, whether it faces the internet, and its servers by port."""

    ref: str
    internet_facing: bool
    servers: Mapping[str, ServerView]

    @property
    def hosts(self) -> frozenset[str]:
        """Every host any server of this Gateway serves (``ns/`` scoping removed)."""
        return frozenset(h.rpartition("/")[2] for s in self.servers.values() for h in s.hosts)


@dataclass(frozen=True)
class RouteView:
    """One routing rule for one host on one gateway.

    Attributes:
        host: The VirtualService host.
        gateway: ``namespace/name`` of the bound Gateway, or ``mesh``.
        kind: ``http``, ``tls`` or ``tcp``.
        match: The match, as :func:`describe_match` writes it.
        destinations: The split, as :func:`describe_destinations` writes it (empty for a redirect
            or direct response with no ``route``).
        extras: Redirect, rewrite, timeout, retries, ... (:func:`describe_extras`).
        source: ``namespace/name`` of the VirtualService, for the reader.
    """

    host: str
    gateway: str
    kind: str
    match: str
    destinations: str
    extras: Mapping[str, str]
    source: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(host, gateway, kind, match): how a rule is found again in the other config."""
        return self.host, self.gateway, self.kind, self.match


@dataclass(frozen=True)
class EgressView:
    """An external host: ports, how it leaves the mesh, and who may reach it through a gateway."""

    host: str
    ports: str
    mode: str
    sources: tuple[str, ...]
    gateway: str
    trust: tuple[str, ...] = ()
    """For TLS origination: the server CA and client certificate, by fingerprint or issuer."""


@dataclass
class MeshView:
    """Everything :func:`mesh_view` read, keyed for comparison (see the module docs)."""

    gateways: dict[str, GatewayView] = field(default_factory=dict)
    routes: dict[tuple[str, str, str, str, int], RouteView] = field(default_factory=dict)
    route_order: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    egress: dict[str, EgressView] = field(default_factory=dict)
    policy_rules: dict[str, frozenset[str]] = field(default_factory=dict)
    jwt_issuers: dict[str, frozenset[str]] = field(default_factory=dict)
    source_ranges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    peer_auth: dict[str, str] = field(default_factory=dict)
    wildcards: frozenset[str] = frozenset()


def _ref(obj: Manifest) -> str:
    _, ns, name = key_of(obj)
    return f"{ns}/{name}" if ns else name


def _canon(value: Any) -> str:
    return canonical_json(value)


def _sorted_lists(value: Any) -> Any:
    """``value`` with every list sorted (for policy rules, where Istio ORs or ANDs list items)."""
    if isinstance(value, Mapping):
        return {k: _sorted_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return sorted((_sorted_lists(v) for v in value), key=_canon)
    return value


def _pem_text(secret: Manifest, key: str) -> str | None:
    string_data = mapping(secret.get("stringData"))
    value = text(string_data.get(key))
    if value is not None and value != _SECRET:
        return value
    encoded = text(mapping(secret.get("data")).get(key))
    if encoded is None or encoded == _SECRET:
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


_KEYS = {
    "tls.crt": (CERT_SHA256_ANNOTATION, CERT_EXPIRY_ANNOTATION),
    "ca.crt": (CA_SHA256_ANNOTATION, CA_EXPIRY_ANNOTATION),
}


def _certificate(secret: Manifest | None, issuers: Mapping[str, str], name: str, key: str = "tls.crt") -> str:
    """How the reviewer knows the certificate ``key`` (``tls.crt`` or ``ca.crt``) of Secret ``name``."""
    if secret is not None:
        annotations = labels(mapping(secret.get("metadata")).get("annotations"))
        sha = annotations.get(_KEYS[key][0])
        expires = annotations.get(_KEYS[key][1])
        if sha is None:
            pem = _pem_text(secret, key)
            facts = certificate_facts(pem) if pem is not None else None
            if facts is not None:
                sha, expires = facts
        if sha is not None:
            return f"sha256 {sha[:16]}… expires {expires or '?'}"
        return f"Secret {name} (material not shown)"
    if name in issuers:
        return issuers[name]
    return f"Secret {name} (not in this config)"


@dataclass(frozen=True)
class _Credentials:
    """Secrets by (namespace, name), and cert-manager Certificates by the Secret they write."""

    secrets: Mapping[tuple[str, str], Manifest]
    issuers: Mapping[str, str]

    @classmethod
    def of(cls, objs: list[Manifest]) -> _Credentials:
        secrets = {(key_of(o)[1], key_of(o)[2]): o for o in objs if o.get("kind") == "Secret"}
        issuers: dict[str, str] = {}
        for o in objs:
            if o.get("kind") == "Certificate" and api_group(o) == "cert-manager.io":
                spec = mapping(o.get("spec"))
                ref = mapping(spec.get("issuerRef"))
                dns = ",".join(sorted(h for h in seq(spec.get("dnsNames")) if isinstance(h, str)))
                issuers[text(spec.get("secretName")) or ""] = (
                    f"cert-manager {ref.get('kind', 'Issuer')}/{ref.get('name', '?')}"
                    + (f" for {dns}" if dns else "")
                )
        return cls(secrets, issuers)

    def describe(self, namespace: str, name: str, key: str = "tls.crt") -> str:
        """The certificate ``key`` of Secret ``namespace/name`` (see :func:`_certificate`)."""
        return _certificate(self.secrets.get((namespace, name)), self.issuers, name, key)

    def describe_ca(self, namespace: str, credential: str) -> str:
        """The CA Istio uses for ``credentialName`` ``credential``: ``<credential>-cacert`` first,
        else ``ca.crt`` of the Secret itself (pilot/pkg/credentials/kube/secrets.go ``GetCaCert``)."""
        cacert = f"{credential}-cacert"
        if (namespace, cacert) in self.secrets:
            return self.describe(namespace, cacert, "ca.crt")
        return self.describe(namespace, credential, "ca.crt")


def _gateways(objs: list[Manifest], creds: _Credentials) -> dict[str, GatewayView]:
    lbs = [o for o in objs if o.get("kind") == "Service" and internet_facing(o)]
    out: dict[str, GatewayView] = {}
    for o in objs:
        if o.get("kind") != "Gateway" or api_group(o) != "networking.istio.io":
            continue
        spec = mapping(o.get("spec"))
        selector = labels(spec.get("selector"))
        public = any(_selects(labels(mapping(s.get("spec")).get("selector")), selector) for s in lbs)
        ns = key_of(o)[1]
        servers: dict[str, ServerView] = {}
        for srv in seq(spec.get("servers")):
            srv = mapping(srv)
            port = mapping(srv.get("port"))
            label = f"{port.get('number', '?')}/{str(port.get('protocol', '?')).upper()}"
            raw_tls = mapping(srv.get("tls"))
            tls: dict[str, str] = {}
            for k in _TLS_FIELDS:
                v = raw_tls.get(k)
                if isinstance(v, (list, tuple)):
                    tls[k] = ",".join(sorted(str(x) for x in v))
                elif v is not None:
                    tls[k] = str(v).lower() if isinstance(v, bool) else str(v)
            cred = tls.get("credentialName")
            if cred:
                tls["certificate"] = creds.describe(ns, cred)
                if tls.get("mode") in ("MUTUAL", "OPTIONAL_MUTUAL"):
                    tls["client CA"] = creds.describe_ca(ns, cred)
            hosts = tuple(sorted({h for h in seq(srv.get("hosts")) if isinstance(h, str)}))
            servers[label] = ServerView(label, hosts, tls)
        out[_ref(o)] = GatewayView(_ref(o), public, dict(sorted(servers.items())))
    return out


def _selects(service_selector: Mapping[str, str], gateway_selector: Mapping[str, str]) -> bool:
    """Whether a Service and a Gateway select the same pods (they agree on every shared label)."""
    shared = set(service_selector) & set(gateway_selector)
    return bool(shared) and all(service_selector[k] == gateway_selector[k] for k in shared)


def _routes(view: MeshView, objs: list[Manifest]) -> None:
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    order: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    vss = sorted(
        (o for o in objs if o.get("kind") == "VirtualService" and api_group(o) == "networking.istio.io"),
        key=_ref,
    )
    for o in vss:
        _, ns, _ = key_of(o)
        spec = mapping(o.get("spec"))
        hosts = sorted({h for h in seq(spec.get("hosts")) if isinstance(h, str)})
        gateways = sorted(
            {
                "mesh" if g == "mesh" else "/".join(gateway_ref(g, ns))
                for g in seq(spec.get("gateways")) or ["mesh"]
                if isinstance(g, str)
            }
        )
        for kind in _ROUTE_KINDS:
            for rule in seq(spec.get(kind)):
                rule = mapping(rule)
                match = describe_match(rule.get("match"))
                bound = {
                    "/".join(gateway_ref(g, ns)) if g != "mesh" else g
                    for m in seq(rule.get("match"))
                    for g in seq(mapping(m).get("gateways"))
                    if isinstance(g, str)
                }
                dests = describe_destinations(seq(rule.get("route")), ns) if "route" in rule else ""
                extras = describe_extras(rule, ns)
                for host in hosts:
                    for gw in gateways:
                        if bound and gw not in bound:
                            continue
                        route = RouteView(host, gw, kind, match, dests, extras, _ref(o))
                        n = counts[route.key]
                        counts[route.key] += 1
                        key = (*route.key, n)
                        view.routes[key] = route
                        order[(host, gw, kind)].append(match if n == 0 else f"{match} #{n + 1}")
    view.route_order = {k: tuple(v) for k, v in sorted(order.items())}


def _origination_trust(spec: Mapping[str, Any], namespace: str, creds: _Credentials) -> tuple[str, ...]:
    """What a TLS-originating DestinationRule trusts and presents, by certificate fingerprint."""
    policy = mapping(spec.get("trafficPolicy"))
    settings = [mapping(policy.get("tls"))] + [
        mapping(p.get("tls")) for p in map(mapping, seq(policy.get("portLevelSettings")))
    ]
    parts: list[str] = []
    for tls in settings:
        cred = text(tls.get("credentialName"))
        if not cred:
            continue
        parts.append(f"server CA {creds.describe_ca(namespace, cred)}")
        if tls.get("mode") == "MUTUAL":
            parts.append(f"client certificate {creds.describe(namespace, cred)}")
    return tuple(sorted(set(parts)))


def _egress(view: MeshView, objs: list[Manifest], creds: _Credentials) -> None:
    origination: dict[str, str] = {}
    trust: dict[str, tuple[str, ...]] = {}
    route_kinds: dict[str, set[str]] = defaultdict(set)
    gateways: dict[str, set[str]] = defaultdict(set)
    for o in objs:
        spec = mapping(o.get("spec"))
        if o.get("kind") == "DestinationRule":
            host = text(spec.get("host")) or ""
            policy = mapping(spec.get("trafficPolicy"))
            modes = {text(mapping(policy.get("tls")).get("mode"))} | {
                text(mapping(p.get("tls")).get("mode"))
                for p in map(mapping, seq(policy.get("portLevelSettings")))
            }
            originated = sorted(m for m in modes if m in ("SIMPLE", "MUTUAL"))
            if originated:
                origination[host] = "tls-origination " + "/".join(originated)
                trust[host] = _origination_trust(spec, key_of(o)[1], creds)
        elif o.get("kind") == "VirtualService":
            _, ns, _ = key_of(o)
            egress_gws = [
                "/".join(gateway_ref(g, ns))
                for g in seq(spec.get("gateways"))
                if isinstance(g, str) and g != "mesh"
            ]
            for h in seq(spec.get("hosts")):
                for kind in _ROUTE_KINDS:
                    if seq(spec.get(kind)):
                        route_kinds[str(h)].add(kind)
                gateways[str(h)].update(egress_gws)
    sources = _egress_sources(objs)
    for o in objs:
        spec = mapping(o.get("spec"))
        if o.get("kind") != "ServiceEntry" or spec.get("location") != "MESH_EXTERNAL":
            continue
        numbered = sorted(
            (integer(p.get("number")) or 0, str(p.get("protocol", "?")))
            for p in map(mapping, seq(spec.get("ports")))
        )
        ports = ", ".join(f"{number}/{protocol}" for number, protocol in numbered)
        for host in sorted({h for h in seq(spec.get("hosts")) if isinstance(h, str)}):
            kinds = route_kinds.get(host, set())
            mode = origination.get(host) or (
                "tls-passthrough"
                if "tls" in kinds
                else "http"
                if "http" in kinds
                else "tcp"
                if kinds
                else "direct"
            )
            gw = ",".join(sorted(gateways.get(host, set()))) or "none"
            view.egress[host] = EgressView(
                host, ports, mode, tuple(sorted(sources.get(host, set()))), gw, trust.get(host, ())
            )


def _egress_sources(objs: list[Manifest]) -> dict[str, set[str]]:
    """Host -> who an ALLOW AuthorizationPolicy lets through to it (namespaces, principals)."""
    out: dict[str, set[str]] = defaultdict(set)
    for o in objs:
        spec = mapping(o.get("spec"))
        if o.get("kind") != "AuthorizationPolicy" or spec.get("action", "ALLOW") != "ALLOW":
            continue
        for rule in map(mapping, seq(spec.get("rules"))):
            who: set[str] = set()
            for f in map(mapping, seq(rule.get("from"))):
                src = mapping(f.get("source"))
                who.update(f"ns:{n}" for n in seq(src.get("namespaces")) if isinstance(n, str))
                who.update(f"sa:{p}" for p in seq(src.get("principals")) if isinstance(p, str))
                who.update(f"ip:{p}" for p in seq(src.get("ipBlocks")) if isinstance(p, str))
            if not rule.get("from"):
                who.add("anyone")
            hosts: set[str] = set()
            for t in map(mapping, seq(rule.get("to"))):
                op = mapping(t.get("operation"))
                hosts.update(str(h).partition(":")[0] for h in seq(op.get("hosts")))
            for cond in map(mapping, seq(rule.get("when"))):
                if cond.get("key") == "connection.sni":
                    hosts.update(str(v) for v in seq(cond.get("values")))
            for h in hosts:
                out[h].update(who)
    return out


def _security(view: MeshView, objs: list[Manifest]) -> None:
    wildcards: set[str] = set()
    for o in objs:
        kind, spec, ref = o.get("kind"), mapping(o.get("spec")), _ref(o)
        if kind == "AuthorizationPolicy" and api_group(o) == "security.istio.io":
            action = text(spec.get("action")) or "ALLOW"
            provider = text(mapping(spec.get("provider")).get("name"))
            head = f"{action}{f' via {provider}' if provider else ''}"
            rules = {_canon({"action": head, "rule": _sorted_lists(r)}) for r in seq(spec.get("rules"))}
            if not seq(spec.get("rules")):
                rules.add(_canon({"action": head, "rule": None}))
            view.policy_rules[f"AuthorizationPolicy {ref}"] = frozenset(rules)
        elif kind == "RequestAuthentication":
            view.jwt_issuers[f"RequestAuthentication {ref}"] = frozenset(
                _canon(_sorted_lists(r)) for r in seq(spec.get("jwtRules"))
            )
        elif kind == "Service" and spec.get("type") == "LoadBalancer":
            view.source_ranges[f"Service {ref}"] = tuple(
                sorted(str(r) for r in seq(spec.get("loadBalancerSourceRanges")))
            )
        elif kind == "PeerAuthentication":
            mode = text(mapping(spec.get("mtls")).get("mode")) or "UNSET"
            view.peer_auth[f"PeerAuthentication {ref}"] = mode
        if kind in ("VirtualService", "ServiceEntry") and api_group(o) == "networking.istio.io":
            wildcards.update(
                f"{kind} {ref}: {h}" for h in seq(spec.get("hosts")) if isinstance(h, str) and "*" in h
            )
        if kind == "Gateway" and api_group(o) == "networking.istio.io":
            for srv in map(mapping, seq(spec.get("servers"))):
                wildcards.update(
                    f"Gateway {ref}: {h}" for h in seq(srv.get("hosts")) if isinstance(h, str) and "*" in h
                )
    view.wildcards = frozenset(wildcards)


def mesh_view(objs: Iterable[Any]) -> MeshView:
    """Read what ``objs`` do for traffic (see the module docs).

    Args:
        objs: Kubernetes and Istio objects as plain data, in any order. Malformed values are
            skipped or shown as JSON, never raised.

    Returns:
        The view; equal inputs up to the reorderings Istio ignores give equal views.
    """
    manifests = sorted((o for o in objs if isinstance(o, Mapping)), key=lambda o: (key_of(o), _canon(o)))
    creds = _Credentials.of(manifests)
    view = MeshView(gateways=_gateways(manifests, creds))
    _routes(view, manifests)
    _egress(view, manifests, creds)
    _security(view, manifests)
    return view
