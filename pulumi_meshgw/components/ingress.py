"""IngressGateway: a gateway workload plus the Gateway it serves, in one call."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from ..pem_files import PemFiles
from ..plan import plan_gateway, service_ports, uses_credential
from ..render.firewall import workload_with_firewall
from ..spec._base import SpecModel, parse
from ..spec.addressing import AddressPoolSpec, AddressSpec
from ..spec.envoy_filters import HttpCache, LocalRateLimit
from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ..spec.security import Authentication, Firewall
from ..spec.workload import WorkloadSpec
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import PLAIN_HERE, lift_pem, refuse_outputs
from ._runtime import adopt_dependencies, child_options, current_state, validated
from .args import IngressGatewayArgs
from .gateway import Gateway, check_gateway_plan, gateway_options
from .workload import GatewayWorkload

__all__ = ["IngressGateway"]


class IngressGateway(pulumi.ComponentResource):
    """A gateway workload and an Istio Gateway bound to it: the way traffic enters the mesh.

    The Service's ports are derived from ``servers``; TLS Secrets are created in the workload's
    namespace after its ServiceAccount and RBAC and before its Deployment; the Gateway waits for all
    of them. Everything is checked before anything is registered.

    Takes an :class:`~pulumi_meshgw.components.args.IngressGatewayArgs`
    (``IngressGateway("x", IngressGatewayArgs(...))``) or the same fields as keywords.

    Args:
        resource_name: Pulumi name; also the workload and Gateway name unless given in ``workload``.
        args: The fields below as one :class:`~pulumi_meshgw.components.args.IngressGatewayArgs`.
        servers: Istio ``servers`` (dicts in Istio's YAML shape or Server objects; required).
        namespace: Where the gateway pods (and their TLS Secrets) run. Default: ``istio-ingress``.
        exposure: ``public``, ``internal`` or ``cluster`` (required).
        workload: Further :class:`~pulumi_meshgw.spec.WorkloadSpec` fields (``cloud``,
            ``autoscaling``, ``service``...). Default: none.
        gateway_name: The Gateway's name. Default: ``resource_name``.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        cache: Envoy's in-memory HTTP cache for the hosts named, as on :class:`Gateway`. Default: off.
        rate_limit: Envoy's local rate limit for the hosts named, as on :class:`Gateway`. Default: off.
        firewall: IP allow- and deny-lists, as on :class:`Gateway`; they also shape the workload's
            Service and NetworkPolicy (docs/security.md). Default: none.
        authentication: JWT, external authorization and PeerAuthentication, as on
            :class:`Gateway`. Default: none.
        address: The load balancer's fixed address (``aws``, ``gcp``, ``azure``, ``metallb`` or
            ``pool``; docs/addressing.md). Default: none (the cloud assigns one).
        address_pools: Pools for ``address: {pool: NAME}``, in the ``meshgw:addressPools`` shape.
            Default: none.
        opts: Pulumi options.

    Attributes:
        workload: The :class:`GatewayWorkload`.
        gateway: The :class:`Gateway`; pass it to a VirtualService's ``gateways``.
        ref: ``namespace/name`` of the Gateway.
    """

    TYPE = "meshgw:index:IngressGateway"

    ref: str
    """The Gateway's ``namespace/name``: what a VirtualService's ``gateways`` lists."""
    service_name: str
    """The gateway Service's name (in ``namespace``)."""
    service_fqdn: str
    """The gateway Service's cluster DNS name, ``<name>.<namespace>.svc.cluster.local``."""
    load_balancer_address: pulumi.Output[str]
    """The load balancer's IP address or DNS name, from the Service's status once the cloud
    assigned one (what a DNS record for the hosts points at); empty before, and for
    ``exposure: cluster``."""
    tls_secret_names: list[str]
    """The TLS Secrets the servers use, in the gateway pods' namespace."""

    @with_args(required=("servers",))
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: IngressGatewayArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        servers: Sequence[Server | Mapping[str, Any]] | None = None,
        exposure: str | None = None,
        namespace: str = "istio-ingress",
        workload: Mapping[str, Any] | None = None,
        gateway_name: str | None = None,
        base_dir: Path | None = None,
        cache: HttpCache | Mapping[str, Any] | None = None,
        rate_limit: LocalRateLimit | Mapping[str, Any] | None = None,
        firewall: Firewall | Mapping[str, Any] | None = None,
        authentication: Authentication | Mapping[str, Any] | None = None,
        address: AddressSpec | Mapping[str, Any] | None = None,
        address_pools: Sequence[AddressPoolSpec | Mapping[str, Any]] = (),
    ) -> None:
        context = f"{self.TYPE} {resource_name}"
        state = current_state()
        lifted, pem_warnings = lift_pem(
            [s.dump() if isinstance(s, Server) else s for s in servers or []], context
        )
        with validated(context):
            wraw: dict[str, Any] = {"name": resource_name, "namespace": namespace, **dict(workload or {})}
            if exposure is not None:
                wraw["exposure"] = exposure
            if address is not None:
                wraw["address"] = address.dump() if isinstance(address, SpecModel) else dict(address)
            refuse_outputs(wraw, context, PLAIN_HERE)
            wspec = parse(WorkloadSpec, wraw)
            graw: dict[str, Any] = {
                "name": gateway_name or resource_name,
                "workload": wspec.name,
                "servers": lifted,
            }
            graw.update(
                gateway_options(
                    cache=cache, rateLimit=rate_limit, firewall=firewall, authentication=authentication
                )
            )
            refuse_outputs(graw, context, PLAIN_HERE)
            gspec = parse(GatewaySpec, graw)
            # IP rules shape the Service (source ranges, client IP preservation) and NetworkPolicy.
            wspec = workload_with_firewall(wspec, [gspec])
            plan = plan_gateway(gspec, wspec, files=PemFiles(base_dir))
            ports = service_ports([gspec])
        super().__init__(self.TYPE, resource_name, None, opts)
        for warning in pem_warnings:
            pulumi.log.warn(str(warning), self)
        adopt_dependencies(self, opts)
        child = child_options(self)
        self.workload = GatewayWorkload(
            f"{resource_name}-workload",
            spec=wspec,
            ports=ports,
            credentials=plan.credentials,
            address_pools=address_pools,
            reads_secrets=uses_credential(gspec),
            opts=child,
        )
        # Checked here, after the workload is in the index; the Gateway takes the checked plan.
        check_gateway_plan(plan, state, context, self)
        self.gateway = Gateway(
            f"{resource_name}-gateway", workload=self.workload, spec=gspec, opts=child, _plan=plan
        )
        self.ref = self.gateway.ref
        self.service_name = self.workload.service_name
        self.service_fqdn = self.workload.service_fqdn
        self.load_balancer_address = self.workload.load_balancer_address
        self.tls_secret_names = self.gateway.tls_secret_names
        self.register_outputs(
            {
                "ref": self.ref,
                "serviceName": self.service_name,
                "serviceFqdn": self.service_fqdn,
                "loadBalancerAddress": self.load_balancer_address,
                "tlsSecretNames": self.tls_secret_names,
            }
        )
