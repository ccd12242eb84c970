"""Opaque Secrets that hold only a CA bundle, for DestinationRule ``credentialName`` lookups."""

from __future__ import annotations

from typing import Any

from ._meta import Manifest, manifest, object_meta, standard_labels
from .secret import fingerprints

__all__ = ["CA_SECRET_SUFFIX", "render_ca_secret"]

CA_SECRET_SUFFIX = "-cacert"
"""Istio reads the CA of a ``credentialName`` from the Secret ``<credentialName>-cacert`` first, and
only when that does not exist from ``ca.crt`` in ``<credentialName>`` itself
(``pilot/pkg/credentials/kube/secrets.go`` ``GetCaCert``)."""


def render_ca_secret(credential_name: str, namespace: str, ca: Any, owner: str = "") -> Manifest:
    """An Opaque Secret ``<credential_name>-cacert`` with ``ca.crt``.

    Keeping the CA apart from the client certificate lets the two come from different places (a
    cert-manager client certificate, a CA file from the repository) without one overwriting the
    other. It must live in the namespace of the proxy that uses it, like every credential.

    Args:
        credential_name: The ``credentialName`` the DestinationRule names.
        namespace: The egress gateway pods' namespace.
        ca: The PEM bundle (a string, or a deploy-time value that render does not inspect).
        owner: The egress gateway's name, for the labels. Default: the Secret's name.

    Returns:
        The Secret as a plain dict.
    """
    name = f"{credential_name}{CA_SECRET_SUFFIX}"
    return manifest(
        "v1",
        "Secret",
        object_meta(
            name, namespace, standard_labels(owner or name, "tls-credential"), fingerprints(None, ca)
        ),
        type="Opaque",
        stringData={"ca.crt": ca},
    )
