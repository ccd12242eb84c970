"""The PodDisruptionBudget that keeps voluntary disruptions (node drains) from emptying the gateway."""

from __future__ import annotations

from typing import Any

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = ["render_pdb"]


def render_pdb(spec: WorkloadSpec) -> Manifest | None:
    """Render the ``policy/v1`` PodDisruptionBudget, or None when it would do harm or nothing.

    Rendered only when the workload's minimum replica count (``autoscaling.min_replicas``, or
    ``replicas`` without autoscaling) is above 1: with a single pod, ``minAvailable: 1`` blocks
    every node drain forever (kubernetes#93476), which is why the chart has the same condition.
    Also None when neither ``min_available`` nor ``max_unavailable`` is set, since such a budget
    protects nothing.

    ``unhealthyPodEvictionPolicy: AlwaysAllow`` lets a drain evict pods that are not Ready (e.g.
    crash-looping), which can't serve traffic and would otherwise block the drain.

    Args:
        spec: A managed workload. ``pod_disruption_budget`` gives ``minAvailable`` or
            ``maxUnavailable``. Default: ``minAvailable: 1``.

    Returns:
        The PDB as a plain dict, or None.
    """
    budget = spec.pod_disruption_budget
    if spec.min_replicas <= 1:
        return None
    body: dict[str, Any] = {}
    if budget.min_available is not None:
        body["minAvailable"] = budget.min_available
    elif budget.max_unavailable is not None:
        body["maxUnavailable"] = budget.max_unavailable
    else:
        return None
    body["selector"] = {"matchLabels": dict(sorted(spec.selector_labels.items()))}
    body["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return manifest(
        "policy/v1",
        "PodDisruptionBudget",
        object_meta(spec.name, spec.namespace, workload_labels(spec)),
        spec=body,
    )
