"""Rules of Istio's validating webhook that the spec models do not carry, over raw Istio specs.

Each rule is Istio's, from ``pkg/config/validation/validation.go`` (cited per rule) as ``istioctl
validate`` and istiod's webhook run it, and was found missing by the admission differential
(``e2e/admission_diff.py``). Errors are what Istio rejects, warnings what it returns as a Warning.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import cel

from ..errors import show
from ._access import mapping, seq, text
from .crd_rules import go_duration
from .diagnostics import Level

__all__ = ["istio_dns1123_label", "istio_wildcard_domain", "webhook_rules"]

Path = tuple[str | int, ...]
Found = list[tuple[Path, Level, str]]

# pkg/config/labels/instance.go: Istio's label formats accept upper case.
_DNS1123_LABEL = re.compile(r"\A[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?\Z")
_WILDCARD_LABEL = re.compile(r"\A(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)\Z")


def istio_dns1123_label(value: str) -> bool:
    """``labels.IsDNS1123Label`` (``pkg/config/labels/instance.go``)."""
    return len(value) <= 63 and bool(_DNS1123_LABEL.match(value))


def istio_wildcard_domain(domain: str) -> str | None:
    """Istio's ``ValidateWildcardDomain`` (``pkg/config/validation/agent/validation.go``): the
    reason ``domain`` is refused, or None if Istio accepts it."""
    if len(domain) > 255:
        return f"domain name {show(domain)} too long (max 255)"
    if not domain:
        return "empty domain name not allowed"
    first, _, rest = domain.partition(".")
    if len(first) > 63 or not _WILDCARD_LABEL.match(first):
        return f"domain name {show(domain)} invalid (label {show(first)} invalid)"
    if "." not in domain:
        return None
    labels = rest.split(".")
    if labels[-1].isdigit():
        return f"domain name {show(rest)} invalid (top level domain {show(labels[-1])} cannot be all-numeric)"
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label == "":
            return None  # a trailing dot: "istio.io."
        if not istio_dns1123_label(label):
            return f"domain name {show(rest)} invalid (label {show(label)} invalid)"
    return None


def webhook_rules(kind: str, spec: Mapping[str, Any]) -> Found:
    """Istio's webhook rules for ``spec`` of ``kind`` that the spec models do not carry.

    Args:
        kind: The Istio kind (``DestinationRule``, ``AuthorizationPolicy``...).
        spec: The object's ``spec`` as plain data; malformed parts are skipped (the schema reports
            them).

    Returns:
        (path under ``spec``, level, message) per problem.
    """
    out: Found = []
    for rule in _RULES.get(kind, ()):
        out.extend(rule(spec))
    return out


def _export_to(spec: Mapping[str, Any], *, service_entry: bool = False) -> Found:
    """``validateExportTo``: ``~`` only on a ServiceEntry, ``*`` not beside other entries, no
    duplicates, each entry ``.``, ``*`` or a namespace name."""
    out: Found = []
    entries = [e for e in seq(spec.get("exportTo")) if isinstance(e, str)]
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where: Path = ("exportTo", i)
        if entry in seen:
            out.append((where, Level.ERROR, f"duplicate entries in exportTo for entry {show(entry)}"))
            continue
        seen.add(entry)
        if entry == "~" and not service_entry:
            out.append(
                (where, Level.ERROR, "exportTo ~ (none) is not allowed for Istio configuration objects")
            )
        elif entry not in (".", "*", "~") and not istio_dns1123_label(entry):
            out.append((where, Level.ERROR, f"exportTo {show(entry)} is not '.', '*' or a namespace name"))
    if "*" in seen and len(seen) > 1:
        out.append(
            (
                ("exportTo",),
                Level.ERROR,
                "cannot have both public (*) and non-public exportTo values for a resource",
            )
        )
    return out


def _selector(field: str, labels: str) -> Any:
    """``validateWorkloadSelector``: an empty key or a ``*`` is an error; no labels a warning."""

    def rule(spec: Mapping[str, Any]) -> Found:
        selector = spec.get(field)
        if not isinstance(selector, Mapping):
            return []
        out: Found = []
        found = mapping(selector.get(labels))
        for key, value in found.items():
            if key == "" or "*" in str(key) or "*" in str(value):
                what = "empty key" if key == "" else "wildcard"
                out.append(
                    (
                        (field, labels),
                        Level.ERROR,
                        f"{what} is not supported in selector: {show(f'{key}={value}')}",
                    )
                )
        if not found:
            out.append(
                (
                    (field,),
                    Level.WARNING,
                    "workload selector specified without labels: it selects every workload in the namespace",
                )
            )
        return out

    return rule


def _policies(spec: Mapping[str, Any]) -> list[tuple[Path, Any]]:
    """A DestinationRule's traffic policies: the top one and each subset's, with their paths."""
    subsets = seq(spec.get("subsets"))
    return [(("trafficPolicy",), spec.get("trafficPolicy"))] + [
        (("subsets", i, "trafficPolicy"), mapping(s).get("trafficPolicy")) for i, s in enumerate(subsets)
    ]


def _traffic_policy(spec: Mapping[str, Any]) -> Found:
    """``validateTrafficPolicy`` / ``validatePortTrafficPolicies``: a policy with no field, a port
    policy without a port or with nothing else; ``validateConnectionPool`` and
    ``validateOutlierDetection`` bounds."""
    out: Found = []
    for where, policy in _policies(spec):
        if not isinstance(policy, Mapping):
            continue
        if not policy:
            out.append((where, Level.ERROR, "traffic policy must have at least one field"))
        out.extend(_policy_bounds(where, policy))
        for i, port_policy in enumerate(seq(policy.get("portLevelSettings"))):
            at, port_policy = (*where, "portLevelSettings", i), mapping(port_policy)
            if not isinstance(mapping(port_policy.get("port")).get("number"), int):
                out.append((at, Level.ERROR, "portTrafficPolicy must have valid port"))
            if not [k for k in port_policy if k != "port"]:
                out.append((at, Level.ERROR, "port traffic policy must have at least one field"))
            out.extend(_policy_bounds(at, port_policy))
    return out


def _policy_bounds(where: Path, policy: Mapping[str, Any]) -> Found:
    out: Found = []
    max_connections = mapping(mapping(policy.get("connectionPool")).get("tcp")).get("maxConnections")
    if isinstance(max_connections, int) and max_connections < 0:
        out.append(
            (
                (*where, "connectionPool", "tcp", "maxConnections"),
                Level.ERROR,
                "max connections must be non-negative",
            )
        )
    http = mapping(mapping(policy.get("connectionPool")).get("http"))
    for field, what in (
        ("http1MaxPendingRequests", "http1 max pending requests"),
        ("http2MaxRequests", "http2 max requests"),
        ("maxRequestsPerConnection", "max requests per connection"),
        ("maxRetries", "max retries"),
        ("maxConcurrentStreams", "max concurrent streams"),
    ):
        value = http.get(field)
        if isinstance(value, int) and value < 0:
            out.append(
                ((*where, "connectionPool", "http", field), Level.ERROR, f"{what} must be non-negative")
            )
    outlier = mapping(policy.get("outlierDetection"))
    for field in ("maxEjectionPercent", "minHealthPercent"):
        value = outlier.get(field)
        if isinstance(value, int) and not 0 <= value <= 100:
            out.append(
                (
                    (*where, "outlierDetection", field),
                    Level.ERROR,
                    f"percentage {value} is not in range 0..100",
                )
            )
    return out


def _authorization(spec: Mapping[str, Any]) -> Found:
    """``ValidateAuthorizationPolicy``: ``provider`` only with ``CUSTOM``; no empty source,
    operation or value; a condition with a key and values."""
    out: Found = []
    action = text(spec.get("action")) or "ALLOW"
    if "provider" in spec and action != "CUSTOM":
        out.append(
            (("provider",), Level.ERROR, f"`provider` must not be with non CUSTOM action, found {action}")
        )
    if action == "CUSTOM":
        if not text(mapping(spec.get("provider")).get("name")):
            out.append((("provider", "name"), Level.ERROR, "`provider.name` must not be empty"))
        for r, rule in enumerate(seq(spec.get("rules"))):
            for f, item in enumerate(seq(mapping(rule).get("from"))):
                for field in (
                    "principals",
                    "notPrincipals",
                    "requestPrincipals",
                    "notRequestPrincipals",
                    "namespaces",
                    "notNamespaces",
                    "serviceAccounts",
                    "notServiceAccounts",
                ):
                    if field in mapping(mapping(item).get("source")):
                        name = field[0].upper() + field[1:]
                        out.append(
                            (
                                ("rules", r, "from", f, "source", field),
                                Level.ERROR,
                                f"From.{name} is currently not supported with CUSTOM action",
                            )
                        )
    for r, rule in enumerate(seq(spec.get("rules"))):
        rule = mapping(rule)
        for f, item in enumerate(seq(rule.get("from"))):
            source = mapping(item).get("source")
            at: Path = ("rules", r, "from", f, "source")
            out.extend(_no_empty(at, source, "`from.source` must not be empty"))
            for field in ("ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"):
                for i, block in enumerate(seq(mapping(source).get(field))):
                    if isinstance(block, str) and block and not _ip_or_cidr(block):
                        what = "CIDR range" if "/" in block else "IP address"
                        out.append(((*at, field, i), Level.ERROR, f"bad {what} ({block})"))
        for t, item in enumerate(seq(rule.get("to"))):
            operation = mapping(item).get("operation")
            at = ("rules", r, "to", t, "operation")
            out.extend(_no_empty(at, operation, "`to.operation` must not be empty"))
            for field in ("ports", "notPorts"):  # security.ValidatePorts
                for i, port in enumerate(seq(mapping(operation).get(field))):
                    if isinstance(port, str) and port and not (port.isdigit() and int(port) <= 65535):
                        out.append(((*at, field, i), Level.ERROR, f"bad port ({port})"))
        for w, cond in enumerate(seq(rule.get("when"))):
            cond = mapping(cond)
            at = ("rules", r, "when", w)
            key = text(cond.get("key"))
            if not key:
                out.append(((*at, "key"), Level.ERROR, "`key` must not be empty"))
                continue
            if not seq(cond.get("values")) and not seq(cond.get("notValues")):
                out.append(
                    (at, Level.ERROR, f"at least one of `values` or `notValues` must be set for key {key}")
                )
            for field in ("values", "notValues"):
                values = [v for v in seq(cond.get(field)) if isinstance(v, str)]
                problem = _attribute(key, values)
                if problem:
                    out.append(
                        ((*at, field), Level.ERROR, f"invalid `{field[:-1]}` for `key` {key}: {problem}")
                    )
    return out


_MAP_KEYS = ("request.headers", "request.auth.claims", "experimental.envoy.filters.")
_PLAIN_KEYS = frozenset(
    {
        "source.namespace",
        "source.principal",
        "source.trustDomain",
        "request.auth.principal",
        "request.auth.audiences",
        "request.auth.presenter",
        "connection.sni",
        "source.serviceAccount",
    }
)


def _attribute(key: str, values: list[str]) -> str | None:
    """``security.ValidateAttribute`` (``pkg/config/security/security.go``): the reason the
    condition's values are refused for ``key``, or None."""
    if "" in values:
        return f"empty value not allowed, found in {key}"
    if key.startswith(_MAP_KEYS):
        opened = key.find("[")
        return (
            None
            if key.endswith("]") and 0 < opened < len(key) - 2
            else f"bad key ({key}): should have format a[b]"
        )
    if key in ("source.ip", "remote.ip", "destination.ip"):
        bad = [v for v in values if not _ip_or_cidr(v)]
        return f"bad IP address or CIDR range ({bad[0]})" if bad else None
    if key == "destination.port":
        bad = [v for v in values if not (v.isdigit() and int(v) <= 65535)]
        return f"bad port ({bad[0]})" if bad else None
    if key in _PLAIN_KEYS:
        return None
    if key == "destination.namespace":
        return f"attribute {key} is replaced by the metadata.namespace"
    if key.startswith("destination.labels"):
        return f"attribute {key} is replaced by the workload selector"
    if key in ("destination.name", "destination.user"):
        return f"deprecated attribute {key}: only supported in v1alpha1"
    return f"unknown attribute: {key}"


