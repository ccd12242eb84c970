"""The Pulumi layer under the mock engine: parents, dependencies, order, secrets, escape hatches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_meshgw import (
    ComponentConfigError,
    DestinationRule,
    Gateway,
    GatewayWorkload,
    IngressGateway,
    Mesh,
    VirtualService,
)
from pulumi_meshgw.testing import SECRET, Recording, RegisteredResource, run

from .conftest import make_pem, minimal_mesh

HTTPS = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["shop.example.com"]}


def http_server(host: str, name: str = "http") -> dict[str, Any]:
    return {"port": {"number": 80, "name": name, "protocol": "HTTP"}, "hosts": [host]}


ROUTE = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}]


def named(rec: Recording, name: str) -> RegisteredResource:
    return rec.by_name(name)


def deps(rec: Recording, res: RegisteredResource) -> set[str]:
    return {rec.by_urn(u).name for u in res.dependencies}


def parent(rec: Recording, res: RegisteredResource) -> str | None:
    p = rec.parent_of(res)
    return p.name if p else None


def ingress_program(**server_tls: Any) -> Callable[[], None]:
    tls = server_tls or {"mode": "SIMPLE", "certificate": {"selfSigned": {}}}

    def program() -> None:
        gw = IngressGateway(
            "public",
            exposure="public",
            servers=[
                {
                    "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                    "hosts": ["shop.example.com"],
                    "tls": {"httpsRedirect": True},
                },
                {**HTTPS, "tls": tls},
            ],
        )
        VirtualService(
            "shop", namespace="shop", hosts=["shop.example.com"], gateways=[gw.gateway], http=ROUTE
        )

    return program


def test_ingress_gateway_parents_and_order() -> None:
    rec = run(ingress_program())
    comp = named(rec, "public")
    workload, gateway = named(rec, "public-workload"), named(rec, "public-gateway")
    assert comp.type == "meshgw:index:IngressGateway"
    assert parent(rec, workload) == "public" and parent(rec, gateway) == "public"
    deployment = named(rec, "deployment:istio-ingress/public")
    secret = named(rec, "secret:istio-ingress/public-https-cert")
    gw_cr = named(rec, "gateway:istio-ingress/public")
    sa = named(rec, "serviceaccount:istio-ingress/public")
    binding = named(rec, "rolebinding:istio-ingress/public")
    ns = named(rec, "namespace:istio-ingress")
    assert parent(rec, deployment) == "public-workload"
    assert parent(rec, gw_cr) == "public-gateway"
    assert "namespace:istio-ingress" in deps(rec, sa)
    assert {"serviceaccount:istio-ingress/public", "role:istio-ingress/public"} <= deps(rec, binding)
    assert "rolebinding:istio-ingress/public" in deps(rec, secret)
    assert "secret:istio-ingress/public-https-cert" in deps(rec, deployment)
    assert {
        "deployment:istio-ingress/public",
        "service:istio-ingress/public",
        "secret:istio-ingress/public-https-cert",
    } <= deps(rec, gw_cr)
    vs = named(rec, "shop")
    assert vs.type == "kubernetes:networking.istio.io/v1:VirtualService"
    assert "gateway:istio-ingress/public" in deps(rec, vs)
    assert vs.inputs["spec"]["gateways"] == ["istio-ingress/public"]
    # Apply order puts every dependency first.
    order = [m.resource.name for m in rec.manifests()]
    for before, after in [
        (ns, sa),
        (sa, binding),
        (binding, secret),
        (secret, deployment),
        (deployment, gw_cr),
        (gw_cr, vs),
    ]:
        assert order.index(before.name) < order.index(after.name)


def test_service_ports_follow_the_servers() -> None:
    rec = run(ingress_program())
    svc = named(rec, "service:istio-ingress/public")
    assert [(p["name"], p["port"]) for p in svc.inputs["spec"]["ports"]] == [
        ("status-port", 15021),
        ("http", 80),
        ("https", 443),
    ]


def test_tls_material_is_secret_and_never_plain() -> None:
    cert, key = make_pem(["shop.example.com"])

    def program() -> None:
        pulumi.Config("meshgw")  # the key names below live in the meshgw namespace
        IngressGateway(
            "public",
            exposure="public",
            servers=[
                {
                    **HTTPS,
                    "tls": {
                        "mode": "SIMPLE",
                        "certificate": {"config": {"cert": "shopCert", "key": "shopKey"}},
                    },
                }
            ],
        )

    rec = run(
        program,
        config={"meshgw:shopCert": cert, "meshgw:shopKey": key},
        secret_keys=["meshgw:shopCert", "meshgw:shopKey"],
    )
    secret = named(rec, "secret:istio-ingress/public-https-cert")
    assert "stringData" in secret.secret_fields
    text = repr(rec)
    assert "PRIVATE KEY" not in text and key.splitlines()[1] not in text


def test_self_signed_key_is_secret() -> None:
    rec = run(ingress_program())
    key = named(rec, "istio-ingress/public-https-cert-key")
    assert key.type == "tls:index/privateKey:PrivateKey"
    secret = named(rec, "secret:istio-ingress/public-https-cert")
    assert secret.secret_fields == {"stringData"}
    assert {"istio-ingress/public-https-cert-cert", "istio-ingress/public-https-cert-key"} <= deps(
        rec, secret
    )


def test_file_certificates(tmp_path: Path) -> None:
    cert, key = make_pem(["shop.example.com"])
    (tmp_path / "tls.crt").write_text(cert)
    (tmp_path / "tls.key").write_text(key)
    rec = run(
        ingress_program(
            mode="SIMPLE", serverCertificate=str(tmp_path / "tls.crt"), privateKey=str(tmp_path / "tls.key")
        )
    )
    secret = named(rec, "secret:istio-ingress/public-https-cert")
    assert secret.inputs["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    assert "stringData" in secret.secret_fields
    gw = named(rec, "gateway:istio-ingress/public")
    assert str(tmp_path) not in repr(gw.inputs)


def test_separate_workload_and_gateways_share_pods() -> None:
    def program() -> None:
        w = GatewayWorkload("edge", namespace="edge", exposure="cluster")
        a = Gateway(
            "a",
            workload=w,
            servers=[http_server("a.example.com")],
        )
        Gateway(
            "b",
            workload=w,
            servers=[http_server("b.example.com")],
        )
        VirtualService("a", namespace="apps", hosts=["a.example.com"], gateways=[a], http=ROUTE)
        VirtualService("b", namespace="apps", hosts=["b.example.com"], gateways=["edge/b"], http=ROUTE)

    rec = run(program)
    a, b = named(rec, "gateway:edge/a"), named(rec, "gateway:edge/b")
    assert a.inputs["spec"]["selector"] == b.inputs["spec"]["selector"] == {"app": "edge", "istio": "edge"}
    assert "gateway:edge/b" in deps(rec, rec.by_name("b", "kubernetes:networking.istio.io/v1:VirtualService"))


def test_existing_workload_needs_no_resources() -> None:
    def program() -> None:
        legacy = GatewayWorkload.existing(
            "istio-ingressgateway",
            namespace="istio-system",
            labels={"istio": "ingressgateway"},
            service_ports=[80, 443],
        )
        Gateway(
            "legacy",
            workload=legacy,
            servers=[{**HTTPS, "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}}}],
        )

    rec = run(program)
    gw = named(rec, "gateway:istio-system/legacy")
    assert gw.inputs["spec"]["selector"] == {"istio": "ingressgateway"}
    assert named(rec, "secret:istio-system/legacy-https-cert")
    assert not rec.of_type("kubernetes:apps/v1:Deployment")


def test_route_to_unserved_host_fails_preview_with_code() -> None:
    def program() -> None:
        gw = IngressGateway(
            "public",
            exposure="public",
            servers=[{**HTTPS, "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}}}],
        )
        VirtualService("shop", namespace="shop", hosts=["shop.exmple.com"], gateways=[gw.gateway], http=ROUTE)

    with pytest.raises(ComponentConfigError) as info:
        run(program, preview=True)
    assert isinstance(info.value, pulumi.RunError)  # printed without a traceback by the language host
    (problem,) = info.value.problems
    assert problem.code == "IST0132"
    assert problem.path == "VirtualService shop/shop spec.gateways[0]"
    assert "no host of this route (shop.exmple.com) is served" in problem.message


def test_route_to_undeclared_gateway() -> None:
    def program() -> None:
        VirtualService(
            "shop",
            namespace="shop",
            hosts=["shop.example.com"],
            gateways=["istio-ingress/public"],
            http=ROUTE,
        )

    with pytest.raises(
        ComponentConfigError, match="gateway istio-ingress/public is not declared in this program"
    ):
        run(program)


def test_conflicting_gateways_fail() -> None:
    def program() -> None:
        w = GatewayWorkload("edge", namespace="edge", exposure="cluster")
        Gateway(
            "a",
            workload=w,
            servers=[http_server("b.example.com")],
        )
        Gateway(
            "b",
            workload=w,
            servers=[http_server("b.example.com", name="web")],
        )

    with pytest.raises(ComponentConfigError) as info:
        run(program)
    assert info.value.problems[0].code == "IST0145"


def test_bad_mesh_registers_nothing() -> None:
    """A mesh with one bad route registers no resource at all, not the good half of it."""
    caught: list[ComponentConfigError] = []

    def program() -> None:
        bad_route = {
            "name": "x",
            "namespace": "x",
            "hosts": ["nope.example.com"],
            "gateways": ["istio-ingress/public"],
            "http": ROUTE,
        }
        try:
            Mesh("mesh", {**minimal_mesh(), "virtualServices": [bad_route]})
        except ComponentConfigError as err:
            caught.append(err)

    rec = run(program)
    assert caught and caught[0].problems[0].code == "IST0132"
    assert [r.type for r in rec.resources] == ["pulumi:pulumi:Stack"]


def test_bad_component_registers_nothing() -> None:
    caught: list[ComponentConfigError] = []

    def program() -> None:
        try:
            IngressGateway("public", exposure="public", servers=[{**HTTPS, "tls": {"mode": "SIMPLE"}}])
        except ComponentConfigError as err:
            caught.append(err)

    rec = run(program)
    assert "servers[0].tls: mode SIMPLE needs a certificate" in str(caught[0])
    assert [r.type for r in rec.resources] == ["pulumi:pulumi:Stack"]


def test_destination_rule_orders_before_routes_using_its_subsets() -> None:
    def program() -> None:
        gw = IngressGateway("public", exposure="public", servers=[{**HTTPS, "tls": {"mode": "PASSTHROUGH"}}])
        DestinationRule("shop", namespace="shop", host="shop", subsets=[{"name": "v1", "labels": {"v": "1"}}])
        VirtualService(
            "shop",
            namespace="shop",
            hosts=["shop.example.com"],
            gateways=[gw.gateway],
            tls=[
                {
                    "match": [{"sniHosts": ["shop.example.com"]}],
                    "route": [{"destination": {"host": "shop", "subset": "v1"}}],
                }
            ],
        )

    rec = run(program)
    vs = rec.by_name("shop", "kubernetes:networking.istio.io/v1:VirtualService")
    assert "shop" in deps(rec, vs)  # the DestinationRule's Pulumi name


def test_escape_hatches() -> None:
    def program() -> None:
        gw = IngressGateway(
            "public",
            exposure="public",
            workload={
                "overrides": {
                    "Deployment": {"spec": {"template": {"spec": {"priorityClassName": "edge"}}}},
                    "Service": {"metadata": {"annotations": {"x/y": "z"}}},
                }
            },
            servers=[{**HTTPS, "tls": {"mode": "PASSTHROUGH"}}],
        )
        VirtualService(
            "shop",
            namespace="shop",
            hosts=["shop.example.com"],
            gateways=[gw.gateway],
            tls=[
                {"match": [{"sniHosts": ["shop.example.com"]}], "route": [{"destination": {"host": "shop"}}]}
            ],
            overrides={"metadata": {"labels": {"team": "shop"}}},
        )
        assert gw.workload.deployment is not None and gw.gateway.gateway is not None

    rec = run(program)
    dep = named(rec, "deployment:istio-ingress/public")
    assert dep.inputs["spec"]["template"]["spec"]["priorityClassName"] == "edge"
    assert named(rec, "service:istio-ingress/public").inputs["metadata"]["annotations"]["x/y"] == "z"
    vs = rec.by_name("shop", "kubernetes:networking.istio.io/v1:VirtualService")
    assert vs.inputs["metadata"]["labels"]["team"] == "shop"


def test_two_stacks_in_one_process_do_not_share_state() -> None:
    run(ingress_program(), stack="a")
    rec = run(ingress_program(), stack="b")  # would fail with IST0145 if the registry leaked
    assert rec.stack == "b"


def test_mesh_registers_in_dependency_order() -> None:
    rec = run(lambda: Mesh("mesh", minimal_mesh()))
    order = [m.kind for m in rec.manifests()]
    assert order.index("Namespace") == 0
    assert (
        order.index("Secret")
        < order.index("Deployment")
        < order.index("Gateway")
        < order.index("VirtualService")
    )


def test_mesh_depends_on_reaches_every_child() -> None:
    """`Mesh(..., depends_on=[istiod])` as the README shows: every object records the edge, so
    creation waits for the control plane and destroy removes it last."""
    import pulumi_kubernetes as k8s

    def program() -> None:
        istiod = k8s.core.v1.ConfigMap("istiod", metadata={"name": "istiod", "namespace": "istio-system"})
        Mesh("mesh", minimal_mesh(), opts=pulumi.ResourceOptions(depends_on=[istiod]))

    rec = run(program)
    children = [r for r in rec.resources if r.custom and r.name != "istiod"]
    assert len(children) > 10
    for res in children:
        assert "istiod" in deps(rec, res), f"{res.name} does not depend on istiod"
