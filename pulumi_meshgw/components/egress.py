"""EgressGateway: a dedicated exit node for traffic leaving the mesh, with its own policies and
telemetry, and the lock-down that makes client namespaces use it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import pulumi
import pulumi_tls as tls

from ..analysis.diagnostics import Level
from ..errors import Problem, show
from ..pem_files import PemFiles
from ..plan import Credential, EgressPlan, plan_egress
from ..render._meta import Manifest
from ..render.egress import ClientLockdown, render_sidecars
from ..render.secret import render_tls_secret
from ..spec._base import SpecModel, parse
from ..spec.egress import EgressDestination, EgressGatewaySpec
from ._addressing import nat_egress_ips
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import (
    Late,
    Leaf,
    fill,
    lift_origination_pem,
    log_waiting,
    output_leaves,
    refuse_at,
    resolved,
    same_shape,
    stand_in_model,
)
from ._runtime import (
    ComponentConfigError,
    StackState,
    adopt_dependencies,
    child_options,
    current_state,
    raise_diagnostics,
    register_manifest,
    validated,
    with_fingerprints,
)
from .args import EgressGatewayArgs
from .workload import GatewayWorkload, register_credentials

__all__ = ["EgressGateway", "register_egress_sidecars"]


@dataclass
class _Registry:
    """What the running program's egress gateways have claimed, to catch conflicts between
    EgressGateway components declared one by one (a Mesh checks its own up front)."""

    destinations: dict[tuple[str, int], str] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    sidecar_requests: dict[str, list[ClientLockdown]] = field(default_factory=dict)
    sidecars: dict[str, tuple[Manifest, pulumi.Resource]] = field(default_factory=dict)


def _registry() -> _Registry:
    return current_state().slot(_Registry)


def _by_namespace(requests: Sequence[ClientLockdown]) -> dict[str, list[ClientLockdown]]:
    out: dict[str, list[ClientLockdown]] = {}
    for r in requests:
        if r.sidecar:
            out.setdefault(r.namespace, []).append(r)
    return out


def _sidecar_problems(requests: Sequence[ClientLockdown], who: str) -> list[Problem]:
    """A namespace already locked down must not need a different Sidecar (there can be only one)."""
    reg = _registry()
    problems: list[Problem] = []
    for ns, reqs in sorted(_by_namespace(requests).items()):
        prev = reg.sidecars.get(ns)
        if prev is None:
            continue
        merged = render_sidecars([*reg.sidecar_requests[ns], *reqs])
        if merged[0] != prev[0]:
            owners = sorted({r.gateway for r in reg.sidecar_requests[ns]})
            problems.append(
                Problem(
                    f"{who}: Sidecar {ns}/default",
                    f"namespace {show(ns)} already has the Sidecar of egress gateway(s) {', '.join(owners)}, "
                    f"and this one needs other egress hosts {merged[0]['spec']['egress'][0]['hosts']}; a "
                    "namespace has one Sidecar. Declare the egress gateways in one Mesh "
                    "(meshgw:egressGateways), which merges it, or run them in the same namespace",
                    "IST0111",
                )
            )
    return problems


def register_egress_sidecars(
    parent: pulumi.Resource, requests: Sequence[ClientLockdown], depends_on: Sequence[pulumi.Resource]
) -> dict[str, pulumi.Resource]:
    """Register one namespace-wide Sidecar per client namespace, merged across ``requests``.

    A namespace that already has one (from an earlier egress gateway of this program) keeps it when
    the merged Sidecar would be the same; callers check the other case first (IST0111).

    Args:
        parent: The component that owns the Sidecars.
        requests: What the egress gateways ask of each client namespace.
        depends_on: The routes: the Sidecar closes the direct way out, so the way through the
            gateway must exist first.

    Returns:
        ``{namespace: Sidecar}``.
    """
    reg = _registry()
    out: dict[str, pulumi.Resource] = {}
    for ns, reqs in sorted(_by_namespace(requests).items()):
        prev = reg.sidecars.get(ns)
        if prev is not None:
            reg.sidecar_requests[ns].extend(reqs)
            out[ns] = prev[1]
            continue
        (manifest,) = render_sidecars(reqs)
        res = register_manifest(manifest, parent, depends_on)
        reg.sidecar_requests[ns] = list(reqs)
        reg.sidecars[ns] = (manifest, res)
        out[ns] = res
    return out


def _raw(value: SpecModel | Mapping[str, Any]) -> Any:
    return value.dump() if isinstance(value, SpecModel) else dict(value)


class EgressGateway(pulumi.ComponentResource):
    """An egress gateway: the dedicated exit node for the external destinations it lists.

    Children, in registration order (each waits for what it needs):

    1. the gateway workload (:class:`GatewayWorkload`, ClusterIP Service, one port per listener);
    2. origination Secrets (client certificates, CA bundles) in the gateway's namespace;
    3. the ``Gateway`` (after the Deployment and Service);
    4. the ``AuthorizationPolicy``, ``Telemetry`` and the gateway pods' ``NetworkPolicy``: nothing is
       routed before it is restricted and logged;
    5. the ``ServiceEntry`` of each host;
    6. the ``DestinationRule`` of the sidecar-to-gateway hop, and the origination ``DestinationRule``
       of each host with TLS origination (after its Secrets);
    7. the ``VirtualService`` of each host, after the Gateway, its ServiceEntry, both
       DestinationRules, the policy and the telemetry: a route never sends plain text to a TLS port
       or reaches an unrestricted gateway;
    8. the lock-down of each client namespace (``NetworkPolicy``, ``Sidecar``), after the routes.

    Everything is validated and checked (consistency, schemas, conflicts with what the program
    declared before) before anything is registered.

    Takes an :class:`~pulumi_meshgw.components.args.EgressGatewayArgs` or the same fields as
    keywords. ``egress_ips``, ``enforcement.allowedCidrs`` and
    ``destinations[].origination.certificate.pem`` (``cert``, ``key``, ``ca``: PEM text or
    Outputs) take Outputs; a destination's host, port, mode and sources, the names, namespaces and
    ``workload`` are plain, and an Output there is refused (MGW0100; docs/inputs.md).

    Args:
        resource_name: Pulumi name; also the gateway's name unless ``name`` is given.
        args: The fields below as one :class:`~pulumi_meshgw.components.args.EgressGatewayArgs`.
        destinations: External destinations, as dicts in the config shape (``host``, ``port``,
            ``mode``, ``sources``, ``origination``...) or :class:`EgressDestination`.
        namespace: Where the gateway runs. Default: ``istio-egress``.
        workload: Further :class:`~pulumi_meshgw.spec.WorkloadSpec` fields (``nodeSelector``,
            ``tolerations``, ``autoscaling``...). Default: none.
        client_namespaces: Namespaces to lock down besides the sources'. Default: none.
        telemetry: :class:`~pulumi_meshgw.spec.egress.EgressTelemetry` fields. Default: access logs
            and Prometheus metrics on.
        enforcement: :class:`~pulumi_meshgw.spec.egress.EgressEnforcement` fields. Default: Sidecar
            and NetworkPolicy on.
        egress_ips: The NAT source IPs of the egress node pool (from config). Default: none.
        nat_lookup: Look the NAT source IPs up when the program runs (``{"aws": {"subnetIds":
            [...]}}`` or ``subnetTags``); exported with ``egress_ips``. Default: none.
        vip_pool: Where ``tcp`` destinations get their VIPs: a CIDR. Default: ``240.241.0.0/16``.
        trust_domain: Mesh trust domain for principals. Default: ``cluster.local``.
        overrides: Per kind, deep-merged into this gateway's rendered objects. Default: none.
        name: The gateway's name. Default: ``resource_name``.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        spec: A ready EgressGatewaySpec instead of the fields above.
        opts: Pulumi options.

    Attributes:
        spec: The validated spec. ``plan``: the checked plan.
        workload: The :class:`GatewayWorkload`.
        gateway, authorization_policy, telemetry: The custom resources.
        network_policy: The gateway pods' NetworkPolicy, or None.
        credentials: ``{secret name: Secret | Certificate}``.
        service_entries, virtual_services: ``{host: resource}``.
        destination_rules: ``{name: resource}`` (the hop rule and the origination rules).
        client_network_policies, sidecars: ``{client namespace: resource}``.
        ref: ``namespace/name`` of the Gateway.
        service_fqdn: The Service's cluster DNS name (output ``serviceFqdn``).
        destinations: ``[{host, port, mode, meshPort}]`` (output ``destinations``).
        egress_ips: The NAT source IPs: ``egressIPs`` plus those ``natLookup`` found, sorted
            (output ``egressIps``).
    """

    TYPE = "meshgw:index:EgressGateway"

    ref: str
    """The egress Gateway's ``namespace/name``."""
    service_fqdn: str
    """The egress gateway Service's cluster DNS name."""
    destinations: list[dict[str, Any]]
    """Each destination as ``{host, port, mode, meshPort}``: the external host and port, and the
    port the mesh reaches it on through the gateway."""
    egress_ips: list[str]
    """The NAT source IPs traffic leaves with (``egressIPs`` plus those ``natLookup`` found),
    sorted: what a partner's allow-list needs."""

    @with_args()
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: EgressGatewayArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        destinations: Sequence[EgressDestination | Mapping[str, Any]] | None = None,
        namespace: str | None = None,
        workload: Mapping[str, Any] | None = None,
        client_namespaces: Sequence[str] | None = None,
        telemetry: SpecModel | Mapping[str, Any] | None = None,
        enforcement: SpecModel | Mapping[str, Any] | None = None,
        egress_ips: Sequence[str] | None = None,
        nat_lookup: SpecModel | Mapping[str, Any] | None = None,
        vip_pool: str | None = None,
        trust_domain: str | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        name: str | None = None,
        base_dir: Path | None = None,
        spec: EgressGatewaySpec | None = None,
        _plan: EgressPlan | None = None,
        _sidecars: bool = True,
    ) -> None:
        context = f"{self.TYPE} {resource_name}"
        state = current_state()
        files = PemFiles(base_dir)
        leaves: list[Leaf] = []
        with validated(context):
            if spec is None:
                lifted = lift_origination_pem([_raw(d) for d in destinations or []], context)
                raw: dict[str, Any] = {"name": name or resource_name, "destinations": lifted}
                optional: dict[str, Any] = {
                    "namespace": namespace,
                    "workload": dict(workload) if workload is not None else None,
                    "clientNamespaces": list(client_namespaces) if client_namespaces is not None else None,
                    "telemetry": _raw(telemetry) if telemetry is not None else None,
                    "enforcement": _raw(enforcement) if enforcement is not None else None,
                    "egressIPs": list(egress_ips) if egress_ips is not None else None,
                    "natLookup": _raw(nat_lookup) if nat_lookup is not None else None,
                    "vipPool": vip_pool,
                    "trustDomain": trust_domain,
                    "overrides": {k: dict(v) for k, v in overrides.items()} if overrides else None,
                }
                raw.update({k: v for k, v in optional.items() if v is not None})
                leaves = output_leaves(raw)
                refuse_at(leaves, _STRUCTURAL, _STRUCTURAL_MESSAGE, context)
                spec = (
                    stand_in_model(partial(parse, EgressGatewaySpec), raw, leaves, context)
                    if leaves
                    else parse(EgressGatewaySpec, raw)
                )
            plan = _plan or plan_egress(spec, files=files)
        reg = _registry()
        objects = plan.objects
        # The index sees everything but the Gateway and routes first, so that checking those finds
        # the Service ports and subsets they refer to.
        hosts = [*objects.service_entries, *objects.destination_rules]
        late: Late | None = None
        if _plan is None:
            # Checked against what the program declared before; a Mesh checks its own plan up front.
            # The workload's objects are checked by the GatewayWorkload below.
            problems = self._claim_problems(spec, reg)
            if _sidecars:
                problems.extend(_sidecar_problems(objects.lockdown, context))
            if problems:
                raise ComponentConfigError(problems, context=context)
        if leaves:
            # Outputs (CIDRs, ports, certificate values): registered now in the shape stand-ins give;
            # the bodies and the checks wait for the values (docs/inputs.md).
            planned = _registered(plan)
            fixed = raw

            def real(values: dict[Any, Any]) -> list[Manifest]:
                with validated(context):
                    real_plan = plan_egress(parse(EgressGatewaySpec, fill(fixed, values)), files=files)
                _check_egress(real_plan, state, context)
                out = _registered(real_plan)
                same_shape(planned, out, leaves, context)
                return out

            late = Late(planned, resolved(leaves, real), None)
        else:
            state.index.add([*plan.workload_manifests, *hosts])
            if _plan is None:
                _check_egress(plan, state, context, indexed=True)
            else:
                state.index.add([objects.gateway, *objects.virtual_services])
        for d in spec.destinations:
            reg.destinations.setdefault((d.host, d.external_port), spec.name)
            reg.hosts.setdefault(d.host, spec.name)
        super().__init__(self.TYPE, resource_name, None, opts)
        adopt_dependencies(self, opts)
        self.spec = spec
        self.plan = plan
        child = child_options(self)

        def put(
            m: Manifest, parent: pulumi.Resource, deps: Sequence[pulumi.Resource] = ()
        ) -> pulumi.CustomResource:
            return register_manifest(m, parent, deps) if late is None else late.register(m, parent, deps)

        self.workload = GatewayWorkload(
            f"{resource_name}-workload", spec=plan.workload, ports=plan.ports, opts=child
        )
        ns_dep = state.namespaces.get(spec.namespace)
        base: list[pulumi.Resource] = [ns_dep] if ns_dep is not None else []
        creds = self._register_credentials(plan.credentials, state, base, late)
        self.credentials = {c.name: r for c, r in zip(plan.credentials, creds, strict=True)}

        self.gateway = put(objects.gateway, self, [*self.workload.dependencies(), *base])
        self.ref = spec.gateway_ref
        state.gateways[(spec.namespace, spec.name)] = self

        self.authorization_policy = put(objects.authorization_policy, self, base)
        self.telemetry = put(objects.telemetry, self, base)
        self.network_policy = (
            put(objects.network_policy, self, base) if objects.network_policy is not None else None
        )
        guards = [self.authorization_policy, self.telemetry]
        if self.network_policy is not None:
            guards.append(self.network_policy)

        self.service_entries: dict[str, pulumi.Resource] = {}
        for se in objects.service_entries:
            self.service_entries[se["spec"]["hosts"][0]] = put(se, self, base)
        self.destination_rules: dict[str, pulumi.Resource] = {}
        hop = put(objects.hop_rule, self, [self.workload.service])
        self.destination_rules[objects.hop_rule["metadata"]["name"]] = hop
        origination: dict[str, pulumi.Resource] = {}
        for dr in objects.origination_rules:
            res = put(dr, self, [*base, *creds])
            self.destination_rules[dr["metadata"]["name"]] = res
            origination[dr["spec"]["host"]] = res

        self.virtual_services: dict[str, pulumi.Resource] = {}
        for vs in objects.virtual_services:
            host = vs["spec"]["hosts"][0]
            deps = [self.gateway, self.service_entries[host], hop, *guards]
            if host in origination:
                deps.append(origination[host])
            self.virtual_services[host] = put(vs, self, deps)

        routes = list(self.virtual_services.values())
        self.client_network_policies: dict[str, pulumi.Resource] = {
            m["metadata"]["namespace"]: put(m, self, routes) for m in plan.client_policies
        }
        self.sidecars: dict[str, pulumi.Resource] = (
            register_egress_sidecars(self, objects.lockdown, routes) if _sidecars else {}
        )

        self.service_fqdn = spec.service_fqdn
        self.destinations = plan.destinations()
        if leaves:
            log_waiting(context, leaves, "its checks (schema, IST0109, IST0132 and the rest)", self)
            # egressIPs (CIDRs from other resources): exported once known.
            self.egress_ips = cast(Any, resolved(leaves, partial(_real_egress_ips, raw, context)))
        else:
            with validated(context):
                # egressIPs, plus the NAT gateway addresses natLookup finds (docs/addressing.md).
                self.egress_ips = nat_egress_ips(spec)
        self.register_outputs(
            {
                "ref": self.ref,
                "serviceFqdn": self.service_fqdn,
                "destinations": self.destinations,
                "egressIps": self.egress_ips,
            }
        )

    @staticmethod
    def _claim_problems(spec: EgressGatewaySpec, reg: _Registry) -> list[Problem]:
        problems: list[Problem] = []
        for j, d in enumerate(spec.destinations):
            owner = reg.destinations.get((d.host, d.external_port))
            if owner is not None and owner != spec.name:
                problems.append(
                    Problem(
                        f"destinations[{j}]",
                        f"{d.host}:{d.external_port} is already claimed by egress gateway {show(owner)}; a "
                        "destination leaves through exactly one egress gateway",
                        "MGW0310",
                    )
                )
                continue
            owner = reg.hosts.get(d.host)
            if owner is not None and owner != spec.name:
                problems.append(
                    Problem(
                        f"destinations[{j}].host",
                        f"{d.host} already leaves through egress gateway {show(owner)}; every port of a host "
                        "must use the same egress gateway (one mesh-bound VirtualService per host)",
                        "IST0109",
                    )
                )
        return problems

    def _register_credentials(
        self,
        credentials: Sequence[Credential],
        state: StackState,
        depends_on: Sequence[pulumi.Resource],
        late: Late | None = None,
    ) -> list[pulumi.Resource]:
        out: list[pulumi.Resource] = []
        for cred in credentials:
            if cred.source != "self_signed":
                out.extend(register_credentials(self, [cred], state, depends_on, late))
                continue
            key = (cred.namespace, cred.name)
            existing = state.credentials.get(key)
            if existing is None:
                existing = _self_signed_client(self, cred, depends_on)
                state.credentials[key] = existing
            out.append(existing)
        return out


