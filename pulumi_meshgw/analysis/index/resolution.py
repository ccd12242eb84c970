"""Service hosts, where each is visible, and how a destination host resolves.

Resolution follows Istio's ``GetDestinationHost`` (``pkg/config/analysis/analyzers/util/
service_lookup.go``): a host is visible in the scopes its ``exportTo`` (or a Service's
``networking.istio.io/exportTo`` annotation) names; wildcard ServiceEntry hosts match by suffix.
The DestinationRule a client uses is looked up as istiod does (:mod:`..rule_lookup`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._access import Manifest, key_of
from ..hosts import fqdn, service_of
from ..hostset import HostSet
from ..rule_lookup import RuleIndex, RuleInfo, visible

__all__ = ["HostIndex", "HostInfo"]


@dataclass
class HostInfo:
    """A service host the mesh knows (Kubernetes Service, ServiceEntry or declared), with its ports;
    ``ports`` None means unknown (port checks skipped)."""

    ports: set[int] | None
    sources: list[str] = field(default_factory=list)


class HostIndex:
    """The host part of :class:`~.mesh.MeshIndex`: service hosts with their ports, the scopes each
    is visible in, ServiceEntries by host, and the DestinationRules for the lookup path."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: dict[str, HostInfo] = {}  # FQDN -> ports (Services, ServiceEntries, declared)
        self._wildcard_hosts: HostSet[HostInfo] = HostSet()  # ServiceEntry hosts like *.example.com
        self.entries: dict[str, list[Manifest]] = defaultdict(list)  # ServiceEntries by host
        # Destination host resolution as Istio's analyzers/util/service_lookup.go: FQDN -> the
        # scopes it is visible in ('*' or a namespace), wildcard ServiceEntry hosts with their
        # scope, and the namespaces of each Service name (for did-you-mean).
        self.scoped_hosts: dict[str, set[str]] = defaultdict(set)
        self.scoped_wildcards: list[tuple[str, str]] = []
        self.service_namespaces: dict[str, set[str]] = defaultdict(set)
        self.hosts_complete = False
        """Whether every destination host is in the index (``meshgw check``): then a host that
        does not resolve is IST0101, as in ``istioctl analyze``. A program's index is not complete
        (it does not declare the Services it routes to)."""
        # DestinationRules without a workload selector, for the lookup path (rule_lookup.py)
        self.rules = RuleIndex()

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

    def host_info(self, host: str) -> HostInfo | None:
        """What the index knows of ``host`` (an FQDN), directly or through a wildcard entry."""
        info = self.hosts.get(host)
        if info is not None or host.startswith("*"):
            return info
        found = self._wildcard_hosts.first(host)
        return found[1] if found is not None else None
