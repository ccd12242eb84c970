"""Gateway: an Istio Gateway bound to a gateway workload object, with its TLS credentials."""

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import pulumi

from ..errors import ConfigError, Problem
from ..pem_files import PemFiles
from ..plan import GatewayPlan, plan_gateway, uses_credential
from ..render._meta import Manifest
from ..spec._base import SpecModel, parse
from ..spec.envoy_filters import HttpCache, LocalRateLimit
from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ..spec.security import Authentication, Firewall
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import (
    NAMING,
    NAMING_MESSAGE,
    Late,
    LateRefs,
    Leaf,
    fill,
    lift_pem,
    log_waiting,
    namespace_output,
    output_leaves,
    refuse_at,
    resolved,
    same_shape,
    stand_in_model,
)
from ._runtime import (
    StackState,
    adopt_dependencies,
    current_state,
    raise_diagnostics,
    register_manifest,
    tls_secret_names,
    validated,
)
from ._security import shared_peer_authentications
from .args import GatewayArgs
from .workload import ExistingWorkload, GatewayWorkload, register_credentials

__all__ = ["Gateway"]


def gateway_options(**options: SpecModel | Mapping[str, Any] | None) -> dict[str, Any]:
    """The gateway functions that are set (``cache``, ``rateLimit``, ``firewall``,
    ``authentication``), in config shape."""
    return {k: v.dump() if isinstance(v, SpecModel) else dict(v) for k, v in options.items() if v is not None}


def check_gateway_plan(
    plan: GatewayPlan, state: StackState, context: str, resource: pulumi.Resource | None = None
) -> None:
    """Check a Gateway planned outside a Mesh against the program so far, and log its warnings.

    Its Secrets are declared first; its policies are checked against the workload (MGW0201: IP
    rules without the client IP). ``resource`` is what the findings are logged on.
    """
    for cred in plan.credentials:
        state.index.declare_secret(cred.namespace, cred.name)
    raise_diagnostics(state.index.check([plan.manifest]), context)
    plan.extras = shared_peer_authentications(plan.extras, state, context)
    raise_diagnostics(state.index.check(plan.extras), context, resource)
    for warning in plan.warnings:
        pulumi.log.warn(str(warning), resource)


_WORKLOAD: tuple[str, ...] = ("workload",)


def _check_role(workload: GatewayWorkload | ExistingWorkload, spec: GatewaySpec) -> None:
    if isinstance(workload, GatewayWorkload) and workload.role is None and uses_credential(spec):
        raise ConfigError(
            [
                Problem(
                    "servers",
                    f"workload {workload.spec.name!r} was created without the Role that lets "
                    "istiod serve TLS credentials to its pods (none of its Gateways used one), so "
                    "this Gateway's credentialName would be refused; create the workload with "
                    "reads_secrets=True, or with this Gateway in gateways=[...]",
                    "MGW0112",
                )
            ]
        )