def _no_empty(at: Path, block: Any, empty: str) -> Found:
    if not isinstance(block, Mapping):
        return []
    if not any(seq(v) for v in block.values()):
        return [(at, Level.ERROR, empty)]
    return [
        ((*at, field, i), Level.ERROR, f"empty value not allowed, found in {field}")
        for field, values in block.items()
        for i, value in enumerate(seq(values))
        if value == ""
    ]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _fqdn(value: str) -> str | None:
    """``agent.ValidateFQDN``: the reason ``value`` is not a domain name, or None."""
    if not value:
        return "empty domain name not allowed"
    if len(value) > 255:
        return f"domain name {show(value)} too long (max 255)"
    labels = value.split(".")
    if labels[-1].isdigit():
        return (
            f"domain name {show(value)} invalid (top level domain {show(labels[-1])} cannot be all-numeric)"
        )
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label == "":
            return None
        if not istio_dns1123_label(label):
            return f"domain name {show(value)} invalid (label {show(label)} invalid)"
    return None


_TAG_KEY = re.compile(
    r"\A([a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/)?"
    r"((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])\Z"
)
_TAG_VALUE = re.compile(r"\A((?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")


def _labels(at: Path, labels: Any) -> Found:
    """``labels.Instance.Validate`` (``pkg/config/labels/instance.go``): Kubernetes label keys and
    values."""
    out: Found = []
    for key, value in mapping(labels).items():
        match = _TAG_KEY.match(str(key))
        if match is None or len(match[2]) > 63 or (match[1] and len(match[1]) - 1 > 253):
            out.append(((*at, str(key)), Level.ERROR, f"invalid tag key: {show(key)}"))
        if not isinstance(value, str) or not _TAG_VALUE.match(value):
            out.append(((*at, str(key)), Level.ERROR, f"invalid tag value: {show(value)}"))
    return out


