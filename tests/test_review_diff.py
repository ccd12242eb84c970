"""``meshgw diff``: golden output over pairs of configs, one pair per kind of change.

Every case starts from tests/golden/diff/base.yaml (BASE), edits a copy into HEAD, and compares
the text output with tests/golden/diff/<case>.txt. Regenerate with ``MESHGW_UPDATE_GOLDEN=1`` and
review the diff.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings

from pulumi_meshgw.review import DiffFormat, diff_views, format_diff, mesh_view

from .conftest import GOLDEN, assert_golden, make_pem
from .test_properties import SETTINGS, mutated

BASE_FILE = GOLDEN / "diff" / "base.yaml"
Objs = list[dict[str, Any]]


def base_objects() -> Objs:
    return [o for o in yaml.safe_load_all(BASE_FILE.read_text()) if o]


def find(objs: Objs, kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def run(head: Objs, output_format: DiffFormat = DiffFormat.text) -> str:
    return format_diff(diff_views(mesh_view(base_objects()), mesh_view(head)), output_format)


# --- edits: each turns BASE into HEAD ------------------------------------------------------------


def no_change(objs: Objs) -> None:
    """Nothing."""


def reorder_ignored(objs: Objs) -> None:
    """Every reordering Istio ignores: objects, hosts, servers, gateways, ORed matches, the
    destinations of a split, policy rules, ServiceEntry ports, map keys."""
    objs.reverse()
    gw = find(objs, "Gateway", "public")["spec"]
    gw["servers"].reverse()
    for server in gw["servers"]:
        server["hosts"].reverse()
    shop = find(objs, "VirtualService", "shop")["spec"]
    shop["http"][1]["match"].reverse()
    egress_vs = find(objs, "VirtualService", "egress-api-stripe-com")["spec"]
    egress_vs["gateways"].reverse()
    find(objs, "AuthorizationPolicy", "public-firewall")["spec"]["rules"].reverse()
    find(objs, "AuthorizationPolicy", "public-firewall")["spec"]["rules"][0]["to"][0]["operation"][
        "ports"
    ].reverse()
    api = find(objs, "VirtualService", "api")
    api["spec"] = dict(reversed(list(api["spec"].items())))


def reorder_routes(objs: Objs) -> None:
    """http rules are evaluated in order (first match wins): swapping two is a change."""
    http = find(objs, "VirtualService", "shop")["spec"]["http"]
    http[0], http[1] = http[1], http[0]


def weights(objs: Objs) -> None:
    """A canary split: one changed route is one line."""
    rule = find(objs, "VirtualService", "shop")["spec"]["http"][1]
    rule["route"][0]["weight"] = 90
    rule["route"].append(
        {
            "destination": {"host": "shop.shop.svc.cluster.local", "subset": "v2", "port": {"number": 8080}},
            "weight": 10,
        }
    )


def route_actions(objs: Objs) -> None:
    """Timeout, retries, redirect and rewrite changes; one route added, one removed."""
    shop = find(objs, "VirtualService", "shop")["spec"]["http"]
    shop[1]["timeout"] = "30s"
    del shop[1]["retries"]
    shop[2]["redirect"] = {"uri": "/newer", "redirectCode": 308}
    api = find(objs, "VirtualService", "api")["spec"]["http"]
    api[0]["rewrite"] = {"uri": "/v1/"}
    api.insert(0, {"match": [{"uri": {"prefix": "/v2"}}], "route": [{"destination": {"host": "api-v2"}}]})
    del shop[0]


def new_public_host(objs: Objs) -> None:
    """A host newly on the internet-facing gateway, and a route for it."""
    for server in find(objs, "Gateway", "public")["spec"]["servers"]:
        server["hosts"].append("blog.example.com")
    objs.append(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "VirtualService",
            "metadata": {"name": "blog", "namespace": "blog"},
            "spec": {
                "hosts": ["blog.example.com"],
                "gateways": ["istio-ingress/public"],
                "http": [{"route": [{"destination": {"host": "blog.blog.svc.cluster.local"}}]}],
            },
        }
    )


def gateway_goes_public(objs: Objs) -> None:
    """The private gateway's load balancer loses its source ranges: all its hosts go public."""
    del find(objs, "Service", "private-ingress")["spec"]["loadBalancerSourceRanges"]


def tls(objs: Objs) -> None:
    """A lower minimum TLS version, no HTTPS redirect, and a new certificate."""
    servers = find(objs, "Gateway", "public")["spec"]["servers"]
    servers[0]["tls"] = {}
    servers[1]["tls"]["minProtocolVersion"] = "TLSV1_0"
    annotations = find(objs, "Secret", "public-https-cert")["metadata"]["annotations"]
    annotations["meshgw.dev/certificate-sha256"] = "ffff" * 16
    annotations["meshgw.dev/certificate-not-after"] = "2028-02-29T00:00:00Z"


