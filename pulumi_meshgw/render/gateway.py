"""The Istio ``Gateway`` (networking.istio.io/v1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..constants import ISTIO_NETWORKING
from ..spec.istio import Server
from ..spec.resources import GatewaySpec
from ._meta import Manifest, deep_merge, manifest, object_meta, standard_labels

__all__ = ["render_gateway", "render_server"]

# Certificate file paths live on the proxy's filesystem. The library reads them when the program
# runs and turns them into a Secret, so they must never reach the emitted object.
_NOT_EMITTED = ("certificate", "serverCertificate", "privateKey", "caCertificates")


def render_server(server: Server, credential_name: str | None) -> dict[str, Any]:
    """One server, Istio-shaped.

    ``tls.mode`` is always explicit for HTTPS/TLS servers (an omitted mode means PASSTHROUGH), and a
    terminating server gets ``minProtocolVersion: TLSV1_2`` unless one is given, so the floor shows
    up in review. ``credential_name`` is the Secret the library manages for this server, if any.
    """
    out = server.dump()
    tls = out.get("tls")
    if tls is not None:
        for key in _NOT_EMITTED:
            tls.pop(key, None)
        if server.tls is not None and server.tls.mode is not None:
            tls["mode"] = server.tls.mode.value
            if server.tls.mode.needs_certificate and "minProtocolVersion" not in tls:
                tls["minProtocolVersion"] = "TLSV1_2"
        if credential_name is not None:
            tls["credentialName"] = credential_name
        out["tls"] = dict(sorted(tls.items()))
    out["port"] = {k: out["port"][k] for k in ("number", "name", "protocol")}
    out["port"]["protocol"] = server.port.protocol.value
    return out


def render_gateway(
    spec: GatewaySpec,
    namespace: str,
    selector: Mapping[str, str],
    credential_names: Mapping[int, str],
) -> Manifest:
    """Render a Gateway.

    Args:
        spec: The Gateway spec.
        namespace: Where the Gateway object lives (default: its workload's namespace).
        selector: The workload's pod labels; the selector is derived, never typed twice.
        credential_names: Server index -> the name of the TLS Secret the library made for it.
    """
    servers = [render_server(s, credential_names.get(i)) for i, s in enumerate(spec.servers)]
    obj = manifest(
        ISTIO_NETWORKING,
        "Gateway",
        object_meta(spec.name, namespace, standard_labels(spec.name, "gateway", spec.labels)),
        spec={"selector": dict(sorted(selector.items())), "servers": servers},
    )
    return deep_merge(obj, spec.overrides) if spec.overrides else obj
