"""Pure planning: from validated specs to the ordered set of objects a mesh needs, checked as a whole.

This is the step between the pure layers (spec, render, analysis) and the Pulumi components. It
decides names (no random suffixes), where TLS Secrets live (the gateway pods' namespace), which ports
a workload's Service needs (derived from the Gateways bound to it), and runs the cross-object
analysis, so that a mesh config with a mistake fails as a whole before a single resource is
registered.

Reading certificate files is the only I/O here: Istio's classic ``serverCertificate``/``privateKey``
paths are read when the program runs and become a Secret; the paths are never emitted.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .analysis.diagnostics import Diagnostic, Level
from .analysis.egress import check_egress_consistency
from .analysis.index import MeshIndex
from .analysis.pod_security import workload_pod_security_problems
from .analysis.policy_ports import check_policy_ports
from .analysis.schema import validate_manifest
from .errors import ConfigError, Problem, format_path, show
from .ipam import plan_addresses, plan_egress_vips
from .render._meta import Manifest, deep_merge
from .render._scope import gateway_scopes
from .render.backends import route_backends
from .render.ca_secret import render_ca_secret
from .render.certificate import render_certificate
from .render.destination_rule import render_destination_rule
from .render.egress import (
    EgressObjects,
    credential_name_for,
    egress_service_ports,
    render_client_policies,
    render_egress,
    render_sidecars,
)
from .render.firewall import workload_with_firewall
from .render.functions import render_gateway_functions
from .render.gateway import render_gateway
from .render.host_binding import bind_hosts_to_routes
from .render.namespace import render_namespace
from .render.secret import render_tls_secret
from .render.service import ServicePortSpec
from .render.virtual_service import render_virtual_service
from .render.workload import render_workload
from .spec.egress import EgressGatewaySpec
from .spec.hardening import gateway_hardening, workload_warnings
from .spec.istio import CertManager, ConfigPem, SelfSigned
from .spec.mesh import MeshSpec
from .spec.resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from .spec.security import firewall_warnings, gateway_security_problems
from .spec.workload import WorkloadSpec

__all__ = [
    "Credential",
    "EgressPlan",
    "GatewayPlan",
    "MeshPlan",
    "WorkloadPlan",
    "declare_external",
    "diagnostics_to_problems",
    "plan_egress",
    "plan_gateway",
    "plan_mesh",
    "service_ports",
    "uses_credential",
]

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


# -- TLS material ---------------------------------------------------------------------------------


def _dns_names(hosts: Sequence[str]) -> tuple[str, ...]:
    names = []
    for h in hosts:
        name = h.rpartition("/")[2]
        if name != "*":
            names.append(name)
    return tuple(dict.fromkeys(names))


def _read_pem(path: str, field_path: str, base_dir: Path, problems: list[Problem]) -> str | None:
    p = Path(path)
    if not p.is_absolute():
        p = base_dir / p
    try:
        text = p.read_text(encoding="ascii")
    except FileNotFoundError:
        problems.append(
            Problem(field_path, f"file {show(str(p))} does not exist; give the path of a PEM file", "MGW0110")
        )
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(field_path, f"cannot read {show(str(p))} as PEM text: {exc}", "MGW0110"))
        return None
    if "-----BEGIN " not in text:
        problems.append(
            Problem(field_path, f"file {show(str(p))} is not PEM (no -----BEGIN line)", "MGW0110")
        )
        return None
    return text


_SWAPPED = "; are serverCertificate and privateKey swapped?"


def _check_pem_pair(
    cert: str,
    key: str,
    hosts: Sequence[str],
    path: str,
    problems: list[Problem],
    warnings: list[Problem] | None = None,
) -> None:
    """Check that the certificate parses, is in date, matches the key and covers ``hosts``
    (a warning into ``warnings``); never echo key material."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        crt = x509.load_pem_x509_certificate(cert.encode())
    except ValueError:
        holds_key = "PRIVATE KEY-----" in cert and "CERTIFICATE-----" not in cert
        message = "holds a private key, not a certificate" + _SWAPPED if holds_key else ""
        problems.append(
            Problem(f"{path}.serverCertificate", message or "is not a valid PEM X.509 certificate", "MGW0111")
        )
        return
    try:
        pkey = serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        holds_cert = "CERTIFICATE-----" in key and "PRIVATE KEY-----" not in key
        problems.append(
            Problem(
                f"{path}.privateKey",
                "holds a certificate, not a private key" + _SWAPPED
                if holds_cert
                else "is not an unencrypted PEM private key (Envoy cannot use password-protected keys)",
                "MGW0111",
            )
        )
        return
    if warnings is not None:
        uncovered = [h for h in hosts if h != "*" and not _covers(_dns_sans(crt), h)]
        if uncovered:
            warnings.append(
                Problem(
                    f"{path}.serverCertificate",
                    f"the certificate's DNS names ({', '.join(_dns_sans(crt)) or 'none'}) do not cover "
                    f"{', '.join(uncovered)}, so clients of those hosts reject it; issue it for every "
                    "server host (RFC 6125: one '*' label, leftmost)",
                    "MGW0113",
                )
            )
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    if crt.public_key().public_bytes(serialization.Encoding.PEM, pub) != pkey.public_key().public_bytes(
        serialization.Encoding.PEM, pub
    ):
        problems.append(
            Problem(
                f"{path}.privateKey",
                "does not match the certificate's public key; give the key the certificate was issued for",
                "MGW0111",
            )
        )
    now = _dt.datetime.now(_dt.timezone.utc)
    if crt.not_valid_after_utc < now:
        problems.append(
            Problem(
                f"{path}.serverCertificate",
                f"expired on {crt.not_valid_after_utc:%Y-%m-%d}; renew it",
                "IST0161",
            )
        )


