"""NetworkPolicies that force traffic out through the egress gateway.

Two kinds of policy work together (both ``networking.k8s.io/v1``):

- **Client namespaces** (:func:`render_client_network_policy`): every pod may reach DNS, the
  control plane, the egress gateway pods, its own namespace and the namespaces it is told about,
  and nothing else. No address outside the pod network is allowed, so the internet is only
  reachable through the egress gateway.
- **The egress gateway pods** (:func:`render_gateway_network_policy`): only the sources' namespaces
  may reach the listener ports, and the pods may reach the external destinations' ports (any
  address: a NetworkPolicy cannot name hosts), DNS and the control plane.

They hold only on a CNI that enforces NetworkPolicy; elsewhere the objects are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..constants import ENVOY_PROM_PORT, METRICS_PORT, STATUS_PORT
from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = [
    "ISTIOD_XDS_PORT",
    "EgressTarget",
    "render_client_network_policy",
    "render_gateway_network_policy",
]

ISTIOD_XDS_PORT = 15012
"""istiod's xDS and certificate-signing port (mutual TLS): all a proxy needs from the control plane."""

_NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
_ANYWHERE = {
    # Link-local is never an external destination, and it is where clouds serve instance metadata
    # and credentials (169.254.169.254; AWS also serves it at fd00:ec2::254, which is not
    # link-local, so it is listed on its own). The egress gateway forwards for many clients: it
    # must not become their way to the node's cloud identity.
    "0.0.0.0/0": ["169.254.0.0/16"],
    "::/0": ["fd00:ec2::254/128", "fe80::/10"],
}


@dataclass(frozen=True)
class EgressTarget:
    """The pods of one egress gateway, as a client namespace's policy allows them.

    Attributes:
        namespace: The egress gateway's namespace.
        selector: The gateway pods' labels.
        ports: The gateway's listener ports.
    """

    namespace: str
    selector: tuple[tuple[str, str], ...]
    ports: tuple[int, ...]


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {_NAMESPACE_NAME_LABEL: name}}}


def _tcp(ports: Iterable[int]) -> list[dict[str, Any]]:
    return [{"port": p, "protocol": "TCP"} for p in sorted(set(ports))]


def _dns_rule() -> dict[str, Any]:
    # Kept as its own rule: DNS is what breaks first and most confusingly. Any namespace, because
    # the cluster DNS does not live in kube-system everywhere (OpenShift runs openshift-dns).
    return {
        "to": [{"namespaceSelector": {}}],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }


def render_client_network_policy(
    namespace: str,
    name: str,
    target: EgressTarget,
    *,
    istio_namespace: str,
    mesh_namespaces: Iterable[str] = (),
    allowed_cidrs: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """Render the lock-down NetworkPolicy one egress gateway puts in one client namespace
    (``policyTypes: [Egress]``, all pods of the namespace).

    Egress is allowed, rule by rule, to:

    1. DNS, UDP and TCP 53, in any namespace;
    2. istiod on 15012 in ``istio_namespace``;
    3. the egress gateway's pods on its listener ports;
    4. every pod of the namespace itself;
    5. ``mesh_namespaces`` (``*`` means every namespace in the cluster). Default: none;
    6. ``allowed_cidrs``. Default: none.

    Everything else, in particular every address outside the pod network, is denied. When several
    egress gateways serve the namespace, each puts its own policy there; Kubernetes allows the union.

    Args:
        namespace: The client namespace.
        name: The policy's name (one per egress gateway).
        target: The egress gateway's pods and ports.
        istio_namespace: Where istiod runs.
        mesh_namespaces: Namespaces whose pods clients may call directly.
        allowed_cidrs: Addresses outside the pod network clients may reach directly.
        labels: Object labels. Default: none.

    Returns:
        The NetworkPolicy as a plain dict.
    """
    peer = {**_namespace(target.namespace), "podSelector": {"matchLabels": dict(sorted(target.selector))}}
    egress: list[dict[str, Any]] = [
        _dns_rule(),
        {"to": [_namespace(istio_namespace)], "ports": _tcp([ISTIOD_XDS_PORT])},
        {"to": [peer], "ports": _tcp(target.ports)},
        {"to": [{"podSelector": {}}]},
    ]
    mesh = sorted(set(mesh_namespaces))
    if "*" in mesh:
        egress.append({"to": [{"namespaceSelector": {}}]})
    elif mesh:
        egress.append({"to": [_namespace(ns) for ns in mesh]})
    cidrs = sorted(set(allowed_cidrs))
    if cidrs:
        egress.append({"to": [{"ipBlock": {"cidr": c}} for c in cidrs]})
    spec = {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress}
    return manifest("networking.k8s.io/v1", "NetworkPolicy", object_meta(name, namespace, labels), spec=spec)


def render_gateway_network_policy(
    workload: WorkloadSpec,
    listeners: Mapping[int, Iterable[str]],
    external_ports: Iterable[int],
    *,
    istio_namespace: str,
) -> Manifest:
    """Render the NetworkPolicy of the egress gateway pods (``policyTypes: [Ingress, Egress]``).

    Ingress:

    - each listener port, from the namespaces of the destinations served on it only;
    - the status port 15021 from anywhere (probes, and the kubelet on CNIs that police it);
    - the metrics ports 15020 and 15090 from any pod in the cluster.

    Egress: DNS, istiod on 15012, and the external destinations' ports to any address (IPv4 and
    IPv6) except link-local (169.254.0.0/16, fe80::/10) and AWS's IPv6 metadata address, where
    clouds serve instance metadata and credentials. A NetworkPolicy cannot name hosts, so "which
    host" is enforced by the Gateway, the routes and the AuthorizationPolicy, and "which addresses"
    belongs to the cloud firewall or NAT of the egress node pool.

    Args:
        workload: The gateway workload (selector and labels).
        listeners: Listener port -> the client namespaces allowed to reach it.
        external_ports: The ports of the external destinations.
        istio_namespace: Where istiod runs.

    Returns:
        The NetworkPolicy as a plain dict, named after the workload.
    """
    ingress: list[dict[str, Any]] = []
    for port in sorted(listeners):
        sources = sorted(set(listeners[port]))
        ingress.append({"from": [_namespace(ns) for ns in sources], "ports": _tcp([port])})
    ingress.append({"ports": _tcp([STATUS_PORT])})
    ingress.append({"from": [{"namespaceSelector": {}}], "ports": _tcp([METRICS_PORT, ENVOY_PROM_PORT])})
    egress: list[dict[str, Any]] = [
        _dns_rule(),
        {"to": [_namespace(istio_namespace)], "ports": _tcp([ISTIOD_XDS_PORT])},
        {
            "to": [{"ipBlock": {"cidr": c, "except": list(ex)}} for c, ex in _ANYWHERE.items()],
            "ports": _tcp(external_ports),
        },
    ]
    spec = {
        "podSelector": {"matchLabels": dict(sorted(workload.selector_labels.items()))},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": egress,
    }
    meta = object_meta(workload.name, workload.namespace, workload_labels(workload))
    return manifest("networking.k8s.io/v1", "NetworkPolicy", meta, spec=spec)
