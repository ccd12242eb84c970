"""Firewall: IP allow/deny lists rendered as scoped DENY AuthorizationPolicies, and the source-IP
preservation they need (topology, externalTrafficPolicy, AWS client IP, source ranges,
NetworkPolicy). Spec errors, renders, schema validation, goldens and the mock engine."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pulumi_meshgw import ComponentConfigError, Gateway, GatewayWorkload, IngressGateway, Mesh
from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.analysis.engine import analyze_manifests
from pulumi_meshgw.offline import dump_manifest
from pulumi_meshgw.render.firewall import derived_source_ranges, render_firewall, workload_with_firewall
from pulumi_meshgw.spec import GatewaySpec, WorkloadSpec, parse
from pulumi_meshgw.testing import Recording, run

from .conftest import GOLDEN, assert_golden, kinds, minimal_mesh, plan, problems

HTTP = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
HTTPS = {
    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
    "hosts": ["shop.example.com", "admin.example.com"],
    "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"},
}
PASSTHROUGH = {
    "port": {"number": 9443, "name": "tls-partner", "protocol": "TLS"},
    "hosts": ["partner.example.com"],
    "tls": {"mode": "PASSTHROUGH"},
}
TG_ATTRIBUTES = "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
PROXY_PROTOCOL = {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*"}}
TCP = {"port": {"number": 5432, "name": "tcp-db", "protocol": "TCP"}, "hosts": ["db.example.com"]}


def golden(name: str, manifests: list[dict[str, Any]]) -> None:
    """The gateway-function goldens: objects as ``meshgw render`` writes them, one YAML stream."""
    assert_golden(GOLDEN / "functions" / f"{name}.yaml", "---\n".join(dump_manifest(m) for m in manifests))


def gateway(**extra: Any) -> dict[str, Any]:
    gw: dict[str, Any] = {
        "name": "public",
        "workload": "public",
        "servers": [copy.deepcopy(s) for s in (HTTP, HTTPS, PASSTHROUGH, TCP)],
    }
    gw.update(extra)
    return gw


def mesh(fw: dict[str, Any] | None = None, **workload: Any) -> dict[str, Any]:
    m = minimal_mesh()
    m["workloads"][0].update(workload)
    m["gateways"] = [gateway(**({"firewall": fw} if fw is not None else {}))]
    m["virtualServices"] = []
    return m


FIREWALL = {
    "allow": ["203.0.113.0/24", "198.51.100.7"],
    "deny": ["203.0.113.128/25"],
    "hosts": [{"host": "admin.example.com", "allow": ["203.0.113.0/28"], "deny": ["203.0.113.8/29"]}],
}


# -- spec errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fw", "path", "match"),
    [
        (
            {"allow": ["10.0.0.1/8"]},
            "gateways[0].firewall.allow[0]",
            "host bits set; write the network address: 10.0.0.0/8",
        ),
        ({"deny": ["not-an-ip"]}, "gateways[0].firewall.deny[0]", "is not an IP address or CIDR"),
        (
            {"hosts": [{"host": "nope.example.com", "allow": ["10.0.0.0/8"]}]},
            "gateways[0].firewall.hosts[0].host",
            "not a host of this Gateway",
        ),
        (
            {"hosts": [{"host": "*.example.com", "deny": ["10.0.0.0/8"]}]},
            "gateways[0].firewall.hosts[0].host",
            "exact DNS name",
        ),
        (
            {"hosts": [{"host": "db.example.com", "deny": ["10.0.0.0/8"]}]},
            "gateways[0].firewall.hosts[0].host",
            "only served by plain TCP",
        ),
        (
            {"hosts": [{"host": "shop.example.com"}]},
            "gateways[0].firewall.hosts[0]",
            "give allow, deny or both",
        ),
        ({"allow": ["10.0.0.0/8"], "hostz": []}, "gateways[0].firewall.hostz", "unknown field 'hostz'"),
    ],
)
def test_spec_errors_name_the_path(fw: dict[str, Any], path: str, match: str) -> None:
    found = problems(mesh(fw))
    assert any(p == path and match in msg for p, msg, _ in found), found


@pytest.mark.parametrize(
    ("network", "match"),
    [
        ({"topology": "proxied"}, "needs numTrustedProxies"),
        ({"numTrustedProxies": 1}, "only applies to topology 'proxied'"),
        ({"topology": "proxied", "numTrustedProxies": 0}, "must be at least 1"),
    ],
)
def test_network_errors(network: dict[str, Any], match: str) -> None:
    found = problems(mesh(FIREWALL, network=network))
    assert any(p.startswith("workloads[0].network") and match in msg for p, msg, _ in found), found


def test_ip_rules_without_client_ip_are_refused() -> None:
    found = problems(mesh(FIREWALL, service={"externalTrafficPolicy": "Cluster"}))
    assert found[0][0] == "gateways[0].firewall" and found[0][2] == "MGW0150"
    assert "externalTrafficPolicy: Cluster" in found[0][1] and "SNAT" in found[0][1]

    found = problems(mesh(FIREWALL, exposure="cluster"))
    assert found[0][2] == "MGW0150" and "topology: proxied" in found[0][1]

    # Behind a proxy that forwards X-Forwarded-For (and the PROXY protocol, for the passthrough and
    # TCP servers, which carry no X-Forwarded-For: MGW0159), a ClusterIP gateway may filter.
    p = plan(
        mesh(
            FIREWALL,
            exposure="cluster",
            network={"topology": "proxied", "numTrustedProxies": 2},
            service=PROXY_PROTOCOL,
        )
    )
    assert kinds(p, "AuthorizationPolicy")


def test_contradictions_are_warnings() -> None:
    p = plan(mesh({**FIREWALL, "hosts": [{"host": "admin.example.com", "allow": ["192.0.2.0/24"]}]}))
    found = {(w.path, w.code) for w in p.warnings}
    assert ("gateways[0].firewall.allow[0]", "MGW0154") in found  # overlaps the deny-list
    assert ("gateways[0].firewall.hosts[0].allow[0]", "MGW0154") in found  # outside the gateway list


# -- rendering --------------------------------------------------------------------------------------


def test_direct_topology_renders_scoped_deny_rules() -> None:
    p = plan(mesh(FIREWALL))
    (policy,) = kinds(p, "AuthorizationPolicy")
    assert policy["metadata"] == {
        **policy["metadata"],
        "name": "public-firewall",
        "namespace": "istio-ingress",
    }
    spec = policy["spec"]
    assert spec["action"] == "DENY" and spec["selector"] == {
        "matchLabels": {"app": "public", "istio": "public"}
    }
    rules = spec["rules"]
    sources = [r["from"][0]["source"] for r in rules]
    assert all(set(s) <= {"ipBlocks", "notIpBlocks"} for s in sources)
    # Every rule is scoped to this Gateway's listeners: HTTP by host (both Host header forms) and
    # port, passthrough by SNI, TCP by port.
    ops = [r["to"][0]["operation"] for r in rules]
    assert all("ports" in op for op in ops)
    http_ops = [op for op in ops if "hosts" in op]
    assert http_ops and all(f"{h}:*" in op["hosts"] for op in http_ops for h in op["hosts"] if ":" not in h)
    assert any(r.get("when") == [{"key": "connection.sni", "values": ["partner.example.com"]}] for r in rules)
    assert any(op == {"ports": ["5432"]} for op in ops)
    # The admin host's own lists are narrowed to it.
    admin = [
        r
        for r in rules
        if r["to"][0]["operation"].get("hosts") == ["admin.example.com", "admin.example.com:*"]
    ]
    assert {json.dumps(r["from"][0]["source"]) for r in admin} == {
        json.dumps({"ipBlocks": ["203.0.113.8/29"]}),
        json.dumps({"notIpBlocks": ["203.0.113.0/28"]}),
    }
    assert validate_manifests(p.manifests()) == []
    golden("firewall-direct", [policy])


def test_proxied_topology_uses_remote_ip_blocks_and_trusted_proxies() -> None:
    p = plan(
        mesh(
            FIREWALL,
            network={"topology": "proxied", "numTrustedProxies": 2},
            drainDurationSeconds=20,
            service=PROXY_PROTOCOL,
        )
    )
    (policy,) = kinds(p, "AuthorizationPolicy")
    sources = {k for r in policy["spec"]["rules"] for k in r["from"][0]["source"]}
    assert sources == {"remoteIpBlocks", "notRemoteIpBlocks"}
    (deployment,) = kinds(p, "Deployment")
    config = deployment["spec"]["template"]["metadata"]["annotations"]["proxy.istio.io/config"]
    # One compact, key-sorted JSON annotation, merged with the drain setting.
    assert config == '{"gatewayTopology":{"numTrustedProxies":2},"terminationDrainDuration":"20s"}'
    (service,) = kinds(p, "Service")
    # The load balancer sees the proxy, not the client: no source ranges from client allow-lists.
    assert "loadBalancerSourceRanges" not in service["spec"]
    assert validate_manifests(p.manifests()) == []
    golden("firewall-proxied", [policy])


def test_wildcard_server_hosts_are_scoped_by_port() -> None:
    m = mesh({"deny": ["192.0.2.0/24"]})
    m["gateways"][0]["servers"] = [{**copy.deepcopy(HTTPS), "hosts": ["*.example.com"]}]
    (policy,) = kinds(plan(m), "AuthorizationPolicy")
    assert [r["to"] for r in policy["spec"]["rules"]] == [[{"operation": {"ports": ["443"]}}]]


def test_no_rules_no_objects_and_workload_unchanged() -> None:
    p = plan(mesh())
    assert kinds(p, "AuthorizationPolicy") == []
    w = parse(WorkloadSpec, {"name": "w", "exposure": "public"})
    assert workload_with_firewall(w, [parse(GatewaySpec, gateway())]) is w


def test_workload_gets_source_ip_preservation_and_network_policy() -> None:
    p = plan(
        mesh(
            FIREWALL,
            cloud="aws",
            service={"annotations": {TG_ATTRIBUTES: "deregistration_delay.timeout_seconds=30"}},
        )
    )
    (service,) = kinds(p, "Service")
    annotations = service["metadata"]["annotations"]
    assert annotations[TG_ATTRIBUTES] == (
        "deregistration_delay.timeout_seconds=30,preserve_client_ip.enabled=true"
    )
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    assert service["spec"]["loadBalancerSourceRanges"] == ["198.51.100.7/32", "203.0.113.0/24"]
    assert len(kinds(p, "NetworkPolicy")) == 1
    # An explicit choice wins: no NetworkPolicy, and the user's source ranges.
    p = plan(
        mesh(FIREWALL, networkPolicy={"enabled": False}, service={"loadBalancerSourceRanges": ["0.0.0.0/0"]})
    )
    assert kinds(p, "NetworkPolicy") == []
    assert kinds(p, "Service")[0]["spec"]["loadBalancerSourceRanges"] == ["0.0.0.0/0"]


def test_source_ranges_only_when_every_gateway_has_an_allow_list() -> None:
    a = parse(GatewaySpec, gateway(firewall={"allow": ["10.0.0.0/8"]}))
    b = parse(GatewaySpec, {**gateway(firewall={"allow": ["192.168.0.0/16", "10.0.0.0/8"]}), "name": "b"})
    c = parse(GatewaySpec, {**gateway(firewall={"deny": ["192.0.2.0/24"]}), "name": "c"})
    assert derived_source_ranges([a, b]) == ["10.0.0.0/8", "192.168.0.0/16"]
    assert derived_source_ranges([a, c]) is None  # c's clients must still reach the load balancer
    assert derived_source_ranges([]) is None


def test_two_gateways_on_one_workload_get_separate_scoped_policies() -> None:
    m = mesh()
    other = {
        "name": "partner",
        "workload": "public",
        "servers": [{**copy.deepcopy(HTTPS), "hosts": ["b2b.example.com"]}],
        "firewall": {"allow": ["192.0.2.0/24"]},
    }
    m["gateways"].append(other)
    p = plan(m)
    (policy,) = kinds(p, "AuthorizationPolicy")
    assert policy["metadata"]["name"] == "partner-firewall"
    assert policy["spec"]["rules"][0]["to"][0]["operation"]["hosts"] == [
        "b2b.example.com",
        "b2b.example.com:*",
    ]
    # The first Gateway has no allow-list, so the load balancer may not filter.
    assert "loadBalancerSourceRanges" not in kinds(p, "Service")[0]["spec"]


def test_same_input_same_bytes() -> None:
    a = plan(mesh(FIREWALL)).manifests()
    reordered = copy.deepcopy(FIREWALL)
    reordered["allow"].reverse()
    b = plan(mesh(reordered)).manifests()
    assert [dump_manifest(x) for x in a] == [dump_manifest(x) for x in b]


def test_engine_sees_the_policies() -> None:
    """The analysis engine's MGW0201 runs over what we emit: our output passes it, and an edited
    Service that loses the client address is caught."""
    objs = plan(mesh(FIREWALL, cloud="aws")).manifests()
    assert [d for d in analyze_manifests(objs) if d.code == "MGW0201"] == []
    for o in objs:
        if o["kind"] == "Service":
            o["metadata"]["annotations"].pop(
                "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"
            )
    assert [d.code for d in analyze_manifests(objs) if d.code == "MGW0201"] == ["MGW0201"]


def test_render_firewall_without_rules_is_empty() -> None:
    w = parse(WorkloadSpec, {"name": "public", "exposure": "public"})
    assert render_firewall(parse(GatewaySpec, gateway(firewall={"hosts": []})), w) == []


# -- components under the mock engine ------------------------------------------------------------------


def deps(rec: Recording, name: str) -> set[str]:
    return {rec.by_urn(u).name for u in rec.by_name(name).dependencies}


def test_ingress_gateway_component() -> None:
    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            workload={"cloud": "aws"},
            servers=[HTTP, HTTPS],
            firewall={
                "deny": ["192.0.2.0/24"],
                "hosts": [{"host": "admin.example.com", "allow": ["198.51.100.0/24"]}],
            },
        )

    rec = run(program)
    policy = rec.by_name("authorizationpolicy:istio-ingress/public-firewall")
    assert rec.parent_of(policy).name == "public-gateway"  # type: ignore[union-attr]
    assert deps(rec, "authorizationpolicy:istio-ingress/public-firewall") == {"gateway:istio-ingress/public"}
    service = rec.by_name("service:istio-ingress/public").inputs
    assert "preserve_client_ip.enabled=true" in json.dumps(service["metadata"])
    rec.by_name("networkpolicy:istio-ingress/public")
    assert validate_manifests([m.body for m in rec.manifests()]) == []


def test_gateway_on_a_workload_that_loses_the_client_ip_fails_at_preview() -> None:
    def program() -> None:
        w = GatewayWorkload("public", namespace="istio-ingress", exposure="public", cloud="aws")
        Gateway("public", workload=w, servers=[HTTPS], firewall={"allow": ["198.51.100.0/24"]})

    with pytest.raises(ComponentConfigError, match="MGW0201"):
        run(program)

    def told() -> None:
        spec = parse(GatewaySpec, {**gateway(firewall={"allow": ["198.51.100.0/24"]}), "servers": [HTTPS]})
        w = GatewayWorkload(
            "public", namespace="istio-ingress", exposure="public", cloud="aws", gateways=[spec]
        )
        Gateway("public", workload=w, spec=spec)

    rec = run(told)
    assert rec.by_name("service:istio-ingress/public").inputs["spec"]["loadBalancerSourceRanges"] == [
        "198.51.100.0/24"
    ]


def test_mesh_component() -> None:
    rec = run(lambda: Mesh("mesh", mesh(FIREWALL)))
    assert rec.parent_of(rec.by_name("authorizationpolicy:istio-ingress/public-firewall")).name == "public"  # type: ignore[union-attr]
    assert deps(rec, "authorizationpolicy:istio-ingress/public-firewall") == {"gateway:istio-ingress/public"}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("203.0.113.0/24", True),
        ("203.0.113.7/24", False),  # host bits: refused, with the network address as the fix
        ("2001:db8::/32", True),
        ("203.0.113.7", False),  # a bare address: the API server refuses it
        ("203.0.113.0/33", False),
        ("office", False),
    ],
)
def test_load_balancer_source_ranges_are_cidrs_with_a_prefix(value: str, ok: bool) -> None:
    from tests.conftest import minimal_mesh, plan, problems

    config = minimal_mesh()
    config["workloads"][0]["service"] = {"loadBalancerSourceRanges": ["198.51.100.0/24", value]}
    if ok:
        plan(config)
        return
    [(path, message, code)] = problems(config)
    assert (path, code) == ("workloads[0].service.loadBalancerSourceRanges[1]", "MGW0100")
    assert message.startswith(f"{value!r} ")
    assert "e.g. 203.0.113.0/24" in message or "write the network address: 203.0.113.0/24" in message


@pytest.mark.parametrize("value", ["10.0.0.1", "garbage", "10.0.0.0/33"])
def test_network_policy_egress_cidrs_are_cidrs_with_a_prefix(value: str) -> None:
    # A NetworkPolicy ipBlock refuses a bare address (ValidateIPBlock); caught in the plan.
    from tests.conftest import minimal_mesh, problems

    config = minimal_mesh()
    config["workloads"][0]["networkPolicy"] = {"egressCidrs": ["198.51.100.0/24", value]}
    [(path, message, code)] = problems(config)
    assert (path, code) == ("workloads[0].networkPolicy.egressCidrs[1]", "MGW0100")
    assert message.startswith(f"{value!r} ")
