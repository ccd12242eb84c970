"""Role and RoleBinding that let the gateway's identity read TLS secrets in its own namespace."""

from __future__ import annotations

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = ["render_role", "render_role_binding"]

_RBAC = "rbac.authorization.k8s.io/v1"


def render_role(spec: WorkloadSpec) -> Manifest:
    """Render the Role (``rbac.authorization.k8s.io/v1``), named after the ServiceAccount.

    Exactly one rule: ``get``, ``watch`` and ``list`` on ``secrets`` in the core group, in the pod
    namespace only.

    Args:
        spec: A managed workload.

    Returns:
        The Role as a plain dict.
    """
    return manifest(
        _RBAC,
        "Role",
        object_meta(spec.name, spec.namespace, workload_labels(spec)),
        rules=[
            {
                # The proxy never calls the API server itself: istiod reads the certificate secret
                # for it, but only after a SubjectAccessReview that this ServiceAccount may `list
                # secrets` in the pod's namespace (SDS authorization, pilot/pkg/credentials/kube).
                # Without this rule every credentialName of the Gateway is refused.
                "apiGroups": [""],
                "resources": ["secrets"],
                "verbs": ["get", "watch", "list"],
            }
        ],
    )


def render_role_binding(spec: WorkloadSpec) -> Manifest:
    """Render the RoleBinding of :func:`render_role` to the workload's ServiceAccount.

    Args:
        spec: A managed workload.

    Returns:
        The RoleBinding as a plain dict (same name as the Role and the ServiceAccount).
    """
    return manifest(
        _RBAC,
        "RoleBinding",
        object_meta(spec.name, spec.namespace, workload_labels(spec)),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": spec.name},
        # The chart leaves the subject namespace empty (it defaults to the binding's); it is spelled
        # out here so the binding reads unambiguously in a diff.
        subjects=[{"kind": "ServiceAccount", "name": spec.name, "namespace": spec.namespace}],
    )
