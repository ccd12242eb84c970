"""Every Istio object of one egress gateway, rendered so that they agree with each other.

Per destination (one external host and port) the set follows Istio's egress tasks, with the
sidecar-to-gateway hop always Istio mutual TLS:

=====================  ==========================================================================
ServiceEntry           one per host, ``MESH_EXTERNAL``, ``resolution: DNS``, the host's ports:
                       ``http-<n>`` (HTTP), ``tls-<n>`` (TLS, passthrough), ``tcp-<n>`` (TCP) and
                       ``https-<n>`` (HTTPS, the port the gateway originates TLS to); ``addresses``:
                       the host's VIP when it has a ``tcp`` destination
Gateway                one per egress gateway; a server per destination on its listener port with
                       ``tls.mode: ISTIO_MUTUAL`` and host ``./<host>``: protocol HTTPS for ``http``
                       and ``tls-origination`` (the gateway terminates the mesh TLS and sees HTTP),
                       TLS for ``tls-passthrough`` and ``tcp`` (inside the mesh TLS is a byte
                       stream)
DestinationRule (hop)  one per egress gateway, on its Service: a subset per destination whose
                       port-level TLS is ``ISTIO_MUTUAL`` with ``sni: <host>``
VirtualService         one per host (Istio allows one mesh-bound VirtualService per host, IST0109):
                       a ``mesh`` rule to the gateway subset and a gateway rule to the external host,
                       ``http`` for HTTP and origination, ``tls`` (mesh, on SNI) + ``tcp`` (gateway)
                       for passthrough, ``tcp`` (mesh, on the VIP) + ``tcp`` (gateway) for tcp
DestinationRule (out)  one per host with origination, in the gateway's namespace with a
                       ``workloadSelector`` on the gateway pods: ``SIMPLE``/``MUTUAL`` per port,
                       ``sni``, and ``credentialName`` when a CA or client certificate is managed
AuthorizationPolicy    one per egress gateway, ``ALLOW``: a rule per destination naming its sources;
                       HTTP attributes (``hosts``) for HTTP and origination, ``connection.sni`` for
                       passthrough and tcp
Telemetry              one per egress gateway, scoped to its pods
NetworkPolicy          the gateway pods' own (see :mod:`.network_policy_egress`)
=====================  ==========================================================================

The gateway listens for each destination on the port applications call (``port``, or
``origination.httpPort``), so one port number means the same thing on the ServiceEntry, the
Gateway, the hop DestinationRule and both VirtualService rules.

Names are stable and readable: ``<gateway>-<host with dots as dashes>`` for per-host objects,
``<host with dots as dashes>-<port>`` for subsets, bounded to Kubernetes' limits with a short hash
where needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, Problem
from ..spec.egress import EgressDestination, EgressGatewaySpec, EgressMode
from ..spec.resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from ._meta import Manifest, deep_merge, standard_labels
from .authorization_policy import render_authorization_policy
from .destination_rule import render_destination_rule
from .gateway import render_gateway
from .network_policy_egress import (
    EgressTarget,
    render_client_network_policy,
    render_gateway_network_policy,
)
from .service import ServicePortSpec
from .service_entry import render_service_entry
from .sidecar import render_sidecar
from .telemetry import render_telemetry
from .virtual_service import render_virtual_service

__all__ = [
    "ClientLockdown",
    "EgressObjects",
    "client_policy_name",
    "credential_name_for",
    "destination_key",
    "egress_service_ports",
    "hop_rule_name",
    "render_client_policies",
    "render_egress",
    "render_sidecars",
    "service_entry_name",
]

_LOCKDOWN_OWNER = "meshgw-egress"


# -- names ---------------------------------------------------------------------------------------


def _bounded(text: str, limit: int) -> str:
    """``text``, or a prefix of it plus a hash of the whole when it is longer than ``limit``."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - 9].rstrip('-')}-{digest}"


def _slug(host: str) -> str:
    return host.replace(".", "-")


