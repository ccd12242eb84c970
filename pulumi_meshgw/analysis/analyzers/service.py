"""Service analyzers: port names and the protocol each port gives the whole mesh.

After Istio's ``pkg/config/analysis/analyzers/service/portname.go`` (IST0118: a port name, or
``appProtocol``, that names no protocol Istio knows, so Istio sniffs the protocol). Our own:
MGW0140, a port declared as HTTP where TLS or TCP traffic travels. Sidecars serve every HTTP port
of the mesh with one listener on ``0.0.0.0:<port>`` (``pilot/pkg/networking/core/listener.go``,
outbound HTTP listeners are per port, not per address), so one Service that declares port 443 as
HTTP turns every pod's outbound TLS on 443 to hosts without a cluster IP into HTTP parsing
(https://github.com/istio/istio/issues/14520).
"""

from __future__ import annotations

from .._access import Key, Manifest, key_of, labels, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..index import HTTP_FAMILY, ISTIO_NETWORKING_GROUP, MeshIndex, service_port_protocol
from ._base import Analyzer
from ._base import diag as _diag

_TLS_PORT = 443
# Services Istio's analyzer skips (util.IsIstioControlPlane, and gateway-managed Services).
_CONTROL_PLANE_LABELS = ("istio", "gateway.istio.io/managed")


def _check_service(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    key = key_of(obj)
    meta_labels = labels(mapping(obj.get("metadata")).get("labels"))
    if any(k in meta_labels for k in _CONTROL_PLANE_LABELS) or meta_labels.get("release") == "istio":
        return []
    spec = mapping(obj.get("spec"))
    out: list[Diagnostic] = []
    for i, raw in enumerate(seq(spec.get("ports"))):
        port = mapping(raw)
        number = port.get("port")
        protocol = service_port_protocol(port)
        name = text(port.get("name")) or ""
        if protocol == "UNSUPPORTED":
            out.append(
                _diag(
                    key,
                    "IST0118",
                    Level.INFO,
                    f"spec.ports[{i}]",
                    f"port name {name!r} (port {number}) does not follow Istio's naming convention "
                    "<protocol>[-<suffix>] and sets no appProtocol, so Istio sniffs the protocol; name "
                    "it http-..., grpc-..., tcp-..., tls-... (or set appProtocol)",
                )
            )
        elif protocol in HTTP_FAMILY and isinstance(number, int):
            out.extend(_http_port_conflicts(index, key, i, number, protocol))
    return out


def _http_port_conflicts(index: MeshIndex, key: Key, i: int, number: int, protocol: str) -> list[Diagnostic]:
    """MGW0140: an HTTP port on a number that carries TLS or TCP elsewhere in the mesh."""
    others = sorted(
        {f"{k[0]} {k[1]}/{k[2]} ({p})" for k, p in index.port_protocols.get(number, []) if k != key}
    )
    if number != _TLS_PORT and not others:
        return []
    where = (
        f"other destinations declare port {number} as TLS or TCP: {', '.join(others)}"
        if others
        else "port 443 is where pods send TLS to external hosts"
    )
    return [
        _diag(
            key,
            "MGW0140",
            Level.ERROR,
            f"spec.ports[{i}]",
            f"port {number} is declared as {protocol} (by its name or appProtocol), and sidecars serve "
            f"every HTTP port of the mesh with one listener on 0.0.0.0:{number}; {where}, so that "
            f"traffic is parsed as HTTP and fails for every pod in the mesh. Name the port "
            f"https-... or tls-... (or set appProtocol) for TLS on {number}, or move the HTTP service to "
            "another port",
        )
    ]


ANALYZER = Analyzer(
    name="service",
    subjects=frozenset({("", "Service")}),
    inputs=frozenset({("", "Service"), (ISTIO_NETWORKING_GROUP, "ServiceEntry")}),
    codes=frozenset({"IST0118", "MGW0140"}),
    check=_check_service,
)
