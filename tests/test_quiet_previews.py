"""Quiet previews: what the program sends is what the cluster keeps, and one change is one object.

pulumi-kubernetes computes preview diffs from inputs and, after a refresh, compares the live object
pruned to the shape of the inputs (pulumi-kubernetes#2445). A preview stays empty when nothing
changed only if (a) the same config renders the same inputs, and (b) no field we send is one that
the API server or a controller rewrites. docs/pr-review.md#quiet-previews lists the fields.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pulumi_meshgw.review import diff_views, mesh_view
from pulumi_meshgw.spec.quantity import canonical_quantity

from .conftest import GOLDEN, STACKS, plan, stack_config

SERVER_METADATA = {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}
SERVICE_ALLOCATED = {"clusterIP", "clusterIPs", "healthCheckNodePort", "ipFamilies", "ipFamilyPolicy"}


def rendered(env: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(f.read_text()) for f in sorted((GOLDEN / "stacks" / env).glob("*.yaml"))]


def quantities(container: dict[str, Any]) -> list[str]:
    res = container.get("resources", {})
    return [v for part in ("requests", "limits") for v in res.get(part, {}).values()]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_no_field_a_controller_or_the_api_server_owns(env: str) -> None:
    objs = rendered(env)
    scaled = {
        (o["metadata"]["namespace"], o["spec"]["scaleTargetRef"]["name"])
        for o in objs
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    for o in objs:
        where = f"{o['kind']} {o['metadata'].get('namespace')}/{o['metadata']['name']}"
        assert "status" not in o, where
        assert not SERVER_METADATA & set(o["metadata"]), where
        if o["kind"] == "Deployment":
            if (o["metadata"]["namespace"], o["metadata"]["name"]) in scaled:
                assert "replicas" not in o["spec"], f"{where}: the HPA owns spec.replicas"
            for c in o["spec"]["template"]["spec"]["containers"]:
                assert all(canonical_quantity(q) == q for q in quantities(c)), where
        if o["kind"] == "Service":
            assert not SERVICE_ALLOCATED & set(o["spec"]), where
            assert all("nodePort" not in p for p in o["spec"]["ports"]), where


def test_one_route_change_is_one_object_and_one_line() -> None:
    """What the end-to-end tier checks with the real engine, here on the plan: a canary weight
    change touches only the VirtualService, and meshgw diff prints one line for it."""
    config = stack_config("dev")
    before = plan(config, base_dir=STACKS).manifests()
    route = config["virtualServices"][0]["http"][0]["route"]
    route[0]["weight"], route[1]["weight"] = 50, 50
    after = plan(config, base_dir=STACKS).manifests()

    def key(o: dict[str, Any]) -> tuple[str, str, str]:
        return o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]

    old = {key(o): o for o in before}
    new = {key(o): o for o in after}
    assert old.keys() == new.keys()
    assert [k for k in old if old[k] != new[k]] == [("VirtualService", "shop", "shop")]
    diff = diff_views(mesh_view(before), mesh_view(after))
    assert [c.line() for c in diff.changes] == [
        "~ shop.dev.example.com on istio-ingress/public: /api → shop:8080 v1 50% / v2 50% "
        "(was shop:8080 v1 90% / v2 10%)"
    ]
    assert diff.flags == ()
