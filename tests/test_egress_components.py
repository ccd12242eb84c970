"""EgressGateway under the mock engine: parents, dependencies (the apply order), secrets, outputs,
conflicts between components, the Mesh integration, and both stacks run end to end."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pulumi_meshgw import ComponentConfigError, EgressGateway, Mesh, VirtualService
from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.analysis.egress import check_egress_consistency
from pulumi_meshgw.components.stack import mesh_from_config
from pulumi_meshgw.offline import run_stack
from pulumi_meshgw.spec.egress import EgressDestination, EgressEnforcement, EgressTelemetry
from pulumi_meshgw.testing import SECRET, Recording, RegisteredResource, run

from .conftest import ROOT, make_pem
from .test_egress import ALL_MODES, dest

GW = "meshgw:index:EgressGateway"
STRIPE = dest("api.stripe.com", 443, "tls-passthrough", {"namespace": "payments"})
BRAINTREE = dest("api.braintreegateway.com", 443, "tls-passthrough", {"namespace": "payments"})


def deps(rec: Recording, res: RegisteredResource) -> set[str]:
    return {rec.by_urn(u).name for u in res.dependencies}


def parent(rec: Recording, res: RegisteredResource) -> str | None:
    p = rec.parent_of(res)
    return p.name if p else None


def egress_program(**over: Any) -> Any:
    cfg = copy.deepcopy(ALL_MODES)
    cfg.update(over)

    def program() -> None:
        EgressGateway(
            cfg["name"],
            destinations=cfg["destinations"],
            namespace=cfg.get("namespace"),
            workload={"nodeSelector": {"node-pool": "egress"}},
            egress_ips=["203.0.113.10"],
        )

    return program


@pytest.fixture(scope="module")
def rec() -> Recording:
    return run(egress_program())


def test_children_are_parented_and_ordered(rec: Recording) -> None:
    comp = rec.by_name("egress", GW)
    assert parent(rec, comp) is not None and not comp.custom
    workload = rec.by_name("egress-workload")
    assert parent(rec, workload) == "egress"
    for name in (
        "gateway:istio-egress/egress",
        "serviceentry:istio-egress/egress-api-stripe-com",
        "virtualservice:istio-egress/egress-api-stripe-com",
        "authorizationpolicy:istio-egress/egress",
        "telemetry:istio-egress/egress",
        "destinationrule:istio-egress/egress-gateway-hop",
        "sidecar:payments/default",
        "networkpolicy:payments/meshgw-egress-egress",
    ):
        assert parent(rec, rec.by_name(name)) == "egress", name
    assert parent(rec, rec.by_name("deployment:istio-egress/egress")) == "egress-workload"

    # The workload before the Gateway.
    gateway = rec.by_name("gateway:istio-egress/egress")
    assert {"deployment:istio-egress/egress", "service:istio-egress/egress"} <= deps(rec, gateway)
    # The Gateway, the ServiceEntry, both DestinationRules and the policy before the route.
    vs = rec.by_name("virtualservice:istio-egress/egress-ledger-bank-example-com")
    assert {
        "gateway:istio-egress/egress",
        "serviceentry:istio-egress/egress-ledger-bank-example-com",
        "destinationrule:istio-egress/egress-gateway-hop",
        "destinationrule:istio-egress/egress-ledger-bank-example-com-origination",
        "authorizationpolicy:istio-egress/egress",
        "telemetry:istio-egress/egress",
    } <= deps(rec, vs)
    # The origination rule after the client certificate it names.
    dr = rec.by_name("destinationrule:istio-egress/egress-ledger-bank-example-com-origination")
    assert "secret:istio-egress/egress-ledger-bank-example-com-443" in deps(rec, dr)
    # The lock-down after the routes.
    sidecar = rec.by_name("sidecar:payments/default")
    assert "virtualservice:istio-egress/egress-api-stripe-com" in deps(rec, sidecar)

    order = [(m.kind, m.name) for m in rec.manifests()]
    assert order.index(("Deployment", "egress")) < order.index(("Gateway", "egress"))
    for host in (
        "api-stripe-com",
        "api-weather-example-com",
        "api-partner-example-com",
        "ledger-bank-example-com",
    ):
        se = order.index(("ServiceEntry", f"egress-{host}"))
        assert se < order.index(("VirtualService", f"egress-{host}"))
        assert order.index(("Gateway", "egress")) < order.index(("VirtualService", f"egress-{host}"))
    assert max(i for i, (k, _) in enumerate(order) if k == "VirtualService") < min(
        i for i, (k, _) in enumerate(order) if k == "Sidecar"
    )


def test_registered_objects_are_consistent_and_schema_valid(rec: Recording) -> None:
    bodies = [dict(m.body) for m in rec.manifests() if not m.resource.secret_fields]
    assert check_egress_consistency(bodies) == []
    assert validate_manifests(bodies) == []


def test_client_certificate_material_is_secret(rec: Recording) -> None:
    secret = rec.by_name("secret:istio-egress/egress-ledger-bank-example-com-443")
    assert secret.secret_fields == {"stringData"}
    data = secret.inputs["stringData"]
    assert data == {"tls.crt": SECRET, "tls.key": SECRET}
    key = rec.by_name("istio-egress/egress-ledger-bank-example-com-443-key")
    assert key.type == "tls:index/privateKey:PrivateKey"
    cert = rec.by_name("istio-egress/egress-ledger-bank-example-com-443-cert")
    assert "client_auth" in cert.inputs["allowedUses"] and "server_auth" not in cert.inputs["allowedUses"]
    assert "PRIVATE KEY" not in repr(rec)


def test_outputs(rec: Recording) -> None:
    out = rec.by_name("egress", GW).outputs
    assert out["serviceFqdn"] == "egress.istio-egress.svc.cluster.local"
    assert out["egressIps"] == ["203.0.113.10"]
    assert out["destinations"][0] == {
        "host": "api.stripe.com",
        "port": 443,
        "mode": "tls-passthrough",
        "meshPort": 443,
    }
    svc = rec.by_name("service:istio-egress/egress")
    assert svc.inputs["spec"]["type"] == "ClusterIP"
    dep = rec.by_name("deployment:istio-egress/egress")
    assert dep.inputs["spec"]["template"]["spec"]["nodeSelector"] == {"node-pool": "egress"}


def test_standalone_gateways_conflict_before_registering() -> None:
    caught: list[ComponentConfigError] = []

    def program() -> None:
        EgressGateway("a", destinations=[STRIPE])
        try:
            EgressGateway("b", destinations=[STRIPE])
        except ComponentConfigError as err:
            caught.append(err)
        try:  # a second egress namespace for payments would need a second (merged) Sidecar
            EgressGateway("c", namespace="istio-egress-c", destinations=[BRAINTREE])
        except ComponentConfigError as err:
            caught.append(err)

    result = run(program)
    first, second = caught
    assert [p.code for p in first.problems] == ["MGW0310"]
    assert "api.stripe.com:443 is already claimed by egress gateway 'a'" in str(first)
    assert [p.code for p in second.problems] == ["IST0111"]
    assert "declare the egress gateways in one mesh" in str(second).lower()
    assert not [r for r in result.resources if r.type == GW and r.name in ("b", "c")]


def test_standalone_gateways_in_one_namespace_share_the_sidecar() -> None:
    def program() -> None:
        EgressGateway("a", destinations=[STRIPE])
        EgressGateway("b", destinations=[BRAINTREE])

    result = run(program)
    assert [r.name for r in result.resources if r.name.startswith("sidecar:")] == ["sidecar:payments/default"]
    assert len([r for r in result.resources if r.name.startswith("networkpolicy:payments/")]) == 2


def test_standalone_gateway_checks_its_service_entries_and_rules() -> None:
    # A TCP port without addresses on the ServiceEntry (IST0134), set through the escape hatch.
    ports = [
        {"number": 443, "name": "tls-443", "protocol": "TLS"},
        {"number": 9999, "name": "tcp-9999", "protocol": "TCP"},
    ]
    overrides = {"ServiceEntry": {"spec": {"ports": ports}}}
    standalone = run(lambda: EgressGateway("egress", destinations=[STRIPE], overrides=overrides))
    mesh = run(
        lambda: Mesh(
            "mesh", {"egressGateways": [{"name": "egress", "destinations": [STRIPE], "overrides": overrides}]}
        )
    )
    where = "ServiceEntry istio-egress/egress-api-stripe-com spec.ports[1]"
    for rec in (standalone, mesh):  # once each: a Mesh checked it in its plan
        found = [m for m in rec.logs if where in m.message]
        assert [m.severity for m in found] == ["warning"], rec.logs
        assert "IST0134" in found[0].message
    # The library's own SIMPLE origination (OS trust store) stays quiet, as in a Mesh.
    assert not run(lambda: EgressGateway("egress", destinations=ALL_MODES["destinations"])).logs


def test_bad_egress_gateway_registers_nothing() -> None:
    caught: list[ComponentConfigError] = []

    def program() -> None:
        try:
            EgressGateway(
                "egress",
                destinations=[
                    {
                        "host": "*.stripe.com",
                        "mode": "tls-passthrough",
                        "sources": [{"namespace": "payments"}],
                    }
                ],
            )
        except ComponentConfigError as err:
            caught.append(err)

    result = run(program)
    assert [p.path for p in caught[0].problems] == ["destinations[0].host", "destinations[0].port"]
    assert [r.type for r in result.resources] == ["pulumi:pulumi:Stack"]


def test_routes_may_bind_the_egress_gateway_object() -> None:
    def program() -> None:
        gw = EgressGateway("egress", destinations=ALL_MODES["destinations"])
        VirtualService(
            "extra",
            namespace="istio-egress",
            hosts=["api.weather.example.com"],
            gateways=[gw.ref],
            http=[
                {
                    "match": [{"gateways": [gw.ref], "port": 80, "uri": {"prefix": "/v2"}}],
                    "route": [{"destination": {"host": "api.weather.example.com", "port": {"number": 80}}}],
                }
            ],
        )

    result = run(program)
    vs = result.by_name("extra")
    assert "gateway:istio-egress/egress" in deps(result, vs)


def test_python_api_takes_spec_objects() -> None:
    def program() -> None:
        EgressGateway(
            "egress",
            destinations=[EgressDestination.model_validate(ALL_MODES["destinations"][0])],
            telemetry=EgressTelemetry(access_logging=False),
            enforcement=EgressEnforcement(sidecar=False, network_policy=False),
            overrides={"ServiceEntry": {"metadata": {"labels": {"team": "payments"}}}},
        )

    result = run(program)
    telemetry = result.by_name("telemetry:istio-egress/egress")
    assert telemetry.inputs["spec"]["accessLogging"] == [{"disabled": True, "providers": [{"name": "envoy"}]}]
    se = result.by_name("serviceentry:istio-egress/egress-api-stripe-com")
    assert se.inputs["metadata"]["labels"]["team"] == "payments"
    assert not [r for r in result.resources if r.name.startswith(("sidecar:", "networkpolicy:"))]


def test_mesh_owns_one_sidecar_per_namespace_for_all_egress_gateways() -> None:
    pci = {
        "name": "egress-pci",
        "namespace": "istio-egress-pci",
        "destinations": [BRAINTREE],
    }
    result = run(lambda: Mesh("mesh", {"egressGateways": [copy.deepcopy(ALL_MODES), pci]}))
    sidecars = [r for r in result.resources if r.name.startswith("sidecar:")]
    assert [r.name for r in sidecars] == [
        "sidecar:orders/default",
        "sidecar:payments/default",
        "sidecar:shop/default",
    ]
    payments = result.by_name("sidecar:payments/default")
    assert parent(result, payments) == "mesh"
    assert payments.inputs["spec"]["egress"][0]["hosts"] == [
        "./*",
        "istio-egress-pci/*",
        "istio-egress/*",
        "istio-system/*",
    ]
    assert {
        "virtualservice:istio-egress/egress-api-stripe-com",
        "virtualservice:istio-egress-pci/egress-pci-api-braintreegateway-com",
    } <= deps(result, payments)
    assert parent(result, result.by_name("egress-pci", GW)) == "mesh"
    assert result.by_name("mesh").outputs["egressGateways"] == {
        "egress": "egress.istio-egress.svc.cluster.local",
        "egress-pci": "egress-pci.istio-egress-pci.svc.cluster.local",
    }


def test_stack_config_keys_named_by_an_origination_are_known() -> None:
    cert, key = make_pem(["egress.istio-egress.svc.cluster.local"])
    egress = copy.deepcopy(ALL_MODES)
    egress["destinations"][3]["origination"] = {
        "mode": "MUTUAL",
        "certificate": {"config": {"cert": "bankCert", "key": "bankKey"}},
    }
    result = run(
        lambda: mesh_from_config("mesh"),
        config={"meshgw:egressGateways": [egress], "meshgw:bankCert": cert, "meshgw:bankKey": key},
        secret_keys=["meshgw:bankCert", "meshgw:bankKey"],
    )
    secret = result.by_name("secret:istio-egress/egress-ledger-bank-example-com-443")
    assert "stringData" in secret.secret_fields
    assert key.splitlines()[1] not in repr(result)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_stack_runs_end_to_end(env: str) -> None:
    result = run_stack(ROOT, env)
    out = result.outputs["egressGateways"]
    egress = out["egress"]
    assert egress["serviceFqdn"] == "egress.istio-egress.svc.cluster.local"
    modes = {"http", "tls-passthrough", "tls-origination"}
    assert {d["mode"] for d in egress["destinations"]} == (modes | {"tcp"} if env == "dev" else modes)
    if env == "prod":
        assert egress["egressIps"] == ["203.0.113.10", "203.0.113.11"]
        assert out["egress-pci"]["egressIps"] == ["203.0.113.20"]
    bodies = [dict(m.body) for m in result.manifests() if not m.resource.secret_fields]
    assert check_egress_consistency(bodies) == []
    assert validate_manifests(bodies) == []
