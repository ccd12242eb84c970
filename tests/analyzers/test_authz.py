"""AuthorizationPolicy analyzer (:mod:`pulumi_meshgw.analysis.analyzers.authz`)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_meshgw.analysis import MeshIndex

from ._objects import codes, meta, service, workload


def _ip_policy(action: str = "ALLOW") -> dict[str, Any]:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta("office"),
        "spec": {
            "selector": {"matchLabels": {"istio": "ingress"}},
            "action": action,
            "rules": [{"from": [{"source": {"ipBlocks": ["203.0.113.0/24"]}}]}],
        },
    }


@pytest.mark.parametrize(
    ("svc_spec", "annotations", "flagged"),
    [
        ({"type": "LoadBalancer"}, {}, True),  # Kubernetes' default policy is Cluster
        ({"type": "LoadBalancer", "externalTrafficPolicy": "Local"}, {}, False),
        ({"type": "ClusterIP"}, {}, False),
        (
            {"type": "LoadBalancer", "externalTrafficPolicy": "Local"},
            {"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip"},
            True,
        ),
        (
            {"type": "LoadBalancer", "externalTrafficPolicy": "Local"},
            {
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": (
                    "preserve_client_ip.enabled=true"
                ),
            },
            False,
        ),
    ],
)
def test_ip_policies_need_the_client_address(
    svc_spec: dict[str, Any], annotations: dict[str, str], flagged: bool
) -> None:
    svc = service(**svc_spec)
    svc["metadata"]["annotations"] = annotations
    index = MeshIndex()
    index.add([workload(), svc])
    found = codes(index.check([_ip_policy()]))
    assert found == ([("MGW0201", "spec.rules[0].from[0].source.ipBlocks")] if flagged else [])
