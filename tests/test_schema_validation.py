"""Schema validation of rendered manifests (pulumi_meshgw.analysis.schema) and the vendored schemas."""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

import pytest

from pulumi_meshgw.analysis import Diagnostic, Level, validate_manifest, validate_manifests
from pulumi_meshgw.schemas import _generate

Obj = dict[str, Any]


def _meta(name: str, namespace: str = "istio-ingress") -> Obj:
    return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "meshgw"}}


GATEWAY: Obj = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "Gateway",
    "metadata": _meta("public"),
    "spec": {
        "selector": {"istio": "ingressgateway"},
        "servers": [
            {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": ["shop/*.example.com"],
                "tls": {"mode": "SIMPLE", "credentialName": "shop-cert", "minProtocolVersion": "TLSV1_2"},
            },
            {
                "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                "hosts": ["*"],
                "tls": {"httpsRedirect": True},
            },
        ],
    },
}

VIRTUAL_SERVICE: Obj = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "VirtualService",
    "metadata": _meta("shop", "shop"),
    "spec": {
        "hosts": ["shop.example.com"],
        "gateways": ["istio-ingress/public"],
        "exportTo": ["."],
        "http": [
            {
                "name": "api",
                "match": [{"uri": {"prefix": "/api/"}, "headers": {"x-canary": {"exact": "1"}}}],
                "rewrite": {"uri": "/"},
                "route": [
                    {
                        "destination": {"host": "api.shop.svc.cluster.local", "port": {"number": 8080}},
                        "weight": 90,
                    },
                    {"destination": {"host": "api-canary", "subset": "v2"}, "weight": 10},
                ],
                "timeout": "5s",
                "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,reset"},
                "corsPolicy": {"allowOrigins": [{"exact": "https://example.com"}], "allowMethods": ["GET"]},
                "headers": {"response": {"set": {"strict-transport-security": "max-age=31536000"}}},
            }
        ],
    },
}

DESTINATION_RULE: Obj = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "DestinationRule",
    "metadata": _meta("api", "shop"),
    "spec": {
        "host": "api.shop.svc.cluster.local",
        "trafficPolicy": {
            "loadBalancer": {"consistentHash": {"httpHeaderName": "x-user", "maglev": {"tableSize": 65537}}},
            "connectionPool": {"tcp": {"maxConnections": 100}, "http": {"http2MaxRequests": 1000}},
            "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s", "baseEjectionTime": "30s"},
            "tls": {"mode": "ISTIO_MUTUAL"},
        },
        "subsets": [{"name": "v2", "labels": {"version": "v2"}}],
    },
}

SERVICE_ENTRY: Obj = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "ServiceEntry",
    "metadata": _meta("payments", "istio-egress"),
    "spec": {
        "hosts": ["api.payments.example"],
        "location": "MESH_EXTERNAL",
        "resolution": "DNS",
        "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
        "exportTo": ["*"],
    },
}

AUTHORIZATION_POLICY: Obj = {
    "apiVersion": "security.istio.io/v1",
    "kind": "AuthorizationPolicy",
    "metadata": _meta("allow-shop"),
    "spec": {
        "selector": {"matchLabels": {"istio": "ingressgateway"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}],
                "to": [{"operation": {"hosts": ["shop.example.com"], "methods": ["GET", "POST"]}}],
                "when": [{"key": "request.headers[x-tenant]", "values": ["a", "b"]}],
            }
        ],
    },
}

SIDECAR: Obj = {
    "apiVersion": "networking.istio.io/v1",
    "kind": "Sidecar",
    "metadata": _meta("default", "istio-egress"),
    "spec": {
        "egress": [{"hosts": ["./*", "istio-system/*"]}],
        "outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"},
    },
}

TELEMETRY: Obj = {
    "apiVersion": "telemetry.istio.io/v1",
    "kind": "Telemetry",
    "metadata": _meta("access-logs"),
    "spec": {
        "selector": {"matchLabels": {"istio": "ingressgateway"}},
        "accessLogging": [
            {"providers": [{"name": "envoy"}], "filter": {"expression": "response.code >= 400"}}
        ],
        "tracing": [{"randomSamplingPercentage": 1.5, "customTags": {"env": {"literal": {"value": "prod"}}}}],
    },
}

ENVOY_FILTER: Obj = {
    "apiVersion": "networking.istio.io/v1alpha3",
    "kind": "EnvoyFilter",
    "metadata": _meta("xff-trust-hops"),
    "spec": {
        "workloadSelector": {"labels": {"istio": "ingressgateway"}},
        "configPatches": [
            {
                "applyTo": "NETWORK_FILTER",
                "match": {
                    "context": "GATEWAY",
                    "listener": {
                        "filterChain": {"filter": {"name": "envoy.filters.network.http_connection_manager"}}
                    },
                },
                "patch": {
                    "operation": "MERGE",
                    # patch.value preserves unknown fields: any Envoy config is accepted.
                    "value": {"typed_config": {"@type": "type.googleapis.com/x", "xff_num_trusted_hops": 2}},
                },
            }
        ],
    },
}

VALID_ISTIO = [
    GATEWAY,
    VIRTUAL_SERVICE,
    DESTINATION_RULE,
    SERVICE_ENTRY,
    AUTHORIZATION_POLICY,
    SIDECAR,
    TELEMETRY,
    ENVOY_FILTER,
]


def _with(obj: Obj, path: str, value: Any) -> Obj:
    """A deep copy of obj with the value at a dotted path (``a.b[0].c``) set."""
    out = copy.deepcopy(obj)
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node: Any = out
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return out


def _one(obj: Obj) -> Diagnostic:
    diagnostics = validate_manifest(obj)
    assert len(diagnostics) == 1, "\n".join(map(str, diagnostics))
    return diagnostics[0]


# --- vendored schemas -------------------------------------------------------------------------


def test_openapi_json_is_in_sync_with_vendored_crds() -> None:
    # Byte-for-byte: regenerate with `python -m pulumi_meshgw.schemas._generate` if this fails.
    assert _generate.OPENAPI_JSON.read_bytes() == _generate.render_file()


def test_vendored_crds_are_unchanged_from_upstream() -> None:
    source = (_generate.CRD_YAML.parent / "SOURCE.md").read_text(encoding="utf-8")
    recorded = re.search(r"SHA-256: `([0-9a-f]{64})`", source)
    assert recorded is not None
    assert hashlib.sha256(_generate.CRD_YAML.read_bytes()).hexdigest() == recorded.group(1)


def test_index_has_every_served_version() -> None:
    index = _generate.build_index(
        [
            {"kind": "ConfigMap"},
            None,
            {
                "kind": "CustomResourceDefinition",
                "spec": {
                    "group": "example.istio.io",
                    "names": {"kind": "Thing"},
                    "versions": [
                        {"name": "v1", "served": True, "schema": {"openAPIV3Schema": {"type": "object"}}},
                        {"name": "v1alpha1", "served": False, "schema": {"openAPIV3Schema": {}}},
                    ],
                },
            },
        ]
    )
    assert index == {"example.istio.io/v1/Thing": {"type": "object"}}


# --- Istio ------------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", VALID_ISTIO, ids=lambda o: f"{o['apiVersion']}/{o['kind']}")
def test_valid_istio_objects_pass(obj: Obj) -> None:
    assert validate_manifest(obj) == []


def test_unknown_field_is_an_error_listing_allowed_fields() -> None:
    diagnostic = _one(_with(VIRTUAL_SERVICE, "spec.hostz", ["shop.example.com"]))
    assert diagnostic == Diagnostic(
        code="IST0106",
        level=Level.ERROR,
        kind="VirtualService",
        namespace="shop",
        name="shop",
        path="spec.hostz",
        message=diagnostic.message,
    )
    assert diagnostic.message.startswith('unknown field "hostz"; allowed: ')
    allowed = diagnostic.message.split("allowed: ")[1].split(", ")
    assert {"hosts", "gateways", "http", "tcp", "tls", "exportTo"} <= set(allowed)


def test_unknown_field_deep_and_at_the_root() -> None:
    obj = _with(GATEWAY, "spec.servers[1].port.targetPortt", 8080)
    obj["specs"] = {}
    paths = [d.path for d in validate_manifest(obj)]
    assert paths == ["spec.servers[1].port.targetPortt", "specs"]


def test_wrong_type_names_the_value() -> None:
    diagnostic = _one(_with(GATEWAY, "spec.servers[0].port.number", "443"))
    assert diagnostic.path == "spec.servers[0].port.number"
    assert diagnostic.message == 'expected integer, got string "443"'


def test_bad_enum_lists_allowed_values() -> None:
    diagnostic = _one(_with(GATEWAY, "spec.servers[0].tls.mode", "SIMPEL"))
    assert diagnostic.path == "spec.servers[0].tls.mode"
    assert diagnostic.message.startswith('"SIMPEL" is not an allowed value; allowed: ')
    assert "SIMPLE" in diagnostic.message and "ISTIO_MUTUAL" in diagnostic.message


def test_unserved_version_lists_served_versions() -> None:
    diagnostic = _one(_with(GATEWAY, "apiVersion", "networking.istio.io/v2"))
    # The API server's rejection (MGW0106): istioctl skips kinds it does not know, so not IST0106.
    assert (diagnostic.code, diagnostic.path) == ("MGW0106", "apiVersion")
    assert (
        diagnostic.message
        == "networking.istio.io/v2 does not serve Gateway; served versions: v1, v1beta1, v1alpha3"
    )


def test_unknown_istio_group_and_kind() -> None:
    typo_group = _one(_with(GATEWAY, "apiVersion", "networkin.istio.io/v1"))
    assert typo_group.path == "apiVersion"
    assert '"networkin.istio.io"' in typo_group.message and "Gateway is served as networking.istio.io/v1" in (
        typo_group.message
    )
    typo_kind = _one(_with(GATEWAY, "kind", "Gatway"))
    assert (
        typo_kind.path == "kind" and '"Gatway"' in typo_kind.message and "VirtualService" in typo_kind.message
    )


def test_null_is_rejected_unless_nullable() -> None:
    assert validate_manifest(_with(TELEMETRY, "spec.accessLogging[0].disabled", None)) == []  # nullable
    diagnostic = _one(_with(GATEWAY, "spec.servers[0].hosts", None))
    assert (diagnostic.path, diagnostic.message) == ("spec.servers[0].hosts", "expected array, got null")


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    for value in (3, "3"):
        assert validate_manifest(_with(GATEWAY, "status", {"observedGeneration": value})) == []
    diagnostic = _one(_with(GATEWAY, "status", {"observedGeneration": True}))
    assert diagnostic.message == "expected integer or string, got boolean true"


def test_mutually_exclusive_fields() -> None:
    obj = _with(VIRTUAL_SERVICE, "spec.http[0].corsPolicy.allowOrigins[0].prefix", "https://")
    diagnostic = _one(obj)
    assert diagnostic.path == "spec.http[0].corsPolicy.allowOrigins[0]"
    assert diagnostic.message == "only one of exact, prefix, regex may be set; found exact, prefix"
    # The CRD's oneOf, which the API server enforces and istioctl does not (jsonpb keeps one
    # member): MGW0106, not IST0106.
    assert diagnostic.code == "MGW0106"


def test_all_errors_are_collected_and_sorted_numerically() -> None:
    obj = copy.deepcopy(GATEWAY)
    servers = obj["spec"]["servers"]
    servers.extend(copy.deepcopy(servers[0]) for _ in range(10))  # 12 servers
    servers[11]["port"]["number"] = "x"
    servers[2]["port"]["number"] = 70000.5
    servers[2]["tls"]["mode"] = "NOPE"
    paths = [d.path for d in validate_manifest(obj)]
    assert paths == [
        "spec.servers[2].port.number",
        "spec.servers[2].tls.mode",
        "spec.servers[11].port.number",
    ]


def test_metadata_name_is_required() -> None:
    obj = copy.deepcopy(GATEWAY)
    del obj["metadata"]["name"]
    diagnostic = _one(obj)
    assert (diagnostic.code, diagnostic.path, diagnostic.message) == (
        "IST0106",
        "metadata.name",
        'missing required field "name"',
    )
    assert _one(_with(GATEWAY, "metadata.name", "")).message == 'expected a non-empty string, got string ""'


# --- core Kubernetes --------------------------------------------------------------------------

POD_TEMPLATE: Obj = {
    "metadata": {"labels": {"app": "gw"}, "annotations": {"inject.istio.io/templates": "gateway"}},
    "spec": {
        "serviceAccountName": "gw",
        "containers": [
            {
                "name": "istio-proxy",
                "image": "auto",
                "ports": [{"containerPort": 8443, "name": "https", "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}},
                "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
            }
        ],
    },
}

VALID_CORE: list[Obj] = [
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta("gw"),
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "gw"}},
            "strategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
            "template": POD_TEMPLATE,
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("gw"),
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": "gw"},
            "ports": [{"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}],
        },
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("gw")},
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta("gw-sds"),
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta("gw-sds"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "gw-sds"},
        "subjects": [{"kind": "ServiceAccount", "name": "gw"}],
    },
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _meta("gw"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gw"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                }
            ],
        },
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta("gw"),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "gw"}}},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("gw"),
        "spec": {
            "podSelector": {"matchLabels": {"app": "gw"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [{"port": 8443, "protocol": "TCP"}, {"port": "https"}]}],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("shop-cert"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
    },
]


@pytest.fixture(scope="module", autouse=False)
def kubernetes_validate() -> None:
    pytest.importorskip("kubernetes_validate")


@pytest.mark.usefixtures("kubernetes_validate")
@pytest.mark.parametrize("obj", VALID_CORE, ids=lambda o: f"{o['apiVersion']}/{o['kind']}")
def test_valid_core_objects_pass(obj: Obj) -> None:
    assert validate_manifest(obj) == []


@pytest.mark.usefixtures("kubernetes_validate")
def test_deployment_unknown_field() -> None:
    obj = _with(VALID_CORE[0], "spec.template.spec.containers[0].imagePullPolicyy", "Always")
    diagnostic = _one(obj)
    assert (diagnostic.code, diagnostic.kind, diagnostic.namespace, diagnostic.name) == (
        "MGW0106",
        "Deployment",
        "istio-ingress",
        "gw",
    )
    assert diagnostic.path == "spec.template.spec.containers[0].imagePullPolicyy"
    assert diagnostic.message.startswith('unknown field "imagePullPolicyy"; allowed: args, command,')


@pytest.mark.usefixtures("kubernetes_validate")
def test_service_string_port() -> None:
    diagnostic = _one(_with(VALID_CORE[1], "spec.ports[0].port", "443"))
    assert (diagnostic.path, diagnostic.message) == (
        "spec.ports[0].port",
        'expected integer, got string "443"',
    )
    bad_target = _one(_with(VALID_CORE[1], "spec.ports[0].targetPort", 84.5))
    assert bad_target.message == "expected string or integer, got number 84.5"


@pytest.mark.usefixtures("kubernetes_validate")
def test_removed_core_version_and_unknown_core_kind() -> None:
    removed = _one(_with(VALID_CORE[6], "apiVersion", "policy/v1beta1"))
    assert removed.path == "apiVersion"
    assert (
        removed.message
        == "policy/v1beta1 does not serve PodDisruptionBudget in Kubernetes 1.33; served: policy/v1"
    )
    typo = _one(_with(VALID_CORE[1], "kind", "Sevice"))
    assert (typo.path, typo.message) == ("kind", 'unknown kind "Sevice" in v1 (Kubernetes 1.33)')


# --- kinds without a schema, envelope -----------------------------------------------------------

CERTIFICATE: Obj = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": _meta("shop-cert"),
    "spec": {"secretName": "shop-cert", "anything": {"goes": True}},
}


def test_unknown_kinds_only_get_the_envelope_check() -> None:
    assert validate_manifest(CERTIFICATE) == []
    assert (
        validate_manifest({**CERTIFICATE, "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute"})
        == []
    )
    broken = {"kind": "Certificate", "metadata": {"namespace": "x"}}
    assert [(d.code, d.path, d.message) for d in validate_manifest(broken)] == [
        ("MGW0106", "apiVersion", 'missing required field "apiVersion"'),
        ("MGW0106", "metadata.name", 'missing required field "name"'),
    ]
    bad_api = _one({**CERTIFICATE, "apiVersion": "cert-manager.io/v1/x"})
    assert bad_api.path == "apiVersion" and '"cert-manager.io/v1/x"' in bad_api.message


# --- Diagnostic, batches -------------------------------------------------------------------------


def test_diagnostic_rendering() -> None:
    diagnostic = _one(_with(GATEWAY, "spec.servers[0].port.number", "443"))
    assert str(diagnostic) == (
        "error: Gateway istio-ingress/public spec.servers[0].port.number: expected integer, got string "
        '"443" [IST0106]'
    )
    assert diagnostic.to_dict() == {
        "code": "IST0106",
        "level": "error",
        "kind": "Gateway",
        "namespace": "istio-ingress",
        "name": "public",
        "path": "spec.servers[0].port.number",
        "message": 'expected integer, got string "443"',
    }
    cluster_scoped = Diagnostic("MGW0106", Level.WARNING, "ClusterRole", "", "gw", "", "m")
    assert str(cluster_scoped) == "warning: ClusterRole gw: m [MGW0106]"


def test_validate_manifests_keeps_input_order_and_is_deterministic() -> None:
    objs = [
        _with(VIRTUAL_SERVICE, "spec.hostz", []),
        GATEWAY,
        _with(GATEWAY, "spec.servers[0].tls.mode", "SIMPEL"),
        CERTIFICATE,
    ]
    first = validate_manifests(objs)
    assert [(d.kind, d.path) for d in first] == [
        ("VirtualService", "spec.hostz"),
        ("Gateway", "spec.servers[0].tls.mode"),
    ]
    assert validate_manifests(iter(objs)) == first