def destination_key(d: EgressDestination) -> str:
    """``<host with dashes>-<port>``: the subset name, and the stem of the destination's names."""
    return _bounded(f"{_slug(d.host)}-{d.external_port}", 63)


def service_entry_name(spec: EgressGatewaySpec, host: str) -> str:
    """Name of the ServiceEntry, VirtualService and origination DestinationRule of one host."""
    return _bounded(f"{spec.name}-{_slug(host)}", 253)


def client_policy_name(gateway: str) -> str:
    """Name of an egress gateway's NetworkPolicy in each client namespace."""
    return _bounded(f"meshgw-egress-{gateway}", 253)


def hop_rule_name(spec: EgressGatewaySpec) -> str:
    """Name of the DestinationRule for the sidecar-to-gateway hop."""
    return f"{spec.name}-gateway-hop"


def credential_name_for(spec: EgressGatewaySpec, d: EgressDestination) -> str | None:
    """The ``credentialName`` of an origination destination, or None when it needs none.

    The user's ``origination.credentialName`` when given; else ``<gateway>-<host>-<port>`` when the
    library makes a Secret (MUTUAL always; SIMPLE with a CA file); else None (SIMPLE verified
    against the operating-system trust store).
    """
    if d.mode is not EgressMode.TLS_ORIGINATION:
        return None
    o = d.tls_origination
    if o.credential_name is not None:
        return o.credential_name
    if o.mode == "MUTUAL" or o.ca_certificates is not None:
        return _bounded(f"{spec.name}-{destination_key(d)}", 253 - len("-cacert"))
    return None


_L4 = (EgressMode.TLS_PASSTHROUGH, EgressMode.TCP)
"""Modes whose traffic the gateway forwards as a byte stream (no HTTP inside the mesh TLS)."""


def _server_port_name(d: EgressDestination) -> str:
    proto = "tls" if d.mode in _L4 else "https"
    return _bounded(f"{proto}-{destination_key(d)}", 63)


def egress_service_ports(spec: EgressGatewaySpec) -> list[ServicePortSpec]:
    """The gateway Service's ports: one per listener port, ``https-<n>`` when HTTP arrives on it
    (inside the mesh TLS), ``tls-<n>`` when only passthrough does."""
    http: dict[int, bool] = {}
    for d in spec.destinations:
        http[d.mesh_port] = http.get(d.mesh_port, False) or d.mode not in _L4
    return [
        ServicePortSpec(f"{'https' if is_http else 'tls'}-{port}", port, port)
        for port, is_http in sorted(http.items())
    ]


# -- the bundle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientLockdown:
    """What one egress gateway asks of one client namespace.

    The Sidecars are merged per namespace by :func:`render_sidecars`, so a namespace served by
    several egress gateways still gets exactly one namespace-wide Sidecar (IST0111). The
    NetworkPolicies are not merged: each egress gateway owns one per client namespace
    (:func:`render_client_policies`), and NetworkPolicies add up, so adding an egress gateway never
    rewrites another one's policy.

    Attributes:
        namespace: The client namespace.
        gateway: The egress gateway's name.
        target: The egress gateway's pods and listener ports.
        istio_namespace: Where istiod runs.
        mesh_namespaces: Other namespaces the clients call directly.
        allowed_cidrs: Addresses outside the pod network the clients reach directly.
        sidecar: Whether the namespace gets the Sidecar.
        network_policy: Whether the namespace gets the NetworkPolicy.
    """

    namespace: str
    gateway: str
    target: EgressTarget
    istio_namespace: str
    mesh_namespaces: tuple[str, ...] = ()
    allowed_cidrs: tuple[str, ...] = ()
    sidecar: bool = True
    network_policy: bool = True


