"""Spec validation: every bad input names its config path, the bad value and the fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.spec import GatewaySpec, MeshSpec, VirtualServiceSpec, WorkloadSpec, parse
from pulumi_meshgw.spec.istio import weight_split

from .conftest import minimal_mesh


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        MeshSpec.from_config(config)
    return [str(p) for p in info.value.problems]


def server(**over: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["shop.example.com"],
        "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
    }
    s.update(over)
    return s


def with_server(**over: Any) -> dict[str, Any]:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"] = [server(**over)]
    return mesh


def test_minimal_mesh_is_valid() -> None:
    spec = MeshSpec.from_config(minimal_mesh())
    assert spec.gateways[0].servers[0].tls is not None
    assert spec.workloads[0].selector_labels == {"app": "public", "istio": "public"}


def test_unknown_key_names_path_and_allowed_fields() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["hostz"] = ["x.example.com"]
    (msg,) = problems(mesh)
    assert msg.startswith("gateways[0].servers[0].hostz: unknown field 'hostz'")
    assert "allowed here: bind, defaultEndpoint, hosts, name, port, tls" in msg


def test_unknown_top_level_key() -> None:
    msgs = problems({**minimal_mesh(), "gateway": []})
    assert any(m.startswith("gateway: unknown config key 'meshgw:gateway'") for m in msgs)


def test_wrong_type_names_value() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["port"]["number"] = "four-four-three"
    (msg,) = problems(mesh)
    assert msg.startswith("gateways[0].servers[0].port.number:")
    assert "four-four-three" in msg


def test_bad_enum_lists_choices() -> None:
    (msg,) = problems(with_server(tls={"mode": "SIMPEL", "certificate": {"selfSigned": {}}}))
    assert msg.startswith("gateways[0].servers[0].tls.mode: 'SIMPEL' is not allowed")
    assert "'SIMPLE'" in msg and "'MUTUAL'" in msg


def test_items_collect_all_problems() -> None:
    mesh = minimal_mesh()
    mesh["workloads"][0]["exposure"] = "everywhere"
    mesh["virtualServices"][0]["hosts"] = ["Shop.Example.com"]
    msgs = problems(mesh)
    assert len(msgs) == 2
    assert msgs[0].startswith("workloads[0].exposure")
    assert msgs[1].startswith("virtualServices[0].hosts[0]: host 'Shop.Example.com' must be lowercase")


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("shop", "short name"),
        ("shop*.example.com", "left-most label"),
        ("*.*.example.com", "left-most label"),
        ("bad_name.example.com", "not a valid DNS name"),
        ("Foo/shop.example.com", "namespace part"),
    ],
)
def test_gateway_host_rules(host: str, fragment: str) -> None:
    (msg,) = problems(with_server(hosts=[host]))
    assert msg.startswith("gateways[0].servers[0].hosts[0]:")
    assert fragment in msg


@pytest.mark.parametrize(
    "host", ["*", "*.example.com", "shop.example.com", "./shop.example.com", "*/a.b.c", "10.0.0.1"]
)
def test_gateway_hosts_accepted(host: str) -> None:
    MeshSpec.from_config(with_server(hosts=[host], tls={"mode": "PASSTHROUGH"}))


def test_https_without_tls_block() -> None:
    mesh = with_server()
    del mesh["gateways"][0]["servers"][0]["tls"]
    (msg,) = problems(mesh)
    assert msg.startswith("gateways[0].servers[0].tls: a HTTPS server needs a tls block")


def test_omitted_tls_mode_is_refused() -> None:
    (msg,) = problems(with_server(tls={"certificate": {"selfSigned": {}}}))
    assert msg.startswith(
        "gateways[0].servers[0].tls.mode: required; Istio reads an omitted mode as PASSTHROUGH"
    )


@pytest.mark.parametrize(
    ("tls", "path", "fragment"),
    [
        ({"mode": "SIMPLE"}, "tls", "needs a certificate"),
        ({"mode": "SIMPLE", "serverCertificate": "/c"}, "tls", "go together"),
        (
            {"mode": "MUTUAL", "serverCertificate": "/c", "privateKey": "/k"},
            "tls.caCertificates",
            "client CA bundle",
        ),
        ({"mode": "PASSTHROUGH", "credentialName": "x"}, "tls.credentialName", "uses no server certificate"),
        (
            {"mode": "ISTIO_MUTUAL", "certificate": {"selfSigned": {}}},
            "tls.certificate",
            "uses no server certificate",
        ),
        (
            {
                "mode": "SIMPLE",
                "certificate": {"selfSigned": {}},
                "serverCertificate": "/c",
                "privateKey": "/k",
            },
            "tls",
            "exactly one certificate source",
        ),
        (
            {"mode": "SIMPLE", "credentialName": "c", "minProtocolVersion": "TLSV1_1"},
            "tls.minProtocolVersion",
            "below TLS 1.2",
        ),
        (
            {"mode": "SIMPLE", "credentialName": "c", "httpsRedirect": True},
            "tls.httpsRedirect",
            "only applies to HTTP",
        ),
        ({"mode": "AUTO_PASSTHROUGH"}, "tls.mode", "requires port.protocol TLS"),
        ({"mode": "SIMPLE", "certificate": {}}, "tls.certificate", "exactly one of selfSigned"),
    ],
)
def test_tls_mode_against_certificate_fields(tls: dict[str, Any], path: str, fragment: str) -> None:
    msgs = problems(with_server(tls=tls))
    assert any(m.startswith(f"gateways[0].servers[0].{path}:") and fragment in m for m in msgs), msgs


def test_plain_http_may_only_redirect() -> None:
    ok = server(port={"number": 80, "name": "http", "protocol": "HTTP"}, tls={"httpsRedirect": True})
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"].append(ok)
    MeshSpec.from_config(mesh)
    bad = with_server(port={"number": 80, "name": "http", "protocol": "HTTP"})
    (msg,) = problems(bad)
    assert "may only carry tls.httpsRedirect" in msg


def test_port_names_unique_per_gateway() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"].append(server(port={"number": 8443, "name": "https", "protocol": "HTTPS"}))
    (msg,) = problems(mesh)
    assert msg.startswith("gateways[0].servers[1].port.name: port name 'https' is already used by servers[0]")


def test_target_port_refused() -> None:
    (msg,) = problems(
        with_server(port={"number": 443, "name": "https", "protocol": "HTTPS", "targetPort": 8443})
    )
    assert "targetPort has no effect on Gateways" in msg


def test_protocol_is_case_insensitive_and_checked() -> None:
    spec = parse(
        GatewaySpec,
        {
            "name": "g",
            "workload": "w",
            "servers": [server(port={"number": 80, "name": "h", "protocol": "http"}, tls=None)],
        },
    )
    assert spec.servers[0].port.protocol.value == "HTTP"
    (msg,) = problems(with_server(port={"number": 80, "name": "h", "protocol": "SPDY"}))
    assert "'SPDY' is not allowed" in msg


def test_gateway_name_must_be_dns_label() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["name"] = "public.gw"
    (msg,) = problems(mesh)
    assert msg.startswith("gateways[0].name:") and "DNS-1123 label" in msg


def test_duplicate_names() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"].append(copy.deepcopy(mesh["virtualServices"][0]))
    (msg,) = problems(mesh)
    assert msg.startswith("virtualServices[1].name: 'shop/shop' is already declared by virtualServices[0]")


def test_route_weights_are_istios_shares_and_only_a_zero_total_is_refused() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["http"] = [
        {
            "route": [
                {"destination": {"host": "a"}, "weight": 60},
                {"destination": {"host": "b"}, "weight": 30},
            ]
        }
    ]
    MeshSpec.from_config(mesh)  # Istio accepts it: a 2:1 split
    assert weight_split([60, 30]) == (
        "destination weights [60, 30] sum to 90, not 100; Istio divides each by the total, so the "
        "split is 66.7% / 33.3%. Write the weights as percentages to say so"
    )
    assert weight_split([60, None]) is not None and "100% / 0%" in str(weight_split([60, None]))
    assert weight_split([70, 30]) is None and weight_split([5]) is None
    for route in mesh["virtualServices"][0]["http"][0]["route"]:
        route["weight"] = 0
    (msg,) = problems(mesh)
    assert msg.startswith(
        "virtualServices[0].http[0]: destination weights [0, 0] total 0, which Istio rejects"
    )


def test_route_needs_one_action() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["http"] = [{"match": [{"uri": {"prefix": "/"}}]}]
    (msg,) = problems(mesh)
    assert "exactly one of route, redirect, directResponse or delegate" in msg


def test_string_match_exactly_one() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["http"][0]["match"] = [{"uri": {"prefix": "/", "exact": "/x"}}]
    (msg,) = problems(mesh)
    assert (
        msg.startswith("virtualServices[0].http[0].match[0].uri:")
        and "exactly one of exact, prefix or regex" in msg
    )


def test_legacy_gateway_reference_form() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["gateways"] = ["public.istio-ingress"]
    (msg,) = problems(mesh)
    assert "legacy 'name.namespace' form; write 'namespace/name'" in msg


def test_full_istio_route_surface_parses() -> None:
    vs = parse(
        VirtualServiceSpec,
        {
            "name": "r",
            "namespace": "ns",
            "hosts": ["r.example.com"],
            "gateways": ["gw-ns/gw", "mesh"],
            "http": [
                {
                    "name": "all-the-things",
                    "match": [
                        {
                            "uri": {"regex": "^/api/v[0-9]+"},
                            "headers": {"x-env": {"exact": "prod"}},
                            "method": {"exact": "GET"},
                            "queryParams": {"debug": {"exact": "1"}},
                            "port": 443,
                            "authority": {"prefix": "r."},
                        }
                    ],
                    "route": [
                        {"destination": {"host": "a", "subset": "v1", "port": {"number": 80}}, "weight": 70},
                        {
                            "destination": {"host": "b"},
                            "weight": 30,
                            "headers": {"request": {"set": {"x": "1"}}},
                        },
                    ],
                    "rewrite": {"uri": "/"},
                    "timeout": "5s",
                    "retries": {"attempts": 2, "perTryTimeout": "1s", "retryOn": "5xx"},
                    "fault": {
                        "delay": {"fixedDelay": "1s", "percentage": {"value": 1}},
                        "abort": {"httpStatus": 503},
                    },
                    "mirror": {"host": "shadow"},
                    "mirrorPercentage": {"value": 5},
                    "corsPolicy": {
                        "allowOrigins": [{"exact": "https://x"}],
                        "allowMethods": ["GET"],
                        "maxAge": "1h",
                    },
                    "headers": {"response": {"remove": ["server"]}},
                },
                {"redirect": {"uri": "/new", "redirectCode": 308}},
            ],
            "tcp": [
                {
                    "match": [{"port": 5432}],
                    "route": [{"destination": {"host": "db", "port": {"number": 5432}}}],
                }
            ],
            "tls": [
                {
                    "match": [{"port": 443, "sniHosts": ["r.example.com"]}],
                    "route": [{"destination": {"host": "r"}}],
                }
            ],
        },
    )
    assert vs.gateway_refs() == [("gw-ns", "gw")]


def test_workload_exposure_required_and_internal_needs_cloud() -> None:
    with pytest.raises(ConfigError, match="exposure is required"):
        parse(WorkloadSpec, {"name": "w"})
    with pytest.raises(ConfigError, match="exposure 'internal' needs cloud"):
        parse(WorkloadSpec, {"name": "w", "exposure": "internal"})


def test_cluster_exposure_rejects_load_balancer_fields() -> None:
    with pytest.raises(ConfigError) as info:
        parse(
            WorkloadSpec, {"name": "w", "exposure": "cluster", "service": {"externalTrafficPolicy": "Local"}}
        )
    assert str(info.value.problems[0]).startswith(
        "service.externalTrafficPolicy: only applies to a LoadBalancer"
    )


def test_autoscaling_range_and_chart_spelling() -> None:
    w = parse(
        WorkloadSpec,
        {"name": "w", "exposure": "public", "autoscaling": {"targetCPUUtilizationPercentage": 60}},
    )
    assert w.autoscaling.target_cpu_utilization_percentage == 60
    with pytest.raises(ConfigError, match=r"maxReplicas \(1\) is below minReplicas \(2\)"):
        parse(WorkloadSpec, {"name": "w", "exposure": "public", "autoscaling": {"maxReplicas": 1}})


def test_snake_case_python_names_accepted() -> None:
    w = parse(WorkloadSpec, {"name": "w", "exposure": "public", "drain_duration_seconds": 10})
    assert w.drain_duration_seconds == 10


def test_error_is_never_a_pydantic_traceback() -> None:
    with pytest.raises(ConfigError) as info:
        MeshSpec.from_config({"workloads": "not-a-list"})
    assert "must be a list" in str(info.value)


def test_unknown_field_suggests_the_close_name() -> None:
    mesh = minimal_mesh()
    mesh["workloads"][0]["replica"] = 3
    (msg,) = problems(mesh)
    assert msg.startswith("workloads[0].replica: unknown field 'replica' (did you mean 'replicas'?)")
