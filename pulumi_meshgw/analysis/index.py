"""An incremental index of a mesh's objects, and the cross-object checks that run over it.

Components add what they render, one batch at a time; each batch is checked against everything
declared before it through dictionary look-ups (by gateway reference, by workload label, by workload
and port, by host and host suffix, by secret name), never by scanning every pair, so a mesh of 100
Gateways and 10,000 hosts is checked in time proportional to its size. The same index serves
``meshgw check`` over YAML files: add every object, then check them all.

Objects this program does not manage can be declared (:meth:`MeshIndex.declare`), so that
references to them are not reported as missing.

The checks themselves live in :mod:`.analyzers`, one module per concern as Istio lays out
``pkg/config/analysis/analyzers/``; :meth:`MeshIndex.check` runs those whose subjects include each
object's kind. ``docs/checks.md`` documents every code with an example and the fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..spec.external import ExternalObject
from ._access import Key, Manifest, api_group, integer, key_of, labels, mapping, seq, text
from .diagnostics import Diagnostic
from .hosts import CLUSTER_DOMAIN, fqdn, service_of, split_scoped_host
from .hostset import HostSet
from .rule_lookup import ROOT_NAMESPACE, RuleIndex, RuleInfo, visible

__all__ = [
    "ROOT_NAMESPACE",
    "GatewayInfo",
    "HostInfo",
    "MeshIndex",
    "RuleInfo",
    "ServerInfo",
    "WorkloadInfo",
    "gateway_ref",
    "visible",
]

NsName = tuple[str, str]

ISTIO_NETWORKING_GROUP = "networking.istio.io"
ISTIO_SECURITY_GROUP = "security.istio.io"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"

# Kinds whose pod template makes pods (a cluster dump holds them beside the Pods themselves).
_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
_HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
_TCP_PROTOCOLS = frozenset({"TCP", "MONGO", "MYSQL", "REDIS"})
_PASSTHROUGH = frozenset({None, "PASSTHROUGH", "AUTO_PASSTHROUGH"})


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
    https_redirect: bool = False

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


_PROTOCOLS = frozenset(
    {
        "TCP",
        "UDP",
        "GRPC",
        "GRPC-WEB",
        "HTTP",
        "HTTP_PROXY",
        "HTTP2",
        "HTTPS",
        "TLS",
        "MONGO",
        "REDIS",
        "MYSQL",
    }
)
_WELL_KNOWN_TCP_PORTS = frozenset({25, 53, 3306, 27017})  # SMTP, DNS, MySQL, MongoDB
_APP_PROTOCOLS = {"kubernetes.io/h2c": "HTTP2", "kubernetes.io/ws": "HTTP", "kubernetes.io/wss": "HTTPS"}
HTTP_FAMILY = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
"""Protocols Istio serves with an HTTP listener."""


def service_port_protocol(port: Any) -> str:
    """The protocol Istio gives a Kubernetes Service port, as ``pkg/config/kube/conversion.go``
    (``ConvertProtocol``) does: UDP by ``protocol``; else ``appProtocol`` if set (with Kubernetes'
    ``kubernetes.io/h2c``, ``ws``, ``wss``), else the port name up to its first ``-``; ``grpc-web``
    before the split; TCP for unnamed well-known ports (SMTP, DNS, MySQL, MongoDB);
    ``"UNSUPPORTED"`` otherwise (Istio then sniffs the protocol)."""
    p = mapping(port)
    if text(p.get("protocol")) == "UDP":
        return "UDP"
    app = text(p.get("appProtocol"))
    name = app if app is not None else (text(p.get("name")) or "")
    if app is not None and app in _APP_PROTOCOLS:
        return _APP_PROTOCOLS[app]
    if name.lower().startswith("grpc-web"):
        return "GRPC-WEB"
    prefix = name.partition("-")[0].upper()
    if prefix in _PROTOCOLS:
        return prefix
    return "TCP" if integer(p.get("port")) in _WELL_KNOWN_TCP_PORTS else "UNSUPPORTED"


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


def selects(selector: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


def _ns_of(value: str, own: str) -> str:
    return own if value == "." else value


class MeshIndex:
    """Everything declared so far, indexed for the cross-object checks.

    Public API: :meth:`add`, :meth:`check`, :meth:`declare` and the ``declare_*`` methods,
    :meth:`workloads_for`.
    """

    def __init__(self) -> None:
        self.objects: dict[Key, Manifest] = {}
        self.workloads: dict[NsName, WorkloadInfo] = {}
        self._workloads_by_label: dict[tuple[str, str], set[NsName]] = defaultdict(set)
        self.workloads_by_ns: dict[str, set[NsName]] = defaultdict(set)
        self.services: dict[str, dict[str, Manifest]] = defaultdict(dict)  # namespace -> name -> Service
        self.hosts: dict[str, HostInfo] = {}  # FQDN -> ports (Services, ServiceEntries, declared)
        self._wildcard_hosts: HostSet[HostInfo] = HostSet()  # ServiceEntry hosts like *.example.com
        self.entries: dict[str, list[Manifest]] = defaultdict(list)  # ServiceEntries by host
        # Destination host resolution as Istio's analyzers/util/service_lookup.go: FQDN -> the
        # scopes it is visible in ('*' or a namespace), wildcard ServiceEntry hosts with their
        # scope, and the namespaces of each Service name (for did-you-mean).
        self.scoped_hosts: dict[str, set[str]] = defaultdict(set)
        self.scoped_wildcards: list[tuple[str, str]] = []
        self.service_namespaces: dict[str, set[str]] = defaultdict(set)
        self.pods_given = False
        """Whether the input carries Pods (a cluster dump): then, as with ``hosts_complete``, the
        pods a DestinationRule subset selects are all there (IST0173)."""
        self.hosts_complete = False
        """Whether every destination host is in the index (``meshgw check``): then a host that
        does not resolve is IST0101, as in ``istioctl analyze``. A program's index is not complete
        (it does not declare the Services it routes to)."""
        # port number -> (Service or ServiceEntry, the protocol Istio gives that port), for the
        # ports declared as something else than HTTP
        self.port_protocols: dict[int, list[tuple[Key, str]]] = defaultdict(list)
        self.namespaces: dict[str, dict[str, str]] = {}  # Namespace objects: name -> labels
        self.gateways: dict[NsName, GatewayInfo] = {}
        self.gateway_names: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        # (workload, port number, bind) -> hosts claimed there, with (gateway, server index)
        self.listeners: dict[tuple[NsName, int, str], HostSet[tuple[NsName, int]]] = defaultdict(HostSet)
        self._claimed: set[tuple[NsName, NsName, int]] = set()  # (workload, gateway, server) registered
        # (workload, credentialName) -> first (gateway, server index) using it
        self.certificates: dict[tuple[NsName, str], tuple[NsName, int]] = {}
        self.secrets: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        self.secret_objects: dict[NsName, Manifest] = {}  # Secrets given as objects, by (ns, name)
        self.subsets: dict[str, set[str]] = defaultdict(set)  # FQDN host -> subset names
        # host bound to `mesh` -> the VirtualServices routing it, with the namespaces they are
        # exported to (None: everywhere)
        # VirtualServices by host (gateways merge the routes of every VirtualService for a host)
        self.route_hosts: HostSet[Manifest] = HostSet()
        # DestinationRules without a workload selector, for the lookup path (rule_lookup.py)
        self.rules = RuleIndex()
        self.mesh_hosts: dict[str, list[tuple[Key, set[str] | None]]] = {}

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
        full = fqdn(host, namespace or "")
        self._add_host(full, None if ports is None else set(ports), "declared")
        self._add_scoped(full, {"*"})
        svc = service_of(full)
        if svc is not None:
            self.service_namespaces[svc[0]].add(svc[1])

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
        self.workloads_by_ns[info.namespace].add(info.key)
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

    def _add_scoped(self, host: str, scopes: set[str]) -> None:
        if host.startswith("*"):
            self.scoped_wildcards.extend((s, host[1:]) for s in sorted(scopes))
        else:
            self.scoped_hosts[host].update(scopes)

    def rule_for(self, host: str, client: str) -> RuleInfo | None:
        """The DestinationRule a proxy in namespace ``client`` uses for ``host`` (an FQDN): the
        client's own namespace first, then the host's namespace (a Service's, or the
        ServiceEntry's), then the root namespace, each only if exported to the client; never a
        merge of several namespaces' (:class:`~.rule_lookup.RuleIndex`)."""
        svc = service_of(host)
        homes = [svc[1]] if svc is not None else []
        homes += [key_of(se)[1] for se in self.entries.get(host, [])]
        return self.rules.lookup(host, client, homes)

    def resolves(self, namespace: str, export_to: Any, host: str) -> bool:
        """Whether a destination ``host`` of a route in ``namespace`` (exported to ``export_to``)
        names a Service or ServiceEntry host visible there, as Istio's ``GetDestinationHost``
        (``analyzers/util/service_lookup.go``) decides: the host as an FQDN (a name without a dot
        in the route's namespace) exported everywhere, or to a namespace of the route's own
        ``exportTo`` (its namespace when unset); else a wildcard ServiceEntry host exported
        everywhere or to the route's namespace whose suffix matches."""
        full = fqdn(host, namespace)
        scopes = self.scoped_hosts.get(full, set())
        wanted = visible(export_to, namespace) if export_to else {namespace}
        if "*" in scopes or (wanted is None and scopes) or (wanted is not None and scopes & wanted):
            return True
        bare = full.removeprefix("*")
        return any(s in ("*", namespace) and bare.endswith(suffix) for s, suffix in self.scoped_wildcards)

    def _add_port_protocol(self, port: int | None, key: Key, protocol: str) -> None:
        # Only the ports that carry TLS or TCP are kept: they are what an HTTP port conflicts with,
        # and keeping the HTTP ones would make every check of a common port (8080) scan them all.
        if port is not None and protocol not in HTTP_FAMILY and protocol != "UNSUPPORTED":
            self.port_protocols[port].append((key, protocol))

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
            self.pods_given = True
            self._set_workload(
                WorkloadInfo(ns, name, labels(mapping(obj.get("metadata")).get("labels")), True)
            )
        elif kind == "Namespace" and not group:
            self.namespaces[name] = labels(mapping(obj.get("metadata")).get("labels"))
        elif kind == "Service" and not group:
            self.services[ns][name] = obj
            self.service_namespaces[name].add(ns)
            annotations = labels(mapping(obj.get("metadata")).get("annotations"))
            export = annotations.get("networking.istio.io/exportTo")
            scopes = {"*"} if not export else {_ns_of(e.strip(), ns) for e in export.split(",")}
            self._add_scoped(f"{name}.{ns}.svc.{CLUSTER_DOMAIN}", scopes)
            for x in seq(spec.get("ports")):
                self._add_port_protocol(integer(mapping(x).get("port")), key, service_port_protocol(x))
            ports = {p for p in (integer(mapping(x).get("port")) for x in seq(spec.get("ports"))) if p}
            self._add_host(f"{name}.{ns}.svc.{CLUSTER_DOMAIN}", ports, f"Service {ns}/{name}")
        elif kind == "Secret" and not group:
            self.secrets[name].add(ns)
            self.secret_objects[(ns, name)] = obj
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
                self.rules.add(obj)
        elif kind == "ServiceEntry":
            ports = {p for p in (integer(mapping(x).get("number")) for x in seq(spec.get("ports"))) if p}
            for x in seq(spec.get("ports")):
                protocol = (text(mapping(x).get("protocol")) or "TCP").upper()
                self._add_port_protocol(integer(mapping(x).get("number")), key, protocol)
            exported = visible(spec.get("exportTo"), ns)
            for h in seq(spec.get("hosts")):
                if isinstance(h, str) and h:
                    self._add_scoped(fqdn(h, ns), {"*"} if exported is None else exported)
                    self.entries[h].append(obj)
                    self._add_host(fqdn(h, ns), set(ports), f"ServiceEntry {ns}/{name}")
        elif kind == "Gateway":
            self._add_gateway(ns, name, spec)
        elif kind == "VirtualService":
            for h in seq(spec.get("hosts")):
                if isinstance(h, str) and h:
                    self.route_hosts.add(h, obj)

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
                tls.get("httpsRedirect") is True,
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

    def services_for(self, w: WorkloadInfo) -> list[Manifest]:
        """The Services in front of a workload (selector a subset of its pod labels)."""
        out = []
        for svc in self.services.get(w.namespace, {}).values():
            if selects(labels(mapping(svc.get("spec")).get("selector")), w.labels):
                out.append(svc)
        return out

    def service_ports(self, w: WorkloadInfo) -> set[int] | None:
        """The ports (and target ports) of the Services in front of ``w``; None when unknown."""
        if not w.managed:
            return w.service_ports
        ports: set[int] = set()
        for svc in self.services_for(w):
            for p in seq(mapping(svc.get("spec")).get("ports")):
                number = integer(mapping(p).get("port"))
                if number is not None:
                    ports.add(number)
                target = integer(mapping(p).get("targetPort"))
                if target is not None:
                    ports.add(target)
        return ports

    def host_info(self, host: str) -> HostInfo | None:
        """What the index knows of ``host`` (an FQDN), directly or through a wildcard entry."""
        info = self.hosts.get(host)
        if info is not None or host.startswith("*"):
            return info
        found = self._wildcard_hosts.first(host)
        return found[1] if found is not None else None

    # -- checking --------------------------------------------------------------------------------

    def check(self, objs: Iterable[Manifest]) -> list[Diagnostic]:
        """Add ``objs`` to the index and return the findings that involve them: every analyzer of
        :data:`~.analyzers.ANALYZERS` whose subjects include an object's kind, object by object in
        input order (the first of two conflicting objects is the one a later finding names)."""
        from .analyzers import analyzers_for  # the analyzers read this module's types

        batch = [o for o in objs if isinstance(o, Mapping)]
        self.add(batch)
        out: list[Diagnostic] = []
        for obj in batch:
            for analyzer in analyzers_for(api_group(obj), text(obj.get("kind")) or ""):
                out.extend(analyzer.check(self, obj))
        return out
