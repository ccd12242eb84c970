"""Gateway analyzer (:mod:`pulumi_meshgw.analysis.analyzers.gateway`): conflicts, certificates."""

from __future__ import annotations

from pulumi_meshgw.analysis import Level, MeshIndex

from ._objects import gateway, meta, service, workload


def test_first_claim_wins_and_rechecking_is_harmless() -> None:
    index = MeshIndex()
    index.add([workload(), service()])
    first, second = gateway("a", ["*.example.com"]), gateway("b", ["shop.example.com"])
    assert index.check([first]) == []
    assert index.check([first]) == []  # a Gateway never conflicts with itself
    conflict, involved = index.check([second])
    assert (conflict.code, conflict.name, conflict.path) == ("IST0145", "b", "spec.servers[0].hosts")
    assert "Gateway istio-ingress/a ('*.example.com')" in conflict.message
    # Istio reports IST0145 on every Gateway involved (analyzers/gateway/conflictinggateway.go)
    assert (involved.code, involved.name, involved.path) == ("IST0145", "a", "spec.servers[0].hosts")
    assert "also claimed by Gateway istio-ingress/b ('shop.example.com')" in involved.message


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
    found = index.check([b])
    # on both Gateways, as Istio (analyzers/gateway/certificate.go)
    assert [(d.code, d.level, d.name, d.path) for d in found] == [
        ("IST0138", Level.WARNING, name, "spec.servers[0].tls.credentialName") for name in ("b", "a")
    ]


def test_port_not_on_service_is_an_error_only_when_a_service_fronts_the_pods() -> None:
    index = MeshIndex()
    index.add([workload(), service(ports=(80,))])
    (err,) = index.check([gateway("a", ["a.example.com"], port=8443)])
    assert (err.code, err.level, err.path) == ("IST0162", Level.ERROR, "spec.servers[0].port.number")
    lonely = MeshIndex()
    lonely.add([workload()])
    (warn,) = lonely.check([gateway("a", ["a.example.com"], port=8443)])
    assert (warn.code, warn.level) == ("IST0162", Level.WARNING)
    assert "no Service in this input selects workload istio-ingress/ingress" in warn.message
