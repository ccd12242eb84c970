"""Program-time addressing for the components: AWS lookups (or their offline placeholders), pool
allocation for components declared one by one, and the registry that catches an address claimed
by two of them.

When lookups run:

- ``MESHGW_AWS_LOOKUPS=live``: always (tests point them at moto with ``AWS_ENDPOINT_URL``);
- ``MESHGW_AWS_LOOKUPS=placeholder``: never; looked-up values render as ``[lookup]``;
- unset: live under the real Pulumi engine (``pulumi preview``/``up``), placeholders under the mock
  runtime (``meshgw render``, :func:`pulumi_meshgw.testing.run`), which has no cloud credentials.
  Each skipped lookup is logged as a warning, so ``meshgw render`` says what it did not look up.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi.runtime.mocks import MockMonitor

from .. import aws
from ..errors import ConfigError, Problem, show
from ..ipam import Claim, PoolDef, allocate, pool_defs, resolve_pool_address, workload_address_problems
from ..render.addressing import LOOKUP
from ..spec.addressing import AddressPoolSpec
from ..spec.egress import EgressGatewaySpec
from ..spec.mesh import MeshSpec
from ..spec.workload import WorkloadSpec
from ._runtime import current_state

__all__ = [
    "LOOKUPS_ENV",
    "lookups_live",
    "nat_egress_ips",
    "prepare_workload",
    "resolve_mesh_lookups",
    "workload_address",
]

LOOKUPS_ENV = "MESHGW_AWS_LOOKUPS"


def lookups_live() -> bool:
    """Whether AWS lookups run now (see the module docstring)."""
    mode = os.environ.get(LOOKUPS_ENV, "").strip().lower()
    if mode in ("live", "placeholder"):
        return mode == "live"
    if mode:
        raise ConfigError(
            [
                Problem(
                    LOOKUPS_ENV, f"{show(mode)} is not a lookup mode; use 'live' or 'placeholder'", "MGW0709"
                )
            ]
        )
    return not isinstance(pulumi.runtime.settings.get_monitor(), MockMonitor)


def _skipped(what: str, path: str, resource: pulumi.Resource | None = None) -> None:
    pulumi.log.warn(
        f"{path}: AWS lookup of {what} skipped (offline run); rendered as {LOOKUP}. "
        f"Set {LOOKUPS_ENV}=live to query AWS, or list the IDs in config [MGW0709]",
        resource,
    )


def resolve_workload_lookups(w: WorkloadSpec, path: str) -> WorkloadSpec:
    """``w`` with ``address.aws`` tags replaced by the IDs they find (tags kept, for messages)."""
    a = w.address
    if a is None or a.aws is None or not a.aws.needs_lookup or w.is_external:
        return w
    found = a.aws
    if not lookups_live():
        if found.eip_tags is not None:
            _skipped("Elastic IPs by eipTags", f"{path}.address.aws.eipTags")
        if found.subnet_tags is not None:
            _skipped("subnets by subnetTags", f"{path}.address.aws.subnetTags")
        return w
    update: dict[str, list[str]] = {}
    problems: list[Problem] = []
    if found.eip_tags is not None:
        try:
            update["eip_allocations"] = aws.eip_allocations_by_tags(
                found.eip_tags, path=f"{path}.address.aws.eipTags", region=found.region
            )
        except ConfigError as err:
            problems.extend(err.problems)
    if found.subnet_tags is not None:
        try:
            update["subnets"] = aws.subnets_by_tags(
                found.subnet_tags, path=f"{path}.address.aws.subnetTags", region=found.region
            )
        except ConfigError as err:
            problems.extend(err.problems)
    if problems:
        raise ConfigError(problems)
    resolved = a.model_copy(update={"aws": found.model_copy(update=update)})
    return w.model_copy(update={"address": resolved})


def resolve_mesh_lookups(mesh: MeshSpec) -> MeshSpec:
    """The stack with every workload's AWS address lookups done (or logged as skipped)."""
    problems: list[Problem] = []
    workloads = []
    for i, w in enumerate(mesh.workloads):
        try:
            workloads.append(resolve_workload_lookups(w, f"workloads[{i}]"))
        except ConfigError as err:
            problems.extend(err.problems)
            workloads.append(w)
    if problems:
        raise ConfigError(problems)
    return mesh.model_copy(update={"workloads": workloads})


