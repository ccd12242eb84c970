"""Pod Security Standards ``restricted`` (pulumi_meshgw/analysis/pod_security.py) over every pod
template the stacks render, before and after Istio's gateway injection template is applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis.pod_security import CHECKS, restricted_violations
from pulumi_meshgw.plan import plan_mesh
from pulumi_meshgw.render._strategic import strategic_merge
from pulumi_meshgw.spec import MeshSpec

from .conftest import STACKS, minimal_mesh, stack_config

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = Path(__file__).resolve().parent / "corpus"
INJECTION = yaml.safe_load((FIXTURES / "istio" / "gateway-injection.yaml").read_text())["spec"]


def pod_templates() -> list[tuple[str, dict[str, Any]]]:
    configs = [(env, stack_config(env)) for env in ("dev", "staging", "prod")]
    configs += [
        (p.stem, yaml.safe_load(p.read_text())) for p in sorted((CORPUS / "good_config").glob("*.yaml"))
    ]
    configs.append(("minimal", minimal_mesh()))
    out = []
    for name, config in configs:
        plan = plan_mesh(MeshSpec.from_config(config), base_dir=STACKS)
        for m in plan.manifests():
            if m["kind"] == "Deployment":
                out.append((f"{name}/{m['metadata']['namespace']}/{m['metadata']['name']}", m))
    return out


TEMPLATES = pod_templates()


def test_there_are_pod_templates_to_check() -> None:
    assert len(TEMPLATES) >= 6


@pytest.mark.parametrize(("name", "deployment"), TEMPLATES, ids=[n for n, _ in TEMPLATES])
def test_rendered_pod_is_restricted_before_and_after_injection(name: str, deployment: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert restricted_violations(pod) == []
    injected = strategic_merge(pod, INJECTION)
    (proxy,) = injected["containers"]
    assert (
        proxy["image"].startswith("docker.io/istio/proxyv2") and proxy["securityContext"]["runAsUser"] == 1337
    )
    assert restricted_violations(injected) == []


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"hostNetwork": True}, "hostNamespaces"),
        ({"hostPID": True}, "hostNamespaces"),
        ({"containers": [{"name": "istio-proxy", "securityContext": {"privileged": True}}]}, "privileged"),
        (
            {"containers": [{"name": "istio-proxy", "securityContext": {"allowPrivilegeEscalation": True}}]},
            "allowPrivilegeEscalation",
        ),
        (
            {"containers": [{"name": "istio-proxy", "securityContext": {"runAsNonRoot": False}}]},
            "runAsNonRoot",
        ),
        ({"containers": [{"name": "istio-proxy", "securityContext": {"runAsUser": 0}}]}, "runAsUser"),
        (
            {"containers": [{"name": "istio-proxy", "securityContext": {"capabilities": {"drop": []}}}]},
            "capabilities_restricted",
        ),
        (
            {"containers": [{"name": "istio-proxy", "ports": [{"containerPort": 80, "hostPort": 80}]}]},
            "hostPorts",
        ),
        ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "seccompProfile_baseline"),
        ({"securityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]}}, "sysctls"),
        ({"volumes": [{"name": "h", "hostPath": {"path": "/var/run"}}]}, "hostPathVolumes"),
        ({"volumes": [{"name": "n", "nfs": {"server": "x", "path": "/"}}]}, "volumeTypes_restricted"),
    ],
)
def test_each_check_fails_a_weakened_pod(change: dict[str, Any], check: str) -> None:
    assert check in CHECKS
    pod = strategic_merge(TEMPLATES[0][1]["spec"]["template"]["spec"], change)
    assert check in {v.check for v in restricted_violations(pod)}