def _dns_sans(crt: Any) -> list[str]:
    """The DNS subjectAltNames of a certificate (clients ignore the subject CN when SANs exist,
    and most ignore it altogether)."""
    from cryptography import x509

    try:
        ext = crt.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(n).lower() for n in ext.value.get_values_for_type(x509.DNSName)]


def _covers(names: Sequence[str], host: str) -> bool:
    """Whether a certificate with DNS ``names`` is valid for ``host`` (RFC 6125 section 6.4.3: a
    ``*`` stands for exactly one leftmost label; a wildcard host needs the same wildcard)."""
    host = host.lower().rstrip(".")
    for name in names:
        if name == host:
            return True
        if name.startswith("*.") and not host.startswith("*."):
            label, _, rest = host.partition(".")
            if label and rest == name[2:]:
                return True
    return False


def _credential_name(spec: GatewaySpec, index: int) -> str:
    """The TLS Secret of server ``index``: ``tls.credentialName``, else ``<gateway>-<port>-cert``.

    The client CA Secret is named after it (``<name>-cacert``, Istio's convention), so both come
    from here.
    """
    server = spec.servers[index]
    given = server.tls.credential_name if server.tls is not None else None
    return given or f"{spec.name}-{server.port.name}-cert"


def _credentials_for(
    spec: GatewaySpec,
    index: int,
    workload: WorkloadSpec,
    base_dir: Path,
    problems: list[Problem],
    prefix: str,
    warnings: list[Problem] | None = None,
) -> Credential | None:
    server = spec.servers[index]
    tls = server.tls
    if tls is None or tls.mode is None or not tls.mode.needs_certificate:
        return None
    ns = workload.pod_namespace
    name = _credential_name(spec, index)
    hosts = _dns_names(server.hosts)
    needs_ca = tls.mode.needs_client_ca
    path = _sub_path(prefix, ("servers", index, "tls"))
    common: dict[str, Any] = {
        "gateway": spec.name,
        "server_index": index,
        "name": name,
        "namespace": ns,
        "hosts": hosts,
        "needs_ca": needs_ca,
    }
    if tls.server_certificate is not None and tls.private_key is not None:
        cert = _read_pem(tls.server_certificate, f"{path}.serverCertificate", base_dir, problems)
        key = _read_pem(tls.private_key, f"{path}.privateKey", base_dir, problems)
        ca = None
        if tls.ca_certificates is not None:
            ca = _read_pem(tls.ca_certificates, f"{path}.caCertificates", base_dir, problems)
        if cert is None or key is None:
            return None
        _check_pem_pair(cert, key, hosts, path, problems, warnings)
        secret = render_tls_secret(name, ns, cert, key, ca, owner=spec.name)
        return Credential(source="files", manifest=secret, **common)
    src = tls.certificate
    if src is None:
        return None  # credentialName of an existing Secret
    if needs_ca and src.config is not None and src.config.ca is None and tls.ca_certificates is None:
        problems.append(
            Problem(
                f"{path}.certificate.config.ca",
                f"mode {tls.mode.value} needs the client CA bundle: name the secret config key that holds "
                "it, or give a PEM file as tls.caCertificates",
                "MGW0112",
            )
        )
    if src.self_signed is not None:
        if not hosts:
            problems.append(
                Problem(
                    f"{path}.certificate.selfSigned",
                    "a self-signed certificate needs at least one host name that is not '*'",
                    "MGW0112",
                )
            )
        return Credential(source="self_signed", self_signed=src.self_signed, **common)
    if src.config is not None:
        return Credential(source="config", config_keys=src.config, **common)
    cm: CertManager = src.cert_manager  # type: ignore[assignment]
    dns = list(cm.dns_names or hosts)
    if not dns:
        problems.append(
            Problem(
                f"{path}.certificate.certManager.dnsNames",
                "give the DNS names to certify; the server hosts are all '*'",
                "MGW0112",
            )
        )
    cert_obj = render_certificate(name, ns, name, dns, cm, owner=spec.name)
    return Credential(source="cert_manager", manifest=cert_obj, **common)


