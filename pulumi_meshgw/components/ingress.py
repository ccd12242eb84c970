"""IngressGateway: a gateway workload plus the Gateway it serves, in one call."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from ..errors import ConfigError
from ..pem_files import PemFiles
from ..plan import GatewayPlan, plan_gateway, service_ports, uses_credential
from ..render._meta import Manifest
from ..render.firewall import workload_with_firewall
from ..spec._base import SpecModel, parse
from ..spec.addressing import AddressPoolSpec, AddressSpec
from ..spec.envoy_filters import HttpCache, LocalRateLimit
from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ..spec.security import Authentication, Firewall
from ..spec.workload import WorkloadSpec
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import (
    NAMING,
    NAMING_MESSAGE,
    Late,
    Leaf,
    fill,
    lift_pem,
    log_waiting,
    namespace_output,
    output_leaves,
    refuse_at,
    resolved,
    same_shape,
    stand_in_failure,
    stand_in_model,
)
from ._runtime import (
    ComponentConfigError,
    adopt_dependencies,
    child_options,
    current_state,
    raise_diagnostics,
    validated,
)
from .args import IngressGatewayArgs
from .gateway import Gateway, check_gateway_plan, gateway_options
from .workload import _OUTPUT_NAMESPACE_CREATED, GatewayWorkload, render_gateway_workload

__all__ = ["IngressGateway"]

_TOP_LEVEL = {"namespace", "exposure", "address", "name"}
"""Workload fields that are arguments of their own (the rest come from ``workload``)."""


class IngressGateway(pulumi.ComponentResource):
    """A gateway workload and an Istio Gateway bound to it: the way traffic enters the mesh.

    The Service's ports are derived from ``servers``; TLS Secrets are created in the workload's
    namespace after its ServiceAccount and RBAC and before its Deployment; the Gateway waits for all
    of them. Everything is checked before anything is registered.

    Takes an :class:`~pulumi_meshgw.components.args.IngressGatewayArgs`
    (``IngressGateway("x", IngressGatewayArgs(...))``) or the same fields as keywords.
    ``namespace``, server hosts and port numbers, workload fields that add no object (replicas,
    labels, annotations, Service settings), firewall CIDRs and certificate PEM take Outputs; with an
    Output namespace the children are named ``kind:<resource_name>/<name>`` and the namespace is not
    created here. docs/inputs.md lists what stays plain and why.

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

    def _late(
        self,
        resource_name: str,
        wraw: Mapping[str, Any],
        graw: Mapping[str, Any],
        wleaves: Sequence[Leaf],
        gleaves: Sequence[Leaf],
        planned: Any,
        plan: GatewayPlan,
        wspec: WorkloadSpec,
        gspec: GatewaySpec,
        ports: Any,
        address_pools: Sequence[AddressPoolSpec | Mapping[str, Any]],
        context: str,
    ) -> tuple[dict[str, list[Manifest]], pulumi.Output[dict[str, Any]]]:
        """The objects registered now (stand-in values), and the same objects rendered from the
        real values once every check passed, as ``{"w": workload's, "g": Gateway's, "spec": the
        real WorkloadSpec}``: the checks run in the order the plain path runs them."""
        state = current_state()
        with validated(context):
            pools = [parse(AddressPoolSpec, p) for p in address_pools]
        reads = uses_credential(gspec)
        _, _, wobjects = render_gateway_workload(
            wspec,
            ports,
            credentials=plan.credentials,
            pools=pools,
            reads_secrets=reads,
            address=False,
            context=context,
        )
        creds = [c.manifest for c in plan.credentials if c.manifest is not None]
        objects = {"w": [*wobjects, *creds], "g": [plan.manifest, *plan.extras]}
        self._gateway_box: list[Any] = []
        n = len(wleaves)
        box = self._gateway_box

        def real(values: dict[Any, Any]) -> dict[str, Any]:
            ordered = list(values.values())
            w = fill(wraw, dict(zip([p for p, _ in wleaves], ordered[:n], strict=True)))
            g = fill(graw, dict(zip([p for p, _ in gleaves], ordered[n:], strict=True)))
            real_w, gspec, real_plan, real_ports = planned(w, g)
            real_w, _, wms = render_gateway_workload(
                real_w,
                real_ports,
                credentials=real_plan.credentials,
                pools=pools,
                reads_secrets=uses_credential(gspec),
                address=True,
                context=context,
            )
            wreal = [*wms, *[c.manifest for c in real_plan.credentials if c.manifest is not None]]
            same_shape(objects["w"], wreal, [*wleaves, *gleaves], context)
            raise_diagnostics(state.index.check(wms), context)
            check_gateway_plan(real_plan, state, context)
            greal = [real_plan.manifest, *real_plan.extras]
            same_shape(objects["g"], greal, [*wleaves, *gleaves], context)
            state.gateways[(real_plan.namespace, gspec.name)] = box[0]
            return {"w": wreal, "g": greal, "spec": real_w}

        # The paths are made unique across the two groups; ``real`` splits the values back.
        leaves = [((i,), o) for i, (_, o) in enumerate([*wleaves, *gleaves])]
        return objects, resolved(leaves, real)

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
        namespace: pulumi.Input[str] = "istio-ingress",
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
        files = PemFiles(base_dir)
        wraw: dict[str, Any] = {"name": resource_name, "namespace": namespace, **dict(workload or {})}
        if exposure is not None:
            wraw["exposure"] = exposure
        if address is not None:
            wraw["address"] = address.dump() if isinstance(address, SpecModel) else dict(address)
        graw: dict[str, Any] = {"name": gateway_name or resource_name, "servers": lifted}
        graw.update(
            gateway_options(
                cache=cache, rateLimit=rate_limit, firewall=firewall, authentication=authentication
            )
        )
        wleaves, gleaves = output_leaves(wraw), output_leaves(graw)
        refuse_at([*wleaves, *gleaves], NAMING, NAMING_MESSAGE, context)
        ns_out = namespace_output(wraw)
        if ns_out is not None and wraw.get("createNamespace", wraw.get("create_namespace")) is True:
            raise ComponentConfigError([_OUTPUT_NAMESPACE_CREATED], context=context)

        def planned(w: Mapping[str, Any], g: Mapping[str, Any]) -> tuple[WorkloadSpec, GatewaySpec, Any, Any]:
            with validated(context):
                wspec = parse(WorkloadSpec, w)
                gspec = parse(GatewaySpec, {**g, "workload": wspec.name})
                # IP rules shape the Service (source ranges, client IP preservation) and NetworkPolicy.
                wspec = workload_with_firewall(wspec, [gspec])
                return wspec, gspec, plan_gateway(gspec, wspec, files=files), service_ports([gspec])

        if not wleaves and not gleaves:
            wspec, gspec, plan, ports = planned(wraw, graw)
            late = None
        else:
            # Outputs: the objects are registered now in the shape stand-ins give; their bodies,
            # and every check, wait for the values (docs/inputs.md).
            known_w = stand_in_model(lambda w: w, wraw, wleaves, context)
            known_g = stand_in_model(lambda g: g, graw, gleaves, context)
            try:
                wspec, gspec, plan, ports = planned(known_w, known_g)
            except ConfigError as err:
                raise stand_in_failure(err, [*wleaves, *gleaves], context) from None
            late = self._late(
                resource_name,
                wraw,
                graw,
                wleaves,
                gleaves,
                planned,
                plan,
                wspec,
                gspec,
                ports,
                address_pools,
                context,
            )
        super().__init__(self.TYPE, resource_name, None, opts)
        for warning in pem_warnings:
            pulumi.log.warn(str(warning), self)
        adopt_dependencies(self, opts)
        child = child_options(self)
        workload_late = gateway_late = None
        if late is not None:
            # Named as the caller wrote them: workload fields under ``workload``.
            shown = [(p if p[0] in _TOP_LEVEL else ("workload", *p), o) for p, o in wleaves]
            log_waiting(
                context,
                [*shown, *gleaves],
                "its checks (schema, pod security, IST0101, IST0145 and the rest)",
                self,
            )
            objects, real = late
            owner = resource_name if ns_out is not None else None
            workload_late = Late(objects["w"], real.apply(lambda r: r["w"]), owner, ns_out)
            gateway_late = Late(objects["g"], real.apply(lambda r: r["g"]), owner, ns_out)
            self._real_workload = real.apply(lambda r: r["spec"])
        self.workload = GatewayWorkload(
            f"{resource_name}-workload",
            spec=wspec,
            ports=ports,
            credentials=plan.credentials,
            address_pools=address_pools,
            reads_secrets=uses_credential(gspec),
            opts=child,
            _late=workload_late,
            _late_spec=self._real_workload if late is not None else None,
        )
        if late is None:
            # Checked here, after the workload is in the index; the Gateway takes the checked plan.
            check_gateway_plan(plan, state, context, self)
        self.gateway = Gateway(
            f"{resource_name}-gateway",
            workload=self.workload,
            spec=gspec,
            opts=child,
            _plan=plan,
            _late=gateway_late,
        )
        if late is not None:
            self._gateway_box.append(self.gateway)
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
