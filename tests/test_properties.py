"""Property tests: bad input never escapes as anything but the library's own errors.

Random and mutated configs go through ``MeshSpec.from_config``, ``plan_mesh`` and
``analyze_manifests`` on what was planned; random and mutated manifests go through
``analyze_manifests``. The only exceptions allowed are ``MeshgwError`` subclasses (documented in
``pulumi_meshgw.errors``); the analysis itself never raises on data, it reports.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_meshgw.analysis import Diagnostic, analyze_manifests
from pulumi_meshgw.errors import MeshgwError
from pulumi_meshgw.plan import plan_mesh
from pulumi_meshgw.spec import MeshSpec

from .conftest import STACKS, minimal_mesh, stack_config

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Field names and values that real configs and manifests use, so mutations reach deep code paths.
KEYS = [
    "name",
    "namespace",
    "hosts",
    "host",
    "port",
    "number",
    "protocol",
    "tls",
    "mode",
    "servers",
    "selector",
    "gateways",
    "http",
    "tcp",
    "route",
    "destination",
    "subset",
    "subsets",
    "weight",
    "credentialName",
    "workload",
    "exposure",
    "ports",
    "labels",
    "spec",
    "metadata",
    "kind",
    "apiVersion",
    "exportTo",
    "trafficPolicy",
    "portLevelSettings",
    "match",
    "sniHosts",
    "external",
    "certificate",
    "selfSigned",
    "rules",
    "from",
    "source",
    "ipBlocks",
    "template",
    "containers",
    "image",
    "addresses",
    "resolution",
    "type",
    "externalTrafficPolicy",
    "matchLabels",
    "bind",
]
VALUES = [
    "HTTPS",
    "HTTP",
    "TLS",
    "TCP",
    "SIMPLE",
    "MUTUAL",
    "PASSTHROUGH",
    "ISTIO_MUTUAL",
    "*",
    "*.example.com",
    "shop.example.com",
    "mesh",
    "istio-ingress/public",
    "auto",
    "LoadBalancer",
    "Cluster",
    "DNS",
    "v1",
    "networking.istio.io/v1",
    "Gateway",
    "VirtualService",
    "Service",
    "public",
    "a/b/c",
    "",
    "Ünïcode",
    443,
    80,
    0,
    -1,
    65536,
    3.5,
    True,
    None,
]
scalars = st.one_of(
    st.sampled_from(VALUES), st.integers(-5, 70_000), st.text(max_size=8), st.booleans(), st.none()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)), inner, max_size=3),
    ),
    max_leaves=10,
)


def _nodes(obj: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nodes(v, (*path, i))


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        obj = obj[p]
    return obj


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three random edits: replace, delete, duplicate or insert."""
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_nodes(obj))))
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "insert"]))
        if not path:
            if op == "replace":
                obj = draw(json_values)
            continue
        parent, last = _get(obj, path[:-1]), path[-1]
        if op == "replace":
            parent[last] = draw(json_values)
        elif op == "delete":
            del parent[last]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        elif op == "insert":
            node = parent[last]
            if isinstance(node, dict):
                node[draw(st.sampled_from(KEYS))] = draw(json_values)
            elif isinstance(node, list):
                node.append(draw(json_values))
    return obj


def _plan_and_analyze(config: Any) -> list[Diagnostic]:
    try:
        spec = MeshSpec.from_config(config)
        plan = plan_mesh(spec, base_dir=STACKS)
    except MeshgwError:
        return []
    return analyze_manifests(plan.manifests())


BASES = {
    "minimal": minimal_mesh(
        external=[
            {"kind": "Gateway", "namespace": "platform", "name": "shared", "hosts": ["*.example.com"]},
            {"kind": "Service", "host": "shop.shop.svc.cluster.local", "ports": [8080]},
            {"kind": "DestinationRule", "host": "shop", "namespace": "shop", "subsets": ["v1"]},
        ]
    ),
    "dev": stack_config("dev"),
}


@pytest.mark.parametrize("base", list(BASES), ids=list(BASES))
def test_mutated_configs_only_raise_our_errors(base: str) -> None:
    @SETTINGS
    @given(mutated(BASES[base]))
    def check(config: Any) -> None:
        try:
            diags = _plan_and_analyze(config)
        except MeshgwError:
            return
        assert all(isinstance(d, Diagnostic) for d in diags)

    check()


def _dev_manifests() -> list[dict[str, Any]]:
    """The dev stack's objects that the cross-object and egress checks read (the rest only meet the
    schema, which the random-object test covers)."""
    planned = plan_mesh(MeshSpec.from_config(stack_config("dev")), base_dir=STACKS).manifests()
    skip = {"Namespace", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy", "Telemetry"}
    return [m for m in planned if m["kind"] not in skip]


DEV = _dev_manifests()


@settings(SETTINGS, max_examples=80)
@given(mutated(DEV), st.booleans())
def test_mutated_manifests_are_reported_never_raised(manifests: Any, schema: bool) -> None:
    objs = manifests if isinstance(manifests, list) else [manifests]
    diags = analyze_manifests(objs, schema=schema)
    assert all(isinstance(d, Diagnostic) for d in diags)
    if not schema:
        assert analyze_manifests(objs, schema=False) == diags  # deterministic


kinds = st.sampled_from(
    [
        "Gateway",
        "VirtualService",
        "DestinationRule",
        "ServiceEntry",
        "AuthorizationPolicy",
        "Sidecar",
        "Deployment",
        "Service",
        "Secret",
        "Namespace",
        "Pod",
        "NetworkPolicy",
        "Certificate",
        "List",
    ]
)
api_versions = st.sampled_from(
    [
        "networking.istio.io/v1",
        "security.istio.io/v1",
        "v1",
        "apps/v1",
        "networking.k8s.io/v1",
        "gateway.networking.k8s.io/v1",
        "cert-manager.io/v1",
        "nonsense",
        "",
    ]
)
objects = st.fixed_dictionaries(
    {"apiVersion": api_versions, "kind": kinds},
    optional={"metadata": json_values, "spec": json_values},
)


@SETTINGS
@given(st.lists(st.one_of(objects, json_values), max_size=6), st.booleans())
def test_random_objects_are_reported_never_raised(objs: list[Any], schema: bool) -> None:
    diags = analyze_manifests(objs, schema=schema)
    assert all(isinstance(d, Diagnostic) for d in diags)
