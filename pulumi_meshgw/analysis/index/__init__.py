"""An incremental index of a mesh's objects, and the cross-object checks that run over it.

Components add what they render, one batch at a time; each batch is checked against everything
declared before it through dictionary look-ups (by gateway reference, by workload label, by workload
and port, by host and host suffix, by secret name), never by scanning every pair, so a mesh of 100
Gateways and 10,000 hosts is checked in time proportional to its size. The same index serves
``meshgw check`` over YAML files: add every object, then check them all.

Objects this program does not manage can be declared (:meth:`MeshIndex.declare`), so that
references to them are not reported as missing.

One module per concern: :mod:`.mesh` (the object store, :class:`MeshIndex`, and the run of the
checks), :mod:`.workloads` (workloads and pods by label), :mod:`.resolution` (service hosts, their
``exportTo`` scopes, ``resolves`` and the DestinationRule lookup), :mod:`.ports` (the protocol of
each port) and :mod:`.gateways` (Gateways, servers and the listeners they claim).

The checks themselves live in :mod:`..analyzers`, one module per concern as Istio lays out
``pkg/config/analysis/analyzers/``; :meth:`MeshIndex.check` runs those whose subjects include each
object's kind. ``docs/checks.md`` documents every code with an example and the fix.
"""

from __future__ import annotations

from ..rule_lookup import ROOT_NAMESPACE, RuleInfo, visible
from .gateways import GatewayInfo, ServerInfo, gateway_ref
from .mesh import GATEWAY_API_GROUP, ISTIO_NETWORKING_GROUP, ISTIO_SECURITY_GROUP, MeshIndex
from .ports import HTTP_FAMILY, service_port_protocol
from .resolution import HostInfo
from .workloads import NsName, WorkloadInfo, selects

__all__ = [
    "GATEWAY_API_GROUP",
    "HTTP_FAMILY",
    "ISTIO_NETWORKING_GROUP",
    "ISTIO_SECURITY_GROUP",
    "ROOT_NAMESPACE",
    "GatewayInfo",
    "HostInfo",
    "MeshIndex",
    "NsName",
    "RuleInfo",
    "ServerInfo",
    "WorkloadInfo",
    "gateway_ref",
    "selects",
    "service_port_protocol",
    "visible",
]
