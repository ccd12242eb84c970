"""The Istio ``EnvoyFilter`` (networking.istio.io/v1alpha3, the only served version) for a Gateway's
``cache`` and ``rateLimit`` options. See docs/caching.md for what they do and their limits.

Every EnvoyFilter here is scoped the same way, so that it lands on exactly one gateway's Envoys and
only on Envoys known to carry the filter and the fields it sets:

- ``workloadSelector.labels``: the gateway workload's selector labels, in the pods' namespace;
- ``match.context: GATEWAY`` and ``match.proxy.proxyVersion`` (the verified Istio range,
  :data:`~pulumi_meshgw.constants.ENVOY_FILTER_PROXY_VERSION`) on every patch;
- an explicit ``priority`` (Istio's analyzers flag relative patches without one: IST0151/IST0155).

Filter order: both filters are inserted right before the router. Patches apply in ascending
priority, and each ``INSERT_BEFORE router`` lands between the previous ones and the router, so the
chain ends ``... local rate limit (priority 10), cache (priority 20), router``: every request counts
against the limit, and the cache sits directly before the router, as Envoy requires.

The filters' names are unique per Gateway (``meshgw.cache.<namespace>.<gateway>``), so several
Gateways on one workload each get their own filter; Envoy finds the extension by its type URL and
the per-virtual-host config by the filter's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..constants import ISTIO_NETWORKING_ALPHA
from ..spec.envoy_filters import HttpCache, LocalRateLimit, VirtualHostRef, duration_ms, virtual_hosts
from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from ._meta import Manifest, manifest, object_meta, standard_labels

__all__ = [
    "CACHE_PRIORITY",
    "RATE_LIMIT_PRIORITY",
    "TYPE_CACHE",
    "TYPE_FILTER_CONFIG",
    "TYPE_LOCAL_RATE_LIMIT",
    "TYPE_SIMPLE_HTTP_CACHE",
    "envoy_filter_name",
    "render_cache_filter",
    "render_rate_limit_filter",
]

RATE_LIMIT_PRIORITY = 10
"""Applied first: the local rate limit goes before the router before the cache does."""
CACHE_PRIORITY = 20
"""Applied after the rate limit, so the cache is the last filter before the router. An EnvoyFilter
of yours that also inserts before the router must use a priority below 20 to keep it there."""

HCM = "envoy.filters.network.http_connection_manager"
ROUTER = "envoy.filters.http.router"
TYPE_CACHE = "type.googleapis.com/envoy.extensions.filters.http.cache.v3.CacheConfig"
TYPE_SIMPLE_HTTP_CACHE = (
    "type.googleapis.com/envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig"
)
TYPE_LOCAL_RATE_LIMIT = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
TYPE_FILTER_CONFIG = "type.googleapis.com/envoy.config.route.v3.FilterConfig"
STAT_PREFIX = "http_local_rate_limiter"
COMPONENT = "gateway-function"


def envoy_filter_name(kind: str, spec: GatewaySpec, gateway_namespace: str) -> str:
    """The name of the Envoy HTTP filter a Gateway's option inserts (``meshgw.<kind>.<ns>.<name>``)."""
    return f"meshgw.{kind}.{gateway_namespace}.{spec.name}"


def _object_name(kind: str, spec: GatewaySpec, gateway_namespace: str, pod_namespace: str) -> str:
    # EnvoyFilters live with the pods; a Gateway object elsewhere keeps its namespace in the name.
    if gateway_namespace == pod_namespace:
        return f"{spec.name}-{kind}"
    return f"{gateway_namespace}-{spec.name}-{kind}"


def _match(proxy_version: str, **where: Any) -> dict[str, Any]:
    return {"context": "GATEWAY", "proxy": {"proxyVersion": proxy_version}, **where}


def _insert_before_router(proxy_version: str, value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "applyTo": "HTTP_FILTER",
        "match": _match(
            proxy_version,
            listener={"filterChain": {"filter": {"name": HCM, "subFilter": {"name": ROUTER}}}},
        ),
        "patch": {"operation": "INSERT_BEFORE", "value": dict(value)},
    }


def _vhost_patch(proxy_version: str, vhost: VirtualHostRef, filter_name: str, config: Any) -> dict[str, Any]:
    return {
        "applyTo": "VIRTUAL_HOST",
        "match": _match(proxy_version, routeConfiguration={"vhost": {"name": vhost.name}}),
        "patch": {"operation": "MERGE", "value": {"typed_per_filter_config": {filter_name: config}}},
    }


def _envoy_filter(
    kind: str,
    spec: GatewaySpec,
    workload: WorkloadSpec,
    gateway_namespace: str,
    priority: int,
    patches: Sequence[dict[str, Any]],
) -> Manifest:
    pod_ns = workload.pod_namespace
    labels = standard_labels(spec.name, COMPONENT)
    body = {
        "workloadSelector": {"labels": dict(sorted(workload.selector_labels.items()))},
        "priority": priority,
        "configPatches": list(patches),
    }
    return manifest(
        ISTIO_NETWORKING_ALPHA,
        "EnvoyFilter",
        object_meta(_object_name(kind, spec, gateway_namespace, pod_ns), pod_ns, labels),
        spec=body,
    )


def cache_config(cache: HttpCache) -> dict[str, Any]:
    """The ``CacheConfig`` typed_config of the inserted filter (in-memory SimpleHttpCache)."""
    config: dict[str, Any] = {
        "@type": TYPE_CACHE,
        "typed_config": {"@type": TYPE_SIMPLE_HTTP_CACHE},
        "max_body_bytes": cache.max_body_bytes,
    }
    if cache.allowed_vary_headers:
        # StringMatchers, not strings: a plain list of names is what istio/istio#45748 got rejected for.
        config["allowed_vary_headers"] = [{"exact": h} for h in sorted(cache.allowed_vary_headers)]
    return config


