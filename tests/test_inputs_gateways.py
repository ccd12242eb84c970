"""Outputs in the arguments of IngressGateway, Gateway and GatewayWorkload: known, unknown at
preview, secret, and a bad value arriving as an Output (docs/inputs.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_meshgw import (
    ComponentConfigError,
    EgressGateway,
    Gateway,
    GatewayWorkload,
    IngressGateway,
    Mesh,
    VirtualService,
)
from pulumi_meshgw.components._inputs import LateCheckError
from pulumi_meshgw.testing import SECRET, Recording, run

from .conftest import make_pem
from .test_egress import dest
from .test_inputs import ROUTE, unknown

EGRESS = "meshgw:index:EgressGateway"

Value = Callable[[Any], Any]
"""Turns a plain value into what the program passes: itself, an Output of it, an unknown Output."""


def plain(v: Any) -> Any:
    return v


def output(v: Any) -> Any:
    return pulumi.Output.from_input(v)


def secret(v: Any) -> Any:
    return pulumi.Output.secret(v)


def hidden(_: Any) -> Any:
    return unknown()


def server(host: Any, port: Any = 80) -> dict[str, Any]:
    return {"port": {"number": port, "name": "http", "protocol": "HTTP"}, "hosts": [host]}


def ingress_program(
    value: Value,
    *,
    namespace: str = "edge",
    host: str = "shop.example.com",
    route_host: str = "shop.example.com",
    replicas: int = 3,
    ranges: tuple[str, ...] = ("203.0.113.0/24",),
    deny: str = "192.0.2.0/24",
) -> Callable[[], None]:
    """An IngressGateway whose namespace, host, replicas and source ranges go through ``value``,
    and a route bound to it by object."""

    def program() -> None:
        gw = IngressGateway(
            "public",
            exposure="public",
            namespace=value(namespace),
            servers=[server(value(host))],
            workload={
                "replicas": value(replicas),
                "labels": {"team": value("shop")},
                "service": {"loadBalancerSourceRanges": [value(r) for r in ranges]},
                "createNamespace": False,
            },
            firewall={"deny": [value(deny)]},
        )
        VirtualService("shop", namespace="shop", hosts=[route_host], gateways=[gw.gateway], http=ROUTE)

    return program


def bodies(rec: Recording) -> dict[tuple[str, str], Any]:
    """Every rendered object by kind and name (the Pulumi names differ by design)."""
    return {(m.resource.type, m.body["metadata"]["name"]): m.body for m in rec.manifests()}


def test_known_outputs_render_what_plain_values_render() -> None:
    plain_rec, rec = run(ingress_program(plain)), run(ingress_program(output))
    assert bodies(rec) == bodies(plain_rec)
    deployment = bodies(run(ingress_program(output)))[("kubernetes:apps/v1:Deployment", "public")]
    assert deployment["metadata"]["namespace"] == "edge"
    assert deployment["spec"]["template"]["metadata"]["labels"]["team"] == "shop"


def test_a_namespace_output_names_the_children_by_the_component() -> None:
    plain_names = {r.name for r in run(ingress_program(plain)).resources}
    out_names = {r.name for r in run(ingress_program(output)).resources}
    assert "deployment:edge/public" in plain_names and "gateway:edge/public" in plain_names
    assert "deployment:public/public" in out_names and "gateway:public/public" in out_names
    assert not [n for n in out_names if "edge" in n]


def test_plain_values_keep_todays_names() -> None:
    """Only a namespace that is an Output changes the names: Output hosts keep them."""

    def program() -> None:
        IngressGateway(
            "public", exposure="public", namespace="edge", servers=[server(output("a.example.com"))]
        )

    names = {r.name for r in run(program).resources}
    assert {"deployment:edge/public", "gateway:edge/public", "service:edge/public"} <= names


def test_unknown_at_preview_registers_everything_and_says_which_checks_wait() -> None:
    plain_rec = run(ingress_program(plain), preview=True)
    rec = run(ingress_program(hidden), preview=True)
    kinds = sorted(r.type for r in rec.resources)
    assert kinds == sorted(r.type for r in plain_rec.resources if r.type != "kubernetes:core/v1:Namespace")
    waiting = [m.message for m in rec.logs if m.severity == "info" and "wait for" in m.message]
    assert any(
        "meshgw:index:IngressGateway public: its checks" in m
        and "wait for namespace, workload.replicas, workload.labels.team," in m
        and "servers[0].hosts[0]" in m
        for m in waiting
    ), waiting
    assert any(m.startswith("VirtualService shop:") for m in waiting), waiting


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"route_host": "blog.example.com"}, "no host of this route (blog.example.com) is served by gateway"),
        ({"deny": "10.0.0.0/33"}, "10.0.0.0/33"),
        ({"namespace": "Bad_NS"}, "Bad_NS"),
        ({"replicas": 0}, "replicas"),
    ],
)
def test_a_bad_output_fails_with_the_message_a_bad_plain_value_gets(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ComponentConfigError) as plain_err:
        run(ingress_program(plain, **change))
    with pytest.raises((ComponentConfigError, LateCheckError)) as late_err:
        run(ingress_program(output, **change))
    assert message in str(plain_err.value)
    assert str(late_err.value) == str(plain_err.value)


def test_a_secret_value_stays_secret() -> None:
    """A secret Output makes secret every object rendered with it: never less than the value."""
    rec = run(ingress_program(secret, ranges=("198.18.7.0/24",)))
    assert "198.18.7.0/24" not in repr(rec)
    assert rec.by_name("service:public/public").secret_fields >= {"spec"}


def test_a_cidr_output_is_not_made_secret() -> None:
    rec = run(ingress_program(output, ranges=("198.18.7.0/24",)))
    service = bodies(rec)[("kubernetes:core/v1:Service", "public")]
    assert service["spec"]["loadBalancerSourceRanges"] == ["198.18.7.0/24"]


def test_gateway_and_workload_take_outputs_one_by_one() -> None:
    def program(value: Value) -> Callable[[], None]:
        def build() -> None:
            w = GatewayWorkload("edge", namespace=value("edge"), exposure="cluster", create_namespace=False)
            gw = Gateway("shop", workload=w, servers=[server(value("shop.example.com"), value(80))])
            VirtualService("route", namespace="shop", hosts=["shop.example.com"], gateways=[gw], http=ROUTE)

        return build

    plain_rec, out_rec = run(program(plain)), run(program(output))
    assert bodies(out_rec) == bodies(plain_rec)
    assert {"gateway:shop/shop", "deployment:edge/edge"} <= {r.name for r in out_rec.resources}
    route = out_rec.by_name("route")
    assert "gateway:shop/shop" in {out_rec.by_urn(u).name for u in route.dependencies}


def test_an_output_that_changes_which_objects_exist_is_refused_by_name() -> None:
    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            servers=[server("a.example.com")],
            workload={"autoscaling": {"enabled": output(False)}},
        )

    with pytest.raises(
        ComponentConfigError, match=r"autoscaling\.enabled: the values these Outputs took change"
    ):
        run(program)


def test_an_output_namespace_with_create_namespace_is_refused() -> None:
    with pytest.raises(ComponentConfigError, match=r"createNamespace: the namespace is an Output"):
        run(
            lambda: IngressGateway(
                "public",
                exposure="public",
                namespace=output("edge"),
                servers=[server("a.example.com")],
                workload={"createNamespace": True},
            )
        )


# -- EgressGateway ------------------------------------------------------------------------------


def egress_program(
    value: Value, *, cidr: str = "10.20.0.0/16", ip: str = "203.0.113.10"
) -> Callable[[], None]:
    def program() -> None:
        EgressGateway(
            "egress",
            destinations=[dest("api.stripe.com", 443, "tls-passthrough", {"namespace": "payments"})],
            enforcement={"allowedCidrs": [value(cidr)]},
            egress_ips=[value(ip)],
        )

    return program


def test_egress_cidrs_as_outputs_render_and_export_what_plain_values_do() -> None:
    plain_rec, rec = run(egress_program(plain)), run(egress_program(output))
    assert bodies(rec) == bodies(plain_rec)
    assert {r.name for r in rec.resources} == {r.name for r in plain_rec.resources}
    assert rec.by_name("egress", EGRESS).outputs["egressIps"] == ["203.0.113.10"]


def test_egress_unknown_at_preview_registers_and_says_which_checks_wait() -> None:
    rec = run(egress_program(hidden), preview=True)
    plain_rec = run(egress_program(plain), preview=True)
    assert sorted(r.name for r in rec.resources) == sorted(r.name for r in plain_rec.resources)
    assert any(
        m.message.startswith("meshgw:index:EgressGateway egress: its checks")
        and "enforcement.allowedCidrs[0]" in m.message
        for m in rec.logs
    )


def test_egress_bad_cidr_output_fails_with_the_plain_message() -> None:
    with pytest.raises(ComponentConfigError) as plain_err:
        run(egress_program(plain, cidr="10.0.0.1/8"))
    with pytest.raises((ComponentConfigError, LateCheckError)) as late_err:
        run(egress_program(output, cidr="10.0.0.1/8"))
    assert "has host bits set; write the network address: 10.0.0.0/8" in str(plain_err.value)
    assert str(late_err.value) == str(plain_err.value)


def test_egress_host_output_is_refused_by_name() -> None:
    def program() -> None:
        EgressGateway(
            "egress",
            destinations=[dest(output("api.stripe.com"), 443, "tls-passthrough", {"namespace": "payments"})],
        )

    with pytest.raises(
        ComponentConfigError, match=r"destinations\[0\]\.host: is an Output; an egress destination"
    ):
        run(program)


def origination_program(cert: Callable[[], Any], key: Callable[[], Any]) -> Callable[[], None]:
    def program() -> None:
        d = dest("ledger.bank.example.com", 443, "tls-origination", {"namespace": "payments"})
        d["origination"] = {"mode": "MUTUAL", "certificate": {"pem": {"cert": cert(), "key": key()}}}
        EgressGateway("egress", destinations=[d])

    return program


def test_egress_origination_pem_from_a_secret_output_stays_secret() -> None:
    cert, key = make_pem(["egress.istio-egress.svc.cluster.local"])
    rec = run(origination_program(lambda: pulumi.Output.secret(cert), lambda: pulumi.Output.secret(key)))
    (secret,) = [r for r in rec.resources if r.type == "kubernetes:core/v1:Secret"]
    assert "stringData" in secret.secret_fields
    assert secret.inputs["stringData"]["tls.key"] == SECRET
    assert key.splitlines()[1] not in repr(rec) and cert.splitlines()[1] not in repr(rec)


def test_egress_origination_pem_outputs_are_checked_as_text_is() -> None:
    cert, _ = make_pem(["egress.istio-egress.svc.cluster.local"])
    _, other = make_pem(["egress.istio-egress.svc.cluster.local"])
    with pytest.raises(ComponentConfigError) as plain_err:
        run(origination_program(lambda: cert, lambda: other))
    with pytest.raises((ComponentConfigError, LateCheckError)) as late_err:
        run(origination_program(lambda: pulumi.Output.secret(cert), lambda: pulumi.Output.secret(other)))
    assert "destinations[0].origination.certificate.pem.key: does not match" in str(plain_err.value)
    assert str(late_err.value) == str(plain_err.value)


# -- Mesh ---------------------------------------------------------------------------------------


def test_mesh_takes_plain_config_and_names_an_output_with_the_way_out() -> None:
    def program() -> None:
        Mesh("mesh", {"workloads": [{"name": "public", "namespace": output("edge"), "exposure": "public"}]})

    with pytest.raises(ComponentConfigError) as err:
        run(program)
    ((path, code, message),) = [(p.path, p.code, p.message) for p in err.value.problems]
    assert (path, code) == ("workloads[0].namespace", "MGW0100")
    assert message.startswith("is an Output; a Mesh is built from stack config")
    assert "declare the individual components" in message


def test_a_port_name_output_is_refused_at_once_by_name() -> None:
    """A port's name names the server's TLS Secret: with an Output there, the Secret registered now
    could have another name than the Gateway's credentialName."""

    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            servers=[
                {
                    "port": {"number": 443, "name": output("https"), "protocol": "HTTPS"},
                    "hosts": ["a.example.com"],
                }
            ],
        )

    with pytest.raises(ComponentConfigError) as err:
        run(program, preview=True)
    ((path, code, message),) = [(p.path, p.code, p.message) for p in err.value.problems]
    assert (path, code) == ("servers[0].port.name", "MGW0100")
    assert message.startswith("is an Output; this value names the objects")


