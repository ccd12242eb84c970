"""AuthorizationPolicy analyzers.

Our own: MGW0201 (an IP allow- or deny-list on gateway pods whose Service loses the client
address). Istio's ``pkg/config/analysis/analyzers/authz/`` holds the policy analyzers it has.
"""

from __future__ import annotations

from .._access import Manifest, key_of, labels, mapping, seq, text
from ..diagnostics import Diagnostic, Level
from ..index import (
    ISTIO_SECURITY_GROUP,
    ROOT_NAMESPACE,
    MeshIndex,
)
from ._base import WORKLOADS, Analyzer
from ._base import diag as _diag

_AWS = "service.beta.kubernetes.io/aws-load-balancer-"


def _client_ip_lost(svc: Manifest) -> str | None:
    """Why pods behind ``svc`` would not see the client's address, or None if they would."""
    spec = mapping(svc.get("spec"))
    if spec.get("type") not in ("LoadBalancer", "NodePort"):
        return None
    policy = text(spec.get("externalTrafficPolicy")) or "Cluster"
    if policy != "Local":
        return (
            f"externalTrafficPolicy is {policy}"
            + (" (the Kubernetes default)" if "externalTrafficPolicy" not in spec else "")
            + ", so nodes forward with SNAT and the gateway sees a node address"
        )
    annotations = labels(mapping(svc.get("metadata")).get("annotations"))
    ip_targets = (
        annotations.get(_AWS + "nlb-target-type") == "ip" or annotations.get(_AWS + "type") == "nlb-ip"
    )
    preserved = "preserve_client_ip.enabled=true" in annotations.get(_AWS + "target-group-attributes", "")
    if ip_targets and not preserved and _AWS + "proxy-protocol" not in annotations:
        return (
            "the AWS NLB sends to pod IPs, where client IP preservation is off by default for TCP, so "
            "the gateway sees the load balancer's address; add the annotation "
            f"{_AWS}target-group-attributes: preserve_client_ip.enabled=true"
        )
    return None


def _check_authorization_policy(index: MeshIndex, obj: Manifest) -> list[Diagnostic]:
    """MGW0201: an IP allow- or deny-list on gateway pods that never see the client's address."""
    key = key_of(obj)
    spec = mapping(obj.get("spec"))
    paths: list[str] = []
    for i, raw_rule in enumerate(seq(spec.get("rules"))):
        rule = mapping(raw_rule)
        for j, src in enumerate(seq(rule.get("from"))):
            source = mapping(mapping(src).get("source"))
            for fname in ("ipBlocks", "notIpBlocks"):
                if seq(source.get(fname)):
                    paths.append(f"spec.rules[{i}].from[{j}].source.{fname}")
        for k, cond in enumerate(seq(rule.get("when"))):
            if mapping(cond).get("key") == "source.ip":
                paths.append(f"spec.rules[{i}].when[{k}]")
    if not paths:
        return []
    selector = labels(mapping(spec.get("selector")).get("matchLabels"))
    scope = None if key[1] == ROOT_NAMESPACE else key[1]
    if selector:
        targets = index.workloads_for(selector, scope)
    else:
        keys = index.workloads_by_ns.get(key[1], set()) if scope is not None else set(index.workloads)
        targets = [index.workloads[k] for k in sorted(keys)]
    for w in targets:
        for svc in index.services_for(w) if w.managed else []:
            reason = _client_ip_lost(svc)
            if reason is None:
                continue
            action = text(spec.get("action")) or "ALLOW"
            effect = (
                "a DENY rule on client addresses never matches"
                if action == "DENY"
                else "an ALLOW rule on client addresses matches no real client (or every client "
                "behind one node)"
            )
            svc_key = key_of(svc)
            return [
                _diag(
                    key,
                    "MGW0201",
                    Level.ERROR,
                    paths[0],
                    f"this policy matches client IP addresses on gateway {w.namespace}/{w.name}, "
                    f"but on its Service {svc_key[1]}/{svc_key[2]} {reason}: {effect}. Set "
                    "externalTrafficPolicy: Local (workload service.externalTrafficPolicy) and keep "
                    "the client IP at the load balancer, or, behind an L7 proxy that sets "
                    "X-Forwarded-For, use remoteIpBlocks",
                )
            ]
    return []


# Workloads -----------------------------------------------------------------------------------


ANALYZER = Analyzer(
    name="authz",
    subjects=frozenset({(ISTIO_SECURITY_GROUP, "AuthorizationPolicy")}),
    inputs=frozenset(
        {
            (ISTIO_SECURITY_GROUP, "AuthorizationPolicy"),
            ("", "Service"),
        }
    )
    | WORKLOADS,
    codes=frozenset({"MGW0201"}),
    check=_check_authorization_policy,
)
