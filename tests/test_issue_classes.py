"""The classes of the first-hour issue that had no test of their own: an error-level finding in
`meshgw render` exits 1; values of the wrong type (an EnvoyFilter `patch.operation` that is a
mapping, a field name such as `a[²]`) are findings with their path; pydantic's words never reach
an egress message; `meshgw diff` refuses a rule of the wrong shape instead of failing inside."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pulumi_meshgw.cli import app
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.spec import MeshSpec

runner = CliRunner()

ENVOY_FILTER = """apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef, namespace: istio-ingress}
spec:
  configPatches:
    - applyTo: HTTP_FILTER
      patch:
        operation: {a: 1}
        value: {name: x}
"""

ODD_FIELD = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g, namespace: ns}
spec:
  selector: {istio: ingressgateway}
  "a[²]": 1
  servers:
    - port: {number: 80, name: http, protocol: HTTP}
      hosts: ["a.example.com"]
"""


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    f = tmp_path / "in.yaml"
    f.write_text(text)
    result = runner.invoke(app, ["check", str(f)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_an_envoy_filter_operation_that_is_a_mapping_is_a_finding(tmp_path: Path) -> None:
    code, out = check(tmp_path, ENVOY_FILTER)
    assert code == 1
    assert (
        "error: EnvoyFilter istio-ingress/ef spec.configPatches[0].patch.operation: expected string, "
        "got object {a: 1} [IST0106]"
    ) in out


def test_a_field_name_with_brackets_is_named_in_check(tmp_path: Path) -> None:
    code, out = check(tmp_path, ODD_FIELD)
    assert code == 1
    assert 'error: Gateway ns/g spec.a[²]: unknown field "a[²]"; allowed: selector, servers [IST0106]' in out


@pytest.mark.parametrize("key", ["a[²]", "a[0]", "Hosts", "function-x"])
def test_a_config_key_that_looks_like_pydantics_own_is_named_in_the_path(key: str) -> None:
    server: dict[str, Any] = {
        "port": {"number": 80, "name": "http", "protocol": "HTTP"},
        "hosts": ["a.example.com"],
    }
    server[key] = 1
    with pytest.raises(ConfigError) as err:
        MeshSpec.from_config({"gateways": [{"name": "g", "workload": "w", "servers": [server]}]})
    problem = err.value.problems[0]  # then the undeclared workload 'w'
    assert problem.path == f"gateways[0].servers[0].{key}"
    assert problem.message.startswith(f"unknown field '{key}'")


def test_egress_type_errors_are_in_the_projects_words_with_paths() -> None:
    destinations: list[Any] = [
        {"host": "api.example.com", "port": "x", "mode": "http", "sources": "shop"},
        {
            "host": "b.example.com",
            "port": 443,
            "mode": "tls-origination",
            "origination": [1],
            "sources": [{"namespace": 5}],
        },
        7,
    ]
    with pytest.raises(ConfigError) as err:
        MeshSpec.from_config(
            {
                "egressGateways": [
                    {"name": "egress", "namespace": "istio-egress", "destinations": destinations}
                ]
            }
        )
    got = [(p.path, p.message) for p in err.value.problems]
    assert got == [
        ("egressGateways[0].destinations[0].port", "must be a whole number (got 'x')"),
        ("egressGateways[0].destinations[0].sources", "must be a list (got 'shop')"),
        ("egressGateways[0].destinations[1].sources[0].namespace", "must be a string (got 5)"),
        ("egressGateways[0].destinations[1].origination", "must be a mapping (got [1])"),
        ("egressGateways[0].destinations[2]", "must be a mapping (got 7)"),
    ]
    for _, message in got:
        for words in ("Input should", "instance of", "valid dictionary", "Field required", "Spec"):
            assert words not in message


def test_render_exits_1_when_the_analysis_finds_an_error(tmp_path: Path) -> None:
    # A program that registers a raw VirtualService bound to a Gateway nobody declared: no
    # component stops it, and the analysis of the render reports it as an error.
    (tmp_path / "Pulumi.yaml").write_text("name: raw\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi_kubernetes as k8s\n"
        "k8s.apiextensions.CustomResource('vs', api_version='networking.istio.io/v1',\n"
        "    kind='VirtualService',\n"
        "    metadata={'name': 'shop', 'namespace': 'shop'},\n"
        "    spec={'hosts': ['shop.example.com'], 'gateways': ['istio-ingress/nope'],\n"
        "          'http': [{'route': [{'destination': {'host': 'shop.shop.svc.cluster.local'}}]}]})\n"
    )
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "out"), "-C", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "  - error: VirtualService shop/shop spec.gateways[0]:" in result.stdout
    assert "[IST0101]" in result.stdout


AP = """apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: istio-ingress}
spec:
  action: DENY
  rules:
"""


def test_diff_refuses_a_rule_of_the_wrong_shape_with_its_path(tmp_path: Path) -> None:
    base, head = tmp_path / "base.yaml", tmp_path / "head.yaml"
    base.write_text(AP + "    - from: [{source: {ipBlocks: [1.2.3.4]}}]\n")
    head.write_text(AP + "    - from: {a: 1}\n      to: [{operation: [1]}]\n")
    result = runner.invoke(app, ["diff", str(base), str(head)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {head}:1: AuthorizationPolicy istio-ingress/p spec.rules[0].from: expected array, got "
        "object {a: 1} [IST0106]"
    )


ROUTE_TO_UNKNOWN_HOST = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: shop}
spec:
  hosts: [shop.shop.svc.cluster.local]
  http:
    - route: [{destination: {host: elsewhere.other.svc.cluster.local}}]
"""


def test_check_names_declare_for_every_kind_of_object_managed_elsewhere(tmp_path: Path) -> None:
    _, out = check(tmp_path, ROUTE_TO_UNKNOWN_HOST)
    [line] = [x for x in out.splitlines() if "elsewhere.other.svc.cluster.local" in x]
    assert "declare it (meshgw check --declare FILE, see docs/checks.md) [IST0101]" in line
