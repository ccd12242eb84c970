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

from ._base import NestedProblems, SpecModel, dns_label, dns_subdomain
from .addressing import AddressSpec
from .quantity import parse_quantity
from .security import WorkloadNetwork

__all__ = [
    "Autoscaling",
    "Cloud",
    "DisruptionBudget",
    "Exposure",
    "ExternalWorkload",
    "NetworkPolicySettings",
    "ResourceQuantities",
    "Resources",
    "ServiceSettings",
    "WorkloadSpec",
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
    load_balancer_source_ranges: list[str] | None = None
    """CIDRs allowed to reach a LoadBalancer. Default: unset (no restriction at the load balancer)."""
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
    """A NetworkPolicy on the gateway pods. Default: off (as in the chart).

    When on: ingress only on the Service's target ports, the status port 15021 and the metrics ports
    15020/15090; egress only to DNS, istiod, and pods inside the cluster (plus ``egressCidrs``). It
    is off by default because the egress an ingress gateway needs depends on its routes: a route to
    an external backend would otherwise fail with a 503.
    """

    enabled: bool = False
    egress_cidrs: list[str] = Field(default_factory=list)
    """Extra destinations outside the cluster the gateway may reach. Default: none."""
    metrics_namespaces: list[str] = Field(default_factory=list)
    """Namespaces allowed to scrape 15020/15090. Default: empty, meaning any namespace."""


class ExternalWorkload(SpecModel):
    """A gateway workload that this program does not manage, referenced by namespace and pod labels."""

    namespace: str
    labels: dict[str, str] = Field(min_length=1)
    service_name: str | None = None
    """The Service in front of it, if known; used for port checks. Default: unknown."""
    service_ports: list[int] | None = None
    """The Service's ports (or target ports), if known. Default: unknown (port checks are skipped)."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return dns_label(v, "namespace")


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

    @property
    def min_replicas(self) -> int:
        return self.autoscaling.min_replicas if self.autoscaling.enabled else self.replicas


ServiceSettings.model_rebuild()