@dataclass(frozen=True)
class EgressObjects:
    """The Istio and policy objects of one egress gateway (its workload aside).

    Attributes:
        gateway: The Gateway.
        authorization_policy: The ALLOW policy on the gateway pods.
        telemetry: The Telemetry scoped to the gateway pods.
        network_policy: The gateway pods' NetworkPolicy, or None when enforcement is off.
        service_entries: One per host, in first-declared order.
        hop_rule: The sidecar-to-gateway DestinationRule.
        origination_rules: One per host with origination.
        virtual_services: One per host.
        lockdown: What each client namespace needs (see :func:`render_sidecars` and
            :func:`render_client_policies`).
    """

    gateway: Manifest
    authorization_policy: Manifest
    telemetry: Manifest
    network_policy: Manifest | None
    service_entries: list[Manifest]
    hop_rule: Manifest
    origination_rules: list[Manifest]
    virtual_services: list[Manifest]
    lockdown: list[ClientLockdown] = field(default_factory=list)

    @property
    def destination_rules(self) -> list[Manifest]:
        """The hop rule, then the origination rules."""
        return [self.hop_rule, *self.origination_rules]

    def manifests(self) -> list[Manifest]:
        """In apply order: the Gateway; the policy, telemetry and NetworkPolicy, so that nothing is
        routed before it is restricted and logged; the ServiceEntries; the DestinationRules (subsets
        and TLS exist before a route uses them); the VirtualServices last."""
        out = [self.gateway, self.authorization_policy, self.telemetry]
        if self.network_policy is not None:
            out.append(self.network_policy)
        out.extend(self.service_entries)
        out.extend(self.destination_rules)
        out.extend(self.virtual_services)
        return out


def _by_host(spec: EgressGatewaySpec) -> dict[str, list[EgressDestination]]:
    hosts: dict[str, list[EgressDestination]] = {}
    for d in spec.destinations:
        hosts.setdefault(d.host, []).append(d)
    return hosts


def _source_namespaces(ds: Iterable[EgressDestination]) -> list[str]:
    return sorted({s.namespace for d in ds for s in d.sources if s.namespace})


def _export_to(ds: Iterable[EgressDestination]) -> list[str]:
    # Visible to the gateway (its own namespace) and to the callers only: a namespace that is not a
    # source does not even get a route to the host.
    return [".", *_source_namespaces(ds)]


def _override(spec: EgressGatewaySpec, obj: Manifest) -> Manifest:
    patch = spec.overrides.get(str(obj["kind"]))
    return deep_merge(obj, patch) if patch else obj


def _service_entry(spec: EgressGatewaySpec, host: str, ds: list[EgressDestination]) -> Manifest:
    ports: list[tuple[int, str, str]] = []
    for d in ds:
        if d.mode is EgressMode.HTTP:
            ports.append((d.external_port, f"http-{d.external_port}", "HTTP"))
        elif d.mode is EgressMode.TLS_PASSTHROUGH:
            ports.append((d.external_port, f"tls-{d.external_port}", "TLS"))
        elif d.mode is EgressMode.TCP:
            ports.append((d.external_port, f"tcp-{d.external_port}", "TCP"))
        else:
            ports.append((d.mesh_port, f"http-{d.mesh_port}", "HTTP"))
            ports.append((d.external_port, f"https-{d.external_port}", "HTTPS"))
    return render_service_entry(
        service_entry_name(spec, host),
        spec.namespace,
        [host],
        ports,
        # Every destination of one host shares the ServiceEntry; the first one written decides.
        resolution=ds[0].resolution,
        export_to=_export_to(ds),
        labels=standard_labels(spec.name, "egress-destination"),
        addresses=sorted({_vip(d) for d in ds if d.mode is EgressMode.TCP}) or None,
    )


def _vip(d: EgressDestination) -> str:
    if d.vip is None:
        raise ConfigError(
            [
                Problem(
                    f"destinations[{d.host}].vip",
                    f"tcp destination {d.host}:{d.external_port} has no VIP; plan the egress gateway "
                    "(plan_egress or a Mesh) so that one is allocated from vipPool, or pin vip",
                    "MGW0704",
                )
            ]
        )
    return d.vip


