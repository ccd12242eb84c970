"""Static ingress addresses, address pools, and the NAT lookup of egress source IPs.

A gateway workload's ``address`` says which fixed address its load balancer gets, in the form its
cloud's load balancer controller reads (all as Service annotations; ``spec.loadBalancerIP`` is
never used: it is deprecated since Kubernetes 1.24 and ignored by several controllers):

- ``aws``: Elastic IP allocations for an internet-facing NLB, one per subnet (AWS Load Balancer
  Controller), given as IDs or looked up by tag when the program runs;
- ``gcp``: the name of a reserved regional address (GKE);
- ``azure``: a public IP resource by name, or a literal IPv4 address (cloud-provider-azure);
- ``metallb``: literal IPs and/or a MetalLB pool (bare metal, ``cloud: none``);
- ``pool``: an address allocated from a pool declared in ``meshgw:addressPools`` (or pinned with
  ``ip``), rendered as MetalLB (``cloud: none``) or Azure (``cloud: azure``) annotations.

The cross-object checks (cloud and exposure fit, EIP count against subnets, duplicates across the
stack, pool exhaustion) live in :mod:`pulumi_meshgw.ipam`, which sees the whole stack. This module
is pure: it does not import Pulumi.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from ..errors import show
from ._base import NestedProblems, SpecModel, dns_label

__all__ = [
    "AddressPoolSpec",
    "AddressSpec",
    "AwsAddress",
    "AwsNatLookup",
    "AzureAddress",
    "GcpAddress",
    "MetalLBAddress",
    "NatLookup",
    "parse_ip",
    "parse_network",
]

_EIP_ALLOC = re.compile(r"\Aeipalloc-[0-9a-f]{8,17}\Z")
_SUBNET = re.compile(r"\Asubnet-[0-9a-f]{8,17}\Z")
_GCP_NAME = re.compile(r"\A[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z")
_AZURE_NAME = re.compile(r"\A[A-Za-z0-9][-A-Za-z0-9._]{0,78}[A-Za-z0-9_]?\Z")
_AWS_REGION = re.compile(r"\A[a-z]{2}(-[a-z]+)+-\d\Z")


def parse_ip(value: str, what: str = "address") -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address, or ValueError naming ``what`` and the bad value."""
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{what} {show(value)} is not an IP address") from None


