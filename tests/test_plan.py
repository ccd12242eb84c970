"""Planning a whole mesh: names, Secret placement, derived ports, and cross-object checks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import service_ports
from pulumi_meshgw.spec import GatewaySpec

from .conftest import STACKS, minimal_mesh, plan, stack_config


def plan_errors(config: dict[str, Any], base_dir: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        plan(config, base_dir)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_stack_configs_plan_and_pass_schema(env: str) -> None:
    p = plan(stack_config(env), STACKS)  # file paths resolve where the stack program runs
    manifests = p.manifests()
    assert manifests
    assert validate_manifests(manifests) == []


def test_secret_lives_with_the_pods_not_the_gateway() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["namespace"] = "gateways"  # the Gateway object elsewhere
    mesh["virtualServices"][0]["gateways"] = ["gateways/public"]
    p = plan(mesh)
    gw = p.gateways["public"]
    assert gw.manifest["metadata"]["namespace"] == "gateways"
    (cred,) = gw.credentials
    assert cred.namespace == "istio-ingress"
    assert cred.name == "public-https-cert"
    assert gw.manifest["spec"]["servers"][0]["tls"]["credentialName"] == "public-https-cert"
    assert p.workloads["public"].credentials == [cred]


def test_service_ports_derived_from_bound_gateways() -> None:
    mesh = minimal_mesh()
    mesh["gateways"].append(
        {
            "name": "tcp",
            "workload": "public",
            "servers": [
                {"port": {"number": 5432, "name": "https", "protocol": "TCP"}, "hosts": ["db.example.com"]},
                {
                    "port": {"number": 443, "name": "other", "protocol": "HTTPS"},
                    "hosts": ["x.example.com"],
                    "tls": {"mode": "PASSTHROUGH"},
                },
            ],
        }
    )
    p = plan(mesh)
    svc = next(m for m in p.workloads["public"].manifests if m["kind"] == "Service")
    ports = [(x["name"], x["port"]) for x in svc["spec"]["ports"]]
    assert ports == [("status-port", 15021), ("https", 443), ("https-5432", 5432)]


def test_route_whose_hosts_the_gateway_does_not_serve_is_ist0132() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["hosts"] = ["blog.example.com"]
    (msg,) = plan_errors(mesh)
    assert msg.startswith(
        "virtualServices[0].gateways[0]: no host of this route (blog.example.com) is served by gateway "
        "istio-ingress/public (it serves shop.example.com)"
    )
    assert msg.endswith("[IST0132]")


def test_one_route_host_not_served_beside_a_served_one_is_mgw0134() -> None:
    """Istio's IST0132 asks only whether some host of the route is in the Gateway; the unserved
    host beside a served one still gets a 404, so it is ours (MGW0134)."""
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["hosts"] = ["shop.example.com", "blog.example.com"]
    (msg,) = plan_errors(mesh)
    assert msg.startswith("virtualServices[0].hosts[1]: host 'blog.example.com' is not served")
    assert msg.endswith("[MGW0134]")
    assert "istio-ingress/public" in msg and "shop.example.com" in msg


def test_route_to_unknown_gateway_suggests_the_right_namespace() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["gateways"] = ["public"]  # bare name: Istio reads it as shop/public
    (msg,) = plan_errors(mesh)
    assert msg.startswith("virtualServices[0].gateways[0]: gateway shop/public does not exist")
    assert "did you mean istio-ingress/public?" in msg
    assert msg.endswith("[IST0101]")


def test_two_gateways_serving_one_tls_host_is_mgw0146() -> None:
    """The first Gateway's host is scoped to its route's namespace (shop/shop.example.com), the
    second's is not: Istio's IST0145 compares the strings and misses it, the SNI names clash."""
    mesh = minimal_mesh()
    second = copy.deepcopy(mesh["gateways"][0])
    second["name"] = "public-two"
    mesh["gateways"].append(second)
    (msg,) = plan_errors(mesh)
    assert msg.startswith("gateways[1].servers[0].hosts: host 'shop.example.com' on TLS port 443")
    assert "istio-ingress/public" in msg and msg.endswith("[MGW0146]")


def test_a_wildcard_beside_a_name_it_covers_is_no_conflict() -> None:
    """istiod serves both, the more specific name first (gateway/conflictinggateway.go compares
    hosts as written)."""
    mesh = minimal_mesh()
    second = copy.deepcopy(mesh["gateways"][0])
    second["name"] = "public-wild"
    second["servers"][0]["hosts"] = ["*.example.com"]
    mesh["gateways"].append(second)
    assert plan(mesh).warnings == []


def test_same_host_on_different_workloads_is_fine() -> None:
    mesh = minimal_mesh()
    mesh["workloads"].append({"name": "private", "namespace": "private-gw", "exposure": "cluster"})
    second = copy.deepcopy(mesh["gateways"][0])
    second.update(name="private", workload="private")
    mesh["gateways"].append(second)
    plan(mesh)


def test_subset_without_destination_rule() -> None:
    mesh = minimal_mesh()
    mesh["virtualServices"][0]["http"][0]["route"][0]["destination"]["subset"] = "v9"
    (msg,) = plan_errors(mesh)
    assert msg.startswith("virtualServices[0].http[0].route[0].destination.subset: subset 'v9'")
    assert "503" in msg


def test_subset_resolved_through_short_host() -> None:
    mesh = minimal_mesh(
        destinationRules=[
            {
                "name": "shop",
                "namespace": "shop",
                "host": "shop",
                "subsets": [{"name": "v1", "labels": {"v": "1"}}],
            }
        ]
    )
    mesh["virtualServices"][0]["http"][0]["route"][0]["destination"].update(subset="v1")
    plan(mesh)


def test_gateway_names_undeclared_workload() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["workload"] = "pubic"
    msgs = plan_errors(mesh)
    assert msgs[0].startswith(
        "gateways[0].workload: workload 'pubic' is not declared in meshgw:workloads (declared: public)"
    )


def test_existing_secret_elsewhere_is_ist0101() -> None:
    mesh = minimal_mesh()
    tls = mesh["gateways"][0]["servers"][0]["tls"]
    tls.pop("certificate")
    tls["credentialName"] = "shop-cert"
    mesh["gateways"].append(
        {
            "name": "other",
            "workload": "other",
            "servers": [
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["o.example.com"],
                    "tls": {
                        "mode": "SIMPLE",
                        "credentialName": "shop-cert",
                        "certificate": {"selfSigned": {}},
                    },
                }
            ],
        }
    )
    mesh["workloads"].append({"name": "other", "namespace": "other-gw", "exposure": "cluster"})
    (msg,) = plan_errors(mesh)
    assert msg.startswith(
        "gateways[0].servers[0].tls.credentialName: secret 'shop-cert' is in namespace(s) other-gw"
    )
    assert "create it in 'istio-ingress'" in msg


def test_unused_workload_is_reported() -> None:
    mesh = minimal_mesh()
    mesh["workloads"].append({"name": "spare", "exposure": "cluster"})
    (msg,) = plan_errors(mesh)
    assert msg.startswith("workloads[1]: no Gateway binds workload 'spare'")


def test_free_form_traffic_policy_is_schema_checked() -> None:
    mesh = minimal_mesh(
        destinationRules=[
            {
                "name": "shop",
                "namespace": "shop",
                "host": "shop",
                "trafficPolicy": {"connectionPool": {"tcp": {"maxConections": 5}}},
            }
        ]
    )
    (msg,) = plan_errors(mesh)
    assert msg.startswith("destinationRules[0].trafficPolicy.connectionPool.tcp.maxConections: unknown field")
    assert "maxConnections" in msg


def test_overrides_are_schema_checked_too() -> None:
    mesh = minimal_mesh()
    mesh["workloads"][0]["overrides"] = {"Deployment": {"spec": {"template": {"spec": {"hostNetwrk": True}}}}}
    (msg,) = plan_errors(mesh)
    assert msg.startswith("workloads[0]: Deployment spec.template.spec.hostNetwrk")


def test_classic_file_certificates(pem_files: Callable[..., tuple[Path, Path]], tmp_path: Path) -> None:
    crt, _key = pem_files(["shop.example.com"])
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["tls"] = {
        "mode": "SIMPLE",
        "serverCertificate": str(crt),
        "privateKey": "tls.key",
    }
    p = plan(mesh, base_dir=tmp_path)  # relative key path resolves against base_dir
    (cred,) = p.gateways["public"].credentials
    assert cred.source == "files" and cred.manifest is not None
    assert cred.manifest["stringData"]["tls.crt"] == crt.read_text()
    rendered_server = p.gateways["public"].manifest["spec"]["servers"][0]
    assert rendered_server["tls"] == {
        "credentialName": "public-https-cert",
        "minProtocolVersion": "TLSV1_2",
        "mode": "SIMPLE",
    }
    assert str(crt) not in repr(p.gateways["public"].manifest)


def test_file_certificate_problems(pem_files: Callable[..., tuple[Path, Path]], tmp_path: Path) -> None:
    crt, _ = pem_files(["shop.example.com"], expired=True)
    other_key = tmp_path / "other.key"
    from .conftest import make_pem

    other_key.write_text(make_pem(["x.example.com"])[1])
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["tls"] = {
        "mode": "SIMPLE",
        "serverCertificate": str(crt),
        "privateKey": str(other_key),
    }
    msgs = plan_errors(mesh)
    assert any("tls.privateKey: does not match the certificate" in m for m in msgs)
    assert any("tls.serverCertificate: expired on" in m for m in msgs)
    assert all("BEGIN" not in m for m in msgs)  # key material is never echoed


def test_missing_certificate_file(tmp_path: Path) -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["tls"] = {
        "mode": "SIMPLE",
        "serverCertificate": "/tmp/nope.crt",
        "privateKey": "/tmp/nope.key",
    }
    msgs = plan_errors(mesh)
    assert msgs[0].startswith(
        "gateways[0].servers[0].tls.serverCertificate: file '/tmp/nope.crt' does not exist"
    )


def test_mutual_config_source_needs_ca() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["tls"] = {
        "mode": "MUTUAL",
        "certificate": {"config": {"cert": "c", "key": "k"}},
    }
    (msg,) = plan_errors(mesh)
    assert msg.startswith("gateways[0].servers[0].tls.certificate.config.ca:")


def test_cert_manager_certificate_in_pod_namespace() -> None:
    mesh = minimal_mesh()
    mesh["gateways"][0]["servers"][0]["tls"]["certificate"] = {"certManager": {"issuerRef": {"name": "le"}}}
    (cred,) = plan(mesh).gateways["public"].credentials
    assert cred.manifest is not None and cred.manifest["kind"] == "Certificate"
    assert cred.manifest["metadata"]["namespace"] == "istio-ingress"
    assert cred.manifest["spec"]["secretName"] == "public-https-cert"
    assert cred.manifest["spec"]["dnsNames"] == ["shop.example.com"]


def test_plan_is_deterministic() -> None:
    a = plan(stack_config("prod"), STACKS).manifests()
    b = plan(stack_config("prod"), STACKS).manifests()
    assert a == b


def test_service_ports_sorted_and_unique() -> None:
    gw = GatewaySpec.model_validate(
        {
            "name": "g",
            "workload": "w",
            "servers": [
                {
                    "port": {"number": 8443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["a.example.com"],
                    "tls": {"mode": "PASSTHROUGH"},
                },
                {
                    "port": {"number": 443, "name": "https-main", "protocol": "HTTPS"},
                    "hosts": ["a.example.com"],
                    "tls": {"mode": "PASSTHROUGH"},
                },
            ],
        }
    )
    assert [(p.name, p.port) for p in service_ports([gw])] == [("https-main", 443), ("https", 8443)]