def _vip_subnet(d: EgressDestination) -> str:
    vip = _vip(d)
    return f"{vip}/{128 if ':' in vip else 32}"


def _gateway(spec: EgressGatewaySpec) -> Manifest:
    servers = []
    for d in spec.destinations:
        proto = "TLS" if d.mode in _L4 else "HTTPS"
        servers.append(
            {
                "port": {"number": d.mesh_port, "name": _server_port_name(d), "protocol": proto},
                # "./": only VirtualServices in the gateway's own namespace may bind this server,
                # so an application team cannot attach a route of its own to the exit node.
                "hosts": [f"./{d.host}"],
                "tls": {"mode": "ISTIO_MUTUAL"},
            }
        )
    gw = GatewaySpec.model_validate({"name": spec.name, "workload": spec.name, "servers": servers})
    return render_gateway(gw, spec.namespace, spec.workload_spec.selector_labels, {})


def _hop_rule(spec: EgressGatewaySpec) -> Manifest:
    subsets = [
        {
            "name": destination_key(d),
            "trafficPolicy": {
                "portLevelSettings": [
                    {"port": {"number": d.mesh_port}, "tls": {"mode": "ISTIO_MUTUAL", "sni": d.host}}
                ]
            },
        }
        for d in spec.destinations
    ]
    dr = DestinationRuleSpec.model_validate(
        {
            "name": hop_rule_name(spec),
            "namespace": spec.namespace,
            "host": spec.service_fqdn,
            # Mutual TLS for any other traffic to the gateway Service too: gateways get no auto-mTLS.
            "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
            "subsets": subsets,
            "exportTo": _export_to(spec.destinations),
        }
    )
    return render_destination_rule(dr)


def _origination_rule(
    spec: EgressGatewaySpec, host: str, ds: list[EgressDestination], credentials: Mapping[int, str]
) -> Manifest | None:
    settings = []
    for d in ds:
        if d.mode is not EgressMode.TLS_ORIGINATION:
            continue
        o = d.tls_origination
        tls: dict[str, Any] = {"mode": o.mode, "sni": o.sni or d.host}
        cred = credentials.get(spec.destinations.index(d))
        if cred is not None:
            tls["credentialName"] = cred
        if o.subject_alt_names:
            tls["subjectAltNames"] = list(o.subject_alt_names)
        settings.append({"port": {"number": d.external_port}, "tls": tls})
    if not settings:
        return None
    dr = DestinationRuleSpec.model_validate(
        {
            "name": f"{service_entry_name(spec, host)}-origination",
            "namespace": spec.namespace,
            "host": host,
            "trafficPolicy": {"portLevelSettings": settings},
            # Only the egress gateway pods originate: a DestinationRule credentialName is read from
            # the namespace of the proxy that uses it, and no sidecar should ever dial the host.
            "workloadSelector": {"matchLabels": spec.workload_spec.selector_labels},
            "exportTo": ["."],
        }
    )
    return render_destination_rule(dr)


