"""Specs of the mesh objects users declare by name: Gateways, VirtualServices, DestinationRules.

Each is an Istio spec (Istio's field names, camelCase) plus the few fields Istio has no concept of:
``name``/``namespace`` (metadata), ``workload`` (which gateway workload a Gateway applies to: the
selector is derived from it, never typed twice) and ``overrides`` (an escape hatch deep-merged into
the rendered object).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from ..errors import show
from ._base import NestedProblems, SpecModel, dns_label, dns_subdomain
from .envoy_filters import HttpCache, LocalRateLimit, envoy_filter_problems
from .istio import DestinationRuleFields, Server, TLSMode, VirtualServiceFields
from .security import Authentication, Firewall, servers_problems

__all__ = ["DestinationRuleSpec", "GatewaySpec", "VirtualServiceSpec", "parse_gateway_ref"]


def parse_gateway_ref(ref: str, default_namespace: str) -> tuple[str, str] | None:
    """Split a VirtualService ``gateways`` entry into (namespace, name); None for ``mesh``.

    Istio reads a bare name as a Gateway in the VirtualService's own namespace.
    """
    if ref == "mesh":
        return None
    ns, sep, name = ref.partition("/")
    if not sep:
        if "." in ref:
            raise ValueError(
                f"gateway reference {show(ref)} uses the legacy 'name.namespace' form; write 'namespace/name'"
            )
        return default_namespace, ref
    dns_label(ns, "gateway namespace")
    dns_label(name, "gateway name")
    return ns, name


class GatewaySpec(SpecModel):
    """An Istio Gateway bound to a gateway workload. Config key: an item of ``meshgw:gateways``."""

    name: str
    """The Gateway's name: a DNS-1123 label (Istio rejects dots)."""
    workload: str
    """The workload (an item of ``meshgw:workloads``) whose pods serve this Gateway: ``name``, or
    ``namespace/name`` where workloads in several namespaces share the name (MGW0103 otherwise;
    see :mod:`pulumi_meshgw.spec.names`)."""
    namespace: str | None = None
    """Default: the workload's namespace."""
    servers: list[Server] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Escape hatch: deep-merged into the rendered Gateway object. Default: none."""
    firewall: Firewall | None = None
    """IP allow- and deny-lists, gateway-wide and per host; see docs/security.md. Default: none."""
    authentication: Authentication | None = None
    """JWT, external authorization and mesh mTLS for the backends' namespaces; see
    docs/security.md. Default: none."""
    cache: HttpCache | None = None
    """Envoy's in-memory HTTP cache for the hosts named, as an EnvoyFilter; see docs/caching.md.
    Default: off."""
    rate_limit: LocalRateLimit | None = None
    """Envoy's local (per-pod) rate limit for the hosts named, as an EnvoyFilter; see
    docs/caching.md. Default: off."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_label(v, "gateway name")

    @model_validator(mode="after")
    def _security_hosts(self) -> GatewaySpec:
        problems = servers_problems(self)
        if problems:
            raise NestedProblems(problems)
        return self

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str | None) -> str | None:
        return None if v is None else dns_label(v, "namespace")

    @model_validator(mode="after")
    def _servers(self) -> GatewaySpec:
        # Istio's admission rules that the CRD schema does not enforce: collect them all.
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: dict[str, int] = {}
        for i, s in enumerate(self.servers):
            if s.port.name in seen:
                problems.append(
                    (
                        ("servers", i, "port", "name"),
                        f"port name {show(s.port.name)} is already used by servers[{seen[s.port.name]}]; "
                        "port names must be unique within a Gateway",
                    )
                )
            seen.setdefault(s.port.name, i)
            problems.extend((("servers", i, *sub), msg) for sub, msg in _server_tls_problems(s))
        if problems:
            raise NestedProblems(problems)
        return self

    @model_validator(mode="after")
    def _envoy_filter_hosts(self) -> GatewaySpec:
        # cache and rateLimit only work where Envoy parses HTTP: check their hosts against the servers.
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.cache is not None:
            problems.extend(envoy_filter_problems(self.servers, "cache", self.cache.hosts, "caching"))
        if self.rate_limit is not None:
            problems.extend(
                envoy_filter_problems(self.servers, "rateLimit", self.rate_limit.hosts, "rate limiting")
            )
        if problems:
            raise NestedProblems(problems)
        return self


def _server_tls_problems(s: Server) -> list[tuple[tuple[str, ...], str]]:
    """Istio's validateTLSOptions and server rules, as (sub-path, message) pairs."""
    found = _tls_messages(s)
    out: list[tuple[tuple[str, ...], str]] = []
    for msg in found:
        head, _, rest = msg.partition(": ")
        out.append((tuple(head.split(".")), rest))
    return out


