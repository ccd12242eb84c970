"""Egress gateways: the dedicated exit nodes for traffic that leaves the mesh, and what may leave.

An egress gateway is a gateway workload in egress form (a ClusterIP Service, pods that can be pinned
to a node pool whose NAT gives them known source IPs) plus a list of external **destinations**. Each
destination is one external host and port, a **mode** that says how traffic crosses the gateway,
and the **sources** (namespaces, optionally narrowed to service accounts) allowed to use it. Every
other caller is denied.

Modes (the names are this library's; each maps to one of Istio's egress tasks):

- ``http``: the application speaks plain HTTP to ``host:port``; the gateway forwards it as is.
- ``tls-passthrough``: the application originates TLS itself; routing is on SNI and the gateway
  never sees inside the stream.
- ``tls-origination``: the application speaks plain HTTP to ``host:origination.httpPort``; the
  gateway originates TLS to ``host:port``, ``SIMPLE`` (server verified against a CA) or ``MUTUAL``
  (the gateway also presents a client certificate).
- ``tcp``: plain TCP (a database, a message broker) to ``host:port``. The host gets a VIP from the
  gateway's ``vipPool`` on its ServiceEntry, so that several TCP destinations can share a port
  (without an address, sidecars cannot tell them apart: IST0134). Needs Istio's DNS proxying in the
  client pods, so that the host resolves to its VIP.

In all three modes the hop from the application's sidecar to the gateway is Istio mutual TLS
(``ISTIO_MUTUAL``): gateways get no auto-mTLS, and without it the gateway cannot know who is calling,
so the AuthorizationPolicy could not name sources.

This module is pure: it does not import Pulumi.
"""

from __future__ import annotations

import ipaddress
from enum import Enum
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..constants import ROOT_NAMESPACE, SYSTEM_NAMESPACES
from ..errors import show
from ._base import NestedProblems, SpecModel, dns_label, dns_subdomain, problems_from_validation_error
from .addressing import NatLookup, parse_ip, parse_network
from .istio import CertificateSource, is_ip, validate_route_host
from .security import KubernetesCidr
from .workload import Exposure, WorkloadSpec, reserved_namespace_problem

__all__ = [
    "EGRESS_OVERRIDE_KINDS",
    "EgressDestination",
    "EgressEnforcement",
    "EgressGatewaySpec",
    "EgressMode",
    "EgressSource",
    "EgressTelemetry",
    "Origination",
]

EGRESS_OVERRIDE_KINDS = frozenset(
    {
        "Gateway",
        "ServiceEntry",
        "DestinationRule",
        "VirtualService",
        "AuthorizationPolicy",
        "Telemetry",
        "NetworkPolicy",
    }
)
"""Kinds an egress gateway's ``overrides`` may name (the workload's kinds go in ``workload.overrides``)."""

# Fields of a WorkloadSpec the egress gateway decides itself, with the reason given to a user who
# sets them inside ``workload``.
_WORKLOAD_FIXED = {
    "name": "the workload is named after the egress gateway; set the gateway's name",
    "namespace": "set the egress gateway's namespace instead",
    "exposure": (
        "an egress gateway is always exposure 'cluster' (a ClusterIP Service): nothing outside the "
        "cluster should reach an exit node; remove it"
    ),
    "external": "an egress gateway manages its own workload; an existing one cannot be referenced",
    "networkPolicy": (
        "the egress gateway renders its own NetworkPolicy (ingress from the sources, egress to the "
        "destinations' ports); use enforcement.networkPolicy instead"
    ),
    "network_policy": "use enforcement.networkPolicy instead",
}

_CLUSTER_SUFFIXES = (".svc", ".svc.cluster.local", ".cluster.local")

# Ports the Istio proxy itself binds in every pod (admin, outbound/inbound capture, HBONE, merged
# metrics, health, DNS, Envoy metrics). A gateway cannot listen for a destination on them.
_PROXY_PORTS = frozenset({15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090})


class EgressMode(str, Enum):
    """How traffic to one destination crosses the egress gateway."""

    HTTP = "http"
    TLS_PASSTHROUGH = "tls-passthrough"
    TLS_ORIGINATION = "tls-origination"
    TCP = "tcp"


