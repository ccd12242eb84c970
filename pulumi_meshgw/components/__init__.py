"""The thin Pulumi layer: validate, render, check, register. Imports pulumi."""

from ._runtime import ComponentConfigError
from .egress import EgressGateway
from .external import declare_external
from .gateway import Gateway
from .ingress import IngressGateway
from .mesh import Mesh
from .routes import DestinationRule, VirtualService
from .workload import ExistingWorkload, GatewayWorkload

__all__ = [
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
]