def parse_network(value: str, what: str = "cidr") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block with no host bits set, or ValueError naming ``what`` and the bad value."""
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{what} {show(value)} is not a CIDR block: {exc}") from None


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {show(v)} is listed twice; list each once")
        seen.add(v)
    return values


def _subnet_ids(v: list[str] | None) -> list[str] | None:
    if v is None:
        return None
    if not v:
        raise ValueError("give at least one subnet ID, or remove the field")
    for s in v:
        if not _SUBNET.match(s):
            raise ValueError(f"{show(s)} is not a subnet ID (subnet-<hex>)")
    return _unique(v, "subnet")


def _region_name(v: str | None) -> str | None:
    if v is not None and not _AWS_REGION.match(v):
        raise ValueError(f"{show(v)} is not an AWS region name (e.g. eu-west-1)")
    return v


def _tags(v: dict[str, str] | None, info: ValidationInfo) -> dict[str, str] | None:
    if v is not None and not v:
        what = to_camel(info.field_name or "tags")
        raise ValueError(f"an empty {what} map matches everything; give at least one tag")
    return v


# The AWS fields that AwsAddress and AwsNatLookup share, each with its validator.
SubnetIds = Annotated[list[str] | None, AfterValidator(_subnet_ids)]
AwsTags = Annotated[dict[str, str] | None, AfterValidator(_tags)]
AwsRegion = Annotated[str | None, AfterValidator(_region_name)]


class AwsAddress(SpecModel):
    """Elastic IPs for an internet-facing NLB (AWS Load Balancer Controller).

    Rendered as ``service.beta.kubernetes.io/aws-load-balancer-eip-allocations`` and
    ``service.beta.kubernetes.io/aws-load-balancer-subnets``, paired by position: the controller
    needs exactly one EIP per subnet, and at most one subnet per availability zone. Give the EIPs
    as ``eipAllocations`` or ``eipTags``, and the subnets as ``subnets`` or ``subnetTags``; tags are
    looked up when the program runs (``pip install 'pulumi-meshgw[aws]'``), so ``pulumi preview``
    shows the IDs it found.
    """

    eip_allocations: list[str] | None = None
    """Elastic IP allocation IDs (``eipalloc-...``), in subnet order. Default: unset (use
    ``eipTags``)."""
    eip_tags: AwsTags = None
    """Look the allocations up by tags (every tag must match), sorted by allocation ID.
    Default: unset (use ``eipAllocations``)."""
    subnets: SubnetIds = None
    """Subnet IDs (``subnet-...``), one per availability zone. Default: unset (use ``subnetTags``)."""
    subnet_tags: AwsTags = None
    """Look the subnets up by tags (every tag must match), sorted by availability zone then ID.
    Default: unset (use ``subnets``)."""
    region: AwsRegion = None
    """Region of the lookups. Default: the AWS SDK's (``AWS_REGION``, ``AWS_DEFAULT_REGION`` or the
    profile)."""

    @field_validator("eip_allocations")
    @classmethod
    def _eips(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        if not v:
            raise ValueError("give at least one allocation ID, or remove eipAllocations")
        for e in v:
            if not _EIP_ALLOC.match(e):
                raise ValueError(f"{show(e)} is not an Elastic IP allocation ID (eipalloc-<hex>)")
        return _unique(v, "allocation")

    @model_validator(mode="after")
    def _one_each(self) -> AwsAddress:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if (self.eip_allocations is None) == (self.eip_tags is None):
            problems.append(((), "give exactly one of eipAllocations (IDs) or eipTags (looked up)"))
        if (self.subnets is None) == (self.subnet_tags is None):
            problems.append(
                (
                    (),
                    "give exactly one of subnets (IDs) or subnetTags (looked up): the controller pairs "
                    "each EIP with a subnet, so the subnets must be explicit",
                )
            )
        if problems:
            raise NestedProblems(problems)
        return self

    @property
    def needs_lookup(self) -> bool:
        """Whether some IDs come from tags and have not been looked up yet."""
        return (self.eip_tags is not None and self.eip_allocations is None) or (
            self.subnet_tags is not None and self.subnets is None
        )


class GcpAddress(SpecModel):
    """A reserved regional static address (GKE): ``networking.gke.io/load-balancer-ip-addresses``.

    Reserve it first (``gcloud compute addresses create NAME --region ...``; for an internal load
    balancer, ``--subnet``). The annotation takes precedence over ``spec.loadBalancerIP``.
    """

    address_name: str
    """The address resource's name (required)."""

    @field_validator("address_name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _GCP_NAME.match(v):
            raise ValueError(
                f"{show(v)} is not a GCP resource name: lowercase letters, digits and '-', starting with a "
                "letter, at most 63 characters"
            )
        return v


class AzureAddress(SpecModel):
    """A fixed address on AKS (cloud-provider-azure).

    ``pipName`` renders ``service.beta.kubernetes.io/azure-pip-name``; ``ipv4`` renders
    ``service.beta.kubernetes.io/azure-load-balancer-ipv4``; ``resourceGroup`` renders
    ``service.beta.kubernetes.io/azure-load-balancer-resource-group`` (where the public IP lives,
    when it is not the cluster's node resource group).
    """

    pip_name: str | None = None
    """Name of a public IP resource. Default: unset (use ``ipv4``)."""
    ipv4: str | None = None
    """A literal IPv4 address (a public IP's, or a private one for an internal load balancer).
    Default: unset (use ``pipName``)."""
    resource_group: str | None = None
    """Resource group of the public IP. Default: unset (the node resource group)."""

    @field_validator("pip_name", "resource_group")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not _AZURE_NAME.match(v):
            raise ValueError(f"{show(v)} is not an Azure resource name")
        return v

    @field_validator("ipv4")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        if v is not None and not isinstance(parse_ip(v, "ipv4"), ipaddress.IPv4Address):
            raise ValueError(f"ipv4 {show(v)} is not an IPv4 address")
        return v

    @model_validator(mode="after")
    def _one(self) -> AzureAddress:
        if (self.pip_name is None) == (self.ipv4 is None):
            raise ValueError("give exactly one of pipName (a public IP resource) or ipv4 (a literal address)")
        return self


class MetalLBAddress(SpecModel):
    """MetalLB (bare metal, ``cloud: none``): ``metallb.io/loadBalancerIPs`` and/or
    ``metallb.io/address-pool``."""

    ips: list[str] = Field(default_factory=list)
    """Literal addresses: one, or one IPv4 and one IPv6 for dual stack. Default: none (MetalLB picks
    one from ``pool``)."""
    pool: str | None = None
    """A MetalLB ``IPAddressPool`` name. Default: unset (any pool that allows it)."""

    @field_validator("ips")
    @classmethod
    def _ips(cls, v: list[str]) -> list[str]:
        parsed = [parse_ip(ip, "ip") for ip in _unique(v, "ip")]
        if len(v) > 2 or (len(v) == 2 and parsed[0].version == parsed[1].version):
            raise ValueError("give one address, or one IPv4 and one IPv6 address (dual stack)")
        return v

    @field_validator("pool")
    @classmethod
    def _pool(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "MetalLB pool")

    @model_validator(mode="after")
    def _some(self) -> MetalLBAddress:
        if not self.ips and self.pool is None:
            raise ValueError("give ips, pool, or both")
        return self


class AddressSpec(SpecModel):
    """The fixed address of a gateway's load balancer: exactly one of ``aws``, ``gcp``, ``azure``,
    ``metallb`` or ``pool``. Default (the field): unset, meaning the cloud assigns an address, which
    changes when the Service is recreated."""

    aws: AwsAddress | None = None
    """Elastic IPs for an internet-facing NLB. Needs ``cloud: aws`` and ``exposure: public``.
    Default: unset."""
    gcp: GcpAddress | None = None
    """A reserved address by name. Needs ``cloud: gcp``. Default: unset."""
    azure: AzureAddress | None = None
    """A public IP resource or literal address. Needs ``cloud: azure``. Default: unset."""
    metallb: MetalLBAddress | None = None
    """MetalLB addresses or pool. Needs ``cloud: none``. Default: unset."""
    pool: str | None = None
    """Allocate from this ``meshgw:addressPools`` pool: the address is derived from the workload's
    identity, stable across runs (see docs/addressing.md). Needs ``cloud: none`` (MetalLB) or
    ``azure``. Default: unset."""
    ip: str | None = None
    """With ``pool``: pin this address (it must lie in the pool and not be reserved). Default:
    unset (allocated)."""

    @field_validator("pool")
    @classmethod
    def _pool(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "pool")

    @field_validator("ip")
    @classmethod
    def _ip(cls, v: str | None) -> str | None:
        if v is not None:
            parse_ip(v, "ip")
        return v

    @model_validator(mode="after")
    def _one(self) -> AddressSpec:
        given = [k for k in ("aws", "gcp", "azure", "metallb", "pool") if getattr(self, k) is not None]
        if len(given) != 1:
            what = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(f"give exactly one of aws, gcp, azure, metallb or pool ({what})")
        if self.ip is not None and self.pool is None:
            raise NestedProblems(
                [(("ip",), "only applies with pool; literal addresses go in metallb or azure")]
            )
        return self

    @property
    def form(self) -> str:
        """Which form is set: ``aws``, ``gcp``, ``azure``, ``metallb`` or ``pool``."""
        for k in ("aws", "gcp", "azure", "metallb"):
            if getattr(self, k) is not None:
                return k
        return "pool"


class AddressPoolSpec(SpecModel):
    """A CIDR block that gateways (``address: {pool: NAME}``) and egress VIPs (``vipPool: NAME``)
    are allocated from. Config key: an item of ``meshgw:addressPools``."""

    name: str
    """The pool's name (a DNS-1123 label), as ``address.pool`` and ``vipPool`` refer to it."""
    cidr: str
    """The block, e.g. ``192.0.2.0/28``. IPv4 network and broadcast addresses (and the IPv6
    subnet-router address) are never allocated."""
    reserved: list[str] = Field(default_factory=list)
    """Addresses or CIDR blocks inside ``cidr`` that are never allocated (gateways of other stacks,
    routers). Default: none."""
    metallb_pool: str | None = None
    """The MetalLB ``IPAddressPool`` that serves this block, rendered as ``metallb.io/address-pool``
    with ``cloud: none``. Default: unset."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "pool name")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        parse_network(v)
        return v

    @field_validator("metallb_pool")
    @classmethod
    def _mlb(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "metallbPool")

    @model_validator(mode="after")
    def _reserved_inside(self) -> AddressPoolSpec:
        net = parse_network(self.cidr)
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for i, r in enumerate(self.reserved):
            try:
                block = ipaddress.ip_network(r, strict=True)
            except ValueError:
                problems.append((("reserved", i), f"{show(r)} is not an address or CIDR block"))
                continue
            if block.version != net.version or not block.subnet_of(net):  # type: ignore[arg-type]
                problems.append(
                    (("reserved", i), f"{r} is not inside the pool's cidr {self.cidr}; remove it")
                )
        if problems:
            raise NestedProblems(problems)
        return self

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return parse_network(self.cidr)


class AwsNatLookup(SpecModel):
    """Find the NAT gateways that serve the egress nodes' subnets: subnet -> route table (explicit
    association, else the VPC's main table) -> the ``0.0.0.0/0`` route's NAT gateway -> its public
    IPs."""

    subnet_ids: SubnetIds = None
    """The egress node pool's subnets. Default: unset (use ``subnetTags``)."""
    subnet_tags: AwsTags = None
    """Find the subnets by tags (every tag must match). Default: unset (use ``subnetIds``)."""
    region: AwsRegion = None
    """Region of the lookup. Default: the AWS SDK's."""

    @model_validator(mode="after")
    def _one(self) -> AwsNatLookup:
        if (self.subnet_ids is None) == (self.subnet_tags is None):
            raise ValueError("give exactly one of subnetIds or subnetTags")
        return self


class NatLookup(SpecModel):
    """Where to look up an egress gateway's NAT source IPs when the program runs. Only AWS has a
    lookup (GCP Cloud NAT and Azure NAT gateway addresses go in ``egressIPs``)."""

    aws: AwsNatLookup
    """The AWS lookup (required)."""
