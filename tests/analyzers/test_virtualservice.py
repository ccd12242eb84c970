"""VirtualService analyzer (:mod:`pulumi_meshgw.analysis.analyzers.virtualservice`)."""

from __future__ import annotations

import pytest

from pulumi_meshgw.analysis import MeshIndex
from pulumi_meshgw.analysis.index import gateway_ref
from pulumi_meshgw.spec.external import ExternalObject

from ._objects import NET, codes, gateway, meta, route, service, workload


def test_declared_external_gateway_with_unknown_hosts_accepts_any_host() -> None:
    index = MeshIndex()
    index.declare(ExternalObject(kind="Gateway", namespace="platform", name="shared"))
    assert index.check([route("r", ["anything.example.com"], ["platform/shared"])]) == []
    index.declare_gateway("platform", "narrow", ["*.apps.example.com"])
    (miss,) = index.check([route("s", ["shop.example.com"], ["platform/narrow"])])
    assert miss.code == "IST0132"


def test_gateway_references_resolve_like_istiod() -> None:
    assert gateway_ref("istio-ingress/public", "shop") == ("istio-ingress", "public")
    assert gateway_ref("public", "shop") == ("shop", "public")
    assert gateway_ref("public.istio-ingress.svc.cluster.local", "shop") == ("istio-ingress", "public")


def test_destination_ports_come_from_services_entries_and_declarations() -> None:
    index = MeshIndex()
    entry = {
        "apiVersion": NET,
        "kind": "ServiceEntry",
        "metadata": meta("partner", "shop"),
        "spec": {
            "hosts": ["*.partner.example.com"],
            "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
        },
    }
    index.add([service("shop", "shop", ports=(8080,)), entry])
    index.declare_service("billing.billing.svc.cluster.local", [80, 9090])
    spec = {
        "http": [
            {
                "route": [
                    {"destination": {"host": "shop", "port": {"number": 8080}}, "weight": 50},
                    {"destination": {"host": "shop", "port": {"number": 9999}}, "weight": 50},
                ]
            },
            {"route": [{"destination": {"host": "billing.billing.svc.cluster.local"}}]},
            {"route": [{"destination": {"host": "api.partner.example.com", "port": {"number": 80}}}]},
            {"route": [{"destination": {"host": "unknown.example.com", "port": {"number": 1}}}]},
        ]
    }
    found = codes(index.check([route("r", ["shop"], None, **spec)]))
    assert found == [
        ("IST0101", "spec.http[0].route[1].destination.port.number"),
        ("IST0112", "spec.http[1].route[0].destination.port"),
        ("IST0101", "spec.http[2].route[0].destination.port.number"),  # via the wildcard entry
    ]


def test_declared_subsets_satisfy_routes() -> None:
    index = MeshIndex()
    index.declare_subsets("shop", ["v1"], namespace="shop")
    body = {"http": [{"route": [{"destination": {"host": "shop", "subset": "v1"}}]}]}
    assert index.check([route("r", ["shop"], None, **body)]) == []


def test_route_kind_must_match_the_server() -> None:
    index = MeshIndex()
    index.add([workload(), service()])
    passthrough = gateway("p", ["shop.example.com"], port=443, tls={"mode": "PASSTHROUGH"})
    passthrough["spec"]["servers"][0]["port"]["protocol"] = "HTTPS"
    index.check([passthrough])
    tls_routes = {
        "http": None,
        "tls": [
            {"match": [{"sniHosts": ["shop.example.com"]}], "route": [{"destination": {"host": "shop"}}]}
        ],
    }
    assert index.check([route("good", ["shop.example.com"], ["istio-ingress/p"], **tls_routes)]) == []
    (bad,) = index.check([route("bad", ["shop.example.com"], ["istio-ingress/p"])])
    assert (bad.code, bad.path) == ("MGW0205", "spec.http")
    assert "uses tls" in bad.message


@pytest.mark.parametrize(
    ("export_a", "export_b", "conflict"),
    [
        (None, None, True),
        (["."], ["*"], True),  # b is visible in a's namespace
        (["."], ["other"], False),  # never visible together
        (["x", "y"], ["y"], True),
    ],
)
def test_mesh_host_routed_twice_is_reported_on_both_where_both_are_visible(
    export_a: list[str] | None, export_b: list[str] | None, conflict: bool
) -> None:
    a = route("a", ["reviews"], None)
    b = route("b", ["reviews.shop.svc.cluster.local"], ["mesh"])
    for vs, export in ((a, export_a), (b, export_b)):
        if export is not None:
            vs["spec"]["exportTo"] = export
    found = [(d.code, d.name, d.path) for d in MeshIndex().check([a, b]) if d.code == "IST0109"]
    expected = [("IST0109", "b", "spec.hosts[0]"), ("IST0109", "a", "spec.hosts")]
    assert found == (expected if conflict else [])
