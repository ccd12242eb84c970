"""Property tests: for any valid mesh, planning is deterministic and every emitted object is valid.

Random meshes are built from a small vocabulary (workloads, gateways with HTTP/HTTPS/TLS servers,
routes bound to them) so that most examples are valid; invalid ones must fail with ConfigError.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.errors import ConfigError
from pulumi_meshgw.plan import plan_mesh
from pulumi_meshgw.spec import MeshSpec

LABEL = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@st.composite
def meshes(draw: st.DrawFn) -> dict[str, Any]:
    n_workloads = draw(st.integers(1, 3))
    workloads = [
        {"name": f"w{i}", "namespace": f"gw{i}", "exposure": draw(st.sampled_from(["public", "cluster"]))}
        for i in range(n_workloads)
    ]
    gateways, routes = [], []
    for g in range(draw(st.integers(1, 4))):
        hosts = sorted(set(draw(st.lists(LABEL, min_size=1, max_size=3))))
        fq = [f"{h}.g{g}.example.com" for h in hosts]
        kind = draw(st.sampled_from(["http", "https", "passthrough"]))
        if kind == "http":
            server = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": fq}
        elif kind == "https":
            server = {
                "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                "hosts": fq,
                "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
            }
        else:
            server = {
                "port": {"number": 8443, "name": "tls", "protocol": "TLS"},
                "hosts": fq,
                "tls": {"mode": "PASSTHROUGH"},
            }
        w = draw(st.integers(0, n_workloads - 1))
        gateways.append({"name": f"g{g}", "workload": f"w{w}", "servers": [server]})
        for i, host in enumerate(fq):
            route: dict[str, Any] = {
                "name": f"r{g}-{i}",
                "namespace": draw(LABEL),
                "hosts": [host],
                "gateways": [f"gw{w}/g{g}"],
            }
            dest = {"destination": {"host": f"svc{i}.apps.svc.cluster.local", "port": {"number": 8080}}}
            if kind == "passthrough":
                route["tls"] = [{"match": [{"sniHosts": [host]}], "route": [dest]}]
            else:
                route["http"] = [{"route": [dest], "timeout": f"{draw(st.integers(1, 60))}s"}]
            routes.append(route)
    # Only workloads something binds: an unbound workload is (rightly) an error.
    used = {g["workload"] for g in gateways}
    return {
        "workloads": [w for w in workloads if w["name"] in used],
        "gateways": gateways,
        "virtualServices": routes,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(meshes())
def test_planning_is_deterministic_and_valid(config: dict[str, Any]) -> None:
    try:
        first = plan_mesh(MeshSpec.from_config(config)).manifests()
    except ConfigError:
        return  # not this property's concern; invalid meshes are covered by the corpus tests
    second = plan_mesh(MeshSpec.from_config(json.loads(json.dumps(config)))).manifests()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert validate_manifests(first) == []
    names = [(m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) for m in first]
    assert len(names) == len(set(names)), "two objects share kind, namespace and name"


@settings(max_examples=40, deadline=None)
@given(meshes(), st.randoms(use_true_random=False))
def test_item_order_of_unordered_lists_does_not_change_objects(config: dict[str, Any], rnd: Any) -> None:
    """Reordering workloads, gateways and routes changes no object, only (at most) apply order."""
    try:
        base = plan_mesh(MeshSpec.from_config(config)).manifests()
    except ConfigError:
        return
    shuffled = {k: list(v) for k, v in config.items()}
    for v in shuffled.values():
        rnd.shuffle(v)
    other = plan_mesh(MeshSpec.from_config(shuffled)).manifests()

    def key(m: dict[str, Any]) -> tuple[str, str, str]:
        return (m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])

    assert sorted(map(json.dumps, base)) == sorted(map(json.dumps, other)), "same objects whatever the order"
    assert {key(m) for m in base} == {key(m) for m in other}
