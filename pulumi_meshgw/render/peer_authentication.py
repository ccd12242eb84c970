"""The Istio ``PeerAuthentication`` (security.istio.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping

from ..constants import ISTIO_SECURITY
from ._meta import Manifest, manifest, object_meta

__all__ = ["NAMESPACE_POLICY_NAME", "render_peer_authentication"]

NAMESPACE_POLICY_NAME = "default"
"""Istio applies the *oldest* of several namespace-wide PeerAuthentications and ignores the rest,
silently. Using the conventional name ``default`` makes a second one impossible: creating it over an
existing policy fails loudly instead of coexisting with it."""


def render_peer_authentication(
    namespace: str, mode: str, *, labels: Mapping[str, str] | None = None
) -> Manifest:
    """A namespace-wide PeerAuthentication ``default`` (no selector) with ``mtls.mode``.

    Args:
        namespace: The namespace whose workloads it governs (not the root namespace).
        mode: ``STRICT`` or ``PERMISSIVE``.
        labels: Object labels. Default: none.
    """
    meta = object_meta(NAMESPACE_POLICY_NAME, namespace, labels)
    return manifest(ISTIO_SECURITY, "PeerAuthentication", meta, spec={"mtls": {"mode": mode}})
