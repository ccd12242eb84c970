"""An incremental index of a mesh's objects, and the cross-object checks that run over it.

Components add what they render, one batch at a time; each batch is checked against everything
declared before it through dictionary look-ups (by gateway reference, by workload label, by workload
and port, by host and host suffix, by secret name), never by scanning every pair, so a mesh of 100
Gateways and 10,000 hosts is checked in time proportional to its size. The same index serves
``meshgw check`` over YAML files: add every object, then check them all.

Objects this program does not manage can be declared (:meth:`MeshIndex.declare`), so that
references to them are not reported as missing.

Checks use ``istioctl analyze`` codes where Istio has one, so a user can search for them; the rest
are ``MGW``-prefixed. ``docs/checks.md`` documents each with an example and the fix:

- Gateway: IST0101 (selector matches no workload; ``credentialName`` not in the pods' namespace),
  IST0162 (port not on the workload's Service), IST0145 (host and port claimed twice on one
  workload), IST0138 (certificate reused by another Gateway on the workload), MGW0204 (internal
  host on an internet-facing load balancer).
- VirtualService: IST0101 (gateway missing; subset undefined; host:port unknown), IST0112
  (destination port required), IST0132 (host not served by a bound gateway), IST0109 (``mesh``
  host routed twice), MGW0132 (exportTo hides the route from its gateway), MGW0205 (route kind
  the bound servers never use), MGW0202 (ServiceEntry visible where the egress route is not).
- DestinationRule: IST0128, IST0129 (TLS origination without a CA to verify the server).
- ServiceEntry: IST0134 (TCP port without addresses).
- AuthorizationPolicy: MGW0201 (IP allow-list on a gateway that never sees client IPs).
- Deployment, StatefulSet, DaemonSet: IST0146 (``image: auto`` without injection).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..spec.external import ExternalObject
from ..spec.hardening import open_source_ranges
from ._access import Key, Manifest, api_group, integer, key_of, labels, mapping, seq, text
from .diagnostics import Diagnostic, Level
from .hosts import CLUSTER_DOMAIN, fqdn, split_scoped_host
from .hostset import HostSet

__all__ = [
    "GatewayInfo",
    "HostInfo",
    "MeshIndex",
    "ServerInfo",
    "WorkloadInfo",
    "gateway_ref",
    "internet_facing",
]

NsName = tuple[str, str]

ISTIO_NETWORKING_GROUP = "networking.istio.io"
ISTIO_SECURITY_GROUP = "security.istio.io"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
ROOT_NAMESPACE = "istio-system"
"""Istio's default root namespace: policies there apply mesh-wide."""

_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
_TCP_PROTOCOLS = frozenset({"TCP", "MONGO", "MYSQL", "REDIS"})
_PASSTHROUGH = frozenset({None, "PASSTHROUGH", "AUTO_PASSTHROUGH"})
# Labels that say "not for the internet" (MGW0204). "local" is left out on purpose: multi-network
# east-west gateways serve "*.local" on a public load balancer, protected by mTLS.
_INTERNAL_LABELS = frozenset({"internal", "intranet", "intra", "corp", "private", "lan"})
_INTERNAL_SUFFIXES = (".internal", ".home.arpa")
# Annotations and classes that make a LoadBalancer private (MGW0204).
_INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
    "networking.gke.io/load-balancer-type": {"Internal"},
    "cloud.google.com/load-balancer-type": {"Internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
    "service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
}
_AWS = "service.beta.kubernetes.io/aws-load-balancer-"


def _diag(obj_key: Key, code: str, level: Level, path: str, message: str) -> Diagnostic:
    return Diagnostic(code, level, obj_key[0], obj_key[1], obj_key[2], path, message)


@dataclass
class WorkloadInfo:
    """Gateway pods: a workload object we were given, or an external one declared by its labels."""

    namespace: str
    name: str
    labels: dict[str, str]
    managed: bool
    service_ports: set[int] | None = None
    """Declared ports for external workloads; None means unknown (port checks skipped)."""

    @property
    def key(self) -> NsName:
        return (self.namespace, self.name)


@dataclass
class ServerInfo:
    """One server of a Gateway, as the checks read it."""

    index: int
    number: int | None
    name: str
    protocol: str
    bind: str
    hosts: list[tuple[str, str]]  # (namespace part, dnsName)
    tls_mode: str | None
    credential_names: list[str]
    has_tls: bool = False

    @property
    def route_block(self) -> str | None:
        """The VirtualService route list that serves this server (``pkg/config/gateway``), or None
        when none does (AUTO_PASSTHROUGH, UDP, unknown protocols)."""
        if self.protocol in _HTTP_PROTOCOLS:
            return "http"
        if self.protocol in _TCP_PROTOCOLS:
            return "tcp"
        if self.protocol == "HTTPS":
            return "tls" if self.tls_mode in _PASSTHROUGH else "http"
        if self.protocol == "TLS":
            if self.tls_mode == "AUTO_PASSTHROUGH":
                return None
            return "tls" if self.tls_mode in _PASSTHROUGH else "tcp"
        return None


