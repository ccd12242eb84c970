"""The whole mesh as one typed value: what a stack's config declares.

``MeshSpec.from_config`` takes the raw ``meshgw:*`` config values and returns a validated spec, or
raises one ConfigError listing every problem with its config path (``gateways[0].servers[1].tls.mode``).
Cross-object checks (does the workload a Gateway names exist, does a route's host have a Gateway
that serves it) live in :mod:`pulumi_meshgw.plan`, which sees the rendered objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from ..errors import ConfigError, Problem, show
from ._base import SpecModel, parse
from .addressing import AddressPoolSpec
from .egress import EgressGatewaySpec
from .external import ExternalObject
from .resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from .workload import WorkloadSpec

__all__ = ["CONFIG_KEYS", "MeshSpec"]

CONFIG_KEYS: dict[str, str] = {
    "workloads": "workloads",
    "gateways": "gateways",
    "virtualServices": "virtual_services",
    "destinationRules": "destination_rules",
    "egressGateways": "egress_gateways",
    "external": "external",
    "addressPools": "address_pools",
}
"""Config keys (under the ``meshgw`` namespace) and the MeshSpec field each fills."""


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
        if not isinstance(values, Mapping):
            got = type(values).__name__
            raise ConfigError(
                [Problem("", f"the mesh config must be a mapping of config keys, got {got}", "MGW0100")]
            )
        problems: list[Problem] = []
        unknown = sorted(set(values) - set(CONFIG_KEYS))
        for key in unknown:
            problems.append(
                Problem(
                    key,
                    f"unknown config key 'meshgw:{key}'; known keys: "
                    + ", ".join(f"meshgw:{k}" for k in CONFIG_KEYS),
                    "MGW0100",
                )
            )
        fields: dict[str, list[Any]] = {}
        item_models: dict[str, type[SpecModel]] = {
            "workloads": WorkloadSpec,
            "gateways": GatewaySpec,
            "virtualServices": VirtualServiceSpec,
            "destinationRules": DestinationRuleSpec,
            "egressGateways": EgressGatewaySpec,
            "external": ExternalObject,
            "addressPools": AddressPoolSpec,
        }
        for key, field in CONFIG_KEYS.items():
            raw = values.get(key)
            if raw is None:
                continue
            if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
                problems.append(Problem(key, f"must be a list of items, got {type(raw).__name__}", "MGW0100"))
                continue
            parsed: list[Any] = []
            for i, item in enumerate(raw):
                try:
                    parsed.append(parse(item_models[key], item, prefix=(key, i)))
                except ConfigError as err:
                    problems.extend(err.problems)
            fields[field] = parsed
        if problems:
            raise ConfigError(problems)
        spec = cls(**fields)
        spec.check_unique_names()
        return spec

    def check_unique_names(self) -> None:
        """Names that become Kubernetes objects must not collide."""
        problems: list[Problem] = []

        def dupes(key: str, items: Sequence[Any], ident: Any) -> None:
            seen: dict[Any, int] = {}
            for i, item in enumerate(items):
                k = ident(item)
                if k in seen:
                    problems.append(
                        Problem(
                            f"{key}[{i}].name",
                            f"{show(k)} is already declared by {key}[{seen[k]}]; names must be unique",
                            "MGW0101",
                        )
                    )
                seen.setdefault(k, i)

        dupes("workloads", self.workloads, lambda w: w.name)
        dupes("gateways", self.gateways, lambda g: g.name)
        dupes("virtualServices", self.virtual_services, lambda v: f"{v.namespace}/{v.name}")
        dupes("destinationRules", self.destination_rules, lambda d: f"{d.namespace}/{d.name}")
        dupes("egressGateways", self.egress_gateways, lambda e: e.name)
        dupes("addressPools", self.address_pools, lambda p: p.name)
        if problems:
            raise ConfigError(problems)
