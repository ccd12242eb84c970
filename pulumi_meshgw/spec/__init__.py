"""Typed, validated intent. Pure: no Pulumi imports."""

from ._base import SpecModel, parse
from .egress import EgressDestination, EgressGatewaySpec, EgressMode, EgressSource
from .envoy_filters import HttpCache, LocalRateLimit, TokenBucket
from .istio import (
    ClientTLSSettings,
    Destination,
    DestinationRuleFields,
    HTTPRoute,
    Port,
    Protocol,
    Server,
    ServerTLSSettings,
    TCPRoute,
    TLSMode,
    TLSRoute,
    TrafficPolicy,
    VirtualServiceFields,
)
from .mesh import CONFIG_KEYS, MeshSpec
from .resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec, parse_gateway_ref
from .workload import Cloud, Exposure, ExternalWorkload, WorkloadSpec

__all__ = [
    "CONFIG_KEYS",
    "ClientTLSSettings",
    "Cloud",
    "Destination",
    "DestinationRuleFields",
    "DestinationRuleSpec",
    "EgressDestination",
    "EgressGatewaySpec",
    "EgressMode",
    "EgressSource",
    "Exposure",
    "ExternalWorkload",
    "GatewaySpec",
    "HTTPRoute",
    "HttpCache",
    "LocalRateLimit",
    "MeshSpec",
    "Port",
    "Protocol",
    "Server",
    "ServerTLSSettings",
    "SpecModel",
    "TCPRoute",
    "TLSMode",
    "TLSRoute",
    "TokenBucket",
    "TrafficPolicy",
    "VirtualServiceFields",
    "VirtualServiceSpec",
    "WorkloadSpec",
    "parse",
    "parse_gateway_ref",
]
