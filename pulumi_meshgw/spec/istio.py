"""Typed models of the Istio API surface that users write: Gateway servers, VirtualService routes,
DestinationRule policy.

Field names and shapes follow the Istio API reference (networking.istio.io/v1), so Istio YAML can be
pasted as-is. Every field Istio accepts is declared; unknown keys are errors. Deep tuning blocks that
the library does not reason about (connection pools, outlier detection, load balancer settings) are
kept as mappings here and checked field by field against the vendored Istio CRD schema, so they are
just as strict.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..errors import show
from ._base import SpecModel, dns_label

__all__ = [
    "ClientTLSSettings",
    "CorsPolicy",
    "Destination",
    "DestinationRuleFields",
    "GatewayHost",
    "HTTPRoute",
    "Headers",
    "Port",
    "PortSelector",
    "Protocol",
    "RouteHost",
    "Server",
    "ServerTLSSettings",
    "StringMatch",
    "Subset",
    "TCPRoute",
    "TLSMode",
    "TLSRoute",
    "TrafficPolicy",
    "VirtualServiceFields",
    "is_ip",
    "validate_gateway_host",
    "validate_route_host",
    "weight_split",
]


class Protocol(str, Enum):
    """Gateway server protocols Istio accepts (``protocol.Parse``)."""

    HTTP = "HTTP"
    HTTPS = "HTTPS"
    GRPC = "GRPC"
    GRPC_WEB = "GRPC-WEB"
    HTTP2 = "HTTP2"
    MONGO = "MONGO"
    TCP = "TCP"
    TLS = "TLS"
    REDIS = "REDIS"
    MYSQL = "MYSQL"
    UDP = "UDP"
    HTTP_PROXY = "HTTP_PROXY"

    @property
    def is_http(self) -> bool:
        return self in (Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.GRPC_WEB, Protocol.HTTP_PROXY)

    @property
    def is_tls(self) -> bool:
        return self in (Protocol.HTTPS, Protocol.TLS)


class TLSMode(str, Enum):
    """Server TLS modes. An omitted mode means PASSTHROUGH in Istio, so the library always emits one."""

    PASSTHROUGH = "PASSTHROUGH"
    SIMPLE = "SIMPLE"
    MUTUAL = "MUTUAL"
    AUTO_PASSTHROUGH = "AUTO_PASSTHROUGH"
    ISTIO_MUTUAL = "ISTIO_MUTUAL"
    OPTIONAL_MUTUAL = "OPTIONAL_MUTUAL"

    @property
    def terminates(self) -> bool:
        return self in (TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL, TLSMode.ISTIO_MUTUAL)

    @property
    def needs_certificate(self) -> bool:
        return self in (TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL)

    @property
    def needs_client_ca(self) -> bool:
        return self in (TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL)


TLSVersion = Literal["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]

_WILDCARD_LEFT = re.compile(r"\A\*\.")
_DNS_NAME = re.compile(r"\A(?=.{1,253}\Z)([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


def is_ip(value: str) -> bool:
    """Whether ``value`` is an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _check_dns_name(name: str, *, allow_short: bool) -> None:
    if name == "*":
        return
    bare = name[2:] if _WILDCARD_LEFT.match(name) else name
    if "*" in bare:
        raise ValueError(
            f"host {show(name)} has a wildcard that is not the whole left-most label; "
            "Istio accepts '*' or '*.example.com' only"
        )
    if name != name.lower():
        raise ValueError(f"host {show(name)} must be lowercase")
    if not _DNS_NAME.match(bare):
        raise ValueError(f"host {show(name)} is not a valid DNS name")
    if not allow_short and "." not in bare:
        raise ValueError(
            f"host {show(name)} is a short name; gateway hosts must be fully qualified (e.g. "
            f"{name}.example.com)"
        )


