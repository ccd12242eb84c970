"""Planning one Gateway (its credentials and checks) and the Service ports of a workload."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError, Problem
from ..pem_files import PemFiles, PemSource
from ..render._scope import gateway_scopes
from ..render.functions import render_gateway_functions
from ..render.gateway import render_gateway
from ..render.service import ServicePortSpec
from ..spec.hardening import gateway_hardening
from ..spec.resources import GatewaySpec
from ..spec.security import firewall_warnings, gateway_security_problems
from ..spec.workload import WorkloadSpec
from .credentials import ca_credential_for, credentials_for
from .diagnostics import sub_path
from .model import Credential, GatewayPlan

__all__ = ["plan_gateway", "service_ports"]


def plan_gateway(
    spec: GatewaySpec,
    workload: WorkloadSpec,
    *,
    base_dir: Path | None = None,
    prefix: str = "",
    files: PemSource | None = None,
) -> GatewayPlan:
    """Render a Gateway and the credentials its servers need.

    Raises:
        ConfigError: certificate files are missing or invalid, or a generated certificate has no name.
    """
    files = files if files is not None else PemFiles(base_dir)
    problems: list[Problem] = []
    cert_warnings: list[Problem] = []
    creds: list[Credential] = []
    for i in range(len(spec.servers)):
        c = credentials_for(spec, i, workload, files, problems, prefix, cert_warnings)
        if c is not None:
            creds.append(c)
        ca = ca_credential_for(spec, i, workload, files, problems, prefix)
        if ca is not None:
            creds.append(ca)
    for i, server in enumerate(spec.servers):
        t = server.tls
        if t is not None and t.subject_alt_names and not (t.mode is not None and t.mode.needs_client_ca):
            mode = t.mode.value if t.mode is not None else "unset"
            problems.append(
                Problem(
                    sub_path(prefix, ("servers", i, "tls", "subjectAltNames")),
                    f"mode {mode} does not ask clients for certificates, so subjectAltNames (which "
                    "restrict the client certificates a MUTUAL server accepts) do nothing; use mode "
                    "MUTUAL or OPTIONAL_MUTUAL, or remove them",
                    "MGW0152",
                )
            )
    for sub, msg, code in gateway_security_problems(spec, workload):
        problems.append(Problem(sub_path(prefix, sub), msg, code))
    for sub, msg in _policy_port_problems(spec, workload):
        problems.append(Problem(sub_path(prefix, sub), msg, "MGW0156"))
    hardening_errors, hardening_warnings = gateway_hardening(spec, workload)
    problems.extend(Problem(sub_path(prefix, sub), msg, code) for sub, msg, code in hardening_errors)
    if problems:
        raise ConfigError(problems)
    names = {c.server_index: c.name for c in creds if not c.ca_only}
    namespace = spec.namespace or workload.pod_namespace
    manifest = render_gateway(spec, namespace, workload.selector_labels, names)
    extras = render_gateway_functions(spec, workload, namespace)
    warnings = [Problem(sub_path(prefix, sub), msg, "MGW0154") for sub, msg in firewall_warnings(spec)]
    warnings += [Problem(sub_path(prefix, sub), msg, code) for sub, msg, code in hardening_warnings]
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
