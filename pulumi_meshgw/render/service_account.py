"""The ServiceAccount the gateway pods run as (the identity istiod issues their certificate to)."""

from __future__ import annotations

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = ["render_service_account"]


def render_service_account(spec: WorkloadSpec) -> Manifest:
    """Render the workload's ``v1`` ServiceAccount, named after the workload (as in the chart).

    Args:
        spec: A managed workload. ``service_account_annotations`` (IRSA, GKE Workload Identity, ...)
            become its annotations. Default: none.

    Returns:
        The ServiceAccount as a plain dict.
    """
    meta = object_meta(spec.name, spec.namespace, workload_labels(spec), spec.service_account_annotations)
    return manifest("v1", "ServiceAccount", meta)
