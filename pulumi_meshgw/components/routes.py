"""VirtualService and DestinationRule: typed Istio resources that bind to Gateway objects.

These are single Kubernetes objects, so they are custom resources themselves (a subclass of
``pulumi_kubernetes.apiextensions.CustomResource``) rather than components wrapping one: a wrapper
would double the registrations of a mesh with thousands of routes and add a node per route to every
preview, for nothing a reviewer needs. They validate, render and check against the stack's registry
before registering, and depend on the Gateways they bind and the DestinationRules whose subsets they
use, so ``pulumi destroy`` removes routes before the Gateways they bind.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from ..analysis.hosts import fqdn
from ..constants import ISTIO_NETWORKING
from ..errors import ConfigError, Problem, show
from ..render._meta import Manifest
from ..render.destination_rule import render_destination_rule
from ..render.virtual_service import render_virtual_service
from ..spec._base import parse
from ..spec.resources import DestinationRuleSpec, VirtualServiceSpec
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import Leaf, check_known, fill, late_ref, log_waiting, output_leaves, resolved
from ._runtime import StackState, current_state, inherited_dependencies, raise_diagnostics, validated
from .args import DestinationRuleArgs, VirtualServiceArgs
from .gateway import Gateway

__all__ = ["DestinationRule", "VirtualService"]

GatewayRef = Gateway | str


def _destination_hosts(spec: VirtualServiceSpec) -> list[tuple[str, str]]:
    hosts: list[tuple[str, str]] = []
    for block in (spec.http or [], spec.tcp or [], spec.tls or []):
        for rule in block:
            for d in rule.route or []:
                if d.destination.subset:
                    hosts.append((d.destination.host, spec.namespace))
    return hosts


class VirtualService(k8s.apiextensions.CustomResource):
    """An Istio ``VirtualService`` bound to Gateways declared in the same program.

    Takes a :class:`~pulumi_meshgw.components.args.VirtualServiceArgs`
    (``VirtualService("x", VirtualServiceArgs(...))``) or the same fields as keywords.

    Args:
        resource_name: Pulumi name; also the object name unless ``name`` is given.
        args: The fields below as one :class:`~pulumi_meshgw.components.args.VirtualServiceArgs`.
        namespace: The route's namespace (usually the application's).
        hosts: Istio ``hosts``. Each must be served by a bound Gateway (IST0132), else preview fails.
        gateways: :class:`Gateway` objects, ``namespace/name`` of Gateways declared in this
            program, or ``mesh``. Emitted as ``namespace/name``. Default: none (Istio's ``[mesh]``).
        http, tcp, tls: Istio route lists, as dicts in Istio's YAML shape. Order is kept.
        export_to: Istio ``exportTo``. Default: unset (visible everywhere).
        name: Object name. Default: ``resource_name``.
        overrides: Deep-merged into the rendered object (escape hatch). Default: none.
        spec: A ready VirtualServiceSpec instead of the fields above.
        opts: Pulumi options; depends_on the bound Gateways and used DestinationRules is added.
    """

    @with_args()
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: VirtualServiceArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespace: pulumi.Input[str] | None = None,
        hosts: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        gateways: Sequence[GatewayRef | pulumi.Output[str]] | None = None,
        http: Sequence[Mapping[str, Any]] | None = None,
        tcp: Sequence[Mapping[str, Any]] | None = None,
        tls: Sequence[Mapping[str, Any]] | None = None,
        export_to: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        name: pulumi.Input[str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        spec: VirtualServiceSpec | None = None,
        _prechecked: bool = False,
    ) -> None:
        context = f"VirtualService {resource_name}"
        state = current_state()
        leaves: list[Leaf] = []
        if spec is None:
            refs = (
                None
                if gateways is None
                else [g.ref if isinstance(g, Gateway) else late_ref(g) for g in gateways]
            )
            raw = {
                "name": name or resource_name,
                "namespace": namespace,
                "hosts": hosts
                if isinstance(hosts, pulumi.Output)
                else list(cast(Sequence[Any], hosts or [])),
                "gateways": refs,
                "http": http,
                "tcp": tcp,
                "tls": tls,
                "exportTo": export_to,
                "overrides": dict(overrides or {}),
            }
            raw = {k: v for k, v in raw.items() if v is not None}
            leaves = output_leaves(raw)

        def checked(fields: Mapping[str, Any] | VirtualServiceSpec) -> tuple[VirtualServiceSpec, Manifest]:
            with validated(context):
                vs = fields if isinstance(fields, VirtualServiceSpec) else parse(VirtualServiceSpec, fields)
                bound_ = _bound_gateways(vs, state, _prechecked)
                manifest = render_virtual_service(vs)
            if not _prechecked:
                raise_diagnostics(state.index.check([manifest]), context)
            else:
                state.index.add([manifest])
            bound.extend(bound_)
            return vs, manifest

        bound: list[Any] = []
        if not leaves:
            spec, manifest = checked(spec if spec is not None else raw)
            metadata: Any = manifest["metadata"]
            body: Any = manifest["spec"]
        else:
            # Outputs (a namespace from a Namespace resource, hosts from a DNS record): the plain
            # values are checked now; the rest when the Outputs resolve (docs/inputs.md).
            known = check_known(partial(parse, VirtualServiceSpec), raw, leaves, context)
            if known is not None:
                bound.extend(state.gateways[ref] for ref in known.gateway_refs() if ref in state.gateways)
            live = resolved(leaves, lambda values: checked(fill(raw, values))[1])
            metadata = live.apply(lambda m: m["metadata"])
            body = live.apply(lambda m: m["spec"])
        deps: list[pulumi.Resource] = [g.gateway for g in bound]
        if spec is not None:
            deps.extend(state.dr_dependencies(_destination_hosts(spec)))
        deps.extend(inherited_dependencies(opts.parent if opts else None))
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=deps)) if deps else opts
        super().__init__(
            resource_name,
            api_version=ISTIO_NETWORKING,
            kind="VirtualService",
            metadata=metadata,
            spec=body,
            opts=merged,
        )
        if leaves:
            log_waiting(context, leaves, "its checks (schema, IST0101, IST0132 and the rest)", self)


def _bound_gateways(spec: VirtualServiceSpec, state: StackState, prechecked: bool) -> list[Any]:
    """The Gateway components a route binds; a Gateway the program does not know is IST0101."""
    bound = []
    for gns, gname in spec.gateway_refs():
        gw = state.gateways.get((gns, gname))
        if gw is None and (prechecked or (gns, gname) in state.index.gateways):
            continue  # checked by the Mesh plan, or declared external (declare_external)
        if gw is None:
            known = sorted(f"{n}/{g}" for n, g in (*state.gateways, *state.index.gateways))
            close = difflib.get_close_matches(f"{gns}/{gname}", known, n=1)
            guess = f" (did you mean {show(close[0])}?)" if close else ""
            raise ConfigError(
                [
                    Problem(
                        "gateways",
                        f"gateway {gns}/{gname} is not declared in this program{guess}; create "
                        "the Gateway first and pass the object (or its namespace/name), or "
                        "declare it with declare_external",
                        "IST0101",
                    )
                ]
            )
        bound.append(gw)
    return bound


class DestinationRule(k8s.apiextensions.CustomResource):
    """An Istio ``DestinationRule``: subsets and traffic policy for one host.

    Declare it before the VirtualServices that route to its subsets; they then depend on it, so the
    subsets exist before traffic is sent to them.

    Takes a :class:`~pulumi_meshgw.components.args.DestinationRuleArgs` or the same fields as
    keywords.

    Args:
        resource_name: Pulumi name; also the object name unless ``name`` is given.
        args: The fields below as one :class:`~pulumi_meshgw.components.args.DestinationRuleArgs`.
        namespace: The rule's namespace.
        host: Istio ``host``.
        traffic_policy, subsets, export_to, workload_selector: Istio fields, as dicts.
        name: Object name. Default: ``resource_name``.
        overrides: Deep-merged into the rendered object (escape hatch). Default: none.
        spec: A ready DestinationRuleSpec instead of the fields above.
        opts: Pulumi options.
    """

    @with_args()
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: DestinationRuleArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        namespace: pulumi.Input[str] | None = None,
        host: pulumi.Input[str] | None = None,
        traffic_policy: Mapping[str, Any] | None = None,
        subsets: Sequence[Mapping[str, Any]] | None = None,
        export_to: Sequence[str] | None = None,
        workload_selector: Mapping[str, Any] | None = None,
        name: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        spec: DestinationRuleSpec | None = None,
        _prechecked: bool = False,
    ) -> None:
        state = current_state()
        context = f"DestinationRule {resource_name}"
        leaves: list[Leaf] = []
        if spec is None:
            raw = {
                "name": name or resource_name,
                "namespace": namespace,
                "host": host,
                "trafficPolicy": traffic_policy,
                "subsets": subsets,
                "exportTo": export_to,
                "workloadSelector": workload_selector,
                "overrides": dict(overrides or {}),
            }
            raw = {k: v for k, v in raw.items() if v is not None}
            leaves = output_leaves(raw)

        def checked(fields: Mapping[str, Any] | DestinationRuleSpec) -> tuple[DestinationRuleSpec, Manifest]:
            with validated(context):
                dr = fields if isinstance(fields, DestinationRuleSpec) else parse(DestinationRuleSpec, fields)
                manifest = render_destination_rule(dr)
            if not _prechecked:
                raise_diagnostics(state.index.check([manifest]), context)
            else:  # a Mesh checked it with the whole stack, and logs the findings with config paths
                state.index.add([manifest])
            return dr, manifest

        known: DestinationRuleSpec | None
        if not leaves:
            known, manifest = checked(spec if spec is not None else raw)
            metadata: Any = manifest["metadata"]
            body: Any = manifest["spec"]
        else:  # Outputs: checked when they resolve (docs/inputs.md); plain values now
            known = check_known(partial(parse, DestinationRuleSpec), raw, leaves, context)
            live = resolved(leaves, lambda values: checked(fill(raw, values))[1])
            metadata = live.apply(lambda m: m["metadata"])
            body = live.apply(lambda m: m["spec"])
        inherited = inherited_dependencies(opts.parent if opts else None)
        if inherited:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=inherited))
        super().__init__(
            resource_name,
            api_version=ISTIO_NETWORKING,
            kind="DestinationRule",
            metadata=metadata,
            spec=body,
            opts=opts,
        )
        if leaves:
            log_waiting(context, leaves, "its checks (schema, IST0101 and the rest)", self)
        elif known is not None:  # routes to its subsets wait for it (by the plain host)
            state.destination_rules.setdefault(fqdn(known.host, known.namespace), []).append(self)
        self.rule_spec = known
