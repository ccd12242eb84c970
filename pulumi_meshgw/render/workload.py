"""Every object of one gateway workload, in apply order, with the user's overrides applied."""

from __future__ import annotations

from collections.abc import Sequence

from ..spec.workload import WorkloadSpec
from ._meta import Manifest
from ._strategic import strategic_merge
from .deployment import render_deployment
from .hpa import render_hpa
from .network_policy import render_network_policy
from .pdb import render_pdb
from .rbac import render_role, render_role_binding
from .service import ServicePortSpec, render_service
from .service_account import render_service_account

__all__ = ["render_workload"]


def render_workload(
    spec: WorkloadSpec,
    ports: Sequence[ServicePortSpec],
    *,
    reads_secrets: bool = True,
    backends: Sequence[str] | None = None,
) -> list[Manifest]:
    """Render the objects of one managed gateway workload, in the order they should be applied.

    Order: ServiceAccount, Role and RoleBinding (only with ``reads_secrets``), Deployment, Service,
    then the
    HorizontalPodAutoscaler, PodDisruptionBudget and NetworkPolicy when they apply. The identity
    and its permissions come first so the pods can fetch their certificates as soon as they start.
    The Namespace is not included: several workloads may share one, so the caller renders it once
    with :func:`~pulumi_meshgw.render.namespace.render_namespace` (and applies
    ``overrides["Namespace"]`` there).

    As the last step, ``spec.overrides[kind]`` is merged into each object as a Kubernetes
    strategic merge patch (:func:`~pulumi_meshgw.render._strategic.strategic_merge`): mappings
    merge, ``containers``, ``volumes``, ``env`` and the other named lists merge item by item by
    name (so an env-only override of ``istio-proxy`` keeps ``image: auto`` and its hardening),
    other values replace, ``None`` deletes. Default: no overrides.

    Args:
        spec: The workload. An external workload (``spec.external``) is not managed here.
        ports: Ports derived from the Gateways bound to the workload (see ``render_service``).
        reads_secrets: Whether a Gateway or DestinationRule served by these pods uses a
            ``credentialName``; only then does the ServiceAccount get the Role that lets istiod
            serve Secrets to it. Default: true (unknown Gateways); the planner passes what the
            bound Gateways and DestinationRules need.
        backends: The namespaces the routes bound to the workload's Gateways send to, which the
            NetworkPolicy's egress is narrowed to. Default: None, unknown (every namespace).

    Returns:
        The manifests, or ``[]`` for an external workload.
    """
    if spec.is_external:
        return []
    rendered: list[Manifest | None] = [
        render_service_account(spec),
        render_role(spec) if reads_secrets else None,
        render_role_binding(spec) if reads_secrets else None,
        render_deployment(spec),
        render_service(spec, ports),
        render_hpa(spec),
        render_pdb(spec),
        render_network_policy(spec, ports, backends),
    ]
    out: list[Manifest] = []
    for obj in rendered:
        if obj is None:
            continue
        override = spec.overrides.get(obj["kind"])
        out.append(strategic_merge(obj, override) if override else obj)
    return out
