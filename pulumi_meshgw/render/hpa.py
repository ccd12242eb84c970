"""The HorizontalPodAutoscaler of the gateway Deployment."""

from __future__ import annotations

from typing import Any

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = ["render_hpa"]


def _utilization(resource: str, percent: int) -> dict[str, Any]:
    return {
        "type": "Resource",
        "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}},
    }


def render_hpa(spec: WorkloadSpec) -> Manifest | None:
    """Render the ``autoscaling/v2`` HorizontalPodAutoscaler, or None when autoscaling is off.

    Scales the Deployment of the same name between ``autoscaling.min_replicas`` and
    ``max_replicas`` on average CPU utilization, plus memory utilization when
    ``target_memory_utilization_percentage`` is set. Utilization is relative to the container's
    requests, so ``resources.requests`` must be set (they are by default). Default: on, 2-5
    replicas, 80% CPU, no memory target.

    Args:
        spec: A managed workload.

    Returns:
        The HPA as a plain dict, or None when ``autoscaling.enabled`` is false.
    """
    auto = spec.autoscaling
    if not auto.enabled:
        return None
    metrics = [_utilization("cpu", auto.target_cpu_utilization_percentage)]
    if auto.target_memory_utilization_percentage is not None:
        metrics.append(_utilization("memory", auto.target_memory_utilization_percentage))
    return manifest(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        object_meta(spec.name, spec.namespace, workload_labels(spec)),
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
            "minReplicas": auto.min_replicas,
            "maxReplicas": auto.max_replicas,
            "metrics": metrics,
        },
    )