def firewall_removed(objs: Objs) -> None:
    """The deny-list rule goes."""
    rules = find(objs, "AuthorizationPolicy", "public-firewall")["spec"]["rules"]
    del rules[0]


def firewall_covers_more(objs: Objs) -> None:
    """The allow-list rule also guards a new host: it protects more, so no flag."""
    rule = find(objs, "AuthorizationPolicy", "public-firewall")["spec"]["rules"][1]
    rule["to"][0]["operation"]["hosts"].append("shop.example.com")


def firewall_narrowed(objs: Objs) -> None:
    """The JWT requirement moves off api.example.com: that host is left unguarded, flagged."""
    rule = find(objs, "AuthorizationPolicy", "public-jwt")["spec"]["rules"][0]
    rule["to"][0]["operation"]["hosts"] = ["www.example.com"]


def jwt_removed(objs: Objs) -> None:
    """The JWT requirement and its issuer go."""
    objs.remove(find(objs, "AuthorizationPolicy", "public-jwt"))
    objs.remove(find(objs, "RequestAuthentication", "public-jwt"))


def wider_sources(objs: Objs) -> None:
    """A wider load-balancer range, a wider allow-list, a smaller deny-list, a new egress source."""
    find(objs, "Service", "private-ingress")["spec"]["loadBalancerSourceRanges"] = [
        "10.0.0.0/8",
        "172.16.0.0/12",
    ]
    rules = find(objs, "AuthorizationPolicy", "public-firewall")["spec"]["rules"]
    rules[1]["from"][0]["source"]["notIpBlocks"] = ["198.51.100.0/24", "203.0.113.0/24"]
    rules[0]["from"][0]["source"]["ipBlocks"] = ["192.0.2.0/25"]
    egress = find(objs, "AuthorizationPolicy", "egress")["spec"]["rules"][0]
    egress["from"][0]["source"]["principals"].append("cluster.local/ns/payments/sa/refunds")


def new_wildcard(objs: Objs) -> None:
    """A wildcard host on the public gateway."""
    find(objs, "Gateway", "public")["spec"]["servers"][1]["hosts"].append("*.example.com")


def egress(objs: Objs) -> None:
    """A new external destination, and TLS origination for an existing one."""
    objs.append(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "ServiceEntry",
            "metadata": {"name": "egress-api-github-com", "namespace": "istio-egress"},
            "spec": {
                "hosts": ["api.github.com"],
                "location": "MESH_EXTERNAL",
                "resolution": "DNS",
                "ports": [{"name": "tls-443", "number": 443, "protocol": "TLS"}],
            },
        }
    )
    objs.append(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": {"name": "egress-api-stripe-com-origination", "namespace": "istio-egress"},
            "spec": {
                "host": "api.stripe.com",
                "trafficPolicy": {
                    "portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "SIMPLE"}}]
                },
            },
        }
    )


def trust_anchor(objs: Objs) -> None:
    """The bank's CA bundle is swapped: visible by fingerprint, flagged."""
    annotations = find(objs, "Secret", "egress-ledger-cacert")["metadata"]["annotations"]
    annotations["meshgw.dev/ca-sha256"] = "0123456789abcdef" * 4
    annotations["meshgw.dev/ca-not-after"] = "2031-06-30T00:00:00Z"


def mtls_weakened(objs: Objs) -> None:
    """STRICT mTLS relaxed to PERMISSIVE."""
    find(objs, "PeerAuthentication", "default")["spec"]["mtls"]["mode"] = "PERMISSIVE"


CASES: dict[str, Callable[[Objs], None]] = {
    f.__name__.replace("_", "-"): f
    for f in (
        reorder_routes,
        weights,
        route_actions,
        new_public_host,
        gateway_goes_public,
        tls,
        firewall_removed,
        firewall_covers_more,
        firewall_narrowed,
        jwt_removed,
        wider_sources,
        new_wildcard,
        egress,
        trust_anchor,
        mtls_weakened,
    )
}


@pytest.mark.parametrize("edit", [no_change, reorder_ignored], ids=["no-change", "reorder-ignored"])
def test_no_change_prints_nothing(edit: Callable[[Objs], None]) -> None:
    head = base_objects()
    edit(head)
    for output_format in DiffFormat:
        assert run(head, output_format) == ""


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    head = base_objects()
    CASES[case](head)
    out = run(head)
    assert out, "the edit changed nothing"
    assert_golden(GOLDEN / "diff" / f"{case}.txt", out)


def test_one_changed_route_is_one_line() -> None:
    head = base_objects()
    weights(head)
    assert run(head).splitlines() == [
        "Routes:",
        "~ shop.example.com on istio-ingress/public: /api | /v1/api → shop:8080 v1 90% / v2 10% "
        "(was shop:8080 v1 100%)",
        "1 change",
    ]


