"""The objects that implement a gateway's network functions, beyond the Gateway itself.

Firewall rules, authentication, caching and rate limiting are options on a Gateway; each renders to
known-good Istio objects (AuthorizationPolicy, RequestAuthentication, PeerAuthentication,
EnvoyFilter...) scoped to the gateway's workload. This module is the one place that collects them,
in apply order; each function lives in its own module.
"""

from __future__ import annotations

from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from ._meta import Manifest
from .authentication import render_authentication, render_peer_authentications
from .envoy_filter import render_cache_filter, render_rate_limit_filter
from .firewall import render_firewall

__all__ = ["render_gateway_functions"]


def render_gateway_functions(spec: GatewaySpec, workload: WorkloadSpec, namespace: str) -> list[Manifest]:
    """Every object the Gateway's function options need, in apply order (after the Gateway).

    Args:
        spec: The Gateway spec, with its function options.
        workload: The workload whose pods serve it; policies select these pods and live in the
            workload's namespace (Istio applies a selector-based policy in the pods' namespace).
        namespace: The Gateway object's namespace.
    """
    out: list[Manifest] = []
    # Firewall and authentication (AuthorizationPolicies, RequestAuthentication, PeerAuthentication):
    # see render/firewall.py and render/authentication.py.
    out.extend(render_firewall(spec, workload))
    out.extend(render_authentication(spec, workload))
    out.extend(render_peer_authentications(spec))
    # EnvoyFilters (caching, local rate limiting): the rate limit first, as in the filter chain.
    out.extend(m for m in (render_rate_limit_filter(spec, workload, namespace),) if m is not None)
    out.extend(m for m in (render_cache_filter(spec, workload, namespace),) if m is not None)
    return out
