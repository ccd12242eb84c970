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
from ..spec.names import item_keys
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
        workloads: ``{key: GatewayWorkload | ExistingWorkload}``. A key is the item's name, or
            ``namespace/name`` where items of the list in several namespaces share the name
            (:func:`~pulumi_meshgw.spec.names.item_keys`); the key is also the child's Pulumi name.
        gateways: ``{key: Gateway}``.
        egress_gateways: ``{key: EgressGateway}``.
        egress_sidecars: ``{client namespace: Sidecar}``, one per namespace for all egress gateways.
        destination_rules: ``{"namespace/name": DestinationRule}``.
        virtual_services: ``{"namespace/name": VirtualService}``.
        plan: The checked plan (rendered objects, warnings).
    """

    TYPE = "meshgw:index:Mesh"

    gateway_refs: dict[str, str]
    """``{gateway key: namespace/name}``, for VirtualServices declared outside the Mesh."""
    service_fqdns: dict[str, str]
    """``{workload key: Service cluster DNS name}`` of the ingress and egress workloads (keyed
    ``namespace/name`` where a workload and an egress gateway, or two of either, share a name)."""
    addresses: dict[str, str]
    """``{workload key: fixed load-balancer address}`` where the config gives or allocates one."""

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
        by_ident: dict[tuple[str, str], GatewayWorkload | ExistingWorkload] = {}
        named = _renamed_options(child, plan.workloads)
        for key, wp in plan.workloads.items():
            if wp.spec.is_external:
                self.workloads[key] = ExistingWorkload(wp.spec)
            else:
                self.workloads[key] = GatewayWorkload(
                    key,
                    spec=wp.spec,
                    ports=wp.ports,
                    credentials=wp.credentials,
                    reads_secrets=wp.reads_secrets,
                    backends=wp.backends,
                    opts=named[key],
                    _planned=True,
                )
            by_ident[(wp.spec.pod_namespace, wp.spec.name)] = self.workloads[key]
        self.gateways: dict[str, Gateway] = {}
        named = _renamed_options(child, plan.gateways)
        for key, gp in plan.gateways.items():
            workload = by_ident[(gp.workload.pod_namespace, gp.workload.name)]
            self.gateways[key] = Gateway(key, workload=workload, spec=gp.spec, opts=named[key], _plan=gp)
            state.index.add([gp.manifest])
        # Egress gateways after the ingress gateways; each registers its own objects and client
        # NetworkPolicies, and the Mesh registers one Sidecar per client namespace for all of them.
        self.egress_gateways: dict[str, EgressGateway] = {}
        named = _renamed_options(child, plan.egress_gateways)
        for key, ep in plan.egress_gateways.items():
            self.egress_gateways[key] = EgressGateway(
                key, spec=ep.spec, opts=named[key], _plan=ep, _sidecars=False
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
        # Workloads and egress gateways share the map: a name both use is keyed namespace/name.
        fqdns: list[tuple[tuple[str, str], str]] = [
            ((wp.spec.pod_namespace, wp.spec.name), w.service_fqdn)
            for w, wp in zip(self.workloads.values(), plan.workloads.values(), strict=True)
            if isinstance(w, GatewayWorkload)
        ]
        fqdns += [
            ((ep.spec.namespace, ep.spec.name), e.service_fqdn)
            for e, ep in zip(self.egress_gateways.values(), plan.egress_gateways.values(), strict=True)
        ]
        self.service_fqdns = dict(zip(item_keys([i for i, _ in fqdns]), (f for _, f in fqdns), strict=True))
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


def _renamed_options(
    child: pulumi.ResourceOptions, keys: Mapping[str, Any]
) -> dict[str, pulumi.ResourceOptions]:
    """The options of each child component, by its key (its Pulumi name).

    A key is the item's name, or ``namespace/name`` where several items share the name
    (:func:`~pulumi_meshgw.spec.names.item_keys`). The first item of a shared name (in config
    order) gets an alias to the bare name it was registered under while its name was unique, so a
    second item of that name renames nothing in an existing stack's state. The Kubernetes objects
    under a component never move: a URN carries the parent's type, not its name.
    """
    out: dict[str, pulumi.ResourceOptions] = {}
    seen: set[str] = set()
    for key in keys:
        name = key.rpartition("/")[2]
        first = "/" in key and name not in seen
        seen.add(name)
        alias = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=name)])
        out[key] = pulumi.ResourceOptions.merge(child, alias) if first else child
    return out
