"""TLS Secrets that gateway servers reference by ``credentialName``."""

from __future__ import annotations

from typing import Any

from ._meta import Manifest, manifest, object_meta, standard_labels
from .certinfo import certificate_annotations

__all__ = ["render_tls_secret"]


def render_tls_secret(
    name: str, namespace: str, cert: Any, key: Any, ca: Any = None, owner: str = ""
) -> Manifest:
    """A ``kubernetes.io/tls`` Secret with ``tls.crt``, ``tls.key`` and, for MUTUAL, ``ca.crt``.

    It must live in the namespace where the gateway pods run: Istio's SDS reads ``credentialName``
    from the proxy's own namespace and refuses cross-namespace references.

    The values may be strings or deploy-time values (Pulumi Outputs); render does not look at them,
    except that a certificate given as PEM text gets its public fingerprint and expiry as
    annotations (:mod:`.certinfo`), so a reviewer sees a certificate change in ``meshgw diff``.
    """
    data: dict[str, Any] = {"tls.crt": cert, "tls.key": key}
    if ca is not None:
        data["ca.crt"] = ca
    return manifest(
        "v1",
        "Secret",
        object_meta(
            name,
            namespace,
            standard_labels(owner or name, "tls-credential"),
            certificate_annotations(cert, ca),
        ),
        type="kubernetes.io/tls",
        stringData=data,
    )
