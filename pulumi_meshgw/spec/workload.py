"""The gateway workload: the Envoy Deployment a Gateway configuration applies to, kept apart from
the sidecars, and what runs with it (Service, ServiceAccount, RBAC, HPA, PDB, NetworkPolicy).

Every default below is production-minded and documented as ``Default:`` on its field. The reference
defaults are Istio's ``gateway`` Helm chart; where this library departs from the chart the field says
so and why.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..constants import ROOT_NAMESPACE, SYSTEM_NAMESPACES
from ._base import NestedProblems, SpecModel, dns_label, dns_subdomain
from .addressing import AddressSpec
from .quantity import parse_quantity
from .security import KubernetesCidr, WorkloadNetwork

__all__ = [
    "Autoscaling",
    "Cloud",
    "DisruptionBudget",
    "Exposure",
    "ExternalWorkload",
    "NetworkPolicySettings",
    "PodSecurityCheck",
    "PortMapping",
    "ResourceQuantities",
    "Resources",
    "ServiceSettings",
    "WorkloadSpec",
    "reserved_namespace_problem",
]


class Exposure(str, Enum):
    """How far the workload's Service reaches.

    - ``public``: a LoadBalancer reachable from the internet.
    - ``internal``: a LoadBalancer on the private network only (needs ``cloud`` for the annotation).
    - ``cluster``: a ClusterIP Service, reachable inside the cluster only (egress gateways, or
      gateways fronted by another load balancer).
    """

    PUBLIC = "public"
    INTERNAL = "internal"
    CLUSTER = "cluster"


class Cloud(str, Enum):
    """Which load balancer controller reads the Service annotations."""

    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    NONE = "none"


class ServiceSettings(SpecModel):
    """Service options beyond what ``exposure`` and ``cloud`` derive."""

    annotations: dict[str, str] = Field(default_factory=dict)
    """Extra annotations, merged over the derived ones. Default: none."""
    load_balancer_source_ranges: list[KubernetesCidr] | None = None
    """CIDRs allowed to reach a LoadBalancer (``203.0.113.0/24``). Default: unset (no restriction
    at the load balancer). Each must be an IP range with a prefix length, as the API server
    requires (``ValidateService``: ``netutils.ParseCIDRSloppy``; a bare address is refused, host
    bits are allowed); anything else is MGW0100 at the entry's path."""
    external_traffic_policy: Literal["Local", "Cluster"] | None = None
    """Default: ``Local`` for LoadBalancer Services, which keeps the client source IP (needed by IP
    policies and access logs) and avoids a second hop; unset for ClusterIP."""
    load_balancer_class: str | None = None
    """Default: unset (the cluster's default load balancer implementation)."""
    extra_ports: list[ServicePort] = Field(default_factory=list)
    """Ports to expose besides those derived from the Gateways bound to the workload. Default: none."""


class ServicePort(SpecModel):
    name: str
    port: int = Field(ge=1, le=65535)
    target_port: int | None = Field(default=None, ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] = "TCP"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "port name")


class Autoscaling(SpecModel):
    """HorizontalPodAutoscaler (autoscaling/v2). Default: on, 2-5 replicas, 80% CPU.

    The chart's default minimum is 1; this library uses 2 so that a node drain or a zone loss never
    takes the only gateway pod, and so that the PodDisruptionBudget applies.
    """

    enabled: bool = True
    min_replicas: int = Field(default=2, ge=1)
    max_replicas: int = Field(default=5, ge=1)
    # The chart's spelling (CPU upper-case), not what the camelCase generator would make.
    target_cpu_utilization_percentage: int = Field(
        default=80, ge=1, le=100, alias="targetCPUUtilizationPercentage"
    )
    target_memory_utilization_percentage: int | None = Field(
        default=None, ge=1, le=100, alias="targetMemoryUtilizationPercentage"
    )

    @model_validator(mode="after")
    def _range(self) -> Autoscaling:
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"maxReplicas ({self.max_replicas}) is below minReplicas ({self.min_replicas}); "
                "raise maxReplicas"
            )
        return self


class DisruptionBudget(SpecModel):
    """PodDisruptionBudget (policy/v1), rendered whenever the minimum replica count is above 1.

    Default: ``minAvailable: 1`` with ``unhealthyPodEvictionPolicy: AlwaysAllow`` (a crash-looping pod
    never blocks a node drain).
    """

    min_available: int | str | None = 1
    max_unavailable: int | str | None = None

    @model_validator(mode="after")
    def _one(self) -> DisruptionBudget:
        if self.min_available is not None and self.max_unavailable is not None:
            raise ValueError("set minAvailable or maxUnavailable, not both")
        return self


