"""The Istio ``AuthorizationPolicy`` (security.istio.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ..constants import ISTIO_SECURITY
from ._meta import Manifest, manifest, object_meta

__all__ = ["render_authorization_policy"]


def render_authorization_policy(
    name: str,
    namespace: str,
    selector: Mapping[str, str],
    rules: Sequence[Mapping[str, Any]],
    *,
    action: Literal["ALLOW", "DENY", "AUDIT", "CUSTOM"] = "ALLOW",
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """Render an AuthorizationPolicy on the pods that ``selector`` matches.

    With ``action: ALLOW``, a request that matches no rule is denied, so the policy is an
    allow-list. An ALLOW policy with no rules denies everything.

    Args:
        name: Object name.
        namespace: The pods' namespace (a selector only applies within it).
        selector: Pod labels (``matchLabels``).
        rules: Istio ``rules`` (``from``, ``to``, ``when``), in order.
        action: Default: ``ALLOW``.
        labels: Object labels. Default: none.

    Returns:
        The AuthorizationPolicy as a plain dict.
    """
    spec = {
        "selector": {"matchLabels": dict(sorted(selector.items()))},
        "action": action,
        "rules": [dict(r) for r in rules],
    }
    return manifest(ISTIO_SECURITY, "AuthorizationPolicy", object_meta(name, namespace, labels), spec=spec)
