"""Every object of one gateway workload, in apply order, with the user's overrides applied."""

from __future__ import annotations

from collections.abc import Sequence

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, deep_merge
from .deployment import render_deployment
from .hpa import render_hpa
from .network_policy import render_network_policy
from .pdb import render_pdb
from .rbac import render_role, render_role_binding
from .service import ServicePortSpec, render_service
from .service_account import render_service_account

__all__ = ["render_workload"]


def render_workload(spec: WorkloadSpec, ports: Sequence[ServicePortSpec]) -> list[Manifest]:
    """Render the objects of one managed gateway workload, in the order they should be applied.

    Order: ServiceAccount, Role, RoleBinding, Deployment, Service, then the
    HorizontalPodAutoscaler, PodDisruptionBudget and NetworkPolicy when they apply. The identity
    and its permissions come first so the pods can fetch their certificates as soon as they start.
    The Namespace is not included: several workloads may share one, so the caller renders it once
    with :func:`~pulumi_meshgw.render.namespace.render_namespace` (and applies
    ``overrides["Namespace"]`` there).

    As the last step, ``spec.overrides[kind]`` is deep-merged into each object
    (:func:`~pulumi_meshgw.render._meta.deep_merge`: mappings merge, other values replace, ``None``
    deletes). Default: no overrides.

    Args:
        spec: The workload. An external workload (``spec.external``) is not managed here.
        ports: Ports derived from the Gateways bound to the workload (see ``render_service``).

    Returns:
        The manifests, or ``[]`` for an external workload.
    """
    if spec.is_external:
        return []
    rendered: list[Manifest | None] = [
        render_service_account(spec),
        render_role(spec),
        render_role_binding(spec),
        render_deployment(spec),
        render_service(spec, ports),
        render_hpa(spec),
        render_pdb(spec),
        render_network_policy(spec, ports),
    ]
    out: list[Manifest] = []
    for obj in rendered:
        if obj is None:
            continue
        override = spec.overrides.get(obj["kind"])
        out.append(deep_merge(obj, override) if override else obj)
    return out