def _tls_messages(s: Server) -> list[str]:
    proto, tls = s.port.protocol, s.tls
    if proto.is_tls and tls is None:
        return [f"tls: a {proto.value} server needs a tls block with a mode (e.g. mode: SIMPLE)"]
    if tls is None:
        return []
    out: list[str] = []
    files = [tls.server_certificate, tls.private_key]
    has_files = any(f is not None for f in files)
    has_source = tls.certificate is not None
    has_name = tls.credential_name is not None or bool(tls.credential_names)
    if not proto.is_tls:
        if tls.mode is not None or has_files or has_source or has_name:
            out.append(
                f"tls: a {proto.value} server may only carry tls.httpsRedirect; "
                "use protocol HTTPS or TLS to terminate TLS"
            )
        return out
    if tls.https_redirect:
        out.append("tls.httpsRedirect: only applies to HTTP servers; remove it from this HTTPS/TLS server")
    if tls.mode is None:
        out.append(
            "tls.mode: required; Istio reads an omitted mode as PASSTHROUGH; "
            "use SIMPLE to terminate TLS or PASSTHROUGH to route on SNI"
        )
        return out
    mode = tls.mode
    if mode.needs_certificate:
        if has_files and not all(f is not None for f in files):
            out.append("tls: serverCertificate and privateKey go together; set both")
        sources = sum([has_files, has_source, tls.credential_names is not None])
        if sources > 1:
            out.append(
                "tls: give exactly one certificate source: serverCertificate+privateKey files, "
                "certificate (selfSigned, certManager or config), or credentialNames"
            )
        if sources == 0 and tls.credential_name is None:
            out.append(
                f"tls: mode {mode.value} needs a certificate: set certificate (selfSigned, certManager "
                "or config), serverCertificate+privateKey files, or credentialName of an existing Secret"
            )
        if mode.needs_client_ca and has_files and tls.ca_certificates is None:
            out.append(f"tls.caCertificates: mode {mode.value} requires a client CA bundle")
        if mode is TLSMode.SIMPLE and tls.ca_crl is not None:
            out.append("tls.caCrl: not allowed with mode SIMPLE")
        if has_files and tls.ca_crl is not None:
            out.append("tls.caCrl: a file path on the proxy; put the CRL in the Secret as ca.crl instead")
    else:
        cert_fields = [
            ("serverCertificate", tls.server_certificate),
            ("privateKey", tls.private_key),
            ("caCertificates", tls.ca_certificates),
            ("credentialName", tls.credential_name),
            ("certificate", tls.certificate),
        ]
        for fname, val in cert_fields:
            if val is not None:
                out.append(f"tls.{fname}: mode {mode.value} uses no server certificate; remove it")
    if mode is TLSMode.AUTO_PASSTHROUGH and proto.value != "TLS":
        out.append("tls.mode: AUTO_PASSTHROUGH requires port.protocol TLS")
    if tls.min_protocol_version in ("TLSV1_0", "TLSV1_1"):
        out.append(
            f"tls.minProtocolVersion: {tls.min_protocol_version} is below TLS 1.2; "
            "remove it (default TLSV1_2) or use TLSV1_3"
        )
    return out


class VirtualServiceSpec(VirtualServiceFields):
    """A VirtualService. Config key: an item of ``meshgw:virtualServices``.

    ``gateways`` entries are ``namespace/name`` of Gateways declared in the same program, or ``mesh``.
    """

    name: str
    namespace: str
    gateways: list[str] | None = None
    """Default: none, which Istio reads as ``[mesh]`` (sidecars only)."""
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_subdomain(v, "VirtualService name")

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return dns_label(v, "namespace")

    @model_validator(mode="after")
    def _refs(self) -> VirtualServiceSpec:
        for ref in self.gateways or []:
            parse_gateway_ref(ref, self.namespace)
        return self

    def gateway_refs(self) -> list[tuple[str, str]]:
        """The (namespace, name) of every Gateway this route binds, ``mesh`` excluded."""
        out = []
        for ref in self.gateways or []:
            parsed = parse_gateway_ref(ref, self.namespace)
            if parsed is not None:
                out.append(parsed)
        return out


class DestinationRuleSpec(DestinationRuleFields):
    """A DestinationRule. Config key: an item of ``meshgw:destinationRules``."""

    name: str
    namespace: str
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return dns_subdomain(v, "DestinationRule name")

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return dns_label(v, "namespace")
