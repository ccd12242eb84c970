"""The Istio ``VirtualService`` (networking.istio.io/v1)."""

from __future__ import annotations

from collections.abc import Sequence

from ..constants import ISTIO_NETWORKING
from ..spec.resources import VirtualServiceSpec
from ._meta import Manifest, deep_merge, manifest, object_meta, standard_labels

__all__ = ["render_virtual_service"]


def render_virtual_service(spec: VirtualServiceSpec, gateways: Sequence[str] | None = None) -> Manifest:
    """Render a VirtualService.

    Args:
        spec: The route spec. Route order is kept: Istio matches http routes first-wins.
        gateways: The bound gateways as ``namespace/name`` (and ``mesh``). Default: ``spec.gateways``
            normalised to ``namespace/name``, so a route never depends on Istio's bare-name rule.
    """
    body = spec.dump()
    for key in ("name", "namespace", "overrides"):
        body.pop(key, None)
    if gateways is None and spec.gateways is not None:
        gateways = ["mesh" if g == "mesh" else "/".join(_ref(g, spec.namespace)) for g in spec.gateways]
    if gateways is not None:
        body["gateways"] = list(gateways)
    ordered = {k: body[k] for k in ("hosts", "gateways", "http", "tcp", "tls", "exportTo") if k in body}
    obj = manifest(
        ISTIO_NETWORKING,
        "VirtualService",
        object_meta(spec.name, spec.namespace, standard_labels(spec.name, "route")),
        spec=ordered,
    )
    return deep_merge(obj, spec.overrides) if spec.overrides else obj


def _ref(ref: str, namespace: str) -> tuple[str, str]:
    ns, sep, name = ref.partition("/")
    return (ns, name) if sep else (namespace, ref)
