"""Render tests for the gateway workload: schema validity, the Istio chart's facts, determinism."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

from pulumi_meshgw.errors import MeshgwError
from pulumi_meshgw.render._meta import Manifest
from pulumi_meshgw.render.deployment import render_deployment
from pulumi_meshgw.render.hpa import render_hpa
from pulumi_meshgw.render.namespace import render_namespace
from pulumi_meshgw.render.network_policy import render_network_policy
from pulumi_meshgw.render.pdb import render_pdb
from pulumi_meshgw.render.rbac import render_role, render_role_binding
from pulumi_meshgw.render.service import ServicePortSpec, render_service, resolve_service_ports
from pulumi_meshgw.render.service_account import render_service_account
from pulumi_meshgw.render.workload import render_workload
from pulumi_meshgw.spec.workload import WorkloadSpec

K8S_VERSION = "1.33.0"

INGRESS_PORTS = [ServicePortSpec("https", 443), ServicePortSpec("http2", 80)]


def spec(**config: Any) -> WorkloadSpec:
    """A WorkloadSpec from stack-config-shaped (camelCase) data."""
    return WorkloadSpec.model_validate(config)


SPECS: dict[str, WorkloadSpec] = {
    "public-aws": spec(name="istio-ingressgateway", exposure="public", cloud="aws"),
    "internal-gcp": spec(
        name="istio-internal",
        namespace="istio-internal",
        exposure="internal",
        cloud="gcp",
        revision="1-24",
        autoscaling={"enabled": False},
        replicas=3,
        labels={"team": "platform"},
        podAnnotations={"example.com/owner": "platform"},
        serviceAccountAnnotations={"iam.gke.io/gcp-service-account": "gw@proj.iam.gserviceaccount.com"},
        nodeSelector={"pool": "gateways"},
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gateways", "effect": "NoSchedule"}],
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["gateways"]}]}
                    ]
                }
            }
        },
        priorityClassName="system-cluster-critical",
        service={
            "loadBalancerSourceRanges": ["10.0.0.0/8", "192.168.0.0/16"],
            "loadBalancerClass": "example.com/lb",
        },
        podDisruptionBudget={"minAvailable": None, "maxUnavailable": 1},
    ),
    "cluster-netpol": spec(
        name="istio-egressgateway",
        namespace="istio-egress",
        exposure="cluster",
        drainDurationSeconds=10,
        topologySpread=False,
        autoscaling={"minReplicas": 1, "targetMemoryUtilizationPercentage": 75},
        # A memory request is needed for the memory target: utilization is relative to requests.
        resources={
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": None, "memory": "512Mi"},
        },
        networkPolicy={
            "enabled": True,
            "egressCidrs": ["203.0.113.0/24", "198.51.100.0/24"],
            "metricsNamespaces": ["monitoring", "observability"],
        },
        service={"extraPorts": [{"name": "tcp-db", "port": 5432}]},
    ),
    "overrides-azure": spec(
        name="gw-azure",
        exposure="public",
        cloud="azure",
        overrides={
            "Deployment": {
                "spec": {"minReadySeconds": 10, "template": {"spec": {"dnsPolicy": "ClusterFirst"}}}
            },
            "Service": {"spec": {"externalTrafficPolicy": None, "sessionAffinity": "None"}},
            "PodDisruptionBudget": {"spec": {"minAvailable": None, "maxUnavailable": "50%"}},
            "ServiceAccount": {"automountServiceAccountToken": False},
        },
    ),
}


def render(name: str) -> list[Manifest]:
    return render_workload(SPECS[name], INGRESS_PORTS)


def by_kind(objs: list[Manifest]) -> dict[str, Manifest]:
    kinds = [o["kind"] for o in objs]
    assert len(kinds) == len(set(kinds)), kinds
    return {o["kind"]: o for o in objs}


def walk_keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from walk_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_keys(item)


# --- schema validity -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_object_is_valid_against_kubernetes_schemas(name: str) -> None:
    objs = render(name)
    objs.append(render_namespace(SPECS[name].namespace, {"team": "platform"}, revision="1-24"))
    for obj in objs:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_strict_schema_validation_rejects_unknown_fields() -> None:
    # Guards the test above: strict mode must really reject a field Kubernetes would prune.
    deployment = render_deployment(SPECS["public-aws"])
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "auto"
    with pytest.raises(kubernetes_validate.ValidationError, match="imagePolicy"):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


# --- the bundle ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        (
            "public-aws",
            [
                "ServiceAccount",
                "Role",
                "RoleBinding",
                "Deployment",
                "Service",
                "HorizontalPodAutoscaler",
                "PodDisruptionBudget",
                "NetworkPolicy",
            ],
        ),
        (
            "internal-gcp",
            [
                "ServiceAccount",
                "Role",
                "RoleBinding",
                "Deployment",
                "Service",
                "PodDisruptionBudget",
                "NetworkPolicy",
            ],
        ),
        (
            "cluster-netpol",
            [
                "ServiceAccount",
                "Role",
                "RoleBinding",
                "Deployment",
                "Service",
                "HorizontalPodAutoscaler",
                "NetworkPolicy",
            ],
        ),
    ],
)
def test_objects_come_in_apply_order(name: str, kinds: list[str]) -> None:
    assert [o["kind"] for o in render(name)] == kinds


def test_external_workload_renders_nothing() -> None:
    external = spec(
        name="shared-gw", external={"namespace": "istio-system", "labels": {"istio": "ingressgateway"}}
    )
    assert render_workload(external, INGRESS_PORTS) == []
    with pytest.raises(MeshgwError, match="external"):
        render_deployment(external)


def test_every_object_is_named_and_labelled_after_the_workload() -> None:
    objs = render("internal-gcp")
    for obj in objs:
        meta = obj["metadata"]
        assert (meta["name"], meta["namespace"]) == ("istio-internal", "istio-internal")
        assert meta["labels"]["team"] == "platform"
        assert meta["labels"]["istio.io/dataplane-mode"] == "none"
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "pulumi-meshgw"
        assert list(meta["labels"]) == sorted(meta["labels"])


def test_selector_labels_win_over_user_labels() -> None:
    s = spec(name="istio-ingressgateway", exposure="public", labels={"app": "other", "istio": "other"})
    deployment = render_deployment(s)
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app": "istio-ingressgateway",
        "istio": "ingressgateway",
    }
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["app"] == "istio-ingressgateway"
    assert pod_labels["istio"] == "ingressgateway"


# --- Deployment ------------------------------------------------------------------------------------


def test_deployment_follows_the_gateway_chart() -> None:
    deployment = render_deployment(SPECS["public-aws"])
    template = deployment["spec"]["template"]
    pod = template["spec"]
    (container,) = pod["containers"]
    assert container["name"] == "istio-proxy"
    assert container["image"] == "auto"
    assert template["metadata"]["annotations"]["inject.istio.io/templates"] == "gateway"
    assert template["metadata"]["labels"]["sidecar.istio.io/inject"] == "true"
    assert template["metadata"]["labels"]["istio.io/dataplane-mode"] == "none"
    assert "istio.io/rev" not in template["metadata"]["labels"]
    assert deployment["spec"]["selector"] == {
        "matchLabels": {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    }
    assert pod["serviceAccountName"] == "istio-ingressgateway"
    assert pod["securityContext"] == {
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
    }
    assert container["ports"] == [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}]
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        # The chart's 2000m and 1024Mi, as the API server stores them (spec/quantity.py).
        "limits": {"cpu": "2", "memory": "1Gi"},
    }
    annotations = template["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == "15020"
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/stats/prometheus"
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0},
    }


@pytest.mark.parametrize(("drain", "grace"), [(30, 45), (10, 25), (0, 15)])
def test_graceful_drain(drain: int, grace: int) -> None:
    deployment = render_deployment(spec(name="gw", exposure="public", drainDurationSeconds=drain))
    template = deployment["spec"]["template"]
    assert template["spec"]["terminationGracePeriodSeconds"] == grace
    config = template["metadata"]["annotations"]["proxy.istio.io/config"]
    assert config == f'{{"terminationDrainDuration":"{drain}s"}}'
    assert json.loads(config) == {"terminationDrainDuration": f"{drain}s"}


def test_replicas_only_without_autoscaling() -> None:
    assert "replicas" not in render_deployment(SPECS["public-aws"])["spec"]
    assert render_deployment(SPECS["internal-gcp"])["spec"]["replicas"] == 3


def test_revision_label_on_pods() -> None:
    deployment = render_deployment(SPECS["internal-gcp"])
    assert deployment["spec"]["template"]["metadata"]["labels"]["istio.io/rev"] == "1-24"
    assert "istio.io/rev" not in deployment["metadata"]["labels"]


def test_pod_annotations_merge_but_cannot_change_the_injection_template() -> None:
    s = spec(
        name="gw",
        exposure="public",
        podAnnotations={"prometheus.io/scrape": "false", "inject.istio.io/templates": "sidecar", "a": "b"},
    )
    annotations = render_deployment(s)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "false"
    assert annotations["a"] == "b"
    assert annotations["inject.istio.io/templates"] == "gateway"
    assert annotations["prometheus.io/port"] == "15020"


def test_injection_label_cannot_be_turned_off_by_user_labels() -> None:
    s = spec(name="gw", exposure="public", labels={"sidecar.istio.io/inject": "false"})
    assert render_deployment(s)["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"] == "true"


def test_scheduling_fields_pass_through() -> None:
    s = SPECS["internal-gcp"]
    pod = render_deployment(s)["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"pool": "gateways"}
    assert pod["tolerations"] == s.tolerations
    assert pod["tolerations"] is not s.tolerations
    assert pod["affinity"] == s.affinity
    assert pod["priorityClassName"] == "system-cluster-critical"
    bare = render_deployment(SPECS["public-aws"])["spec"]["template"]["spec"]
    assert not {"nodeSelector", "tolerations", "affinity", "priorityClassName"} & set(bare)


def test_topology_spread() -> None:
    pod = render_deployment(SPECS["public-aws"])["spec"]["template"]["spec"]
    constraints = pod["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in constraints] == [
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    ]
    for c in constraints:
        assert c["maxSkew"] == 1
        assert c["whenUnsatisfiable"] == "ScheduleAnyway"
        assert c["labelSelector"] == {
            "matchLabels": {"app": "istio-ingressgateway", "istio": "ingressgateway"}
        }
    off = render_deployment(SPECS["cluster-netpol"])["spec"]["template"]["spec"]
    assert "topologySpreadConstraints" not in off


def test_partial_resources() -> None:
    container = render_deployment(SPECS["cluster-netpol"])["spec"]["template"]["spec"]["containers"][0]
    # No CPU limit (a common choice for latency-sensitive proxies): the key is left out, not null.
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"memory": "512Mi"},
    }


# --- ServiceAccount and RBAC -----------------------------------------------------------------------


def test_service_account_and_rbac() -> None:
    s = SPECS["internal-gcp"]
    sa = render_service_account(s)
    assert sa["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "gw@proj.iam.gserviceaccount.com"
    }
    assert "annotations" not in render_service_account(SPECS["public-aws"])["metadata"]
    role = render_role(s)
    assert role["metadata"]["name"] == sa["metadata"]["name"]
    # The verb istiod's SubjectAccessReview asks for (pilot/pkg/credentials/kube/secrets.go), no more.
    assert role["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]
    binding = render_role_binding(s)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "istio-internal",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "istio-internal", "namespace": "istio-internal"}
    ]


# --- Service ---------------------------------------------------------------------------------------


def test_status_port_first_then_sorted_and_deduplicated() -> None:
    s = spec(
        name="gw",
        exposure="public",
        service={
            "extraPorts": [
                {"name": "tcp-extra", "port": 9000},
                {"name": "udp-quic", "port": 443, "protocol": "UDP"},
                {"name": "dup-of-http", "port": 80},
            ]
        },
    )
    ports = [
        ServicePortSpec("https", 443),
        ServicePortSpec("status-port-dup", 15021),
        ServicePortSpec("http2", 80, target_port=8080),
        ServicePortSpec("http", 80),
        ServicePortSpec("tls", 15443),
    ]
    service_ports = render_service(s, ports)["spec"]["ports"]
    assert [(p["name"], p["port"], p["targetPort"], p["protocol"]) for p in service_ports] == [
        ("status-port", 15021, 15021, "TCP"),
        ("http", 80, 80, "TCP"),  # "http" sorts before "http2" on the shared port 80
        ("https", 443, 443, "TCP"),
        ("tls", 15443, 15443, "TCP"),
        ("tcp-extra", 9000, 9000, "TCP"),
        ("udp-quic", 443, 443, "UDP"),
    ]


def test_port_order_does_not_depend_on_input_order() -> None:
    s = SPECS["public-aws"]
    ports = [ServicePortSpec("https", 443), ServicePortSpec("http2", 80), ServicePortSpec("http", 80)]
    results = {tuple(resolve_service_ports(s, list(p))) for p in itertools.permutations(ports)}
    assert len(results) == 1


@pytest.mark.parametrize(
    ("cloud", "exposure", "svc_type", "annotations"),
    [
        (
            "aws",
            "public",
            "LoadBalancer",
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
            },
        ),
        (
            "aws",
            "internal",
            "LoadBalancer",
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            },
        ),
        ("aws", "cluster", "ClusterIP", None),
        ("gcp", "public", "LoadBalancer", None),
        ("gcp", "internal", "LoadBalancer", {"networking.gke.io/load-balancer-type": "Internal"}),
        ("gcp", "cluster", "ClusterIP", None),
        ("azure", "public", "LoadBalancer", None),
        (
            "azure",
            "internal",
            "LoadBalancer",
            {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
        ),
        ("azure", "cluster", "ClusterIP", None),
        ("none", "public", "LoadBalancer", None),
        ("none", "cluster", "ClusterIP", None),
    ],
)
def test_service_type_and_annotations_per_cloud_and_exposure(
    cloud: str, exposure: str, svc_type: str, annotations: dict[str, str] | None
) -> None:
    service = render_service(spec(name="gw", exposure=exposure, cloud=cloud), INGRESS_PORTS)
    assert service["spec"]["type"] == svc_type
    assert service["metadata"].get("annotations") == annotations
    assert service["spec"]["selector"] == {"app": "gw", "istio": "gw"}
    kubernetes_validate.validate(service, K8S_VERSION, strict=True)


def test_user_service_annotations_merge_over_derived() -> None:
    s = spec(
        name="gw",
        exposure="internal",
        cloud="aws",
        service={
            "annotations": {
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "instance",
                "x": "y",
            }
        },
    )
    annotations = render_service(s, INGRESS_PORTS)["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] == "instance"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert annotations["x"] == "y"


def test_traffic_policy_and_load_balancer_fields() -> None:
    public = render_service(SPECS["public-aws"], INGRESS_PORTS)["spec"]
    assert public["externalTrafficPolicy"] == "Local"
    assert not {"loadBalancerSourceRanges", "loadBalancerClass"} & set(public)
    internal = render_service(SPECS["internal-gcp"], INGRESS_PORTS)["spec"]
    assert internal["loadBalancerSourceRanges"] == ["10.0.0.0/8", "192.168.0.0/16"]
    assert internal["loadBalancerClass"] == "example.com/lb"
    cluster_policy = spec(name="gw", exposure="public", service={"externalTrafficPolicy": "Cluster"})
    assert render_service(cluster_policy, INGRESS_PORTS)["spec"]["externalTrafficPolicy"] == "Cluster"
    cluster = render_service(SPECS["cluster-netpol"], INGRESS_PORTS)["spec"]
    assert "externalTrafficPolicy" not in cluster


def test_app_protocol_only_on_cluster_ip() -> None:
    cluster = render_service(SPECS["cluster-netpol"], [*INGRESS_PORTS, ServicePortSpec("custom", 7000)])[
        "spec"
    ]
    app = {p["name"]: p.get("appProtocol") for p in cluster["ports"]}
    assert app == {"status-port": None, "http2": "http2", "https": "https", "custom": None, "tcp-db": "tcp"}
    public = render_service(SPECS["public-aws"], INGRESS_PORTS)["spec"]
    assert all("appProtocol" not in p for p in public["ports"])


def test_no_load_balancer_ip_ever() -> None:
    for name in SPECS:
        for obj in render(name):
            assert "loadBalancerIP" not in set(walk_keys(obj)), (name, obj["kind"])


# --- HPA and PDB -----------------------------------------------------------------------------------


def test_hpa() -> None:
    hpa = render_hpa(SPECS["public-aws"])
    assert hpa is not None
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "istio-ingressgateway"},
        "minReplicas": 2,
        "maxReplicas": 5,
        "metrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ],
    }
    with_memory = render_hpa(SPECS["cluster-netpol"])
    assert with_memory is not None
    assert [m["resource"]["name"] for m in with_memory["spec"]["metrics"]] == ["cpu", "memory"]
    assert with_memory["spec"]["metrics"][1]["resource"]["target"]["averageUtilization"] == 75
    assert render_hpa(SPECS["internal-gcp"]) is None


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"autoscaling": {"minReplicas": 1}}, None),
        ({"autoscaling": {"enabled": False}, "replicas": 1}, None),
        ({"autoscaling": {"minReplicas": 2}}, {"minAvailable": 1}),
        ({"autoscaling": {"enabled": False, "minReplicas": 1}, "replicas": 3}, {"minAvailable": 1}),
        ({"podDisruptionBudget": {"minAvailable": None, "maxUnavailable": "50%"}}, {"maxUnavailable": "50%"}),
        ({"podDisruptionBudget": {"minAvailable": None}}, None),
    ],
)
def test_pdb_only_when_minimum_above_one(config: dict[str, Any], expected: dict[str, Any] | None) -> None:
    pdb = render_pdb(spec(name="gw", exposure="public", **config))
    if expected is None:
        assert pdb is None
        return
    assert pdb is not None
    assert pdb["spec"] == {
        **expected,
        "selector": {"matchLabels": {"app": "gw", "istio": "gw"}},
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }
    kubernetes_validate.validate(pdb, K8S_VERSION, strict=True)


# --- NetworkPolicy ---------------------------------------------------------------------------------


def test_network_policy() -> None:
    off = spec(name="gw", exposure="public", networkPolicy={"enabled": False})
    assert render_network_policy(off, INGRESS_PORTS) is None
    assert render_network_policy(SPECS["public-aws"], INGRESS_PORTS) is not None  # on by default
    policy = render_network_policy(
        SPECS["cluster-netpol"], [*INGRESS_PORTS, ServicePortSpec("http", 8080, 18080)]
    )
    assert policy is not None
    body = policy["spec"]
    assert body["podSelector"] == {"matchLabels": {"app": "istio-egressgateway", "istio": "egressgateway"}}
    assert body["policyTypes"] == ["Ingress", "Egress"]
    serving, metrics = body["ingress"]
    assert "from" not in serving
    assert [(p["port"], p["protocol"]) for p in serving["ports"]] == [
        (80, "TCP"),
        (443, "TCP"),
        (5432, "TCP"),
        (15021, "TCP"),
        (18080, "TCP"),  # the target port, not the Service port 8080
    ]
    assert metrics == {
        "from": [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "observability"}}},
        ],
        "ports": [{"port": 15020, "protocol": "TCP"}, {"port": 15090, "protocol": "TCP"}],
    }
    dns, istiod, pods, cidrs = body["egress"]
    assert dns == {
        "to": [{"namespaceSelector": {}}],
        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    }
    assert istiod == {
        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}],
        "ports": [{"port": 15012, "protocol": "TCP"}],
    }
    assert pods == {"to": [{"namespaceSelector": {}}]}  # routes unknown: every namespace
    assert cidrs == {
        "to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}, {"ipBlock": {"cidr": "203.0.113.0/24"}}]
    }


def test_network_policy_metrics_from_any_namespace_by_default() -> None:
    s = spec(name="gw", exposure="public", networkPolicy={"enabled": True})
    policy = render_network_policy(s, INGRESS_PORTS)
    assert policy is not None
    assert policy["spec"]["ingress"][1]["from"] == [{"namespaceSelector": {}}]
    assert len(policy["spec"]["egress"]) == 3  # DNS, istiod, pods; no CIDR rule without egressCidrs
    kubernetes_validate.validate(policy, K8S_VERSION, strict=True)


# --- Namespace -------------------------------------------------------------------------------------


def test_namespace() -> None:
    plain = render_namespace("istio-ingress")
    assert plain["metadata"]["name"] == "istio-ingress"
    assert "namespace" not in plain["metadata"]
    assert not any(k.startswith("istio") for k in plain["metadata"]["labels"])
    pinned = render_namespace("istio-ingress", {"team": "a"}, revision="1-24")
    assert pinned["metadata"]["labels"]["istio.io/rev"] == "1-24"
    assert pinned["metadata"]["labels"]["team"] == "a"


# --- overrides and determinism ---------------------------------------------------------------------


def test_overrides_merge_and_none_deletes() -> None:
    objs = by_kind(render("overrides-azure"))
    deployment = objs["Deployment"]
    assert deployment["spec"]["minReadySeconds"] == 10
    assert deployment["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    # Merged, not replaced: the rendered siblings survive.
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "auto"
    service = objs["Service"]
    assert "externalTrafficPolicy" not in service["spec"]
    assert service["spec"]["sessionAffinity"] == "None"
    assert service["spec"]["type"] == "LoadBalancer"
    assert objs["PodDisruptionBudget"]["spec"]["maxUnavailable"] == "50%"
    assert "minAvailable" not in objs["PodDisruptionBudget"]["spec"]
    assert objs["ServiceAccount"]["automountServiceAccountToken"] is False
    # Kinds without an override are untouched.
    assert objs["Role"] == render_role(SPECS["overrides-azure"])


def test_overrides_do_not_leak_into_the_spec() -> None:
    s = SPECS["overrides-azure"]
    before = s.model_dump()
    objs = by_kind(render_workload(s, INGRESS_PORTS))
    objs["Deployment"]["spec"]["template"]["spec"]["dnsPolicy"] = "Default"
    assert s.model_dump() == before
    assert by_kind(render_workload(s, INGRESS_PORTS))["Deployment"]["spec"]["template"]["spec"][
        "dnsPolicy"
    ] == ("ClusterFirst")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_rendering_is_deterministic(name: str) -> None:
    first, second = render(name), render(name)
    assert first == second
    assert (
        yaml.safe_dump_all(first, sort_keys=True).encode()
        == yaml.safe_dump_all(second, sort_keys=True).encode()
    )
    # Same spec rebuilt from its own dump: same bytes (no dependence on object identity).
    rebuilt = WorkloadSpec.model_validate(SPECS[name].model_dump(by_alias=True))
    third = render_workload(rebuilt, list(reversed(INGRESS_PORTS)))
    assert yaml.safe_dump_all(third, sort_keys=True) == yaml.safe_dump_all(first, sort_keys=True)
