"""An incremental index of a mesh's objects, and the cross-object checks that run over it.

Components add what they render, one batch at a time; each batch is checked against everything
declared before it through dictionary look-ups (by gateway reference, by workload and port, by host),
never by scanning every pair. The same index serves ``meshgw check`` over YAML files: add every
object, then check them all.

Checks use ``istioctl analyze`` codes where Istio has one, so a user can search for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic, Level
from .hosts import fqdn, host_matches, hosts_intersect, split_scoped_host

__all__ = ["GatewayInfo", "MeshIndex", "WorkloadInfo"]

Manifest = Mapping[str, Any]
Key = tuple[str, str, str]  # kind, namespace, name


def _key(obj: Manifest) -> Key:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _diag(obj_key: Key, code: str, level: Level, path: str, message: str) -> Diagnostic:
    return Diagnostic(code, level, obj_key[0], obj_key[1], obj_key[2], path, message)


@dataclass
class WorkloadInfo:
    """Gateway pods: a Deployment we render, or an external workload declared by namespace and labels."""

    namespace: str
    name: str
    labels: dict[str, str]
    managed: bool
    service_ports: set[int] | None = None
    """Declared ports for external workloads; None means unknown (port checks skipped)."""


@dataclass
class ServerInfo:
    index: int
    number: int
    name: str
    protocol: str
    bind: str
    hosts: list[tuple[str, str]]  # (namespace part, dnsName)
    tls_mode: str | None
    credential_name: str | None


@dataclass
class GatewayInfo:
    namespace: str
    name: str
    selector: dict[str, str]
    servers: list[ServerInfo] = field(default_factory=list)


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


class MeshIndex:
    """Everything declared so far, indexed for the cross-object checks."""

    def __init__(self) -> None:
        self.objects: dict[Key, Manifest] = {}
        self.workloads: dict[tuple[str, str], WorkloadInfo] = {}
        self.services: dict[str, list[Manifest]] = defaultdict(list)  # by namespace
        self.gateways: dict[tuple[str, str], GatewayInfo] = {}
        self.gateway_names: dict[str, list[str]] = defaultdict(list)  # name -> namespaces
        # (workload key, port number, bind) -> [(gateway key, server index, host)]
        self.listeners: dict[tuple[tuple[str, str], int, str], list[tuple[tuple[str, str], int, str]]] = (
            defaultdict(list)
        )
        self.secrets: dict[str, set[str]] = defaultdict(set)  # name -> namespaces
        self.subsets: dict[str, set[str]] = defaultdict(set)  # FQDN host -> subset names
        self.mesh_hosts: dict[str, Key] = {}  # host bound to `mesh` -> VirtualService

    # -- declaring -------------------------------------------------------------------------------

    def declare_workload(
        self, namespace: str, name: str, labels: Mapping[str, str], service_ports: Iterable[int] | None = None
    ) -> None:
        """Declare gateway pods this program does not manage, so Gateways may select them."""
        self.workloads[(namespace, name)] = WorkloadInfo(
            namespace, name, dict(labels), False, set(service_ports) if service_ports is not None else None
        )

    def declare_secret(self, namespace: str, name: str) -> None:
        """Declare a Secret that exists outside this program (e.g. made by another tool)."""
        self.secrets[name].add(namespace)

    def add(self, objs: Iterable[Manifest]) -> None:
        """Index objects without checking them."""
        for obj in objs:
            self._add(obj)

    def _add(self, obj: Manifest) -> None:
        key = _key(obj)
        self.objects[key] = obj
        kind, ns, name = key
        spec = obj.get("spec") or {}
        if kind == "Deployment":
            labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            self.workloads[(ns, name)] = WorkloadInfo(ns, name, dict(labels), True)
        elif kind == "Service":
            self.services[ns].append(obj)
        elif kind == "Secret":
            self.secrets[name].add(ns)
        elif kind == "Certificate":
            secret = spec.get("secretName")
            if isinstance(secret, str):
                self.secrets[secret].add(ns)
        elif kind == "DestinationRule":
            host = spec.get("host")
            if isinstance(host, str):
                names = {s.get("name") for s in spec.get("subsets") or [] if isinstance(s, Mapping)}
                self.subsets[fqdn(host, ns)].update(n for n in names if isinstance(n, str))
        elif kind == "Gateway" and str(obj.get("apiVersion", "")).startswith("networking.istio.io"):
            self._add_gateway(ns, name, spec)

    def _add_gateway(self, ns: str, name: str, spec: Mapping[str, Any]) -> None:
        info = GatewayInfo(ns, name, dict(spec.get("selector") or {}))
        for i, srv in enumerate(spec.get("servers") or []):
            port = srv.get("port") or {}
            tls = srv.get("tls") or {}
            info.servers.append(
                ServerInfo(
                    i,
                    int(port.get("number") or 0),
                    str(port.get("name") or ""),
                    str(port.get("protocol") or "").upper(),
                    str(srv.get("bind") or ""),
                    [split_scoped_host(h) for h in srv.get("hosts") or []],
                    tls.get("mode"),
                    tls.get("credentialName"),
                )
            )
        self.gateways[(ns, name)] = info
        self.gateway_names[name].append(ns)

    # -- checking --------------------------------------------------------------------------------

    def check(self, objs: Sequence[Manifest]) -> list[Diagnostic]:
        """Add ``objs`` to the index and return the findings that involve them."""
        self.add(objs)
        out: list[Diagnostic] = []
        for obj in objs:
            kind = obj.get("kind")
            if kind == "Gateway" and str(obj.get("apiVersion", "")).startswith("networking.istio.io"):
                out.extend(self._check_gateway(obj))
            elif kind == "VirtualService":
                out.extend(self._check_virtual_service(obj))
        return out

    def workloads_for(self, selector: Mapping[str, str]) -> list[WorkloadInfo]:
        return [w for w in self.workloads.values() if _selects(selector, w.labels)]

    def _service_ports(self, w: WorkloadInfo) -> set[int] | None:
        if not w.managed:
            return w.service_ports
        ports: set[int] = set()
        found = False
        for svc in self.services.get(w.namespace, []):
            spec = svc.get("spec") or {}
            if _selects(spec.get("selector") or {}, w.labels):
                found = True
                for p in spec.get("ports") or []:
                    ports.add(int(p.get("port") or 0))
                    tp = p.get("targetPort")
                    if isinstance(tp, int):
                        ports.add(tp)
        return ports if found else set()

    def _check_gateway(self, obj: Manifest) -> list[Diagnostic]:
        key = _key(obj)
        gw = self.gateways[(key[1], key[2])]
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
            for srv in gw.servers:
                path = f"spec.servers[{srv.index}]"
                if ports is not None and srv.number not in ports:
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
                if srv.credential_name and w.namespace not in self.secrets.get(srv.credential_name, set()):
                    elsewhere = sorted(self.secrets.get(srv.credential_name, set()))
                    if elsewhere:
                        out.append(
                            _diag(
                                key,
                                "IST0101",
                                Level.ERROR,
                                f"{path}.tls.credentialName",
                                f"secret {srv.credential_name!r} is in namespace(s) {', '.join(elsewhere)}, "
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
                                f"{path}.tls.credentialName",
                                f"secret {srv.credential_name!r} is not declared in this program; it must "
                                f"exist in namespace {w.namespace!r} before traffic arrives, or the server "
                                "is never served",
                            )
                        )
                out.extend(self._check_conflicts(key, gw, w, srv))
        return out

    def _check_conflicts(
        self, key: Key, gw: GatewayInfo, w: WorkloadInfo, srv: ServerInfo
    ) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        slot = self.listeners[((w.namespace, w.name), srv.number, srv.bind)]
        me = (gw.namespace, gw.name)
        for _, host in srv.hosts:
            for other_gw, other_idx, other_host in slot:
                if (other_gw, other_idx) == (me, srv.index):
                    continue
                if hosts_intersect(host, other_host):
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
            slot.append((me, srv.index, host))
        return out

    def _check_virtual_service(self, obj: Manifest) -> list[Diagnostic]:
        key = _key(obj)
        ns = key[1]
        spec = obj.get("spec") or {}
        out: list[Diagnostic] = []
        gateways = spec.get("gateways")
        refs = list(gateways) if gateways is not None else ["mesh"]
        hosts = [h for h in spec.get("hosts") or [] if isinstance(h, str)]
        export_to = spec.get("exportTo")
        bound: list[GatewayInfo] = []
        for i, ref in enumerate(refs):
            if ref == "mesh":
                continue
            gns, sep, gname = str(ref).partition("/")
            if not sep:
                gns, gname = ns, str(ref)
            gw = self.gateways.get((gns, gname))
            if gw is None:
                others = self.gateway_names.get(gname, [])
                hint = (
                    f"; did you mean {', '.join(f'{o}/{gname}' for o in sorted(others))}?"
                    if others
                    else "; declare the Gateway before the routes that bind to it"
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
            if export_to is not None and not _exported(export_to, ns, gw.namespace):
                out.append(
                    _diag(
                        key,
                        "MGW0132",
                        Level.ERROR,
                        "spec.exportTo",
                        f"exportTo {export_to} hides this route from gateway {gw.namespace}/{gw.name}; add "
                        f"{gw.namespace!r} or '*' to exportTo",
                    )
                )
        mesh_bound = "mesh" in refs
        for i, host in enumerate(hosts):
            if bound and not any(self._serves(gw, ns, host) for gw in bound):
                names = ", ".join(f"{g.namespace}/{g.name}" for g in bound)
                served = sorted({h for g in bound for s in g.servers for _, h in s.hosts})
                out.append(
                    _diag(
                        key,
                        "IST0132",
                        Level.WARNING if mesh_bound else Level.ERROR,
                        f"spec.hosts[{i}]",
                        f"host {host!r} is not served by the bound gateway(s) {names} (they serve "
                        f"{', '.join(served)}), so requests for it get a 404; add it to a server's "
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
        out.extend(self._check_destinations(key, spec))
        return out

    def _serves(self, gw: GatewayInfo, vs_ns: str, host: str) -> bool:
        for srv in gw.servers:
            for hns, hname in srv.hosts:
                if hns not in ("*", vs_ns) and not (hns == "." and vs_ns == gw.namespace):
                    continue
                if hosts_intersect(hname, host):
                    return True
        return False

    def _check_destinations(self, key: Key, spec: Mapping[str, Any]) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        for block in ("http", "tcp", "tls"):
            for r, rule in enumerate(spec.get(block) or []):
                dests = [
                    (f"route[{d}].destination", x.get("destination") or {})
                    for d, x in enumerate(rule.get("route") or [])
                ]
                if block == "http" and rule.get("mirror"):
                    dests.append(("mirror", rule["mirror"]))
                for path, dest in dests:
                    subset = dest.get("subset")
                    host = dest.get("host")
                    if not subset or not isinstance(host, str):
                        continue
                    full = fqdn(host, key[1])
                    if subset not in self.subsets.get(full, set()):
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
                                f"spec.{block}[{r}].{path}.subset",
                                f"subset {subset!r} of host {host!r} is not defined ({fix}); requests "
                                "routed to it fail with 503. Add the subset to a DestinationRule for "
                                f"{full}",
                            )
                        )
        return out


def _exported(export_to: Sequence[str], vs_ns: str, gw_ns: str) -> bool:
    for e in export_to:
        if e == "*" or e == gw_ns or (e == "." and vs_ns == gw_ns):
            return True
    return False


def host_served(gw: GatewayInfo, host: str) -> bool:
    """Whether any server of ``gw`` matches ``host`` (namespace scoping ignored)."""
    return any(host_matches(h, host) for s in gw.servers for _, h in s.hosts)