def enable_filter_config(typed_config: Mapping[str, Any]) -> dict[str, Any]:
    """The per-virtual-host value that enables a filter inserted with ``disabled: true``.

    A ``FilterConfig`` marked ``is_optional`` whose ``config`` is the filter's own typed config
    (``typed_config``, with its ``@type``). Envoy treats a filter named in
    ``typed_per_filter_config`` as enabled; when the filter has no per-route configuration (the
    cache filter in the verified proxies), an optional entry is accepted and only enables it
    (``source/common/router/per_filter_config.cc``, ``PerFilterConfigs``: "If a filter is explicitly
    configured we treat it as enabled. The config may be nullptr because the filter could be
    optional."). A proxy whose cache filter does take a per-route config gets the same one.

    Two other forms are wrong: a ``FilterConfig`` with no ``config`` (even ``disabled: false``) is a
    configuration error in Envoy, and an empty ``config: {}`` is an ``Any`` without ``@type``, which
    Istio cannot read (``pkg/config/xds/xds.go``, ``BuildXDSObjectFromStruct``: "Any JSON doesn't
    have '@type'"): istiod's webhook rejects the EnvoyFilter, and without the webhook istiod drops
    the patch (``pilot/pkg/model/envoyfilter.go``), so the filter would stay disabled everywhere.

    Args:
        typed_config: The filter's typed config, as inserted (``@type`` required).

    Returns:
        ``{"@type": FilterConfig, "config": typed_config, "is_optional": True}``.
    """
    return {"@type": TYPE_FILTER_CONFIG, "config": dict(typed_config), "is_optional": True}


def _proto_duration(ms: int) -> str:
    """A protobuf JSON Duration (seconds only: ``1s``, ``0.500s``, ``60s``)."""
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms / 1000:.3f}s"


def rate_limit_config(limit: LocalRateLimit | None) -> dict[str, Any]:
    """A ``LocalRateLimit`` typed_config: with ``limit``, a host's bucket; without, the no-op filter
    the gateway's chain carries (no bucket, and ``filter_enabled`` defaults to 0%)."""
    config: dict[str, Any] = {"@type": TYPE_LOCAL_RATE_LIMIT, "stat_prefix": STAT_PREFIX}
    if limit is None:
        return config
    bucket = limit.token_bucket
    config["token_bucket"] = {
        "max_tokens": bucket.max_tokens,
        "tokens_per_fill": bucket.fill,
        "fill_interval": _proto_duration(duration_ms(bucket.fill_interval)),
    }
    config["filter_enabled"] = _runtime_percent("local_rate_limit_enabled", 100)
    config["filter_enforced"] = _runtime_percent("local_rate_limit_enforced", 100 if limit.enforce else 0)
    if limit.response_headers:
        config["response_headers_to_add"] = [
            {"append_action": "OVERWRITE_IF_EXISTS_OR_ADD", "header": {"key": k, "value": v}}
            for k, v in sorted(limit.response_headers.items())
        ]
    config["status"] = {"code": limit.status_code}
    return config


def _runtime_percent(key: str, percent: int) -> dict[str, Any]:
    return {"runtime_key": key, "default_value": {"numerator": percent, "denominator": "HUNDRED"}}


def render_cache_filter(spec: GatewaySpec, workload: WorkloadSpec, gateway_namespace: str) -> Manifest | None:
    """The EnvoyFilter for ``spec.cache``, or None when caching is off.

    Patches: the cache filter inserted before the router with ``disabled: true`` (Envoy's cache
    filter has no per-virtual-host config), then one ``VIRTUAL_HOST`` merge per named host and HTTP
    server port (Istio names gateway virtual hosts ``<host>:<port>``) that enables it there
    (:func:`enable_filter_config`).
    """
    cache = spec.cache
    if cache is None:
        return None
    pv = cache.version_regex
    name = envoy_filter_name("cache", spec, gateway_namespace)
    patches = [
        _insert_before_router(pv, {"name": name, "disabled": True, "typed_config": cache_config(cache)})
    ]
    patches += [
        _vhost_patch(pv, v, name, enable_filter_config(cache_config(cache)))
        for v in virtual_hosts(spec.servers, cache.hosts)
    ]
    return _envoy_filter("cache", spec, workload, gateway_namespace, CACHE_PRIORITY, patches)


def render_rate_limit_filter(
    spec: GatewaySpec, workload: WorkloadSpec, gateway_namespace: str
) -> Manifest | None:
    """The EnvoyFilter for ``spec.rate_limit``, or None when rate limiting is off.

    Patches: the local rate limit filter inserted before the router without a bucket (a no-op, as
    in Istio's "Enabling Rate Limits using Envoy" task), then one ``VIRTUAL_HOST`` merge per named
    host and HTTP server port that gives the virtual host its own token bucket.
    """
    limit = spec.rate_limit
    if limit is None:
        return None
    pv = limit.version_regex
    name = envoy_filter_name("ratelimit", spec, gateway_namespace)
    patches = [_insert_before_router(pv, {"name": name, "typed_config": rate_limit_config(None)})]
    patches += [
        _vhost_patch(pv, v, name, rate_limit_config(limit)) for v in virtual_hosts(spec.servers, limit.hosts)
    ]
    return _envoy_filter("ratelimit", spec, workload, gateway_namespace, RATE_LIMIT_PRIORITY, patches)
