"""Fixed ingress addresses per cloud, address pools and egress VIPs: renders, stack-wide checks with
config paths, schema validation, and the components under the mock engine."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

import pytest

from pulumi_meshgw import IngressGateway, Mesh
from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.analysis.egress import check_egress_consistency
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.ipam import DEFAULT_VIP_POOL
from pulumi_meshgw.plan import MeshPlan, plan_egress
from pulumi_meshgw.render.addressing import LOOKUP
from pulumi_meshgw.spec._base import parse
from pulumi_meshgw.spec.addressing import NatLookup
from pulumi_meshgw.spec.egress import EgressGatewaySpec
from pulumi_meshgw.spec.mesh import MeshSpec
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh, plan, problems

EIPS = ["eipalloc-0a1b2c3d4e5f60001", "eipalloc-0a1b2c3d4e5f60002"]
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
POOL = {"name": "lab", "cidr": "192.0.2.0/28", "reserved": ["192.0.2.1"], "metallbPool": "lab-pool"}


def mesh(
    address: dict[str, Any] | None = None, *, pools: list[Any] | None = None, **workload: Any
) -> dict[str, Any]:
    m = minimal_mesh()
    m["workloads"][0].update(workload)
    if address is not None:
        m["workloads"][0]["address"] = address
    if pools is not None:
        m["addressPools"] = pools
    return m


def service(p: MeshPlan, name: str = "public") -> dict[str, Any]:
    return next(m for m in p.manifests() if m["kind"] == "Service" and m["metadata"]["name"] == name)


def two_workloads(a: dict[str, Any], b: dict[str, Any], **extra: Any) -> dict[str, Any]:
    m = mesh(a, **extra)
    second = copy.deepcopy(m["gateways"][0])
    second.update(name="second", workload="second")
    second["servers"][0]["hosts"] = ["second.example.com"]
    m["workloads"].append({**m["workloads"][0], "name": "second", "address": b})
    m["gateways"].append(second)
    return m


@pytest.mark.parametrize(
    ("cloud", "address", "expected"),
    [
        (
            "aws",
            {"aws": {"eipAllocations": EIPS, "subnets": SUBNETS}},
            {
                "service.beta.kubernetes.io/aws-load-balancer-eip-allocations": ",".join(EIPS),
                "service.beta.kubernetes.io/aws-load-balancer-subnets": ",".join(SUBNETS),
            },
        ),
        (
            "gcp",
            {"gcp": {"addressName": "shop-ingress"}},
            {"networking.gke.io/load-balancer-ip-addresses": "shop-ingress"},
        ),
        (
            "azure",
            {"azure": {"pipName": "shop-pip", "resourceGroup": "rg-net"}},
            {
                "service.beta.kubernetes.io/azure-pip-name": "shop-pip",
                "service.beta.kubernetes.io/azure-load-balancer-resource-group": "rg-net",
            },
        ),
        (
            "azure",
            {"azure": {"ipv4": "20.1.2.3"}},
            {"service.beta.kubernetes.io/azure-load-balancer-ipv4": "20.1.2.3"},
        ),
        (
            "none",
            {"metallb": {"ips": ["192.0.2.10", "2001:db8::10"], "pool": "edge"}},
            {"metallb.io/loadBalancerIPs": "192.0.2.10,2001:db8::10", "metallb.io/address-pool": "edge"},
        ),
    ],
)
def test_address_annotations_per_cloud(cloud: str, address: dict[str, Any], expected: dict[str, str]) -> None:
    p = plan(mesh(address, cloud=cloud))
    svc = service(p)
    annotations = svc["metadata"]["annotations"]
    assert {k: v for k, v in annotations.items() if k in expected} == expected
    assert "loadBalancerIP" not in svc["spec"]
    assert validate_manifests(p.manifests()) == []


def test_pool_address_is_metallb_on_cloud_none_and_ipv4_on_azure() -> None:
    p = plan(mesh({"pool": "lab"}, pools=[POOL]))
    annotations = service(p)["metadata"]["annotations"]
    ip = p.addresses["public"]
    assert annotations["metallb.io/loadBalancerIPs"] == ip
    assert annotations["metallb.io/address-pool"] == "lab-pool"
    assert ip.startswith("192.0.2.") and ip not in ("192.0.2.0", "192.0.2.1", "192.0.2.15")
    # Same input, same address, run after run.
    assert plan(mesh({"pool": "lab"}, pools=[POOL])).addresses == p.addresses
    pinned = plan(mesh({"pool": "lab", "ip": "192.0.2.9"}, pools=[POOL], cloud="azure"))
    annotations = service(pinned)["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"] == "192.0.2.9"


@pytest.mark.parametrize(
    ("config", "path", "code", "match"),
    [
        (
            mesh({"aws": {"eipAllocations": EIPS, "subnets": SUBNETS[:1]}}, cloud="aws"),
            "workloads[0].address.aws.eipAllocations",
            "MGW0702",
            "2 Elastic IP allocation(s) in eipAllocations for 1 subnet(s)",
        ),
        (
            mesh({"aws": {"eipAllocations": EIPS, "subnets": SUBNETS}}, cloud="aws", exposure="internal"),
            "workloads[0].address.aws",
            "MGW0703",
            "internet-facing",
        ),
        (
            mesh({"aws": {"eipAllocations": EIPS, "subnets": SUBNETS}}),
            "workloads[0].address.aws",
            "MGW0701",
            "set cloud: aws",
        ),
        (
            mesh({"metallb": {"ips": ["192.0.2.10"]}}, cloud="gcp"),
            "workloads[0].address.metallb",
            "MGW0701",
            "set cloud: none",
        ),
        (
            mesh({"gcp": {"addressName": "x"}}, exposure="cluster"),
            "workloads[0].address",
            "MGW0701",
            "ClusterIP",
        ),
        (
            mesh({"pool": "lab"}, pools=[POOL], cloud="aws"),
            "workloads[0].address.pool",
            "MGW0701",
            "Elastic IPs",
        ),
        (
            mesh({"pool": "nope"}, pools=[POOL]),
            "workloads[0].address.pool",
            "MGW0704",
            "not declared in meshgw:addressPools (declared: lab)",
        ),
        (
            mesh({"pool": "lab", "ip": "198.51.100.1"}, pools=[POOL]),
            "workloads[0].address.ip",
            "MGW0704",
            "not a usable address of pool 'lab'",
        ),
        (
            mesh({"pool": "lab", "ip": "192.0.2.1"}, pools=[POOL]),
            "workloads[0].address.ip",
            "MGW0704",
            "reserved",
        ),
        (
            mesh({"pool": "lab", "ip": "192.0.2.15"}, pools=[POOL]),
            "workloads[0].address.ip",
            "MGW0704",
            "broadcast",
        ),
        (
            mesh(
                {"pool": "tiny"},
                pools=[{"name": "tiny", "cidr": "192.0.2.0/30", "reserved": ["192.0.2.1", "192.0.2.2"]}],
            ),
            "workloads[0].address.pool",
            "MGW0705",
            "exhausted",
        ),
        (
            mesh(
                {"metallb": {"ips": ["192.0.2.10"]}},
                service={"annotations": {"metallb.io/loadBalancerIPs": "192.0.2.11"}},
            ),
            "workloads[0].service.annotations",
            "MGW0701",
            "rendered from address",
        ),
        (
            mesh(overrides={"Service": {"spec": {"loadBalancerIP": "192.0.2.10"}}}),
            "workloads[0].overrides.Service.spec.loadBalancerIP",
            "MGW0701",
            "deprecated",
        ),
        (
            mesh(pools=[POOL, {**POOL, "name": "lab2", "cidr": "192.0.2.8/29", "reserved": []}]),
            "addressPools[1].cidr",
            "MGW0708",
            "overlaps",
        ),
    ],
)
def test_errors_name_the_path(config: dict[str, Any], path: str, code: str, match: str) -> None:
    found = problems(config)
    assert any(p == path and c == code and match in m for p, m, c in found), found


def test_same_address_twice_across_the_stack() -> None:
    static = {"metallb": {"ips": ["192.0.2.10"]}}
    found = problems(two_workloads(static, static))
    assert ("workloads[1].address.metallb", "MGW0706") in {(p, c) for p, _, c in found}
    # A pin on an address another workload holds literally.
    found = problems(two_workloads(static, {"pool": "lab", "ip": "192.0.2.10"}, pools=[POOL]))
    assert any(
        p == "workloads[1].address.ip" and c == "MGW0706" and "workload istio-ingress/public" in m
        for p, m, c in found
    )
    # The same Elastic IP on two load balancers.
    eip = {"aws": {"eipAllocations": EIPS[:1], "subnets": SUBNETS[:1]}}
    found = problems(two_workloads(eip, eip, cloud="aws"))
    assert ("workloads[1].address.aws.eipAllocations[0]", "MGW0706") in {(p, c) for p, _, c in found}


def test_a_literal_address_inside_a_pool_is_never_allocated() -> None:
    # /30 has two usable addresses; one is held literally, so the pool gives the other.
    pool = {"name": "pair", "cidr": "192.0.2.0/30"}
    p = plan(two_workloads({"metallb": {"ips": ["192.0.2.1"]}}, {"pool": "pair"}, pools=[pool]))
    assert p.addresses == {"public": "192.0.2.1", "second": "192.0.2.2"}


def test_spec_errors() -> None:
    cases = [
        (
            {"aws": {"eipAllocations": ["eip-1"], "subnets": SUBNETS[:1]}},
            "workloads[0].address.aws.eipAllocations",
            "not an Elastic IP",
        ),
        ({"aws": {"eipAllocations": EIPS}}, "workloads[0].address.aws", "exactly one of subnets"),
        (
            {"aws": {"eipAllocations": EIPS, "eipTags": {"a": "b"}, "subnets": SUBNETS}},
            "workloads[0].address.aws",
            "exactly one of eipAllocations",
        ),
        (
            {"gcp": {"addressName": "x"}, "metallb": {"ips": ["192.0.2.1"]}},
            "workloads[0].address",
            "exactly one of aws, gcp",
        ),
        (
            {"metallb": {"ips": ["192.0.2.1"]}, "ip": "192.0.2.2"},
            "workloads[0].address.ip",
            "only applies with pool",
        ),
        (
            {"azure": {"pipName": "p", "ipv4": "20.0.0.1"}},
            "workloads[0].address.azure",
            "exactly one of pipName",
        ),
        (
            {"aws": {"eipTags": {}, "subnets": SUBNETS}},
            "workloads[0].address.aws.eipTags",
            "an empty eipTags map matches everything",
        ),
        (
            {"aws": {"eipAllocations": EIPS, "subnetTags": {}}},
            "workloads[0].address.aws.subnetTags",
            "an empty subnetTags map matches everything",
        ),
        (
            {"aws": {"eipAllocations": EIPS, "subnets": ["subnet-x"]}},
            "workloads[0].address.aws.subnets",
            "'subnet-x' is not a subnet ID",
        ),
        (
            {"aws": {"eipAllocations": EIPS, "subnets": SUBNETS, "region": "Europe"}},
            "workloads[0].address.aws.region",
            "'Europe' is not an AWS region name",
        ),
    ]
    for address, path, match in cases:
        with pytest.raises(ConfigError) as err:
            MeshSpec.from_config(mesh(address))
        assert any(p.path == path and match in p.message for p in err.value.problems), err.value


@pytest.mark.parametrize(
    ("aws", "path", "match"),
    [
        ({"subnetTags": {}}, "aws.subnetTags", "an empty subnetTags map matches everything"),
        ({"subnetIds": []}, "aws.subnetIds", "give at least one subnet ID"),
        ({"subnetIds": SUBNETS, "region": "Europe"}, "aws.region", "'Europe' is not an AWS region name"),
        ({"subnetIds": SUBNETS, "subnetTags": {"a": "b"}}, "aws", "exactly one of subnetIds or subnetTags"),
    ],
)
def test_nat_lookup_spec_errors(aws: dict[str, Any], path: str, match: str) -> None:
    # The AWS fields NatLookup shares with the ingress address, held to the same rules.
    with pytest.raises(ConfigError) as err:
        parse(NatLookup, {"aws": aws})
    assert any(p.path == path and match in p.message for p in err.value.problems), err.value


def test_lookups_render_as_placeholders_offline() -> None:
    # The pure plan never looks anything up: tag lookups the program did not run stay visible.
    p = plan(mesh({"aws": {"eipTags": {"role": "ingress"}, "subnetTags": {"tier": "public"}}}, cloud="aws"))
    annotations = service(p)["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-eip-allocations"] == LOOKUP
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-subnets"] == LOOKUP


# -- egress VIPs -----------------------------------------------------------------------------------


def egress(*dests: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "egress", "destinations": list(dests), **extra}


def tcp(host: str, port: int = 5432, **extra: Any) -> dict[str, Any]:
    return {"host": host, "port": port, "mode": "tcp", "sources": [{"namespace": "shop"}], **extra}


def test_tcp_destinations_share_a_port_through_vips() -> None:
    spec = parse(
        EgressGatewaySpec, egress(tcp("db.example.com"), tcp("db2.example.com"), tcp("db.example.com", 6432))
    )
    p = plan_egress(spec)
    objs = p.objects.manifests()
    entries = {m["spec"]["hosts"][0]: m["spec"] for m in objs if m["kind"] == "ServiceEntry"}
    vip1 = entries["db.example.com"]["addresses"][0]
    vip2 = entries["db2.example.com"]["addresses"][0]
    assert vip1 != vip2 and {vip1, vip2} <= {str(ip) for ip in ipaddress.ip_network(DEFAULT_VIP_POOL)}
    assert [(q["number"], q["protocol"]) for q in entries["db.example.com"]["ports"]] == [
        (5432, "TCP"),
        (6432, "TCP"),
    ]
    vs = next(m for m in objs if m["kind"] == "VirtualService" and m["spec"]["hosts"] == ["db.example.com"])
    mesh_rules = [r for r in vs["spec"]["tcp"] if r["match"][0]["gateways"] == ["mesh"]]
    assert {r["match"][0]["destinationSubnets"][0] for r in mesh_rules} == {f"{vip1}/32"}
    gw = next(m for m in objs if m["kind"] == "Gateway")
    assert {(s["port"]["protocol"], s["tls"]["mode"]) for s in gw["spec"]["servers"]} == {
        ("TLS", "ISTIO_MUTUAL")
    }
    policy = next(m for m in objs if m["kind"] == "AuthorizationPolicy")
    for rule in policy["spec"]["rules"]:
        assert "hosts" not in rule["to"][0]["operation"] and rule["when"][0]["key"] == "connection.sni"
    assert check_egress_consistency(p.manifests()) == []
    assert validate_manifests(p.manifests()) == []
    # Deterministic: the same VIPs on every run.
    again = plan_egress(spec)
    assert [m for m in again.objects.manifests() if m["kind"] == "ServiceEntry"] == [
        m for m in objs if m["kind"] == "ServiceEntry"
    ]


def test_vip_errors() -> None:
    with pytest.raises(ConfigError, match=r"destinations\[0\].vip: only applies to mode tcp"):
        parse(
            EgressGatewaySpec,
            egress({**tcp("a.example.com"), "mode": "http", "port": 80, "vip": "240.241.0.1"}),
        )
    with pytest.raises(ConfigError, match=r"destinations\[1\].vip: a.example.com already has vip"):
        parse(
            EgressGatewaySpec,
            egress(tcp("a.example.com", vip="240.241.0.1"), tcp("a.example.com", 6432, vip="240.241.0.2")),
        )
    with pytest.raises(ConfigError, match=r"vipPool: 'shared' names an address pool"):
        plan_egress(parse(EgressGatewaySpec, egress(tcp("a.example.com"), vipPool="shared")))
    with pytest.raises(ConfigError, match=r"not a usable address of pool 240.241.0.0/16"):
        plan_egress(parse(EgressGatewaySpec, egress(tcp("a.example.com", vip="10.0.0.1"))))
    # Across the stack: two egress gateways pinning one VIP in a shared pool.
    m = minimal_mesh(
        addressPools=[{"name": "vips", "cidr": "240.242.0.0/30"}],
        egressGateways=[
            egress(tcp("a.example.com", vip="240.242.0.1"), vipPool="vips"),
            {**egress(tcp("b.example.com", vip="240.242.0.1"), vipPool="vips"), "name": "egress2"},
        ],
    )
    found = problems(m)
    assert any(p == "egressGateways[1].destinations[0].vip" and c == "MGW0706" for p, _, c in found), found
    # A pool too small for the hosts.
    m["egressGateways"] = [
        egress(tcp("a.example.com"), tcp("b.example.com"), tcp("c.example.com"), vipPool="vips")
    ]
    assert any(c == "MGW0705" for _, _, c in problems(m))


def test_mesh_allocates_vips_from_a_named_pool() -> None:
    m = minimal_mesh(
        addressPools=[{"name": "vips", "cidr": "240.242.0.0/24"}],
        egressGateways=[egress(tcp("a.example.com"), tcp("b.example.com"), vipPool="vips")],
    )
    p = plan(m)
    entries = [x for x in p.manifests() if x["kind"] == "ServiceEntry"]
    assert {x["spec"]["addresses"][0].rsplit(".", 1)[0] for x in entries} == {"240.242.0"}
    assert validate_manifests(p.manifests()) == []


# -- components --------------------------------------------------------------------------------------


def test_mesh_component_outputs_addresses() -> None:
    config = mesh({"pool": "lab"}, pools=[POOL])
    rec = run(lambda: Mesh("mesh", config))
    address = rec.by_name("mesh").outputs["addresses"]["public"]
    svc = rec.by_name("service:istio-ingress/public")
    assert svc.inputs["metadata"]["annotations"]["metallb.io/loadBalancerIPs"] == address
    assert rec.by_name("public", "meshgw:index:GatewayWorkload").outputs["address"] == address


def test_ingress_gateway_address_kwarg_and_pools() -> None:
    server = minimal_mesh()["gateways"][0]["servers"][0]

    def program() -> None:
        IngressGateway(
            "a", exposure="public", servers=[server], address={"pool": "lab"}, address_pools=[POOL]
        )
        IngressGateway(
            "b",
            namespace="b",
            exposure="public",
            servers=[server],
            address={"pool": "lab"},
            address_pools=[POOL],
        )

    rec = run(program)
    a = rec.by_name("a-workload").outputs["address"]
    b = rec.by_name("b-workload").outputs["address"]
    assert a != b and a.startswith("192.0.2.") and b.startswith("192.0.2.")
    svc = rec.by_name("service:istio-ingress/a")
    assert svc.inputs["metadata"]["annotations"]["metallb.io/address-pool"] == "lab-pool"

    def twice() -> None:
        IngressGateway("a", exposure="public", servers=[server], address={"metallb": {"ips": ["192.0.2.3"]}})
        IngressGateway(
            "b",
            namespace="b",
            exposure="public",
            servers=[server],
            address={"metallb": {"ips": ["192.0.2.3"]}},
        )

    with pytest.raises(ConfigError, match="MGW0706"):
        run(twice)
    with pytest.raises(ConfigError, match=r"address.aws.eipAllocations: 2 Elastic IP.*\[MGW0702\]"):
        run(
            lambda: IngressGateway(
                "a",
                exposure="public",
                servers=[server],
                workload={"cloud": "aws"},
                address={"aws": {"eipAllocations": EIPS, "subnets": SUBNETS[:1]}},
            )
        )