def validate_gateway_host(host: str) -> str:
    """Check a Gateway server host: ``[namespace/]dnsName`` with an FQDN and a left-most wildcard only."""
    ns, _, name = host.rpartition("/")
    if "/" in host:
        if ns not in ("*", ".") and not re.match(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z", ns):
            raise ValueError(
                f"host {show(host)}: namespace part {show(ns)} must be '*', '.' or a namespace name"
            )
    else:
        name = host
    if is_ip(name):
        return host
    _check_dns_name(name, allow_short=False)
    return host


def validate_route_host(host: str) -> str:
    """Check a VirtualService host: a DNS name (short names are resolved in the route's namespace)."""
    if "/" in host:
        raise ValueError(f"host {show(host)} must not contain '/'; VirtualService hosts are plain DNS names")
    if is_ip(host):
        return host
    _check_dns_name(host, allow_short=True)
    return host


GatewayHost = Annotated[str, AfterValidator(validate_gateway_host)]
RouteHost = Annotated[str, AfterValidator(validate_route_host)]

# --------------------------------------------------------------------------------------------------
# Gateway


class Port(SpecModel):
    """A Gateway server port. Istio: ``Port``."""

    number: int = Field(ge=1, le=65535)
    protocol: Protocol
    name: str
    target_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("protocol", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "port name")

    @field_validator("target_port")
    @classmethod
    def _no_target(cls, v: int | None) -> int | None:
        if v is not None:
            raise ValueError("targetPort has no effect on Gateways (Istio rejects it); remove it")
        return v


class CertificateSource(SpecModel):
    """Where the server certificate comes from. Exactly one source. Not an Istio field: Istio only
    names a Secret; this says how the library should make that Secret.

    Istio's own ``serverCertificate``/``privateKey``/``caCertificates`` file paths are the fourth
    source: the files are read when the program runs and become the Secret; paths are never emitted.
    """

    self_signed: SelfSigned | None = None
    cert_manager: CertManager | None = None
    config: ConfigPem | None = None

    @model_validator(mode="after")
    def _one(self) -> CertificateSource:
        n = sum(x is not None for x in (self.self_signed, self.cert_manager, self.config))
        if n != 1:
            raise ValueError("set exactly one of selfSigned, certManager or config")
        return self


class SelfSigned(SpecModel):
    """A self-signed certificate generated and kept in Pulumi state, for development stacks.

    Default: ECDSA P-256 key, valid 90 days, renewed 30 days before expiry on ``pulumi up``.
    """

    validity_hours: int = Field(default=24 * 90, ge=1)
    early_renewal_hours: int = Field(default=24 * 30, ge=0)
    organization: str = "pulumi-meshgw development"


class IssuerRef(SpecModel):
    name: str
    kind: Literal["Issuer", "ClusterIssuer"] = "ClusterIssuer"
    group: str = "cert-manager.io"


class CertManager(SpecModel):
    """A cert-manager ``Certificate`` that writes the Secret. Default: 90-day certificates renewed
    30 days early, ECDSA P-256 keys rotated on renewal."""

    issuer_ref: IssuerRef
    duration: str = "2160h"
    renew_before: str = "720h"
    dns_names: list[str] | None = None


class ConfigPem(SpecModel):
    """PEM material from secret stack config: the values name config keys set with
    ``pulumi config set --secret``, e.g. ``{cert: shopCert, key: shopKey}``.

    A key without a namespace is read from the running project's namespace (the ``name`` in its
    ``Pulumi.yaml``), which is where ``pulumi config set --secret shopCert`` puts it; ``ns:key``
    names another namespace. Default namespace: the project's."""

    cert: str
    key: str
    ca: str | None = None


class ServerTLSSettings(SpecModel):
    """Istio ``ServerTLSSettings`` plus ``certificate`` (the library's own: how to make the Secret)."""

    https_redirect: bool | None = None
    mode: TLSMode | None = None
    server_certificate: str | None = None
    private_key: str | None = None
    ca_certificates: str | None = None
    ca_crl: str | None = None
    credential_name: str | None = None
    credential_names: list[str] | None = None
    ca_cert_credential_name: str | None = None
    subject_alt_names: list[str] | None = None
    verify_certificate_spki: list[str] | None = None
    verify_certificate_hash: list[str] | None = None
    min_protocol_version: TLSVersion | None = None
    max_protocol_version: TLSVersion | None = None
    cipher_suites: list[str] | None = None
    certificate: CertificateSource | None = None

    @field_validator("mode", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class Server(SpecModel):
    """Istio ``Server``."""

    port: Port
    hosts: list[GatewayHost] = Field(min_length=1)
    bind: str | None = None
    name: str | None = None
    default_endpoint: str | None = None
    tls: ServerTLSSettings | None = None


# --------------------------------------------------------------------------------------------------
# VirtualService


class StringMatch(SpecModel):
    """Istio ``StringMatch``: exactly one of exact, prefix, regex."""

    exact: str | None = None
    prefix: str | None = None
    regex: str | None = None

    @model_validator(mode="after")
    def _one(self) -> StringMatch:
        if sum(x is not None for x in (self.exact, self.prefix, self.regex)) != 1:
            raise ValueError("set exactly one of exact, prefix or regex")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex {show(self.regex)} does not compile: {exc}") from None
        return self


class PortSelector(SpecModel):
    number: int = Field(ge=1, le=65535)


class Destination(SpecModel):
    """Istio ``Destination``."""

    host: RouteHost
    subset: str | None = None
    port: PortSelector | None = None


class HeaderOperations(SpecModel):
    set: dict[str, str] | None = None
    add: dict[str, str] | None = None
    remove: list[str] | None = None


class Headers(SpecModel):
    request: HeaderOperations | None = None
    response: HeaderOperations | None = None


class HTTPRouteDestination(SpecModel):
    destination: Destination
    weight: int | None = Field(default=None, ge=0, le=2**31 - 1)  # int32, as Istio's API
    headers: Headers | None = None


class RouteDestination(SpecModel):
    destination: Destination
    weight: int | None = Field(default=None, ge=0, le=2**31 - 1)  # int32, as Istio's API


class HTTPMatchRequest(SpecModel):
    name: str | None = None
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: dict[str, StringMatch] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    source_labels: dict[str, str] | None = None
    gateways: list[str] | None = None
    query_params: dict[str, StringMatch] | None = None
    ignore_uri_case: bool | None = None
    without_headers: dict[str, StringMatch] | None = None
    source_namespace: str | None = None
    stat_prefix: str | None = None


class HTTPRedirect(SpecModel):
    uri: str | None = None
    authority: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    derive_port: Literal["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"] | None = None
    scheme: str | None = None
    redirect_code: int | None = Field(default=None, ge=300, le=399)


class RegexRewrite(SpecModel):
    match: str
    rewrite: str


class HTTPRewrite(SpecModel):
    uri: str | None = None
    authority: str | None = None
    uri_regex_rewrite: RegexRewrite | None = None


class HTTPRetry(SpecModel):
    attempts: int = Field(ge=0)
    per_try_timeout: str | None = None
    retry_on: str | None = None
    retry_remote_localities: bool | None = None
    backoff: str | None = None


class Percent(SpecModel):
    value: float = Field(ge=0, le=100)


class FaultDelay(SpecModel):
    fixed_delay: str
    percentage: Percent | None = None


class FaultAbort(SpecModel):
    http_status: int | None = Field(default=None, ge=200, le=599)
    grpc_status: str | None = None
    percentage: Percent | None = None


class HTTPFaultInjection(SpecModel):
    delay: FaultDelay | None = None
    abort: FaultAbort | None = None


class CorsPolicy(SpecModel):
    allow_origins: list[StringMatch] | None = None
    allow_methods: list[str] | None = None
    allow_headers: list[str] | None = None
    expose_headers: list[str] | None = None
    max_age: str | None = None
    allow_credentials: bool | None = None
    unmatched_preflights: Literal["UNSPECIFIED", "FORWARD", "IGNORE"] | None = None


class HTTPDirectResponse(SpecModel):
    status: int = Field(ge=200, le=599)
    body: dict[str, str] | None = None


class HTTPMirrorPolicy(SpecModel):
    destination: Destination
    percentage: Percent | None = None


class Delegate(SpecModel):
    name: str
    namespace: str | None = None


class HTTPRoute(SpecModel):
    """Istio ``HTTPRoute``. Order matters: the first matching route wins."""

    name: str | None = None
    match: list[HTTPMatchRequest] | None = None
    route: list[HTTPRouteDestination] | None = None
    redirect: HTTPRedirect | None = None
    direct_response: HTTPDirectResponse | None = None
    delegate: Delegate | None = None
    rewrite: HTTPRewrite | None = None
    timeout: str | None = None
    retries: HTTPRetry | None = None
    fault: HTTPFaultInjection | None = None
    mirror: Destination | None = None
    mirror_percentage: Percent | None = None
    mirrors: list[HTTPMirrorPolicy] | None = None
    cors_policy: CorsPolicy | None = None
    headers: Headers | None = None

    @model_validator(mode="after")
    def _action(self) -> HTTPRoute:
        actions = [self.route, self.redirect, self.direct_response, self.delegate]
        if sum(a is not None for a in actions) != 1:
            raise ValueError("an http route needs exactly one of route, redirect, directResponse or delegate")
        if self.route is not None:
            _check_weights(self.route)
        return self


class L4MatchAttributes(SpecModel):
    destination_subnets: list[str] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    source_labels: dict[str, str] | None = None
    gateways: list[str] | None = None
    source_namespace: str | None = None


class TCPRoute(SpecModel):
    match: list[L4MatchAttributes] | None = None
    route: list[RouteDestination] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> TCPRoute:
        _check_weights(self.route)
        return self


class TLSMatchAttributes(SpecModel):
    sni_hosts: list[RouteHost] = Field(min_length=1)
    destination_subnets: list[str] | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    source_labels: dict[str, str] | None = None
    gateways: list[str] | None = None
    source_namespace: str | None = None


class TLSRoute(SpecModel):
    match: list[TLSMatchAttributes] = Field(min_length=1)
    route: list[RouteDestination] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> TLSRoute:
        _check_weights(self.route)
        return self


def _check_weights(route: list[HTTPRouteDestination] | list[RouteDestination]) -> None:
    """Istio's rule (``pkg/config/validation/validation.go``, ``validateHTTPRouteDestinations`` and
    ``validateRouteDestinations``): over several destinations, the weights must not total 0. Other
    totals are accepted; :func:`weight_split` says what split they give."""
    weights = [d.weight or 0 for d in route]
    if len(route) > 1 and sum(weights) == 0:
        raise ValueError(
            f"destination weights {weights} total 0, which Istio rejects; give the destinations that "
            "should get traffic a weight (they are shares of the total, normally summing to 100)"
        )


def weight_split(weights: Sequence[int | None]) -> str | None:
    """What split several destinations get when their weights do not sum to 100, or None.

    Envoy divides each weight by the total (``pilot/pkg/networking/core/route/route.go`` drops
    zero-weight destinations and hands the rest to Envoy's weighted clusters), so ``[60, 30]`` is a
    two-thirds / one-third split. An omitted weight counts as 0.

    Args:
        weights: The destinations' weights, in order.

    Returns:
        A sentence naming the sum and the resulting percentages; None for a single destination,
        a sum of 100, or a total of 0 (which Istio rejects).
    """
    given = [w or 0 for w in weights]
    total = sum(given)
    if len(given) < 2 or total in (0, 100):
        return None
    shares = " / ".join(f"{100 * w / total:.3g}%" for w in given)
    return (
        f"destination weights {given} sum to {total}, not 100; Istio divides each by the total, so the "
        f"split is {shares}. Write the weights as percentages to say so"
    )


class VirtualServiceFields(SpecModel):
    """The Istio ``VirtualService`` spec fields (``gateways`` is handled by the caller)."""

    hosts: list[RouteHost] = Field(min_length=1)
    http: list[HTTPRoute] | None = None
    tcp: list[TCPRoute] | None = None
    tls: list[TLSRoute] | None = None
    export_to: list[str] | None = None

    @model_validator(mode="after")
    def _some(self) -> VirtualServiceFields:
        if not (self.http or self.tcp or self.tls):
            raise ValueError("a VirtualService needs at least one of http, tcp or tls routes")
        return self


# --------------------------------------------------------------------------------------------------
# DestinationRule


class ClientTLSSettings(SpecModel):
    mode: Literal["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]
    client_certificate: str | None = None
    private_key: str | None = None
    ca_certificates: str | None = None
    credential_name: str | None = None
    subject_alt_names: list[str] | None = None
    sni: str | None = None
    insecure_skip_verify: bool | None = None
    ca_crl: str | None = None


class PortTrafficPolicy(SpecModel):
    port: PortSelector | None = None
    load_balancer: dict[str, Any] | None = None
    connection_pool: dict[str, Any] | None = None
    outlier_detection: dict[str, Any] | None = None
    tls: ClientTLSSettings | None = None


class TrafficPolicy(SpecModel):
    load_balancer: dict[str, Any] | None = None
    connection_pool: dict[str, Any] | None = None
    outlier_detection: dict[str, Any] | None = None
    tls: ClientTLSSettings | None = None
    port_level_settings: list[PortTrafficPolicy] | None = None
    tunnel: dict[str, Any] | None = None
    proxy_protocol: dict[str, Any] | None = None


class Subset(SpecModel):
    name: str
    labels: dict[str, str] | None = None
    traffic_policy: TrafficPolicy | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "subset name")


class WorkloadSelector(SpecModel):
    match_labels: dict[str, str]


class DestinationRuleFields(SpecModel):
    """The Istio ``DestinationRule`` spec fields."""

    host: str
    traffic_policy: TrafficPolicy | None = None
    subsets: list[Subset] | None = None
    export_to: list[str] | None = None
    workload_selector: WorkloadSelector | None = None

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return validate_route_host(v)

    @model_validator(mode="after")
    def _unique_subsets(self) -> DestinationRuleFields:
        names = [s.name for s in self.subsets or []]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"subset names must be unique; repeated: {', '.join(dup)}")
        return self


CertificateSource.model_rebuild()
