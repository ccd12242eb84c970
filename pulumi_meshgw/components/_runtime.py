"""What every component shares: the per-stack registry, error conversion, and registration of
rendered manifests as Pulumi resources.

Components do no string building: they call the pure layers and register what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import pulumi
import pulumi_kubernetes as k8s

from ..analysis.diagnostics import Diagnostic, Level
from ..analysis.hosts import fqdn
from ..analysis.index import MeshIndex
from ..errors import ConfigError, Problem
from ..render._meta import Manifest
from ..render.certinfo import (
    CA_EXPIRY_ANNOTATION,
    CA_SHA256_ANNOTATION,
    CERT_EXPIRY_ANNOTATION,
    CERT_SHA256_ANNOTATION,
    certificate_facts,
)

__all__ = [
    "ComponentConfigError",
    "StackState",
    "adopt_dependencies",
    "child_name",
    "child_options",
    "cluster_of",
    "current_state",
    "in_cluster",
    "inherited_dependencies",
    "inherited_retain",
    "load_balancer_address",
    "program_unique_name",
    "raise_diagnostics",
    "register_manifest",
    "share_state_across_constructs",
    "tls_secret_names",
    "validated",
]

T = TypeVar("T")


class ComponentConfigError(ConfigError, pulumi.RunError):
    """A ConfigError raised while a Pulumi program runs.

    It is a ``pulumi.RunError``, so ``pulumi preview`` prints the message without a Python traceback.
    """


@contextmanager
def validated(context: str) -> Iterator[None]:
    """Re-raise spec and plan errors as ComponentConfigError, naming the component."""
    try:
        yield
    except ComponentConfigError:
        raise
    except ConfigError as err:
        raise ComponentConfigError(err.problems, context=context) from None


def raise_diagnostics(
    diags: Sequence[Diagnostic], context: str, resource: pulumi.Resource | None = None
) -> None:
    """Fail on error diagnostics; send warnings and infos to the Pulumi log."""
    errors = [d for d in diags if d.level is Level.ERROR]
    for d in diags:
        # The log's own severity is the level: the message is the problem's ``WHERE: MESSAGE [CODE]``.
        problem = str(Problem(f"{d.kind} {d.object_ref} {d.path}".strip(), d.message, d.code))
        if d.level is Level.WARNING:
            pulumi.log.warn(problem, resource)
        elif d.level is Level.INFO:
            pulumi.log.info(problem, resource)
    if errors:
        raise ComponentConfigError(
            [Problem(f"{d.kind} {d.object_ref} {d.path}".strip(), d.message, d.code) for d in errors],
            context=context,
        )


@dataclass
class StackState:
    """What the running program has declared so far, indexed for the cross-object checks."""

    index: MeshIndex = field(default_factory=MeshIndex)
    namespaces: dict[str, pulumi.Resource] = field(default_factory=dict)
    gateways: dict[tuple[str, str], Any] = field(default_factory=dict)
    credentials: dict[tuple[str, str], pulumi.Resource] = field(default_factory=dict)
    destination_rules: dict[str, list[pulumi.Resource]] = field(default_factory=dict)
    slots: dict[type[Any], Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    """Values handed over by name from a component's arguments to its credentials
    (``certificate.pem``), see :mod:`._inputs`."""

    def slot(self, cls: type[T]) -> T:
        """This run's instance of ``cls``, made on first use: what a component module keeps for
        itself between components (address claims, egress Sidecars) lives and ends with the run."""
        if cls not in self.slots:
            self.slots[cls] = cls()
        return cast(T, self.slots[cls])

    def dr_dependencies(self, hosts: Sequence[tuple[str, str]]) -> list[pulumi.Resource]:
        """DestinationRules for (host, namespace) pairs, so routes wait for the subsets they use."""
        out: list[pulumi.Resource] = []
        for host, ns in hosts:
            out.extend(self.destination_rules.get(fqdn(host, ns), []))
        return out


@dataclass
class _Program:
    """One running program: a registry per cluster, and the child names already taken."""

    clusters: dict[int | None, tuple[object, StackState]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)


_STATES: dict[int, tuple[object, _Program]] = {}

_CLUSTER: ContextVar[pulumi.ProviderResource | None] = ContextVar("meshgw_cluster", default=None)
"""The Kubernetes provider (cluster) the component being built registers into; None: the default."""


_SHARED: dict[str, bool] = {"constructs": False}


def share_state_across_constructs() -> None:
    """Keep one registry per program in a component provider (``python -m pulumi_meshgw.provider``),
    where every component of a program is built by its own Construct call with a monitor
    connection of its own: key the program by project, stack and preview instead."""
    _SHARED["constructs"] = True


def _program() -> _Program:
    monitor: Any = pulumi.runtime.settings.get_monitor()
    if _SHARED["constructs"]:
        monitor = (pulumi.get_project(), pulumi.get_stack(), pulumi.runtime.is_dry_run())
        key = hash(monitor)
        entry = _STATES.get(key)
        if entry is None:
            entry = _STATES[key] = (monitor, _Program())
        return entry[1]
    key = id(monitor)
    entry = _STATES.get(key)
    if entry is None or entry[0] is not monitor:
        for k in [k for k, (m, _) in _STATES.items() if m is not monitor and k != key]:
            del _STATES[k]  # earlier runs in this process are over
        entry = (monitor, _Program())
        _STATES[key] = entry
    return entry[1]


def current_state() -> StackState:
    """The registry of the program that is running now, for the cluster being built into.

    Keyed by the engine connection, so each ``pulumi up`` (and each mocked test run) gets its own,
    and by the Kubernetes provider in effect, so that one program may declare a mesh per cluster:
    the same namespace, host or gateway name in two clusters is no conflict.
    """
    program = _program()
    cluster = _CLUSTER.get()
    key = id(cluster) if cluster is not None else None
    entry = program.clusters.get(key)
    if entry is None:
        entry = program.clusters[key] = (cluster, StackState())
    return entry[1]


def cluster_of(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The Kubernetes provider ``opts`` select: ``provider``, ``providers``, or the parent's."""
    if opts is None:
        return None
    candidates: list[Any] = [opts.provider]
    providers = opts.providers
    candidates.extend(providers.values() if isinstance(providers, Mapping) else providers or [])
    for p in candidates:
        if isinstance(p, pulumi.ProviderResource) and p.package == "kubernetes":
            return p
    inherited = getattr(opts.parent, "_providers", None) or {}
    found = inherited.get("kubernetes")
    return found if isinstance(found, pulumi.ProviderResource) else None