@dataclass
class GatewayInfo:
    """An Istio Gateway: from a manifest, or declared external (``hosts_known`` False when its hosts
    were not given, so any route host counts as served)."""

    namespace: str
    name: str
    selector: dict[str, str]
    servers: list[ServerInfo] = field(default_factory=list)
    external: bool = False
    hosts_known: bool = True
    served: HostSet[tuple[str, ServerInfo]] = field(default_factory=HostSet)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class HostInfo:
    """A service host the mesh knows (Kubernetes Service, ServiceEntry or declared), with its ports;
    ``ports`` None means unknown (port checks skipped)."""

    ports: set[int] | None
    sources: list[str] = field(default_factory=list)


def gateway_ref(ref: str, namespace: str) -> NsName:
    """(namespace, name) of a VirtualService ``gateways`` entry, as istiod resolves it: ``ns/name``,
    a bare ``name`` in the route's ``namespace``, or the legacy ``name.namespace[.svc...]``."""
    gns, sep, gname = ref.partition("/")
    if sep:
        return gns, gname
    name, dot, rest = ref.partition(".")
    if dot:
        return rest.partition(".")[0], name
    return namespace, ref


def _selects(selector: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def _ns_of(value: str, own: str) -> str:
    return own if value == "." else value


def _visible(export_to: Any, own: str) -> set[str] | None:
    """The namespaces an ``exportTo`` list makes an object visible in; None means all."""
    if export_to is None:
        return None
    names = {_ns_of(e, own) for e in seq(export_to) if isinstance(e, str)}
    return None if "*" in names else names


def _looks_internal(host: str) -> bool:
    name = host.lower().rstrip(".")
    if name.endswith(_INTERNAL_SUFFIXES):
        return True
    return any(label in _INTERNAL_LABELS for label in name.split("."))


def internet_facing(svc: Manifest) -> bool:
    """Whether ``svc`` is a LoadBalancer reachable from anywhere: not private by annotation or
    class, and not narrowed by ``loadBalancerSourceRanges`` (``0.0.0.0/0`` narrows nothing)."""
    spec = mapping(svc.get("spec"))
    ranges = [r for r in seq(spec.get("loadBalancerSourceRanges")) if isinstance(r, str)]
    if spec.get("type") != "LoadBalancer" or (ranges and not open_source_ranges(ranges)):
        return False  # ranges narrow it, unless one of them is a /0
    annotations = labels(mapping(svc.get("metadata")).get("annotations"))
    for name, values in _INTERNAL_LB_ANNOTATIONS.items():
        if annotations.get(name) in values:
            return False
    return "internal" not in (text(spec.get("loadBalancerClass")) or "")


def _client_ip_lost(svc: Manifest) -> str | None:
    """Why pods behind ``svc`` would not see the client's address, or None if they would."""
    spec = mapping(svc.get("spec"))
    if spec.get("type") not in ("LoadBalancer", "NodePort"):
        return None
    policy = text(spec.get("externalTrafficPolicy")) or "Cluster"
    if policy != "Local":
        return (
            f"externalTrafficPolicy is {policy}"
            + (" (the Kubernetes default)" if "externalTrafficPolicy" not in spec else "")
            + ", so nodes forward with SNAT and the gateway sees a node address"
        )
    annotations = labels(mapping(svc.get("metadata")).get("annotations"))
    ip_targets = (
        annotations.get(_AWS + "nlb-target-type") == "ip" or annotations.get(_AWS + "type") == "nlb-ip"
    )
    preserved = "preserve_client_ip.enabled=true" in annotations.get(_AWS + "target-group-attributes", "")
    if ip_targets and not preserved and _AWS + "proxy-protocol" not in annotations:
        return (
            "the AWS NLB sends to pod IPs, where client IP preservation is off by default for TCP, so "
            "the gateway sees the load balancer's address; add the annotation "
            f"{_AWS}target-group-attributes: preserve_client_ip.enabled=true"
        )
    return None


class MeshIndex:
    """Everything declared so far, indexed for the cross-object checks.

    Public API: :meth:`add`, :meth:`check`, :meth:`declare` and the ``declare_*`` methods,
    :meth:`workloads_for`.
    """

    def __init__(self) -> None:
        self.objects: dict[Key, Manifest] = {}
        self.workloads: dict[NsName, WorkloadInfo] = {}
        self._workloads_by_label: dict[tuple[str, str], set[NsName]] = defaultdict(set)
        self._workloads_by_ns: dict[str, set[NsName]] = defaultdict(set)
        self.services: dict[str, dict[str, Manifest]] = defaultdict(dict)  # namespace -> name -> Service
        self.hosts: dict[str, HostInfo] = {}  # FQDN -> ports (Services, ServiceEntries, declared)
        self._wildcard_hosts: HostSet[HostInfo] = HostSet()  # ServiceEntry hosts like *.example.com
        self.entries: dict[str, list[Manifest]] = defaultdict(list)  # ServiceEntries by host
        self.namespaces: dict[str, dict[str, str]] = {}  # Namespace objects: name -> labels
        self.gateways: dict[NsName, GatewayInfo] = {}
        self.gateway_names: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        # (workload, port number, bind) -> hosts claimed there, with (gateway, server index)
        self.listeners: dict[tuple[NsName, int, str], HostSet[tuple[NsName, int]]] = defaultdict(HostSet)
        self._claimed: set[tuple[NsName, NsName, int]] = set()  # (workload, gateway, server) registered
        # (workload, credentialName) -> first (gateway, server index) using it
        self.certificates: dict[tuple[NsName, str], tuple[NsName, int]] = {}
        self.secrets: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        self.subsets: dict[str, set[str]] = defaultdict(set)  # FQDN host -> subset names
        self.mesh_hosts: dict[str, Key] = {}  # host bound to `mesh` -> VirtualService

    # -- declaring -------------------------------------------------------------------------------

    def declare_workload(
        self, namespace: str, name: str, labels: Mapping[str, str], service_ports: Iterable[int] | None = None
    ) -> None:
        """Declare gateway pods this program does not manage, so Gateways may select them."""
        self._set_workload(
            WorkloadInfo(
                namespace,
                name,
                dict(labels),
                False,
                set(service_ports) if service_ports is not None else None,
            )
        )

    def declare_secret(self, namespace: str, name: str) -> None:
        """Declare a Secret that exists outside this program (e.g. made by another tool)."""
        self.secrets[name].add(namespace)

    def declare_gateway(self, namespace: str, name: str, hosts: Iterable[str] | None = None) -> None:
        """Declare a Gateway this program does not manage, so routes may bind it.

        Args:
            namespace: Its namespace.
            name: Its name.
            hosts: The hosts its servers serve (``[namespace/]dnsName``). Default: unknown, so every
                route host counts as served (no IST0132).
        """
        info = GatewayInfo(namespace, name, {}, external=True, hosts_known=hosts is not None)
        if hosts is not None:
            server = ServerInfo(0, None, "", "", "", [split_scoped_host(h) for h in hosts], None, [])
            info.servers.append(server)
            for hns, hname in server.hosts:
                info.served.add(hname, (hns, server))
        self.gateways[(namespace, name)] = info
        self.gateway_names[name].add(namespace)

    def declare_service(
        self, host: str, ports: Iterable[int] | None = None, *, namespace: str | None = None
    ) -> None:
        """Declare a service host (a Kubernetes Service or ServiceEntry host managed elsewhere).

        Args:
            host: An FQDN, or a short name resolved in ``namespace``.
            ports: Its port numbers. Default: unknown, so destination ports are not checked.
            namespace: Where a short ``host`` resolves.
        """
        self._add_host(fqdn(host, namespace or ""), None if ports is None else set(ports), "declared")

    def declare_subsets(self, host: str, subsets: Iterable[str], *, namespace: str | None = None) -> None:
        """Declare subsets that a DestinationRule managed elsewhere defines for ``host``."""
        self.subsets[fqdn(host, namespace or "")].update(subsets)

    def declare(self, obj: ExternalObject) -> None:
        """Declare one external object (an item of ``meshgw:external`` or ``--declare``)."""
        ns, name = obj.namespace or "", obj.name or ""
        if obj.kind == "Gateway":
            self.declare_gateway(ns, name, obj.hosts)
        elif obj.kind == "Service" and obj.host is not None:
            self.declare_service(obj.host, obj.ports, namespace=obj.namespace)
        elif obj.kind == "Secret":
            self.declare_secret(ns, name)
        elif obj.kind == "Workload":
            self.declare_workload(ns, name, obj.labels or {}, obj.ports)
        elif obj.kind == "DestinationRule" and obj.host is not None:
            self.declare_subsets(obj.host, obj.subsets or [], namespace=obj.namespace)

    # -- indexing --------------------------------------------------------------------------------

    def add(self, objs: Iterable[Manifest]) -> None:
        """Index objects without checking them."""
        for obj in objs:
            if isinstance(obj, Mapping):
                self._add(obj)

    def _set_workload(self, info: WorkloadInfo) -> None:
        old = self.workloads.get(info.key)
        if old is not None:
            for pair in old.labels.items():
                self._workloads_by_label[pair].discard(info.key)
        self.workloads[info.key] = info
        self._workloads_by_ns[info.namespace].add(info.key)
        for pair in info.labels.items():
            self._workloads_by_label[pair].add(info.key)

    def _add_host(self, host: str, ports: set[int] | None, source: str) -> None:
        info = self.hosts.get(host)
        if info is None:
            info = self.hosts[host] = HostInfo(ports)
            if host.startswith("*."):
                self._wildcard_hosts.add(host, info)
        elif info.ports is not None:
            info.ports = None if ports is None else info.ports | ports
        info.sources.append(source)

    def _add(self, obj: Manifest) -> None:
        key = key_of(obj)
        if self.objects.get(key) is obj:
            return  # already indexed (check() after add())
        self.objects[key] = obj
        kind, ns, name = key
        group = api_group(obj)
        spec = mapping(obj.get("spec"))
        if kind in _WORKLOAD_KINDS:
            template_meta = mapping(mapping(spec.get("template")).get("metadata"))
            self._set_workload(WorkloadInfo(ns, name, labels(template_meta.get("labels")), True))
        elif kind == "Pod" and not group:
            self._set_workload(
                WorkloadInfo(ns, name, labels(mapping(obj.get("metadata")).get("labels")), True)
            )
        elif kind == "Namespace" and not group:
            self.namespaces[name] = labels(mapping(obj.get("metadata")).get("labels"))
        elif kind == "Service" and not group:
            self.services[ns][name] = obj
            ports = {p for p in (integer(mapping(x).get("port")) for x in seq(spec.get("ports"))) if p}
            self._add_host(f"{name}.{ns}.svc.{CLUSTER_DOMAIN}", ports, f"Service {ns}/{name}")
        elif kind == "Secret" and not group:
            self.secrets[name].add(ns)
        elif kind == "Certificate":
            secret = text(spec.get("secretName"))
            if secret:
                self.secrets[secret].add(ns)
        elif group != ISTIO_NETWORKING_GROUP:
            if kind == "Gateway" and group == GATEWAY_API_GROUP:
                # Routes may name Kubernetes Gateways too; their hosts live on listeners we do not
                # model, so any route host counts as served.
                self.gateways.setdefault(
                    (ns, name), GatewayInfo(ns, name, {}, external=True, hosts_known=False)
                )
                self.gateway_names[name].add(ns)
        elif kind == "DestinationRule":
            host = text(spec.get("host"))
            if host:
                names = {text(mapping(s).get("name")) for s in seq(spec.get("subsets"))}
                self.subsets[fqdn(host, ns)].update(n for n in names if n)
        elif kind == "ServiceEntry":
            ports = {p for p in (integer(mapping(x).get("number")) for x in seq(spec.get("ports"))) if p}
            for h in seq(spec.get("hosts")):
                if isinstance(h, str) and h:
                    self.entries[h].append(obj)
                    self._add_host(fqdn(h, ns), set(ports), f"ServiceEntry {ns}/{name}")
        elif kind == "Gateway":
            self._add_gateway(ns, name, spec)

    def _add_gateway(self, ns: str, name: str, spec: Mapping[str, Any]) -> None:
        info = GatewayInfo(ns, name, labels(spec.get("selector")))
        for i, raw in enumerate(seq(spec.get("servers"))):
            srv = mapping(raw)
            port = mapping(srv.get("port"))
            tls = mapping(srv.get("tls"))
            mode = text(tls.get("mode"))
            creds = [text(tls.get("credentialName"))] + [text(c) for c in seq(tls.get("credentialNames"))]
            server = ServerInfo(
                i,
                integer(port.get("number")),
                text(port.get("name")) or "",
                (text(port.get("protocol")) or "").upper(),
                text(srv.get("bind")) or "",
                [split_scoped_host(h) for h in seq(srv.get("hosts")) if isinstance(h, str)],
                mode.upper() if mode else None,
                [c for c in creds if c],
                "tls" in srv,
            )
            info.servers.append(server)
            for hns, hname in server.hosts:
                info.served.add(hname, (hns, server))
        self.gateways[(ns, name)] = info
        self.gateway_names[name].add(ns)

    # -- queries ---------------------------------------------------------------------------------

    def workloads_for(self, selector: Mapping[str, str], namespace: str | None = None) -> list[WorkloadInfo]:
        """Workloads whose pod labels match every label of ``selector`` (none for an empty one),
        optionally only in ``namespace``; sorted by namespace and name."""
        if not selector:
            return []
        found: set[NsName] | None = None
        for pair in sorted(selector.items(), key=lambda p: len(self._workloads_by_label.get(p, ()))):
            keys = self._workloads_by_label.get(pair, set())
            found = set(keys) if found is None else found & keys
            if not found:
                return []
        return [self.workloads[k] for k in sorted(found or ()) if namespace is None or k[0] == namespace]

    def _services_for(self, w: WorkloadInfo) -> list[Manifest]:
        """The Services in front of a workload (selector a subset of its pod labels)."""
        out = []
        for svc in self.services.get(w.namespace, {}).values():
            if _selects(labels(mapping(svc.get("spec")).get("selector")), w.labels):
                out.append(svc)
        return out

    def _service_ports(self, w: WorkloadInfo) -> set[int] | None:
        if not w.managed:
            return w.service_ports
        ports: set[int] = set()
        for svc in self._services_for(w):
            for p in seq(mapping(svc.get("spec")).get("ports")):
                number = integer(mapping(p).get("port"))
                if number is not None:
                    ports.add(number)
                target = integer(mapping(p).get("targetPort"))
                if target is not None:
                    ports.add(target)
        return ports

    def _host_info(self, host: str) -> HostInfo | None:
        info = self.hosts.get(host)
        if info is not None or host.startswith("*"):
            return info
        found = self._wildcard_hosts.first(host)
        return found[1] if found is not None else None

    # -- checking --------------------------------------------------------------------------------

    def check(self, objs: Iterable[Manifest]) -> list[Diagnostic]:
        """Add ``objs`` to the index and return the findings that involve them."""
        batch = [o for o in objs if isinstance(o, Mapping)]
        self.add(batch)
        out: list[Diagnostic] = []
        for obj in batch:
            kind, group = text(obj.get("kind")), api_group(obj)
            if group == ISTIO_NETWORKING_GROUP:
                if kind == "Gateway":
                    out.extend(self._check_gateway(obj))
                elif kind == "VirtualService":
                    out.extend(self._check_virtual_service(obj))
                elif kind == "DestinationRule":
                    out.extend(_check_destination_rule(obj))
                elif kind == "ServiceEntry":
                    out.extend(_check_service_entry(obj))
            elif group == ISTIO_SECURITY_GROUP and kind == "AuthorizationPolicy":
                out.extend(self._check_authorization_policy(obj))
            elif kind in _WORKLOAD_KINDS and group == "apps":
                out.extend(self._check_injection(obj))
        return out

    # Gateway ------------------------------------------------------------------------------------

    def _check_gateway(self, obj: Manifest) -> list[Diagnostic]:
        key = key_of(obj)
        gw = self.gateways.get((key[1], key[2]))
        if gw is None or gw.external:
            return []
        out: list[Diagnostic] = []
        matched = self.workloads_for(gw.selector)
        if not matched:
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR,
                    "spec.selector",
                    f"selector {gw.selector} matches no gateway workload in this program; bind the Gateway "
                    "to a workload object, or declare an external workload with these labels",
                )
            )
        for w in matched:
            ports = self._service_ports(w)
            exposed = [s for s in self._services_for(w) if internet_facing(s)] if w.managed else []
            for srv in gw.servers:
                path = f"spec.servers[{srv.index}]"
                if ports is not None and srv.number is not None and srv.number not in ports:
                    out.append(
                        _diag(
                            key,
                            "IST0162",
                            Level.ERROR,
                            f"{path}.port.number",
                            f"port {srv.number} is not a port of the Service in front of workload "
                            f"{w.namespace}/{w.name} (ports: {sorted(ports) or 'none'}); add it to the "
                            "workload's Service ports or use one of those",
                        )
                    )
                for cred in srv.credential_names:
                    out.extend(self._check_credential(key, gw, w, srv, cred))
                if srv.number is not None:
                    out.extend(self._check_conflicts(key, gw, w, srv))
                if exposed and srv.tls_mode not in ("MUTUAL", "ISTIO_MUTUAL", "AUTO_PASSTHROUGH"):
                    out.extend(_check_exposure(key, w, srv, exposed[0]))
        return out

    def _check_credential(
        self, key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo, cred: str
    ) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        path = f"spec.servers[{srv.index}].tls.credentialName"
        if w.namespace not in self.secrets.get(cred, set()):
            elsewhere = sorted(self.secrets.get(cred, set()))
            if elsewhere:
                out.append(
                    _diag(
                        key,
                        "IST0101",
                        Level.ERROR,
                        path,
                        f"secret {cred!r} is in namespace(s) {', '.join(elsewhere)}, "
                        f"but the gateway pods run in {w.namespace!r} and Istio only reads "
                        f"credentials from the pods' namespace; create it in {w.namespace!r}",
                    )
                )
            else:
                out.append(
                    _diag(
                        key,
                        "IST0101",
                        Level.WARNING,
                        path,
                        f"secret {cred!r} is not declared in this program; it must "
                        f"exist in namespace {w.namespace!r} before traffic arrives, or the server "
                        "is never served",
                    )
                )
        me = (gw.namespace, gw.name)
        first = self.certificates.setdefault((w.key, cred), (me, srv.index))
        if first[0] != me:
            out.append(
                _diag(
                    key,
                    "IST0138",
                    Level.WARNING,
                    path,
                    f"certificate secret {cred!r} is also used by Gateway {first[0][0]}/{first[0][1]} "
                    f"(servers[{first[1]}]) on the same workload {w.namespace}/{w.name}; browsers reuse "
                    "an HTTP/2 connection for every host the certificate covers and get 404s for the "
                    "other Gateway's hosts. Give each Gateway its own certificate, or serve the hosts "
                    "from one Gateway",
                )
            )
        return out

    def _check_conflicts(
        self, key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo
    ) -> list[Diagnostic]:
        assert srv.number is not None
        out: list[Diagnostic] = []
        slot = self.listeners[(w.key, srv.number, srv.bind)]
        me = (gw.namespace, gw.name)
        for _, host in srv.hosts:
            for other_host, (other_gw, other_idx) in slot.intersecting(host):
                if (other_gw, other_idx) == (me, srv.index):
                    continue
                where = (
                    f"servers[{other_idx}] of this Gateway"
                    if other_gw == me
                    else f"Gateway {other_gw[0]}/{other_gw[1]}"
                )
                out.append(
                    _diag(
                        key,
                        "IST0145",
                        Level.ERROR,
                        f"spec.servers[{srv.index}].hosts",
                        f"host {host!r} on port {srv.number} is already claimed by {where} "
                        f"({other_host!r}) on the same workload {w.namespace}/{w.name}; Istio keeps one "
                        "and drops the other. Serve each host from one Gateway, or use another port",
                    )
                )
                break  # one finding per host: the first claim is the one to name
        marker = (w.key, me, srv.index)
        if marker not in self._claimed:
            self._claimed.add(marker)
            for _, host in srv.hosts:
                slot.add(host, (me, srv.index))
        return out

    # VirtualService ----------------------------------------------------------------------------

    def _check_virtual_service(self, obj: Manifest) -> list[Diagnostic]:
        key = key_of(obj)
        ns = key[1]
        spec = mapping(obj.get("spec"))
        out: list[Diagnostic] = []
        gateways = spec.get("gateways")
        refs = [r for r in seq(gateways) if isinstance(r, str)] if gateways is not None else ["mesh"]
        hosts = [h for h in seq(spec.get("hosts")) if isinstance(h, str)]
        export_to = spec.get("exportTo")
        bound: list[GatewayInfo] = []
        for i, ref in enumerate(refs):
            if ref == "mesh":
                continue
            gns, gname = gateway_ref(ref, ns)
            gw = self.gateways.get((gns, gname))
            if gw is None:
                others = sorted(self.gateway_names.get(gname, set()))
                hint = (
                    f"; did you mean {', '.join(f'{o}/{gname}' for o in others)}?"
                    if others
                    else "; declare the Gateway before the routes that bind to it, or declare it as "
                    "an external Gateway"
                )
                out.append(
                    _diag(
                        key,
                        "IST0101",
                        Level.ERROR,
                        f"spec.gateways[{i}]",
                        f"gateway {gns}/{gname} does not exist in this program{hint}",
                    )
                )
                continue
            bound.append(gw)
            if export_to is not None and not _exported(seq(export_to), ns, gw.namespace):
                out.append(
                    _diag(
                        key,
                        "MGW0132",
                        Level.ERROR,
                        "spec.exportTo",
                        f"exportTo {list(seq(export_to))} hides this route from gateway {gw.ref}; add "
                        f"{gw.namespace!r} or '*' to exportTo",
                    )
                )
        mesh_bound = "mesh" in refs
        for i, host in enumerate(hosts):
            if bound and not any(self._serves(gw, ns, host) for gw in bound):
                names = ", ".join(g.ref for g in bound)
                served = sorted({h for g in bound for s in g.servers for _, h in s.hosts})
                shown = ", ".join(served[:5]) + (f" and {len(served) - 5} more" if len(served) > 5 else "")
                out.append(
                    _diag(
                        key,
                        "IST0132",
                        Level.WARNING if mesh_bound else Level.ERROR,
                        f"spec.hosts[{i}]",
                        f"host {host!r} is not served by the bound gateway(s) {names} (they serve "
                        f"{shown}), so requests for it get a 404; add it to a server's "
                        "hosts or bind a Gateway that serves it",
                    )
                )
            if mesh_bound:
                prev = self.mesh_hosts.get(fqdn(host, ns))
                if prev is not None and prev != key:
                    out.append(
                        _diag(
                            key,
                            "IST0109",
                            Level.ERROR,
                            f"spec.hosts[{i}]",
                            f"host {host!r} is already routed for the mesh by VirtualService "
                            f"{prev[1]}/{prev[2]}; sidecars merge them unpredictably. Put both in one "
                            "VirtualService",
                        )
                    )
                else:
                    self.mesh_hosts[fqdn(host, ns)] = key
        out.extend(self._check_route_kinds(key, spec, ns, hosts, bound))
        if mesh_bound and bound:
            out.extend(self._check_egress_visibility(key, hosts, export_to, bound))
        out.extend(self._check_destinations(key, spec))
        return out

    def _serves(self, gw: GatewayInfo, vs_ns: str, host: str) -> bool:
        if not gw.hosts_known:
            return True
        for _, (hns, _srv) in gw.served.intersecting(host):
            if hns in ("*", vs_ns) or (hns == "." and vs_ns == gw.namespace):
                return True
        return False

    def _check_route_kinds(
        self, key: Key, spec: Mapping[str, Any], ns: str, hosts: list[str], bound: list[GatewayInfo]
    ) -> list[Diagnostic]:
        """MGW0205: the route lists this VirtualService has are none of those its servers use."""
        blocks = [b for b in ("http", "tls", "tcp") if seq(spec.get(b))]
        if not blocks or not bound:
            return []
        needed: dict[str, tuple[GatewayInfo, ServerInfo]] = {}
        for host in hosts:
            for gw in bound:
                for _, (hns, srv) in gw.served.intersecting(host):
                    if not (hns in ("*", ns) or (hns == "." and ns == gw.namespace)):
                        continue
                    block = srv.route_block
                    if block is not None:
                        needed.setdefault(block, (gw, srv))
        if not needed or needed.keys() & set(blocks):
            return []
        parts = []
        for block, (gw, srv) in sorted(needed.items()):
            mode = (
                f" {srv.tls_mode or 'PASSTHROUGH (mode omitted)'}"
                if srv.has_tls or srv.protocol == "TLS"
                else ""
            )
            parts.append(
                f"{gw.ref} servers[{srv.index}] ({srv.protocol}{mode} on port {srv.number}) uses {block}"
            )
        want = " or ".join(sorted(needed))
        return [
            _diag(
                key,
                "MGW0205",
                Level.ERROR,
                f"spec.{blocks[0]}",
                f"this VirtualService only has {', '.join(blocks)} routes, which the servers it binds "
                f"never apply: {'; '.join(parts)}. Requests for its hosts find no route; write the "
                f"routes as {want} (TLS passthrough is routed by tls with sniHosts, terminated TLS by "
                "tcp, HTTP and terminated HTTPS by http)",
            )
        ]

    def _check_egress_visibility(
        self, key: Key, hosts: list[str], export_to: Any, bound: list[GatewayInfo]
    ) -> list[Diagnostic]:
        """MGW0202: a ServiceEntry shows an egress host to namespaces the egress route does not."""
        route_ns = _visible(export_to, key[1])
        if route_ns is None:
            return []
        out: list[Diagnostic] = []
        via = ", ".join(g.ref for g in bound)
        for host in hosts:
            for se in self.entries.get(host, []):
                se_key = key_of(se)
                seen = _visible(mapping(se.get("spec")).get("exportTo"), se_key[1])
                extra = "all namespaces" if seen is None else ", ".join(sorted(seen - route_ns))
                if seen is not None and not seen - route_ns:
                    continue
                out.append(
                    _diag(
                        se_key,
                        "MGW0202",
                        Level.WARNING,
                        "spec.exportTo",
                        f"this ServiceEntry makes {host!r} known in {extra}, but the egress route "
                        f"VirtualService {key[1]}/{key[2]} (through gateway {via}) is only exported to "
                        f"{', '.join(sorted(route_ns)) or 'no namespace'}; sidecars elsewhere send {host} "
                        "straight out and bypass the egress gateway. Give the ServiceEntry the route's "
                        "exportTo",
                    )
                )
        return out

    def _check_destinations(self, key: Key, spec: Mapping[str, Any]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for block in ("http", "tcp", "tls"):
            for r, raw_rule in enumerate(seq(spec.get(block))):
                rule = mapping(raw_rule)
                dests = [
                    (f"spec.{block}[{r}].route[{d}].destination", mapping(mapping(x).get("destination")))
                    for d, x in enumerate(seq(rule.get("route")))
                ]
                if block == "http":
                    if isinstance(rule.get("mirror"), Mapping):
                        dests.append((f"spec.{block}[{r}].mirror", rule["mirror"]))
                    for m, mirror in enumerate(seq(rule.get("mirrors"))):
                        dest = mapping(mapping(mirror).get("destination"))
                        dests.append((f"spec.{block}[{r}].mirrors[{m}].destination", dest))
                for path, dest in dests:
                    out.extend(self._check_destination(key, path, dest))
        return out

    def _check_destination(self, key: Key, path: str, dest: Mapping[str, Any]) -> list[Diagnostic]:
        host = text(dest.get("host"))
        if not host:
            return []
        out: list[Diagnostic] = []
        full = fqdn(host, key[1])
        subset = text(dest.get("subset"))
        if subset and subset not in self.subsets.get(full, set()):
            known = sorted(self.subsets.get(full, set()))
            fix = (
                f"defined subsets: {', '.join(known)}"
                if known
                else "no DestinationRule in this program defines subsets for it"
            )
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR,
                    f"{path}.subset",
                    f"subset {subset!r} of host {host!r} is not defined ({fix}); requests "
                    "routed to it fail with 503. Add the subset to a DestinationRule for "
                    f"{full}",
                )
            )
        info = self._host_info(full)
        if info is None or info.ports is None:
            return out  # a host we do not know: nothing to say about its ports
        ports = sorted(info.ports)
        where = ", ".join(dict.fromkeys(info.sources))
        port = integer(mapping(dest.get("port")).get("number"))
        if "port" not in dest and len(ports) > 1:
            out.append(
                _diag(
                    key,
                    "IST0112",
                    Level.ERROR,
                    f"{path}.port",
                    f"host {host!r} has several ports ({', '.join(map(str, ports))}, from {where}), so "
                    "Istio cannot tell which one to send to; set port.number",
                )
            )
        elif port is not None and port not in info.ports:
            out.append(
                _diag(
                    key,
                    "IST0101",
                    Level.ERROR,
                    f"{path}.port.number",
                    f"port {port} is not a port of {host!r} ({where} has "
                    f"{', '.join(map(str, ports)) or 'no ports'}), so requests find no upstream and "
                    "fail with 503; use one of those ports or add the port to the Service",
                )
            )
        return out

    # AuthorizationPolicy -------------------------------------------------------------------------

    def _check_authorization_policy(self, obj: Manifest) -> list[Diagnostic]:
        """MGW0201: an IP allow- or deny-list on gateway pods that never see the client's address."""
        key = key_of(obj)
        spec = mapping(obj.get("spec"))
        paths: list[str] = []
        for i, raw_rule in enumerate(seq(spec.get("rules"))):
            rule = mapping(raw_rule)
            for j, src in enumerate(seq(rule.get("from"))):
                source = mapping(mapping(src).get("source"))
                for fname in ("ipBlocks", "notIpBlocks"):
                    if seq(source.get(fname)):
                        paths.append(f"spec.rules[{i}].from[{j}].source.{fname}")
            for k, cond in enumerate(seq(rule.get("when"))):
                if mapping(cond).get("key") == "source.ip":
                    paths.append(f"spec.rules[{i}].when[{k}]")
        if not paths:
            return []
        selector = labels(mapping(spec.get("selector")).get("matchLabels"))
        scope = None if key[1] == ROOT_NAMESPACE else key[1]
        if selector:
            targets = self.workloads_for(selector, scope)
        else:
            keys = self._workloads_by_ns.get(key[1], set()) if scope is not None else set(self.workloads)
            targets = [self.workloads[k] for k in sorted(keys)]
        for w in targets:
            for svc in self._services_for(w) if w.managed else []:
                reason = _client_ip_lost(svc)
                if reason is None:
                    continue
                action = text(spec.get("action")) or "ALLOW"
                effect = (
                    "a DENY rule on client addresses never matches"
                    if action == "DENY"
                    else "an ALLOW rule on client addresses matches no real client (or every client "
                    "behind one node)"
                )
                svc_key = key_of(svc)
                return [
                    _diag(
                        key,
                        "MGW0201",
                        Level.ERROR,
                        paths[0],
                        f"this policy matches client IP addresses on gateway {w.namespace}/{w.name}, "
                        f"but on its Service {svc_key[1]}/{svc_key[2]} {reason}: {effect}. Set "
                        "externalTrafficPolicy: Local (workload service.externalTrafficPolicy) and keep "
                        "the client IP at the load balancer, or, behind an L7 proxy that sets "
                        "X-Forwarded-For, use remoteIpBlocks",
                    )
                ]
        return []

    # Workloads -----------------------------------------------------------------------------------

    def _check_injection(self, obj: Manifest) -> list[Diagnostic]:
        """IST0146: ``image: auto`` is a placeholder that only Istio's injection webhook replaces."""
        key = key_of(obj)
        template = mapping(mapping(obj.get("spec")).get("template"))
        containers = seq(mapping(template.get("spec")).get("containers"))
        auto = [i for i, c in enumerate(containers) if mapping(c).get("image") == "auto"]
        if not auto:
            return []
        pod = labels(mapping(template.get("metadata")).get("labels"))
        ns_labels = self.namespaces.get(key[1])
        inject = pod.get("sidecar.istio.io/inject")
        path = f"spec.template.spec.containers[{auto[0]}].image"
        if inject == "false":
            level, why = Level.ERROR, 'its pod label sidecar.istio.io/inject is "false"'
        elif ns_labels is not None and ns_labels.get("istio-injection") == "disabled":
            level, why = Level.ERROR, f"namespace {key[1]} has the label istio-injection=disabled"
        elif (
            inject == "true"
            or "istio.io/rev" in pod
            or (
                ns_labels is not None
                and (ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels)
            )
        ):
            return []
        else:
            level = Level.WARNING
            why = (
                'neither a pod label (sidecar.istio.io/inject: "true" or istio.io/rev) nor a namespace '
                "label (istio-injection=enabled or istio.io/rev) asks for injection"
            )
        return [
            _diag(
                key,
                "IST0146",
                level,
                path,
                f'image "auto" is a placeholder that only Istio\'s injection webhook replaces, and {why}; '
                'the pods would fail to pull the image "auto". Add the pod label '
                'sidecar.istio.io/inject: "true" (and remove any opt-out)',
            )
        ]