# -- gateways and workloads ----------------------------------------------------------------------


def plan_gateway(
    spec: GatewaySpec, workload: WorkloadSpec, *, base_dir: Path | None = None, prefix: str = ""
) -> GatewayPlan:
    """Render a Gateway and the credentials its servers need.

    Raises:
        ConfigError: certificate files are missing or invalid, or a generated certificate has no name.
    """
    problems: list[Problem] = []
    cert_warnings: list[Problem] = []
    creds: list[Credential] = []
    for i in range(len(spec.servers)):
        c = _credentials_for(spec, i, workload, base_dir or Path.cwd(), problems, prefix, cert_warnings)
        if c is not None:
            creds.append(c)
        ca = _ca_credential_for(spec, i, workload, base_dir or Path.cwd(), problems, prefix)
        if ca is not None:
            creds.append(ca)
    for i, server in enumerate(spec.servers):
        t = server.tls
        if t is not None and t.subject_alt_names and not (t.mode is not None and t.mode.needs_client_ca):
            mode = t.mode.value if t.mode is not None else "unset"
            problems.append(
                Problem(
                    _sub_path(prefix, ("servers", i, "tls", "subjectAltNames")),
                    f"mode {mode} does not ask clients for certificates, so subjectAltNames (which "
                    "restrict the client certificates a MUTUAL server accepts) do nothing; use mode "
                    "MUTUAL or OPTIONAL_MUTUAL, or remove them",
                    "MGW0152",
                )
            )
    for sub, msg, code in gateway_security_problems(spec, workload):
        problems.append(Problem(_sub_path(prefix, sub), msg, code))
    for sub, msg in _policy_port_problems(spec, workload):
        problems.append(Problem(_sub_path(prefix, sub), msg, "MGW0156"))
    hardening_errors, hardening_warnings = gateway_hardening(spec, workload)
    problems.extend(Problem(_sub_path(prefix, sub), msg, code) for sub, msg, code in hardening_errors)
    if problems:
        raise ConfigError(problems)
    names = {c.server_index: c.name for c in creds if not c.ca_only}
    namespace = spec.namespace or workload.pod_namespace
    manifest = render_gateway(spec, namespace, workload.selector_labels, names)
    extras = render_gateway_functions(spec, workload, namespace)
    warnings = [Problem(_sub_path(prefix, sub), msg, "MGW0154") for sub, msg in firewall_warnings(spec)]
    warnings += [Problem(_sub_path(prefix, sub), msg, code) for sub, msg, code in hardening_warnings]
    warnings.extend(cert_warnings)
    return GatewayPlan(spec, workload, namespace, manifest, creds, extras, warnings)


def _policy_port_problems(
    spec: GatewaySpec, workload: WorkloadSpec
) -> list[tuple[tuple[str | int, ...], str]]:
    """MGW0156: a port-scoped policy (firewall, JWT, external authorization) on an external
    workload whose container port behind a server port is unknown, or only a bare number below
    1024 (commonly remapped: the stock ``istio-ingressgateway`` maps 443 to 8443).

    Istio matches ``to.operation.ports`` against the container port, so a guess would leave the
    policy matching nothing: no token required, no address refused.
    """
    ext = workload.external
    if ext is None:
        return []
    scoped: list[tuple[tuple[str | int, ...], list[str] | None, bool]] = []
    if spec.firewall is not None and spec.firewall.has_rules:
        scoped.append((("firewall",), None, False))
    auth = spec.authentication
    for i, rule in enumerate(auth.jwt if auth is not None else []):
        scoped.append((("authentication", "jwt", i), rule.hosts, True))
    if auth is not None and auth.ext_authz is not None:
        scoped.append((("authentication", "extAuthz"), auth.ext_authz.hosts, True))
    out: list[tuple[tuple[str | int, ...], str]] = []
    for path, hosts, http_only in scoped:
        ports = {
            int(p)
            for s in gateway_scopes(spec, hosts, http_only=http_only, skip_redirects=http_only)
            for p in s.operation["ports"]
        }
        for port in sorted(ports):
            declared = next((p for p in ext.service_ports or [] if p == port), None)
            if ext.target_port(port) is None:
                why = (
                    "its servicePorts are not declared"
                    if ext.service_ports is None
                    else f"port {port} is not among its servicePorts"
                )
            elif declared is not None and port < 1024:
                why = (
                    f"servicePorts lists {port} as a bare number, and ports below 1024 are commonly remapped"
                )
            else:
                continue
            out.append(
                (
                    path,
                    f"this policy is scoped to port {port} of external workload {workload.name!r}, but "
                    f"{why}; Istio matches policy ports against the gateway container's port, so a "
                    "wrong guess leaves the policy matching nothing. Declare the mapping in "
                    f"external.servicePorts as {{port: {port}, targetPort: <container port>}} (the stock "
                    "istio-ingressgateway maps 80 to 8080 and 443 to 8443)",
                )
            )
    return out