def _port_number(at: Path, value: Any) -> Found:
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        return [(at, Level.ERROR, f"port number {value} must be in the range 1..65535")]
    return []


def _workload_entry(at: Path, entry: Mapping[str, Any], service_ports: set[str] | None = None) -> Found:
    """``validateWorkloadEntry``: the address an IP, an FQDN or a ``unix://`` path; ports and
    labels well formed; on a ServiceEntry, each endpoint port one of the entry's port names."""
    out: Found = []
    address = entry.get("address")
    if isinstance(address, str):
        if address == "" and not text(entry.get("network")):
            out.append(((*at, "address"), Level.ERROR, "address is required"))
        elif address.startswith("unix://"):
            if entry.get("ports"):
                out.append(((*at, "ports"), Level.ERROR, f"unix endpoint {address} must not include ports"))
        elif address and not _is_ip(address) and _fqdn(address) is not None:
            out.append(
                (
                    (*at, "address"),
                    Level.ERROR,
                    f"endpoint address {show(address)} is not a valid FQDN or an IP address",
                )
            )
    for name, number in mapping(entry.get("ports")).items():
        if service_ports is not None and name not in service_ports:
            out.append(
                (
                    (*at, "ports", name),
                    Level.ERROR,
                    f"endpoint port {number} is not defined by the service entry",
                )
            )
        if not name:
            out.append(((*at, "ports"), Level.ERROR, "invalid port name: ''"))
        out.extend(_port_number((*at, "ports", name), number))
    out.extend(_labels((*at, "labels"), entry.get("labels")))
    return out


