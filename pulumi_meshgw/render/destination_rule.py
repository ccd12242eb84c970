"""The Istio ``DestinationRule`` (networking.istio.io/v1)."""

from __future__ import annotations

from ..constants import ISTIO_NETWORKING
from ..spec.resources import DestinationRuleSpec
from ._meta import Manifest, deep_merge, manifest, object_meta, standard_labels

__all__ = ["render_destination_rule"]


def render_destination_rule(spec: DestinationRuleSpec) -> Manifest:
    """Render a DestinationRule: subsets and traffic policy for one host."""
    body = spec.dump()
    for key in ("name", "namespace", "overrides"):
        body.pop(key, None)
    obj = manifest(
        ISTIO_NETWORKING,
        "DestinationRule",
        object_meta(spec.name, spec.namespace, standard_labels(spec.name, "traffic-policy")),
        spec=body,
    )
    return deep_merge(obj, spec.overrides) if spec.overrides else obj