_STRUCTURAL = {
    "host",
    "port",
    "namespace",
    "name",
    "mode",
    "sources",
    "clientNamespaces",
    "resolution",
    "workload",
    "natLookup",
}
"""Egress arguments that decide which objects exist and what they are named (a host names its
ServiceEntry, DestinationRule and VirtualService; a port its listener and the ``destinations``
output), or that are read when the program runs (docs/inputs.md)."""


_STRUCTURAL_MESSAGE = (
    "is an Output; an egress destination's host, port, mode and sources, and the gateway's name, "
    "namespaces and workload, decide which objects it registers and what they are named, so they "
    "take values known when the program runs (docs/inputs.md)"
)


def _real_egress_ips(raw: Mapping[str, Any], context: str, values: Mapping[Any, Any]) -> list[str]:
    with validated(context):
        return nat_egress_ips(parse(EgressGatewaySpec, fill(raw, values)))


def _registered(plan: EgressPlan) -> list[Manifest]:
    """Every object of ``plan`` an EgressGateway registers itself, in a fixed order."""
    o = plan.objects
    return [
        o.gateway,
        o.authorization_policy,
        o.telemetry,
        *([o.network_policy] if o.network_policy is not None else []),
        *o.service_entries,
        o.hop_rule,
        *o.origination_rules,
        *o.virtual_services,
        *plan.client_policies,
        *[c.manifest for c in plan.credentials if c.manifest is not None],
    ]


