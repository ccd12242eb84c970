"""IP address management: fixed ingress addresses and pool allocation, checked across the stack.

Pure planning (no Pulumi, no I/O), between the spec and the plan: :func:`plan_addresses` takes a
whole :class:`~pulumi_meshgw.spec.mesh.MeshSpec` and returns it with every ``address: {pool: ...}``
turned into its concrete per-cloud form and every ``tcp`` egress destination given its VIP, plus the
problems found across all gateways of the stack.

Allocation from a pool
----------------------

Every claimant has a stable identity (``workload <namespace>/<name>``, or
``egress <namespace>/<gateway> <host>`` for an egress VIP). Its **preferred address** is the pool's
usable address at offset ``sha256(identity) mod N`` (N usable addresses: the CIDR minus the IPv4
network and broadcast addresses, or the IPv6 subnet-router address). Pinned claimants (``ip:`` /
``vip:``) and literal addresses elsewhere in the stack that fall inside the pool are placed first;
then the others, in the order of (preferred offset, identity), each take the first free,
unreserved address at or after its preferred one (wrapping around).

Guarantees, which ``tests/test_ipam.py`` checks as properties:

1. **Deterministic**: the result depends only on the set of claimants and the pools, not on the
   order they are declared in, nor on anything outside the config.
2. **Stable**: a claimant that gets its preferred address keeps it when any other claimant is
   added or removed, unless the added one pins that very address. Adding a claimant therefore
   moves only claimants that do not sit on their preferred address in the result.
3. **Visible**: every claimant that does not sit on its preferred address is reported as a warning
   (MGW0707), because it may move when other claimants change; pinning it (``ip: <address>``)
   makes it permanent. A move therefore never happens silently: the run in which it happens
   reports it.

Renaming a pool does not move addresses (the pool name is not hashed); changing its CIDR does.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import Problem, show
from .spec.addressing import AddressPoolSpec, AddressSpec, AzureAddress, MetalLBAddress
from .spec.egress import EgressGatewaySpec, EgressMode
from .spec.mesh import MeshSpec
from .spec.names import item_keys
from .spec.workload import Cloud, Exposure, WorkloadSpec

__all__ = [
    "ADDRESS_ANNOTATIONS",
    "DEFAULT_VIP_POOL",
    "AddressPlan",
    "Allocation",
    "Claim",
    "PoolDef",
    "allocate",
    "egress_vip_claims",
    "plan_addresses",
    "plan_egress_vips",
    "pool_defs",
    "resolve_pool_address",
    "workload_address_problems",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_VIP_POOL = "240.241.0.0/16"
"""Default pool of egress VIPs: class E, never routed, and outside Istio's own automatic
allocation range (240.240.0.0/16), so the two never collide."""

ADDRESS_ANNOTATIONS = frozenset(
    {
        "service.beta.kubernetes.io/aws-load-balancer-eip-allocations",
        "service.beta.kubernetes.io/aws-load-balancer-subnets",
        "networking.gke.io/load-balancer-ip-addresses",
        "service.beta.kubernetes.io/azure-pip-name",
        "service.beta.kubernetes.io/azure-load-balancer-ipv4",
        "service.beta.kubernetes.io/azure-load-balancer-resource-group",
        "metallb.io/loadBalancerIPs",
        "metallb.io/address-pool",
    }
)
"""The Service annotations ``address`` renders; setting them by hand as well is refused."""

_FORM_CLOUD = {"aws": Cloud.AWS, "gcp": Cloud.GCP, "azure": Cloud.AZURE, "metallb": Cloud.NONE}


# -- the workload's own address ------------------------------------------------------------------


def workload_address_problems(w: WorkloadSpec, path: str) -> list[Problem]:
    """Check that a workload's ``address`` fits its cloud and exposure.

    Args:
        w: The workload (a managed one; external workloads are skipped).
        path: Config path of the workload (``workloads[0]``).

    Returns:
        MGW0701 (wrong cloud or exposure, annotation set twice, ``spec.loadBalancerIP`` in
        overrides), MGW0702 (EIP count differs from the subnet count) and MGW0703 (EIPs on an
        internal load balancer).
    """
    out: list[Problem] = []
    service_override = w.overrides.get("Service", {})
    lb_ip = (service_override.get("spec") or {}).get("loadBalancerIP")
    if lb_ip is not None and not w.is_external:
        out.append(
            Problem(
                f"{path}.overrides.Service.spec.loadBalancerIP",
                "spec.loadBalancerIP is deprecated since Kubernetes 1.24 and ignored by several load "
                "balancer controllers; set address (aws, gcp, azure, metallb or pool) instead",
                "MGW0701",
            )
        )
    a = w.address
    if a is None or w.is_external:
        return out
    where = f"{path}.address"
    if w.exposure is Exposure.CLUSTER:
        out.append(
            Problem(
                where,
                "exposure 'cluster' makes a ClusterIP Service, which has no load-balancer address; use "
                "exposure public or internal, or remove address",
                "MGW0701",
            )
        )
        return out
    form = a.form
    if form == "pool":
        if w.cloud in (Cloud.AWS, Cloud.GCP):
            fix = (
                "on AWS give Elastic IPs with address.aws"
                if w.cloud is Cloud.AWS
                else "on GCP reserve an address and give its name with address.gcp.addressName"
            )
            out.append(
                Problem(
                    f"{where}.pool",
                    f"a pool address cannot be requested from the {w.cloud.value} load balancer by IP; {fix}",
                    "MGW0701",
                )
            )
    elif _FORM_CLOUD[form] is not w.cloud:
        want = _FORM_CLOUD[form].value
        out.append(
            Problem(
                f"{where}.{form}",
                f"is read by the {want} load balancer, but the workload's cloud is {show(w.cloud.value)}; "
                f"set cloud: {want} or use the address form of {show(w.cloud.value)}",
                "MGW0701",
            )
        )
    clash = sorted(ADDRESS_ANNOTATIONS & set(w.service.annotations))
    if clash:
        out.append(
            Problem(
                f"{path}.service.annotations",
                f"{', '.join(clash)} is rendered from address; remove it from service.annotations",
                "MGW0701",
            )
        )
    aws = a.aws
    if aws is not None and w.cloud is Cloud.AWS:
        if w.exposure is Exposure.INTERNAL:
            out.append(
                Problem(
                    f"{where}.aws",
                    "Elastic IPs attach only to internet-facing NLBs, and this workload's load "
                    "balancer is internal (exposure internal); remove address, or use exposure public",
                    "MGW0703",
                )
            )
        eips, subnets = aws.eip_allocations, aws.subnets
        if eips is not None and subnets is not None and len(eips) != len(subnets):
            src_e = "found by eipTags" if aws.eip_tags is not None else "in eipAllocations"
            src_s = "found by subnetTags" if aws.subnet_tags is not None else "in subnets"
            out.append(
                Problem(
                    f"{where}.aws.{'eipTags' if aws.eip_tags is not None else 'eipAllocations'}",
                    f"{len(eips)} Elastic IP allocation(s) {src_e} for {len(subnets)} subnet(s) {src_s}; "
                    "the AWS Load Balancer Controller needs exactly one EIP per subnet (one subnet per "
                    "availability zone): make the counts equal",
                    "MGW0702",
                )
            )
    return out


def resolve_pool_address(w: WorkloadSpec, pool: AddressPoolSpec | None, ip: str) -> WorkloadSpec:
    """``w`` with ``address: {pool}`` replaced by the concrete form of ``ip`` for its cloud.

    ``cloud: none`` -> MetalLB (``loadBalancerIPs`` and the pool's ``metallbPool``); ``azure`` ->
    ``azure-load-balancer-ipv4``.
    """
    if w.cloud is Cloud.AZURE:
        concrete = AddressSpec(azure=AzureAddress(ipv4=ip))
    else:
        concrete = AddressSpec(metallb=MetalLBAddress(ips=[ip], pool=pool.metallb_pool if pool else None))
    return w.model_copy(update={"address": concrete})


# -- pools ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolDef:
    """A pool as the allocator sees it.

    Attributes:
        key: ``addressPools`` name, or the CIDR itself for an egress gateway's literal ``vipPool``.
        network: The block.
        reserved: Blocks never handed out.
        path: Config path that declares it.
        spec: The declared pool, if it is one of ``meshgw:addressPools``.
    """

    key: str
    network: IPNetwork
    reserved: tuple[IPNetwork, ...] = ()
    path: str = ""
    spec: AddressPoolSpec | None = None

    @property
    def first(self) -> int:
        """The first usable address, as an integer."""
        return int(self.network.network_address) + _skip_low(self.network)

    @property
    def size(self) -> int:
        """How many addresses are usable (before reservations)."""
        n = self.network.num_addresses - _skip_low(self.network)
        if self.network.version == 4 and self.network.prefixlen <= 30:
            n -= 1  # broadcast
        return n

    def usable(self, addr: IPAddress) -> bool:
        """Whether ``addr`` lies in the usable range of the block (reservations aside)."""
        return addr.version == self.network.version and 0 <= int(addr) - self.first < self.size

    def reserved_block(self, addr: IPAddress) -> IPNetwork | None:
        for block in self.reserved:
            if addr in block:
                return block
        return None

    def describe(self) -> str:
        return (
            f"pool {show(self.key)} ({self.network})" if self.key != str(self.network) else f"pool {self.key}"
        )


def _skip_low(net: IPNetwork) -> int:
    # IPv4: the network address; IPv6: the subnet-router anycast address. /31, /32, /127 and /128
    # have neither (RFC 3021, RFC 6164).
    if (net.version == 4 and net.prefixlen <= 30) or (net.version == 6 and net.prefixlen <= 126):
        return 1
    return 0


def pool_defs(pools: Sequence[AddressPoolSpec], prefix: str = "addressPools") -> list[PoolDef]:
    """The declared pools as :class:`PoolDef`, in declaration order."""
    out = []
    for i, p in enumerate(pools):
        reserved = tuple(ipaddress.collapse_addresses(ipaddress.ip_network(r) for r in p.reserved))  # type: ignore[type-var]
        out.append(PoolDef(p.name, p.network, reserved, f"{prefix}[{i}]", p))
    return out


@dataclass(frozen=True)
class Claim:
    """A request for one address from a pool.

    Attributes:
        owner: The stable identity the preferred address is derived from.
        pool: The pool's key.
        path: Config path of the request, for messages.
        pinned: A fixed address instead of an allocated one.
    """

    owner: str
    pool: str
    path: str
    pinned: str | None = None


@dataclass
class Allocation:
    """What :func:`allocate` decided.

    Attributes:
        addresses: Owner -> address, for every claim that got one.
        preferred: Owner -> its preferred address (unpinned claims in a non-empty pool).
        errors: Unknown pools, pins outside a pool or on a reserved address, the same address
            twice, exhausted pools.
        warnings: Claims not on their preferred address (MGW0707).
    """

    addresses: dict[str, str] = field(default_factory=dict)
    preferred: dict[str, str] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def preferred_offset(owner: str, size: int) -> int:
    """The offset of ``owner``'s preferred address in a pool of ``size`` usable addresses."""
    digest = hashlib.sha256(owner.encode()).digest()
    return int.from_bytes(digest[:16], "big") % size


def _reserved_count(pool: PoolDef) -> int:
    lo, hi = pool.first, pool.first + pool.size  # [lo, hi)
    n = 0
    for block in pool.reserved:
        a, b = int(block.network_address), int(block.broadcast_address) + 1
        n += max(0, min(b, hi) - max(a, lo))
    return n


def allocate(
    pools: Iterable[PoolDef],
    claims: Sequence[Claim],
    fixed: Sequence[tuple[str, str, str]] = (),
) -> Allocation:
    """Allocate every claim an address (see the module docstring for the algorithm and guarantees).

    Args:
        pools: The pools, by their keys.
        claims: The requests, in any order.
        fixed: ``(address, owner, path)`` of literal addresses elsewhere in the stack: never handed
            out, and reported when pinned by a claim.

    Returns:
        The allocation; nothing is raised.
    """
    by_key = {p.key: p for p in pools}
    out = Allocation()
    # Every fixed address and pin, to report the same address claimed twice (MGW0706).
    holders: dict[IPAddress, tuple[str, str]] = {}
    for address, owner, path in fixed:
        ip = ipaddress.ip_address(address)
        prev = holders.get(ip)
        if prev is not None and prev[0] != owner:
            out.errors.append(_twice(path, address, prev))
            continue
        holders.setdefault(ip, (owner, path))
    usable: list[Claim] = []
    for c in sorted(claims, key=lambda c: (c.pool, c.owner)):
        pool = by_key.get(c.pool)
        if pool is None:
            known = ", ".join(sorted(k for k, p in by_key.items() if p.spec is not None)) or "none declared"
            out.errors.append(
                Problem(
                    c.path,
                    f"pool {show(c.pool)} is not declared in meshgw:addressPools (declared: {known})",
                    "MGW0704",
                )
            )
            continue
        if c.pinned is not None:
            ip = ipaddress.ip_address(c.pinned)
            if not pool.usable(ip):
                out.errors.append(
                    Problem(
                        c.path,
                        f"{c.pinned} is not a usable address of {pool.describe()}; pin an address inside "
                        "it (not its network or broadcast address), or remove the pin",
                        "MGW0704",
                    )
                )
                continue
            block = pool.reserved_block(ip)
            if block is not None:
                out.errors.append(
                    Problem(
                        c.path,
                        f"{c.pinned} is reserved in {pool.describe()} (reserved: {block}); pin another "
                        "address, or remove it from reserved",
                        "MGW0704",
                    )
                )
                continue
            prev = holders.get(ip)
            if prev is not None and prev[0] != c.owner:
                out.errors.append(_twice(c.path, c.pinned, prev))
                continue
            holders[ip] = (c.owner, c.path)
            out.addresses[c.owner] = c.pinned
            continue
        usable.append(c)

    for key in sorted({c.pool for c in usable}):
        pool = by_key[key]
        occupied: dict[int, str] = {
            int(ip): owner
            for ip, (owner, _) in holders.items()
            if pool.usable(ip) and not pool.reserved_block(ip)
        }
        todo = [c for c in usable if c.pool == key]
        free = pool.size - _reserved_count(pool) - len(occupied)
        if pool.size <= 0:
            free = 0
        ordered = sorted(todo, key=lambda c: (preferred_offset(c.owner, max(pool.size, 1)), c.owner))
        for c in ordered:
            if free <= 0:
                out.errors.append(
                    Problem(
                        c.path,
                        f"{pool.describe()} is exhausted: {pool.size} usable address(es), "
                        f"{_reserved_count(pool)} reserved, {len(occupied)} taken, and no address is left "
                        f"for {c.owner}; widen the cidr, free reserved addresses, or remove a claimant",
                        "MGW0705",
                    )
                )
                continue
            offset = preferred_offset(c.owner, pool.size)
            pref = pool.first + offset
            got = _probe(pool, offset, occupied)
            occupied[got] = c.owner
            free -= 1
            address = str(ipaddress.ip_address(got))
            out.addresses[c.owner] = address
            out.preferred[c.owner] = str(ipaddress.ip_address(pref))
            if got != pref:
                pref_ip = ipaddress.ip_address(pref)
                block = pool.reserved_block(pref_ip)
                why = f"reserved ({block})" if block is not None else f"taken by {occupied.get(pref, '?')}"
                out.warnings.append(
                    Problem(
                        c.path,
                        f"{c.owner} got {address} from {pool.describe()}: its preferred address {pref_ip} "
                        f"is {why}. It may move when other claimants are added or removed; pin it with "
                        f"ip: {address} (vip: for egress) to keep it",
                        "MGW0707",
                    )
                )
    return out


def _probe(pool: PoolDef, offset: int, occupied: Mapping[int, str]) -> int:
    """The first free, unreserved address at or after ``offset``, wrapping (the caller made sure
    one exists). Reserved blocks are skipped whole, so a large reservation costs one step."""
    i = offset
    for _ in range(pool.size + len(pool.reserved) + 1):
        addr = pool.first + i
        block = pool.reserved_block(ipaddress.ip_address(addr))
        if block is not None:
            i = int(block.broadcast_address) + 1 - pool.first
        elif addr not in occupied:
            return addr
        else:
            i += 1
        if i >= pool.size:
            i = 0
    raise AssertionError("no free address although the count said there is one")  # pragma: no cover


def _twice(path: str, address: str, prev: tuple[str, str]) -> Problem:
    return Problem(
        path,
        f"{address} is already claimed by {prev[0]} ({prev[1]}); an address belongs to one load balancer "
        "or VIP: use another address",
        "MGW0706",
    )


# -- the whole stack -----------------------------------------------------------------------------


def _workload_owner(w: WorkloadSpec) -> str:
    return f"workload {w.pod_namespace}/{w.name}"


def egress_vip_claims(e: EgressGatewaySpec, path: str, named_pools: Iterable[str] = ()) -> list[Claim]:
    """One claim per host with a ``tcp`` destination of egress gateway ``e`` (a host has one VIP,
    on its ServiceEntry), pinned when a destination gives ``vip``."""
    named = set(named_pools)
    key = (
        e.vip_pool if e.vip_pool in named or "/" not in e.vip_pool else str(ipaddress.ip_network(e.vip_pool))
    )
    out: dict[str, Claim] = {}
    for j, d in enumerate(e.destinations):
        if d.mode is not EgressMode.TCP:
            continue
        owner = f"egress {e.namespace}/{e.name} {d.host}"
        where = f"{path}.destinations[{j}].vip" if d.vip is not None else f"{path}.destinations[{j}]"
        prev = out.get(d.host)
        if prev is None or (prev.pinned is None and d.vip is not None):
            out[d.host] = Claim(owner, key, where, d.vip)
    return list(out.values())


def _egress_pool_def(e: EgressGatewaySpec, path: str, named: Mapping[str, PoolDef]) -> PoolDef | None:
    if e.vip_pool in named or "/" not in e.vip_pool:
        return None  # a declared pool, or an undeclared name (reported by allocate)
    net = ipaddress.ip_network(e.vip_pool)
    return PoolDef(str(net), net, (), f"{path}.vipPool")


def with_vips(e: EgressGatewaySpec, vips: Mapping[str, str]) -> EgressGatewaySpec:
    """``e`` with every ``tcp`` destination's ``vip`` set from ``vips`` (host -> address)."""
    if not vips:
        return e
    dests = [
        d.model_copy(update={"vip": vips[d.host]}) if d.mode is EgressMode.TCP and d.host in vips else d
        for d in e.destinations
    ]
    return e.model_copy(update={"destinations": dests})


def plan_egress_vips(e: EgressGatewaySpec, path: str = "") -> tuple[EgressGatewaySpec, Allocation]:
    """Allocate the VIPs of one egress gateway on its own (an EgressGateway outside a Mesh).

    A gateway planned by a Mesh already has every VIP set (pinned or allocated across the stack)
    and is returned as is. Otherwise its ``vipPool`` must be a CIDR: named pools are declared in
    ``meshgw:addressPools``, which only a Mesh sees.

    Args:
        e: The egress gateway.
        path: Its config path (``egressGateways[0]``), for messages. Default: none.

    Returns:
        The gateway with its VIPs set, and the allocation (errors and warnings).
    """
    claims = egress_vip_claims(e, path)
    pinned = all(d.vip is not None for d in e.destinations if d.mode is EgressMode.TCP)
    if not claims or (pinned and "/" not in e.vip_pool):
        return e, Allocation()  # nothing to allocate, or a Mesh did it from its named pool
    where = f"{path}.vipPool" if path else "vipPool"
    if "/" not in e.vip_pool:
        alloc = Allocation()
        alloc.errors.append(
            Problem(
                where,
                f"{show(e.vip_pool)} names an address pool, which only a Mesh (meshgw:addressPools) "
                f"declares; "
                "give a CIDR block here",
                "MGW0704",
            )
        )
        return e, alloc
    net = ipaddress.ip_network(e.vip_pool)
    alloc = allocate([PoolDef(str(net), net, (), where)], claims)
    return with_vips(e, _by_host(e, alloc)), alloc


def _by_host(e: EgressGatewaySpec, alloc: Allocation) -> dict[str, str]:
    prefix = f"egress {e.namespace}/{e.name} "
    return {owner[len(prefix) :]: ip for owner, ip in alloc.addresses.items() if owner.startswith(prefix)}


@dataclass
class AddressPlan:
    """The stack with addresses resolved, and what was found on the way.

    Attributes:
        spec: The MeshSpec with pool addresses in concrete form and egress VIPs set.
        addresses: Workload key (its name, or ``namespace/name`` where several share the name) -> its
            fixed address, where one is known (literal or allocated).
        errors: Problems with config paths (MGW0701-MGW0708).
        warnings: Claims not on their preferred address (MGW0707).
    """

    spec: MeshSpec
    addresses: dict[str, str] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _literal_addresses(a: AddressSpec) -> list[str]:
    if a.metallb is not None:
        return list(a.metallb.ips)
    if a.azure is not None and a.azure.ipv4 is not None:
        return [a.azure.ipv4]
    return []


def _named_resources(w: WorkloadSpec) -> list[tuple[str, str]]:
    """Cloud resources an address names, which two load balancers cannot share: (what, sub-path)."""
    a = w.address
    if a is None:
        return []
    if a.aws is not None:
        return [
            (f"Elastic IP allocation {e}", f"aws.eipAllocations[{i}]")
            for i, e in enumerate(a.aws.eip_allocations or [])
        ]
    if a.gcp is not None:
        return [(f"GCP address {a.gcp.address_name}", "gcp.addressName")]
    if a.azure is not None and a.azure.pip_name is not None:
        return [(f"Azure public IP {a.azure.resource_group or '-'}/{a.azure.pip_name}", "azure.pipName")]
    return []


def _pool_overlaps(defs: Sequence[PoolDef]) -> list[Problem]:
    out = []
    for i, p in enumerate(defs):
        for q in defs[:i]:
            if p.network.version == q.network.version and p.network.overlaps(q.network):
                out.append(
                    Problem(
                        f"{p.path}.cidr",
                        f"{p.network} overlaps {q.describe()} ({q.path}); pools must not overlap, or the "
                        "same address could be handed out twice",
                        "MGW0708",
                    )
                )
    return out


def plan_addresses(spec: MeshSpec) -> AddressPlan:
    """Resolve and check every fixed address, pool allocation and egress VIP of a stack.

    Args:
        spec: The validated stack.

    Returns:
        The plan; problems are returned, not raised, so that the caller reports them with the rest.
    """
    plan = AddressPlan(spec)
    declared = pool_defs(spec.address_pools)
    named = {p.key: p for p in declared}
    plan.errors.extend(_pool_overlaps(declared))
    claims: list[Claim] = []
    fixed: list[tuple[str, str, str]] = []
    resources: dict[str, tuple[str, str]] = {}
    for i, w in enumerate(spec.workloads):
        path = f"workloads[{i}]"
        plan.errors.extend(workload_address_problems(w, path))
        a = w.address
        if a is None or w.is_external:
            continue
        owner = _workload_owner(w)
        if a.pool is not None:
            claims.append(Claim(owner, a.pool, f"{path}.address.{'ip' if a.ip else 'pool'}", a.ip))
        for ip in _literal_addresses(a):
            fixed.append((ip, owner, f"{path}.address.{a.form}"))
        for what, sub in _named_resources(w):
            prev = resources.get(what)
            if prev is not None and prev[0] != owner:
                plan.errors.append(
                    Problem(
                        f"{path}.address.{sub}",
                        f"{what} is already used by {prev[0]} ({prev[1]}); one load balancer per address",
                        "MGW0706",
                    )
                )
            resources.setdefault(what, (owner, f"{path}.address.{sub}"))
    implicit: dict[str, PoolDef] = {}
    egress_claims: dict[int, list[Claim]] = {}
    for k, e in enumerate(spec.egress_gateways):
        path = f"egressGateways[{k}]"
        found = egress_vip_claims(e, path, named)
        if not found:
            continue
        egress_claims[k] = found
        claims.extend(found)
        extra = _egress_pool_def(e, path, named)
        if extra is not None:
            implicit.setdefault(extra.key, extra)
    all_defs = [*declared, *implicit.values()]
    plan.errors.extend(p for p in _pool_overlaps(all_defs) if p.path not in {d.path for d in declared})
    alloc = allocate(all_defs, claims, fixed)
    plan.errors.extend(alloc.errors)
    plan.warnings.extend(alloc.warnings)

    workloads = []
    # Keyed as the Mesh's outputs are: by bare name where unique, else namespace/name.
    keys = item_keys([(w.pod_namespace, w.name) for w in spec.workloads])
    for key, w in zip(keys, spec.workloads, strict=True):
        a = w.address
        owner = _workload_owner(w)
        if a is not None and a.pool is not None and owner in alloc.addresses:
            ip = alloc.addresses[owner]
            plan.addresses[key] = ip
            w = resolve_pool_address(w, named[a.pool].spec if a.pool in named else None, ip)
        elif a is not None and a.pool is not None:
            # Not allocated (reported above): render without it, so that the other problems of the
            # stack are still found and reported together.
            w = w.model_copy(update={"address": None})
        elif a is not None and _literal_addresses(a):
            plan.addresses[key] = _literal_addresses(a)[0]
        workloads.append(w)
    egress = [
        with_vips(e, _by_host(e, alloc)) if k in egress_claims else e
        for k, e in enumerate(spec.egress_gateways)
    ]
    plan.spec = spec.model_copy(update={"workloads": workloads, "egress_gateways": egress})
    return plan
