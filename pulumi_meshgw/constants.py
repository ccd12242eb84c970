"""API versions, well-known labels and annotations. One place to change when Istio moves."""

from __future__ import annotations

ISTIO_NETWORKING = "networking.istio.io/v1"
ISTIO_NETWORKING_ALPHA = "networking.istio.io/v1alpha3"  # EnvoyFilter is served only here
ISTIO_SECURITY = "security.istio.io/v1"
ISTIO_TELEMETRY = "telemetry.istio.io/v1"
CERT_MANAGER = "cert-manager.io/v1"

STATUS_PORT = 15021
"""Envoy's health/status port; the load balancer health-checks it, so it is the Service's first port."""
METRICS_PORT = 15020
ENVOY_PROM_PORT = 15090
ISTIOD_PORTS = (15012, 15017)

INJECT_TEMPLATE_ANNOTATION = "inject.istio.io/templates"
SIDECAR_INJECT_LABEL = "sidecar.istio.io/inject"
REVISION_LABEL = "istio.io/rev"
DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config"
