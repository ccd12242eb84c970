"""Registered outputs: what a program composes with, typed and the same in every language."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from pulumi_meshgw import EgressGateway, IngressGateway, Mesh
from pulumi_meshgw.components._runtime import _ingress_address
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
HTTPS = {
    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
    "hosts": ["shop.example.com"],
    "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
}
LEGACY = {**HTTPS, "port": {"number": 8443, "name": "legacy", "protocol": "HTTPS"}}


def outputs(name: str, program: Any) -> dict[str, Any]:
    return dict(run(program).by_name(name).outputs)


def test_ingress_gateway_outputs() -> None:
    legacy = {**LEGACY, "tls": {"mode": "SIMPLE", "credentialName": "legacy-cert"}}
    out = outputs(
        "public", lambda: IngressGateway("public", exposure="public", servers=[HTTP, HTTPS, legacy])
    )
    assert out["ref"] == "istio-ingress/public"
    assert out["serviceName"] == "public"
    assert out["serviceFqdn"] == "public.istio-ingress.svc.cluster.local"
    assert out["tlsSecretNames"] == ["legacy-cert", "public-https-cert"]
    # The mock engine gives a Service no status: no address yet.
    assert out["loadBalancerAddress"] == ""
    workload = outputs("public-workload", lambda: IngressGateway("public", exposure="public", servers=[HTTP]))
    assert workload["selector"] == {"app": "public", "istio": "public"}


def test_load_balancer_address_comes_from_the_service_status() -> None:
    def status(*ingress: dict[str, str]) -> Any:
        return SimpleNamespace(load_balancer=SimpleNamespace(ingress=[SimpleNamespace(**i) for i in ingress]))

    assert _ingress_address(status({"hostname": "abc.elb.amazonaws.com"})) == "abc.elb.amazonaws.com"
    assert _ingress_address(status({"ip": "203.0.113.7", "hostname": "x"})) == "203.0.113.7"
    assert _ingress_address(status()) == ""
    assert _ingress_address(None) == ""


def test_egress_gateway_outputs() -> None:
    def program() -> None:
        EgressGateway(
            "out",
            egress_ips=["198.51.100.9", "198.51.100.2"],
            destinations=[
                {
                    "host": "api.example.com",
                    "port": 443,
                    "mode": "tls-passthrough",
                    "sources": [{"namespace": "shop"}],
                }
            ],
        )

    out = outputs("out", program)
    assert out["ref"] == "istio-egress/out"
    assert out["serviceFqdn"] == "out.istio-egress.svc.cluster.local"
    assert out["destinations"] == [
        {"host": "api.example.com", "port": 443, "mode": "tls-passthrough", "meshPort": 443}
    ]
    assert out["egressIps"] == ["198.51.100.2", "198.51.100.9"]


def test_mesh_outputs() -> None:
    out = outputs("mesh", lambda: Mesh("mesh", minimal_mesh()))
    assert out["gatewayRefs"] == out["gateways"] and all("/" in r for r in out["gatewayRefs"].values())
    assert all(f.endswith(".svc.cluster.local") for f in out["serviceFqdns"].values())