def nat_egress_ips(spec: EgressGatewaySpec, path: str = "natLookup") -> list[str]:
    """``egressIPs`` plus, with ``natLookup``, the NAT gateway addresses found (``[lookup]``
    offline), sorted and de-duplicated."""
    ips = set(spec.egress_ips)
    nat = spec.nat_lookup
    if nat is not None:
        if lookups_live():
            ips.update(
                aws.nat_gateway_ips(
                    path=f"{path}.aws",
                    subnet_ids=nat.aws.subnet_ids,
                    subnet_tags=nat.aws.subnet_tags,
                    region=nat.aws.region,
                )
            )
        else:
            _skipped("NAT gateway addresses", f"{path}.aws")
            return [*sorted(ips, key=_ip_key), LOOKUP]
    return sorted(ips, key=_ip_key)


def _ip_key(ip: str) -> tuple[int, int]:
    addr = ipaddress.ip_address(ip)
    return (addr.version, int(addr))


# -- components declared one by one ---------------------------------------------------------------


@dataclass
class _Claims:
    """Addresses claimed so far by this program's workloads (outside a Mesh, which checks its own)."""

    fixed: list[tuple[str, str, str]] = field(default_factory=list)


def _claims() -> _Claims:
    return current_state().slot(_Claims)


def prepare_workload(
    spec: WorkloadSpec, pools: Sequence[AddressPoolSpec], *, register: bool = True
) -> WorkloadSpec:
    """Make a standalone workload's address concrete and check it against the program so far.

    AWS lookups run (or are skipped offline); ``address: {pool}`` is allocated from ``pools`` (the
    same algorithm as a Mesh, so the address does not depend on declaration order unless two
    claims collide); a literal address already claimed by another workload of the program is an
    error (MGW0706).

    Raises:
        ConfigError: every problem, with paths relative to the workload (``address.aws...``).
    """
    spec = resolve_workload_lookups(spec, "")
    problems = [_relative(p) for p in workload_address_problems(spec, "")]
    if problems:
        raise ConfigError(problems)
    a = spec.address
    if a is None:
        return spec
    owner = f"workload {spec.pod_namespace}/{spec.name}"
    reg = _claims()
    if a.pool is not None:
        defs: list[PoolDef] = pool_defs(list(pools), "address_pools")
        claim = Claim(owner, a.pool, "address.ip" if a.ip else "address.pool", a.ip)
        result = allocate(defs, [claim], reg.fixed)
        problems = [_relative(p) for p in result.errors]
        if problems:
            raise ConfigError(problems)
        for w in result.warnings:
            pulumi.log.warn(str(_relative(w)))
        ip = result.addresses[owner]
        pool = next((p for p in pools if p.name == a.pool), None)
        spec = resolve_pool_address(spec, pool, ip)
    address = workload_address(spec)
    if address is not None:
        clash = allocate([], [], [*reg.fixed, (address, owner, "address")])
        if clash.errors:
            raise ConfigError(clash.errors)
        if register:
            reg.fixed.append((address, owner, "address"))
    return spec


def workload_address(spec: WorkloadSpec) -> str | None:
    """The literal address a workload's load balancer gets, where the config says it."""
    a = spec.address
    if a is None:
        return None
    if a.metallb is not None and a.metallb.ips:
        return a.metallb.ips[0]
    if a.azure is not None and a.azure.ipv4 is not None:
        return a.azure.ipv4
    return a.ip


def _relative(p: Problem) -> Problem:
    return Problem(p.path.lstrip("."), p.message, p.code)
