"""Typed Args: each component takes its ``*Args`` object or keywords, with the same result and the
same checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pulumi_meshgw import (
    ComponentConfigError,
    DestinationRule,
    EgressGateway,
    Gateway,
    GatewayWorkload,
    IngressGateway,
    Mesh,
    VirtualService,
)
from pulumi_meshgw.components.args import (
    DestinationRuleArgs,
    EgressGatewayArgs,
    GatewayArgs,
    GatewayWorkloadArgs,
    IngressGatewayArgs,
    MeshArgs,
    ServerArgs,
    VirtualServiceArgs,
    WorkloadRefArgs,
)
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh

HTTP = ServerArgs(port={"number": 80, "name": "http", "protocol": "HTTP"}, hosts=["shop.example.com"])
ROUTE = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}]
EGRESS = {
    "destinations": [
        {
            "host": "api.example.com",
            "port": 443,
            "mode": "tls-passthrough",
            "sources": [{"namespace": "shop"}],
        }
    ]
}


def bodies(program: Callable[[], object]) -> list[tuple[str, Any]]:
    return [(m.filename, m.body) for m in run(program).manifests()]


def keyword_program() -> None:
    w = GatewayWorkload("edge", namespace="edge", exposure="cluster")
    gw = Gateway("edge-gw", workload=w, servers=[HTTP])
    IngressGateway("public", exposure="public", servers=[HTTP])
    DestinationRule("shop", namespace="shop", host="shop", subsets=[{"name": "v1", "labels": {"v": "1"}}])
    VirtualService("shop", namespace="shop", hosts=["shop.example.com"], gateways=[gw], http=ROUTE)
    EgressGateway("out", **EGRESS)


def args_program() -> None:
    w = GatewayWorkload("edge", GatewayWorkloadArgs(namespace="edge", exposure="cluster"))
    gw = Gateway("edge-gw", GatewayArgs(workload=w, servers=[HTTP]))
    IngressGateway("public", IngressGatewayArgs(exposure="public", servers=[HTTP]))
    DestinationRule(
        "shop",
        DestinationRuleArgs(namespace="shop", host="shop", subsets=[{"name": "v1", "labels": {"v": "1"}}]),
    )
    VirtualService(
        "shop",
        args=VirtualServiceArgs(namespace="shop", hosts=["shop.example.com"], gateways=[gw.ref], http=ROUTE),
    )
    EgressGateway("out", EgressGatewayArgs(**EGRESS))


def test_args_and_keywords_render_the_same_objects() -> None:
    assert bodies(args_program) == bodies(keyword_program)


def test_gateway_takes_a_workload_reference_mapping() -> None:
    def program() -> None:
        ref = WorkloadRefArgs(
            name="ingressgateway", namespace="istio-system", labels={"istio": "ingressgateway"}
        )
        Gateway("legacy", GatewayArgs(workload=ref, servers=[HTTP]))

    (gw,) = [m for m in run(program).manifests() if m.body["kind"] == "Gateway"]
    assert gw.body["metadata"]["namespace"] == "istio-system"
    assert gw.body["spec"]["selector"] == {"istio": "ingressgateway"}


def test_mesh_takes_mesh_args_with_snake_case_keys() -> None:
    config = minimal_mesh()
    snake = MeshArgs(
        workloads=config["workloads"],
        gateways=config["gateways"],
        virtual_services=config["virtualServices"],
    )
    assert bodies(lambda: Mesh("mesh", snake)) == bodies(lambda: Mesh("mesh", config))


def problems_of(program: Callable[[], object]) -> list[tuple[str, str]]:
    with pytest.raises(ComponentConfigError) as err:
        run(program)
    return [(p.path, p.message) for p in err.value.problems]


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        (
            lambda: IngressGateway(
                "x", IngressGatewayArgs(exposure="public", servers=[HTTP]), servers=[HTTP]
            ),
            [("servers", "given both in args and as a keyword; give it once")],
        ),
        (
            lambda: IngressGateway("x", IngressGatewayArgs(exposure="public")),
            [("servers", "required argument is missing")],
        ),
        (
            lambda: IngressGateway("x", IngressGatewayArgs(exposure="public", servers="a")),
            [("servers", "must be a list, got the string 'a'; a single item is written as a list: ['a']")],
        ),
        (
            lambda: IngressGateway("x", IngressGatewayArgs(exposure="public", severs=[HTTP])),
            [
                (
                    "severs",
                    "unknown argument; did you mean 'servers'? known arguments: resource_name, args, opts, "
                    "servers, "
                    "exposure, namespace, workload, gateway_name, base_dir, cache, rate_limit, firewall, "
                    "authentication, address, address_pools",
                ),
                # Every problem at once: the misspelt name leaves the real one unset.
                ("servers", "required argument is missing"),
            ],
        ),
        (lambda: Gateway("x", 3), [("args", "must be a GatewayArgs (a mapping), got 3")]),
    ],
)
def test_args_get_the_checks_keywords_get(
    program: Callable[[], object], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(program) == expected
