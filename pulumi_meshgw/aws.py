"""AWS lookups that run with the program: Elastic IPs and subnets by tag, and the NAT source IPs of
an egress node pool's subnets.

They run when the Pulumi program runs (``pulumi preview`` shows what they found) with the AWS SDK's
usual credentials and region; ``AWS_ENDPOINT_URL`` points them elsewhere (tests use moto's server
on loopback). boto3 is an optional extra: ``pip install 'pulumi-meshgw[aws]'``; it is imported only
when a lookup runs.

Every failure (boto3 missing, no credentials or region, an AWS error, nothing found, an ambiguous
result) is a :class:`~pulumi_meshgw.errors.ConfigError` whose problem names the config path that
asked for the lookup (MGW0709). Results are sorted, so the rendered annotations and outputs are
stable across runs. No Pulumi import: the components decide when to look up (see
``components/_addressing.py``), this module only asks AWS.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import ConfigError, Problem

__all__ = [
    "INSTALL_HINT",
    "eip_allocations_by_tags",
    "nat_gateway_ips",
    "subnets_by_tags",
]

INSTALL_HINT = "pip install 'pulumi-meshgw[aws]'"
CODE = "MGW0709"


def _fail(path: str, message: str) -> ConfigError:
    return ConfigError([Problem(path, message, CODE)])


def _client(path: str, region: str | None) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise _fail(path, f"AWS lookups need boto3, which is not installed: {INSTALL_HINT}") from None
    # Bounded: a lookup that cannot reach AWS fails within seconds instead of hanging a preview.
    config = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("ec2", region_name=region, config=config)


@contextmanager
def _aws_errors(path: str, what: str) -> Iterator[None]:
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - _client raised first
        yield
        return
    try:
        yield
    except ClientError as err:
        info = err.response.get("Error", {})
        raise _fail(
            path, f"AWS refused {what}: {info.get('Code', '?')}: {info.get('Message', err)}"
        ) from None
    except BotoCoreError as err:
        raise _fail(
            path,
            f"could not {what}: {err}. Check the AWS credentials and region (AWS_PROFILE, AWS_REGION) "
            "or set the IDs explicitly instead of tags",
        ) from None


def _tag_filters(tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted(tags.items())]


def _show(tags: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def eip_allocations_by_tags(tags: Mapping[str, str], *, path: str, region: str | None = None) -> list[str]:
    """Allocation IDs of the Elastic IPs carrying every tag in ``tags``, sorted.

    Args:
        tags: Tag key -> value; all must match.
        path: The config path that asked (for messages).
        region: The region. Default: the SDK's.

    Raises:
        ConfigError: no Elastic IP matches, or the lookup failed.
    """
    ec2 = _client(path, region)
    with _aws_errors(path, "the Elastic IP lookup"):
        found = ec2.describe_addresses(Filters=_tag_filters(tags))["Addresses"]
    ids = sorted({a["AllocationId"] for a in found if a.get("AllocationId")})
    if not ids:
        raise _fail(
            path, f"no Elastic IP allocation is tagged {_show(tags)}; tag them, or list eipAllocations"
        )
    return ids


def _subnets(ec2: Any, path: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with _aws_errors(path, "the subnet lookup"):
        pages = ec2.get_paginator("describe_subnets").paginate(Filters=filters)
        return [s for page in pages for s in page["Subnets"]]


def subnets_by_tags(tags: Mapping[str, str], *, path: str, region: str | None = None) -> list[str]:
    """IDs of the subnets carrying every tag in ``tags``, one per availability zone, sorted by zone.

    Args:
        tags: Tag key -> value; all must match.
        path: The config path that asked (for messages).
        region: The region. Default: the SDK's.

    Raises:
        ConfigError: no subnet matches, two match in one zone (a load balancer takes one subnet per
            zone), or the lookup failed.
    """
    ec2 = _client(path, region)
    found = _subnets(ec2, path, _tag_filters(tags))
    if not found:
        raise _fail(path, f"no subnet is tagged {_show(tags)}; tag them, or list the subnet IDs")
    by_zone: dict[str, list[str]] = {}
    for s in found:
        by_zone.setdefault(s["AvailabilityZone"], []).append(s["SubnetId"])
    crowded = {z: sorted(ids) for z, ids in by_zone.items() if len(ids) > 1}
    if crowded:
        zone, ids = sorted(crowded.items())[0]
        raise _fail(
            path,
            f"the tags {_show(tags)} match {len(ids)} subnets in {zone} ({', '.join(ids)}); a load balancer "
            "takes one subnet per availability zone: narrow the tags or list the subnet IDs",
        )
    return [ids[0] for _, ids in sorted(by_zone.items())]


def nat_gateway_ips(
    *,
    path: str,
    subnet_ids: Sequence[str] | None = None,
    subnet_tags: Mapping[str, str] | None = None,
    region: str | None = None,
) -> list[str]:
    """The public IPs that traffic from these subnets leaves the VPC with, sorted.

    For each subnet: its route table (the explicitly associated one, else its VPC's main table),
    the NAT gateway of that table's ``0.0.0.0/0`` route, and the NAT gateway's public addresses.

    Args:
        path: The config path that asked (for messages).
        subnet_ids: The subnets, or
        subnet_tags: tags to find them by.
        region: The region. Default: the SDK's.

    Raises:
        ConfigError: a subnet does not exist, routes to the internet through something other than a
            NAT gateway (its nodes would leave with their own addresses), or has no internet route; or
            the lookup failed.
    """
    ec2 = _client(path, region)
    if subnet_ids is not None:
        subnets = _subnets(ec2, path, [{"Name": "subnet-id", "Values": list(subnet_ids)}])
        missing = sorted(set(subnet_ids) - {s["SubnetId"] for s in subnets})
        if missing:
            raise _fail(path, f"subnet(s) {', '.join(missing)} do not exist in this account and region")
    else:
        subnets = _subnets(ec2, path, _tag_filters(subnet_tags or {}))
        if not subnets:
            raise _fail(path, f"no subnet is tagged {_show(subnet_tags or {})}; tag the egress node subnets")
    nat_ids: set[str] = set()
    with _aws_errors(path, "the route table lookup"):
        for s in sorted(subnets, key=lambda s: str(s["SubnetId"])):
            table = _route_table(ec2, s)
            nat_ids.add(_nat_route(table, s["SubnetId"], path))
        nats = ec2.describe_nat_gateways(NatGatewayIds=sorted(nat_ids))["NatGateways"]
    ips = {
        a["PublicIp"]
        for n in nats
        if n.get("State") not in ("deleting", "deleted", "failed")
        for a in n.get("NatGatewayAddresses", [])
        if a.get("PublicIp")
    }
    if not ips:
        raise _fail(
            path,
            f"NAT gateway(s) {', '.join(sorted(nat_ids))} have no public address (private NAT, or being "
            "deleted); partners cannot allow-list them",
        )
    return sorted(ips)


def _route_table(ec2: Any, subnet: Mapping[str, Any]) -> dict[str, Any]:
    own = [{"Name": "association.subnet-id", "Values": [subnet["SubnetId"]]}]
    tables = ec2.describe_route_tables(Filters=own)["RouteTables"]
    if not tables:  # no explicit association: the VPC's main route table applies
        tables = ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [subnet["VpcId"]]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"]
    return dict(tables[0]) if tables else {}


def _nat_route(table: Mapping[str, Any], subnet: str, path: str) -> str:
    for route in table.get("Routes", []):
        if route.get("DestinationCidrBlock") != "0.0.0.0/0":
            continue
        if route.get("NatGatewayId"):
            return str(route["NatGatewayId"])
        via = route.get("GatewayId") or route.get("TransitGatewayId") or route.get("NetworkInterfaceId")
        raise _fail(
            path,
            f"subnet {subnet} sends 0.0.0.0/0 to {via or 'another target'}, not to a NAT gateway, so "
            "its nodes do not leave through a NAT address: pin the egress gateway to private subnets "
            "behind a NAT gateway, or list the addresses in egressIPs",
        )
    raise _fail(
        path,
        f"subnet {subnet} has no 0.0.0.0/0 route (route table {table.get('RouteTableId', 'none')}), so "
        "nothing leaves the VPC from it; route it through a NAT gateway",
    )
