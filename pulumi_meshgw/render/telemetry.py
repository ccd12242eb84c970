"""The Istio ``Telemetry`` (telemetry.istio.io/v1): access logs and metrics for selected pods."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..constants import ISTIO_TELEMETRY
from ..spec.egress import EgressTelemetry
from ._meta import Manifest, manifest, object_meta

__all__ = ["render_telemetry"]


def render_telemetry(
    name: str,
    namespace: str,
    selector: Mapping[str, str],
    settings: EgressTelemetry,
    *,
    labels: Mapping[str, str] | None = None,
) -> Manifest:
    """Render a Telemetry resource scoped to the pods ``selector`` matches.

    - ``accessLogging``: one entry with ``settings.access_log_providers``; with
      ``access_logging`` off it is emitted as ``disabled: true``, so a mesh-wide default cannot turn
      it back on for these pods. ``access_log_filter`` becomes ``filter.expression``.
    - ``metrics``: one entry with ``settings.metrics_providers``; ``metric_tag_overrides`` become
      ``UPSERT`` tag overrides on all metrics; ``reporting_interval`` when set.

    Args:
        name: Object name.
        namespace: The pods' namespace.
        selector: Pod labels (``selector.matchLabels``).
        settings: What to log and measure.
        labels: Object labels. Default: none.

    Returns:
        The Telemetry as a plain dict (telemetry.istio.io/v1, which Istio serves; v1alpha1 is the
        storage version).
    """
    log: dict[str, Any] = {"providers": [{"name": p} for p in settings.access_log_providers]}
    if not settings.access_logging:
        log["disabled"] = True
    elif settings.access_log_filter:
        log["filter"] = {"expression": settings.access_log_filter}
    metrics: dict[str, Any] = {"providers": [{"name": p} for p in settings.metrics_providers]}
    if settings.metric_tag_overrides:
        metrics["overrides"] = [
            {
                "match": {"metric": "ALL_METRICS", "mode": "CLIENT_AND_SERVER"},
                "tagOverrides": {
                    tag: {"operation": "UPSERT", "value": value}
                    for tag, value in sorted(settings.metric_tag_overrides.items())
                },
            }
        ]
    if settings.reporting_interval:
        metrics["reportingInterval"] = settings.reporting_interval
    spec = {
        "selector": {"matchLabels": dict(sorted(selector.items()))},
        "accessLogging": [log],
        "metrics": [metrics],
    }
    return manifest(ISTIO_TELEMETRY, "Telemetry", object_meta(name, namespace, labels), spec=spec)
