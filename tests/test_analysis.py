"""The analysis engine and the index behind it: look-ups instead of scans, declarations, levels,
order, and the admission rules as they apply to raw manifests."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from pulumi_meshgw.analysis import Level, MeshIndex, admission_diagnostics, analyze_manifests
from pulumi_meshgw.analysis.hosts import hosts_intersect
from pulumi_meshgw.analysis.hostset import HostSet
from pulumi_meshgw.analysis.index import gateway_ref
from pulumi_meshgw.spec.external import ExternalObject

NET = "networking.istio.io/v1"


def meta(name: str, ns: str = "istio-ingress", **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": ns, **extra}


def workload(name: str = "ingress", ns: str = "istio-ingress", **labels: str) -> dict[str, Any]:
    pod = {"istio": name, "sidecar.istio.io/inject": "true", **labels}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"matchLabels": {"istio": name}},
            "template": {
                "metadata": {"labels": pod},
                "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
            },
        },
    }


def service(
    name: str = "ingress", ns: str = "istio-ingress", ports: tuple[int, ...] = (80, 443), **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns),
        "spec": {
            "selector": {"istio": name},
            "ports": [{"name": f"p{p}", "port": p, "targetPort": p} for p in ports],
            **spec,
        },
    }


def gateway(
    name: str, hosts: list[str], port: int = 80, ns: str = "istio-ingress", **server: Any
) -> dict[str, Any]:
    srv = {"port": {"number": port, "name": f"http-{port}", "protocol": "HTTP"}, "hosts": hosts, **server}
    return {
        "apiVersion": NET,
        "kind": "Gateway",
        "metadata": meta(name, ns),
        "spec": {"selector": {"istio": "ingress"}, "servers": [srv]},
    }


def route(
    name: str, hosts: list[str], gateways: list[str] | None, ns: str = "shop", **spec: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hosts": hosts,
        "http": [{"route": [{"destination": {"host": "shop", "port": {"number": 8080}}}]}],
    }
    if gateways is not None:
        body["gateways"] = gateways
    body.update(spec)
    return {"apiVersion": NET, "kind": "VirtualService", "metadata": meta(name, ns), "spec": body}


def codes(diags: list[Any]) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in diags]


# -- HostSet ----------------------------------------------------------------------------------------

PATTERNS = [
    "*",
    "*.example.com",
    "example.com",
    "a.example.com",
    "*.a.example.com",
    "b.a.example.com",
    "*.com",
    "x.org",
]


def test_host_set_agrees_with_pairwise_comparison() -> None:
    rng = random.Random(7)
    for _ in range(200):
        chosen = rng.sample(PATTERNS, rng.randint(0, len(PATTERNS)))
        hosts: HostSet[str] = HostSet()
        for p in chosen:
            hosts.add(p, p)
        for query in PATTERNS:
            got = sorted(p for p, _ in hosts.intersecting(query))
            assert got == sorted(p for p in chosen if hosts_intersect(p, query)), (query, chosen)


def test_host_set_answers_in_insertion_order() -> None:
    hosts: HostSet[int] = HostSet()
    hosts.add("a.example.com", 1)
    hosts.add("a.example.com", 2)
    assert hosts.first("a.example.com") == ("a.example.com", 1)
    assert hosts.first("b.example.com") is None


# -- gateways ---------------------------------------------------------------------------------------


def test_first_claim_wins_and_rechecking_is_harmless() -> None:
    index = MeshIndex()
    index.add([workload(), service()])
    first, second = gateway("a", ["*.example.com"]), gateway("b", ["shop.example.com"])
    assert index.check([first]) == []
    assert index.check([first]) == []  # a Gateway never conflicts with itself
    (conflict,) = index.check([second])
    assert (conflict.code, conflict.name, conflict.path) == ("IST0145", "b", "spec.servers[0].hosts")
    assert "Gateway istio-ingress/a ('*.example.com')" in conflict.message


def test_same_host_on_another_port_or_workload_is_fine() -> None:
    index = MeshIndex()
    index.add([workload(), service(), workload("other"), service("other")])
    other = gateway("c", ["shop.example.com"])
    other["spec"]["selector"] = {"istio": "other"}
    assert (
        index.check([gateway("a", ["shop.example.com"]), gateway("b", ["shop.example.com"], port=443), other])
        == []
    )


def test_workloads_are_found_by_label_and_namespace() -> None:
    index = MeshIndex()
    index.add([workload("a", "ns1", tier="edge"), workload("b", "ns2", tier="edge")])
    assert [w.name for w in index.workloads_for({"tier": "edge"})] == ["a", "b"]
    assert [w.name for w in index.workloads_for({"tier": "edge"}, "ns2")] == ["b"]
    assert index.workloads_for({"tier": "edge", "istio": "a"})[0].name == "a"
    assert index.workloads_for({}) == []


def test_certificate_reuse_is_ist0138() -> None:
    index = MeshIndex()
    index.add([workload(), service(), {"apiVersion": "v1", "kind": "Secret", "metadata": meta("cert")}])
    tls = {"mode": "SIMPLE", "credentialName": "cert"}
    a = gateway("a", ["a.example.com"], port=443, tls=tls)
    b = gateway("b", ["b.example.com"], port=443, tls=tls)
    assert index.check([a]) == []
    (reuse,) = index.check([b])
    assert (reuse.code, reuse.level, reuse.path) == (
        "IST0138",
        Level.WARNING,
        "spec.servers[0].tls.credentialName",
    )


# -- routes -----------------------------------------------------------------------------------------


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


# -- policies and workloads -------------------------------------------------------------------------


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


def test_injection_may_come_from_the_namespace() -> None:
    deployment = workload()
    del deployment["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"]
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-ingress", "labels": {}}}
    index = MeshIndex()
    (warn,) = index.check([deployment])
    assert (warn.code, warn.level) == ("IST0146", Level.WARNING)
    namespace["metadata"]["labels"] = {"istio-injection": "enabled"}
    assert MeshIndex().check([namespace, deployment]) == []
    namespace["metadata"]["labels"] = {"istio-injection": "disabled"}
    (err,) = MeshIndex().check([namespace, copy.deepcopy(workload())])
    assert (err.code, err.level) == ("IST0146", Level.ERROR)


# -- admission --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        ({"mode": "PASSTHROUGH", "credentialName": "c"}, [("IST0133", "spec.servers[0].tls.credentialName")]),
        ({}, [("IST0133", "spec.servers[0].tls.mode")]),  # omitted mode: PASSTHROUGH, as istiod
        (
            {"credentialName": "c"},
            [("IST0106", "spec.servers[0].tls.mode")],
        ),  # the certificate is never served
        ({"mode": "SIMPLE", "credentialName": "c", "ecdhCurves": ["P-256"]}, []),  # fields the models omit
    ],
)
def test_raw_servers_get_istiods_levels(tls: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    gw = gateway("g", ["shop.example.com"], port=443, tls=tls)
    gw["spec"]["servers"][0]["port"] = {
        "number": 443,
        "name": "HTTPS_443",
        "protocol": "HTTPS",
    }  # Istio allows it
    assert codes(admission_diagnostics(gw)) == expected


def test_names_follow_kubernetes_rules() -> None:
    svc = service("9lives")
    svc["metadata"]["namespace"] = "Shop"
    assert codes(admission_diagnostics(svc)) == [
        ("MGW0106", "metadata.name"),
        ("MGW0106", "metadata.namespace"),
    ]


# -- the engine -------------------------------------------------------------------------------------


def _mesh() -> list[dict[str, Any]]:
    return [
        workload(),
        service(),
        gateway("a", ["shop.example.com"]),
        gateway("b", ["shop.example.com"]),
        route("r", ["blog.example.com"], ["istio-ingress/a"]),
        route("r2", ["shop.example.com"], ["a"]),
    ]


def test_engine_order_is_by_object_then_path_and_deterministic() -> None:
    first = analyze_manifests(_mesh())
    assert first == analyze_manifests(copy.deepcopy(_mesh()))
    assert [d.name for d in first] == ["b", "r", "r2"]
    assert codes(first) == [
        ("IST0145", "spec.servers[0].hosts"),
        ("IST0132", "spec.hosts[0]"),
        ("IST0101", "spec.gateways[0]"),
    ]


def test_routes_may_come_before_their_gateway() -> None:
    objs = _mesh()
    reordered = [objs[4], *objs[:4], objs[5]]
    assert {d.code for d in analyze_manifests(reordered)} == {"IST0145", "IST0132", "IST0101"}


def test_schema_findings_are_not_repeated_by_admission() -> None:
    vs = route("r", ["shop.example.com"], None)
    vs["spec"]["http"][0]["weight"] = "heavy"  # unknown field: a schema finding only
    found = analyze_manifests([vs])
    assert codes(found) == [("IST0106", "spec.http[0].weight")]
    assert analyze_manifests([vs], schema=False) == []


def test_garbage_is_reported_not_raised() -> None:
    junk: list[Any] = [
        "a string",
        ["a", "list"],
        {"kind": 3, "metadata": "x"},
        {
            "apiVersion": NET,
            "kind": "Gateway",
            "metadata": {"name": "g"},
            "spec": {"servers": "nope", "selector": [1]},
        },
        {
            "apiVersion": NET,
            "kind": "VirtualService",
            "metadata": {"name": "v"},
            "spec": {"http": [{"route": [1, {"destination": 2}]}], "hosts": [None]},
        },
    ]
    found = analyze_manifests(junk)
    assert found and all(d.level is Level.ERROR for d in found)
    assert analyze_manifests(junk, schema=False) is not None


def test_duplicates_are_mgw0107() -> None:
    vs = route("r", ["shop"], None)
    (dup,) = [d for d in analyze_manifests([vs, copy.deepcopy(vs)]) if d.code == "MGW0107"]
    assert "object 1" in dup.message and "object 2" in dup.message
