"""Public facts about a PEM certificate, written as annotations on the Secrets that carry it.

Secret values stay secret (``[secret]`` in every render), so a reviewer could not tell that a
certificate or trust anchor changed. A certificate is public, though: its SHA-256 fingerprint and
expiry go on the Secret as annotations, which ``meshgw diff`` reads. Only the first certificate of
a PEM bundle is described (the leaf of a chain, the first anchor of a CA bundle); the fingerprint
covers that one certificate's DER bytes, as ``openssl x509 -fingerprint -sha256`` prints it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CA_EXPIRY_ANNOTATION",
    "CA_SHA256_ANNOTATION",
    "CERT_EXPIRY_ANNOTATION",
    "CERT_SHA256_ANNOTATION",
    "certificate_annotations",
    "certificate_facts",
]

CERT_SHA256_ANNOTATION = "meshgw.dev/certificate-sha256"
"""Lower-case hex SHA-256 of the first certificate's DER encoding."""

CERT_EXPIRY_ANNOTATION = "meshgw.dev/certificate-not-after"
"""The first certificate's ``notAfter``, as an RFC 3339 UTC time (``2027-01-31T12:00:00Z``)."""

CA_SHA256_ANNOTATION = "meshgw.dev/ca-sha256"
"""The same as :data:`CERT_SHA256_ANNOTATION` for the CA bundle (``ca.crt``) of a Secret."""

CA_EXPIRY_ANNOTATION = "meshgw.dev/ca-not-after"
"""The same as :data:`CERT_EXPIRY_ANNOTATION` for the CA bundle (``ca.crt``) of a Secret."""


def certificate_facts(pem: str) -> tuple[str, str] | None:
    """(SHA-256 fingerprint, notAfter) of the first certificate in ``pem``.

    Args:
        pem: PEM text holding one or more certificates.

    Returns:
        The lower-case hex fingerprint and the RFC 3339 UTC expiry, or None when ``pem`` holds no
        readable certificate (the plan's own checks report that with the config path).
    """
    # Imported here: most renders hold no PEM text, and cryptography is slow to import.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_pem_x509_certificates(pem.encode())[0]
    except (ValueError, IndexError):
        return None
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    return fingerprint, cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def certificate_annotations(cert: Any = None, ca: Any = None) -> dict[str, str]:
    """The annotations for a Secret holding ``cert`` (``tls.crt``) and ``ca`` (``ca.crt``).

    Args:
        cert: PEM text, or a deploy-time value (a Pulumi Output) that render does not inspect.
        ca: The same for the CA bundle.

    Returns:
        The fingerprint and expiry annotations of each one given as PEM text; none for the others.
    """
    out: dict[str, str] = {}
    for pem, keys in (
        (cert, (CERT_SHA256_ANNOTATION, CERT_EXPIRY_ANNOTATION)),
        (ca, (CA_SHA256_ANNOTATION, CA_EXPIRY_ANNOTATION)),
    ):
        facts = certificate_facts(pem) if isinstance(pem, str) else None
        if facts is not None:
            out.update(zip(keys, facts, strict=True))
    return out