def _service_entry(spec: Mapping[str, Any]) -> Found:
    """``ValidateServiceEntry``: its endpoints as WorkloadEntries (``validateWorkloadEntry``, FQDN
    addresses allowed for DNS resolution), ``addresses`` IPs or CIDRs."""
    out: Found = []
    names = {text(mapping(p).get("name")) or "" for p in seq(spec.get("ports"))}
    for i, port in enumerate(seq(spec.get("ports"))):
        out.extend(_protocol(("ports", i, "protocol"), mapping(port).get("protocol")))
    dns = text(spec.get("resolution")) in ("DNS", "DNS_ROUND_ROBIN")
    if dns and not seq(spec.get("endpoints")):
        for i, host in enumerate(seq(spec.get("hosts"))):
            if isinstance(host, str) and (reason := _fqdn(host)) is not None:
                out.append(
                    (
                        ("hosts", i),
                        Level.ERROR,
                        f"hosts must be FQDN or contain only prefix wildcards if no endpoints "
                        f"are provided for resolution mode DNS, {reason}",
                    )
                )
    if (text(spec.get("resolution")) or "NONE") != "NONE" and len(seq(spec.get("hosts"))) > 1:
        for i, port in enumerate(seq(spec.get("ports"))):
            protocol = (text(mapping(port).get("protocol")) or "").lower()
            if protocol not in ("http", "http2", "grpc", "grpc-web", "http_proxy", "https", "tls"):
                out.append(
                    (("ports", i), Level.ERROR, "multiple hosts provided with non-HTTP, non-TLS ports")
                )
    for i, endpoint in enumerate(seq(spec.get("endpoints"))):
        address = mapping(endpoint).get("address")
        if dns and isinstance(address, str) and address.startswith("unix://"):
            out.append(
                (
                    ("endpoints", i, "address"),
                    Level.ERROR,
                    f"endpoint address {show(address)} is not a valid FQDN or an IP address",
                )
            )
            continue
        out.extend(_workload_entry(("endpoints", i), mapping(endpoint), names))
    for i, host in enumerate(seq(spec.get("hosts"))):
        if (
            isinstance(host, str)
            and host not in ("", "*")
            and (reason := istio_wildcard_domain(host)) is not None
        ):
            out.append((("hosts", i), Level.ERROR, reason))
    for i, address in enumerate(seq(spec.get("addresses"))):
        if isinstance(address, str) and not _ip_or_cidr(address):
            out.append((("addresses", i), Level.ERROR, f"{address} is not a valid IP"))
    return out


def _ip_or_cidr(value: str) -> bool:
    """``agent.ValidateIPSubnet``: an IP, or a CIDR block (``netip.ParsePrefix``)."""
    if value.count("/") == 1:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return False
        return True
    return _is_ip(value)


def _sidecar(spec: Mapping[str, Any]) -> Found:
    """``ValidateSidecar``: egress listeners (a port-less one only last, at least one host, each
    ``namespace/dnsName``, ports in range, ``bind`` an IP), ingress listeners (a port,
    ``defaultEndpoint`` of form ``127.0.0.1:<port>`` or ``unix://``), and an egress proxy only
    with ``ALLOW_ANY``."""
    out: Found = []
    egress = seq(spec.get("egress"))
    if (
        not egress
        and not seq(spec.get("ingress"))
        and "outboundTrafficPolicy" not in spec
        and ("inboundConnectionPool" not in spec)
    ):
        return [((), Level.ERROR, "sidecar: empty configuration provided")]
    catch_all = False
    for i, raw in enumerate(egress):
        listener, at = mapping(raw), ("egress", i)
        port = listener.get("port")
        if not isinstance(port, Mapping):
            if catch_all:
                out.append((at, Level.ERROR, "sidecar: egress can have only one listener with empty port"))
            elif i == len(egress) - 1:
                catch_all = True
            else:
                out.append(
                    (
                        at,
                        Level.ERROR,
                        "sidecar: the egress listener with empty port should be the last listener in the "
                        "list",
                    )
                )
        else:
            number = port.get("number")
            bind = text(listener.get("bind")) or ""
            if number == 0:
                if not bind.startswith("unix://"):
                    out.append(
                        (
                            (*at, "bind"),
                            Level.ERROR,
                            "sidecar: ports with 0 value must have a unix domain socket bind address",
                        )
                    )
            else:
                out.extend(_port_number((*at, "port", "number"), number))
                if bind and not _is_ip(bind):
                    out.append(((*at, "bind"), Level.ERROR, f"{bind} is not a valid IP"))
            out.extend(_protocol((*at, "port", "protocol"), port.get("protocol")))
        hosts = seq(listener.get("hosts"))
        if not hosts:
            out.append(
                ((*at, "hosts"), Level.ERROR, "sidecar: egress listener must contain at least one host")
            )
        for h, host in enumerate(hosts):
            if isinstance(host, str):
                out.extend((((*at, "hosts", h)), Level.ERROR, m) for m in _namespace_slash_host(host))
    for i, raw in enumerate(seq(spec.get("ingress"))):
        listener, at = mapping(raw), ("ingress", i)
        port = listener.get("port")
        if not isinstance(port, Mapping):
            out.append(((*at, "port"), Level.ERROR, "sidecar: port is required for ingress listeners"))
            continue
        out.extend(_port_number((*at, "port", "number"), port.get("number")))
        endpoint = listener.get("defaultEndpoint")
        if isinstance(endpoint, str) and endpoint and not endpoint.startswith("unix://"):
            out.extend(((*at, "defaultEndpoint"), Level.ERROR, m) for m in _default_endpoint(endpoint))
    policy = mapping(spec.get("outboundTrafficPolicy"))
    if "egressProxy" in policy and text(policy.get("mode")) != "ALLOW_ANY":
        out.append(
            (
                ("outboundTrafficPolicy", "egressProxy"),
                Level.ERROR,
                "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode",
            )
        )
    return out