def _sub_path(prefix: str, sub: Sequence[str | int]) -> str:
    tail = format_path(sub)
    return f"{prefix}.{tail}" if prefix else tail


def _ca_credential_for(
    spec: GatewaySpec,
    index: int,
    workload: WorkloadSpec,
    base_dir: Path,
    problems: list[Problem],
    prefix: str,
) -> Credential | None:
    """The ``<credentialName>-cacert`` Secret for a client CA bundle given as ``tls.caCertificates``
    next to a certificate that does not come from files (with files it joins the server Secret)."""
    tls = spec.servers[index].tls
    if tls is None or tls.ca_certificates is None or tls.mode is None or not tls.mode.needs_certificate:
        return None
    if tls.server_certificate is not None:
        return None
    path = _sub_path(prefix, ("servers", index, "tls", "caCertificates"))
    if not tls.mode.needs_client_ca:
        problems.append(
            Problem(
                path,
                f"mode {tls.mode.value} does not ask clients for certificates, so a client CA bundle "
                "does nothing; use mode MUTUAL or OPTIONAL_MUTUAL, or remove it",
                "MGW0152",
            )
        )
        return None
    pem = _read_pem(tls.ca_certificates, path, base_dir, problems)
    if pem is None:
        return None
    secret = render_ca_secret(_credential_name(spec, index), workload.pod_namespace, pem, owner=spec.name)
    return Credential(
        gateway=spec.name,
        server_index=index,
        name=secret["metadata"]["name"],
        namespace=workload.pod_namespace,
        source="files",
        hosts=(),
        needs_ca=False,
        manifest=secret,
        ca_only=True,
    )


def uses_credential(gateway: GatewaySpec) -> bool:
    """Whether a server of ``gateway`` needs a TLS credential (SIMPLE, MUTUAL, ...), which istiod
    serves to the pods only if their ServiceAccount may list Secrets."""
    return any(
        s.tls is not None and s.tls.mode is not None and s.tls.mode.needs_certificate for s in gateway.servers
    )


def _names_credential(value: Any) -> bool:
    """Whether a ``credentialName`` appears anywhere in ``value`` (a DestinationRule spec)."""
    if isinstance(value, Mapping):
        return bool(value.get("credentialName")) or any(_names_credential(v) for v in value.values())
    if isinstance(value, list):
        return any(_names_credential(v) for v in value)
    return False


def service_ports(gateways: Sequence[GatewaySpec]) -> list[ServicePortSpec]:
    """The Service ports a workload needs for the Gateways bound to it.

    One port per distinct port number, named after the first server that uses it; a name already
    taken by another number gets the number appended, since Service port names must be unique.
    """
    by_number: dict[int, str] = {}
    for gw in sorted(gateways, key=lambda g: g.name):
        for s in gw.servers:
            by_number.setdefault(s.port.number, s.port.name)
    used: set[str] = set()
    out: list[ServicePortSpec] = []
    for number in sorted(by_number):
        name = by_number[number]
        if name in used:
            name = f"{name}-{number}"
        used.add(name)
        out.append(ServicePortSpec(name=name, port=number, target_port=number))
    return out


# -- diagnostics ----------------------------------------------------------------------------------


_SPEC_SHAPED = frozenset({"Gateway", "VirtualService", "DestinationRule"})


def schema_diagnostics(manifests: Sequence[Manifest]) -> list[Diagnostic]:
    """Schema-check objects that carry free-form user content (overrides, traffic policy blocks).

    Fully typed objects are not re-checked: their spec models already are the schema, and skipping
    them keeps preview time proportional to what users can get wrong.
    """
    return [d for m in manifests for d in validate_manifest(m)]


