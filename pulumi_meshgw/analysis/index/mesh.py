"""The index itself: every object by key, added one batch at a time, and the checks run over it.

:class:`MeshIndex` stores the objects, sends each to the parts that index it by concern
(:mod:`.workloads`, :mod:`.resolution`, :mod:`.ports`, :mod:`.gateways`), and runs the analyzers
of :mod:`..analyzers` whose subjects include each object's kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from ...spec.external import ExternalObject
from .._access import Key, Manifest, api_group, integer, key_of, labels, mapping, seq, text
from ..diagnostics import Diagnostic
from ..hosts import CLUSTER_DOMAIN, fqdn
from ..hostset import HostSet
from ..rule_lookup import visible
from .gateways import GatewayIndex, GatewayInfo
from .ports import PortIndex, service_port_protocol
from .resolution import HostIndex
from .workloads import NsName, WorkloadIndex, WorkloadInfo

__all__ = ["GATEWAY_API_GROUP", "ISTIO_NETWORKING_GROUP", "ISTIO_SECURITY_GROUP", "MeshIndex"]

ISTIO_NETWORKING_GROUP = "networking.istio.io"
ISTIO_SECURITY_GROUP = "security.istio.io"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"

# Kinds whose pod template makes pods (a cluster dump holds them beside the Pods themselves).
_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


def _ns_of(value: str, own: str) -> str:
    return own if value == "." else value


class MeshIndex(WorkloadIndex, HostIndex, PortIndex, GatewayIndex):
    """Everything declared so far, indexed for the cross-object checks.

    Public API: :meth:`add`, :meth:`check`, :meth:`declare` and the ``declare_*`` methods,
    :meth:`workloads_for`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.objects: dict[Key, Manifest] = {}
        self.pods_given = False
        """Whether the input carries Pods (a cluster dump): then, as with ``hosts_complete``, the
        pods a DestinationRule subset selects are all there (IST0173)."""
        self.namespaces: dict[str, dict[str, str]] = {}  # Namespace objects: name -> labels
        self.secrets: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        self.secret_objects: dict[NsName, Manifest] = {}  # Secrets given as objects, by (ns, name)
        self.subsets: dict[str, set[str]] = defaultdict(set)  # FQDN host -> subset names
        # VirtualServices by host (gateways merge the routes of every VirtualService for a host)
        self.route_hosts: HostSet[Manifest] = HostSet()
        # host bound to `mesh` -> the VirtualServices routing it, with the namespaces they are
        # exported to (None: everywhere)
        self.mesh_hosts: dict[str, list[tuple[Key, set[str] | None]]] = {}

    def declare_secret(self, namespace: str, name: str) -> None:
        """Declare a Secret that exists outside this program (e.g. made by another tool)."""
        self.secrets[name].add(namespace)

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

    def add(self, objs: Iterable[Manifest]) -> None:
        """Index objects without checking them."""
        for obj in objs:
            if isinstance(obj, Mapping):
                self._add(obj)

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

    def check(self, objs: Iterable[Manifest]) -> list[Diagnostic]:
        """Add ``objs`` to the index and return the findings that involve them: every analyzer of
        :data:`~.analyzers.ANALYZERS` whose subjects include an object's kind, object by object in
        input order (the first of two conflicting objects is the one a later finding names)."""
        from ..analyzers import analyzers_for  # the analyzers read this module's types

        batch = [o for o in objs if isinstance(o, Mapping)]
        self.add(batch)
        out: list[Diagnostic] = []
        for obj in batch:
            for analyzer in analyzers_for(api_group(obj), text(obj.get("kind")) or ""):
                out.extend(analyzer.check(self, obj))
        return out
