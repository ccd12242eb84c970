"""API versions, well-known labels and annotations. One place to change when Istio moves."""

from __future__ import annotations

ISTIO_NETWORKING = "networking.istio.io/v1"
ISTIO_NETWORKING_ALPHA = "networking.istio.io/v1alpha3"  # EnvoyFilter is served only here
ISTIO_SECURITY = "security.istio.io/v1"
ISTIO_TELEMETRY = "telemetry.istio.io/v1"
CERT_MANAGER = "cert-manager.io/v1"

ROOT_NAMESPACE = "istio-system"
"""Istio's mesh root namespace (meshConfig ``rootNamespace``, default ``istio-system``): a
policy or a selector-less Sidecar there applies to the whole mesh, and the mesh CA key lives
there. Egress gateways read it from ``enforcement.istioNamespace``."""
SYSTEM_NAMESPACES = ("kube-system",)
"""Namespaces of the cluster itself, where gateway pods (and the Secrets they may read) never
belong."""

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

# EnvoyFilters (caching and local rate limiting; see docs/caching.md). Istio 1.22 to 1.28 ship Envoy
# 1.30 to 1.36: every one has the HttpFilter ``disabled`` flag (Envoy 1.29) and enables a disabled
# filter per virtual host with an ``is_optional`` ``FilterConfig`` (Envoy 1.27), the cache filter
# with SimpleHttpCache in Istio's proxy build, and the local rate limit fields we emit. Envoy 1.36
# deprecated that cache filter for ``cache_v2``, so newer proxies stay unmatched until verified.
ENVOY_FILTER_ISTIO_VERSIONS = (22, 28)
"""The Istio minor versions (1.x, inclusive) whose proxies our EnvoyFilters were verified against."""
ENVOY_FILTER_PROXY_VERSION = r"^1\.(2[2-8])([.-].*)?$"
"""``match.proxy.proxyVersion`` of every EnvoyFilter we render: an RE2 regex over the proxy's Istio
version (``1.24.3``, ``1.26-dev``). Keep it in step with :data:`ENVOY_FILTER_ISTIO_VERSIONS`."""
