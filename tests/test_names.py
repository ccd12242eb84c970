"""Names unique per (kind, namespace), as in Kubernetes, and references to them (spec/names.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pulumi_meshgw import Mesh
from pulumi_meshgw.errors import ConfigError, Problem
from pulumi_meshgw.plan import plan_config, plan_mesh
from pulumi_meshgw.spec import MeshSpec
from pulumi_meshgw.spec.names import item_keys, matching
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh


def two_teams(
    edge_ref: str = "edge/public",
    route_host: str = "api.example.com",
    first_ref: str = "istio-ingress/public",
) -> dict[str, Any]:
    """Workload and Gateway ``public`` twice: in istio-ingress (the minimal mesh) and in edge."""
    mesh = minimal_mesh()
    mesh["gateways"][0]["workload"] = first_ref
    mesh["workloads"].append({"name": "public", "namespace": "edge", "exposure": "public"})
    gw = copy.deepcopy(mesh["gateways"][0])
    gw["workload"] = edge_ref
    gw["servers"][0]["hosts"] = ["api.example.com"]
    mesh["gateways"].append(gw)
    mesh["virtualServices"].append(
        {
            "name": "api",
            "namespace": "api",
            "hosts": [route_host],
            "gateways": ["edge/public"],
            "http": [{"route": [{"destination": {"host": "api.api.svc.cluster.local"}}]}],
        }
    )
    return mesh


def problems(config: dict[str, Any]) -> list[Problem]:
    try:
        plan_config(config)
    except ConfigError as err:
        return list(err.problems)
    return []


def test_keys_are_bare_names_where_unique_and_namespace_name_where_shared() -> None:
    assert item_keys([("a", "x"), ("b", "y")]) == ["x", "y"]
    assert item_keys([("a", "x"), ("b", "x"), ("a", "y")]) == ["a/x", "b/x", "y"]
    assert matching("x", [("a", "x"), ("b", "x")]) == [0, 1]
    assert matching("b/x", [("a", "x"), ("b", "x")]) == [1]
    assert matching("c/x", [("a", "x"), ("b", "x")]) == []


def test_one_name_in_two_namespaces_is_legal_and_both_are_planned() -> None:
    _, plan = plan_config(two_teams())
    assert list(plan.workloads) == ["istio-ingress/public", "edge/public"]
    assert list(plan.gateways) == ["istio-ingress/public", "edge/public"]
    edge = plan.gateways["edge/public"]
    assert (edge.namespace, edge.workload.namespace) == ("edge", "edge")
    assert (
        edge.manifest["spec"]["selector"]
        == plan.gateways["istio-ingress/public"].manifest["spec"]["selector"]
    )
    # Each workload's Service gets the ports of its own Gateway only.
    services = [m for w in plan.workloads.values() for m in w.manifests if m["kind"] == "Service"]
    assert [s["metadata"]["namespace"] for s in services] == ["istio-ingress", "edge"]


def test_a_bare_reference_that_matches_one_workload_keeps_working() -> None:
    mesh = two_teams()
    mesh["workloads"][1]["name"] = "partner"
    mesh["gateways"][1]["workload"] = "partner"
    _, plan = plan_config(mesh)
    assert list(plan.workloads) == ["public", "partner"]  # unique names keep their keys
    assert plan.gateways["edge/public"].workload.name == "partner"


def test_an_ambiguous_bare_reference_is_mgw0103_naming_the_candidates_and_the_fix() -> None:
    found = problems(two_teams(edge_ref="public", first_ref="public"))
    ambiguous = [p for p in found if p.code == "MGW0103"]
    assert [str(p) for p in ambiguous] == [
        "gateways[0].workload: workload 'public' is declared in several namespaces: "
        "istio-ingress/public (workloads[0]), edge/public (workloads[1]); names are unique per "
        "namespace only, so write the one meant as namespace/name: 'istio-ingress/public' or "
        "'edge/public' [MGW0103]",
        "gateways[1].workload: workload 'public' is declared in several namespaces: "
        "istio-ingress/public (workloads[0]), edge/public (workloads[1]); names are unique per "
        "namespace only, so write the one meant as namespace/name: 'istio-ingress/public' or "
        "'edge/public' [MGW0103]",
    ]


def test_an_ambiguous_reference_is_the_only_problem_it_causes() -> None:
    # The Gateway exists and so do the workloads: no IST0101 on the routes bound to it, and no
    # MGW0120 on the workloads it may mean, on top of MGW0103.
    found = problems(two_teams(edge_ref="public", first_ref="public"))
    assert sorted({(p.path, p.code) for p in found}) == [
        ("gateways[0].workload", "MGW0103"),
        ("gateways[1].workload", "MGW0103"),
    ]


def test_a_typo_in_a_gateway_workload_is_the_only_problem_it_causes() -> None:
    # Not also MGW0120 on the workload meant, nor IST0101 on the route bound to the Gateway.
    mesh = minimal_mesh()
    mesh["gateways"][0]["workload"] = "publik"
    assert [(p.path, p.code) for p in problems(mesh)] == [("gateways[0].workload", "IST0101")]


def test_a_namespaced_reference_to_no_workload_is_ist0101() -> None:
    found = problems(two_teams(edge_ref="other/public"))
    assert [(p.path, p.code) for p in found if p.code == "IST0101"][:1] == [
        ("gateways[1].workload", "IST0101")
    ]


@pytest.mark.parametrize(
    ("key", "item", "ident"),
    [
        ("workloads", {"name": "public", "exposure": "public"}, "istio-ingress/public"),
        ("gateways", None, "istio-ingress/public"),
    ],
)
def test_one_name_twice_in_one_namespace_is_mgw0101(key: str, item: Any, ident: str) -> None:
    mesh = minimal_mesh()
    mesh[key].append(item if item is not None else copy.deepcopy(mesh[key][0]))
    found = [p for p in problems(mesh) if p.code == "MGW0101"]
    assert [p.path for p in found] == [f"{key}[1].name"]
    assert found[0].message.startswith(
        f"{ident!r} is already declared by {key}[0]; names must be unique per namespace"
    )


def test_a_legal_name_does_not_hide_the_real_finding() -> None:
    # The edge Gateway serves api.example.com, its route asks for another host: IST0132, and no
    # MGW0101 about a name that is legal in its namespace.
    found = problems(two_teams(route_host="www.example.com"))
    assert [(p.path, p.code) for p in found] == [("virtualServices[1].gateways[0]", "IST0132")]


def test_a_mesh_spec_built_in_python_is_checked_for_clashes_too() -> None:
    mesh = minimal_mesh()
    mesh["workloads"].append({"name": "public", "exposure": "public"})
    spec = MeshSpec.model_construct(**{**MeshSpec.from_config(minimal_mesh()).__dict__})
    spec.workloads.append(MeshSpec.from_config({"workloads": mesh["workloads"][1:]}).workloads[0])
    with pytest.raises(ConfigError) as info:
        plan_mesh(spec)
    assert ("workloads[1].name", "MGW0101") in {(p.path, p.code) for p in info.value.problems}


def test_mesh_children_get_distinct_pulumi_names_and_unique_names_stay_bare() -> None:
    recording = run(lambda: Mesh("mesh", two_teams()))
    workloads = [r for r in recording.resources if r.type == "meshgw:index:GatewayWorkload"]
    gateways = [r for r in recording.resources if r.type == "meshgw:index:Gateway"]
    assert sorted(r.name for r in workloads) == ["edge/public", "istio-ingress/public"]
    assert sorted(r.name for r in gateways) == ["edge/public", "istio-ingress/public"]
    # The first of a shared name keeps the state of the bare name it had while it was unique.
    aliased = {r.name: r.aliases for r in [*workloads, *gateways] if r.aliases}
    assert set(aliased) == {"istio-ingress/public"} and len([*workloads, *gateways]) == 4
    assert all(a.endswith("::public") for a in aliased["istio-ingress/public"])
    out = recording.by_name("mesh").outputs
    assert set(out["gatewayRefs"]) == {"istio-ingress/public", "edge/public"}
    assert out["gatewayRefs"]["edge/public"] == "edge/public"
    single = run(lambda: Mesh("mesh", minimal_mesh()))
    assert [r.name for r in single.resources if r.type == "meshgw:index:GatewayWorkload"] == ["public"]
    assert not any(r.aliases for r in single.resources if r.type.startswith("meshgw:"))
    assert set(single.by_name("mesh").outputs["gatewayRefs"]) == {"public"}


def test_two_egress_gateways_of_one_name_are_planned_and_registered_apart() -> None:
    def egress(namespace: str, host: str, client: str) -> dict[str, Any]:
        return {
            "name": "egress",
            "namespace": namespace,
            "destinations": [
                {"host": host, "port": 443, "mode": "tls-passthrough", "sources": [{"namespace": client}]}
            ],
        }

    config = {
        "egressGateways": [
            egress("istio-egress", "api.stripe.com", "shop"),
            egress("egress-b", "api.github.com", "ci"),
        ]
    }
    _, plan = plan_config(config)
    assert list(plan.egress_gateways) == ["istio-egress/egress", "egress-b/egress"]
    recording = run(lambda: Mesh("mesh", config))
    names = sorted(r.name for r in recording.resources if r.type == "meshgw:index:EgressGateway")
    assert names == ["egress-b/egress", "istio-egress/egress"]
    fqdns = recording.by_name("mesh").outputs["serviceFqdns"]
    assert fqdns == {
        "istio-egress/egress": "egress.istio-egress.svc.cluster.local",
        "egress-b/egress": "egress.egress-b.svc.cluster.local",
    }


def test_gateways_of_one_name_do_not_share_a_generated_secret_silently() -> None:
    # Both Gateways run on one workload, so both default credentials are
    # istio-ingress/public-https-cert: the second would overwrite the first's certificate.
    mesh = minimal_mesh()
    other = copy.deepcopy(mesh["gateways"][0])
    other["namespace"] = "other"
    other["servers"][0]["hosts"] = ["api.example.com"]
    mesh["gateways"].append(other)
    found = [p for p in problems(mesh) if p.code == "MGW0101"]
    assert [p.path for p in found] == ["gateways[1].servers[0].tls"]
    assert (
        "Secret istio-ingress/public-https-cert is also made for gateways[0].servers[0]" in found[0].message
    )
    other["servers"][0]["tls"]["credentialName"] = "api-cert"
    assert not [p for p in problems(mesh) if p.code == "MGW0101"]
