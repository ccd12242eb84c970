"""Mesh: a whole stack's gateways and routes from one validated spec (what ``stacks/`` runs)."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pydantic.alias_generators import to_camel

from ..errors import ConfigError, Problem
from ..pem_files import PemFiles
from ..plan import MeshPlan, declare_external, plan_config, plan_mesh
from ..spec.mesh import CONFIG_KEYS, MeshSpec
from ._addressing import resolve_mesh_lookups
from ._arguments import NO_ARGS, checked_arguments, cluster_scoped
from ._inputs import MESH_PLAIN, refuse_outputs
from ._runtime import (
    adopt_dependencies,
    child_name,
    child_options,
    current_state,
    program_unique_name,
    register_manifest,
    validated,
)
from .args import MeshArgs
from .egress import EgressGateway, register_egress_sidecars
from .gateway import Gateway
from .routes import DestinationRule, VirtualService
from .workload import ExistingWorkload, GatewayWorkload

__all__ = ["Mesh"]


def _config_names(values: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping with MeshArgs' snake_case keys (``virtual_services``) as their config names."""
    return {
        to_camel(key) if key not in CONFIG_KEYS and to_camel(key) in CONFIG_KEYS else key: v
        for key, v in values.items()
    }


class Mesh(pulumi.ComponentResource):
    """Every workload, Gateway, DestinationRule and VirtualService of one stack, in dependency order.

    The whole spec is validated and cross-checked first; if anything is wrong, nothing is registered
    and one error lists every problem with its config path. Order: Namespaces, then per workload its
    ServiceAccount and RBAC, TLS Secrets, Deployment and Service; then Gateways; then egress
    gateways and the client namespaces' Sidecars; then DestinationRules; then VirtualServices, each
    depending on the Gateways it binds. The ``external`` objects of the spec are declared to the
    whole program, so components created after the Mesh may refer to them too.

    Args:
        resource_name: Pulumi name.
        args: The config mapping ``{"workloads": [...], "gateways": [...], ...}``
            (:class:`~pulumi_meshgw.components.args.MeshArgs`; snake_case keys such as
            ``virtual_services`` are read as their config names), or a MeshSpec.
        spec: The same as ``args``, by its earlier name. Give one of the two.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        opts: Pulumi options.

    Attributes:
        workloads: ``{name: GatewayWorkload | ExistingWorkload}``.
        gateways: ``{name: Gateway}``.
        egress_gateways: ``{name: EgressGateway}``.
        egress_sidecars: ``{client namespace: Sidecar}``, one per namespace for all egress gateways.
        destination_rules: ``{"namespace/name": DestinationRule}``.
        virtual_services: ``{"namespace/name": VirtualService}``.
        plan: The checked plan (rendered objects, warnings).
    """

    TYPE = "meshgw:index:Mesh"

    gateway_refs: dict[str, str]
    """``{gateway name: namespace/name}``, for VirtualServices declared outside the Mesh."""
    service_fqdns: dict[str, str]
    """``{workload name: Service cluster DNS name}`` of the ingress and egress workloads."""
    addresses: dict[str, str]
    """``{workload name: fixed load-balancer address}`` where the config gives or allocates one."""

    @cluster_scoped
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: MeshArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        spec: MeshSpec | Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
        _problems: Sequence[Problem] = (),
    ) -> None:
        with validated(f"{self.TYPE} {resource_name}"):
            if spec is not None and args:
                raise ConfigError(
                    [Problem("spec", "given both as args and as spec; give it once", "MGW0100")]
                )
            given: Any = spec if spec is not None else args
            if isinstance(given, Mapping):  # config-driven: plain values only (docs/inputs.md)
                refuse_outputs(given, f"{self.TYPE} {resource_name}", MESH_PLAIN)
            files = PemFiles(base_dir)
            if isinstance(given, MeshSpec):
                mesh = resolve_mesh_lookups(given)  # AWS address lookups, before the stack-wide checks
                plan: MeshPlan = plan_mesh(mesh, files=files)
            else:
                # Every independent problem of the config at once (items that parse are planned).
                mesh, plan = plan_config(
                    _config_names(given), files=files, resolve=resolve_mesh_lookups, problems=_problems
                )
        super().__init__(self.TYPE, resource_name, None, opts)
        adopt_dependencies(self, opts)
        self.plan = plan
        state = current_state()
        # What the plan was checked against is declared to the stack too, so components created
        # after the Mesh see the same external objects (no declare_external of their own).
        declare_external(state.index, mesh)
        for p in plan.warnings:
            pulumi.log.warn(str(p), self)
        for p in plan.infos:
            pulumi.log.info(str(p), self)
        child = child_options(self)
        for ns in plan.namespaces:
            name = ns["metadata"]["name"]
            state.namespaces[name] = register_manifest(ns, self, name=program_unique_name(child_name(ns)))
        self.workloads: dict[str, GatewayWorkload | ExistingWorkload] = {}
        for name, wp in plan.workloads.items():
            if wp.spec.is_external:
                self.workloads[name] = ExistingWorkload(wp.spec)
            else:
                self.workloads[name] = GatewayWorkload(
                    name,
                    spec=wp.spec,
                    ports=wp.ports,
                    credentials=wp.credentials,
                    reads_secrets=wp.reads_secrets,
                    backends=wp.backends,
                    opts=child,
                    _planned=True,
                )
        self.gateways: dict[str, Gateway] = {}
        for name, gp in plan.gateways.items():
            self.gateways[name] = Gateway(
                name, workload=self.workloads[gp.spec.workload], spec=gp.spec, opts=child, _plan=gp
            )
            state.index.add([gp.manifest])
        # Egress gateways after the ingress gateways; each registers its own objects and client
        # NetworkPolicies, and the Mesh registers one Sidecar per client namespace for all of them.
        self.egress_gateways: dict[str, EgressGateway] = {}
        for name, ep in plan.egress_gateways.items():
            self.egress_gateways[name] = EgressGateway(
                name, spec=ep.spec, opts=child, _plan=ep, _sidecars=False
            )
        self.egress_sidecars = register_egress_sidecars(
            self,
            [r for ep in plan.egress_gateways.values() for r in ep.objects.lockdown],
            [vs for e in self.egress_gateways.values() for vs in e.virtual_services.values()],
        )
        self.destination_rules: dict[str, DestinationRule] = {}
        for dr, m in plan.destination_rules:
            self.destination_rules[f"{dr.namespace}/{dr.name}"] = DestinationRule(
                child_name(m), spec=dr, opts=child, _prechecked=True
            )
        self.virtual_services: dict[str, VirtualService] = {}
        for vs, m in plan.virtual_services:
            self.virtual_services[f"{vs.namespace}/{vs.name}"] = VirtualService(
                child_name(m), spec=vs, opts=child, _prechecked=True
            )
        self.gateway_refs = {n: g.ref for n, g in self.gateways.items()}
        self.service_fqdns = {
            **{n: w.service_fqdn for n, w in self.workloads.items() if isinstance(w, GatewayWorkload)},
            **{n: e.service_fqdn for n, e in self.egress_gateways.items()},
        }
        self.addresses = dict(sorted(plan.addresses.items()))
        self.register_outputs(
            {
                "gatewayRefs": self.gateway_refs,
                "serviceFqdns": self.service_fqdns,
                "gateways": {n: g.ref for n, g in self.gateways.items()},
                "workloads": {
                    n: w.service_fqdn for n, w in self.workloads.items() if isinstance(w, GatewayWorkload)
                },
                "egressGateways": {n: e.service_fqdn for n, e in self.egress_gateways.items()},
                "addresses": dict(sorted(plan.addresses.items())),
            }
        )
