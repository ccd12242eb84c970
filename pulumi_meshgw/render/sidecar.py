"""The Istio ``Sidecar`` (networking.istio.io/v1): what the sidecars of a namespace may see and call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..constants import ISTIO_NETWORKING
from ._meta import Manifest, manifest, object_meta

__all__ = ["NAMESPACE_SIDECAR_NAME", "render_sidecar"]

NAMESPACE_SIDECAR_NAME = "default"
"""Name of the namespace-wide Sidecar. Istio allows one Sidecar without ``workloadSelector`` per
namespace (IST0111); taking the conventional name makes a second one, made by someone else, fail
loudly at create time ("already exists") instead of silently conflicting."""


def render_sidecar(
    namespace: str,
    hosts: Iterable[str],
    *,
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """Render a namespace-wide Sidecar with ``outboundTrafficPolicy: REGISTRY_ONLY``.

    Args:
        namespace: The client namespace it applies to (every pod there: no ``workloadSelector``).
        hosts: ``namespace/dnsName`` imports (``./*``, ``istio-system/*``, ``istio-egress/*``...);
            emitted sorted and de-duplicated.
        labels: Object labels. Default: none.

    Returns:
        The Sidecar as a plain dict. With REGISTRY_ONLY, a call to a host that is not imported fails
        fast (502, BlackHoleCluster) instead of leaving the pod directly; that is a guard rail, not a
        security boundary (a pod can bypass its sidecar).
    """
    spec = {
        "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
        "egress": [{"hosts": sorted(set(hosts))}],
    }
    return manifest(
        ISTIO_NETWORKING, "Sidecar", object_meta(NAMESPACE_SIDECAR_NAME, namespace, labels), spec=spec
    )
