"""The NetworkPolicy that narrows what reaches the gateway pods and what they reach."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..constants import ENVOY_PROM_PORT, ISTIOD_PORTS, METRICS_PORT, ROOT_NAMESPACE
from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels
from .service import ServicePortSpec, resolve_service_ports

__all__ = ["render_network_policy"]

_ISTIOD_XDS_PORT = ISTIOD_PORTS[0]

_NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def _ingress(spec: WorkloadSpec, ports: Sequence[ServicePortSpec]) -> list[dict[str, Any]]:
    # The Service's target ports (the status port included) are what clients and the load balancer
    # send to; their source IPs are arbitrary (client IPs are preserved), so there is no `from`.
    serving = sorted({(p.effective_target_port, p.protocol) for p in resolve_service_ports(spec, ports)})
    rules: list[dict[str, Any]] = [{"ports": [{"port": port, "protocol": proto} for port, proto in serving]}]
    metrics_ports = [{"port": METRICS_PORT, "protocol": "TCP"}, {"port": ENVOY_PROM_PORT, "protocol": "TCP"}]
    namespaces = sorted(set(spec.network_policy.metrics_namespaces))
    if namespaces:
        sources = [{"namespaceSelector": {"matchLabels": {_NAMESPACE_NAME_LABEL: ns}}} for ns in namespaces]
    else:
        # Any pod in the cluster, but not the outside world.
        sources = [{"namespaceSelector": {}}]
    rules.append({"from": sources, "ports": metrics_ports})
    return rules


def _egress(spec: WorkloadSpec, backends: Sequence[str] | None) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        # Kept as its own rule: DNS is what breaks first and most confusingly, and an override that
        # narrows the other rules should not take it away. Any namespace, because the cluster DNS
        # does not live in kube-system everywhere (OpenShift runs openshift-dns).
        {
            "to": [{"namespaceSelector": {}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        # istiod: xDS and certificates, on 15012 only.
        {
            "to": [{"namespaceSelector": {"matchLabels": {_NAMESPACE_NAME_LABEL: ROOT_NAMESPACE}}}],
            "ports": [{"port": _ISTIOD_XDS_PORT, "protocol": "TCP"}],
        },
    ]
    if backends is None:
        # The routes are not known here (a workload rendered without its Gateways): any pod.
        rules.append({"to": [{"namespaceSelector": {}}]})
    elif backends:
        # The namespaces the routes send to. No port list: a NetworkPolicy matches the pod's port
        # after the Service's translation, and a route names the Service port, not the pod's.
        rules.append(
            {
                "to": [
                    {"namespaceSelector": {"matchLabels": {_NAMESPACE_NAME_LABEL: ns}}}
                    for ns in sorted(set(backends))
                ]
            }
        )
    cidrs = sorted(set(spec.network_policy.egress_cidrs))
    if cidrs:
        rules.append({"to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]})
    return rules


def render_network_policy(
    spec: WorkloadSpec, ports: Sequence[ServicePortSpec], backends: Sequence[str] | None = None
) -> Manifest | None:
    """Render the ``networking.k8s.io/v1`` NetworkPolicy, or None unless ``network_policy.enabled``.

    What it allows (``policyTypes`` Ingress and Egress on the gateway pods):

    - Ingress from anywhere to the Service's target ports (``target_port`` or ``port``, with their
      protocol), including the status port 15021 that load balancers and the kubelet probe.
    - Ingress to 15020 (merged metrics) and 15090 (Envoy metrics) from pods in any namespace, or
      only from ``metrics_namespaces`` when given (matched on ``kubernetes.io/metadata.name``).
    - Egress to DNS (UDP and TCP 53) in any namespace, to istiod (15012 in ``istio-system``), to
      the namespaces of the routes' destinations (``backends``; every namespace when they are not
      known), and to each ``egress_cidrs`` block. Default: no CIDRs.

    What it guarantees, on a CNI that enforces NetworkPolicy: nothing outside the cluster reaches
    the gateway except on its Service ports; nothing outside the cluster is reachable from it
    except ``egress_cidrs``, so a compromised or misrouted proxy cannot call arbitrary internet
    hosts. What it does not guarantee:

    - Anything at all without an enforcing CNI (the object is accepted and ignored).
    - Which pods inside the cluster reach the listener ports, or which ports of the backends'
      namespaces the gateway reaches (the routes name Service ports, the policy would need the
      pods'). Use AuthorizationPolicy and the backends' own policies for that.
    - Reachability of destinations outside the pod network: external route backends (ServiceEntry
      hosts), an istiod outside the cluster (managed control planes), or a DNS cache on the node's
      host network or a link-local address (NodeLocal DNSCache). Add their ranges to
      ``egress_cidrs``, or routes fail with 503.

    Args:
        spec: A managed workload.
        ports: The ports given to :func:`~pulumi_meshgw.render.service.render_service`, so the
            policy opens exactly what the Service exposes.
        backends: The namespaces of the destinations of the routes bound to the workload's
            Gateways. Default: None, unknown, which allows every namespace.

    Returns:
        The NetworkPolicy as a plain dict, or None when disabled. Default: enabled.
    """
    if not spec.network_policy.enabled:
        return None
    return manifest(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        object_meta(spec.name, spec.namespace, workload_labels(spec)),
        spec={
            "podSelector": {"matchLabels": dict(sorted(spec.selector_labels.items()))},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": _ingress(spec, ports),
            "egress": _egress(spec, backends),
        },
    )
