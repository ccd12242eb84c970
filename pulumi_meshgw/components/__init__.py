"""The thin Pulumi layer: validate, render, check, register. Imports pulumi."""

from ._runtime import ComponentConfigError
from .gateway import Gateway
from .ingress import IngressGateway
from .mesh import Mesh
from .routes import DestinationRule, VirtualService
from .workload import ExistingWorkload, GatewayWorkload

__all__ = [
    "ComponentConfigError",
    "DestinationRule",
    "ExistingWorkload",
    "Gateway",
    "GatewayWorkload",
    "IngressGateway",
    "Mesh",
    "VirtualService",
]
