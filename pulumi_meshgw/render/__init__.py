"""Pure rendering: specs in, plain manifest dicts out (camelCase lives only here). No Pulumi imports."""

from ._meta import Manifest, deep_merge
from .destination_rule import render_destination_rule
from .egress import render_egress
from .gateway import render_gateway
from .namespace import render_namespace
from .service import ServicePortSpec
from .virtual_service import render_virtual_service
from .workload import render_workload

__all__ = [
    "Manifest",
    "ServicePortSpec",
    "deep_merge",
    "render_destination_rule",
    "render_egress",
    "render_gateway",
    "render_namespace",
    "render_virtual_service",
    "render_workload",
]
