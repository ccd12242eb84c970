"""The whole mesh as one typed value: what a stack's config declares.

``MeshSpec.from_config`` takes the raw ``meshgw:*`` config values and returns a validated spec, or
raises one ConfigError listing every problem with its config path (``gateways[0].servers[1].tls.mode``).
Cross-object checks (does the workload a Gateway names exist, does a route's host have a Gateway
that serves it) live in :mod:`pulumi_meshgw.plan`, which sees the rendered objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from ..errors import ConfigError
from ._base import SpecModel
from .addressing import AddressPoolSpec
from .egress import EgressGatewaySpec
from .external import ExternalObject
from .partial import CONFIG_KEYS, parse_partial
from .resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from .workload import WorkloadSpec

__all__ = ["CONFIG_KEYS", "MeshSpec"]


class MeshSpec(SpecModel):
    """Everything one stack declares."""

    workloads: list[WorkloadSpec] = Field(default_factory=list)
    gateways: list[GatewaySpec] = Field(default_factory=list)
    virtual_services: list[VirtualServiceSpec] = Field(default_factory=list)
    destination_rules: list[DestinationRuleSpec] = Field(default_factory=list)
    egress_gateways: list[EgressGatewaySpec] = Field(default_factory=list)
    """Egress gateways, each with its destinations, policies and telemetry. Default: none."""
    external: list[ExternalObject] = Field(default_factory=list)
    """Objects managed outside this stack that its routes and Gateways refer to (Gateways,
    Services, Secrets, workloads, DestinationRule subsets), so that references to them are checked
    instead of reported missing. Default: none."""
    address_pools: list[AddressPoolSpec] = Field(default_factory=list)
    """CIDR blocks that workload addresses (``address: {pool: NAME}``) and egress VIPs
    (``vipPool: NAME``) are allocated from, deterministically and stably (docs/addressing.md).
    Default: none."""

    @classmethod
    def from_config(cls, values: Mapping[str, Any]) -> MeshSpec:
        """Build from ``{"workloads": [...], "gateways": [...], ...}`` (config keys without namespace).

        Every item is validated, problems from all items are collected, and one ConfigError is raised.
        """
        partial = parse_partial(values)
        if partial.problems:
            raise ConfigError(partial.problems)
        return cls(**partial.fields)
