"""What planning produces: the plans of a mesh, its gateways, workloads and egress gateways,
and the credentials they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import Problem
from ..render._meta import Manifest
from ..render.egress import (
    EgressObjects,
)
from ..render.service import ServicePortSpec
from ..spec.egress import EgressGatewaySpec
from ..spec.istio import ConfigPem, SelfSigned
from ..spec.resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from ..spec.workload import WorkloadSpec

__all__ = ["Credential", "CredentialSource", "EgressPlan", "GatewayPlan", "MeshPlan", "WorkloadPlan"]

CredentialSource = Literal["files", "config", "self_signed", "cert_manager"]


@dataclass(frozen=True)
class Credential:
    """A TLS Secret a gateway server needs, and how to make it.

    Attributes:
        gateway: The Gateway's name.
        server_index: Which server of the Gateway.
        name: The Secret's name (the server's ``credentialName``).
        namespace: The gateway pods' namespace, the only one Istio reads credentials from.
        source: How the Secret is made.
        hosts: The server's DNS names (certificate subject names for generated certificates).
        needs_ca: Whether the Secret must carry ``ca.crt`` (MUTUAL / OPTIONAL_MUTUAL).
        manifest: The Secret (``files``) or cert-manager Certificate (``cert_manager``); None where
            the values are only known when the program runs against the engine.
        config_keys: For ``config``: which secret config keys hold the PEM.
        self_signed: For ``self_signed``: the certificate parameters.
    """

    gateway: str
    server_index: int
    name: str
    namespace: str
    source: CredentialSource
    hosts: tuple[str, ...]
    needs_ca: bool
    manifest: Manifest | None = None
    config_keys: ConfigPem | None = None
    self_signed: SelfSigned | None = None
    ca_only: bool = False
    """A ``<credentialName>-cacert`` Secret holding only the client CA bundle of a server whose
    certificate comes from elsewhere (cert-manager, a generated or configured certificate)."""

    @property
    def kind(self) -> str:
        return "Certificate" if self.source == "cert_manager" else "Secret"


@dataclass
class GatewayPlan:
    spec: GatewaySpec
    workload: WorkloadSpec
    namespace: str
    manifest: Manifest
    credentials: list[Credential]
    extras: list[Manifest] = field(default_factory=list)
    """Objects implementing the gateway's functions (firewall, authentication, caching, rate
    limiting), applied after the Gateway."""
    warnings: list[Problem] = field(default_factory=list)
    """Contradictory but harmless settings (e.g. an allowed block a deny-list overlaps)."""


@dataclass
class WorkloadPlan:
    spec: WorkloadSpec
    ports: list[ServicePortSpec]
    manifests: list[Manifest]
    credentials: list[Credential] = field(default_factory=list)
    reads_secrets: bool = True
    """Whether a Gateway or DestinationRule it serves uses a credential (the Role is rendered)."""
    backends: list[str] | None = None
    """Namespaces its routes send to (the NetworkPolicy's egress); None when unknown."""


@dataclass
class MeshPlan:
    """Everything a stack registers, in dependency order, already checked."""

    namespaces: list[Manifest]
    workloads: dict[str, WorkloadPlan]
    gateways: dict[str, GatewayPlan]
    destination_rules: list[tuple[DestinationRuleSpec, Manifest]]
    virtual_services: list[tuple[VirtualServiceSpec, Manifest]]
    warnings: list[Problem]
    egress_gateways: dict[str, EgressPlan] = field(default_factory=dict)
    egress_sidecars: list[Manifest] = field(default_factory=list)
    """One Sidecar per client namespace, merged across the egress gateways that serve it."""
    addresses: dict[str, str] = field(default_factory=dict)
    """Workload name -> its fixed load-balancer address, where one is known (see :mod:`.ipam`)."""
    infos: list[Problem] = field(default_factory=list)
    """Info findings on the objects the config declares itself (``meshgw:destinationRules``, ...),
    with their config paths, for the Pulumi log at info level. The library's own objects (egress
    origination rules) stay quiet."""

    def manifests(self) -> list[Manifest]:
        """All objects known before deploy time, in apply order."""
        out = list(self.namespaces)
        for w in self.workloads.values():
            out.extend(w.manifests)
        for g in self.gateways.values():
            out.extend(c.manifest for c in g.credentials if c.manifest is not None)
            out.append(g.manifest)
            out.extend(g.extras)
        for e in self.egress_gateways.values():
            out.extend(e.manifests(namespace=False, sidecars=False))
        out.extend(self.egress_sidecars)
        out.extend(m for _, m in self.destination_rules)
        out.extend(m for _, m in self.virtual_services)
        return out


@dataclass
class EgressPlan:
    """Everything one egress gateway registers, checked for consistency.

    Attributes:
        spec: The egress gateway.
        workload: Its workload (exposure ``cluster``).
        ports: The workload Service's ports (one per listener port).
        workload_manifests: ServiceAccount, RBAC, Deployment, Service, HPA, PDB.
        namespace: The Namespace, when the workload creates it.
        credentials: Origination Secrets (client certificates, CA bundles) in the gateway's namespace.
        objects: The Istio and policy objects, in apply order.
        client_policies: This gateway's NetworkPolicy in each client namespace.
        sidecars: The client namespaces' Sidecars as this gateway alone needs them (a Mesh merges
            them across egress gateways instead: :attr:`MeshPlan.egress_sidecars`).
    """

    spec: EgressGatewaySpec
    workload: WorkloadSpec
    ports: list[ServicePortSpec]
    workload_manifests: list[Manifest]
    namespace: Manifest | None
    credentials: list[Credential]
    objects: EgressObjects
    client_policies: list[Manifest]
    sidecars: list[Manifest]

    def manifests(self, *, namespace: bool = True, sidecars: bool = True) -> list[Manifest]:
        """All objects known before deploy time, in apply order: Namespace, workload, origination
        Secrets, Gateway, policy, telemetry, ServiceEntries, DestinationRules, VirtualServices, and
        the client lock-down last, so that it closes the direct way out only once the way through
        the gateway exists."""
        out = [self.namespace] if namespace and self.namespace is not None else []
        out.extend(self.workload_manifests)
        out.extend(c.manifest for c in self.credentials if c.manifest is not None)
        out.extend(self.objects.manifests())
        out.extend(self.client_policies)
        if sidecars:
            out.extend(self.sidecars)
        return out

    def destinations(self) -> list[dict[str, Any]]:
        """The destinations as outputs: ``host``, ``port``, ``mode`` and the port applications call."""
        return [
            {"host": d.host, "port": d.external_port, "mode": d.mode.value, "meshPort": d.mesh_port}
            for d in self.spec.destinations
        ]