def _check_egress(plan: EgressPlan, state: StackState, context: str, indexed: bool = False) -> None:
    """The checks of an egress plan against what the program declared before."""
    o = plan.objects
    hosts = [*o.service_entries, *o.destination_rules]
    if not indexed:
        state.index.add([*plan.workload_manifests, *hosts])
    # As in a Mesh, the infos stay quiet: the only one is IST0128/IST0129 for a SIMPLE origination
    # that trusts the OS store, which is the intended default (docs/egress.md).
    found = state.index.check(hosts)
    raise_diagnostics([d for d in found if d.level is not Level.INFO], context)
    raise_diagnostics(state.index.check([o.gateway]), context)
    raise_diagnostics(state.index.check(o.virtual_services), context)


def _self_signed_client(
    parent: pulumi.Resource, cred: Credential, depends_on: Sequence[pulumi.Resource]
) -> pulumi.Resource:
    """A development client certificate, kept in Pulumi state; the key only as a secret Output.

    Unlike a gateway's server certificate it carries ``client_auth``: partners that check the
    extended key usage refuse a client certificate without it. It has no ``ca.crt``: the server is
    verified against ``caCertificates`` or the operating-system trust store, never against our own
    certificate.
    """
    params = cred.self_signed
    assert params is not None  # a self_signed credential always carries its parameters
    child = child_options(parent)
    key = tls.PrivateKey(
        f"{cred.namespace}/{cred.name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child
    )
    crt = tls.SelfSignedCert(
        f"{cred.namespace}/{cred.name}-cert",
        private_key_pem=key.private_key_pem,
        subject={"common_name": cred.name, "organization": params.organization},
        validity_period_hours=params.validity_hours,
        early_renewal_hours=params.early_renewal_hours,
        allowed_uses=["key_encipherment", "digital_signature", "client_auth"],
        opts=child,
    )
    secret = render_tls_secret(
        cred.name, cred.namespace, crt.cert_pem, pulumi.Output.secret(key.private_key_pem), owner=cred.gateway
    )
    return register_manifest(with_fingerprints(secret, crt.cert_pem), parent, depends_on)
