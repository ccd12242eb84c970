"""TLS Secrets that gateway servers reference by ``credentialName``."""

from __future__ import annotations

import hashlib
from typing import Any

from ._meta import Manifest, manifest, object_meta, standard_labels

__all__ = ["CA_FINGERPRINT", "CERT_FINGERPRINT", "fingerprint", "fingerprints", "render_tls_secret"]

CERT_FINGERPRINT = "pulumi-meshgw/certificate-sha256"
"""Annotation: SHA-256 of the ``tls.crt`` PEM, so a new certificate shows in a preview diff even
though the Secret's data is shown as ``[secret]``."""
CA_FINGERPRINT = "pulumi-meshgw/ca-sha256"
"""Annotation: SHA-256 of the ``ca.crt`` PEM bundle, for the same reason."""


def fingerprint(pem: str) -> str:
    """SHA-256 (hex) of a PEM text as written, after stripping surrounding whitespace."""
    return hashlib.sha256(pem.strip().encode()).hexdigest()


def fingerprints(cert: Any, ca: Any = None) -> dict[str, str]:
    """The fingerprint annotations of the values that are plain strings (files read at program
    time); deploy-time values get theirs at the component edge."""
    out = {}
    if isinstance(cert, str):
        out[CERT_FINGERPRINT] = fingerprint(cert)
    if isinstance(ca, str):
        out[CA_FINGERPRINT] = fingerprint(ca)
    return out


def render_tls_secret(
    name: str, namespace: str, cert: Any, key: Any, ca: Any = None, owner: str = ""
) -> Manifest:
    """A ``kubernetes.io/tls`` Secret with ``tls.crt``, ``tls.key`` and, for MUTUAL, ``ca.crt``.

    It must live in the namespace where the gateway pods run: Istio's SDS reads ``credentialName``
    from the proxy's own namespace and refuses cross-namespace references.

    The values may be strings or deploy-time values (Pulumi Outputs); render does not look at
    them, except to annotate string certificates with their SHA-256 (:func:`fingerprints`). The
    fingerprint of a certificate or CA bundle is not secret, and it makes a change visible in a
    diff where the data itself shows as ``[secret]``.
    """
    data: dict[str, Any] = {"tls.crt": cert, "tls.key": key}
    if ca is not None:
        data["ca.crt"] = ca
    return manifest(
        "v1",
        "Secret",
        object_meta(
            name, namespace, standard_labels(owner or name, "tls-credential"), fingerprints(cert, ca)
        ),
        type="kubernetes.io/tls",
        stringData=data,
    )