def _virtual_service(spec: EgressGatewaySpec, host: str, ds: list[EgressDestination]) -> Manifest:
    gw = spec.gateway_ref
    http: list[dict[str, Any]] = []
    tls: list[dict[str, Any]] = []
    tcp: list[dict[str, Any]] = []
    for d in ds:
        subset = destination_key(d)
        to_gateway = {
            "destination": {"host": spec.service_fqdn, "subset": subset, "port": {"number": d.mesh_port}}
        }
        to_host = {"destination": {"host": d.host, "port": {"number": d.external_port}}}
        if d.mode is EgressMode.TLS_PASSTHROUGH:
            tls.append(
                {
                    "match": [{"gateways": ["mesh"], "port": d.mesh_port, "sniHosts": [d.host]}],
                    "route": [to_gateway],
                }
            )
            # The gateway terminates the mesh TLS; what is inside is the application's own TLS
            # stream, forwarded byte for byte.
            tcp.append({"match": [{"gateways": [gw], "port": d.mesh_port}], "route": [to_host]})
        elif d.mode is EgressMode.TCP:
            # Sidecars listen on <VIP>:<port> for the host (its ServiceEntry address), so the match
            # on the VIP is what tells this destination from other TCP destinations on the port.
            tcp.append(
                {
                    "match": [
                        {"gateways": ["mesh"], "port": d.mesh_port, "destinationSubnets": [_vip_subnet(d)]}
                    ],
                    "route": [to_gateway],
                }
            )
            # At the gateway the mesh TLS (SNI = host, set by the hop subset) picks the server.
            tcp.append({"match": [{"gateways": [gw], "port": d.mesh_port}], "route": [to_host]})
        else:
            http.append(
                {
                    "name": f"{subset}-to-gateway",
                    "match": [{"gateways": ["mesh"], "port": d.mesh_port}],
                    "route": [to_gateway],
                }
            )
            http.append(
                {
                    "name": f"{subset}-to-host",
                    "match": [{"gateways": [gw], "port": d.mesh_port}],
                    "route": [to_host],
                }
            )
    raw: dict[str, Any] = {
        "name": service_entry_name(spec, host),
        "namespace": spec.namespace,
        "hosts": [host],
        "gateways": ["mesh", gw],
        "exportTo": _export_to(ds),
    }
    for key, rules in (("http", http), ("tls", tls), ("tcp", tcp)):
        if rules:
            raw[key] = rules
    return render_virtual_service(VirtualServiceSpec.model_validate(raw))


def _principal(spec: EgressGatewaySpec, namespace: str, account: str) -> str:
    return f"{spec.trust_domain}/ns/{namespace}/sa/{account}"


def _policy_rule(spec: EgressGatewaySpec, d: EgressDestination) -> dict[str, Any]:
    namespaces = sorted({s.namespace for s in d.sources if s.namespace and not s.service_accounts})
    principals = sorted(
        {
            _principal(spec, s.namespace, sa)
            for s in d.sources
            if s.namespace and s.service_accounts
            for sa in s.service_accounts
        }
    )
    sources: list[dict[str, Any]] = []
    if namespaces:
        sources.append({"source": {"namespaces": namespaces}})
    if principals:
        sources.append({"source": {"principals": principals}})
    port = str(d.mesh_port)
    if d.mode in _L4:
        # No HTTP attributes inside a passthrough or TCP stream: the SNI of the mesh TLS, which the hop
        # DestinationRule sets to the host, is what identifies the destination.
        return {
            "from": sources,
            "to": [{"operation": {"ports": [port]}}],
            "when": [{"key": "connection.sni", "values": [d.host]}],
        }
    hosts = [d.host, f"{d.host}:{d.mesh_port}"]
    return {"from": sources, "to": [{"operation": {"hosts": hosts, "ports": [port]}}]}


def render_egress(spec: EgressGatewaySpec, credentials: Mapping[int, str] | None = None) -> EgressObjects:
    """Render the Istio and policy objects of one egress gateway (its workload aside).

    Args:
        spec: The egress gateway.
        credentials: Destination index -> the ``credentialName`` its origination uses. Default:
            :func:`credential_name_for` of each destination.

    Returns:
        The objects, each with ``spec.overrides[kind]`` deep-merged in.
    """
    if credentials is None:
        credentials = {
            i: name
            for i, d in enumerate(spec.destinations)
            if (name := credential_name_for(spec, d)) is not None
        }
    selector = spec.workload_spec.selector_labels
    hosts = _by_host(spec)
    policy = render_authorization_policy(
        spec.name,
        spec.namespace,
        selector,
        [_policy_rule(spec, d) for d in spec.destinations],
        labels=standard_labels(spec.name, "egress-policy"),
    )
    telemetry = render_telemetry(
        spec.name, spec.namespace, selector, spec.telemetry, labels=standard_labels(spec.name, "telemetry")
    )
    network_policy = None
    if spec.enforcement.network_policy:
        listeners: dict[int, set[str]] = {}
        for d in spec.destinations:
            listeners.setdefault(d.mesh_port, set()).update(_source_namespaces([d]))
        network_policy = render_gateway_network_policy(
            spec.workload_spec,
            listeners,
            [d.external_port for d in spec.destinations],
            istio_namespace=spec.enforcement.istio_namespace,
        )
    origination = [
        rule for host, ds in hosts.items() if (rule := _origination_rule(spec, host, ds, credentials))
    ]
    o = _override
    return EgressObjects(
        gateway=o(spec, _gateway(spec)),
        authorization_policy=o(spec, policy),
        telemetry=o(spec, telemetry),
        network_policy=o(spec, network_policy) if network_policy is not None else None,
        service_entries=[o(spec, _service_entry(spec, h, ds)) for h, ds in hosts.items()],
        hop_rule=o(spec, _hop_rule(spec)),
        origination_rules=[o(spec, r) for r in origination],
        virtual_services=[o(spec, _virtual_service(spec, h, ds)) for h, ds in hosts.items()],
        lockdown=_lockdown(spec),
    )