@contextmanager
def in_cluster(opts: pulumi.ResourceOptions | None) -> Iterator[None]:
    """Build a component into the cluster its options select (see :func:`current_state`)."""
    token = _CLUSTER.set(cluster_of(opts))
    try:
        yield
    finally:
        _CLUSTER.reset(token)


def program_unique_name(name: str) -> str:
    """``name``, or ``name@<provider>`` when another cluster of the program took it first.

    Cluster-scoped children (Namespaces) of several clusters would otherwise share a URN. The
    first cluster keeps the plain name, so a program that grows a second cluster replaces
    nothing in the first.
    """
    program = _program()
    cluster = _CLUSTER.get()
    unique = name
    if name in program.names and cluster is not None:
        unique = f"{name}@{cluster._name}"  # the provider's Pulumi name
    program.names.add(unique)
    return unique


def child_name(manifest: Mapping[str, Any]) -> str:
    """The Pulumi resource name of a rendered object: ``kind:namespace/name``, stable across runs."""
    meta = manifest["metadata"]
    ns = meta.get("namespace")
    ident = f"{ns}/{meta['name']}" if ns else str(meta["name"])
    return f"{str(manifest['kind']).lower()}:{ident}"


def _typed(cls: Callable[..., pulumi.CustomResource], **fields: str) -> Callable[..., pulumi.CustomResource]:
    def make(name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        kwargs = {arg: obj[key] for arg, key in fields.items() if key in obj}
        return cls(name, metadata=obj["metadata"], opts=opts, **kwargs)

    return make


def _facts(pem: Any) -> tuple[str, str] | None:
    return certificate_facts(pem) if isinstance(pem, str) else None


def _fact(i: int, facts: tuple[str, str] | None) -> str:
    return facts[i] if facts else ""


def with_fingerprints(secret: Manifest, cert: Any, ca: Any = None) -> Manifest:
    """``secret`` with the fingerprint and expiry annotations of deploy-time certificate values
    (Outputs): what :func:`~pulumi_meshgw.render.certinfo.certificate_annotations` does for PEM
    text. A certificate's fingerprint is not secret, so the annotation is unsecreted and a rotation
    shows in the diff. A value that holds no readable certificate gets empty annotations."""
    extra: dict[str, Any] = {}
    for value, keys in (
        (cert, (CERT_SHA256_ANNOTATION, CERT_EXPIRY_ANNOTATION)),
        (ca, (CA_SHA256_ANNOTATION, CA_EXPIRY_ANNOTATION)),
    ):
        if isinstance(value, pulumi.Output):
            facts: pulumi.Output[tuple[str, str] | None] = value.apply(_facts)
            for i, key in enumerate(keys):
                extra[key] = pulumi.Output.unsecret(facts.apply(partial(_fact, i)))
    if not extra:
        return secret
    meta = {**secret["metadata"], "annotations": {**secret["metadata"].get("annotations", {}), **extra}}
    return {**secret, "metadata": meta}


def _secret(name: str, obj: Mapping[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    # Values read from files (private keys) arrive here as plain strings from the pure layers; they
    # become Pulumi secrets at this edge, before any resource input, log or state sees them (the
    # Kubernetes SDK would only mark them secret inside its own provider call).
    kwargs: dict[str, Any] = {"type": obj.get("type")}
    for arg, key in (("string_data", "stringData"), ("data", "data")):
        if key in obj:
            kwargs[arg] = {k: pulumi.Output.secret(v) for k, v in obj[key].items()}
    return k8s.core.v1.Secret(name, metadata=obj["metadata"], opts=opts, **kwargs)


_CORE: dict[str, Callable[..., pulumi.CustomResource]] = {
    "v1/Namespace": _typed(k8s.core.v1.Namespace),
    "v1/ServiceAccount": _typed(
        k8s.core.v1.ServiceAccount, automount_service_account_token="automountServiceAccountToken"
    ),
    "v1/Service": _typed(k8s.core.v1.Service, spec="spec"),
    "v1/Secret": _secret,
    "rbac.authorization.k8s.io/v1/Role": _typed(k8s.rbac.v1.Role, rules="rules"),
    "rbac.authorization.k8s.io/v1/RoleBinding": _typed(
        k8s.rbac.v1.RoleBinding, role_ref="roleRef", subjects="subjects"
    ),
    "apps/v1/Deployment": _typed(k8s.apps.v1.Deployment, spec="spec"),
    "autoscaling/v2/HorizontalPodAutoscaler": _typed(k8s.autoscaling.v2.HorizontalPodAutoscaler, spec="spec"),
    "policy/v1/PodDisruptionBudget": _typed(k8s.policy.v1.PodDisruptionBudget, spec="spec"),
    "networking.k8s.io/v1/NetworkPolicy": _typed(k8s.networking.v1.NetworkPolicy, spec="spec"),
}


def load_balancer_address(service: pulumi.CustomResource) -> pulumi.Output[str]:
    """The address a LoadBalancer Service got, from its status (``status.loadBalancer.ingress[0]``:
    the IP, else the DNS name); empty until the cloud assigns one, and for a ClusterIP Service."""
    status: pulumi.Output[Any] = service.status  # type: ignore[attr-defined]
    return status.apply(_ingress_address)


def _ingress_address(status: Any) -> str:
    lb = getattr(status, "load_balancer", None) if status is not None else None
    for ingress in getattr(lb, "ingress", None) or []:
        address = getattr(ingress, "ip", None) or getattr(ingress, "hostname", None)
        if address:
            return str(address)
    return ""


def tls_secret_names(gateway: Manifest) -> list[str]:
    """The ``credentialName`` of each server of a rendered Gateway, sorted, once each."""
    names = {
        s["tls"]["credentialName"]
        for s in gateway["spec"].get("servers", [])
        if isinstance(s.get("tls"), Mapping) and s["tls"].get("credentialName")
    }
    return sorted(names)


def inherited_dependencies(parent: pulumi.Resource | None) -> list[pulumi.Resource]:
    """The ``depends_on`` of the library's components above a child, which it must wait for too.

    Pulumi does not copy a component's ``depends_on`` into its children's registrations, so
    ``Mesh(..., opts=ResourceOptions(depends_on=[istiod]))`` would record no edge from a
    Deployment to istiod, and ``pulumi destroy`` could remove istiod first. Each component keeps
    the list (see :func:`adopt_dependencies`) and every child registration adds it.
    """
    return list(getattr(parent, "meshgw_depends_on", ()))


def adopt_dependencies(component: pulumi.Resource, opts: pulumi.ResourceOptions | None) -> None:
    """Record what ``component``'s children inherit: its ``depends_on`` plus its parent's, and
    ``retain_on_delete`` (Pulumi passes ``protect`` and providers down to children itself, but not
    these two)."""
    raw = opts.depends_on if opts is not None else None
    own = raw if isinstance(raw, list) else [raw] if raw is not None else []
    resources = [d for d in own if isinstance(d, pulumi.Resource)]
    parent = opts.parent if opts is not None else None
    component.meshgw_depends_on = [  # type: ignore[attr-defined]
        *inherited_dependencies(parent),
        *resources,
    ]
    retain = opts.retain_on_delete if opts is not None else None
    component.meshgw_retain_on_delete = (  # type: ignore[attr-defined]
        retain if retain is not None else inherited_retain(parent)
    )


def inherited_retain(parent: pulumi.Resource | None) -> bool | None:
    """The ``retain_on_delete`` a child of ``parent`` takes: the nearest component's that set it."""
    return getattr(parent, "meshgw_retain_on_delete", None)


def child_options(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options for a child created outside :func:`register_manifest`: parent plus inherited deps."""
    return pulumi.ResourceOptions(
        parent=parent,
        depends_on=inherited_dependencies(parent) or None,
        retain_on_delete=inherited_retain(parent),
    )


def register_manifest(
    manifest: Mapping[str, Any],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    name: str | None = None,
) -> pulumi.CustomResource:
    """Register one rendered object as its typed pulumi_kubernetes resource (CRDs as CustomResource)."""
    deps = [*depends_on, *inherited_dependencies(parent)]
    opts = pulumi.ResourceOptions(
        parent=parent, depends_on=deps or None, retain_on_delete=inherited_retain(parent)
    )
    rname = name or child_name(manifest)
    make = _CORE.get(f"{manifest['apiVersion']}/{manifest['kind']}")
    if make is not None:
        return make(rname, manifest, opts)
    extra = sorted(set(manifest) - {"apiVersion", "kind", "metadata", "spec"})
    if extra:
        raise ComponentConfigError(
            [
                Problem(
                    child_name(manifest),
                    f"top-level field(s) {', '.join(extra)} cannot be set on a "
                    "custom resource from Python; move them under spec",
                    "MGW0190",
                )
            ]
        )
    return k8s.apiextensions.CustomResource(
        rname,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest.get("spec"),
        opts=opts,
    )
