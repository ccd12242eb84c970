"""MGW0208 (pulumi_meshgw/analysis/policy_ports.py): an AuthorizationPolicy port that is a Service
port whose targetPort differs, over any YAML."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pulumi_meshgw.analysis import policy_ports
from pulumi_meshgw.analysis.engine import analyze_manifests
from pulumi_meshgw.cli import app
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.spec import MeshSpec

from .conftest import minimal_mesh, plan


def service(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
        "spec": {"selector": {"istio": "ingressgateway"}, "ports": ports},
    }


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
        "spec": {
            "selector": {"matchLabels": {"istio": "ingressgateway"}},
            "template": {
                "metadata": {"labels": {"istio": "ingressgateway"}},
                "spec": {"containers": [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.28.0"}]},
            },
        },
    }


def policy(ports: list[str], field: str = "ports", namespace: str = "istio-system") -> dict[str, Any]:
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "jwt", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"istio": "ingressgateway"}},
            "action": "DENY",
            "rules": [{"to": [{"operation": {field: ports}}]}],
        },
    }


STOCK = [
    {"name": "http2", "port": 80, "targetPort": 8080},
    {"name": "https", "port": 443, "targetPort": 8443},
]


def codes(objs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(d.code, d.name, d.path) for d in analyze_manifests(objs) if d.code == "MGW0208"]


def test_metadata_is_declared() -> None:
    assert policy_ports.CODES == ("MGW0208",)
    assert "security.istio.io/AuthorizationPolicy" in policy_ports.INPUTS


@pytest.mark.parametrize("field", ["ports", "notPorts"])
def test_service_port_with_another_target_port_is_reported(field: str) -> None:
    found = analyze_manifests([service(STOCK), deployment(), policy(["443"], field)])
    (d,) = [d for d in found if d.code == "MGW0208"]
    assert (d.kind, d.namespace, d.name) == ("AuthorizationPolicy", "istio-system", "jwt")
    assert d.path == f"spec.rules[0].to[0].operation.{field}[0]"
    assert "targetPort 8443" in d.message and d.message.endswith("Write 8443")


@pytest.mark.parametrize(
    ("ports", "svc_ports", "namespace"),
    [
        (["8443"], STOCK, "istio-system"),  # the container port: right
        (["443"], [{"name": "https", "port": 443, "targetPort": 443}], "istio-system"),  # identity
        (["443"], [{"name": "https", "port": 443}], "istio-system"),  # targetPort defaults to port
        (["443"], [{"name": "https", "port": 443, "targetPort": "https"}], "istio-system"),  # named
        (["443"], [*STOCK, {"name": "alt", "port": 9443, "targetPort": 443}], "istio-system"),  # ambiguous
        (["443"], STOCK, "other"),  # the selector does not reach istio-system pods
    ],
)
def test_no_finding(ports: list[str], svc_ports: list[dict[str, Any]], namespace: str) -> None:
    assert codes([service(svc_ports), deployment(), policy(ports, namespace=namespace)]) == []


def test_planner_reports_an_override_that_remaps_the_service() -> None:
    # A managed Service whose targetPort an override changes: the rendered policy names the
    # Service port, which the analysis catches at plan time.
    m = minimal_mesh()
    m["gateways"][0]["firewall"] = {"deny": ["192.0.2.0/24"]}
    m["workloads"][0]["overrides"] = {
        "Service": {"spec": {"ports": [{"port": 443, "name": "https", "targetPort": 8443}]}}
    }
    with pytest.raises(ConfigError, match="MGW0208"):
        plan(m)
    del m["workloads"][0]["overrides"]
    assert MeshSpec.from_config(m) and plan(m)


def test_meshgw_check_reports_it_in_yaml(tmp_path: Any) -> None:
    f = tmp_path / "stock.yaml"
    f.write_text(yaml.safe_dump_all([service(STOCK), deployment(), policy(["443"])]))
    result = CliRunner().invoke(app, ["check", "--no-schema", str(f)])
    assert result.exit_code == 1
    assert (
        "error: AuthorizationPolicy istio-system/jwt spec.rules[0].to[0].operation.ports[0]" in result.output
    )
