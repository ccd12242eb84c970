"""Workloads and the pods they run: by label, by namespace, and the Services in front of them.

A workload is a Deployment, StatefulSet, DaemonSet, ReplicaSet or Pod given as an object, or gateway
pods declared by their labels. Selection follows Kubernetes' label selectors
(``labels.Instance.SubsetOf`` in Istio's ``pkg/config/labels/instance.go``): every label of a
non-empty selector, looked up label by label, never by a scan of every workload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .._access import Manifest, integer, labels, mapping, seq

__all__ = ["NsName", "WorkloadIndex", "WorkloadInfo", "selects"]

NsName = tuple[str, str]


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


def selects(selector: Mapping[str, str], pod_labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(pod_labels.get(k) == v for k, v in selector.items())


class WorkloadIndex:
    """The workloads part of :class:`~.mesh.MeshIndex`: workloads by key, label and namespace, and
    the Services by namespace."""

    def __init__(self) -> None:
        super().__init__()
        self.workloads: dict[NsName, WorkloadInfo] = {}
        self._workloads_by_label: dict[tuple[str, str], set[NsName]] = defaultdict(set)
        self.workloads_by_ns: dict[str, set[NsName]] = defaultdict(set)
        self.services: dict[str, dict[str, Manifest]] = defaultdict(dict)  # namespace -> name -> Service

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

    def _set_workload(self, info: WorkloadInfo) -> None:
        old = self.workloads.get(info.key)
        if old is not None:
            for pair in old.labels.items():
                self._workloads_by_label[pair].discard(info.key)
        self.workloads[info.key] = info
        self.workloads_by_ns[info.namespace].add(info.key)
        for pair in info.labels.items():
            self._workloads_by_label[pair].add(info.key)

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
