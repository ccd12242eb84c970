"""Typed arguments of the components: one ``*Args`` class per component, and the nested server, TLS,
route and destination types.

Each class is a ``TypedDict``: ``GatewayArgs(workload=w, servers=[...])`` is a plain dict, so the
keyword form of every component (``Gateway("x", workload=w, servers=[...])``) and the Args form
(``Gateway("x", GatewayArgs(...))``, or ``args=``) take the same values and get the same checks
and messages. Field names are snake_case; the camelCase names of Istio's YAML are accepted inside
the free-form mappings (``overrides``, ``match``, ``trafficPolicy``...).

The same classes are the schema of the ``meshgw`` Pulumi package (``pulumi_meshgw.provider``):
Pulumi's component provider host reads these annotations and attribute docstrings, and every
other language gets typed SDK classes from them (property names in camelCase). That is why this
module does not use ``from __future__ import annotations`` (the host reads the annotations as
objects), and why every field is a single type: the host does not accept unions. Fields typed
``pulumi.Input[...]`` take an Output from another resource; see docs/inputs.md for which checks
wait for such a value at preview.

An argument of the wrong shape is refused before anything is registered with MGW0100 naming the
argument (``servers: must be a list, got the string 'a'``); a bad value inside one is refused with
its config path (``servers[0].port.number``) and the rule's code.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

if sys.version_info >= (3, 11):
    # typing's own: the provider host's typing.is_typeddict does not recognise typing_extensions'
    # TypedDict before Python 3.13, and would take every field as required.
    from typing import Required, TypedDict
else:  # pragma: no cover - Python 3.10
    from typing_extensions import Required, TypedDict

__all__ = [
    "CertManagerArgs",
    "CertificateArgs",
    "ConfigPemArgs",
    "DestinationArgs",
    "DestinationRuleArgs",
    "EgressDestinationArgs",
    "EgressGatewayArgs",
    "GatewayArgs",
    "GatewayWorkloadArgs",
    "HTTPRouteArgs",
    "HTTPRouteDestinationArgs",
    "IngressGatewayArgs",
    "IssuerRefArgs",
    "MeshArgs",
    "PemArgs",
    "PortArgs",
    "PortSelectorArgs",
    "RouteDestinationArgs",
    "SelfSignedArgs",
    "ServerArgs",
    "ServerTLSArgs",
    "SubsetArgs",
    "TCPRouteArgs",
    "TLSRouteArgs",
    "WorkloadRefArgs",
]


# --------------------------------------------------------------------------------------------------
# Gateway servers and their TLS


class PortArgs(TypedDict, total=False):
    """A Gateway server's port (Istio ``Port``)."""

    number: Required[pulumi.Input[int]]
    """The port the gateway pods listen on: 1-65535. Also the Service port. A number outside the range
    is refused (``servers[i].port.number``)."""
    name: Required[pulumi.Input[str]]
    """The port's name: a DNS-1123 label, unique within the Gateway (``http``, ``https``)."""
    protocol: Required[pulumi.Input[str]]
    """``HTTP``, ``HTTPS``, ``GRPC``, ``HTTP2``, ``MONGO``, ``TCP`` or ``TLS`` (any case). Another
    value is refused with the list of accepted ones."""


class SelfSignedArgs(TypedDict, total=False):
    """A self-signed certificate made and kept in Pulumi state, for development stacks. Default: an
    ECDSA P-256 key."""

    validity_hours: pulumi.Input[int]
    """Hours the certificate is valid: at least 1. Default: 2160 (90 days)."""
    early_renewal_hours: pulumi.Input[int]
    """Hours before expiry that ``pulumi up`` renews it: at least 0. Default: 720 (30 days)."""
    organization: pulumi.Input[str]
    """The subject's organization. Default: ``pulumi-meshgw development``."""