class EgressSource(SpecModel):
    """A caller allowed to use a destination: a namespace, optionally narrowed to service accounts."""

    namespace: str | None = None
    """The caller's namespace (required). Its pods are also locked down (Sidecar, NetworkPolicy)."""
    service_accounts: list[str] | None = None
    """Only these service accounts of the namespace. Default: unset, meaning every service account of
    the namespace."""

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "namespace")

    @field_validator("service_accounts")
    @classmethod
    def _sas(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        if not v:
            raise ValueError(
                "an empty list allows no service account; remove serviceAccounts to allow the whole "
                "namespace, or name the accounts"
            )
        return [dns_subdomain(sa, "service account") for sa in v]

    @model_validator(mode="after")
    def _needs_namespace(self) -> EgressSource:
        if self.namespace is None:
            raise NestedProblems(
                [
                    (
                        ("namespace",),
                        "required: a source names the caller's namespace (the AuthorizationPolicy "
                        "matches it, and it is the namespace that gets locked down); write "
                        "{namespace: <ns>} or {namespace: <ns>, serviceAccounts: [<sa>, ...]}",
                    )
                ]
            )
        return self


class Origination(SpecModel):
    """TLS origination at the egress gateway: the application speaks plain HTTP, the gateway speaks
    TLS to the external host.

    Certificate material is never emitted as file paths: Istio's ``clientCertificate``,
    ``privateKey`` and ``caCertificates`` paths are read when the program runs and become a Secret
    in the egress gateway's namespace (the only namespace Istio reads it from), which the
    DestinationRule names by ``credentialName``.
    """

    mode: Literal["SIMPLE", "MUTUAL"] = "SIMPLE"
    """``SIMPLE``: verify the server against a CA. ``MUTUAL``: also present a client certificate.
    Default: ``SIMPLE``."""
    http_port: int = Field(default=80, ge=1, le=65535)
    """The port applications send plain HTTP to (``http://<host>:<httpPort>``). Default: 80."""
    sni: str | None = None
    """SNI sent to the external host. Default: the destination's host."""
    subject_alt_names: list[str] | None = None
    """Names the server certificate must carry. Default: unset (Istio's own server-name checks
    apply)."""
    ca_certificates: str | None = None
    """PEM file with the CA bundle that verifies the server, read when the program runs and stored
    as the ``<credential>-cacert`` Secret. Default: unset, meaning the proxy's operating-system trust
    store (public CAs; Istio's ``VERIFY_CERT_AT_CLIENT``, on by default since Istio 1.21)."""
    credential_name: str | None = None
    """An existing Secret in the egress gateway's namespace holding ``ca.crt`` (SIMPLE) or
    ``tls.crt``/``tls.key``/``ca.crt`` (MUTUAL), managed outside this program. Default: unset (the
    library makes the Secret from the other fields)."""
    certificate: CertificateSource | None = None
    """MUTUAL only: how to make the client certificate (``selfSigned``, ``certManager`` or
    ``config``). Default: unset."""
    client_certificate: str | None = None
    """MUTUAL only: PEM file of the client certificate, read when the program runs. Default: unset."""
    private_key: str | None = None
    """MUTUAL only: PEM file of the client key, read when the program runs. Default: unset."""

    @field_validator("mode", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("credential_name")
    @classmethod
    def _cred(cls, v: str | None) -> str | None:
        return None if v is None else dns_subdomain(v, "credentialName")

    @field_validator("sni")
    @classmethod
    def _sni(cls, v: str | None) -> str | None:
        return None if v is None else validate_route_host(v)

    @model_validator(mode="after")
    def _coherent(self) -> Origination:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        files = {"clientCertificate": self.client_certificate, "privateKey": self.private_key}
        client_fields = {**files, "certificate": self.certificate}
        if self.mode == "SIMPLE":
            for name, value in client_fields.items():
                if value is not None:
                    problems.append(
                        ((name,), "mode SIMPLE presents no client certificate; remove it or use mode MUTUAL")
                    )
        else:
            has_files = any(v is not None for v in files.values())
            if has_files and not all(v is not None for v in files.values()):
                missing = "privateKey" if self.private_key is None else "clientCertificate"
                problems.append(((missing,), "clientCertificate and privateKey go together; set both"))
            sources = sum([has_files, self.certificate is not None, self.credential_name is not None])
            if sources == 0:
                problems.append(
                    (
                        (),
                        "mode MUTUAL needs a client certificate: set certificate (selfSigned, "
                        "certManager or config), clientCertificate+privateKey (PEM files), or "
                        "credentialName (an existing Secret in the egress gateway's namespace)",
                    )
                )
            elif sources > 1:
                problems.append(
                    (
                        (),
                        "give exactly one client certificate source: certificate, "
                        "clientCertificate+privateKey, or credentialName",
                    )
                )
            src = self.certificate
            if src is not None and src.cert_manager is not None and self.ca_certificates is None:
                # cert-manager writes the issuer's CA into the Secret as ca.crt, and Istio would then
                # verify the partner's server against it: a silent handshake failure, or worse, trust
                # in our own CA for someone else's server.
                problems.append(
                    (
                        ("caCertificates",),
                        "required with certificate.certManager: cert-manager stores the issuer's CA in "
                        "the Secret as ca.crt, and Istio would verify the external server against it; "
                        "give the PEM file of the CA that signs the external server's certificate",
                    )
                )
            if src is not None and src.config is not None and src.config.ca is not None:
                if self.ca_certificates is not None:
                    problems.append(
                        (
                            ("caCertificates",),
                            "the CA is already given by certificate.config.ca; keep one of the two",
                        )
                    )
        if self.credential_name is not None and self.ca_certificates is not None:
            problems.append(
                (
                    ("caCertificates",),
                    f"credentialName names an existing Secret; put the CA in it as ca.crt (or in "
                    f"{self.credential_name}-cacert) and remove caCertificates",
                )
            )
        if problems:
            raise NestedProblems(problems)
        return self


class EgressDestination(SpecModel):
    """One external host and port that traffic may reach through the egress gateway."""

    host: str
    """The external host, a fully qualified DNS name. Wildcards are refused (see ``resolution``)."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """The port the external host listens on (required): 443 for TLS, 80 for plain HTTP."""
    mode: EgressMode
    """``http``, ``tls-passthrough``, ``tls-origination`` or ``tcp`` (required: how traffic leaves
    is a decision)."""
    resolution: str = "DNS"
    """ServiceEntry resolution: ``DNS`` or ``DNS_ROUND_ROBIN``. Default: ``DNS``. ``NONE`` is refused:
    the gateway would forward to the original destination address, which is its own Service address,
    and loop."""
    sources: list[EgressSource] = Field(min_length=1)
    """Who may use this destination (at least one). Everyone else is denied."""
    origination: Origination | None = None
    """TLS origination settings; only with mode ``tls-origination``. Default: ``SIMPLE`` with the
    operating-system trust store, applications on port 80."""
    vip: str | None = None
    """Mode ``tcp`` only: pin the host's VIP (inside the gateway's ``vipPool``). Default: unset,
    allocated from ``vipPool``, stable across runs (see docs/addressing.md)."""

    @field_validator("vip")
    @classmethod
    def _vip(cls, v: str | None) -> str | None:
        if v is not None:
            parse_ip(v, "vip")
        return v

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if "/" in v:
            raise ValueError(f"host {show(v)} must be a plain DNS name, without a namespace or path")
        if is_ip(v):
            raise ValueError(
                f"host {show(v)} is an IP address; a destination is a DNS name (the ServiceEntry resolves it "
                "with DNS and the gateway routes on it)"
            )
        if v.startswith("*"):
            raise ValueError(
                f"host {show(v)} is a wildcard, which needs a resolution other than DNS (DNS cannot resolve "
                "a wildcard), and resolution NONE makes the egress gateway forward to its own address "
                "(a loop). List each host explicitly"
            )
        validate_route_host(v)
        if "." not in v:
            raise ValueError(f"host {show(v)} is a short name; give the fully qualified name (e.g. {v}.com)")
        if v.endswith(_CLUSTER_SUFFIXES):
            raise ValueError(
                f"host {show(v)} is a cluster-internal name; egress gateways are for destinations outside "
                "the mesh"
            )
        return v

    @field_validator("port")
    @classmethod
    def _port(cls, v: int | None) -> int | None:
        # Optional in the annotation and checked here (defaults are validated), so that a missing
        # port gets a message that says which port, and is reported along with the other fields.
        if v is None:
            raise ValueError(
                "required: the port the external host listens on (443 for tls-passthrough and "
                "tls-origination, 80 for http)"
            )
        return v

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, v: Any) -> Any:
        value = v.upper() if isinstance(v, str) else v
        if value == "NONE":
            raise ValueError(
                "resolution NONE makes the egress gateway forward to the original destination address, "
                "which is its own Service address, so traffic loops; use DNS (the default)"
            )
        if value not in ("DNS", "DNS_ROUND_ROBIN"):
            raise ValueError(f"{show(v)} is not allowed; use 'DNS' or 'DNS_ROUND_ROBIN'")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> EgressDestination:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.mesh_port in _PROXY_PORTS:
            where: tuple[str, ...] = (
                ("origination", "httpPort") if self.mode is EgressMode.TLS_ORIGINATION else ("port",)
            )
            problems.append(
                (
                    where,
                    f"{self.mesh_port} is reserved by the Istio proxy (the egress gateway listens on the "
                    "port applications call); use another port",
                )
            )
        if self.vip is not None and self.mode is not EgressMode.TCP:
            problems.append((("vip",), f"only applies to mode tcp, not {self.mode.value}; remove it"))
        if self.origination is not None and self.mode is not EgressMode.TLS_ORIGINATION:
            problems.append(
                (
                    ("origination",),
                    f"only applies to mode tls-origination, not {self.mode.value}; remove it or change mode",
                )
            )
        if (
            self.mode is EgressMode.TLS_ORIGINATION
            and self.port is not None
            and self.tls_origination.http_port == self.port
        ):
            problems.append(
                (
                    ("origination", "httpPort"),
                    f"must differ from port ({self.port}): the ServiceEntry carries both, plain HTTP "
                    "from the applications and TLS to the external host",
                )
            )
        if problems:
            raise NestedProblems(problems)
        return self

    @property
    def tls_origination(self) -> Origination:
        """The origination settings, defaults included (mode ``tls-origination`` only)."""
        return self.origination or Origination()

    @property
    def external_port(self) -> int:
        """The port the gateway connects to on the external host."""
        assert self.port is not None  # checked by the field validator
        return self.port

    @property
    def mesh_port(self) -> int:
        """The port applications call (and the egress gateway listens on for this destination)."""
        if self.mode is EgressMode.TLS_ORIGINATION:
            return self.tls_origination.http_port
        return self.external_port


class EgressTelemetry(SpecModel):
    """The Telemetry resource scoped to the egress gateway's pods.

    Default: access logging on (Istio's ``envoy`` provider), metrics to ``prometheus``. An exit
    node's access log is the audit trail of what left the cluster, so it is on even where the mesh
    default is off.
    """

    access_logging: bool = True
    """Default: true."""
    access_log_providers: list[str] = Field(default_factory=lambda: ["envoy"], min_length=1)
    """Extension providers from the mesh config. Default: ``[envoy]``."""
    access_log_filter: str | None = None
    """A CEL expression; only matching requests are logged. Default: unset (log everything)."""
    metrics_providers: list[str] = Field(default_factory=lambda: ["prometheus"], min_length=1)
    """Default: ``[prometheus]``."""
    metric_tag_overrides: dict[str, str] = Field(default_factory=dict)
    """Tag name to CEL value expression, added to every metric (``UPSERT``). Default: none."""
    reporting_interval: str | None = None
    """How often metrics are reported (a duration such as ``15s``). Default: unset (the mesh
    default)."""


class EgressEnforcement(SpecModel):
    """What forces traffic through the egress gateway. Istio alone cannot: an application that
    ignores its sidecar (or a pod without one) can still open sockets to the internet.

    - ``sidecar``: one namespace-wide Sidecar (named ``default``) per client namespace, with
      ``outboundTrafficPolicy: REGISTRY_ONLY`` and egress hosts limited to the client's own
      namespace, the control plane's namespace, the egress gateways' namespaces and
      ``meshNamespaces``. Unknown hosts fail fast instead of passing through. Not a security
      boundary: it is the sidecar's configuration, and a pod can bypass its sidecar.
    - ``networkPolicy``: a NetworkPolicy per client namespace allowing egress only to DNS, the
      control plane, the egress gateway pods, the client's own namespace and ``meshNamespaces``;
      and one on the egress gateway pods allowing ingress from the sources and egress to the
      destinations' ports. Needs a CNI that enforces NetworkPolicy.

    Default: both on.
    """

    sidecar: bool = True
    """Default: true."""
    network_policy: bool = True
    """Default: true."""
    istio_namespace: str = "istio-system"
    """Where istiod runs: imported by the Sidecar, reachable on 15012. Default: ``istio-system``."""
    mesh_namespaces: list[str] = Field(default_factory=list)
    """Other namespaces whose services client pods call directly: imported by the Sidecar and
    allowed by the NetworkPolicy. ``*`` means every namespace. Default: none (only the client's own
    namespace)."""
    allowed_cidrs: list[KubernetesCidr] = Field(default_factory=list)
    """Addresses outside the pod network that client pods may reach directly, as CIDRs with a
    prefix length (a NetworkPolicy ``ipBlock`` refuses a bare address), e.g. NodeLocal DNSCache
    (``169.254.20.10/32``) or a managed control plane. Default: none."""

    @field_validator("istio_namespace")
    @classmethod
    def _istio_ns(cls, v: str) -> str:
        return dns_label(v, "istioNamespace")

    @field_validator("mesh_namespaces")
    @classmethod
    def _mesh_ns(cls, v: list[str]) -> list[str]:
        return [n if n == "*" else dns_label(n, "namespace") for n in v]


class EgressGatewaySpec(SpecModel):
    """An egress gateway: the dedicated exit node for the destinations it lists, with its own
    policies and telemetry. Config key: an item of ``meshgw:egressGateways``."""

    name: str
    """Name of the workload, its Service, the Gateway, the AuthorizationPolicy and the Telemetry.
    A DNS-1123 label."""
    namespace: str = "istio-egress"
    """Where the gateway pods, its Istio objects and its origination Secrets live.
    Default: ``istio-egress``."""
    workload: dict[str, Any] = Field(default_factory=dict)
    """Further WorkloadSpec fields (``autoscaling``, ``resources``, ``nodeSelector``,
    ``tolerations``, ``affinity``, ``revision``...). ``exposure`` is always ``cluster``. Pin the pods
    to a node pool with ``nodeSelector`` and ``tolerations``: that is how egress traffic gets known
    source IPs. Default: the WorkloadSpec defaults."""
    destinations: list[EgressDestination] = Field(min_length=1)
    """The external destinations this gateway serves (at least one)."""
    client_namespaces: list[str] = Field(default_factory=list)
    """Namespaces to lock down besides the sources' namespaces (e.g. namespaces that may reach no
    destination at all). Default: none."""
    telemetry: EgressTelemetry = Field(default_factory=EgressTelemetry)
    """Access logging and metrics for this gateway's pods. Default: see EgressTelemetry."""
    enforcement: EgressEnforcement = Field(default_factory=EgressEnforcement)
    """Lock-down of the client namespaces. Default: Sidecar and NetworkPolicy on."""
    # "IPs" as people write it, not the camelCase generator's "Ips".
    egress_ips: list[str] = Field(default_factory=list, alias="egressIPs")
    """The NAT source addresses traffic leaves with, as configured on the node pool's NAT (from
    config; see ``natLookup`` to look them up on AWS). Exported as ``egressIps`` so partners can
    allow-list them. Default: none."""
    nat_lookup: NatLookup | None = None
    """Look the NAT source IPs up when the program runs (AWS: the NAT gateways that serve the egress
    nodes' subnets), and export them as ``egressIps`` together with ``egressIPs``. Needs
    ``pip install 'pulumi-meshgw[aws]'``; ``meshgw render`` shows ``[lookup]`` instead. Default:
    unset (no lookup)."""
    vip_pool: str = "240.241.0.0/16"
    """Where the VIPs of ``tcp`` destinations come from: a CIDR block, or the name of a
    ``meshgw:addressPools`` pool. Default: ``240.241.0.0/16`` (class E, never routed, and outside
    Istio's own automatic allocation range 240.240.0.0/16)."""
    trust_domain: str = "cluster.local"
    """The mesh trust domain, for service-account principals in the AuthorizationPolicy.
    Default: ``cluster.local``."""
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Escape hatch: per kind (``Gateway``, ``ServiceEntry``, ``DestinationRule``,
    ``VirtualService``, ``AuthorizationPolicy``, ``Telemetry``, ``NetworkPolicy``), a mapping
    deep-merged into every rendered object of that kind of this gateway. The result is checked for
    consistency and against the schemas. Default: none."""

    _workload_spec: WorkloadSpec | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "egress gateway name")

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        reserved = reserved_namespace_problem(dns_label(v, "namespace"), ROOT_NAMESPACE, "istio-egress")
        if reserved is not None:
            raise ValueError(reserved)
        return v

    @field_validator("client_namespaces")
    @classmethod
    def _clients(cls, v: list[str]) -> list[str]:
        return [dns_label(n, "namespace") for n in v]

    @field_validator("egress_ips")
    @classmethod
    def _ips(cls, v: list[str]) -> list[str]:
        for ip in v:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise ValueError(f"{show(ip)} is not an IP address") from None
        return v

    @field_validator("vip_pool")
    @classmethod
    def _vip_pool(cls, v: str) -> str:
        if "/" in v:
            parse_network(v, "vipPool")
            return v
        return dns_label(v, "vipPool (a CIDR block or an address pool name)")

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        bad = sorted(set(v) - EGRESS_OVERRIDE_KINDS)
        if bad:
            raise ValueError(
                f"overrides for unknown kind(s) {', '.join(bad)}; allowed: "
                f"{', '.join(sorted(EGRESS_OVERRIDE_KINDS))} (workload kinds go in workload.overrides)"
            )
        return v

    @field_validator("workload")
    @classmethod
    def _workload(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        # A field validator, not part of the model validator, so that workload problems are reported
        # together with problems in the destinations.
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for key, why in _WORKLOAD_FIXED.items():
            if key in v:
                problems.append(((key,), why))
        if not problems:
            try:
                _workload_spec(v, info.data.get("name", "egress"), info.data.get("namespace", "istio-egress"))
            except ValidationError as err:
                for p in problems_from_validation_error(err, WorkloadSpec, data=v):
                    problems.append(((p.path,) if p.path else (), p.message))
        if problems:
            raise NestedProblems(problems)
        return v

    @model_validator(mode="after")
    def _coherent(self) -> EgressGatewaySpec:
        problems = self._destination_problems()
        problems.extend(self._namespace_problems())
        if problems:
            raise NestedProblems(problems)
        self._workload_spec = _workload_spec(self.workload, self.name, self.namespace)
        return self

    def _namespace_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """The gateway may not run in the root namespace (``enforcement.istioNamespace``) or
        kube-system, and no client namespace may be one of them: the namespace-wide ``Sidecar
        default`` rendered there would be, in the root namespace, the default Sidecar of every
        namespace of the mesh, and the client NetworkPolicy would cut istiod (or CoreDNS) off."""
        root = self.enforcement.istio_namespace
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.namespace == root:  # a configured root; istio-system is refused by the field
            reason = reserved_namespace_problem(self.namespace, root, "istio-egress")
            problems.append((("namespace",), reason or ""))
        locked = self.enforcement.sidecar or self.enforcement.network_policy
        reserved = {root, ROOT_NAMESPACE, *SYSTEM_NAMESPACES}
        if not locked:
            return problems
        why = (
            "{ns!r} is the control plane's or the cluster's own namespace, where the client "
            "lock-down must not go: a namespace-wide Sidecar in Istio's root namespace becomes the "
            "default Sidecar of every namespace of the mesh, and the NetworkPolicy would cut istiod "
            "and CoreDNS off; remove it, or turn enforcement.sidecar and enforcement.networkPolicy off"
        )
        for i, d in enumerate(self.destinations):
            for j, src in enumerate(d.sources):
                if src.namespace in reserved:
                    problems.append(
                        (("destinations", i, "sources", j, "namespace"), why.format(ns=src.namespace))
                    )
        for k, ns in enumerate(self.client_namespaces):
            if ns in reserved:
                problems.append((("clientNamespaces", k), why.format(ns=ns)))
        return problems

    def _destination_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Within one gateway: one destination per host and port, one kind of traffic per port."""
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: dict[tuple[str, int], int] = {}
        # (host, port) -> (destination index, what the port carries), over every ServiceEntry port a
        # destination contributes: an origination contributes its HTTP port and its TLS port.
        ports: dict[tuple[str, int], tuple[int, str]] = {}
        # Listener port -> (destination index, family): sidecars share one 0.0.0.0:<port> listener
        # for every external host on a port, which can be HTTP or TLS, not both.
        families: dict[int, tuple[int, str]] = {}
        resolutions: dict[str, tuple[int, str]] = {}
        vips: dict[str, tuple[int, str]] = {}
        for i, d in enumerate(self.destinations):
            if d.vip is not None:
                pinned = vips.setdefault(d.host, (i, d.vip))
                if pinned[1] != d.vip:
                    problems.append(
                        (
                            ("destinations", i, "vip"),
                            f"{d.host} already has vip {pinned[1]} (destinations[{pinned[0]}]); a host has "
                            "one VIP on its ServiceEntry, so give its destinations the same one",
                        )
                    )
            first = resolutions.setdefault(d.host, (i, d.resolution))
            if first[1] != d.resolution:
                problems.append(
                    (
                        ("destinations", i, "resolution"),
                        f"{d.host} already has resolution {first[1]} (destinations[{first[0]}]); the "
                        "destinations of one host share its ServiceEntry, so give them the same resolution",
                    )
                )
            # tcp counts as TLS: at the gateway it arrives inside the mesh TLS, like passthrough.
            family = "TLS" if d.mode in (EgressMode.TLS_PASSTHROUGH, EgressMode.TCP) else "HTTP"
            other = families.setdefault(d.mesh_port, (i, family))
            if other[1] != family:
                problems.append(
                    (
                        ("destinations", i),
                        f"applications would send {family} to port {d.mesh_port}, where "
                        f"destinations[{other[0]}] receives {other[1]}; sidecars share one listener per "
                        "port for all external hosts, so use another port for one of them",
                    )
                )
            key = (d.host, d.external_port)
            if key in seen:
                problems.append(
                    (
                        ("destinations", i),
                        f"{d.host}:{d.external_port} is already declared by destinations[{seen[key]}]; "
                        "declare each external host and port once",
                    )
                )
                continue
            seen[key] = i
            for number, role in _port_roles(d):
                prev = ports.get((d.host, number))
                if prev is not None and prev[0] != i:
                    problems.append(
                        (
                            ("destinations", i),
                            f"port {number} of {d.host} would carry {role} here, but destinations[{prev[0]}] "
                            f"already uses it for {prev[1]}; each port of a host carries one kind of "
                            "traffic",
                        )
                    )
                else:
                    ports[(d.host, number)] = (i, role)
        return problems

    @property
    def workload_spec(self) -> WorkloadSpec:
        """The gateway workload: exposure ``cluster``, named after the gateway."""
        if self._workload_spec is None:  # pragma: no cover - set by the validator
            raise RuntimeError("EgressGatewaySpec was not validated")
        return self._workload_spec

    @property
    def service_fqdn(self) -> str:
        """The gateway Service's cluster DNS name: the sidecar-to-gateway hop's host."""
        return f"{self.name}.{self.namespace}.svc.cluster.local"

    @property
    def gateway_ref(self) -> str:
        """``namespace/name`` of the Gateway, as VirtualServices write it."""
        return f"{self.namespace}/{self.name}"

    @property
    def client_namespace_set(self) -> list[str]:
        """Every namespace to lock down: the sources' namespaces and ``clientNamespaces``, sorted."""
        names = {s.namespace for d in self.destinations for s in d.sources if s.namespace}
        names.update(self.client_namespaces)
        return sorted(names)


def _workload_spec(fields: dict[str, Any], name: str, namespace: str) -> WorkloadSpec:
    # The egress gateway renders its own NetworkPolicy (render/network_policy_egress.py).
    raw = {
        **fields,
        "name": name,
        "namespace": namespace,
        "exposure": Exposure.CLUSTER.value,
        "networkPolicy": {"enabled": False},
    }
    return WorkloadSpec.model_validate(raw)


def _port_roles(d: EgressDestination) -> list[tuple[int, str]]:
    """The ServiceEntry ports a destination needs, with what each carries (for clash messages)."""
    if d.mode is EgressMode.HTTP:
        return [(d.external_port, "http")]
    if d.mode is EgressMode.TLS_PASSTHROUGH:
        return [(d.external_port, "tls-passthrough")]
    if d.mode is EgressMode.TCP:
        return [(d.external_port, "tcp")]
    return [(d.mesh_port, "http"), (d.external_port, "tls-origination")]
