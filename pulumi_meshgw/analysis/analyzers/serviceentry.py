"""ServiceEntry analyzers.

After Istio's ``pkg/config/analysis/analyzers/serviceentry/protocoladdresses.go`` (IST0134: a TCP
port, or one without a protocol, on a ServiceEntry without addresses).
"""

from __future__ import annotations

from .._access import Manifest, integer, key_of, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..index import (
    ISTIO_NETWORKING_GROUP,
    MeshIndex,
)
from ._base import Analyzer
from ._base import diag as _diag


def _check_service_entry(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    """IST0134: a TCP port on a ServiceEntry without addresses."""
    key = key_of(obj)
    spec = mapping(obj.get("spec"))
    if seq(spec.get("addresses")):
        return []
    out: list[Diagnostic] = []
    for i, raw in enumerate(seq(spec.get("ports"))):
        port = mapping(raw)
        protocol = (text(port.get("protocol")) or "").upper()
        if protocol in ("", "TCP"):
            number = integer(port.get("number"))
            out.append(
                _diag(
                    key,
                    "IST0134",
                    Level.WARNING,
                    f"spec.ports[{i}]",
                    f"port {number} is {'TCP' if protocol else 'without a protocol (TCP)'} and the "
                    "ServiceEntry has no addresses: sidecars cannot tell its traffic from any other TCP "
                    f"traffic on port {number}, so it is sent to the wrong place or not captured, unless "
                    "DNS capture with address auto-allocation is on. Add addresses, or a protocol "
                    "Istio can route by name (HTTP, TLS)",
                )
            )
    return out


ANALYZER = Analyzer(
    name="serviceentry",
    subjects=frozenset({(ISTIO_NETWORKING_GROUP, "ServiceEntry")}),
    inputs=frozenset({(ISTIO_NETWORKING_GROUP, "ServiceEntry")}),
    codes=frozenset({"IST0134"}),
    check=_check_service_entry,
)
