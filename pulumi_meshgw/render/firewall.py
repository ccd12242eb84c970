"""IP firewall of a Gateway: a DENY AuthorizationPolicy, and what the workload needs for it.

Why DENY rules only, also for allow-lists: an ALLOW policy on a workload turns every request that
matches no ALLOW rule into a 403. The gateway pods are shared by every Gateway bound to the
workload, and JWT or other ALLOW policies may select them too, so an allow-list written as ALLOW
would cut traffic that has nothing to do with it. An allow-list is therefore rendered as "DENY
requests to this Gateway's hosts and ports whose client is *not* in the list" (``notIpBlocks``),
which restricts exactly what it names and composes with any other policy.

Where the client address comes from is the workload's ``network.topology``: ``direct`` matches the
connection's peer (``ipBlocks``, which needs ``externalTrafficPolicy: Local``), ``proxied`` matches
the address Envoy derives from ``X-Forwarded-For`` with ``numTrustedProxies`` (``remoteIpBlocks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..spec.resources import GatewaySpec
from ..spec.security import NetworkTopology, parse_cidr
from ..spec.workload import Cloud, Exposure, WorkloadSpec
from ._meta import Manifest, standard_labels
from ._scope import Scope, gateway_scopes
from .authorization_policy import render_authorization_policy
from .service import load_balancer_annotations

__all__ = [
    "PRESERVE_CLIENT_IP",
    "derived_source_ranges",
    "firewall_policy_name",
    "render_firewall",
    "workload_with_firewall",
]

PRESERVE_CLIENT_IP = "preserve_client_ip.enabled=true"
_AWS_TG_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
_AWS_TARGET_TYPE = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"


def firewall_policy_name(spec: GatewaySpec) -> str:
    return f"{spec.name}-firewall"


def _blocks(values: Sequence[str]) -> list[str]:
    # Sorted and de-duplicated: the set is what matters, and a reorder must not show as a diff.
    return sorted(set(values))


def _rules(scopes: Sequence[Scope], field: str, blocks: Sequence[str]) -> list[dict[str, Any]]:
    if not blocks:
        return []
    return [s.rule(from_=[{"source": {field: _blocks(blocks)}}]) for s in scopes]


def render_firewall(spec: GatewaySpec, workload: WorkloadSpec) -> list[Manifest]:
    """The Gateway's IP rules as one DENY AuthorizationPolicy ``<gateway>-firewall``, or nothing.

    Lives in the workload's pod namespace and selects its pods. Rules, in this order: the
    gateway-wide deny-list, the gateway-wide allow-list (as "not in the list"), then each
    ``firewall.hosts`` entry's deny- and allow-list, narrowed to that host. A client must pass the
    gateway-wide and the host allow-lists; any deny-list that matches wins.

    Args:
        spec: The Gateway.
        workload: Its workload (pod namespace, selector, network topology).

    Returns:
        ``[AuthorizationPolicy]``, or ``[]`` without firewall rules.
    """
    fw = spec.firewall
    if fw is None or not fw.has_rules:
        return []
    remote = workload.network.topology is NetworkTopology.PROXIED
    ip, not_ip = ("remoteIpBlocks", "notRemoteIpBlocks") if remote else ("ipBlocks", "notIpBlocks")
    everything = gateway_scopes(spec, target_port=workload.target_port)
    rules = [*_rules(everything, ip, fw.deny), *_rules(everything, not_ip, fw.allow)]
    for h in fw.hosts:
        scoped = gateway_scopes(spec, [h.host], target_port=workload.target_port)
        rules.extend(_rules(scoped, ip, h.deny))
        rules.extend(_rules(scoped, not_ip, h.allow))
    return [
        render_authorization_policy(
            firewall_policy_name(spec),
            workload.pod_namespace,
            workload.selector_labels,
            rules,
            action="DENY",
            labels=standard_labels(spec.name, "gateway-firewall", spec.labels),
        )
    ]


def _has_ip_rules(gw: GatewaySpec) -> bool:
    return gw.firewall is not None and gw.firewall.has_rules


def derived_source_ranges(gateways: Sequence[GatewaySpec]) -> list[str] | None:
    """``loadBalancerSourceRanges`` implied by the Gateways on one workload, or None.

    The load balancer filters before any Gateway sees a packet, so it may only drop what *every*
    Gateway on the workload drops: the ranges are the union of the gateway-wide allow-lists, and
    only when every Gateway bound to the workload has one. Per-host allow-lists never narrow the
    load balancer (other hosts share it). Single addresses become ``/32`` (``/128``) ranges.
    """
    if not gateways or any(g.firewall is None or not g.firewall.allow for g in gateways):
        return None
    nets = {str(parse_cidr(c)) for g in gateways for c in (g.firewall.allow if g.firewall else [])}
    return sorted(nets)


def workload_with_firewall(spec: WorkloadSpec, gateways: Sequence[GatewaySpec]) -> WorkloadSpec:
    """The workload as it must be rendered for the IP rules of the Gateways bound to it.

    Unchanged without IP rules or for an external workload. With IP rules:

    - the NetworkPolicy on the gateway pods is turned on, unless ``networkPolicy.enabled`` was
      set explicitly;
    - topology ``direct`` on a LoadBalancer: ``loadBalancerSourceRanges`` from
      :func:`derived_source_ranges` unless ``service.loadBalancerSourceRanges`` is set; and on AWS
      NLBs with ``ip`` targets, the target group attribute ``preserve_client_ip.enabled=true``
      (off by default for such targets, which would hide the client address), appended to any
      ``target-group-attributes`` annotation the user set.

    ``externalTrafficPolicy`` is already ``Local`` by default; an explicit ``Cluster`` is refused
    by the planner, not overridden.
    """
    if spec.is_external or not any(_has_ip_rules(g) for g in gateways):
        return spec
    update: dict[str, Any] = {}
    if "enabled" not in spec.network_policy.model_fields_set:
        update["network_policy"] = spec.network_policy.model_copy(update={"enabled": True})
    lb = spec.exposure is not Exposure.CLUSTER
    if lb and spec.network.topology is NetworkTopology.DIRECT:
        service: dict[str, Any] = {}
        ranges = derived_source_ranges(gateways)
        if spec.service.load_balancer_source_ranges is None and ranges:
            service["load_balancer_source_ranges"] = ranges
        if spec.cloud is Cloud.AWS:
            annotations = {**load_balancer_annotations(spec), **spec.service.annotations}
            current = annotations.get(_AWS_TG_ATTRIBUTES, "")
            if annotations.get(_AWS_TARGET_TYPE) == "ip" and "preserve_client_ip.enabled" not in current:
                value = f"{current},{PRESERVE_CLIENT_IP}" if current else PRESERVE_CLIENT_IP
                service["annotations"] = {**spec.service.annotations, _AWS_TG_ATTRIBUTES: value}
        if service:
            update["service"] = spec.service.model_copy(update=service)
    return spec.model_copy(update=update) if update else spec