def diagnostics_to_problems(
    diags: Sequence[Diagnostic], paths: Mapping[tuple[str, str, str], str]
) -> tuple[list[Problem], list[Problem]]:
    """Split diagnostics into (errors, warnings) as Problems, with config paths where known.

    ``paths`` maps (kind, namespace, name) to the config path of the item that produced the object.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for d in diags:
        base = paths.get((d.kind, d.namespace, d.name))
        if base is not None and d.kind in _SPEC_SHAPED:
            # These items are Istio specs plus metadata, so spec.x in the object is x in the config.
            sub = d.path.removeprefix("spec.").removeprefix("spec")
            path = f"{base}.{sub}" if sub else base
        elif base is not None:
            path = f"{base}: {d.kind} {d.path}".strip()
        else:
            path = f"{d.kind} {d.object_ref} {d.path}".strip()
        (errors if d.level is Level.ERROR else warnings).append(Problem(path, d.message, d.code))
    return errors, warnings


def plan_mesh(spec: MeshSpec, *, base_dir: Path | None = None) -> MeshPlan:
    """Plan a whole mesh from its config, collecting every problem before raising once.

    Raises:
        ConfigError: any reference, certificate or cross-object problem, each with its config path.
    """
    problems: list[Problem] = []
    # Fixed addresses, pool allocations and egress VIPs first: the rest plans the resolved spec.
    address_plan = plan_addresses(spec)
    spec = address_plan.spec
    problems.extend(address_plan.errors)
    paths: dict[tuple[str, str, str], str] = {}
    workloads = {w.name: w for w in spec.workloads}
    bound: dict[str, list[GatewaySpec]] = {w.name: [] for w in spec.workloads}
    gateway_plans: dict[str, GatewayPlan] = {}
    failed: list[Manifest] = []
    for i, gw in enumerate(spec.gateways):
        w = workloads.get(gw.workload)
        if w is None:
            known = ", ".join(sorted(workloads)) or "none declared"
            problems.append(
                Problem(
                    f"gateways[{i}].workload",
                    f"workload {show(gw.workload)} is not declared in meshgw:workloads (declared: {known})",
                    "IST0101",
                )
            )
            continue
        bound[w.name].append(gw)
        try:
            gplan = plan_gateway(gw, w, base_dir=base_dir, prefix=f"gateways[{i}]")
        except ConfigError as err:
            problems.extend(err.problems)
            # Still index the Gateway, so routes bound to it are checked and not reported as
            # referring to a missing Gateway on top of the real problem.
            failed.append(render_gateway(gw, gw.namespace or w.pod_namespace, w.selector_labels, {}))
            continue
        gateway_plans[gw.name] = gplan
        paths[("Gateway", gplan.namespace, gw.name)] = f"gateways[{i}]"

    _share_peer_authentications(gateway_plans, spec, problems)
    for gp in gateway_plans.values():
        # Hosts the program routes itself are bound to the routes' namespaces (render/host_binding.py).
        ref = (gp.namespace, gp.spec.name)
        routes = [(v.namespace, v.hosts) for v in spec.virtual_services if ref in v.gateway_refs()]
        gp.manifest = bind_hosts_to_routes(gp.manifest, routes)
    namespaces: dict[str, Manifest] = {}
    workload_plans: dict[str, WorkloadPlan] = {}
    # A DestinationRule credential (client certificate to a backend) is served to whichever
    # gateway pods route there, so any of them keeps every workload's Role.
    dr_credentials = any(
        _names_credential(render_destination_rule(d).get("spec")) for d in spec.destination_rules
    )
    gateway_workload = {
        (g.namespace or workloads[g.workload].pod_namespace, g.name): g.workload
        for g in spec.gateways
        if g.workload in workloads
    }
    lb_warnings: list[Problem] = []
    backends = route_backends([render_virtual_service(v) for v in spec.virtual_services], gateway_workload)
    for i, w in enumerate(spec.workloads):
        # IP rules of the Gateways on the workload shape its Service and NetworkPolicy.
        w = workload_with_firewall(w, bound[w.name])
        ports = service_ports(bound[w.name])
        if not w.is_external and not ports and not w.service.extra_ports:
            problems.append(
                Problem(
                    f"workloads[{i}]",
                    f"no Gateway binds workload {show(w.name)}, so its Service would have "
                    "no ports; bind a Gateway to it or remove it",
                    "MGW0120",
                )
            )
        reads = dr_credentials or any(map(uses_credential, bound[w.name]))
        lb_warnings.extend(
            Problem(_sub_path(f"workloads[{i}]", sub), m, c) for sub, m, c in workload_warnings(w)
        )
        routed = backends.get(w.name)
        if routed is not None and w.network_policy.enabled and not w.is_external:
            problems.extend(_external_backend_problems(w, i, routed.external))
        to = sorted(routed.namespaces) if routed else []
        manifests = render_workload(w, ports, reads_secrets=reads, backends=to)
        for sub, msg in workload_pod_security_problems(w, manifests):
            problems.append(Problem(f"workloads[{i}].{sub}", msg, "MGW0157"))
        if not w.is_external and w.create_namespace and w.namespace not in namespaces:
            namespaces[w.namespace] = render_namespace(w.namespace)
        creds = [
            c for g in bound[w.name] if g.name in gateway_plans for c in gateway_plans[g.name].credentials
        ]
        workload_plans[w.name] = WorkloadPlan(w, ports, manifests, creds, reads, to)
        for m in manifests:
            paths[(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])] = f"workloads[{i}]"

    drs = []
    for i, dr in enumerate(spec.destination_rules):
        m = render_destination_rule(dr)
        drs.append((dr, m))
        paths[("DestinationRule", dr.namespace, dr.name)] = f"destinationRules[{i}]"
    vss = []
    for i, vs in enumerate(spec.virtual_services):
        m = render_virtual_service(vs)
        vss.append((vs, m))
        paths[("VirtualService", vs.namespace, vs.name)] = f"virtualServices[{i}]"

    egress, sidecars = _plan_mesh_egress(spec, namespaces, problems, base_dir=base_dir)
    plan = MeshPlan(list(namespaces.values()), workload_plans, gateway_plans, drs, vss, [], egress, sidecars)
    free_form = [m for _, m in drs]
    free_form += [m for wp in workload_plans.values() if _free_form(wp.spec) for m in wp.manifests]
    free_form += [g.manifest for g in gateway_plans.values() if g.spec.overrides]
    free_form += [m for v, m in vss if v.overrides]
    index = declare_external(MeshIndex(), spec)
    # Everything but Gateways and routes first, checked on its own (DestinationRule TLS, ServiceEntry
    # addresses, injection, IP policies); infos are for `meshgw check`, not for every preview.
    others = index.check([m for m in plan.manifests() if m["kind"] not in ("Gateway", "VirtualService")])
    index.add(failed)
    for g in gateway_plans.values():
        for c in g.credentials:
            index.declare_secret(c.namespace, c.name)
    diags: list[Diagnostic] = schema_diagnostics(free_form)
    diags.extend(d for d in others if d.level is not Level.INFO)
    diags.extend(check_policy_ports(index, plan.manifests()))
    for g in gateway_plans.values():
        diags.extend(index.check([g.manifest]))
    egress_errors, egress_warnings = _check_mesh_egress(index, egress, spec)
    for _, m in vss:
        diags.extend(index.check([m]))
    errors, warnings = diagnostics_to_problems(diags, paths)
    _, infos = diagnostics_to_problems(
        [d for d in others if d.level is Level.INFO and (d.kind, d.namespace, d.name) in paths], paths
    )
    problems.extend(errors)
    problems.extend(egress_errors)
    warnings.extend(egress_warnings)
    warnings.extend(p for g in gateway_plans.values() for p in g.warnings)
    if problems:
        raise ConfigError(problems)
    plan.warnings = [*warnings, *lb_warnings, *address_plan.warnings]
    plan.infos = infos
    plan.addresses = address_plan.addresses
    return plan


def _external_backend_problems(w: WorkloadSpec, index: int, external: Mapping[str, str]) -> list[Problem]:
    """MGW0158: a route on the workload sends to a host outside the cluster, which its
    NetworkPolicy (on by default) only lets through by address, and none is given."""
    if w.network_policy.egress_cidrs or not external:
        return []
    host, vs = sorted(external.items())[0]
    more = f" (and {len(external) - 1} more)" if len(external) > 1 else ""
    return [
        Problem(
            f"workloads[{index}].networkPolicy",
            f"VirtualService {vs} routes to {host!r}{more}, outside the cluster, but the workload's "
            "NetworkPolicy only allows DNS, istiod and the namespaces of in-cluster destinations, so "
            "those requests would fail with 503; list the destination's addresses in "
            "networkPolicy.egressCidrs, or set networkPolicy.enabled: false",
            "MGW0158",
        )
    ]


def _share_peer_authentications(
    gateway_plans: Mapping[str, GatewayPlan], spec: MeshSpec, problems: list[Problem]
) -> None:
    """Keep one PeerAuthentication per namespace when several Gateways name it (the first
    Gateway's, in config order; the others drop theirs), and refuse different modes for one
    namespace (MGW0153)."""
    position = {g.name: i for i, g in enumerate(spec.gateways)}
    first: dict[str, tuple[str, str]] = {}  # namespace -> (mode, gateway)
    for name, gp in gateway_plans.items():
        keep: list[Manifest] = []
        for m in gp.extras:
            if m["kind"] != "PeerAuthentication":
                keep.append(m)
                continue
            ns, mode = m["metadata"]["namespace"], m["spec"]["mtls"]["mode"]
            prev = first.get(ns)
            if prev is None:
                first[ns] = (mode, name)
                keep.append(m)
            elif prev[0] != mode:
                problems.append(
                    Problem(
                        f"gateways[{position[name]}].authentication.peerAuthentication.mode",
                        f"namespace {show(ns)} gets mode {prev[0]} from gateway {show(prev[1])}; one "
                        f"namespace "
                        "has one namespace-wide PeerAuthentication: use the same mode",
                        "MGW0153",
                    )
                )
        gp.extras = keep


def _free_form(w: WorkloadSpec) -> bool:
    return bool(w.overrides or w.tolerations or w.affinity)


# -- egress gateways ------------------------------------------------------------------------------
#
# An egress gateway is planned on its own (plan_egress), so the EgressGateway component can use it
# without a Mesh; plan_mesh adds what only the whole mesh can know (_plan_mesh_egress): destinations
# claimed by two egress gateways, and one Sidecar and one NetworkPolicy per client namespace however
# many egress gateways serve it.


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


def _egress_credentials(
    spec: EgressGatewaySpec, base_dir: Path, prefix: str, problems: list[Problem]
) -> list[Credential]:
    out: list[Credential] = []
    for i, d in enumerate(spec.destinations):
        name = credential_name_for(spec, d)
        o = d.tls_origination
        if name is None or o.credential_name is not None:
            continue  # nothing to verify against but the OS trust store, or an existing Secret
        path = f"{prefix}.destinations[{i}].origination".lstrip(".")
        common: dict[str, Any] = {
            "gateway": spec.name,
            "server_index": i,
            "namespace": spec.namespace,
            "hosts": (),
            "needs_ca": False,
        }
        if o.ca_certificates is not None:
            ca = _read_pem(o.ca_certificates, f"{path}.caCertificates", base_dir, problems)
            if ca is not None:
                secret = render_ca_secret(name, spec.namespace, ca, owner=spec.name)
                out.append(
                    Credential(name=secret["metadata"]["name"], source="files", manifest=secret, **common)
                )
        if o.mode != "MUTUAL":
            continue
        if o.client_certificate is not None and o.private_key is not None:
            cert = _read_pem(o.client_certificate, f"{path}.clientCertificate", base_dir, problems)
            key = _read_pem(o.private_key, f"{path}.privateKey", base_dir, problems)
            if cert is None or key is None:
                continue
            found: list[Problem] = []
            _check_pem_pair(cert, key, (), path, found)
            problems.extend(
                Problem(p.path.replace(".serverCertificate", ".clientCertificate"), p.message, p.code)
                for p in found
            )
            secret = render_tls_secret(name, spec.namespace, cert, key, owner=spec.name)
            out.append(Credential(name=name, source="files", manifest=secret, **common))
            continue
        src = o.certificate
        if src is None:
            continue
        if src.self_signed is not None:
            out.append(Credential(name=name, source="self_signed", self_signed=src.self_signed, **common))
        elif src.config is not None:
            # config.ca, when given, lands in the same Secret as ca.crt, which Istio reads as the CA
            # that verifies the server (there is no <name>-cacert Secret to take precedence).
            out.append(Credential(name=name, source="config", config_keys=src.config, **common))
        elif src.cert_manager is not None:
            cm = src.cert_manager
            cert_obj = render_certificate(
                name, spec.namespace, name, list(cm.dns_names or [spec.service_fqdn]), cm, owner=spec.name
            )
            # A client certificate: without clientAuth in the extended key usage, partners that check
            # it refuse the handshake.
            cert_obj = deep_merge(
                cert_obj, {"spec": {"usages": ["client auth", "digital signature", "key encipherment"]}}
            )
            out.append(Credential(name=name, source="cert_manager", manifest=cert_obj, **common))
    return out


def _object_problems(prefix: str, diags: Sequence[Diagnostic]) -> tuple[list[Problem], list[Problem]]:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for d in diags:
        where = f"{d.kind} {d.object_ref} {d.path}".strip()
        p = Problem(f"{prefix}: {where}" if prefix else where, d.message, d.code)
        (errors if d.level is Level.ERROR else warnings).append(p)
    return errors, warnings


def plan_egress(spec: EgressGatewaySpec, *, base_dir: Path | None = None, prefix: str = "") -> EgressPlan:
    """Plan one egress gateway: its workload, origination Secrets and Istio objects, checked.

    Checks, all collected before raising once: certificate files (readable PEM, certificate and key
    match, in date); the objects' mutual consistency (ports, protocols, subsets, SNI and TLS agree
    across ServiceEntry, Gateway, DestinationRules and VirtualServices; see
    :mod:`pulumi_meshgw.analysis.egress`); the Gateway and routes against the workload's Service
    (:class:`~pulumi_meshgw.analysis.index.MeshIndex`); and the schemas of objects that carry
    free-form content (``overrides``, tolerations, affinity).

    Args:
        spec: The egress gateway.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        prefix: The config path of ``spec`` (``egressGateways[0]``), for messages.

    Returns:
        The plan.

    Raises:
        ConfigError: any problem, each with its config path.
    """
    problems: list[Problem] = []
    spec, vips = plan_egress_vips(spec, prefix)
    if vips.errors:
        raise ConfigError(vips.errors)
    credentials = _egress_credentials(spec, base_dir or Path.cwd(), prefix, problems)
    workload = spec.workload_spec
    ports = egress_service_ports(spec)
    objects = render_egress(spec)
    reads = any(_names_credential(m.get("spec")) for m in objects.manifests())
    workload_manifests = render_workload(workload, ports, reads_secrets=reads)
    for sub, msg in workload_pod_security_problems(workload, workload_manifests):
        problems.append(Problem(_sub_path(prefix, ("workload",)) + "." + sub, msg, "MGW0157"))
    rendered = [*workload_manifests, *objects.manifests()]
    diags = check_egress_consistency(rendered)
    index = MeshIndex()
    index.add(m for m in rendered if m["kind"] not in ("Gateway", "VirtualService"))
    diags.extend(index.check([objects.gateway]))
    diags.extend(index.check(objects.virtual_services))
    if spec.overrides:
        diags.extend(schema_diagnostics(objects.manifests()))
    if _free_form(workload):
        diags.extend(schema_diagnostics(workload_manifests))
    errors, _ = _object_problems(prefix, diags)
    problems.extend(errors)
    if problems:
        raise ConfigError(problems)
    namespace = render_namespace(workload.namespace) if workload.create_namespace else None
    return EgressPlan(
        spec=spec,
        workload=workload,
        ports=ports,
        workload_manifests=workload_manifests,
        namespace=namespace,
        credentials=credentials,
        objects=objects,
        client_policies=render_client_policies(objects.lockdown),
        sidecars=render_sidecars(objects.lockdown),
    )


def _plan_mesh_egress(
    spec: MeshSpec, namespaces: dict[str, Manifest], problems: list[Problem], *, base_dir: Path | None
) -> tuple[dict[str, EgressPlan], list[Manifest]]:
    """Plan every egress gateway of a mesh, add their Namespaces to ``namespaces``, check what two
    egress gateways (or an egress gateway and a workload) could get wrong together, and merge the
    client namespaces' Sidecars: exactly one per namespace (IST0111), however many egress gateways
    serve it.

    Problems are appended to ``problems``.

    Returns:
        The plans by name, and the merged Sidecars.
    """
    plans: dict[str, EgressPlan] = {}
    workloads = {(w.pod_namespace, w.name): i for i, w in enumerate(spec.workloads)}
    claims: dict[tuple[str, int], tuple[int, int]] = {}
    hosts: dict[str, tuple[int, int]] = {}
    for i, e in enumerate(spec.egress_gateways):
        before = len(problems)
        w = workloads.get((e.namespace, e.name))
        if w is not None:
            problems.append(
                Problem(
                    f"egressGateways[{i}].name",
                    f"workload {e.namespace}/{e.name} is already declared by workloads[{w}]; give the "
                    "egress gateway another name or namespace",
                    "MGW0101",
                )
            )
        for j, d in enumerate(e.destinations):
            key = (d.host, d.external_port)
            prev = claims.get(key)
            if prev is not None and prev[0] != i:
                other = spec.egress_gateways[prev[0]].name
                problems.append(
                    Problem(
                        f"egressGateways[{i}].destinations[{j}]",
                        f"{d.host}:{d.external_port} is already claimed by egressGateways[{prev[0]}]"
                        f".destinations[{prev[1]}] (egress gateway {show(other)}); a destination leaves "
                        "through exactly one egress gateway: remove it from one of them",
                        "MGW0310",
                    )
                )
                continue
            claims.setdefault(key, (i, j))
            first = hosts.setdefault(d.host, (i, j))
            if first[0] != i:
                other = spec.egress_gateways[first[0]].name
                problems.append(
                    Problem(
                        f"egressGateways[{i}].destinations[{j}].host",
                        f"{d.host} already leaves through egress gateway {show(other)} "
                        f"(egressGateways[{first[0]}].destinations[{first[1]}]); every port of a host "
                        "must use the same egress gateway, because sidecars take the route for a host "
                        "from one mesh-bound VirtualService",
                        "IST0109",
                    )
                )
        try:
            plan = plan_egress(e, base_dir=base_dir, prefix=f"egressGateways[{i}]")
        except ConfigError as err:
            problems.extend(err.problems)
            continue
        if len(problems) > before:
            # Already reported as a claim conflict; indexing it would report each host again (IST0109).
            continue
        plans[e.name] = plan
        if e.workload_spec.create_namespace and e.namespace not in namespaces:
            namespaces[e.namespace] = render_namespace(e.namespace)
    sidecars = render_sidecars([r for p in plans.values() for r in p.objects.lockdown])
    return plans, sidecars


def declare_external(index: MeshIndex, spec: MeshSpec) -> MeshIndex:
    """Declare to ``index`` what ``spec`` names but does not manage, and return ``index``: its
    ``external`` objects (``meshgw:external``: Gateways, Services, Secrets, workloads,
    DestinationRules of other stacks or tools) and its external workloads. ``plan_mesh``, the
    ``Mesh`` component and ``meshgw render`` all call it, so every analysis of one stack sees the
    same declarations."""
    for w in spec.workloads:
        if w.external is not None:
            index.declare_workload(w.external.namespace, w.name, w.external.labels, w.external.port_numbers)
    for item in spec.external:
        index.declare(item)
    return index


def _check_mesh_egress(
    index: MeshIndex, plans: Mapping[str, EgressPlan], spec: MeshSpec
) -> tuple[list[Problem], list[Problem]]:
    """Check each egress gateway's Gateway and routes against everything else in the mesh (routes
    of other VirtualServices for the same host, IST0109; conflicting Gateways, IST0145)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    position = {e.name: i for i, e in enumerate(spec.egress_gateways)}
    for name, p in plans.items():
        diags = index.check([p.objects.gateway])
        diags.extend(index.check(p.objects.virtual_services))
        e, w = _object_problems(f"egressGateways[{position[name]}]", diags)
        errors.extend(e)
        warnings.extend(w)
    return errors, warnings
