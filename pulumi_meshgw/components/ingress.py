"""IngressGateway: a gateway workload plus the Gateway it serves, in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi

from ..plan import plan_gateway, service_ports
from ..spec._base import parse
from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from ._runtime import current_state, raise_diagnostics, validated
from .gateway import Gateway
from .workload import GatewayWorkload

__all__ = ["IngressGateway"]


class IngressGateway(pulumi.ComponentResource):
    """A gateway workload and an Istio Gateway bound to it: the way traffic enters the mesh.

    The Service's ports are derived from ``servers``; TLS Secrets are created in the workload's
    namespace after its ServiceAccount and RBAC and before its Deployment; the Gateway waits for all
    of them. Everything is checked before anything is registered.

    Args:
        resource_name: Pulumi name; also the workload and Gateway name unless given in ``workload``.
        servers: Istio ``servers`` (dicts in Istio's YAML shape or Server objects).
        namespace: Where the gateway pods (and their TLS Secrets) run. Default: ``istio-ingress``.
        exposure: ``public``, ``internal`` or ``cluster`` (required).
        workload: Further :class:`~pulumi_meshgw.spec.WorkloadSpec` fields (``cloud``,
            ``autoscaling``, ``service``...). Default: none.
        gateway_name: The Gateway's name. Default: ``resource_name``.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        opts: Pulumi options.

    Attributes:
        workload: The :class:`GatewayWorkload`.
        gateway: The :class:`Gateway`; pass it to a VirtualService's ``gateways``.
        ref: ``namespace/name`` of the Gateway.
    """

    TYPE = "meshgw:index:IngressGateway"

    def __init__(
        self,
        resource_name: str,
        *,
        servers: Sequence[Server | Mapping[str, Any]],
        exposure: str | None = None,
        namespace: str = "istio-ingress",
        workload: Mapping[str, Any] | None = None,
        gateway_name: str | None = None,
        base_dir: Path | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        context = f"{self.TYPE} {resource_name}"
        state = current_state()
        with validated(context):
            wraw: dict[str, Any] = {"name": resource_name, "namespace": namespace, **dict(workload or {})}
            if exposure is not None:
                wraw["exposure"] = exposure
            wspec = parse(WorkloadSpec, wraw)
            gspec = parse(
                GatewaySpec,
                {
                    "name": gateway_name or resource_name,
                    "workload": wspec.name,
                    "servers": [s.dump() if isinstance(s, Server) else s for s in servers],
                },
            )
            plan = plan_gateway(gspec, wspec, base_dir=base_dir)
            ports = service_ports([gspec])
        super().__init__(self.TYPE, resource_name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workload = GatewayWorkload(
            f"{resource_name}-workload", wspec, ports=ports, credentials=plan.credentials, opts=child
        )
        for cred in plan.credentials:
            state.index.declare_secret(cred.namespace, cred.name)
        raise_diagnostics(state.index.check([plan.manifest]), context)
        self.gateway = Gateway(
            f"{resource_name}-gateway", workload=self.workload, spec=gspec, opts=child, _plan=plan
        )
        self.ref = self.gateway.ref
        self.register_outputs({"ref": self.ref, "serviceFqdn": self.workload.service_fqdn})
