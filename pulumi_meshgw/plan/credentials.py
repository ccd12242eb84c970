"""TLS material of gateway servers and egress origination: which Secret or Certificate each needs,
and checks of certificate files (parse, key match, expiry, host coverage).

The files themselves are read by the :class:`~pulumi_meshgw.pem_files.PemSource` the caller passes
(:class:`~pulumi_meshgw.pem_files.PemFiles` for files on disk), so planning does no I/O of its own.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Problem
from ..pem_files import PemSource
from ..render._meta import deep_merge
from ..render.ca_secret import render_ca_secret
from ..render.certificate import render_certificate
from ..render.egress import (
    credential_name_for,
)
from ..render.secret import render_tls_secret
from ..spec.egress import EgressGatewaySpec
from ..spec.istio import CertManager
from ..spec.resources import GatewaySpec
from ..spec.workload import WorkloadSpec
from .diagnostics import sub_path
from .model import Credential

__all__ = [
    "ca_credential_for",
    "check_pem_pair",
    "credentials_for",
    "egress_credentials",
    "names_credential",
    "uses_credential",
]


def _dns_names(hosts: Sequence[str]) -> tuple[str, ...]:
    names = []
    for h in hosts:
        name = h.rpartition("/")[2]
        if name != "*":
            names.append(name)
    return tuple(dict.fromkeys(names))


_SWAPPED = "; are serverCertificate and privateKey swapped?"


def check_pem_pair(
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


def credentials_for(
    spec: GatewaySpec,
    index: int,
    workload: WorkloadSpec,
    files: PemSource,
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
    path = sub_path(prefix, ("servers", index, "tls"))
    common: dict[str, Any] = {
        "gateway": spec.name,
        "server_index": index,
        "name": name,
        "namespace": ns,
        "hosts": hosts,
        "needs_ca": needs_ca,
    }
    if tls.server_certificate is not None and tls.private_key is not None:
        cert = files.read(tls.server_certificate, f"{path}.serverCertificate", problems)
        key = files.read(tls.private_key, f"{path}.privateKey", problems)
        ca = None
        if tls.ca_certificates is not None:
            ca = files.read(tls.ca_certificates, f"{path}.caCertificates", problems)
        if cert is None or key is None:
            return None
        check_pem_pair(cert, key, hosts, path, problems, warnings)
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


def ca_credential_for(
    spec: GatewaySpec,
    index: int,
    workload: WorkloadSpec,
    files: PemSource,
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
    path = sub_path(prefix, ("servers", index, "tls", "caCertificates"))
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
    pem = files.read(tls.ca_certificates, path, problems)
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


def names_credential(value: Any) -> bool:
    """Whether a ``credentialName`` appears anywhere in ``value`` (a DestinationRule spec)."""
    if isinstance(value, Mapping):
        return bool(value.get("credentialName")) or any(names_credential(v) for v in value.values())
    if isinstance(value, list):
        return any(names_credential(v) for v in value)
    return False


def egress_credentials(
    spec: EgressGatewaySpec, files: PemSource, prefix: str, problems: list[Problem]
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
            ca = files.read(o.ca_certificates, f"{path}.caCertificates", problems)
            if ca is not None:
                secret = render_ca_secret(name, spec.namespace, ca, owner=spec.name)
                out.append(
                    Credential(name=secret["metadata"]["name"], source="files", manifest=secret, **common)
                )
        if o.mode != "MUTUAL":
            continue
        if o.client_certificate is not None and o.private_key is not None:
            cert = files.read(o.client_certificate, f"{path}.clientCertificate", problems)
            key = files.read(o.private_key, f"{path}.privateKey", problems)
            if cert is None or key is None:
                continue
            found: list[Problem] = []
            check_pem_pair(cert, key, (), path, found)
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
