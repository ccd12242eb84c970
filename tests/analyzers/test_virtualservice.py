"""VirtualService analyzer (:mod:`pulumi_meshgw.analysis.analyzers.virtualservice`)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_meshgw.analysis import Level, MeshIndex, analyze_manifests
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


def _to(host: str, ns: str = "istio-ingress", **spec: Any) -> dict[str, Any]:
    vs = route("r", ["shop.example.com"], None, ns=ns, **spec)
    vs["spec"]["http"][0]["route"][0]["destination"] = {"host": host, "port": {"number": 8080}}
    return vs


def _entry(hosts: list[str], ns: str = "partners", **spec: Any) -> dict[str, Any]:
    body = {"hosts": hosts, "ports": [{"number": 8080, "name": "http", "protocol": "HTTP"}], **spec}
    return {"apiVersion": NET, "kind": "ServiceEntry", "metadata": meta("e", ns), "spec": body}


@pytest.mark.parametrize(
    ("objs", "host", "expected"),
    [
        # A short name resolves in the route's namespace: written in the gateway's namespace while
        # the Service lives in "shop", it names nothing, and the message says where it is.
        ([service("shop", "shop", ports=(8080,))], "shop", "did you mean shop.shop.svc.cluster.local"),
        # name.namespace is not a short name (Istio's ConvertHostToFQDN): nothing resolves it
        ([service("shop", "shop", ports=(8080,))], "shop.shop", "did you mean shop.shop.svc.cluster.local"),
        ([service("shop", "shop", ports=(8080,))], "shop.shop.svc.cluster.local", None),
        ([service("shop", "istio-ingress", ports=(8080,))], "shop", None),
        ([_entry(["api.partner.example.com"])], "api.partner.example.com", None),
        ([_entry(["*.partner.example.com"])], "api.partner.example.com", None),
        ([_entry(["api.partner.example.com"], exportTo=["."])], "api.partner.example.com", "visible"),
        ([_entry(["api.partner.example.com"], exportTo=["istio-ingress"])], "api.partner.example.com", None),
        ([], "nowhere.example.com", "visible"),
    ],
)
def test_destination_hosts_resolve_as_istio_does(
    objs: list[dict[str, Any]], host: str, expected: str | None
) -> None:
    found = [d for d in analyze_manifests([*objs, _to(host)]) if d.path.endswith("destination.host")]
    if expected is None:
        assert found == []
    else:
        (d,) = found
        assert (d.code, d.path) == ("IST0101", "spec.http[0].route[0].destination.host")
        assert expected in d.message
        assert d.level is (Level.ERROR if "did you mean" in expected else Level.WARNING)


def test_a_service_exported_elsewhere_is_not_visible() -> None:
    svc = service("shop", "shop", ports=(8080,))
    svc["metadata"]["annotations"] = {"networking.istio.io/exportTo": "."}
    (d,) = [x for x in analyze_manifests([svc, _to("shop.shop.svc.cluster.local")]) if x.code == "IST0101"]
    assert "no Service or ServiceEntry host visible in namespace istio-ingress" in d.message


def test_a_program_reports_only_what_it_can_know() -> None:
    """At preview the program does not declare the Services it routes to: an unknown host is
    silent, but a short name that a declared Service has in another namespace is an error."""
    index = MeshIndex()
    assert [d for d in index.check([_to("nowhere")]) if d.code == "IST0101"] == []
    index.declare_service("shop.shop.svc.cluster.local", [8080])
    (d,) = [d for d in index.check([_to("shop")]) if d.code == "IST0101"]
    assert d.level is Level.ERROR and "did you mean shop.shop.svc.cluster.local" in d.message


def _rule(ns: str, subsets: list[str], **spec: Any) -> dict[str, Any]:
    body = {
        "host": "shop.shop.svc.cluster.local",
        "subsets": [{"name": s, "labels": {"v": s}} for s in subsets],
        **spec,
    }
    return {"apiVersion": NET, "kind": "DestinationRule", "metadata": meta(f"shop-{ns}", ns), "spec": body}


def _subset_route() -> dict[str, Any]:
    vs = route("r", ["shop.example.com"], ["istio-ingress/public"])
    vs["spec"]["http"][0]["route"][0]["destination"] = {
        "host": "shop.shop.svc.cluster.local",
        "port": {"number": 8080},
        "subset": "v1",
    }
    return vs


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([_rule("shop", ["v1"])], None),  # the host's namespace: on the path
        ([_rule("istio-system", ["v1"])], None),  # the root namespace: on the path
        ([_rule("team-b", ["v1"])], "none of those is visible to them"),  # off the path
        # the gateway pods' namespace comes first and has a rule without the subset: it shadows
        (
            [_rule("shop", ["v1"]), _rule("istio-ingress", [])],
            "DestinationRule istio-ingress/shop-istio-ingress",
        ),
        ([_rule("shop", ["v1"], exportTo=["."])], "none of those is visible to them"),
    ],
)
def test_subsets_are_looked_up_along_istios_path(rules: list[dict[str, Any]], expected: str | None) -> None:
    gw = gateway("public", ["shop.example.com"])
    objs = [workload(), service(), gw, service("shop", "shop", ports=(8080,)), *rules, _subset_route()]
    found = [d for d in analyze_manifests(objs) if d.code == "MGW0133"]
    if expected is None:
        assert found == []
    else:
        (d,) = found
        assert (d.name, d.path) == ("r", "spec.http[0].route[0].destination.subset")
        assert "proxies in namespace istio-ingress" in d.message and expected in d.message


def test_a_server_routed_by_another_virtual_service_is_not_a_404() -> None:
    """A gateway merges the routes of every VirtualService for a host: a route that matches only
    port 443 is fine when another one routes the host on port 80 (MGW0206 otherwise)."""
    gw = gateway("public", ["shop.example.com"])
    gw["spec"]["servers"].append(
        {
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
            "hosts": ["shop.example.com"],
            "tls": {"mode": "SIMPLE", "credentialName": "c"},
        }
    )
    secure = route("secure", ["shop.example.com"], ["istio-ingress/public"])
    secure["spec"]["http"][0]["match"] = [{"port": 443}]
    plain = route("plain", ["shop.example.com"], ["istio-ingress/public"])
    plain["spec"]["http"][0]["match"] = [{"port": 80}]
    base = [workload(), service(), gw, service("shop", "shop", ports=(8080,))]
    alone = [d.code for d in analyze_manifests([*base, secure])]
    assert "MGW0206" in alone
    assert "MGW0206" not in [d.code for d in analyze_manifests([*base, secure, plain])]


def _base() -> list[dict[str, Any]]:
    return [workload(), service(), service("shop", "shop", ports=(8080,))]


def test_ist0132_is_per_bound_gateway_as_istio_reports_it() -> None:
    """virtualservice/gateways.go: for each gateway of the route, IST0132 when no host of the
    route matches a host of that Gateway, on spec.gateways[i]."""
    objs = [
        *_base(),
        gateway("site", ["www.example.com"]),
        gateway("admin", ["admin.example.com"], port=8080),
        route("r", ["www.example.com"], ["istio-ingress/site", "istio-ingress/admin"]),
    ]
    assert [(d.code, d.name, d.path) for d in analyze_manifests(objs) if d.kind == "VirtualService"] == [
        ("IST0132", "r", "spec.gateways[1]")
    ]


def test_a_missing_gateway_is_ist0101_and_ist0132() -> None:
    """Istio reports both for a gateway that does not exist (gateways.go, analyzeVirtualService)."""
    objs = [*_base(), route("r", ["www.example.com"], ["istio-ingress/nowhere"])]
    found = [(d.code, d.path, d.level) for d in analyze_manifests(objs) if d.kind == "VirtualService"]
    assert found == [
        ("IST0101", "spec.gateways[0]", Level.ERROR),
        ("IST0132", "spec.gateways[0]", Level.WARNING),
    ]


def test_a_host_served_by_no_gateway_beside_served_ones_is_mgw0134() -> None:
    """Istio's IST0132 is satisfied by any one host; the other still gets a 404, so it is ours."""
    objs = [
        *_base(),
        gateway("site", ["www.example.com"]),
        route("r", ["www.example.com", "blog.example.com"], ["istio-ingress/site"]),
    ]
    found = [(d.code, d.path, d.level) for d in analyze_manifests(objs) if d.kind == "VirtualService"]
    assert found == [("MGW0134", "spec.hosts[1]", Level.ERROR)]
    objs[-1]["spec"]["gateways"].append("mesh")  # mesh traffic uses the host too: a warning then
    found = [(d.code, d.level) for d in analyze_manifests(objs) if d.code == "MGW0134"]
    assert found == [("MGW0134", Level.WARNING)]
