"""Rules of Istio's validating webhook that the spec models do not carry, over raw Istio specs.

Each rule is Istio's, from ``pkg/config/validation/`` (cited per rule) as ``istioctl validate`` and
istiod's webhook run it, and was found missing by the admission differential
(``e2e/admission_diff.py``). Errors are what Istio rejects, warnings what it returns as a Warning.

One module per kind, as Istio's ``validation.go`` groups its validators: :mod:`.gateway`,
:mod:`.virtualservice`, :mod:`.destinationrule`, :mod:`.serviceentry`, :mod:`.workloadentry`,
:mod:`.sidecar`, :mod:`.security` (AuthorizationPolicy, RequestAuthentication), :mod:`.telemetry`;
what several kinds share (hosts, addresses, ports, labels, exportTo, selectors) is in
:mod:`.common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import Found, istio_dns1123_label, istio_wildcard_domain, validate_export_to, workload_selector
from .destinationrule import validate_destination_rule, validate_traffic_policy
from .gateway import validate_gateway
from .security import validate_authorization_policy, validate_request_authentication
from .serviceentry import validate_port_names, validate_service_entry
from .sidecar import validate_sidecar
from .telemetry import validate_telemetry
from .virtualservice import validate_virtual_service
from .workloadentry import validate_workload_entry

__all__ = ["istio_dns1123_label", "istio_wildcard_domain", "webhook_rules"]


def webhook_rules(kind: str, spec: Mapping[str, Any]) -> Found:
    """Istio's webhook rules for ``spec`` of ``kind`` that the spec models do not carry.

    Args:
        kind: The Istio kind (``DestinationRule``, ``AuthorizationPolicy``...).
        spec: The object's ``spec`` as plain data; malformed parts are skipped (the schema reports
            them).

    Returns:
        (path under ``spec``, level, message) per problem.
    """
    out: Found = []
    for rule in _RULES.get(kind, ()):
        out.extend(rule(spec))
    return out


_RULES: dict[str, tuple[Any, ...]] = {
    "Gateway": (validate_gateway,),
    "VirtualService": (validate_export_to, validate_virtual_service),
    "DestinationRule": (
        validate_export_to,
        workload_selector("workloadSelector", "matchLabels"),
        validate_traffic_policy,
        validate_destination_rule,
    ),
    "ServiceEntry": (
        lambda s: validate_export_to(s, service_entry=True),
        workload_selector("workloadSelector", "labels"),
        validate_service_entry,
        validate_port_names,
    ),
    "Sidecar": (workload_selector("workloadSelector", "labels"), validate_sidecar),
    "WorkloadEntry": (lambda s: validate_workload_entry((), s),),
    "AuthorizationPolicy": (workload_selector("selector", "matchLabels"), validate_authorization_policy),
    "RequestAuthentication": (workload_selector("selector", "matchLabels"), validate_request_authentication),
    "PeerAuthentication": (workload_selector("selector", "matchLabels"),),
    "Telemetry": (workload_selector("selector", "matchLabels"), validate_telemetry),
}