def _default_endpoint(endpoint: str) -> list[str]:
    host, sep, port = endpoint.rpartition(":")
    if not sep:
        return [f"address {endpoint}: missing port in address"]
    out = []
    if host.strip("[]") not in ("", "127.0.0.1", "0.0.0.0", "::1", "::"):
        out.append(
            "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,"
            "unix://filepath or unset"
        )
    if not port.isdigit():
        out.append(f"sidecar: defaultEndpoint port ({port}) is not a number")
    elif not 1 <= int(port) <= 65535:
        out.append(f"port number {port} must be in the range 1..65535")
    return out


def _namespace_slash_host(host: str) -> list[str]:
    """``agent.ValidateNamespaceSlashWildcardHostname`` for a Sidecar."""
    namespace, sep, name = host.partition("/")
    if not sep:
        return ["host must be of form namespace/dnsName"]
    out = []
    if not namespace or not name:
        out.append("config namespace and dnsName in host entry cannot be empty")
    bare = namespace.removeprefix("~")
    if bare not in ("", "*", ".") and not istio_dns1123_label(bare):
        out.append(f"invalid namespace value {show(namespace)} in sidecar")
    if name != "*" and "." not in name:
        out.append("short names (non FQDN) are not allowed")
    reason = istio_wildcard_domain(name)
    if reason is not None:
        out.append(reason)
    if "*" in name and name != "*" and not name.startswith("*."):
        out.append(f"partial wildcard {show(name)} not allowed")
    return out


def _request_authentication(spec: Mapping[str, Any]) -> Found:
    """``validateJwtRule``: an issuer or a JWKS URI; no empty audience or header name."""
    out: Found = []
    for i, raw in enumerate(seq(spec.get("jwtRules"))):
        rule, at = mapping(raw), ("jwtRules", i)
        if not text(rule.get("issuer")) and not text(rule.get("jwksUri")):
            out.append((at, Level.ERROR, "issuer or jwksUri must be non-empty string"))
        for a, audience in enumerate(seq(rule.get("audiences"))):
            if audience == "":
                out.append(((*at, "audiences", a), Level.ERROR, "audience must be non-empty string"))
        for h, header in enumerate(seq(rule.get("fromHeaders"))):
            if not text(mapping(header).get("name")):
                out.append(
                    (
                        (*at, "fromHeaders", h, "name"),
                        Level.ERROR,
                        "location header name must be non-empty string",
                    )
                )
    return out


