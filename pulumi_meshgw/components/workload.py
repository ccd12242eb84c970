"""GatewayWorkload: the Envoy Deployment a Gateway configuration applies to, and what runs with it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import pulumi
import pulumi_tls as tls

from ..analysis.pod_security import workload_pod_security_problems
from ..errors import ConfigError, Problem
from ..plan import Credential, service_ports, uses_credential
from ..render._meta import Manifest
from ..render.firewall import workload_with_firewall
from ..render.namespace import render_namespace
from ..render.secret import render_tls_secret
from ..render.service import ServicePortSpec
from ..render.workload import render_workload
from ..spec._base import parse
from ..spec.addressing import AddressPoolSpec
from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from ._addressing import prepare_workload, workload_address
from ._arguments import NO_ARGS, checked_arguments, with_args
from ._inputs import (
    NAMING,
    NAMING_MESSAGE,
    Late,
    fill,
    is_stand_in_host,
    log_waiting,
    namespace_output,
    output_leaves,
    refuse_at,
    registered_input,
    resolved,
    same_shape,
    stand_in_model,
)
from ._runtime import (
    ComponentConfigError,
    StackState,
    adopt_dependencies,
    child_name,
    child_options,
    current_state,
    load_balancer_address,
    program_unique_name,
    raise_diagnostics,
    register_manifest,
    validated,
    with_fingerprints,
)
from .args import GatewayWorkloadArgs

__all__ = ["ExistingWorkload", "GatewayWorkload", "register_credentials", "render_gateway_workload"]


@dataclass(frozen=True)
class ExistingWorkload:
    """A gateway workload this program does not manage, referenced by namespace and pod labels.

    Create with :meth:`GatewayWorkload.existing`. Gateways bound to it get its labels as selector and
    put TLS Secrets in its namespace.
    """

    spec: WorkloadSpec

    @property
    def namespace(self) -> str:
        return self.spec.pod_namespace

    @property
    def selector_labels(self) -> dict[str, str]:
        return self.spec.selector_labels

    def dependencies(self) -> list[pulumi.Resource]:
        return []


class GatewayWorkload(pulumi.ComponentResource):
    """An Envoy gateway Deployment using Istio's gateway injection, with its Service, ServiceAccount,
    secret-reading Role (only where a credential is served), HPA, PodDisruptionBudget and
    NetworkPolicy.

    Several workloads may run side by side (a public and a private one); several Gateways may share
    one. Arguments are the fields of :class:`~pulumi_meshgw.spec.WorkloadSpec` (snake_case or the
    camelCase config names), as a :class:`~pulumi_meshgw.components.args.GatewayWorkloadArgs` or
    keywords; each field documents its default. ``namespace`` and the fields that add no object
    take Outputs (docs/inputs.md): the objects are registered at once and their checks (schema, pod
    security, the cross-object ones) run when the values resolve, with the plain message.

    Args:
        resource_name: Pulumi name; also the workload name unless ``name`` is given.
        args: WorkloadSpec fields as one
            :class:`~pulumi_meshgw.components.args.GatewayWorkloadArgs`. Default: none.
        spec: A ready WorkloadSpec (alternative to the fields; also accepted in the ``args``
            place, as earlier releases took it).
        ports: Service ports. Default: derived from ``gateways`` if given, else ``http2`` 80 and
            ``https`` 443 (the chart's defaults). The status port 15021 is always first.
        gateways: Gateway specs that will bind to this workload; their server ports become the
            Service ports, and their firewall rules shape the Service (``loadBalancerSourceRanges``,
            client IP preservation) and turn on the NetworkPolicy.
        credentials: TLS Secrets to create between RBAC and the Deployment (used by IngressGateway
            and Mesh, which know them up front).
        address_pools: Pools that ``address: {pool: NAME}`` allocates from (the
            ``meshgw:addressPools`` shape). Default: none.
        reads_secrets: Whether the pods serve a ``credentialName`` (a Gateway server's or a
            DestinationRule's), which needs the Role that lets istiod hand them Secrets. Default:
            derived from ``gateways`` and ``credentials``; true when no ``gateways`` are given.
        backends: Namespaces the routes send to; the NetworkPolicy's egress is narrowed to them.
            Default: unknown, every namespace.
        opts: Pulumi options.
        **fields: WorkloadSpec fields, e.g. ``namespace="istio-ingress", exposure="public", cloud="aws"``.

    Attributes:
        spec: The validated WorkloadSpec.
        deployment, service, service_account: The child resources.
        role, role_binding: The secret-reading Role and its binding, or None when not rendered.
        hpa, pdb, network_policy: Child resources, or None when not rendered.
        resources: Every child resource by kind.
        service_fqdn: ``<name>.<namespace>.svc.cluster.local``.
        address: The fixed load-balancer address, where the config gives or allocates a literal one
            (output ``address``); else None.
    """

    TYPE = "meshgw:index:GatewayWorkload"

    service_name: str
    """The gateway Service's name (in the workload's namespace)."""
    service_fqdn: str
    """The gateway Service's cluster DNS name, ``<name>.<namespace>.svc.cluster.local``."""
    selector: dict[str, str]
    """The gateway pods' labels: a Gateway's selector."""
    load_balancer_address: pulumi.Output[str]
    """The load balancer's IP address or DNS name, from the Service's status once the cloud
    assigned one; empty before, and for a ClusterIP Service."""
    address: str | None
    """The fixed load-balancer address the config gives or allocates (docs/addressing.md), or
    None when the cloud assigns one."""

    @with_args()
    @checked_arguments
    def __init__(
        self,
        resource_name: str,
        args: GatewayWorkloadArgs = NO_ARGS,
        opts: pulumi.ResourceOptions | None = None,
        *,
        spec: WorkloadSpec | Mapping[str, Any] | None = None,
        ports: Sequence[ServicePortSpec] | None = None,
        gateways: Sequence[GatewaySpec] = (),
        credentials: Sequence[Credential] = (),
        address_pools: Sequence[AddressPoolSpec | Mapping[str, Any]] = (),
        reads_secrets: bool | None = None,
        backends: Sequence[str] | None = None,
        _planned: bool = False,
        _late: Late | None = None,
        _late_spec: pulumi.Output[WorkloadSpec] | None = None,
        **fields: Any,
    ) -> None:
        context = f"{self.TYPE} {resource_name}"
        state = current_state()
        raw: dict[str, Any] | None = None
        if spec is None:
            raw = {"name": resource_name, **fields}
        elif not isinstance(spec, WorkloadSpec):
            raw = dict(spec)
        leaves = output_leaves(raw) if raw is not None and _late is None else []
        with validated(context):
            pools = [parse(AddressPoolSpec, p) for p in address_pools]

        def rendered(
            s: WorkloadSpec, address: bool
        ) -> tuple[WorkloadSpec, list[ServicePortSpec], list[Manifest]]:
            return render_gateway_workload(
                s,
                ports,
                gateways=gateways,
                credentials=credentials,
                pools=pools,
                reads_secrets=reads_secrets,
                backends=backends,
                address=address,
                context=context,
            )

        late: Late | None = _late
        real_spec: pulumi.Output[WorkloadSpec] | None = None
        if _late is not None:  # an IngressGateway rendered and checks the objects (docs/inputs.md)
            assert isinstance(spec, WorkloadSpec)
            ports = list(ports) if ports is not None else _DEFAULT_PORTS
            manifests = _late.planned
            real_spec = _late_spec
        elif leaves:
            # Outputs (a namespace from a Namespace resource, replicas, annotations): the objects are
            # registered now in the shape stand-ins give; their bodies, and the checks, wait for
            # the values (docs/inputs.md).
            assert raw is not None
            refuse_at(leaves, NAMING, NAMING_MESSAGE, context)
            ns_out = namespace_output(raw)
            if ns_out is not None and raw.get("createNamespace", raw.get("create_namespace")) is True:
                raise ComponentConfigError([_OUTPUT_NAMESPACE_CREATED], context=context)
            spec, ports, manifests = rendered(
                stand_in_model(partial(parse, WorkloadSpec), raw, leaves, context), address=False
            )
            planned = manifests
            fixed = raw

            def real(values: dict[Any, Any]) -> tuple[WorkloadSpec, list[Manifest]]:
                with validated(context):
                    s = parse(WorkloadSpec, fill(fixed, values))
                s, _, ms = rendered(s, address=not _planned)
                same_shape(planned, ms, leaves, context)
                raise_diagnostics(state.index.check(ms), context, self)
                return s, ms

            both = resolved(leaves, real)
            real_spec = both.apply(lambda b: b[0])
            late = Late(manifests, both.apply(lambda b: b[1]), resource_name if ns_out else None, ns_out)
        else:
            if raw is not None:
                with validated(context):
                    spec = parse(WorkloadSpec, raw)
            assert isinstance(spec, WorkloadSpec)
            spec, ports, manifests = rendered(spec, address=not _planned)
        super().__init__(self.TYPE, resource_name, None, opts)
        adopt_dependencies(self, opts)
        self.spec: WorkloadSpec = spec
        self.ports = list(ports)
        self.late = late
        self.late_spec = real_spec
        if late is None:
            raise_diagnostics(state.index.check(manifests), context, self)
        elif leaves:
            log_waiting(context, leaves, "its checks (schema, pod security, IST0145 and the rest)", self)

        ns_deps: list[pulumi.Resource] = []
        if spec.create_namespace and (late is None or late.namespace is None):
            ns_res = state.namespaces.get(spec.namespace)
            if ns_res is None:
                ns = render_namespace(spec.namespace)
                ns_res = register_manifest(ns, self, name=program_unique_name(child_name(ns)))
                state.namespaces[spec.namespace] = ns_res
            ns_deps.append(ns_res)
        by_kind: dict[str, pulumi.CustomResource] = {}

        def reg(m: Manifest, deps: Sequence[pulumi.Resource]) -> pulumi.CustomResource:
            res = register_manifest(m, self, deps) if late is None else late.register(m, self, deps)
            by_kind[m["kind"]] = res
            return res

        kinds = {m["kind"]: m for m in manifests}
        sa = reg(kinds["ServiceAccount"], ns_deps)
        role = reg(kinds["Role"], ns_deps) if "Role" in kinds else None
        binding = reg(kinds["RoleBinding"], [sa, role]) if role is not None else None
        identity = [sa] if binding is None else [sa, binding]
        secrets = register_credentials(self, credentials, state, [*ns_deps, *identity[1:]], late)
        deployment = reg(kinds["Deployment"], [*identity, *secrets])
        for kind in ("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            if kind in kinds:
                reg(kinds[kind], [*ns_deps, deployment] if kind != "Service" else ns_deps)

        self.resources = by_kind
        self.namespace_resource = ns_deps[0] if ns_deps else None
        self.service_account = sa
        self.role = role
        self.role_binding = binding
        self.deployment = deployment
        self.service = by_kind["Service"]
        self.hpa = by_kind.get("HorizontalPodAutoscaler")
        self.pdb = by_kind.get("PodDisruptionBudget")
        self.network_policy = by_kind.get("NetworkPolicy")
        self.service_name = spec.name
        self.service_fqdn = (
            f"{spec.name}.{spec.namespace}.svc.cluster.local"
            if late is None or late.namespace is None
            else cast(Any, pulumi.Output.concat(spec.name, ".", late.namespace, ".svc.cluster.local"))
        )
        self.selector = spec.selector_labels
        self.load_balancer_address = load_balancer_address(self.service)
        self.address = workload_address(spec)
        self.register_outputs(
            {
                "namespace": self.namespace,
                "selector": self.selector,
                "serviceName": self.service_name,
                "serviceFqdn": self.service_fqdn,
                "loadBalancerAddress": self.load_balancer_address,
                "address": self.address,
            }
        )

    @property
    def namespace(self) -> Any:
        """Where the gateway pods run (and where their TLS Secrets must live): a string, or the
        Output it was given as."""
        late: Late | None = getattr(self, "late", None)
        return late.namespace if late is not None and late.namespace is not None else self.spec.namespace

    @property
    def selector_labels(self) -> dict[str, str]:
        return self.spec.selector_labels

    def dependencies(self) -> list[pulumi.Resource]:
        """What a Gateway bound to this workload must wait for."""
        return [self.deployment, self.service]

    @staticmethod
    @checked_arguments
    def existing(
        name: str,
        *,
        namespace: str,
        labels: Mapping[str, str],
        service_ports: Sequence[int | Mapping[str, int]] | None = None,
    ) -> ExistingWorkload:
        """Reference gateway pods this program does not manage (e.g. an istioctl-installed
        ``istio-ingressgateway`` in istio-system), by namespace and pod labels.

        ``service_ports`` are ``{"port": N, "targetPort": M}`` pairs, or bare numbers where the
        container listens on the Service port (see ``ExternalWorkload.service_ports``).
        """
        with validated(f"GatewayWorkload.existing {name}"):
            spec = parse(
                WorkloadSpec,
                {
                    "name": name,
                    "external": {
                        "namespace": namespace,
                        "labels": dict(labels),
                        "servicePorts": list(service_ports) if service_ports else None,
                    },
                },
            )
        ext = spec.external
        ports = ext.port_numbers if ext is not None else None
        current_state().index.declare_workload(namespace, name, labels, ports)
        return ExistingWorkload(spec)


def render_gateway_workload(
    spec: WorkloadSpec,
    ports: Sequence[ServicePortSpec] | None,
    *,
    gateways: Sequence[GatewaySpec] = (),
    credentials: Sequence[Credential] = (),
    pools: Sequence[AddressPoolSpec] = (),
    reads_secrets: bool | None = None,
    backends: Sequence[str] | None = None,
    address: bool = True,
    context: str,
) -> tuple[WorkloadSpec, list[ServicePortSpec], list[Manifest]]:
    """A workload's spec as rendered (firewall, address), its Service ports and its objects.

    ``address``: resolve the fixed address (AWS lookups, pool allocation, checks; a Mesh does it
    across the stack, and a component with Outputs when they resolve).

    Raises:
        ComponentConfigError: an external workload, a bad address, or pod security (MGW0157).
    """
    with validated(context):
        if spec.is_external:
            raise ConfigError(
                [
                    Problem(
                        "external",
                        "use GatewayWorkload.existing(...) for a workload this program does not manage",
                        "MGW0100",
                    )
                ]
            )
        ports_ = list(ports) if ports is not None else service_ports(gateways) if gateways else _DEFAULT_PORTS
        # IP rules of the given Gateways shape the Service and NetworkPolicy (docs/security.md).
        spec = workload_with_firewall(spec, gateways)
        if address:
            # The fixed address: AWS lookups, pool allocation, checks (docs/addressing.md).
            spec = prepare_workload(spec, list(pools))
        # Without the Gateways, whether the pods serve a credential is unknown: keep the Role.
        reads = (
            reads_secrets
            if reads_secrets is not None
            else not gateways or bool(credentials) or any(map(uses_credential, gateways))
        )
        manifests = render_workload(spec, ports_, reads_secrets=reads, backends=backends)
        pss = workload_pod_security_problems(spec, manifests)
        if pss:
            raise ConfigError([Problem(sub, msg, "MGW0157") for sub, msg in pss])
    return spec, ports_, manifests


_OUTPUT_NAMESPACE_CREATED = Problem(
    "createNamespace",
    "the namespace is an Output: it comes from another resource, which creates it; leave "
    "createNamespace unset (docs/inputs.md)",
    "MGW0100",
)

_DEFAULT_PORTS = [ServicePortSpec("http2", 80, 80), ServicePortSpec("https", 443, 443)]


def register_credentials(
    parent: pulumi.Resource,
    credentials: Sequence[Credential],
    state: StackState,
    depends_on: Sequence[pulumi.Resource],
    late: Late | None = None,
) -> list[pulumi.Resource]:
    """Create the TLS Secrets (or cert-manager Certificates) gateway servers reference.

    Each credential is created once per stack; a later Gateway naming the same one depends on it.
    Private keys only ever travel as Pulumi secret Outputs. With ``late`` (arguments that are
    Outputs, docs/inputs.md) the Secrets take their real namespace when it resolves, and the
    component's checks declare them.
    """
    out: list[pulumi.Resource] = []
    for cred in credentials:
        owner = late.owner if late is not None and late.owner is not None else None
        key = (owner or cred.namespace, cred.name)
        existing = state.credentials.get(key)
        if existing is not None:
            out.append(existing)
            continue
        res = _register_credential(parent, cred, depends_on, late)
        state.credentials[key] = res
        if late is None:
            state.index.declare_secret(cred.namespace, cred.name)
        out.append(res)
    return out


def _register_credential(
    parent: pulumi.Resource, cred: Credential, depends_on: Sequence[pulumi.Resource], late: Late | None = None
) -> pulumi.Resource:
    if cred.manifest is not None:  # files (read at program time) or a cert-manager Certificate
        if late is not None:
            return late.register(cred.manifest, parent, depends_on)
        return register_manifest(cred.manifest, parent, depends_on)
    child = child_options(parent)
    where = late.owner if late is not None and late.owner is not None else cred.namespace
    if cred.source == "self_signed" and any(is_stand_in_host(h) for h in cred.hosts):
        raise ComponentConfigError(
            [
                Problem(
                    f"servers[{cred.server_index}].hosts",
                    "is an Output, and a selfSigned certificate is made for the hosts when the program "
                    "runs; give the hosts as plain values, or the certificate as pem Outputs "
                    "(docs/inputs.md)",
                    "MGW0100",
                )
            ],
            context=f"meshgw:index:Gateway {cred.gateway}",
        )
    if cred.source == "config":
        keys = cred.config_keys
        assert keys is not None
        cert: Any = _secret_config(keys.cert)
        key: Any = _secret_config(keys.key)
        ca: Any = _secret_config(keys.ca) if keys.ca else None
    else:
        params = cred.self_signed
        assert params is not None
        pkey = tls.PrivateKey(f"{where}/{cred.name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        crt = tls.SelfSignedCert(
            f"{where}/{cred.name}-cert",
            private_key_pem=pkey.private_key_pem,
            subject={
                "common_name": cred.hosts[0] if cred.hosts else cred.name,
                "organization": params.organization,
            },
            dns_names=list(cred.hosts),
            validity_period_hours=params.validity_hours,
            early_renewal_hours=params.early_renewal_hours,
            allowed_uses=["key_encipherment", "digital_signature", "server_auth"],
            opts=child,
        )
        cert, key = crt.cert_pem, pulumi.Output.secret(pkey.private_key_pem)
        # A self-signed certificate is its own CA, so MUTUAL development servers accept clients that
        # present it.
        ca = crt.cert_pem if cred.needs_ca else None
    secret = with_fingerprints(
        render_tls_secret(cred.name, cred.namespace, cert, key, ca, owner=cred.gateway), cert, ca
    )
    if late is not None:
        return late.register(secret, parent, depends_on)
    return register_manifest(secret, parent, depends_on)


def _secret_config(key: str) -> pulumi.Output[str]:
    """A secret config value: ``name`` in the running project's namespace, or ``namespace:name``.

    ``pulumi config set --secret name`` stores ``<project>:name``, whatever the project is called.
    """
    given = registered_input(key)  # certificate.pem: a value or Output from the program
    if given is not None:
        return pulumi.Output.from_input(given)
    ns, _, name = key.rpartition(":")
    return pulumi.Config(ns or None).require_secret(name)
