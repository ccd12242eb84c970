"""DestinationRule subsets against the pods, and DestinationRule hosts against the services.

After Istio's ``pkg/config/analysis/analyzers/destinationrule/subset.go``
(``PodNotSelectedAnalyzer``), with its exact conditions:

- IST0174 (warning): the rule's ``host`` names no Service or ServiceEntry host visible from the
  rule's namespace under its ``exportTo`` (``util.GetDestinationHost``, as for routes).
- IST0173 (error): a subset whose selector matches no pod. The selector is the subset's ``labels``
  merged with the ``workloadSelector`` of the ServiceEntry the host resolves to (a Kubernetes
  Service contributes none: Istio converts it to a ServiceEntry without one). Pods of *every*
  namespace count, with the labels istiod adds to them (``label.AugmentLabels``): the node name as
  ``kubernetes.io/hostname`` and the node's region, zone and subzone. A subset without labels on a
  host without a workload selector matches any pod, so it is reported only when there is none.

Where we differ: Deployments, ReplicaSets, StatefulSets and DaemonSets count as the pods their
template makes (Istio reads Pods only). IST0174 is reported only on an input that is the whole mesh
(``meshgw check``, or a cluster dump, which carries Pods): a program's index does not hold the
Services its rules are for. IST0173 is reported only on an input that carries Pods: manifests
without Pods, such as a program's or Istio's documented examples, do not show which pods run, and
Istio then reports every subset with labels (docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from .._access import Key, Manifest, api_group, key_of, labels, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..hosts import fqdn, service_of
from ..index import ISTIO_NETWORKING_GROUP, MeshIndex, visible
from ._base import WORKLOADS, Analyzer
from ._base import diag as _diag

_HOSTNAME = "kubernetes.io/hostname"
# node label -> pod label istiod sets from it (pilot/pkg/serviceregistry/util/label/label.go)
_LOCALITY = {
    "topology.kubernetes.io/region": "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "topology.istio.io/subzone": "topology.istio.io/subzone",
}
_AUGMENTED = frozenset({_HOSTNAME, *_LOCALITY.values()})


def _check(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    key = key_of(obj)
    spec = mapping(obj.get("spec"))
    host = text(spec.get("host"))
    if host is None or not (index.hosts_complete or index.pods_given):
        return []  # schema validation reports a missing host
    if not index.resolves(key[1], spec.get("exportTo"), host):
        return [
            _diag(
                key,
                "IST0174",
                Level.WARNING,
                "spec.host",
                f"host {host!r} (as {fqdn(host, key[1])}) is no Service or ServiceEntry host visible in "
                f"namespace {key[1]}, so this DestinationRule applies to nothing; name the Service "
                "(a short name resolves in the rule's own namespace) or add its ServiceEntry",
            )
        ]
    if not index.pods_given:
        return []
    base = _entry_selector(index, key[1], spec.get("exportTo"), host)
    out: list[Diagnostic] = []
    for i, raw in enumerate(seq(spec.get("subsets"))):
        subset = mapping(raw)
        name = text(subset.get("name")) or ""
        selector = {**base, **labels(subset.get("labels"))}
        if _selects_a_pod(index, selector):
            continue
        wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items())) or "any labels"
        out.append(
            _diag(
                key,
                "IST0173",
                Level.ERROR,
                f"spec.subsets[{i}].labels",
                f"subset {name!r} selects pods with {wanted}, and no pod in any namespace has them, so "
                "requests routed to it fail with 503 UH (no healthy upstream); fix the labels or deploy "
                "the pods",
            )
        )
    return out


def _entry_selector(index: MeshIndex, ns: str, export_to: object, host: str) -> dict[str, str]:
    """The ``workloadSelector`` labels of the ServiceEntry ``host`` resolves to; none for a
    Kubernetes Service, which Istio's ``InitServiceEntryHostMap`` writes over a ServiceEntry of the
    same host and scope."""
    full = fqdn(host, ns)
    svc = service_of(full)
    if svc is not None and svc[0] in index.services.get(svc[1], {}):
        return {}
    wanted = visible(export_to, ns) if export_to else {ns}
    for se in index.entries.get(host, []) + (index.entries.get(full, []) if full != host else []):
        se_ns = key_of(se)[1]
        se_spec = mapping(se.get("spec"))
        scopes = visible(se_spec.get("exportTo"), se_ns)
        if scopes is None or wanted is None or scopes & wanted:
            return labels(mapping(se_spec.get("workloadSelector")).get("labels"))
    return {}


def _selects_a_pod(index: MeshIndex, selector: Mapping[str, str]) -> bool:
    if not selector:
        return bool(index.workloads)
    if not _AUGMENTED & selector.keys():
        return bool(index.workloads_for(selector))
    return any(all(pod.get(k) == v for k, v in selector.items()) for pod in _augmented_pods(index))


def _augmented_pods(index: MeshIndex) -> list[dict[str, str]]:
    """Every workload's pod labels with the node labels istiod adds (``label.AugmentLabels``).
    Scans the objects: only selectors on those labels need it."""
    nodes = {k[2]: labels(mapping(o.get("metadata")).get("labels")) for k, o in _of_kind(index, "", "Node")}
    out: list[dict[str, str]] = []
    for key, obj in index.objects.items():
        if (api_group(obj), key[0]) not in WORKLOADS:
            continue
        w = index.workloads.get((key[1], key[2]))
        if w is None:
            continue
        spec = mapping(obj.get("spec"))
        if key[0] != "Pod":
            spec = mapping(mapping(spec.get("template")).get("spec"))
        pod = dict(w.labels)
        node = text(spec.get("nodeName"))
        if node:
            pod[_HOSTNAME] = node
            for node_label, pod_label in _LOCALITY.items():
                value = nodes.get(node, {}).get(node_label)
                if value:
                    pod[pod_label] = value
        out.append(pod)
    return out


def _of_kind(index: MeshIndex, group: str, kind: str) -> list[tuple[Key, Manifest]]:
    return [(k, o) for k, o in index.objects.items() if k[0] == kind and api_group(o) == group]


ANALYZER = Analyzer(
    name="destinationrule-subset",
    subjects=frozenset({(ISTIO_NETWORKING_GROUP, "DestinationRule")}),
    inputs=frozenset(
        {
            (ISTIO_NETWORKING_GROUP, "DestinationRule"),
            (ISTIO_NETWORKING_GROUP, "ServiceEntry"),
            ("", "Service"),
            ("", "Node"),
            *WORKLOADS,
        }
    ),
    codes=frozenset({"IST0173", "IST0174"}),
    check=_check,
)
