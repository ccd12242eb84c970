"""The Istio ``RequestAuthentication`` (security.istio.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..constants import ISTIO_SECURITY
from ._meta import Manifest, manifest, object_meta

__all__ = ["render_request_authentication"]


def render_request_authentication(
    name: str,
    namespace: str,
    selector: Mapping[str, str],
    jwt_rules: Sequence[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """Render a RequestAuthentication on the pods that ``selector`` matches.

    On its own it only *validates* tokens that are present: a request without a token passes. Pair
    it with an AuthorizationPolicy that requires a request principal (the library always does).

    Args:
        name: Object name.
        namespace: The pods' namespace.
        selector: Pod labels (``matchLabels``).
        jwt_rules: Istio ``jwtRules``, in order.
        labels: Object labels. Default: none.

    Returns:
        The RequestAuthentication as a plain dict.
    """
    spec = {
        "selector": {"matchLabels": dict(sorted(selector.items()))},
        "jwtRules": [dict(r) for r in jwt_rules],
    }
    meta = object_meta(name, namespace, labels)
    return manifest(ISTIO_SECURITY, "RequestAuthentication", meta, spec=spec)