def test_pem_outputs_with_an_output_namespace_land_in_the_real_namespace_and_stay_secret() -> None:
    cert, key = make_pem(["shop.example.com"])

    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            namespace=output("edge"),
            workload={"createNamespace": False},
            servers=[
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": [output("shop.example.com")],
                    "tls": {
                        "mode": "SIMPLE",
                        "certificate": {"pem": {"cert": secret(cert), "key": secret(key)}},
                    },
                }
            ],
        )

    rec = run(program)
    tls = rec.by_name("secret:public/public-https-cert")
    assert tls.inputs["metadata"]["namespace"] == "edge"
    assert tls.inputs["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    assert key.splitlines()[1] not in repr(rec) and cert.splitlines()[1] not in repr(rec)
    gateway = bodies(rec)[("kubernetes:networking.istio.io/v1:Gateway", "public")]
    assert gateway["spec"]["servers"][0]["tls"]["credentialName"] == "public-https-cert"
    assert gateway["spec"]["servers"][0]["hosts"] == ["shop.example.com"]


def test_a_route_naming_a_waiting_gateway_as_text_waits_for_it() -> None:
    """Hosts from other resources, a plain namespace: a route that names the Gateway as
    ``namespace/name`` is checked against the real Gateway once its values are known."""

    def program(route_host: str) -> Callable[[], None]:
        def build() -> None:
            IngressGateway(
                "public", exposure="public", namespace="edge", servers=[server(output("a.example.com"))]
            )
            VirtualService("shop", namespace="shop", hosts=[route_host], gateways=["edge/public"], http=ROUTE)

        return build

    rec = run(program("a.example.com"))
    assert "gateway:edge/public" in {rec.by_urn(u).name for u in rec.by_name("shop").dependencies}
    with pytest.raises((ComponentConfigError, LateCheckError), match="IST0132"):
        run(program("b.example.com"))
    preview = run(program("a.example.com"), preview=True)
    assert preview.by_name("shop").type == "kubernetes:networking.istio.io/v1:VirtualService"


def test_a_workload_with_an_unknown_namespace_registers_its_objects_at_preview() -> None:
    def program() -> None:
        GatewayWorkload("edge", namespace=unknown(), exposure="cluster", replicas=unknown())

    rec = run(program, preview=True)
    names = {r.name for r in rec.resources if r.type.startswith("kubernetes:")}
    assert {"deployment:edge/edge", "service:edge/edge", "serviceaccount:edge/edge"} <= names
    assert not [n for n in names if n.startswith("namespace:")]  # it comes from another resource
    assert any(
        m.message.startswith("meshgw:index:GatewayWorkload edge: its checks")
        and "namespace, replicas" in m.message
        for m in rec.logs
    )