class IssuerRefArgs(TypedDict, total=False):
    """The cert-manager issuer that signs a Certificate."""

    name: Required[pulumi.Input[str]]
    """The Issuer's or ClusterIssuer's name."""
    kind: pulumi.Input[str]
    """``Issuer`` or ``ClusterIssuer``. Default: ``ClusterIssuer``."""
    group: pulumi.Input[str]
    """The issuer's API group. Default: ``cert-manager.io``."""


class CertManagerArgs(TypedDict, total=False):
    """A cert-manager ``Certificate`` that writes the TLS Secret."""

    issuer_ref: Required[pulumi.Input[IssuerRefArgs]]
    """The issuer."""
    duration: pulumi.Input[str]
    """Certificate lifetime, a Go duration (``2160h``). Default: ``2160h`` (90 days)."""
    renew_before: pulumi.Input[str]
    """Renew this long before expiry, a Go duration. Default: ``720h`` (30 days)."""
    dns_names: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The certificate's DNS names. Default: the server's hosts."""


class ConfigPemArgs(TypedDict, total=False):
    """PEM material from secret stack config, named by config key (``pulumi config set --secret``)."""

    cert: Required[pulumi.Input[str]]
    """Config key of the certificate chain (``shopCert``, or ``namespace:key``)."""
    key: Required[pulumi.Input[str]]
    """Config key of the private key."""
    ca: pulumi.Input[str]
    """Config key of the CA bundle clients are verified against (``MUTUAL``). Default: none."""


class PemArgs(TypedDict, total=False):
    """PEM material given as values: text, or Outputs of other resources (the tls provider, a
    secrets manager). The key always travels as a secret; a secret certificate stays secret."""

    cert: Required[pulumi.Input[str]]
    """The certificate chain, PEM (leaf first). A value that holds no certificate, or one whose
    names do not cover the server's hosts, is reported like a certificate file: not a certificate,
    expired (IST0161), or not for the key are errors (MGW0111), uncovered hosts a warning
    (MGW0113)."""
    key: Required[pulumi.Input[str]]
    """The private key, PEM, unencrypted, matching the certificate's public key (MGW0111
    otherwise)."""
    ca: pulumi.Input[str]
    """The CA bundle clients are verified against (``MUTUAL``), PEM. Default: none."""


class CertificateArgs(TypedDict, total=False):
    """Where a terminating server's certificate comes from. Set exactly one field, or use Istio's
    ``server_certificate``/``private_key`` files on the TLS settings; two or none is refused."""

    self_signed: pulumi.Input[SelfSignedArgs]
    """Made and kept in Pulumi state (development)."""
    cert_manager: pulumi.Input[CertManagerArgs]
    """Issued by cert-manager."""
    config: pulumi.Input[ConfigPemArgs]
    """Read from secret stack config."""
    pem: pulumi.Input[PemArgs]
    """Given as values or Outputs."""


class ServerTLSArgs(TypedDict, total=False):
    """Istio ``ServerTLSSettings``, plus ``certificate`` (how to make the Secret)."""

    mode: pulumi.Input[str]
    """``SIMPLE``, ``MUTUAL``, ``PASSTHROUGH``, ``AUTO_PASSTHROUGH``, ``ISTIO_MUTUAL`` or
    ``OPTIONAL_MUTUAL``. Required on HTTPS and TLS ports (Istio refuses the Gateway without it)."""
    https_redirect: pulumi.Input[bool]
    """On an HTTP port: answer every request with a 301 to HTTPS. Default: false."""
    credential_name: pulumi.Input[str]
    """An existing Secret in the gateway pods' namespace (Istio reads credentials only there).
    Default: the Secret this library makes from ``certificate`` or the files,
    ``<gateway>-<port name>-cert``."""
    server_certificate: pulumi.Input[str]
    """Path of the certificate file, read when the program runs (never emitted). Default: none."""
    private_key: pulumi.Input[str]
    """Path of the private key file, read when the program runs (never emitted). Default: none."""
    ca_certificates: pulumi.Input[str]
    """Path of the CA bundle file for ``MUTUAL``. Default: none."""
    subject_alt_names: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Client certificate names accepted (``MUTUAL``). Default: any the CA signed."""
    min_protocol_version: pulumi.Input[str]
    """``TLSV1_2`` or ``TLSV1_3``. Default: ``TLSV1_2`` on terminating servers; ``TLSV1_0`` and
    ``TLSV1_1`` are refused."""
    max_protocol_version: pulumi.Input[str]
    """``TLS_AUTO``, ``TLSV1_2`` or ``TLSV1_3``. Default: unset (Envoy's)."""
    cipher_suites: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Allowed TLS 1.2 cipher suites. Default: Envoy's."""
    certificate: pulumi.Input[CertificateArgs]
    """How to make the Secret the server terminates TLS with. Default: none (``credential_name``)."""


