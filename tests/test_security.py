"""Security defaults that must hold on every workload (docs/security.md, "Defaults and what they
protect against"): policy ports, reserved namespaces, the ServiceAccount token and Role, overrides
that keep the hardening, the NetworkPolicy, and the review's stack configs."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw import Gateway, GatewayWorkload, IngressGateway
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.offline import SECRET
from pulumi_meshgw.plan import MeshPlan, plan_egress
from pulumi_meshgw.render._strategic import strategic_merge
from pulumi_meshgw.render.certinfo import CERT_EXPIRY_ANNOTATION, CERT_SHA256_ANNOTATION, certificate_facts
from pulumi_meshgw.spec import EgressGatewaySpec, MeshSpec, parse
from pulumi_meshgw.testing import run

from .conftest import kinds, minimal_mesh, plan, problems

CORPUS = Path(__file__).resolve().parent / "corpus" / "security"
CASES = sorted(CORPUS.glob("*.stack.yaml"))

JWT = {
    "issuer": "https://id.example.com",
    "jwksUri": "https://id.example.com/.well-known/jwks.json",
    "hosts": ["shop.example.com"],
}


def case_config(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]
    return {k.partition(":")[2]: v for k, v in data.items() if k.startswith("meshgw:")}


def policy_ports(p: MeshPlan) -> set[str]:
    return {
        port
        for m in kinds(p, "AuthorizationPolicy")
        for r in m["spec"]["rules"]
        for to in r.get("to", [])
        for port in to["operation"].get("ports", [])
    }


# --- the review's stack configs (tests/corpus/security) ------------------------------------------


def _holds(check: str, config: dict[str, Any]) -> None:
    try:
        p = plan(config)
    except ConfigError as err:
        # Refusing the config holds too, if the message says what to fix.
        assert all(pr.path and "; " in pr.message for pr in err.problems), err
        if check == "no-policy-on-service-port":
            assert any("targetPort" in pr.message for pr in err.problems), err
        return
    if check == "no-policy-on-service-port":
        assert "443" not in policy_ports(p)
        assert "8443" in policy_ports(p)
    elif check == "hardening-kept":
        (deployment,) = kinds(p, "Deployment")
        (proxy,) = deployment["spec"]["template"]["spec"]["containers"]
        assert proxy["image"] == "auto"
        assert proxy["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        }
        assert {"name": "ISTIO_META_X", "value": "1"} in proxy["env"]
    else:  # pragma: no cover - a new case needs its property written here
        raise AssertionError(f"unknown check {check!r}")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_security_case_holds(path: Path) -> None:
    check = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# check:").strip()
    _holds(check, case_config(path))


def test_legacy_target_port_case_renders_the_container_port_once_declared() -> None:
    config = case_config(CORPUS / "legacy-target-port.stack.yaml")
    config["workloads"][0]["external"]["servicePorts"] = [
        {"port": 80, "targetPort": 8080},
        {"port": 443, "targetPort": 8443},
    ]
    p = plan(config)
    assert policy_ports(p) == {"8443"}
    _holds("no-policy-on-service-port", config)


# --- 1. policy ports are the container's ----------------------------------------------------------


def external_mesh(service_ports: Any, **gateway: Any) -> dict[str, Any]:
    m = minimal_mesh()
    m["workloads"] = [
        {
            "name": "legacy",
            "external": {"namespace": "istio-system", "labels": {"istio": "ingressgateway"}},
        }
    ]
    if service_ports is not None:
        m["workloads"][0]["external"]["servicePorts"] = service_ports
    m["gateways"][0].update(workload="legacy", namespace="istio-system", **gateway)
    m["gateways"][0]["servers"][0]["tls"] = {"mode": "SIMPLE", "credentialName": "shop-cert"}
    m["virtualServices"][0]["gateways"] = ["istio-system/public"]
    m["external"] = [{"kind": "Secret", "namespace": "istio-system", "name": "shop-cert"}]
    return m


@pytest.mark.parametrize(
    "option",
    [
        {"firewall": {"deny": ["192.0.2.0/24"]}},
        {"authentication": {"jwt": [JWT]}},
        {"authentication": {"extAuthz": {"provider": "oauth2-proxy", "hosts": ["shop.example.com"]}}},
    ],
    ids=["firewall", "jwt", "ext-authz"],
)
def test_port_scoped_policies_name_the_target_port(option: dict[str, Any]) -> None:
    p = plan(external_mesh([{"port": 443, "targetPort": 8443}], **option))
    assert policy_ports(p) == {"8443"}


def test_bare_ports_above_1024_are_the_container_port() -> None:
    m = external_mesh([8443], firewall={"deny": ["192.0.2.0/24"]})
    m["gateways"][0]["servers"][0]["port"]["number"] = 8443
    assert policy_ports(plan(m)) == {"8443"}


@pytest.mark.parametrize(
    ("ports", "why"),
    [
        (None, "its servicePorts are not declared"),
        ([80], "port 443 is not among its servicePorts"),
        ([80, 443], "servicePorts lists 443 as a bare number"),
    ],
)
def test_unknown_target_port_is_refused(ports: Any, why: str) -> None:
    found = problems(external_mesh(ports, authentication={"jwt": [JWT]}))
    assert [(path, code) for path, _, code in found] == [("gateways[0].authentication.jwt[0]", "MGW0156")]
    assert why in found[0][1] and "{port: 443, targetPort: <container port>}" in found[0][1]


def test_policies_without_ports_need_no_mapping() -> None:
    # Without a port-scoped policy the bare numbers keep working as before.
    assert plan(external_mesh([80, 443])).gateways["public"].extras == []


def test_existing_workload_takes_port_pairs() -> None:
    def program() -> None:
        legacy = GatewayWorkload.existing(
            "istio-ingressgateway",
            namespace="istio-system",
            labels={"istio": "ingressgateway"},
            service_ports=[{"port": 443, "targetPort": 8443}],
        )
        Gateway(
            "legacy",
            workload=legacy,
            servers=[
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["shop.example.com"],
                    "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
                }
            ],
            firewall={"deny": ["192.0.2.0/24"]},
        )

    rec = run(program)
    (policy,) = rec.of_type("kubernetes:security.istio.io/v1:AuthorizationPolicy")
    assert [r["to"][0]["operation"]["ports"] for r in policy.inputs["spec"]["rules"]] == [["8443"]]


# --- 2. and 3. reserved namespaces ----------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["istio-system", "kube-system"])
def test_gateway_workload_in_a_reserved_namespace_is_refused(namespace: str) -> None:
    m = minimal_mesh()
    m["workloads"][0]["namespace"] = namespace
    with pytest.raises(ConfigError) as err:
        MeshSpec.from_config(m)
    (problem,) = err.value.problems
    assert problem.path == "workloads[0].namespace"
    assert repr(namespace) in problem.message and "istio-ingress" in problem.message


def test_component_refuses_the_root_namespace() -> None:
    with pytest.raises(Exception, match="root namespace"):
        run(lambda: IngressGateway("gw", namespace="istio-system", exposure="public", servers=[]))


EGRESS: dict[str, Any] = {
    "name": "egress",
    "destinations": [
        {
            "host": "api.example.com",
            "port": 443,
            "mode": "tls-passthrough",
            "sources": [{"namespace": "shop"}],
        }
    ],
}


def egress_problems(cfg: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as err:
        MeshSpec.from_config({"egressGateways": [cfg]})
    return [(p.path, p.message) for p in err.value.problems]


@pytest.mark.parametrize("namespace", ["istio-system", "kube-system"])
def test_egress_source_in_a_reserved_namespace_is_refused(namespace: str) -> None:
    cfg = copy.deepcopy(EGRESS)
    cfg["destinations"][0]["sources"] = [{"namespace": namespace}]
    found = egress_problems(cfg)
    assert [p for p, _ in found] == ["egressGateways[0].destinations[0].sources[0].namespace"]
    assert "default Sidecar of every namespace" in found[0][1]


def test_egress_client_namespace_equal_to_a_configured_root_is_refused() -> None:
    cfg = {**copy.deepcopy(EGRESS), "clientNamespaces": ["mesh-root"]}
    cfg["enforcement"] = {"istioNamespace": "mesh-root"}
    assert [p for p, _ in egress_problems(cfg)] == ["egressGateways[0].clientNamespaces[0]"]
    cfg["enforcement"] = {"istioNamespace": "mesh-root", "sidecar": False, "networkPolicy": False}
    MeshSpec.from_config({"egressGateways": [cfg]})  # nothing rendered there: allowed


@pytest.mark.parametrize(
    "cfg",
    [
        {"namespace": "istio-system"},
        {"namespace": "kube-system"},
        {"namespace": "mesh-root", "enforcement": {"istioNamespace": "mesh-root"}},
    ],
)
def test_egress_gateway_in_a_reserved_namespace_is_refused(cfg: dict[str, Any]) -> None:
    ((path, message),) = egress_problems({**copy.deepcopy(EGRESS), **cfg})
    assert path == "egressGateways[0].namespace" and "(Default: istio-egress)" in message


# --- 4. ServiceAccount token and the secret-reading Role ------------------------------------------


def test_pods_do_not_mount_the_service_account_token() -> None:
    (deployment,) = kinds(plan(minimal_mesh()), "Deployment")
    assert deployment["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_role_only_where_a_credential_is_served() -> None:
    with_tls = plan(minimal_mesh())
    (role,) = kinds(with_tls, "Role")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]
    (binding,) = kinds(with_tls, "RoleBinding")
    assert binding["metadata"]["annotations"]["checkov.io/skip1"].startswith("CKV2_K8S_5=istiod serves")
    m = minimal_mesh()
    m["gateways"][0]["servers"] = [
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}
    ]
    plain = plan(m)
    assert kinds(plain, "Role") == [] and kinds(plain, "RoleBinding") == []
    # A DestinationRule credential (client certificate towards a backend) keeps it.
    m["destinationRules"] = [
        {
            "name": "shop",
            "namespace": "shop",
            "host": "shop.shop.svc.cluster.local",
            "trafficPolicy": {"tls": {"mode": "MUTUAL", "credentialName": "shop-client"}},
        }
    ]
    assert len(kinds(plan(m), "Role")) == 1


def test_egress_role_follows_origination_credentials() -> None:
    plain = plan_egress(parse(EgressGatewaySpec, EGRESS))
    assert [m["kind"] for m in plain.manifests() if m["kind"] in ("Role", "RoleBinding")] == []
    cfg = copy.deepcopy(EGRESS)
    cfg["destinations"][0].update(
        mode="tls-origination", origination={"mode": "MUTUAL", "certificate": {"selfSigned": {}}}
    )
    mutual = plan_egress(parse(EgressGatewaySpec, cfg))
    assert [m["kind"] for m in mutual.manifests() if m["kind"] in ("Role", "RoleBinding")] == [
        "Role",
        "RoleBinding",
    ]


# --- 5. overrides merge by name, and keep Pod Security -------------------------------------------


def test_strategic_merge_by_name() -> None:
    base = {
        "containers": [
            {"name": "istio-proxy", "image": "auto", "env": [{"name": "A", "value": "1"}]},
            {"name": "other", "image": "x"},
        ],
        "volumes": [{"name": "v", "emptyDir": {}}],
        "tolerations": [{"key": "a"}],
    }
    patch = {
        "containers": [
            {"name": "istio-proxy", "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]},
            {"name": "other", "$patch": "delete"},
            {"name": "new", "image": "y"},
        ],
        "volumes": [{"name": "w", "configMap": {"name": "c"}}],
        "tolerations": [{"key": "b"}],  # no merge key: replaced, as Kubernetes does
    }
    assert strategic_merge(base, patch) == {
        "containers": [
            {
                "name": "istio-proxy",
                "image": "auto",
                "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}],
            },
            {"name": "new", "image": "y"},
        ],
        "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "configMap": {"name": "c"}}],
        "tolerations": [{"key": "b"}],
    }


@pytest.mark.parametrize(
    ("pod", "check"),
    [
        ({"hostNetwork": True}, "hostNamespaces"),
        ({"containers": [{"name": "istio-proxy", "securityContext": {"privileged": True}}]}, "privileged"),
        ({"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}, "hostPathVolumes"),
        (
            {
                "containers": [
                    {"name": "istio-proxy", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}
                ]
            },
            "capabilities_baseline",
        ),
    ],
)
def test_override_that_weakens_the_pod_is_an_error_unless_acknowledged(
    pod: dict[str, Any], check: str
) -> None:
    m = minimal_mesh()
    m["workloads"][0]["overrides"] = {"Deployment": {"spec": {"template": {"spec": pod}}}}
    found = problems(m)
    assert found and all(code == "MGW0157" for _, _, code in found)
    assert any(check in msg and f"podSecurityExceptions: [{check}]" in msg for _, msg, _ in found)
    assert all(
        path.startswith("workloads[0].overrides.Deployment.spec.template.spec.") for path, _, _ in found
    )
    acknowledged = sorted({c for _, msg, _ in found for c in re.findall(r"restricted check '(\w+)'", msg)})
    assert check in acknowledged
    m["workloads"][0]["podSecurityExceptions"] = acknowledged
    plan(m)  # acknowledged: planned


# --- 9. the NetworkPolicy -------------------------------------------------------------------------


def test_network_policy_on_by_default_and_narrowed_to_the_routes() -> None:
    (policy,) = kinds(plan(minimal_mesh()), "NetworkPolicy")
    assert policy["spec"]["egress"] == [
        {
            "to": [{"namespaceSelector": {}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}],
            "ports": [{"port": 15012, "protocol": "TCP"}],
        },
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}}]},
    ]


def test_route_outside_the_cluster_needs_egress_cidrs() -> None:
    m = minimal_mesh()
    m["virtualServices"][0]["http"][0]["route"][0]["destination"]["host"] = "api.partner.example.com"
    m["external"] = [{"kind": "Service", "host": "api.partner.example.com"}]
    ((path, message, code),) = problems(m)
    assert (path, code) == ("workloads[0].networkPolicy", "MGW0158")
    assert "api.partner.example.com" in message and "egressCidrs" in message
    m["workloads"][0]["networkPolicy"] = {"egressCidrs": ["203.0.113.0/24"]}
    (policy,) = kinds(plan(m), "NetworkPolicy")
    assert policy["spec"]["egress"][-1] == {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}


# --- Low ------------------------------------------------------------------------------------------


def test_created_namespaces_enforce_restricted() -> None:
    (ns,) = kinds(plan(minimal_mesh()), "Namespace")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


# --- 6. proxied topology and connections without X-Forwarded-For --------------------------------


PASSTHROUGH = {
    "port": {"number": 9443, "name": "tls-partner", "protocol": "TLS"},
    "hosts": ["partner.example.com"],
    "tls": {"mode": "PASSTHROUGH"},
}


def proxied_mesh(**service: Any) -> dict[str, Any]:
    m = minimal_mesh()
    m["workloads"][0]["network"] = {"topology": "proxied", "numTrustedProxies": 1}
    if service:
        m["workloads"][0]["service"] = service
    m["gateways"][0]["servers"].append(copy.deepcopy(PASSTHROUGH))
    m["gateways"][0]["firewall"] = {"allow": ["198.51.100.0/24"]}
    return m


def test_proxied_ip_rules_on_passthrough_are_refused_without_proxy_protocol() -> None:
    ((path, message, code),) = problems(proxied_mesh())
    assert (path, code) == ("gateways[0].servers[1]", "MGW0159")
    assert "X-Forwarded-For" in message and "PROXY protocol" in message
    plan(proxied_mesh(annotations={"service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*"}))


# --- 7. and 8. warnings ---------------------------------------------------------------------------


def warnings_of(config: dict[str, Any]) -> list[tuple[str, str]]:
    return [(w.path, w.code) for w in plan(config).warnings]


def test_broad_hosts_on_internet_facing_workloads_are_warned() -> None:
    m = minimal_mesh()
    m["gateways"][0]["servers"].append(
        {
            "port": {"number": 8443, "name": "tls-any", "protocol": "TLS"},
            "hosts": ["*"],
            "tls": {"mode": "PASSTHROUGH"},
        }
    )
    m["gateways"][0]["servers"].append(
        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}
    )
    m["virtualServices"] = []
    assert warnings_of(m) == [
        ("gateways[0].servers[1].hosts[0]", "MGW0160"),
        ("gateways[0].servers[2].hosts[0]", "MGW0160"),
    ]
    m["workloads"][0]["service"] = {"loadBalancerSourceRanges": ["198.51.100.0/24"]}
    assert warnings_of(m) == []  # not internet-facing


def test_path_scoped_authentication_is_warned() -> None:
    m = minimal_mesh()
    m["gateways"][0]["authentication"] = {
        "jwt": [{**JWT, "paths": ["/admin*"], "excludePaths": ["/admin/health"]}]
    }
    assert warnings_of(m) == [
        ("gateways[0].authentication.jwt[0].paths[0]", "MGW0161"),
        ("gateways[0].authentication.jwt[0].excludePaths[0]", "MGW0161"),
    ]
    m["gateways"][0]["authentication"] = {"jwt": [JWT]}
    assert warnings_of(m) == []


# --- Low ------------------------------------------------------------------------------------------


def test_open_source_ranges_are_open() -> None:
    m = minimal_mesh()
    m["workloads"][0]["service"] = {"loadBalancerSourceRanges": ["10.0.0.0/8", "0.0.0.0/0"]}
    m["gateways"][0]["servers"][0]["hosts"] = ["admin.internal.example.com"]
    m["virtualServices"][0]["hosts"] = ["admin.internal.example.com"]
    found = warnings_of(m)
    assert ("workloads[0].service.loadBalancerSourceRanges[1]", "MGW0162") in found
    assert any(code == "MGW0204" for _, code in found)  # the internal host is on an open LB


@pytest.mark.parametrize(
    "where",
    [
        {
            "service": {
                "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
            }
        },
        {
            "overrides": {
                "Service": {
                    "metadata": {
                        "annotations": {
                            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"
                        }
                    }
                }
            }
        },
    ],
    ids=["service-annotations", "overrides"],
)
def test_internal_exposure_cannot_be_annotated_public(where: dict[str, Any]) -> None:
    m = minimal_mesh()
    m["workloads"][0].update(exposure="internal", cloud="aws", **where)
    with pytest.raises(ConfigError, match="reachable from the internet"):
        MeshSpec.from_config(m)


def test_mutual_servers_restrict_client_certificates_by_san() -> None:
    m = minimal_mesh()
    tls = {
        "mode": "MUTUAL",
        "certificate": {"selfSigned": {}},
        "subjectAltNames": ["spiffe://partner/client"],
    }
    m["gateways"][0]["servers"][0]["tls"] = tls
    (gw,) = kinds(plan(m), "Gateway")
    assert gw["spec"]["servers"][0]["tls"]["subjectAltNames"] == ["spiffe://partner/client"]
    m["gateways"][0]["servers"][0]["tls"] = {**tls, "mode": "SIMPLE"}
    ((path, _, code),) = problems(m)
    assert (path, code) == ("gateways[0].servers[0].tls.subjectAltNames", "MGW0152")


def test_certificate_fingerprints_show_in_a_diff(pem_files: Any) -> None:
    crt, key = pem_files(["shop.example.com"])
    m = minimal_mesh()
    m["gateways"][0]["servers"][0]["tls"] = {
        "mode": "SIMPLE",
        "serverCertificate": str(crt),
        "privateKey": str(key),
    }
    (secret,) = kinds(plan(m), "Secret")
    facts = certificate_facts(crt.read_text())
    assert facts is not None
    assert secret["metadata"]["annotations"] == {
        CERT_SHA256_ANNOTATION: facts[0],
        CERT_EXPIRY_ANNOTATION: facts[1],
    }


def test_generated_certificate_fingerprint_is_annotated_in_the_program() -> None:
    def program() -> None:
        IngressGateway(
            "public",
            exposure="public",
            servers=[
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": ["shop.example.com"],
                    "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
                }
            ],
        )

    rec = run(program)
    (secret,) = rec.of_type("kubernetes:core/v1:Secret")
    annotations = secret.inputs["metadata"]["annotations"]
    assert set(annotations) == {CERT_SHA256_ANNOTATION, CERT_EXPIRY_ANNOTATION}
    assert annotations[CERT_SHA256_ANNOTATION] != SECRET


def test_routed_hosts_are_bound_to_the_routes_namespaces() -> None:
    m = minimal_mesh()
    m["gateways"][0]["servers"][0]["hosts"] = ["shop.example.com", "other.example.com", "*/open.example.com"]
    p = plan(m)
    (gw,) = kinds(p, "Gateway")
    # The program routes shop.example.com from namespace shop: no other namespace can bind it.
    assert gw["spec"]["servers"][0]["hosts"] == [
        "shop/shop.example.com",
        "other.example.com",
        "*/open.example.com",
    ]


def test_component_workload_without_credentials_has_no_role_and_refuses_a_tls_gateway_later() -> None:
    http = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.example.com"]}
    https = {
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["a.example.com"],
        "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
    }

    rec = run(lambda: IngressGateway("public", exposure="public", servers=[http]))
    assert rec.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role") == []

    def later() -> None:
        ig = IngressGateway("public", exposure="public", servers=[http])
        Gateway("tls", workload=ig.workload, servers=[https])

    with pytest.raises(Exception, match="without the Role"):
        run(later)