def _virtual_service(spec: Mapping[str, Any]) -> Found:
    """``ValidateVirtualService`` (``validation.go``, ``virtualservice.go``): a delegate (no hosts)
    binds no gateway; no empty gateway name; each HTTP route routes, redirects or responds; a fault
    aborts or delays; retries with 0 attempts configure nothing else; a rewrite rewrites."""
    out: Found = []
    if not seq(spec.get("hosts")) and seq(spec.get("gateways")):
        out.append((("gateways",), Level.ERROR, "delegate virtual service must have no gateways specified"))
    for i, gateway in enumerate(seq(spec.get("gateways"))):
        if gateway == "":
            out.append((("gateways", i), Level.ERROR, "empty domain name not allowed"))
    hosts = [h for h in seq(spec.get("hosts")) if isinstance(h, str)]
    for i, host in enumerate(hosts):
        if host in hosts[:i]:
            out.append((("hosts", i), Level.ERROR, f"duplicate hosts in virtual service: {host} & {host}"))
        elif host != "*" and not _is_ip(host) and (reason := istio_wildcard_domain(host)) is not None:
            out.append((("hosts", i), Level.ERROR, reason))
    for list_name in ("http", "tcp", "tls"):
        for i, raw in enumerate(seq(spec.get(list_name))):
            route = mapping(raw)
            destinations: list[tuple[Path, Any]] = [
                ((list_name, i, "route", r, "destination"), mapping(d).get("destination"))
                for r, d in enumerate(seq(route.get("route")))
            ]
            destinations.append(((list_name, i, "mirror"), route.get("mirror")))
            for where, destination in destinations:
                out.extend(_destination(where, destination))
            for m, match in enumerate(seq(route.get("match"))):
                for g, gateway in enumerate(seq(mapping(match).get("gateways"))):
                    if isinstance(gateway, str) and (reason := _gateway_name(gateway)):
                        out.append(((list_name, i, "match", m, "gateways", g), Level.ERROR, reason))
    for i, raw in enumerate(seq(spec.get("tls"))):  # validateSniHost: each SNI within a host
        for m, match in enumerate(seq(mapping(raw).get("match"))):
            for n, sni in enumerate(seq(mapping(match).get("sniHosts"))):
                if (
                    isinstance(sni, str)
                    and sni
                    and not _is_ip(sni)
                    and not any(_subset_of(sni, h) for h in hosts)
                ):
                    out.append(
                        (
                            ("tls", i, "match", m, "sniHosts", n),
                            Level.ERROR,
                            f"SNI host {show(sni)} is not a compatible subset of any of the virtual service "
                            f"hosts: [{', '.join(hosts)}]",
                        )
                    )
    for i, raw in enumerate(seq(spec.get("http"))):
        route = mapping(raw)
        at: Path = ("http", i)
        if route.get("route") and "redirect" in route:
            out.append((at, Level.ERROR, "HTTP route cannot contain both route and redirect"))
        for m, match in enumerate(seq(route.get("match"))):
            for field in ("headers", "withoutHeaders"):
                for name in mapping(mapping(match).get(field)):
                    if reason := _match_header(str(name)):
                        out.append(((*at, "match", m, field, str(name)), Level.ERROR, reason))
        for side in ("request", "response"):
            ops = mapping(mapping(route.get("headers")).get(side))
            for op in ("set", "add", "remove"):
                names = mapping(ops.get(op)) if op != "remove" else seq(ops.get(op))
                for name in names:
                    if reason := _operation_header(str(name), authority=side == "request" and op != "remove"):
                        out.append(((*at, "headers", side, op), Level.ERROR, reason))
        retry_on = mapping(route.get("retries")).get("retryOn")
        for policy in retry_on.split(",") if isinstance(retry_on, str) and retry_on else ():
            if policy not in _RETRY_ON and not (policy.isdigit() and int(policy) in _HTTP_STATUSES):
                out.append(
                    (
                        (*at, "retries", "retryOn"),
                        Level.ERROR,
                        f"{show(policy)} is not a valid retryOn policy",
                    )
                )
        for c, method in enumerate(seq(mapping(route.get("corsPolicy")).get("allowMethods"))):
            if isinstance(method, str) and method not in _CORS_METHODS:  # supportedCORSMethods
                out.append(
                    (
                        (*at, "corsPolicy", "allowMethods", c),
                        Level.ERROR,
                        f"{show(method)} is not a supported HTTP method",
                    )
                )
        max_age = mapping(route.get("corsPolicy")).get("maxAge")
        if isinstance(max_age, str) and (nanos := go_duration(max_age)) is not None and nanos % 1_000_000_000:
            out.append(
                (
                    (*at, "corsPolicy", "maxAge"),
                    Level.ERROR,
                    "max_age duration is accurate only to seconds precision",
                )
            )
        if not any(route.get(k) for k in ("route", "redirect", "directResponse", "delegate")) and not (
            "redirect" in route or "directResponse" in route
        ):
            out.append((at, Level.ERROR, "HTTP route, redirect or direct_response is required"))
        fault = route.get("fault")
        if isinstance(fault, Mapping) and "abort" not in fault and "delay" not in fault:
            out.append(
                ((*at, "fault"), Level.ERROR, "HTTP fault injection must have an abort and/or a delay")
            )
        retries = route.get("retries")
        if (
            isinstance(retries, Mapping)
            and retries.get("attempts", 0) == 0
            and any(
                k in retries and retries[k] not in ("", None)
                for k in ("perTryTimeout", "retryOn", "retryRemoteLocalities")
            )
        ):
            out.append(
                (
                    (*at, "retries"),
                    Level.ERROR,
                    "http retry policy configured when attempts are set to 0 (disabled)",
                )
            )
        out.extend(_rewrite((*at, "rewrite"), route.get("rewrite")))
        for c, header in enumerate(seq(mapping(route.get("corsPolicy")).get("allowHeaders"))):
            if header == "":
                out.append(
                    ((*at, "corsPolicy", "allowHeaders", c), Level.ERROR, "header name cannot be empty")
                )
    return out


# validation.go: supportedRetryOnPolicies, and Go's http.StatusText codes.
_RETRY_ON = frozenset(
    {
        "5xx",
        "gateway-error",
        "reset",
        "reset-before-request",
        "connect-failure",
        "retriable-4xx",
        "refused-stream",
        "retriable-status-codes",
        "retriable-headers",
        "envoy-ratelimited",
        "http3-post-connect-failure",
        "cancelled",
        "deadline-exceeded",
        "internal",
        "resource-exhausted",
        "unavailable",
    }
)
_HTTP_STATUSES = frozenset(
    [
        *range(100, 104),
        *range(200, 209),
        226,
        *range(300, 309),
        *range(400, 419),
        *range(421, 427),
        428,
        429,
        431,
        451,
        *range(500, 509),
        510,
        511,
    ]
)
_CORS_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"}
)
_TCHARS = re.compile(r"\A[!#$%&'*+\-.^_`|~A-Za-z0-9]+\Z")
_PSEUDO = frozenset({":method", ":scheme", ":authority", ":path", ":status"})


def _match_header(name: str) -> str | None:
    """``ValidateHTTPHeaderNameOrJwtClaimRoute``: a token, a pseudo header or a JWT claim."""
    if not name:
        return "header name cannot be empty"
    if name.startswith("@request.auth.claims") or name in _PSEUDO or _TCHARS.match(name):
        return None
    return f"header name {name} is not a valid header name"


def _operation_header(name: str, *, authority: bool) -> str | None:
    """``ValidateHTTPHeaderWithAuthorityOperationName`` (request set/add) and
    ``ValidateHTTPHeaderOperationName`` (the rest: no Host header)."""
    if not name:
        return "header name cannot be empty"
    if not authority and name.lower() == "host":
        return f"invalid header {show(name)}: cannot set Host header"
    if name.startswith(":") and not (authority and name.lower() == ":authority"):
        return f'invalid header {show(name)}: header cannot have ":" prefix'
    return None