class ServerArgs(TypedDict, total=False):
    """Istio ``Server``: one listener of a Gateway."""

    port: Required[pulumi.Input[PortArgs]]
    """The port."""
    hosts: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Hosts served, at least one: ``shop.example.com``, ``*.example.com``, ``ns/host``. A bare
    string is refused (``a single item is written as a list``)."""
    name: pulumi.Input[str]
    """The server's name, for Istio's metrics. Default: none."""
    bind: pulumi.Input[str]
    """The IP address the listener binds to. Default: all."""
    default_endpoint: pulumi.Input[str]
    """Where traffic is forwarded (``127.0.0.1:8080``), sidecar ingress only. Default: none."""
    tls: pulumi.Input[ServerTLSArgs]
    """TLS settings. Default: none (plain text)."""


# --------------------------------------------------------------------------------------------------
# Workloads


class WorkloadRefArgs(TypedDict, total=False):
    """Gateway pods a Gateway applies to, by name, namespace and pod labels: an existing
    ``istio-ingressgateway``, or a :class:`GatewayWorkload` this program made (pass the object
    itself from Python). Other languages name the workload's outputs here."""

    name: Required[pulumi.Input[str]]
    """The workload's name."""
    namespace: Required[pulumi.Input[str]]
    """Where its pods run; TLS Secrets go here."""
    labels: Required[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """The pods' labels: the Gateway's selector. At least one."""
    service_ports: pulumi.Input[Sequence[pulumi.Input[int]]]
    """The Service ports of the pods' Service, where each is also the container port. Default:
    unknown (port checks skipped)."""


class GatewayWorkloadArgs(TypedDict, total=False):
    """An Envoy gateway Deployment and what runs with it: the fields of
    :class:`~pulumi_meshgw.spec.WorkloadSpec` (docs/config.md has each field's default)."""

    name: pulumi.Input[str]
    """The workload's name: a DNS-1123 label. Default: the resource name."""
    namespace: pulumi.Input[str]
    """Where the pods run. Default: ``istio-ingress``. A reserved namespace (``kube-system``) is
    refused."""
    exposure: pulumi.Input[str]
    """``public`` (internet-facing LoadBalancer), ``internal`` (private LoadBalancer) or ``cluster``
    (ClusterIP). Required for ingress gateways."""
    cloud: pulumi.Input[str]
    """``aws``, ``gcp``, ``azure`` or ``none``: which load balancer controller's annotations to
    write. Default: ``none``."""
    create_namespace: pulumi.Input[bool]
    """Create the Namespace. Default: true."""
    revision: pulumi.Input[str]
    """The Istio revision whose injector configures the pods. Default: the default revision."""
    replicas: pulumi.Input[int]
    """Pods when autoscaling is off: at least 1. Default: 2."""
    autoscaling: pulumi.Input[Mapping[str, Any]]
    """HPA settings ``{enabled, minReplicas, maxReplicas, targetCPUUtilizationPercentage}``.
    Default: on, 2 to 5 pods at 80% CPU."""
    pod_disruption_budget: pulumi.Input[Mapping[str, Any]]
    """``{minAvailable}`` or ``{maxUnavailable}``. Default: ``minAvailable: 1``."""
    resources: pulumi.Input[Mapping[str, Any]]
    """Container ``requests``/``limits``. Default: 100m CPU and 128Mi requested, 2 CPU and 1Gi
    limit."""
    service: pulumi.Input[Mapping[str, Any]]
    """Service settings ``{annotations, externalTrafficPolicy, loadBalancerSourceRanges, ...}``.
    Default: none."""
    network_policy: pulumi.Input[Mapping[str, Any]]
    """NetworkPolicy settings. Default: on, ingress to the listener ports only."""
    node_selector: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Pod ``nodeSelector``. Default: none."""
    tolerations: pulumi.Input[Sequence[Mapping[str, Any]]]
    """Pod ``tolerations``. Default: none."""
    labels: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Extra labels on every object and pod. Default: none (the selector labels are always set)."""
    pod_annotations: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Extra pod annotations. Default: none."""
    overrides: pulumi.Input[Mapping[str, Any]]
    """Per kind, deep-merged into the rendered objects; ``None`` deletes a field. Default: none."""
    address: pulumi.Input[Mapping[str, Any]]
    """The load balancer's fixed address (docs/addressing.md). Default: none."""


class IngressGatewayArgs(TypedDict, total=False):
    """A gateway workload and the Gateway it serves."""

    servers: Required[pulumi.Input[Sequence[pulumi.Input[ServerArgs]]]]
    """The Gateway's servers. Their ports become the Service's."""
    exposure: Required[pulumi.Input[str]]
    """``public``, ``internal`` or ``cluster``. Missing or another value is refused."""
    namespace: pulumi.Input[str]
    """Where the gateway pods and their TLS Secrets run. Default: ``istio-ingress``."""
    workload: pulumi.Input[Mapping[str, Any]]
    """Further workload fields (see :class:`GatewayWorkloadArgs`), in config shape. Default:
    none."""
    gateway_name: pulumi.Input[str]
    """The Gateway's name. Default: the resource name."""
    base_dir: pulumi.Input[str]
    """Where relative certificate file paths resolve. Default: the working directory."""
    cache: pulumi.Input[Mapping[str, Any]]
    """Envoy's HTTP cache ``{hosts, maxBodyBytes}`` (docs/caching.md). Default: off."""
    rate_limit: pulumi.Input[Mapping[str, Any]]
    """Envoy's local rate limit ``{hosts, tokenBucket}`` (docs/caching.md). Default: off."""
    firewall: pulumi.Input[Mapping[str, Any]]
    """IP allow- and deny-lists ``{allow, deny, hosts}``, CIDRs (docs/security.md). Default:
    none."""
    authentication: pulumi.Input[Mapping[str, Any]]
    """JWT, external authorization and PeerAuthentication (docs/security.md). Default: none."""
    address: pulumi.Input[Mapping[str, Any]]
    """The load balancer's fixed address (docs/addressing.md). Default: none."""
    address_pools: pulumi.Input[Sequence[Mapping[str, Any]]]
    """Pools ``address: {pool: NAME}`` allocates from. Default: none."""


class GatewayArgs(TypedDict, total=False):
    """An Istio Gateway bound to a gateway workload, with its TLS credentials."""

    workload: Required[pulumi.Input[WorkloadRefArgs]]
    """The pods it applies to: a :class:`GatewayWorkload` or ``GatewayWorkload.existing(...)``
    object from Python, or a :class:`WorkloadRefArgs`."""
    servers: Required[pulumi.Input[Sequence[pulumi.Input[ServerArgs]]]]
    """The servers, at least one."""
    name: pulumi.Input[str]
    """The Gateway's name: a DNS-1123 label. Default: the resource name."""
    namespace: pulumi.Input[str]
    """Where the Gateway object lives. Default: the workload's namespace."""
    labels: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Extra labels. Default: none."""
    overrides: pulumi.Input[Mapping[str, Any]]
    """Deep-merged into the rendered Gateway. Default: none."""
    base_dir: pulumi.Input[str]
    """Where relative certificate file paths resolve. Default: the working directory."""
    cache: pulumi.Input[Mapping[str, Any]]
    """Envoy's HTTP cache ``{hosts, maxBodyBytes}``. Default: off."""
    rate_limit: pulumi.Input[Mapping[str, Any]]
    """Envoy's local rate limit ``{hosts, tokenBucket}``. Default: off."""
    firewall: pulumi.Input[Mapping[str, Any]]
    """IP allow- and deny-lists ``{allow, deny, hosts}``, CIDRs. Default: none."""
    authentication: pulumi.Input[Mapping[str, Any]]
    """JWT, external authorization and PeerAuthentication. Default: none."""


# --------------------------------------------------------------------------------------------------
# Routes


class PortSelectorArgs(TypedDict, total=False):
    """A destination's port."""

    number: Required[pulumi.Input[int]]
    """The Service port: 1-65535."""


class DestinationArgs(TypedDict, total=False):
    """Istio ``Destination``: where a route sends traffic."""

    host: Required[pulumi.Input[str]]
    """A Service (``shop``, ``shop.shop.svc.cluster.local``) or a ServiceEntry host. A host the
    program does not know is reported (IST0101)."""
    subset: pulumi.Input[str]
    """A subset of a DestinationRule for the host (IST0101 when it has none). Default: none."""
    port: pulumi.Input[PortSelectorArgs]
    """The Service port. Required when the Service has several. Default: its only port."""


class HTTPRouteDestinationArgs(TypedDict, total=False):
    """Istio ``HTTPRouteDestination``."""

    destination: Required[pulumi.Input[DestinationArgs]]
    """Where to send."""
    weight: pulumi.Input[int]
    """Share of the traffic, 0-2147483647; the weights of a route add up to 100. Default: all."""
    headers: pulumi.Input[Mapping[str, Any]]
    """Header operations ``{request, response}``. Default: none."""


class RouteDestinationArgs(TypedDict, total=False):
    """Istio ``RouteDestination`` (TCP and TLS routes)."""

    destination: Required[pulumi.Input[DestinationArgs]]
    """Where to send."""
    weight: pulumi.Input[int]
    """Share of the traffic. Default: all."""


class HTTPRouteArgs(TypedDict, total=False):
    """Istio ``HTTPRoute``. Rules match in order; the first match wins."""

    name: pulumi.Input[str]
    """The route's name, for logs. Default: none."""
    match: pulumi.Input[Sequence[Mapping[str, Any]]]
    """Istio ``HTTPMatchRequest`` items (``{uri: {prefix: /api}}``). Default: everything."""
    route: pulumi.Input[Sequence[pulumi.Input[HTTPRouteDestinationArgs]]]
    """Where matching requests go. Exactly one of ``route``, ``redirect``, ``direct_response``
    or ``delegate``."""
    redirect: pulumi.Input[Mapping[str, Any]]
    """Istio ``HTTPRedirect``. Default: none."""
    direct_response: pulumi.Input[Mapping[str, Any]]
    """Istio ``HTTPDirectResponse``. Default: none."""
    delegate: pulumi.Input[Mapping[str, Any]]
    """Istio ``Delegate``. Default: none."""
    rewrite: pulumi.Input[Mapping[str, Any]]
    """Istio ``HTTPRewrite``. Default: none."""
    timeout: pulumi.Input[str]
    """Request timeout, a duration (``5s``). Default: none (Envoy's)."""
    retries: pulumi.Input[Mapping[str, Any]]
    """Istio ``HTTPRetry``. Default: Istio's (2 attempts)."""
    fault: pulumi.Input[Mapping[str, Any]]
    """Istio ``HTTPFaultInjection``. Default: none."""
    mirror: pulumi.Input[Mapping[str, Any]]
    """Istio ``Destination`` to mirror to. Default: none."""
    mirror_percentage: pulumi.Input[Mapping[str, Any]]
    """Istio ``Percent``. Default: all, when ``mirror`` is set."""
    cors_policy: pulumi.Input[Mapping[str, Any]]
    """Istio ``CorsPolicy``. Default: none."""
    headers: pulumi.Input[Mapping[str, Any]]
    """Header operations ``{request, response}``. Default: none."""


class TCPRouteArgs(TypedDict, total=False):
    """Istio ``TCPRoute``."""

    match: pulumi.Input[Sequence[Mapping[str, Any]]]
    """Istio ``L4MatchAttributes`` items. Default: everything."""
    route: Required[pulumi.Input[Sequence[pulumi.Input[RouteDestinationArgs]]]]
    """Where matching connections go."""


class TLSRouteArgs(TypedDict, total=False):
    """Istio ``TLSRoute`` (routing on SNI, without terminating TLS)."""

    match: Required[pulumi.Input[Sequence[Mapping[str, Any]]]]
    """Istio ``TLSMatchAttributes`` items (``{sniHosts: [...]}``), at least one."""
    route: Required[pulumi.Input[Sequence[pulumi.Input[RouteDestinationArgs]]]]
    """Where matching connections go."""


class VirtualServiceArgs(TypedDict, total=False):
    """An Istio VirtualService bound to Gateways declared in the same program."""

    namespace: Required[pulumi.Input[str]]
    """The route's namespace (usually the application's)."""
    hosts: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Hosts routed. Each must be served by a bound Gateway, else preview fails (IST0132)."""
    gateways: pulumi.Input[Sequence[pulumi.Input[str]]]
    """``namespace/name`` of Gateways (a :class:`Gateway` object from Python, or its ``ref``
    output), or ``mesh``. A Gateway the program does not declare is refused (IST0101). Default:
    none (Istio's ``[mesh]``)."""
    http: pulumi.Input[Sequence[pulumi.Input[HTTPRouteArgs]]]
    """HTTP routes, in match order. Default: none."""
    tcp: pulumi.Input[Sequence[pulumi.Input[TCPRouteArgs]]]
    """TCP routes. Default: none."""
    tls: pulumi.Input[Sequence[pulumi.Input[TLSRouteArgs]]]
    """TLS (SNI) routes. Default: none."""
    export_to: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Istio ``exportTo``. Default: unset (visible everywhere)."""
    name: pulumi.Input[str]
    """The object's name. Default: the resource name."""
    overrides: pulumi.Input[Mapping[str, Any]]
    """Deep-merged into the rendered object. Default: none."""


class SubsetArgs(TypedDict, total=False):
    """Istio ``Subset``: a named group of a host's pods."""

    name: Required[pulumi.Input[str]]
    """The subset's name, used by routes (``destination.subset``)."""
    labels: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Pod labels that pick the subset's pods. Default: none."""
    traffic_policy: pulumi.Input[Mapping[str, Any]]
    """Istio ``TrafficPolicy`` for the subset. Default: the rule's."""


class DestinationRuleArgs(TypedDict, total=False):
    """An Istio DestinationRule: subsets and traffic policy for one host."""

    namespace: Required[pulumi.Input[str]]
    """The rule's namespace."""
    host: Required[pulumi.Input[str]]
    """The Service or ServiceEntry host."""
    traffic_policy: pulumi.Input[Mapping[str, Any]]
    """Istio ``TrafficPolicy``. Default: none."""
    subsets: pulumi.Input[Sequence[pulumi.Input[SubsetArgs]]]
    """Subsets. Default: none."""
    export_to: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Istio ``exportTo``. Default: unset."""
    workload_selector: pulumi.Input[Mapping[str, Any]]
    """Istio ``workloadSelector``. Default: none."""
    name: pulumi.Input[str]
    """The object's name. Default: the resource name."""
    overrides: pulumi.Input[Mapping[str, Any]]
    """Deep-merged into the rendered object. Default: none."""


# --------------------------------------------------------------------------------------------------
# Egress and the whole mesh


class EgressDestinationArgs(TypedDict, total=False):
    """An external destination of an egress gateway (docs/egress.md)."""

    host: Required[pulumi.Input[str]]
    """The external host name (``api.stripe.com``)."""
    port: Required[pulumi.Input[int]]
    """The external port: 1-65535 (443 for ``tls-passthrough`` and ``tls-origination``, 80 for
    ``http``, as a rule). Missing is refused."""
    mode: Required[pulumi.Input[str]]
    """``http``, ``tls-passthrough``, ``tls-origination`` or ``tcp``."""
    resolution: pulumi.Input[str]
    """ServiceEntry resolution: ``DNS`` or ``STATIC``. Default: ``DNS``."""
    sources: Required[pulumi.Input[Sequence[Mapping[str, Any]]]]
    """Callers allowed: ``{namespace, serviceAccounts}`` items, at least one."""
    origination: pulumi.Input[Mapping[str, Any]]
    """TLS origination ``{mode, httpPort, sni, caCertificates, ...}``. Default: none."""
    vip: pulumi.Input[str]
    """The ServiceEntry address of a ``tcp`` host. Default: allocated from ``vip_pool``."""


class EgressGatewayArgs(TypedDict, total=False):
    """A dedicated exit node for the external destinations it lists."""

    destinations: Required[pulumi.Input[Sequence[pulumi.Input[EgressDestinationArgs]]]]
    """The external destinations, at least one."""
    namespace: pulumi.Input[str]
    """Where the gateway runs. Default: ``istio-egress``."""
    workload: pulumi.Input[Mapping[str, Any]]
    """Further workload fields (``nodeSelector``, ``tolerations``...). Default: none."""
    client_namespaces: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Namespaces to lock down besides the sources'. Default: none."""
    telemetry: pulumi.Input[Mapping[str, Any]]
    """Access logs and metrics. Default: both on."""
    enforcement: pulumi.Input[Mapping[str, Any]]
    """Sidecar and NetworkPolicy lock-down. Default: both on."""
    egress_ips: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The NAT source IPs of the egress node pool, IPv4 or IPv6 addresses. Default: none."""
    nat_lookup: pulumi.Input[Mapping[str, Any]]
    """Look the NAT IPs up when the program runs (``{aws: {subnetIds: [...]}}``). Default: none."""
    vip_pool: pulumi.Input[str]
    """A CIDR that ``tcp`` destinations get VIPs from. Default: ``240.241.0.0/16``."""
    trust_domain: pulumi.Input[str]
    """The mesh trust domain, for principals. Default: ``cluster.local``."""
    overrides: pulumi.Input[Mapping[str, Any]]
    """Per kind, deep-merged into this gateway's objects. Default: none."""
    name: pulumi.Input[str]
    """The gateway's name. Default: the resource name."""
    base_dir: pulumi.Input[str]
    """Where relative certificate file paths resolve. Default: the working directory."""


class MeshArgs(TypedDict, total=False):
    """A whole stack, in the shape of the ``meshgw:*`` stack config (docs/config.md): the same
    mapping ``Mesh("mesh", {...})`` takes. Every item is checked, with its config path, before
    anything is registered."""

    workloads: Sequence[Mapping[str, Any]]
    """``meshgw:workloads`` items. Default: none."""
    gateways: Sequence[Mapping[str, Any]]
    """``meshgw:gateways`` items. Default: none."""
    virtual_services: Sequence[Mapping[str, Any]]
    """``meshgw:virtualServices`` items. Default: none."""
    destination_rules: Sequence[Mapping[str, Any]]
    """``meshgw:destinationRules`` items. Default: none."""
    egress_gateways: Sequence[Mapping[str, Any]]
    """``meshgw:egressGateways`` items. Default: none."""
    external: Sequence[Mapping[str, Any]]
    """``meshgw:external`` items: objects managed elsewhere. Default: none."""
    address_pools: Sequence[Mapping[str, Any]]
    """``meshgw:addressPools`` items. Default: none."""
