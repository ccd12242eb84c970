"""Role and RoleBinding that let the gateway's identity read TLS secrets in its own namespace."""

from __future__ import annotations

from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta
from .deployment import workload_labels

__all__ = ["CHECKOV_SKIP", "render_role", "render_role_binding"]

_RBAC = "rbac.authorization.k8s.io/v1"

CHECKOV_SKIP = "checkov.io/skip1"
_SKIP_REASON = (
    "CKV2_K8S_5=istiod serves this workload's TLS credentials only after a SubjectAccessReview "
    "that its ServiceAccount may list secrets in its namespace"
)


def render_role(spec: WorkloadSpec) -> Manifest:
    """Render the Role (``rbac.authorization.k8s.io/v1``), named after the ServiceAccount.

    Exactly one rule: ``list`` on ``secrets`` in the core group, in the pod namespace only. It is
    rendered only for workloads that serve a credential (see ``render_workload``).

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
                # secrets` in the pod's namespace (SDS authorization, Authorize() in
                # pilot/pkg/credentials/kube/secrets.go). That review asks for `list` alone; the
                # pods hold no API token (automountServiceAccountToken: false) to use it with.
                "apiGroups": [""],
                "resources": ["secrets"],
                "verbs": ["list"],
            }
        ],
    )


def render_role_binding(spec: WorkloadSpec) -> Manifest:
    """Render the RoleBinding of :func:`render_role` to the workload's ServiceAccount.

    Args:
        spec: A managed workload.

    The annotation ``checkov.io/skip1`` records, on the object checkov reports (its CKV2_K8S_5
    flags any binding that lets a ServiceAccount read Secrets), why this one is needed.

    Returns:
        The RoleBinding as a plain dict (same name as the Role and the ServiceAccount).
    """
    return manifest(
        _RBAC,
        "RoleBinding",
        object_meta(spec.name, spec.namespace, workload_labels(spec), {CHECKOV_SKIP: _SKIP_REASON}),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": spec.name},
        # The chart leaves the subject namespace empty (it defaults to the binding's); it is spelled
        # out here so the binding reads unambiguously in a diff.
        subjects=[{"kind": "ServiceAccount", "name": spec.name, "namespace": spec.namespace}],
    )
