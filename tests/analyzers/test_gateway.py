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
    assert "Gateway istio-ingress/a ('shop.example.com')" in conflict.message
    # Istio reports IST0145 on every Gateway involved (analyzers/gateway/conflictinggateway.go)
    assert (involved.code, involved.name, involved.path) == ("IST0145", "a", "spec.servers[0].hosts")
    assert "also claimed by Gateway istio-ingress/b ('shop.example.com')" in involved.message


@pytest.mark.parametrize(("first", "second"), [("*.example.com", "shop.example.com"), ("*", "*.example.com")])
def test_an_overlapping_wildcard_is_no_conflict(first: str, second: str) -> None:
    # Istio compares host strings (conflictinggateway.go, isGWConflict -> pilot/pkg/model/gateway.go,
    # CheckDuplicates); Envoy serves the most specific name, so the overlap is not IST0145.
    index = MeshIndex()
    index.add([workload(), service()])
    assert index.check([gateway("a", [first]), gateway("b", [second])]) == []
    assert [d.code for d in index.check([gateway("c", [second])])] == ["IST0145", "IST0145"]


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
