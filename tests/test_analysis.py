"""The analysis engine and the index behind it: look-ups instead of scans, levels, order, and the
admission rules as they apply to raw manifests. Each analyzer has its own module in ``analyzers/``."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from pulumi_meshgw.analysis import Level, admission_diagnostics, analyze_manifests
from pulumi_meshgw.analysis.hosts import hosts_intersect
from pulumi_meshgw.analysis.hostset import HostSet

from .analyzers._objects import NET, codes, gateway, route, service, workload

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


# -- admission --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tls", "expected"),
    [
        ({"mode": "PASSTHROUGH", "credentialName": "c"}, [("IST0133", "spec.servers[0].tls.credentialName")]),
        ({}, [("IST0133", "spec.servers[0].tls.mode")]),  # omitted mode: PASSTHROUGH, as istiod
        (
            {"credentialName": "c"},
            [("IST0133", "spec.servers[0].tls.mode"), ("MGW0102", "spec.servers[0].tls.mode")],
        ),  # the certificate is never served: Istio warns (IST0133); the error is ours (MGW0102)
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
        service("shop", "shop", ports=(8080,)),  # the routes' destination
    ]


def test_engine_order_is_by_object_then_path_and_deterministic() -> None:
    first = analyze_manifests(_mesh())
    assert first == analyze_manifests(copy.deepcopy(_mesh()))
    assert [d.name for d in first] == ["a", "b", "r", "r2", "r2"]  # IST0145 on both Gateways, as Istio
    assert codes(first) == [
        ("IST0145", "spec.servers[0].hosts"),
        ("IST0145", "spec.servers[0].hosts"),
        ("IST0132", "spec.gateways[0]"),
        # A Gateway that does not exist serves no host either (virtualservice/gateways.go).
        ("IST0101", "spec.gateways[0]"),
        ("IST0132", "spec.gateways[0]"),
    ]


def test_routes_may_come_before_their_gateway() -> None:
    objs = _mesh()
    reordered = [objs[4], *objs[:4], *objs[5:]]
    assert {d.code for d in analyze_manifests(reordered)} == {"IST0145", "IST0132", "IST0101"}


def test_schema_findings_are_not_repeated_by_admission() -> None:
    vs = route("r", ["shop.example.com"], None)
    vs["spec"]["http"][0]["weight"] = "heavy"  # unknown field: a schema finding only
    destination = service("shop", "shop", ports=(8080,))
    found = analyze_manifests([vs, destination])
    assert codes(found) == [("IST0106", "spec.http[0].weight")]
    assert analyze_manifests([vs, destination], schema=False) == []


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