def _check_exposure(key: Key, w: WorkloadInfo, srv: ServerInfo, svc: Manifest) -> list[Diagnostic]:
    """MGW0204: a host that looks internal, served through an internet-facing load balancer."""
    svc_key = key_of(svc)
    out = []
    for j, (_, host) in enumerate(srv.hosts):
        if _looks_internal(host):
            out.append(
                _diag(
                    key,
                    "MGW0204",
                    Level.WARNING,
                    f"spec.servers[{srv.index}].hosts[{j}]",
                    f"host {host!r} looks internal, but workload {w.namespace}/{w.name} serves it "
                    f"through Service {svc_key[1]}/{svc_key[2]}, an internet-facing LoadBalancer with "
                    "no loadBalancerSourceRanges: anyone on the internet can reach it. Serve it from "
                    "an internal or cluster-only gateway, or restrict the load balancer with "
                    "loadBalancerSourceRanges",
                )
            )
    return out


def _exported(export_to: Sequence[Any], vs_ns: str, gw_ns: str) -> bool:
    for e in export_to:
        if e == "*" or e == gw_ns or (e == "." and vs_ns == gw_ns):
            return True
    return False


def _check_destination_rule(obj: Manifest) -> list[Diagnostic]:
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


def _check_service_entry(obj: Manifest) -> list[Diagnostic]:
    """IST0134: a TCP port on a ServiceEntry without addresses."""
    key = key_of(obj)
    spec = mapping(obj.get("spec"))
    if seq(spec.get("addresses")):
        return []
    out: list[Diagnostic] = []
    for i, raw in enumerate(seq(spec.get("ports"))):
        port = mapping(raw)
        protocol = (text(port.get("protocol")) or "").upper()
        if protocol in ("", "TCP"):
            number = integer(port.get("number"))
            out.append(
                _diag(
                    key,
                    "IST0134",
                    Level.WARNING,
                    f"spec.ports[{i}]",
                    f"port {number} is {'TCP' if protocol else 'without a protocol (TCP)'} and the "
                    "ServiceEntry has no addresses: sidecars cannot tell its traffic from any other TCP "
                    f"traffic on port {number}, so it is sent to the wrong place or not captured, unless "
                    "DNS capture with address auto-allocation is on. Add addresses, or a protocol "
                    "Istio can route by name (HTTP, TLS)",
                )
            )
    return out