def test_flags_come_first_in_every_format() -> None:
    head = base_objects()
    firewall_removed(head)
    new_public_host(head)
    text = run(head).splitlines()
    assert text[0] == "Security-relevant:"
    assert [line[0] for line in text[1:4]] == ["!", "!", "G"]
    data = json.loads(run(head, DiffFormat.json))
    assert [f["reason"] for f in data["flags"]] == [
        "host newly on an internet-facing gateway",
        "firewall rule removed",
    ]
    assert all(set(c) == {"section", "op", "subject", "text", "line"} for c in data["changes"])
    assert_golden(GOLDEN / "diff" / "markdown.md", run(head, DiffFormat.markdown))


def test_same_bytes_whatever_the_input_order() -> None:
    head = base_objects()
    route_actions(head)
    shuffled = copy.deepcopy(head)
    shuffled.reverse()
    assert run(head) == run(shuffled)


def test_plain_certificate_is_read_by_fingerprint_and_expiry() -> None:
    """A Secret written by another tool with the certificate in the clear (it is public)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert_pem, _ = make_pem(["shop.example.com"], days=30)
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    head = base_objects()
    secret = find(head, "Secret", "public-https-cert")
    del secret["metadata"]["annotations"]
    secret["stringData"]["tls.crt"] = cert_pem
    out = run(head)
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    expiry = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"certificate sha256 {fingerprint[:16]}… expires {expiry} (was sha256 aaaa1111bbbb2222…" in out
    assert "BEGIN CERTIFICATE" not in out


def test_malformed_objects_are_skipped_not_raised() -> None:
    head: list[Any] = [*base_objects(), "not an object", {"kind": "VirtualService", "spec": "nope"}]
    find(head[:-2], "VirtualService", "shop")["spec"]["http"] = "nope"
    out = run(head)
    assert out.startswith("Routes:\n- shop.example.com on istio-ingress/public")


def test_golden_cases_are_all_checked() -> None:
    on_disk = {p.stem for p in (GOLDEN / "diff").glob("*.txt")}
    assert on_disk == set(CASES), "remove golden files of deleted cases"


def test_base_file_is_valid_for_check(tmp_path: Path) -> None:
    """The BASE mesh itself is clean, so the cases test the diff, not a broken config."""
    from pulumi_meshgw.analysis import Level, MeshIndex, analyze_manifests

    index = MeshIndex()
    index.declare_workload("istio-ingress", "public-ingress", {"istio": "public-ingress"})
    index.declare_workload("istio-ingress-private", "private-ingress", {"istio": "private-ingress"})
    index.declare_workload("istio-egress", "egress", {"istio": "egress"})
    errors = [d for d in analyze_manifests(base_objects(), index=index) if d.level is Level.ERROR]
    assert [str(d) for d in errors if d.code != "IST0101"] == []


def test_rendered_secrets_carry_public_fingerprints() -> None:
    """render writes the fingerprint and expiry of PEM text it is given, and nothing for values it
    only gets at deploy time."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from pulumi_meshgw.render.ca_secret import render_ca_secret
    from pulumi_meshgw.render.secret import render_tls_secret

    cert_pem, key_pem = make_pem(["shop.example.com"])
    ca_pem, _ = make_pem(["ca.example.com"])
    fingerprint = x509.load_pem_x509_certificate(ca_pem.encode()).fingerprint(hashes.SHA256()).hex()
    tls = render_tls_secret("c", "istio-ingress", cert_pem, key_pem, ca_pem)["metadata"]["annotations"]
    assert set(tls) == {
        "meshgw.dev/certificate-sha256",
        "meshgw.dev/certificate-not-after",
        "meshgw.dev/ca-sha256",
        "meshgw.dev/ca-not-after",
    }
    assert tls["meshgw.dev/ca-sha256"] == fingerprint
    ca_only = render_ca_secret("c", "istio-egress", ca_pem)["metadata"]["annotations"]
    assert ca_only == {k: v for k, v in tls.items() if k.startswith("meshgw.dev/ca-")}
    deploy_time = object()  # a Pulumi Output: render does not look inside
    assert "annotations" not in render_tls_secret("c", "n", deploy_time, deploy_time)["metadata"]


@settings(SETTINGS, max_examples=20)
@given(mutated(base_objects()))
def test_mutated_configs_are_described_never_raised(head: Any) -> None:
    """Whatever a config holds (wrong types, missing fields, strange values), the diff prints it
    or skips it; it never raises, and it says the same thing twice."""
    objs = head if isinstance(head, list) else [head]
    out = run(objs)
    assert out == run(copy.deepcopy(objs))
    json.loads(run(objs, DiffFormat.json) or "{}")
