"""The AWS lookups, end to end against moto's server mode on loopback: real HTTP requests from boto3,
no mocked calls. One server per module keeps the tests fast.

The world: a VPC with two public subnets (an internet gateway route, tagged ``tier=public``), a NAT
gateway in each, two private egress subnets routed through them (``pool=egress``), Elastic IPs
tagged ``role=ingress``, and a few misconfigured subnets for the error paths.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_meshgw import EgressGateway, IngressGateway, Mesh, aws
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.render.addressing import LOOKUP
from pulumi_meshgw.testing import run

from .conftest import minimal_mesh

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

REGION = "eu-west-1"
EIPS = "service.beta.kubernetes.io/aws-load-balancer-eip-allocations"
SUBNETS = "service.beta.kubernetes.io/aws-load-balancer-subnets"


@dataclass
class World:
    endpoint: str
    public: list[str] = field(default_factory=list)  # by zone a, b
    private: list[str] = field(default_factory=list)
    ingress_eips: list[str] = field(default_factory=list)
    nat_ips: list[str] = field(default_factory=list)
    unrouted: str = ""


def _tags(**tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": "subnet", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _build(ec2: Any, world: World) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for i, zone in enumerate("ab"):
        az = f"{REGION}{zone}"
        pub = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i + 1}.0/24",
            AvailabilityZone=az,
            TagSpecifications=_tags(tier="public"),
        )["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=pub)
        world.public.append(pub)
        alloc = ec2.allocate_address(Domain="vpc")
        nat = ec2.create_nat_gateway(SubnetId=pub, AllocationId=alloc["AllocationId"])["NatGateway"]
        world.nat_ips.append(alloc["PublicIp"])
        priv = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i + 11}.0/24",
            AvailabilityZone=az,
            TagSpecifications=_tags(pool="egress"),
        )["Subnet"]["SubnetId"]
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
        ec2.associate_route_table(RouteTableId=rt, SubnetId=priv)
        world.private.append(priv)
    for _ in range(2):
        alloc = ec2.allocate_address(Domain="vpc")
        ec2.create_tags(Resources=[alloc["AllocationId"]], Tags=[{"Key": "role", "Value": "ingress"}])
        world.ingress_eips.append(alloc["AllocationId"])
    alloc = ec2.allocate_address(Domain="vpc")  # a third, for the count mismatch
    ec2.create_tags(Resources=[alloc["AllocationId"]], Tags=[{"Key": "role", "Value": "many"}])
    for eip in world.ingress_eips:
        ec2.create_tags(Resources=[eip], Tags=[{"Key": "role2", "Value": "many"}])
    ec2.create_tags(Resources=[alloc["AllocationId"]], Tags=[{"Key": "role2", "Value": "many"}])
    # No explicit route table: the main one, which has only the local route.
    world.unrouted = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.0.20.0/24",
        AvailabilityZone=f"{REGION}a",
        TagSpecifications=_tags(pool="dead"),
    )["Subnet"]["SubnetId"]
    # A second subnet in zone a that shares a tag with the public one there.
    ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.0.21.0/24",
        AvailabilityZone=f"{REGION}a",
        TagSpecifications=_tags(crowd="yes"),
    )
    ec2.create_tags(Resources=[world.public[0]], Tags=[{"Key": "crowd", "Value": "yes"}])
    world.nat_ips.sort()
    world.ingress_eips.sort()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(key, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_ENDPOINT_URL", endpoint)  # boto3 honours it: the code under test sets nothing
        # Never fall back to the instance-metadata address: every call must stay on loopback.
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        w = World(endpoint)
        _build(boto3.client("ec2", region_name=REGION), w)
        yield w
    server.stop()


@pytest.fixture
def live(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("MESHGW_AWS_LOOKUPS", "live")
    return world


def test_subnets_by_tags_one_per_zone(world: World) -> None:
    assert aws.subnets_by_tags({"tier": "public"}, path="p") == world.public
    with pytest.raises(
        ConfigError, match=rf"p: the tags crowd=yes match 2 subnets in {REGION}a .*\[MGW0709\]"
    ):
        aws.subnets_by_tags({"crowd": "yes"}, path="p")
    with pytest.raises(ConfigError, match=r"p: no subnet is tagged tier=nope"):
        aws.subnets_by_tags({"tier": "nope"}, path="p")


def test_eips_by_tags(world: World) -> None:
    assert aws.eip_allocations_by_tags({"role": "ingress"}, path="p") == world.ingress_eips
    with pytest.raises(ConfigError, match=r"p: no Elastic IP allocation is tagged role=nope"):
        aws.eip_allocations_by_tags({"role": "nope"}, path="p")


def test_nat_gateway_ips(world: World) -> None:
    assert aws.nat_gateway_ips(path="p", subnet_tags={"pool": "egress"}) == world.nat_ips
    one = aws.nat_gateway_ips(path="p", subnet_ids=world.private[:1], region=REGION)
    assert len(one) == 1 and one[0] in world.nat_ips
    with pytest.raises(ConfigError, match=r"sends 0.0.0.0/0 to igw-.*not to a NAT gateway"):
        aws.nat_gateway_ips(path="p", subnet_ids=world.public[:1])
    with pytest.raises(ConfigError, match=rf"subnet {world.unrouted} has no 0.0.0.0/0 route"):
        aws.nat_gateway_ips(path="p", subnet_tags={"pool": "dead"})
    with pytest.raises(ConfigError, match=r"subnet-0000000000000dead do not exist"):
        aws.nat_gateway_ips(path="p", subnet_ids=["subnet-0000000000000dead"])


def test_unreachable_endpoint_fails_fast_with_the_path(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens once the socket is closed
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed}")
    with pytest.raises(ConfigError, match=r"workloads\[0\].address.aws.eipTags: could not .*MGW0709"):
        aws.eip_allocations_by_tags({"role": "ingress"}, path="workloads[0].address.aws.eipTags")


def test_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(
        ConfigError, match=r"egressGateways\[0\].natLookup.aws: .*pip install 'pulumi-meshgw\[aws\]'"
    ):
        aws.nat_gateway_ips(path="egressGateways[0].natLookup.aws", subnet_ids=["subnet-0000000000000001"])


# -- the components, under the mock engine, with live lookups ------------------------------------------


SERVER = minimal_mesh()["gateways"][0]["servers"][0]
TAGGED = {"aws": {"eipTags": {"role": "ingress"}, "subnetTags": {"tier": "public"}}}


def test_ingress_gateway_looks_up_its_addresses(live: World) -> None:
    rec = run(
        lambda: IngressGateway(
            "public", exposure="public", servers=[SERVER], workload={"cloud": "aws"}, address=TAGGED
        )
    )
    annotations = rec.by_name("service:istio-ingress/public").inputs["metadata"]["annotations"]
    assert annotations[EIPS] == ",".join(live.ingress_eips)
    assert annotations[SUBNETS] == ",".join(live.public)


def test_mesh_checks_looked_up_counts(live: World) -> None:
    config = minimal_mesh()
    config["workloads"][0].update(
        cloud="aws", address={"aws": {"eipTags": {"role2": "many"}, "subnetTags": {"tier": "public"}}}
    )
    with pytest.raises(ConfigError) as err:
        run(lambda: Mesh("mesh", config))
    (problem,) = [p for p in err.value.problems if p.code == "MGW0702"]
    assert problem.path == "workloads[0].address.aws.eipTags"
    assert (
        "3 Elastic IP allocation(s) found by eipTags for 2 subnet(s) found by subnetTags" in problem.message
    )
    config["workloads"][0]["address"]["aws"]["subnetTags"] = {"tier": "nope"}
    with pytest.raises(ConfigError, match=r"workloads\[0\].address.aws.subnetTags: no subnet is tagged"):
        run(lambda: Mesh("mesh", config))


def test_egress_gateway_exports_nat_ips(live: World) -> None:
    dest = {
        "host": "api.partner.example.com",
        "port": 443,
        "mode": "tls-passthrough",
        "sources": [{"namespace": "shop"}],
    }
    rec = run(
        lambda: EgressGateway(
            "egress",
            destinations=[dest],
            egress_ips=["203.0.113.10"],
            nat_lookup={"aws": {"subnetTags": {"pool": "egress"}}},
        )
    )
    assert rec.by_name("egress", "meshgw:index:EgressGateway").outputs["egressIps"] == sorted(
        ["203.0.113.10", *live.nat_ips], key=lambda ip: tuple(int(x) for x in ip.split("."))
    )


def test_offline_runs_render_placeholders_and_say_so(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MESHGW_AWS_LOOKUPS", raising=False)  # the mock engine: no lookups
    dest = {
        "host": "api.partner.example.com",
        "port": 443,
        "mode": "tls-passthrough",
        "sources": [{"namespace": "shop"}],
    }

    def program() -> None:
        IngressGateway(
            "public", exposure="public", servers=[SERVER], workload={"cloud": "aws"}, address=TAGGED
        )
        EgressGateway("egress", destinations=[dest], nat_lookup={"aws": {"subnetIds": world.private}})

    rec = run(program)
    annotations = rec.by_name("service:istio-ingress/public").inputs["metadata"]["annotations"]
    assert annotations[EIPS] == LOOKUP and annotations[SUBNETS] == LOOKUP
    assert rec.by_name("egress", "meshgw:index:EgressGateway").outputs["egressIps"] == [LOOKUP]
    skipped = [m.message for m in rec.logs if "lookup" in m.message and "skipped" in m.message]
    assert len(skipped) == 3 and all("MESHGW_AWS_LOOKUPS=live" in m for m in skipped)
