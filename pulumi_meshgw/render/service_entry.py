"""The Istio ``ServiceEntry`` (networking.istio.io/v1): an external host added to the mesh registry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..constants import ISTIO_NETWORKING
from ._meta import Manifest, manifest, object_meta

__all__ = ["render_service_entry"]


def render_service_entry(
    name: str,
    namespace: str,
    hosts: Sequence[str],
    ports: Sequence[tuple[int, str, str]],
    *,
    resolution: str = "DNS",
    export_to: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    addresses: Sequence[str] | None = None,
) -> Manifest:
    """Render a ``MESH_EXTERNAL`` ServiceEntry.

    Args:
        name: Object name.
        namespace: Object namespace.
        hosts: The external host names.
        ports: ``(number, name, protocol)`` per port; emitted sorted by number (the set is what
            matters, and a reorder must not show up as a diff).
        resolution: ``DNS`` or ``DNS_ROUND_ROBIN``. Default: ``DNS``. Behind an egress gateway it
            must never be ``NONE``: the gateway would forward to the original destination address,
            its own Service address, and loop.
        export_to: Namespaces that may see the entry (``.`` is its own). Default: unset (all).
        labels: Object labels. Default: none.
        addresses: Virtual IPs of the hosts (sidecars then listen on ``<address>:<port>``, which
            is what tells TCP destinations on one port apart). Default: unset.

    Returns:
        The ServiceEntry as a plain dict.
    """
    spec: dict[str, object] = {
        "hosts": list(hosts),
        **({"addresses": list(addresses)} if addresses else {}),
        "location": "MESH_EXTERNAL",
        "resolution": resolution,
        "ports": [
            {"number": number, "name": pname, "protocol": protocol}
            for number, pname, protocol in sorted(ports)
        ],
    }
    if export_to is not None:
        spec["exportTo"] = list(export_to)
    return manifest(ISTIO_NETWORKING, "ServiceEntry", object_meta(name, namespace, labels), spec=spec)