def _lockdown(spec: EgressGatewaySpec) -> list[ClientLockdown]:
    e = spec.enforcement
    if not (e.sidecar or e.network_policy):
        return []
    target = EgressTarget(
        spec.namespace,
        tuple(sorted(spec.workload_spec.selector_labels.items())),
        tuple(p.port for p in egress_service_ports(spec)),
    )
    return [
        ClientLockdown(
            namespace=ns,
            gateway=spec.name,
            target=target,
            istio_namespace=e.istio_namespace,
            mesh_namespaces=tuple(e.mesh_namespaces),
            allowed_cidrs=tuple(e.allowed_cidrs),
            sidecar=e.sidecar,
            network_policy=e.network_policy,
        )
        for ns in spec.client_namespace_set
    ]


def render_sidecars(requests: Sequence[ClientLockdown]) -> list[Manifest]:
    """One namespace-wide Sidecar per client namespace, merged across egress gateways, sorted by
    namespace.

    It imports the client's own namespace (``./*``), the control plane's namespace, every egress
    gateway's namespace and the requested mesh namespaces (``*/*`` when ``*`` is among them), with
    ``outboundTrafficPolicy: REGISTRY_ONLY``.

    Args:
        requests: From every egress gateway (:attr:`EgressObjects.lockdown`); requests with
            ``sidecar`` off are ignored.

    Returns:
        The Sidecars.
    """
    by_ns: dict[str, set[str]] = {}
    for r in requests:
        if not r.sidecar:
            continue
        hosts = by_ns.setdefault(r.namespace, {"./*"})
        hosts.add(f"{r.istio_namespace}/*")
        hosts.add(f"{r.target.namespace}/*")
        hosts.update("*/*" if m == "*" else f"{m}/*" for m in r.mesh_namespaces)
    labels = standard_labels(_LOCKDOWN_OWNER, "egress-lockdown")
    return [render_sidecar(ns, by_ns[ns], labels=labels) for ns in sorted(by_ns)]


def render_client_policies(requests: Sequence[ClientLockdown]) -> list[Manifest]:
    """The client-namespace NetworkPolicies: one per (namespace, egress gateway), sorted.

    See :func:`~.network_policy_egress.render_client_network_policy` for what each allows.

    Args:
        requests: Requests with ``network_policy`` off are ignored.

    Returns:
        The NetworkPolicies.
    """
    out = []
    for r in sorted(requests, key=lambda r: (r.namespace, r.gateway)):
        if not r.network_policy:
            continue
        out.append(
            render_client_network_policy(
                r.namespace,
                client_policy_name(r.gateway),
                r.target,
                istio_namespace=r.istio_namespace,
                mesh_namespaces=r.mesh_namespaces,
                allowed_cidrs=r.allowed_cidrs,
                labels=standard_labels(r.gateway, "egress-lockdown"),
            )
        )
    return out