class Gateway(pulumi.ComponentResource):
    """An Istio ``Gateway`` (networking.istio.io/v1) applied to a workload's pods.

    The selector comes from the workload object, never typed twice. TLS material for terminating
    servers becomes a ``kubernetes.io/tls`` Secret (or a cert-manager Certificate) in the namespace
    where the workload's pods run, which is the only place Istio reads it from.

    Takes a :class:`~pulumi_meshgw.components.args.GatewayArgs` (``Gateway("x", GatewayArgs(...))``)
    or the same fields as keywords. ``namespace``, ``labels`` values and the values inside
    ``servers`` (hosts, port numbers, certificate PEM), ``firewall`` and the other functions take
    Outputs: the objects are registered at once and checked when the values resolve, with the
    plain message. A port's name, protocol and TLS mode are plain (MGW0100); docs/inputs.md.

    Args:
        resource_name: Pulumi name; also the Gateway name unless ``name`` is given.
        args: The fields below as one :class:`~pulumi_meshgw.components.args.GatewayArgs`.
        workload: A :class:`GatewayWorkload`, :meth:`GatewayWorkload.existing`, or a
            :class:`~pulumi_meshgw.components.args.WorkloadRefArgs` mapping (required).
        servers: Istio ``servers``, as dicts in Istio's YAML shape or :class:`~pulumi_meshgw.spec.Server`.
            ``tls.certificate`` (``selfSigned``, ``certManager`` or ``config``) or Istio's
            ``serverCertificate``/``privateKey`` files say where the certificate comes from.
        name: Gateway name (a DNS-1123 label). Default: ``resource_name``.
        namespace: Where the Gateway object lives. Default: the workload's namespace.
        labels: Extra labels. Default: none.
        overrides: Deep-merged into the rendered Gateway (escape hatch). Default: none.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        cache: Envoy's in-memory HTTP cache for the hosts named (an ``HttpCache``, or a dict in
            config shape: ``{"hosts": [...], "maxBodyBytes": ...}``); an EnvoyFilter. Default: off.
        rate_limit: Envoy's local rate limit for the hosts named (a ``LocalRateLimit``, or a dict
            in config shape: ``{"hosts": [...], "tokenBucket": {...}}``); an EnvoyFilter.
            Default: off.
        firewall: IP allow- and deny-lists (:class:`~pulumi_meshgw.spec.security.Firewall` or a dict
            in config shape: ``{"allow": [...], "deny": [...], "hosts": [...]}``); a DENY
            AuthorizationPolicy. Default: none. See docs/security.md.
        authentication: JWT, external authorization and PeerAuthentication
            (:class:`~pulumi_meshgw.spec.security.Authentication` or a dict in config shape).
            Default: none. See docs/security.md.
        opts: Pulumi options.

    Attributes:
        gateway: The Gateway custom resource.
        credentials: The Secret/Certificate resources this Gateway made, by name.
        ref: ``namespace/name``, for a VirtualService's ``gateways``.
    """

    TYPE = "meshgw:index:Gateway"

    ref: str
    """The Gateway's ``namespace/name``: what a VirtualService's ``gateways`` lists."""
    name: str
    """The Gateway object's name."""
    namespace: str
    """The Gateway object's namespace."""
    tls_secret_names: list[str]
    """The ``credentialName`` of each terminating server, sorted: the Secrets in the gateway pods'
    namespace that hold its certificates (made by this Gateway or existing)."""

    def _late_plan(
        self,
        resource_name: str,
        planned_spec: GatewaySpec,
        planned: GatewayPlan,
        raw: Mapping[str, Any],
        leaves: Sequence[Leaf],
        workload: GatewayWorkload | ExistingWorkload,
        files: PemFiles,
        state: StackState,
        context: str,
    ) -> Late:
        """The Gateway's objects rendered from the real values, after the checks they allow."""
        wlate: Late | None = getattr(workload, "late", None)
        real_workload: pulumi.Output[Any] | None = getattr(workload, "late_spec", None)
        # The workload's real spec travels as one more value (its pods' namespace, its name).
        extra: list[Leaf] = [(_WORKLOAD, real_workload)] if real_workload is not None else []

        def real(values: dict[Any, Any]) -> list[Manifest]:
            wspec = values.pop(_WORKLOAD, workload.spec)
            with validated(context):
                spec = parse(GatewaySpec, fill(raw, values)) if raw else planned_spec
                plan = plan_gateway(spec, wspec, files=files)
            check_gateway_plan(plan, state, context, self)
            real_objects = [plan.manifest, *plan.extras]
            same_shape([planned.manifest, *planned.extras], real_objects, [*leaves, *extra], context)
            state.gateways[(plan.namespace, spec.name)] = self
            return real_objects

        ns_out = namespace_output(raw) or (wlate.namespace if wlate is not None else None)
        owner = resource_name if ns_out is not None else None
        return Late([planned.manifest, *planned.extras], resolved([*leaves, *extra], real), owner, ns_out)

    @with_args(required=("workload",))
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: GatewayArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        workload: GatewayWorkload | ExistingWorkload | Mapping[str, Any] | None = None,
        servers: Sequence[Server | Mapping[str, Any]] | None = None,
        name: str | None = None,
        namespace: pulumi.Input[str] | None = None,
        labels: Mapping[str, pulumi.Input[str]] | None = None,
        overrides: Mapping[str, Any] | None = None,
        base_dir: Path | None = None,
        spec: GatewaySpec | None = None,
        cache: HttpCache | Mapping[str, Any] | None = None,
        rate_limit: LocalRateLimit | Mapping[str, Any] | None = None,
        firewall: Firewall | Mapping[str, Any] | None = None,
        authentication: Authentication | Mapping[str, Any] | None = None,
        _plan: GatewayPlan | None = None,
        _late: Late | None = None,
    ) -> None:
        context = f"{self.TYPE} {resource_name}"
        state = current_state()
        if isinstance(workload, Mapping):  # a WorkloadRefArgs: pods this call does not manage
            workload = GatewayWorkload.existing(**workload)
        assert workload is not None  # with_args checked it
        lifted, pem_warnings = lift_pem(
            [s.dump() if isinstance(s, Server) else s for s in servers or []], context
        )
        files = PemFiles(base_dir)
        wlate: Late | None = getattr(workload, "late", None)
        leaves: list[Leaf] = []
        late: Late | None = _late
        with validated(context):
            if spec is None:
                raw: dict[str, Any] = {
                    "name": name or resource_name,
                    "workload": workload.spec.name,
                    "servers": lifted,
                }
                if namespace is not None:
                    raw["namespace"] = namespace
                if labels:
                    raw["labels"] = dict(labels)
                if overrides:
                    raw["overrides"] = dict(overrides)
                raw.update(
                    gateway_options(
                        cache=cache, rateLimit=rate_limit, firewall=firewall, authentication=authentication
                    )
                )
                leaves = output_leaves(raw)
                refuse_at(leaves, NAMING, NAMING_MESSAGE, context)
                if not leaves:
                    spec = parse(GatewaySpec, raw)
                else:
                    spec = stand_in_model(partial(parse, GatewaySpec), raw, leaves, context)
            plan = _plan or plan_gateway(spec, workload.spec, files=files)
            _check_role(workload, spec)
        if late is None and (leaves or wlate is not None):
            # Outputs (a namespace, hosts, ports, CIDRs), here or in the workload: registered now in
            # the shape stand-ins give; the bodies and the checks wait for the values (docs/inputs.md).
            late = self._late_plan(
                resource_name, spec, plan, raw if leaves else {}, leaves, workload, files, state, context
            )
        if _plan is None and late is None:
            check_gateway_plan(plan, state, context)
        super().__init__(self.TYPE, resource_name, None, opts)
        for warning in pem_warnings:
            pulumi.log.warn(str(warning), self)
        if leaves:
            log_waiting(context, leaves, "its checks (schema, IST0101, IST0145 and the rest)", self)
        adopt_dependencies(self, opts)
        self.spec = spec
        self.name = spec.name
        self.late = late
        creds = register_credentials(self, plan.credentials, state, list(workload.dependencies()), late)
        self.credentials = {c.name: r for c, r in zip(plan.credentials, creds, strict=False)}
        ns_dep = state.namespaces.get(plan.namespace) if late is None or late.namespace is None else None
        deps = [*workload.dependencies(), *creds, *([ns_dep] if ns_dep is not None else [])]
        if late is None:
            self.gateway = register_manifest(plan.manifest, self, deps)
            # Function objects (policies, filters) select the same pods; they follow the Gateway so a
            # preview shows them next to it, and destroy removes them first.
            self.functions = [register_manifest(m, self, [self.gateway]) for m in plan.extras]
            state.index.add(plan.extras)
            state.gateways[(plan.namespace, spec.name)] = self
            self.namespace = plan.namespace
            self.ref = f"{plan.namespace}/{spec.name}"
        else:
            self.gateway = late.register(plan.manifest, self, deps)
            self.functions = [late.register(m, self, [self.gateway]) for m in plan.extras]
            # The real namespace, once the checks passed (a route bound by this Output waits for them).
            real_ns = late.real.apply(lambda ms: str(ms[0]["metadata"]["namespace"]))
            # Outputs where the values are (the annotations name the plain type the schema shows).
            self.namespace = cast(Any, late.namespace) if late.namespace is not None else plan.namespace
            self.ref = cast(
                Any,
                pulumi.Output.all(real_ns, self.gateway.urn).apply(
                    lambda v: f"{v[0]}/{spec.name}" if spec is not None else ""
                ),
            )
            if late.namespace is None:  # a route naming it as text waits for its checks too
                state.slot(LateRefs)[f"{plan.namespace}/{spec.name}"] = self.ref  # type: ignore[assignment]
        self.tls_secret_names = tls_secret_names(plan.manifest)
        self.register_outputs(
            {
                "ref": self.ref,
                "name": self.name,
                "namespace": self.namespace,
                "tlsSecretNames": self.tls_secret_names,
            }
        )
