"""IST0173 and IST0174 (analyzers/subset.py), held to Istio's
``pkg/config/analysis/analyzers/destinationrule/subset.go``."""

from __future__ import annotations

from typing import Any

from pulumi_meshgw.analysis import Level, MeshIndex
from pulumi_meshgw.analysis.analyzers import subset

from ._objects import NET, meta, workload


def pod(name: str, ns: str, node: str | None = None, **labels: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "app:1"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, ns, labels=labels), "spec": spec}


def svc(name: str = "shop", ns: str = "shop") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns),
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 8080}]},
    }


def rule(host: str = "shop", ns: str = "shop", *subsets: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"host": host}
    if subsets:
        spec["subsets"] = [{"name": f"s{i}", "labels": dict(s)} for i, s in enumerate(subsets)]
    return {"apiVersion": NET, "kind": "DestinationRule", "metadata": meta("shop", ns), "spec": spec}


def found(objs: list[dict[str, Any]], complete: bool = True) -> list[tuple[str, str, str, Level]]:
    index = MeshIndex()
    index.hosts_complete = complete
    index.add(objs)
    return [(d.code, d.name, d.path, d.level) for d in subset.ANALYZER.check(index, objs[-1])]


def test_a_subset_no_pod_carries_is_ist0173_on_its_labels() -> None:
    objs = [
        pod("a", "shop", app="shop", version="v1"),
        svc(),
        rule("shop", "shop", {"version": "v1"}, {"version": "v2"}),
    ]
    assert found(objs) == [("IST0173", "shop", "spec.subsets[1].labels", Level.ERROR)]


def test_pods_of_every_namespace_count_as_in_istio() -> None:
    # Istio matches the subset's labels against every pod, not only the host's namespace.
    objs = [pod("a", "elsewhere", version="v2"), svc(), rule("shop", "shop", {"version": "v2"})]
    assert found(objs) == []


def test_a_deployment_counts_as_the_pods_of_its_template() -> None:
    objs = [
        pod("a", "shop", app="shop"),
        workload("shop", "shop", version="v3"),
        svc(),
        rule("shop", "shop", {"version": "v3"}),
    ]
    assert found(objs) == []


def test_the_service_entry_workload_selector_is_merged_into_the_subset() -> None:
    entry = {
        "apiVersion": NET,
        "kind": "ServiceEntry",
        "metadata": meta("db", "shop"),
        "spec": {
            "hosts": ["db.example.com"],
            "ports": [{"number": 5432, "name": "tcp", "protocol": "TCP"}],
            "workloadSelector": {"labels": {"app": "db"}},
        },
    }
    only_version = [
        pod("a", "shop", app="cache", version="v1"),
        entry,
        rule("db.example.com", "shop", {"version": "v1"}),
    ]
    assert [f[0] for f in found(only_version)] == ["IST0173"]
    both = [
        pod("a", "shop", app="db", version="v1"),
        entry,
        rule("db.example.com", "shop", {"version": "v1"}),
    ]
    assert found(both) == []


def test_the_node_name_is_the_hostname_label_istiod_adds() -> None:
    by_node = {"kubernetes.io/hostname": "node-a"}
    assert found([pod("a", "shop", node="node-a", app="shop"), svc(), rule("shop", "shop", by_node)]) == []
    assert [f[0] for f in found([pod("a", "shop", node="node-b"), svc(), rule("shop", "shop", by_node)])] == [
        "IST0173"
    ]


def test_without_pods_in_the_input_subsets_are_not_judged() -> None:
    assert found([workload("shop", "shop"), svc(), rule("shop", "shop", {"version": "v9"})]) == []


def test_a_rule_host_that_resolves_to_nothing_is_ist0174() -> None:
    objs = [svc(), rule("shop", "istio-ingress")]
    assert found(objs) == [("IST0174", "shop", "spec.host", Level.WARNING)]
    assert found(objs, complete=False) == []  # a program's index does not hold every Service
    assert found([svc(), rule("shop.shop.svc.cluster.local", "istio-ingress")]) == []
