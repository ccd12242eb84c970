"""The Namespace gateway workloads run in. Rendered once per namespace: several workloads may share it."""

from __future__ import annotations

from collections.abc import Mapping

from ..constants import REVISION_LABEL
from ._meta import Manifest, manifest, object_meta, standard_labels

__all__ = ["PSS_ENFORCE_LABEL", "render_namespace"]

PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"


def render_namespace(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    revision: str | None = None,
) -> Manifest:
    """Render a ``v1`` Namespace for gateway workloads.

    No ``istio-injection`` label is added: gateway pods ask for injection through their own
    ``sidecar.istio.io/inject`` pod label, and a namespace-wide label would also inject any other
    pod placed here. The namespace must not carry ``istio-injection=disabled`` either, or the
    gateway pods keep the placeholder image ``auto`` (``istioctl analyze`` IST0146); that is for the
    caller (or the analysis layer) to check on user ``labels``.

    ``spec.overrides["Namespace"]`` of the workloads is not applied here, because the namespace is
    shared; the caller merges it with ``deep_merge``.

    Args:
        name: The namespace name.
        labels: Extra labels, merged over the standard ones. Default: none.
        revision: Istio revision to pin the namespace to (``istio.io/rev``). Default: none (the
            pods' own labels decide).

    The label ``pod-security.kubernetes.io/enforce: restricted`` (Pod Security admission) is set
    unless ``labels`` sets it. Default: ``restricted``.

    Returns:
        The Namespace as a plain dict.
    """
    merged = standard_labels(name, "gateway-namespace", labels)
    # The API server then refuses any pod here that fails the restricted profile, whoever creates
    # it; the gateway pods pass it before and after injection (tests/test_pod_security.py).
    merged.setdefault(PSS_ENFORCE_LABEL, "restricted")
    if revision is not None:
        merged[REVISION_LABEL] = revision
    return manifest("v1", "Namespace", object_meta(name, None, merged))