class ResourceQuantities(SpecModel):
    """CPU and memory as Kubernetes quantities (``500m``, ``1Gi``), written the way the API server
    stores them (``2000m`` as ``2``, ``1024Mi`` as ``1Gi``), so a preview after a refresh shows no
    change."""

    cpu: str | None = None
    memory: str | None = None

    @field_validator("cpu", "memory")
    @classmethod
    def _quantity(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quantity(value)
        return value


class Resources(SpecModel):
    """Container resources. Default (the chart's): requests 100m CPU / 128Mi, limits 2 CPU / 1Gi."""

    requests: ResourceQuantities = Field(
        default_factory=lambda: ResourceQuantities(cpu="100m", memory="128Mi")
    )
    limits: ResourceQuantities = Field(default_factory=lambda: ResourceQuantities(cpu="2", memory="1Gi"))


class NetworkPolicySettings(SpecModel):
    """A NetworkPolicy on the gateway pods. Default: on (the chart's is off).

    Ingress only on the Service's target ports, the status port 15021 and the metrics ports
    15020/15090; egress only to DNS, istiod (15012 in istio-system), the namespaces of the
    destinations of the routes bound to the workload's Gateways (every namespace when the routes
    are not known, as for a workload created without its Gateways), and ``egressCidrs``. A route
    to a host outside the cluster needs its addresses in ``egressCidrs``; without them the
    planner refuses the config (MGW0158) instead of letting the requests fail with 503.
    """

    enabled: bool = True
    egress_cidrs: list[KubernetesCidr] = Field(default_factory=list)
    """Extra destinations outside the cluster the gateway may reach, as CIDRs with a prefix length
    (``203.0.113.0/24``; a NetworkPolicy ``ipBlock`` refuses a bare address). Default: none."""
    metrics_namespaces: list[str] = Field(default_factory=list)
    """Namespaces allowed to scrape 15020/15090. Default: empty, meaning any namespace."""


class PortMapping(SpecModel):
    """One port of the Service in front of an external workload: what clients connect to
    (``port``) and what the gateway container listens on (``targetPort``)."""

    port: int = Field(ge=1, le=65535)
    target_port: int = Field(ge=1, le=65535)


PodSecurityCheck = Literal[
    "hostNamespaces",
    "privileged",
    "capabilities_baseline",
    "hostPathVolumes",
    "hostPorts",
    "appArmorProfile",
    "seLinuxOptions",
    "procMount",
    "seccompProfile_baseline",
    "sysctls",
    "volumeTypes_restricted",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_restricted",
    "capabilities_restricted",
]
"""A check of the Pod Security admission controller (``k8s.io/pod-security-admission/policy``),
by its identifier."""


class ExternalWorkload(SpecModel):
    """A gateway workload that this program does not manage, referenced by namespace and pod labels."""

    namespace: str
    labels: dict[str, str] = Field(min_length=1)
    service_name: str | None = None
    """The Service in front of it, if known; used for port checks. Default: unknown."""
    service_ports: list[int | PortMapping] | None = None
    """The Service's ports, if known: ``{port, targetPort}`` pairs, or bare numbers where the
    container listens on the Service port itself (``443`` means ``{port: 443, targetPort: 443}``).
    AuthorizationPolicies match the container port, so the library renders the ``targetPort``.
    Istio's stock ``istio-ingressgateway`` (istioctl/operator install) maps 80->8080 and
    443->8443: declare it as ``[{port: 80, targetPort: 8080}, {port: 443, targetPort: 8443}]``.
    A bare number below 1024 is refused under a port-scoped policy (firewall, JWT, external
    authorization), because such ports are commonly remapped. Default: unknown (port checks are
    skipped, and port-scoped policies are refused)."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return dns_label(v, "namespace")

    @property
    def port_numbers(self) -> list[int] | None:
        """The Service's port and target port numbers (a Gateway server may name either, as
        Istio's IST0162 check reads them), sorted; None when unknown."""
        if self.service_ports is None:
            return None
        numbers: set[int] = set()
        for p in self.service_ports:
            numbers.update((p.port, p.target_port) if isinstance(p, PortMapping) else (p,))
        return sorted(numbers)

    def target_port(self, port: int) -> int | None:
        """The container port behind Service ``port``, or None when it is not declared."""
        for p in self.service_ports or []:
            if isinstance(p, PortMapping) and p.port == port:
                return p.target_port
            if p == port:
                return port
        return None


# Load-balancer annotations and the values that keep it private (render/service.py sets them for
# exposure 'internal'); any other value of one of them makes it internet-facing.
_PRIVATE_LB: dict[str, tuple[str, ...]] = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "networking.gke.io/load-balancer-type": ("Internal",),
    "cloud.google.com/load-balancer-type": ("Internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
}


def reserved_namespace_problem(namespace: str, root: str, default: str = "istio-ingress") -> str | None:
    """Why gateway pods may not run in ``namespace``, or None.

    The mesh root namespace (``root``) holds the mesh CA key, which the gateway's Secret-reading
    Role would let it read, and a selector-based policy there applies mesh-wide;
    ``kube-system`` holds the cluster's own credentials. PeerAuthentication refuses the root
    namespace the same way.
    """
    if namespace == root:
        return (
            f"{namespace!r} is Istio's root namespace: the gateway's Role would let it read every "
            "Secret there (including the mesh CA key), and policies selecting its pods would apply "
            f"mesh-wide; run gateways in a namespace of their own (Default: {default})"
        )
    if namespace in SYSTEM_NAMESPACES:
        return (
            f"{namespace!r} holds the cluster's own credentials, which the gateway's Role would let it "
            f"read; run gateways in a namespace of their own (Default: {default})"
        )
    return None


class WorkloadSpec(SpecModel):
    """One gateway workload (an Envoy Deployment with Istio's gateway injection).

    Config key: an item of ``meshgw:workloads``.
    """

    name: str
    """Deployment, Service and ServiceAccount name. Selector labels are derived from it:
    ``app: <name>`` and ``istio: <name without an 'istio-' prefix>``, as the chart does."""
    namespace: str = "istio-ingress"
    """Default: ``istio-ingress``. Gateways run in their own namespace, never istio-system, so that
    the secrets they may read are only theirs."""
    exposure: Exposure | None = None
    """Required for managed workloads (no default: exposing a gateway is a decision)."""
    cloud: Cloud = Cloud.NONE
    """Default: ``none`` (no provider annotations). Required for ``exposure: internal``."""
    create_namespace: bool = True
    """Default: true. The Namespace is created first and shared by every workload that names it."""
    revision: str | None = None
    """Istio control-plane revision (``istio.io/rev``). Default: the default revision."""
    replicas: int = Field(default=2, ge=1)
    """Used only when autoscaling is off. Default: 2."""
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    pod_disruption_budget: DisruptionBudget = Field(default_factory=DisruptionBudget)
    resources: Resources = Field(default_factory=Resources)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    network_policy: NetworkPolicySettings = Field(default_factory=NetworkPolicySettings)
    network: WorkloadNetwork = Field(default_factory=WorkloadNetwork)
    """Where client connections come from (``topology: direct`` or ``proxied`` with
    ``numTrustedProxies``), which decides how IP rules see the client; see docs/security.md.
    Default: ``direct``."""
    drain_duration_seconds: int = Field(default=30, ge=0)
    """How long Envoy drains connections on shutdown. Default: 30. The pod's
    terminationGracePeriodSeconds is this plus 15."""
    topology_spread: bool = True
    """Default: true. Spread replicas across zones and nodes (ScheduleAnyway, so a single-zone
    cluster still schedules)."""
    node_selector: dict[str, str] | None = None
    tolerations: list[dict[str, Any]] | None = None
    affinity: dict[str, Any] | None = None
    priority_class_name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra labels on every object of the workload. Default: none."""
    pod_annotations: dict[str, str] = Field(default_factory=dict)
    service_account_annotations: dict[str, str] = Field(default_factory=dict)
    """E.g. IRSA or GKE Workload Identity bindings. Default: none."""
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Escape hatch: per kind (``Deployment``, ``Service``, ...), a mapping deep-merged into the
    rendered object. Default: none."""
    pod_security_exceptions: list[PodSecurityCheck] = Field(default_factory=list)
    """Pod Security Standards ``restricted`` checks the pods may fail, by the admission
    controller's identifier (``hostNamespaces``, ``privileged``, ``hostPathVolumes``,
    ``capabilities_restricted``, ...). Gateway pods are rendered to pass every check; an
    ``overrides`` entry that breaks one is an error (MGW0157) unless it is listed here, so that
    weakening the pods is always a written decision (docs/security.md). Default: none."""
    address: AddressSpec | None = None
    """A fixed load-balancer address, in the cloud's annotation form (``aws``, ``gcp``, ``azure``,
    ``metallb``) or allocated from ``meshgw:addressPools`` (``pool``); see docs/addressing.md.
    Default: unset (the cloud assigns one, which changes when the Service is recreated)."""
    external: ExternalWorkload | None = None
    """Reference a workload this program does not manage. All other fields are then ignored."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "workload name")

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return dns_label(v, "namespace")

    @field_validator("priority_class_name")
    @classmethod
    def _pc(cls, v: str | None) -> str | None:
        return None if v is None else dns_subdomain(v, "priorityClassName")

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        allowed = {
            "Deployment",
            "Service",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
        }
        bad = sorted(set(v) - allowed)
        if bad:
            raise ValueError(
                f"overrides for unknown kind(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}"
            )
        return v

    @model_validator(mode="after")
    def _coherent(self) -> WorkloadSpec:
        if self.external is not None:
            return self
        if self.exposure is None:
            raise ValueError(
                "exposure is required: choose 'public' (internet LoadBalancer), 'internal' (private "
                "LoadBalancer) or 'cluster' (ClusterIP)"
            )
        if self.exposure is Exposure.INTERNAL and self.cloud is Cloud.NONE:
            raise ValueError(
                "exposure 'internal' needs cloud: aws, gcp or azure, so the load balancer gets the "
                "annotation that keeps it private; without it most providers make it public"
            )
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.exposure is Exposure.INTERNAL:
            problems.extend(self._public_annotations())
        reserved = reserved_namespace_problem(self.namespace, ROOT_NAMESPACE)
        if reserved is not None:
            problems.append((("namespace",), reserved))
        if self.exposure is Exposure.CLUSTER:
            for fname, alias in (
                ("load_balancer_source_ranges", "loadBalancerSourceRanges"),
                ("external_traffic_policy", "externalTrafficPolicy"),
                ("load_balancer_class", "loadBalancerClass"),
            ):
                if getattr(self.service, fname) is not None:
                    problems.append(
                        (
                            ("service", alias),
                            "only applies to a LoadBalancer; use exposure public or internal, or remove it",
                        )
                    )
        if (
            self.autoscaling.enabled
            and self.autoscaling.target_memory_utilization_percentage is not None
            and not self.resources.requests.memory
        ):
            problems.append(
                (
                    ("autoscaling", "targetMemoryUtilizationPercentage"),
                    "needs resources.requests.memory: utilization is measured against the request",
                )
            )
        if problems:
            raise NestedProblems(problems)
        return self

    def _public_annotations(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Annotations that would make an ``internal`` load balancer internet-facing."""
        meta = self.overrides.get("Service", {}).get("metadata", {})
        sources: list[tuple[tuple[str | int, ...], Any]] = [
            (("service", "annotations"), self.service.annotations),
            (("overrides", "Service", "metadata", "annotations"), meta.get("annotations") or {}),
        ]
        out: list[tuple[tuple[str | int, ...], str]] = []
        for path, given in sources:
            for key, private in _PRIVATE_LB.items():
                value = given.get(key) if isinstance(given, dict) else None
                if value is not None and str(value) not in private:
                    out.append(
                        (
                            (*path, key),
                            f"{value!r} makes the load balancer of exposure 'internal' reachable from the "
                            "internet; use exposure 'public' if that is meant, or remove the annotation",
                        )
                    )
        return out

    @property
    def is_external(self) -> bool:
        return self.external is not None

    @property
    def pod_namespace(self) -> str:
        """The namespace where the gateway pods run (and where TLS secrets must live)."""
        return self.external.namespace if self.external else self.namespace

    @property
    def selector_labels(self) -> dict[str, str]:
        """The labels that select the gateway pods; Gateways derive their selector from these."""
        if self.external is not None:
            return dict(self.external.labels)
        return {"app": self.name, "istio": self.name.removeprefix("istio-")}

    def target_port(self, port: int) -> int | None:
        """The container port behind Service port ``port``: what AuthorizationPolicy
        ``to.operation.ports`` must name (Istio matches the port the gateway pod listens on,
        ``pilot/pkg/security/authz/model``). The port itself for a managed workload (its Service
        maps every Gateway port to the same container port); for an external one, its declared
        ``servicePorts`` mapping, or None when unknown.
        """
        if self.external is None:
            return port
        return self.external.target_port(port)

    @property
    def min_replicas(self) -> int:
        return self.autoscaling.min_replicas if self.autoscaling.enabled else self.replicas


ServiceSettings.model_rebuild()
