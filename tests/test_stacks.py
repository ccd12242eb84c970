"""Every stack config run end to end, as `meshgw render` runs it, against reviewed golden output.

Regenerate the goldens with ``MESHGW_UPDATE_GOLDEN=1 pytest tests/test_stacks.py`` and review the
diff: golden changes are user-visible output changes and get a CHANGELOG line.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_meshgw.analysis import validate_manifests
from pulumi_meshgw.offline import run_stack, write_render

from .conftest import GOLDEN, ROOT, UPDATE_GOLDEN, assert_golden

ENVS = ["dev", "staging", "prod"]


def render(stack_file: Path, out: Path) -> dict[str, str]:
    write_render(run_stack(ROOT, stack_file=stack_file), out)
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("env", ENVS)
def test_stack_matches_golden(env: str, tmp_path: Path) -> None:
    files = render(ROOT / "stacks" / f"Pulumi.{env}.yaml", tmp_path / env)
    golden = GOLDEN / "stacks" / env
    if UPDATE_GOLDEN:
        shutil.rmtree(golden, ignore_errors=True)  # objects the stack no longer makes go too
    else:
        expected = sorted(p.name for p in golden.iterdir()) if golden.exists() else []
        assert sorted(files) == expected, "file set differs; run with MESHGW_UPDATE_GOLDEN=1 and review"
    for name, text in files.items():
        assert_golden(golden / name, text)


@pytest.mark.parametrize("env", ENVS)
def test_stack_objects_are_valid_and_ordered(env: str, tmp_path: Path) -> None:
    rec = run_stack(ROOT, stack_file=ROOT / "stacks" / f"Pulumi.{env}.yaml")
    manifests = rec.manifests()
    assert validate_manifests([m.body for m in manifests]) == []
    position = {m.resource.urn: m.order for m in manifests}
    for m in manifests:
        for dep in m.resource.dependencies:
            if dep in position:
                assert position[dep] < m.order, f"{m.filename} is applied before its dependency"
    names = {r.urn: r.name for r in rec.resources}
    for m in manifests:
        if m.kind == "VirtualService" and m.body["spec"].get("gateways"):
            bound = [g for g in m.body["spec"]["gateways"] if g != "mesh"]
            deps = {names[d] for d in m.resource.dependencies}
            for ref in bound:
                ns, name = ref.split("/")
                assert f"gateway:{ns}/{name}" in deps, f"{m.filename} does not depend on Gateway {ref}"


@pytest.mark.parametrize("env", ENVS)
def test_no_key_material_in_output(env: str, tmp_path: Path) -> None:
    files = render(ROOT / "stacks" / f"Pulumi.{env}.yaml", tmp_path / env)
    text = "\n".join(files.values())
    assert "PRIVATE KEY" not in text
    for name, body in files.items():
        if name.endswith(".yaml") and "kind: Secret" in body:
            data = yaml.safe_load(body).get("stringData", {})
            assert data and all(v == "[secret]" for v in data.values()), name


def edit_and_render(tmp_path: Path, env: str, edit: Any) -> tuple[dict[str, str], dict[str, str]]:
    src = ROOT / "stacks" / f"Pulumi.{env}.yaml"
    doc = yaml.safe_load(src.read_text())
    changed = copy.deepcopy(doc)
    edit(changed["config"])
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks, ignore=shutil.ignore_patterns("__pycache__"))
    (stacks / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump(doc))
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    before = render(stacks / f"Pulumi.{env}.yaml", tmp_path / "before")
    (stacks / f"Pulumi.{env}.yaml").write_text(yaml.safe_dump(changed))
    after = render(stacks / f"Pulumi.{env}.yaml", tmp_path / "after")
    return before, after


def changed_files(before: dict[str, str], after: dict[str, str]) -> set[str]:
    out = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n) and n != "graph.json"}
    return {n.split("-", 1)[1] for n in out}  # drop the order prefix


def test_one_field_change_touches_only_its_object(tmp_path: Path) -> None:
    def edit(cfg: dict[str, Any]) -> None:
        cfg["meshgw:virtualServices"][0]["http"][1]["timeout"] = "20s"

    before, after = edit_and_render(tmp_path, "prod", edit)
    assert changed_files(before, after) == {"virtualservice-shop-shop.yaml"}
    assert json.loads(before["graph.json"]) == json.loads(after["graph.json"])


def test_autoscaling_change_touches_only_the_hpa(tmp_path: Path) -> None:
    def edit(cfg: dict[str, Any]) -> None:
        cfg["meshgw:workloads"][0]["autoscaling"]["maxReplicas"] = 20

    before, after = edit_and_render(tmp_path, "prod", edit)
    assert changed_files(before, after) == {"horizontalpodautoscaler-istio-ingress-public-ingress.yaml"}


def test_host_change_touches_gateway_certificate_and_route(tmp_path: Path) -> None:
    def edit(cfg: dict[str, Any]) -> None:
        gw = cfg["meshgw:gateways"][1]  # private
        gw["servers"][0]["hosts"] = ["tools.internal.example.com"]
        vs = next(v for v in cfg["meshgw:virtualServices"] if v["name"] == "admin")
        vs["hosts"] = ["tools.internal.example.com"]

    before, after = edit_and_render(tmp_path, "prod", edit)
    assert changed_files(before, after) == {
        "gateway-istio-ingress-private-private.yaml",
        "certificate-istio-ingress-private-private-https-cert.yaml",
        "virtualservice-admin-admin.yaml",
    }
