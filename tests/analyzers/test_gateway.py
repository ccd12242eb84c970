"""Gateway analyzer (:mod:`pulumi_meshgw.analysis.analyzers.gateway`): conflicts, certificates."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import pytest

from pulumi_meshgw.analysis import Level, MeshIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))
from corpus import self_signed

from ._objects import gateway, meta, service, workload


def test_first_claim_wins_and_rechecking_is_harmless() -> None:
    index = MeshIndex()
    index.add([workload(), service()])
    first, second = gateway("a", ["shop.example.com"]), gateway("b", ["shop.example.com"])
    assert index.check([first]) == []
    assert index.check([first]) == []  # a Gateway never conflicts with itself
    conflict, involved = index.check([second])
    assert (conflict.code, conflict.name, conflict.path) == ("IST0145", "b", "spec.servers[0].hosts")
    assert "already claimed by Gateway istio-ingress/a on the same workload" in conflict.message
    # Istio reports IST0145 on every Gateway involved (analyzers/gateway/conflictinggateway.go)
    assert (involved.code, involved.name, involved.path) == ("IST0145", "a", "spec.servers[0].hosts")
    assert "also claimed by Gateway istio-ingress/b on the same workload" in involved.message


def test_a_wildcard_beside_a_name_it_covers_is_no_conflict() -> None:
    """conflictinggateway.go compares hosts as written (pilot/pkg/model/gateway.go,
    CheckDuplicates): istiod serves both, the more specific name first."""
    index = MeshIndex()
    index.add([workload(), service()])
    assert index.check([gateway("a", ["*.example.com"]), gateway("b", ["shop.example.com"])]) == []
    tls_pair = [_https("c", ["*.example.com"]), _https("d", ["shop.example.com"])]
    assert _conflicts(index.check(tls_pair)) == []


def _https(name: str, *servers: list[str]) -> dict[str, Any]:
    gw = gateway(name, servers[0], 443)
    gw["spec"]["servers"] = [
        {
            "port": {"number": 443, "name": f"https-{i}", "protocol": "HTTPS"},
            "hosts": hosts,
            "tls": {"mode": "SIMPLE", "credentialName": "cert"},
        }
        for i, hosts in enumerate(servers)
    ]
    return gw


def _conflicts(diags: list[Any]) -> list[tuple[str, str, str]]:
    return [(d.code, d.name, d.path) for d in diags if d.code in ("IST0145", "MGW0146")]


def test_one_name_on_two_tls_servers_outside_istios_analyzer_is_mgw0146() -> None:
    """Istio's IST0145 compares different Gateways by host string; one DNS name on two TLS servers
    of one Gateway, or under two namespace scopes, is ours: both claim one SNI name."""
    index = MeshIndex()
    index.add([workload(), service()])
    same = _https("same", ["shop.example.com"], ["shop.example.com"])
    assert _conflicts(index.check([same])) == [("MGW0146", "same", "spec.servers[1].hosts")]
    index = MeshIndex()
    index.add([workload(), service()])
    scoped = _conflicts(
        index.check([_https("a", ["shop/shop.example.com"]), _https("b", ["shop.example.com"])])
    )
    assert scoped == [("MGW0146", "b", "spec.servers[0].hosts")]


def test_plain_http_servers_of_one_gateway_may_share_a_host() -> None:
    """Plain HTTP servers on one port merge into one route table (no SNI)."""
    index = MeshIndex()
    index.add([workload(), service()])
    gw = gateway("a", ["shop.example.com"])
    gw["spec"]["servers"].append(
        {**gw["spec"]["servers"][0], "port": {"number": 80, "name": "web", "protocol": "HTTP"}}
    )
    assert _conflicts(index.check([gw])) == []


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
    masked = {"tls.crt": "[secret]", "tls.key": "[secret]"}  # as rendered: contents unknown
    index.add(
        [
            workload(),
            service(),
            {"apiVersion": "v1", "kind": "Secret", "metadata": meta("cert"), "data": masked},
        ]
    )
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


def _pem(days: tuple[int, int]) -> tuple[str, str]:
    """A self-signed certificate valid from ``days[0]`` to ``days[1]`` days from now, base64 PEM."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return self_signed(now + datetime.timedelta(days=days[0]), now + datetime.timedelta(days=days[1]))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("valid", None),
        ("expired", "holds a certificate that expired on"),
        ("future", "holds a certificate not valid before"),
        ({"tls.crt": "", "tls.key": ""}, "has the keys 'tls.crt' and 'tls.key', but they are empty"),
        ({"ca.crt": "eA=="}, "has neither tls.crt and tls.key nor cert and key (keys: ca.crt)"),
        (
            {"tls.crt": "bm90IGEgY2VydA==", "tls.key": "eA=="},
            "holds no parsable PEM certificate in 'tls.crt'",
        ),
    ],
)
def test_credential_contents_are_ist0161(data: Any, problem: str | None) -> None:
    """As Istio's gateway/secret.go: keys (credentials/kube/secrets.go), PEM and validity (xds/sds.go)."""
    if isinstance(data, str):
        crt, key = _pem({"valid": (-1, 30), "expired": (-30, -1), "future": (1, 30)}[data])
        data = {"tls.crt": crt, "tls.key": key}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": meta("cert"), "data": data}
    index = MeshIndex()
    index.add([workload(), service(), secret])
    found = [
        d
        for d in index.check(
            [gateway("a", ["a.example.com"], port=443, tls={"mode": "SIMPLE", "credentialName": "cert"})]
        )
        if d.code == "IST0161"
    ]
    if problem is None:
        assert found == []
    else:
        (d,) = found
        assert (d.kind, d.name, d.path) == ("Gateway", "a", "spec.servers[0].tls.credentialName")
        assert f"secret istio-ingress/cert {problem}" in d.message


def test_a_cluster_dump_is_one_workload_seen_several_times() -> None:
    """Deployment, ReplicaSet and Pods all count as the gateway's workload (a ReplicaSet alone
    selects too), and a fault is reported once per Gateway and path, not once per object."""
    deployment = workload()
    template = deployment["spec"]["template"]
    replica_set = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta("ingress-5d8f"),
        "spec": {"selector": deployment["spec"]["selector"], "template": template},
    }
    labels = {**template["metadata"]["labels"], "pod-template-hash": "5d8f"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta("ingress-5d8f-x", labels=labels), "spec": {}}
    alone = MeshIndex()
    alone.add([replica_set, service()])
    assert alone.check([gateway("a", ["a.example.com"])]) == []
    index = MeshIndex()
    index.add([deployment, replica_set, pod, service(ports=(80,))])
    found = [(d.code, d.path) for d in index.check([gateway("a", ["a.example.com"], port=8080)])]
    assert found == [("IST0162", "spec.servers[0].port.number")]
