"""pulumi_meshgw: Pulumi components for Istio service-mesh gateways.

Intent in, everything a cluster needs out: gateway workloads (Envoy Deployments with Istio's gateway
injection), Services, RBAC, autoscaling, TLS Secrets, Gateways and the routes bound to them, created
in dependency order and checked at ``pulumi preview``.

The pure layers (:mod:`pulumi_meshgw.spec`, :mod:`pulumi_meshgw.render`,
:mod:`pulumi_meshgw.analysis`) import without Pulumi; the components load Pulumi on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError, MeshgwError, Problem, show
from .spec import (
    DestinationRuleSpec,
    EgressGatewaySpec,
    GatewaySpec,
    MeshSpec,
    Server,
    VirtualServiceSpec,
    WorkloadSpec,
)

if TYPE_CHECKING:
    from .components import (
        ComponentConfigError,
        DestinationRule,
        EgressGateway,
        ExistingWorkload,
        Gateway,
        GatewayWorkload,
        IngressGateway,
        Mesh,
        VirtualService,
        declare_external,
    )

__version__ = "0.1.0"

_COMPONENTS = {
    "ComponentConfigError",
    "DestinationRule",
    "EgressGateway",
    "ExistingWorkload",
    "Gateway",
    "GatewayWorkload",
    "IngressGateway",
    "Mesh",
    "VirtualService",
    "declare_external",
}

__all__ = [
    "ComponentConfigError",
    "ConfigError",
    "DestinationRule",
    "DestinationRuleSpec",
    "EgressGateway",
    "EgressGatewaySpec",
    "ExistingWorkload",
    "Gateway",
    "GatewaySpec",
    "GatewayWorkload",
    "IngressGateway",
    "Mesh",
    "MeshSpec",
    "MeshgwError",
    "Problem",
    "Server",
    "VirtualService",
    "VirtualServiceSpec",
    "WorkloadSpec",
    "declare_external",
]


def __getattr__(name: str) -> Any:
    # Components import pulumi (~0.3 s); load them only when asked, so `meshgw check` and the pure
    # layers stay fast and importable without the Pulumi runtime.
    if name in _COMPONENTS:
        from . import components

        return getattr(components, name)
    raise AttributeError(f"module 'pulumi_meshgw' has no attribute {show(name)}")