def _subset_of(name: str, other: str) -> bool:
    """``host.Name.SubsetOf`` (``pkg/config/host/name.go``): every name ``name`` matches,
    ``other`` matches."""
    if name == other or other == "*":
        return True
    if other.startswith("*"):
        return (name[1:] if name.startswith("*") else name).endswith(other[1:]) and name != "*"
    return False


def _destination(at: Path, destination: Any) -> Found:
    """``validateDestination``: the host a domain name (``ValidateWildcardDomain``; an IP is
    refused), the subset a DNS-1123 label."""
    if not isinstance(destination, Mapping):
        return []
    out: Found = []
    host = destination.get("host")
    if host == "*":
        out.append(((*at, "host"), Level.ERROR, "invalid destination host *"))
    elif isinstance(host, str) and host and (reason := istio_wildcard_domain(host)) is not None:
        out.append(((*at, "host"), Level.ERROR, reason))
    subset = destination.get("subset")
    if isinstance(subset, str) and subset and not istio_dns1123_label(subset):
        out.append(((*at, "subset"), Level.ERROR, f"subset name is invalid: {subset}"))
    return out


def _gateway_name(ref: str) -> str | None:
    """``validateGatewayNames``: ``name`` or ``namespace/name`` of DNS-1123 labels (or ``mesh``)."""
    namespace, sep, name = ref.partition("/")
    if not sep:
        return None  # a bare or legacy name: checked with the spec models
    if not namespace or not name:
        return "config namespace and gateway name cannot be empty"
    if not istio_dns1123_label(namespace):
        return f"invalid value for namespace: {show(namespace)}"
    if not istio_dns1123_label(name):
        return f"invalid value for gateway name: {show(name)}"
    return None


def _gateway(spec: Mapping[str, Any]) -> Found:
    """``validateServer``: hosts (``ValidateNamespaceSlashWildcardHostname`` for a gateway: no short
    name, a domain or an IP, no partial wildcard), a ``unix://`` bind only with port 0, and
    ``validateTLSOptions``: SIMPLE and MUTUAL without a credential name need the certificate files."""
    out: Found = []
    for i, raw in enumerate(seq(spec.get("servers"))):
        server, at = mapping(raw), ("servers", i)
        for h, host in enumerate(seq(server.get("hosts"))):
            if isinstance(host, str):
                name = host.partition("/")[2] if "/" in host else host
                reason = _gateway_host(name)
                if reason:
                    out.append(((*at, "hosts", h), Level.ERROR, reason))
        port = server.get("port")
        if isinstance(port, Mapping) and port.get("name") == "":  # validateServerPort
            out.append(((*at, "port", "name"), Level.ERROR, "port name must be set"))
        bind = server.get("bind")
        number = mapping(port).get("number")
        if isinstance(bind, str) and bind.startswith("unix://") and number not in (0, None):
            out.append(
                ((*at, "bind"), Level.ERROR, f"port number must be 0 for unix domain socket, got {number}")
            )
        tls = mapping(server.get("tls"))
        mode = text(tls.get("mode")) or ""
        credential = tls.get("credentialName") or tls.get("credentialNames") or tls.get("tlsCertificates")
        if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not credential:
            prefix = "SIMPLE TLS" if mode == "SIMPLE" else "MUTUAL TLS"
            for field, what in (
                ("serverCertificate", "a server certificate"),
                ("privateKey", "a private key"),
            ):
                if not text(tls.get(field)):
                    out.append(((*at, "tls", field), Level.ERROR, f"{prefix} requires {what}"))
    return out


def _gateway_host(name: str) -> str | None:
    if name != "*" and "." not in name:
        return "short names (non FQDN) are not allowed"
    if "*" in name and name != "*" and not name.startswith("*."):
        return f"partial wildcard {show(name)} not allowed"
    reason = istio_wildcard_domain(name)
    return None if reason is None or _is_ip(name) else reason


_PROTOCOLS = frozenset(
    {
        "tcp",
        "udp",
        "grpc",
        "grpc-web",
        "http",
        "http_proxy",
        "http2",
        "https",
        "tls",
        "mongo",
        "redis",
        "mysql",
    }
)


def _protocol(at: Path, value: Any) -> Found:
    """``ValidateProtocol`` (``protocol.Parse``, case-insensitive; empty means sniffing)."""
    if isinstance(value, str) and value and value.lower() not in _PROTOCOLS:
        return [(at, Level.ERROR, f"unsupported protocol: {value}")]
    return []


def _rewrite(at: Path, rewrite: Any) -> Found:
    """``validateHTTPRewrite``."""
    if not isinstance(rewrite, Mapping):
        return []
    uri, regex = text(rewrite.get("uri")), rewrite.get("uriRegexRewrite")
    if uri and regex is not None:
        return [(at, Level.ERROR, "rewrite may only contain one of URI or UriRegexRewrite")]
    if not uri and regex is None and not text(rewrite.get("authority")):
        return [
            (
                at,
                Level.ERROR,
                "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of "
                "URI or UriRegexRewrite may be specified",
            )
        ]
    match = mapping(regex).get("match")
    if isinstance(match, str):
        try:
            re.compile(match)  # a malformed pattern fails both; what only RE2 refuses is not caught
        except re.error as err:
            return [((*at, "uriRegexRewrite", "match"), Level.ERROR, f"UriRegexRewrite has errors: {err}")]
    return []


