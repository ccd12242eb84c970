"""Components and the analysis: external declarations, warnings in the Pulumi log, errors at preview."""

from __future__ import annotations

import pytest

from pulumi_meshgw import (
    ComponentConfigError,
    DestinationRule,
    Gateway,
    GatewayWorkload,
    Mesh,
    VirtualService,
    declare_external,
)
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh

ROUTE = [{"route": [{"destination": {"host": "orders", "port": {"number": 8080}}}]}]


def test_routes_may_bind_a_declared_external_gateway() -> None:
    def program() -> None:
        declare_external(
            {"kind": "Gateway", "namespace": "platform", "name": "shared", "hosts": ["*.apps.example.com"]},
            {"kind": "Service", "host": "orders", "namespace": "orders", "ports": [8080]},
        )
        VirtualService(
            "orders",
            namespace="orders",
            hosts=["orders.apps.example.com"],
            gateways=["platform/shared"],
            http=ROUTE,
        )

    rec = run(program, preview=True)
    assert rec.by_name("orders").type == "kubernetes:networking.istio.io/v1:VirtualService"


def test_external_gateway_hosts_and_service_ports_are_checked() -> None:
    def program() -> None:
        declare_external(
            {"kind": "Gateway", "namespace": "platform", "name": "shared", "hosts": ["*.apps.example.com"]},
            {"kind": "Service", "host": "orders", "namespace": "orders", "ports": [80]},
        )
        VirtualService(
            "orders",
            namespace="orders",
            hosts=["orders.example.com"],
            gateways=["platform/shared"],
            http=ROUTE,
        )

    with pytest.raises(ComponentConfigError) as info:
        run(program, preview=True)
    assert [(p.code, p.path) for p in info.value.problems] == [
        ("IST0132", "VirtualService orders/orders spec.gateways[0]"),
        ("IST0101", "VirtualService orders/orders spec.http[0].route[0].destination.port.number"),
    ]


def test_invalid_declarations_name_the_item() -> None:
    def program() -> None:
        declare_external({"kind": "Gateway", "namespace": "platform"}, {"kind": "Bucket"})

    with pytest.raises(ComponentConfigError) as info:
        run(program)
    paths = [p.path for p in info.value.problems]
    assert paths == ["[0]", "[1].kind"]


def test_warnings_go_to_the_pulumi_log_and_infos_stay_quiet() -> None:
    def program() -> None:
        DestinationRule(
            "partner",
            namespace="shop",
            host="api.partner.example.com",
            traffic_policy={"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}},
        )
        DestinationRule(
            "billing",
            namespace="shop",
            host="billing.example.com",
            traffic_policy={"tls": {"mode": "SIMPLE"}},
        )

    rec = run(program, preview=True)
    warnings = [m.message for m in rec.logs if m.severity == "warning"]
    assert len(warnings) == 1
    # The log's severity is the level; the message is WHERE: MESSAGE [CODE].
    assert warnings[0].startswith("DestinationRule shop/partner spec.trafficPolicy.tls.insecureSkipVerify: ")
    assert warnings[0].endswith("[IST0128]")
    assert any(
        m.severity == "info"
        and m.message.startswith("DestinationRule shop/billing")
        and "[IST0128]" in m.message
        for m in rec.logs
    )


def test_new_checks_fail_preview_in_components() -> None:
    def program() -> None:
        w = GatewayWorkload("edge", namespace="edge", exposure="cluster")
        Gateway(
            "passthrough",
            workload=w,
            servers=[
                {
                    "port": {"number": 443, "name": "tls", "protocol": "TLS"},
                    "hosts": ["db.example.com"],
                    "tls": {"mode": "PASSTHROUGH"},
                }
            ],
        )
        VirtualService(
            "db", namespace="db", hosts=["db.example.com"], gateways=["edge/passthrough"], http=ROUTE
        )

    with pytest.raises(ComponentConfigError) as info:
        run(program, preview=True)
    assert [(p.code, p.path) for p in info.value.problems] == [("MGW0205", "VirtualService db/db spec.http")]


def test_mesh_config_declares_external_objects() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["gateways"].append("platform/shared")
    with pytest.raises(ComponentConfigError, match="gateway platform/shared does not exist"):
        run(lambda: Mesh("mesh", mesh))
    mesh["external"] = [{"kind": "Gateway", "namespace": "platform", "name": "shared"}]
    rec = run(lambda: Mesh("mesh", mesh))
    assert rec.by_name("virtualservice:shop/shop")


def test_mesh_external_declarations_reach_later_components() -> None:
    mesh = minimal_mesh(
        external=[
            {"kind": "Gateway", "namespace": "platform", "name": "shared", "hosts": ["*.apps.example.com"]},
            {"kind": "Service", "host": "orders", "namespace": "orders", "ports": [8080]},
        ]
    )

    def program(host: str) -> None:
        Mesh("mesh", mesh)
        # No declare_external of its own: the Mesh declared meshgw:external to the stack.
        VirtualService("orders", namespace="orders", hosts=[host], gateways=["platform/shared"], http=ROUTE)

    rec = run(lambda: program("orders.apps.example.com"), preview=True)
    assert rec.by_name("orders").type == "kubernetes:networking.istio.io/v1:VirtualService"
    # Declared with its hosts, so the route is still checked against them.
    with pytest.raises(ComponentConfigError) as info:
        run(lambda: program("orders.example.com"), preview=True)
    assert [(p.code, p.path) for p in info.value.problems] == [
        ("IST0132", "VirtualService orders/orders spec.gateways[0]")
    ]


def test_mesh_destination_rule_findings_are_logged_once() -> None:
    mesh = minimal_mesh(
        destinationRules=[
            {
                "name": "partner",
                "namespace": "shop",
                "host": "api.partner.example.com",
                "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}},
            },
            {
                "name": "billing",
                "namespace": "shop",
                "host": "billing.example.com",
                "trafficPolicy": {"tls": {"mode": "SIMPLE"}},
            },
        ]
    )
    rec = run(lambda: Mesh("mesh", mesh), preview=True)
    found = [(m.severity, m.message) for m in rec.logs if "IST0128" in m.message]
    # Once each, from the plan, with the config path and the level of the finding.
    assert [(level, message.partition(":")[0]) for level, message in found] == [
        ("warning", "destinationRules[0].trafficPolicy.tls.insecureSkipVerify"),
        ("info", "destinationRules[1].trafficPolicy.tls"),
    ]
    assert rec.by_name("destinationrule:shop/partner")
