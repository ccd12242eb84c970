"""cert-manager ``Certificate`` objects that write gateway TLS Secrets."""

from __future__ import annotations

from collections.abc import Sequence

from ..constants import CERT_MANAGER
from ..spec.istio import CertManager
from ._meta import Manifest, manifest, object_meta, standard_labels

__all__ = ["render_certificate"]


def render_certificate(
    name: str,
    namespace: str,
    secret_name: str,
    dns_names: Sequence[str],
    source: CertManager,
    owner: str = "",
) -> Manifest:
    """A Certificate whose Secret lands in the gateway pods' namespace.

    Defaults: ECDSA P-256, the private key rotated on every renewal (``rotationPolicy: Always``), and
    the Secret labelled so it is recognisable as a gateway credential.
    """
    return manifest(
        CERT_MANAGER,
        "Certificate",
        object_meta(name, namespace, standard_labels(owner or name, "tls-credential")),
        spec={
            "secretName": secret_name,
            "dnsNames": sorted(dict.fromkeys(dns_names)),
            "issuerRef": source.issuer_ref.dump(),
            "duration": source.duration,
            "renewBefore": source.renew_before,
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "secretTemplate": {"labels": standard_labels(owner or name, "tls-credential")},
        },
    )