def _destination_rule(spec: Mapping[str, Any]) -> Found:
    """``agent.ValidateTLS`` for ``MUTUAL`` without a credential name: a client certificate and a
    private key; ``labels.Instance.Validate`` on subset labels."""
    out: Found = []
    for where, policy in _policies(spec):
        tls = mapping(mapping(policy).get("tls"))
        if text(tls.get("mode")) == "MUTUAL" and not text(tls.get("credentialName")):
            for field, what in (("clientCertificate", "client certificate"), ("privateKey", "private key")):
                if not text(tls.get(field)):
                    out.append(((*where, "tls", field), Level.ERROR, f"{what} required for mutual tls"))
        locality = mapping(mapping(mapping(policy).get("loadBalancer")).get("localityLbSetting"))
        for d, distribute in enumerate(seq(locality.get("distribute"))):  # agent.validateLocalityLbSetting
            weights = [w for w in mapping(mapping(distribute).get("to")).values() if isinstance(w, int)]
            at = (*where, "loadBalancer", "localityLbSetting", "distribute", d, "to")
            if any(not 1 <= w <= 100 for w in weights):
                out.append((at, Level.ERROR, "locality weight must be in range [1, 100]"))
            elif sum(weights) != 100:
                out.append((at, Level.ERROR, f"total locality weight {sum(weights)} != 100"))
        for f, failover in enumerate(seq(locality.get("failover"))):  # agent.validateLocalityLbSetting
            failover = mapping(failover)
            if failover.get("from") == failover.get("to"):
                out.append(
                    (
                        (*where, "loadBalancer", "localityLbSetting", "failover", f),
                        Level.ERROR,
                        "locality lb failover settings must specify different regions",
                    )
                )
    host = spec.get("host")
    if isinstance(host, str) and host and (reason := istio_wildcard_domain(host)) is not None:
        out.append((("host",), Level.ERROR, reason))  # ValidateWildcardDomain, e.g. a label over 63
    names: set[str] = set()
    for i, subset in enumerate(seq(spec.get("subsets"))):
        out.extend(_labels(("subsets", i, "labels"), mapping(subset).get("labels")))
        name = mapping(subset).get("name")
        if isinstance(name, str) and name in names:  # validateDestinationRule
            out.append((("subsets", i, "name"), Level.ERROR, f"duplicate subset names: {name}"))
        names.add(str(name))
    if isinstance(spec.get("workloadSelector"), Mapping) and any(
        e not in (".", "~") for e in seq(spec.get("exportTo"))
    ):  # validateExportTo with a workload selector (the own namespace by name is not seen here)
        out.append(
            (
                ("exportTo",),
                Level.ERROR,
                "destination rule with workload selector cannot have exportTo beyond current namespace",
            )
        )
    return out


def _port_names(spec: Mapping[str, Any]) -> Found:
    """``ValidatePortName`` on a ServiceEntry's ports: a DNS-1123 label (upper case allowed)."""
    return [
        (("ports", i, "name"), Level.ERROR, f"invalid port name: {name}")
        for i, port in enumerate(seq(spec.get("ports")))
        if isinstance(name := mapping(port).get("name"), str) and not istio_dns1123_label(name)
    ]


def _telemetry(spec: Mapping[str, Any]) -> Found:
    """``validateTelemetryFilter`` (``validation_istiod.go``: the filter parses as CEL) and
    ``validateTelemetryTracing`` (no empty custom tag name)."""
    out: Found = []
    for i, logging in enumerate(seq(spec.get("accessLogging"))):
        expression = mapping(mapping(logging).get("filter")).get("expression")
        if "filter" in mapping(logging) and isinstance(expression, str | None):
            try:
                cel.compile(expression or "")
            except ValueError as err:
                out.append(
                    (
                        ("accessLogging", i, "filter", "expression"),
                        Level.ERROR,
                        f"must be a valid CEL expression: {err}",
                    )
                )
    for i, tracing in enumerate(seq(spec.get("tracing"))):
        if "" in mapping(mapping(tracing).get("customTags")):
            out.append((("tracing", i, "customTags"), Level.ERROR, "tag name may not be empty"))
    return out


_RULES: dict[str, tuple[Any, ...]] = {
    "Gateway": (_gateway,),
    "VirtualService": (_export_to, _virtual_service),
    "DestinationRule": (
        _export_to,
        _selector("workloadSelector", "matchLabels"),
        _traffic_policy,
        _destination_rule,
    ),
    "ServiceEntry": (
        lambda s: _export_to(s, service_entry=True),
        _selector("workloadSelector", "labels"),
        _service_entry,
        _port_names,
    ),
    "Sidecar": (_selector("workloadSelector", "labels"), _sidecar),
    "WorkloadEntry": (lambda s: _workload_entry((), s),),
    "AuthorizationPolicy": (_selector("selector", "matchLabels"), _authorization),
    "RequestAuthentication": (_selector("selector", "matchLabels"), _request_authentication),
    "PeerAuthentication": (_selector("selector", "matchLabels"),),
    "Telemetry": (_selector("selector", "matchLabels"), _telemetry),
}
