"""The Service annotations that give a gateway's load balancer its fixed address, per cloud.

``spec.loadBalancerIP`` is never emitted: it is deprecated since Kubernetes 1.24
(kubernetes/kubernetes#107235) and each controller has its own annotation instead:

===========  ==================================================================================
aws          ``service.beta.kubernetes.io/aws-load-balancer-eip-allocations`` and
             ``service.beta.kubernetes.io/aws-load-balancer-subnets``, comma-separated and paired
             by position (AWS Load Balancer Controller, internet-facing NLB)
gcp          ``networking.gke.io/load-balancer-ip-addresses``: the reserved address's name
azure        ``service.beta.kubernetes.io/azure-pip-name`` or
             ``service.beta.kubernetes.io/azure-load-balancer-ipv4``, and
             ``service.beta.kubernetes.io/azure-load-balancer-resource-group``
metallb      ``metallb.io/loadBalancerIPs`` and ``metallb.io/address-pool``
===========  ==================================================================================

A ``pool`` address is turned into the ``metallb`` or ``azure`` form by the planner
(:mod:`pulumi_meshgw.ipam`) before it reaches this module. IDs that are looked up by tag when the
program runs, and were not (``meshgw render`` is offline), are written as :data:`LOOKUP`.
"""

from __future__ import annotations

from ..errors import ConfigError, Problem, show
from ..spec.addressing import AddressSpec
from ..spec.workload import Cloud, Exposure, WorkloadSpec

__all__ = ["LOOKUP", "address_annotations"]

LOOKUP = "[lookup]"
"""Written where a value comes from a cloud lookup that did not run (offline rendering)."""

AWS_EIPS = "service.beta.kubernetes.io/aws-load-balancer-eip-allocations"
AWS_SUBNETS = "service.beta.kubernetes.io/aws-load-balancer-subnets"
GKE_ADDRESSES = "networking.gke.io/load-balancer-ip-addresses"
AZURE_PIP = "service.beta.kubernetes.io/azure-pip-name"
AZURE_IPV4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4"
AZURE_RG = "service.beta.kubernetes.io/azure-load-balancer-resource-group"
METALLB_IPS = "metallb.io/loadBalancerIPs"
METALLB_POOL = "metallb.io/address-pool"


def address_annotations(spec: WorkloadSpec) -> dict[str, str]:
    """The annotations of ``spec.address``, or none (no address, or a ClusterIP Service).

    Args:
        spec: A managed workload, its pool address (if any) already resolved.

    Returns:
        The annotations, to merge under ``service.annotations``.

    Raises:
        ConfigError: ``address.pool`` without an allocated or pinned ``ip`` (MGW0704): a pool is
            allocated across the whole stack, by a Mesh or with ``address_pools=``.
    """
    a = spec.address
    if a is None or spec.exposure is Exposure.CLUSTER:
        return {}
    if a.aws is not None:
        eips = a.aws.eip_allocations
        subnets = a.aws.subnets
        return {
            AWS_EIPS: ",".join(eips) if eips is not None else LOOKUP,
            AWS_SUBNETS: ",".join(subnets) if subnets is not None else LOOKUP,
        }
    if a.gcp is not None:
        return {GKE_ADDRESSES: a.gcp.address_name}
    if a.azure is not None:
        out = {AZURE_PIP: a.azure.pip_name} if a.azure.pip_name else {AZURE_IPV4: str(a.azure.ipv4)}
        if a.azure.resource_group is not None:
            out[AZURE_RG] = a.azure.resource_group
        return out
    if a.metallb is not None:
        out = {}
        if a.metallb.ips:
            out[METALLB_IPS] = ",".join(a.metallb.ips)
        if a.metallb.pool is not None:
            out[METALLB_POOL] = a.metallb.pool
        return out
    return _pinned_pool(spec, a)


def _pinned_pool(spec: WorkloadSpec, a: AddressSpec) -> dict[str, str]:
    if a.ip is None:
        raise ConfigError(
            [
                Problem(
                    "address.pool",
                    f"pool {show(a.pool)} is allocated across the stack; declare it in meshgw:addressPools "
                    "(a Mesh), pass address_pools= to the component, or pin the address with ip",
                    "MGW0704",
                )
            ]
        )
    return {AZURE_IPV4: a.ip} if spec.cloud is Cloud.AZURE else {METALLB_IPS: a.ip}
