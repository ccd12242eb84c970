"""The Service in front of the gateway pods: its type, ports and load-balancer annotations.

Follows Istio's gateway chart (``templates/service.yaml``): the status port first, ``targetPort``
equal to ``port`` unless told otherwise, selector = the pod selector labels. The load-balancer
annotations per cloud and exposure are this library's (the chart leaves them to the user).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..constants import STATUS_PORT
from ..spec.workload import Cloud, Exposure, WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .addressing import address_annotations
from .deployment import workload_labels

__all__ = [
    "STATUS_SERVICE_PORT",
    "ServicePortSpec",
    "load_balancer_annotations",
    "render_service",
    "resolve_service_ports",
]


@dataclass(frozen=True)
class ServicePortSpec:
    """One port of the gateway Service.

    Attributes:
        name: Port name. Istio reads the protocol from its prefix (``http``, ``https``, ``tcp``, ...).
        port: The Service port.
        target_port: The container port. Default: ``port`` (the modern chart does no 80->8080
            remapping: the pod may bind low ports thanks to the unprivileged-port sysctl).
        protocol: ``TCP`` or ``UDP``. Default: ``TCP``.
    """

    name: str
    port: int
    target_port: int | None = None
    protocol: str = "TCP"

    @property
    def effective_target_port(self) -> int:
        """The port the pods listen on: ``target_port``, or ``port`` when unset."""
        return self.target_port if self.target_port is not None else self.port


STATUS_SERVICE_PORT = ServicePortSpec("status-port", STATUS_PORT)

# Istio protocol prefixes of port names (protocol selection, "<protocol>[-<suffix>]").
_APP_PROTOCOLS = ("grpc-web", "http2", "https", "http", "grpc", "tls", "tcp", "mongo", "mysql", "redis")

# Annotation sets per (cloud, exposure). Only LoadBalancer exposures appear; absent means none.
_LB_ANNOTATIONS: dict[tuple[Cloud, Exposure], dict[str, str]] = {
    # AWS Load Balancer Controller, not the legacy in-tree provider: "external" hands the Service to
    # the controller, and "ip" targets send traffic straight to pod IPs (no extra node hop, client
    # IP preserved, and health checks that follow the pods).
    (Cloud.AWS, Exposure.PUBLIC): {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    },
    (Cloud.AWS, Exposure.INTERNAL): {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        # The controller's default scheme is internal, but a gateway that must stay private should
        # not depend on a default.
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    },
    (Cloud.GCP, Exposure.INTERNAL): {"networking.gke.io/load-balancer-type": "Internal"},
    (Cloud.AZURE, Exposure.INTERNAL): {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
}


def resolve_service_ports(spec: WorkloadSpec, ports: Sequence[ServicePortSpec]) -> list[ServicePortSpec]:
    """The final, ordered port list of the gateway Service.

    Order: ``status-port`` 15021 always first (AWS ELBs health-check the first port; istio#12503),
    then ``ports`` sorted by port number, then ``spec.service.extra_ports`` in the order written.

    De-duplication: ``ports`` are de-duplicated by port number, keeping the first in sort order
    (port, then name, protocol and target port, so the result does not depend on input order); an
    entry on 15021 is dropped in favour of the status port. An extra port whose port number and
    protocol are already present is skipped (the derived one wins), so listing a port that a Gateway
    already exposes is harmless; a different protocol on the same number (e.g. UDP 443 for HTTP/3)
    is kept. Name clashes between distinct ports are not resolved here: the caller must keep port
    names unique, or the API server rejects the Service.

    Args:
        spec: A managed workload.
        ports: Ports derived from the Gateways bound to the workload, in any order.

    Returns:
        The ports, status port first.
    """
    out = [STATUS_SERVICE_PORT]
    seen_numbers = {STATUS_PORT}
    ordered = sorted(ports, key=lambda p: (p.port, p.name, p.protocol, p.effective_target_port))
    for p in ordered:
        if p.port in seen_numbers:
            continue
        seen_numbers.add(p.port)
        out.append(p)
    seen_pairs = {(p.port, p.protocol) for p in out}
    for extra in spec.service.extra_ports:
        key = (extra.port, extra.protocol)
        if key in seen_pairs:
            continue
        seen_pairs.add(key)
        out.append(ServicePortSpec(extra.name, extra.port, extra.target_port, extra.protocol))
    return out


def _app_protocol(name: str) -> str | None:
    for proto in _APP_PROTOCOLS:
        if name == proto or name.startswith(proto + "-"):
            return proto
    return None


def _port_entry(p: ServicePortSpec, *, app_protocol: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": p.name, "port": p.port, "protocol": p.protocol}
    proto = _app_protocol(p.name) if app_protocol else None
    if proto is not None:
        entry["appProtocol"] = proto
    entry["targetPort"] = p.effective_target_port
    return entry


def load_balancer_annotations(spec: WorkloadSpec) -> dict[str, str]:
    """The provider annotations :func:`render_service` derives, before ``service.annotations``.

    Args:
        spec: A managed workload.

    Returns:
        AWS (Load Balancer Controller): type ``external``, NLB target type ``ip`` and scheme
        ``internet-facing`` or ``internal``. GCP internal: ``networking.gke.io/load-balancer-type:
        Internal``. Azure internal: ``azure-load-balancer-internal: "true"``. Public exposure on GCP
        and Azure, cloud ``none`` and ``cluster`` exposure: none.
    """
    if spec.exposure is None:
        return {}
    return dict(_LB_ANNOTATIONS.get((spec.cloud, spec.exposure), {}))


def render_service(spec: WorkloadSpec, ports: Sequence[ServicePortSpec]) -> Manifest:
    """Render the gateway ``v1`` Service.

    - Type: ``LoadBalancer`` for exposure ``public`` and ``internal``, ``ClusterIP`` for ``cluster``.
    - Ports: see :func:`resolve_service_ports` (status port first, then sorted, then extras).
      ``appProtocol`` is set from a name's Istio protocol prefix on ``ClusterIP`` Services only,
      where in-mesh clients (sidecars calling an egress gateway) are the readers. It is left off
      LoadBalancer Services because cloud controllers act on it: Azure switches the load balancer's
      health probe to ``GET /`` on the traffic port for ``http``/``https``, which a gateway answers
      with 404, taking it out of rotation (Azure/AKS#3646). Istio derives the same protocol from
      the port name anyway.
    - Annotations: :func:`load_balancer_annotations`, with ``spec.service.annotations`` merged over
      them. Default: none besides the derived ones.
    - ``externalTrafficPolicy``: ``spec.service.external_traffic_policy``, else ``Local`` for
      LoadBalancer (keeps the client source IP and avoids a second node hop). Never set on
      ClusterIP, where the API server rejects it. Default: ``Local``.
    - ``loadBalancerSourceRanges`` and ``loadBalancerClass``: when set, LoadBalancer only.
      Default: unset.
    - ``loadBalancerIP`` is never emitted (deprecated since Kubernetes 1.24); a fixed address
      (``spec.address``) becomes the provider's annotation (:mod:`.addressing`).
    - Selector: ``spec.selector_labels``.

    Args:
        spec: A managed workload.
        ports: Ports derived from the Gateways bound to the workload.

    Returns:
        The Service as a plain dict.
    """
    labels = workload_labels(spec)
    is_lb = spec.exposure is not Exposure.CLUSTER
    annotations = {**load_balancer_annotations(spec), **address_annotations(spec), **spec.service.annotations}
    body: dict[str, Any] = {"type": "LoadBalancer" if is_lb else "ClusterIP"}
    body["selector"] = dict(sorted(spec.selector_labels.items()))
    body["ports"] = [_port_entry(p, app_protocol=not is_lb) for p in resolve_service_ports(spec, ports)]
    if is_lb:
        body["externalTrafficPolicy"] = spec.service.external_traffic_policy or "Local"
        if spec.service.load_balancer_class is not None:
            body["loadBalancerClass"] = spec.service.load_balancer_class
        if spec.service.load_balancer_source_ranges:
            # Sorted: the set of ranges is what matters, and a reorder must not show up as a diff.
            body["loadBalancerSourceRanges"] = sorted(set(spec.service.load_balancer_source_ranges))
    meta = object_meta(spec.name, spec.namespace, labels, annotations)
    return manifest("v1", "Service", meta, spec=body)
