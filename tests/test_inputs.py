"""Pulumi Inputs: Outputs of other resources as arguments, known, unknown at preview, and secret."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from pulumi_meshgw import ComponentConfigError, DestinationRule, IngressGateway, VirtualService
from pulumi_meshgw.testing import SECRET, Recording, run

from .conftest import make_pem

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
ROUTE = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}]
IST0132 = "no host of this route (blog.example.com) is served by gateway istio-ingress/public"


def unknown() -> pulumi.Output[Any]:
    """An Output whose value is not known, as an attribute of a resource not yet created at preview."""
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    value.set_result(None)
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def route_program(
    host: Callable[[], Any], namespace: Callable[[], Any] = lambda: "shop"
) -> Callable[[], None]:
    def program() -> None:
        gw = IngressGateway("public", exposure="public", servers=[HTTP])
        VirtualService("shop", namespace=namespace(), hosts=[host()], gateways=[gw.gateway], http=ROUTE)

    return program


def body(rec: Recording, name: str) -> Any:
    (m,) = [m for m in rec.manifests() if m.resource.name == name]
    return m.body


def test_known_outputs_give_the_objects_plain_values_give() -> None:
    plain = run(route_program(lambda: "shop.example.com"))
    outputs = run(
        route_program(
            lambda: pulumi.Output.from_input("shop.example.com"), lambda: pulumi.Output.from_input("shop")
        )
    )
    assert body(outputs, "shop") == body(plain, "shop")
    assert not [m for m in outputs.logs if "wait for" in m.message]  # an update runs the checks
    assert "gateway:istio-ingress/public" in {
        outputs.by_urn(u).name for u in outputs.by_name("shop").dependencies
    }


def test_a_bad_output_fails_with_the_message_a_bad_plain_value_gets() -> None:
    with pytest.raises(ComponentConfigError) as plain:
        run(route_program(lambda: "blog.example.com"))
    with pytest.raises(ComponentConfigError) as late:
        run(route_program(lambda: pulumi.Output.from_input("blog.example.com")))
    assert IST0132 in str(plain.value)
    assert str(late.value) == str(plain.value)


def test_unknown_at_preview_registers_and_says_which_checks_wait() -> None:
    rec = run(route_program(unknown), preview=True)
    assert rec.by_name("shop").type == "kubernetes:networking.istio.io/v1:VirtualService"
    waiting = [m.message for m in rec.logs if m.severity == "info" and "VirtualService shop" in m.message]
    assert waiting and "wait for hosts[0]" in waiting[0]


def test_plain_values_beside_an_output_are_still_checked_at_once() -> None:
    def program() -> None:
        DestinationRule("shop", namespace=unknown(), host="shop", subsets=[{"name": "v1", "labels": "v1"}])

    with pytest.raises(ComponentConfigError, match=r"subsets\[0\]\.labels"):
        run(program, preview=True)


def test_an_output_where_a_plain_value_is_needed_is_refused_by_name() -> None:
    with pytest.raises(ComponentConfigError) as err:
        run(
            lambda: IngressGateway("public", exposure="public", gateway_name=unknown(), servers=[HTTP]),
            preview=True,
        )
    ((path, message),) = [(p.path, p.message) for p in err.value.problems]
    assert path == "gateway_name" and message.startswith("is an Output; this argument decides")


def pem_program(cert: Callable[[], Any], key: Callable[[], Any]) -> Callable[[], None]:
    """Values are made inside the program: Outputs belong to the program's event loop."""

    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            servers=[
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["shop.example.com"],
                    "tls": {"mode": "SIMPLE", "certificate": {"pem": {"cert": cert(), "key": key()}}},
                }
            ],
        )

    return program


def test_pem_from_another_resources_secret_output_stays_secret() -> None:
    cert, key = make_pem(["shop.example.com"])
    rec = run(pem_program(lambda: pulumi.Output.secret(cert), lambda: pulumi.Output.secret(key)))
    secret = rec.by_name("secret:istio-ingress/public-https-cert")
    assert secret.secret_fields == {"stringData"}
    assert secret.inputs["stringData"] == {"tls.crt": SECRET, "tls.key": SECRET}
    dump = repr(rec)
    assert cert.splitlines()[1] not in dump and key.splitlines()[1] not in dump


def test_pem_text_and_pem_outputs_are_checked_the_same() -> None:
    cert, _ = make_pem(["shop.example.com"])
    _, other_key = make_pem(["shop.example.com"])
    with pytest.raises(ComponentConfigError) as plain:
        run(pem_program(lambda: cert, lambda: other_key))
    with pytest.raises(ComponentConfigError) as late:
        run(pem_program(lambda: pulumi.Output.secret(cert), lambda: pulumi.Output.secret(other_key)))
    assert "servers[0].tls.certificate.pem.key: does not match the certificate's public key" in str(
        plain.value
    )
    assert str(late.value) == str(plain.value)
    assert other_key.splitlines()[1] not in str(late.value)


def test_pem_output_unknown_at_preview_registers_the_secret() -> None:
    rec = run(pem_program(unknown, unknown), preview=True)
    assert rec.by_name("secret:istio-ingress/public-https-cert").secret_fields == {"stringData"}
