"""The README's examples are code: the Python example runs under the mock engine, and the config
examples validate against the spec models."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pulumi_meshgw.cli import app
from pulumi_meshgw.components import ComponentConfigError
from pulumi_meshgw.spec import MeshSpec
from pulumi_meshgw.testing import run

from .conftest import ROOT, make_pem

README = (ROOT / "README.md").read_text()


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_python_example_runs(tmp_path: Path) -> None:
    (code,) = blocks("python")[:1]
    cert, key = make_pem(["shop.example.com"])
    (tmp_path / "tls.crt").write_text(cert)
    (tmp_path / "tls.key").write_text(key)
    code = code.replace("/tmp/tls.crt", str(tmp_path / "tls.crt")).replace(
        "/tmp/tls.key", str(tmp_path / "tls.key")
    )
    rec = run(lambda: exec(compile(code, "README.md", "exec"), {}))
    kinds = [m.kind for m in rec.manifests()]
    assert (
        kinds.index("Secret")
        < kinds.index("Deployment")
        < kinds.index("Gateway")
        < kinds.index("VirtualService")
    )
    assert rec.outputs["gateway"] == "istio-ingress/public"


def test_egress_example_is_valid_config() -> None:
    (example,) = [b for b in blocks("yaml") if b.startswith("meshgw:egressGateways:")]
    data: dict[str, Any] = yaml.safe_load(example)
    spec = MeshSpec.from_config({"egressGateways": data["meshgw:egressGateways"]})
    modes = {d.mode.value for g in spec.egress_gateways for d in g.destinations}
    assert {"http", "tls-passthrough", "tls-origination"} <= modes


def test_readme_commands_are_the_ci_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[dev]' && pytest"
    assert test_cmd in README and test_cmd in ci
    # Rendering needs no extras; only the test command pulls in the dev tools.
    assert "pip install -e . && meshgw render --stack dev --out out/dev" in README


def test_function_examples_are_valid_config() -> None:
    from pulumi_meshgw.spec._base import parse
    from pulumi_meshgw.spec.envoy_filters import HttpCache, LocalRateLimit
    from pulumi_meshgw.spec.security import Authentication

    (auth,) = [b for b in blocks("yaml") if b.lstrip().startswith("authentication:")]
    parse(Authentication, yaml.safe_load(auth)["authentication"])
    (functions,) = [b for b in blocks("yaml") if b.startswith("cache:")]
    data = yaml.safe_load(functions)
    parse(HttpCache, data["cache"])
    parse(LocalRateLimit, data["rateLimit"])


def test_pulumi_yaml_example_is_served_by_the_package() -> None:
    """The README's Pulumi YAML program, as the engine hands it to the package: each resource is a
    Construct with its properties; ``${public.ref}`` is the first component's output."""
    from pulumi.provider.experimental.component import ComponentProvider

    from pulumi_meshgw import __version__
    from pulumi_meshgw.provider import COMPONENTS, PACKAGE, TOKENS

    (program,) = [yaml.safe_load(b) for b in blocks("yaml") if b.startswith("resources:")]
    resources = program["resources"]
    assert {r["type"] for r in resources.values()} <= set(TOKENS.values())
    provider = ComponentProvider(list(COMPONENTS), PACKAGE, version=__version__)

    def served() -> None:
        refs: dict[str, str] = {}
        for name, res in resources.items():
            props = yaml.safe_load(
                yaml.safe_dump(res["properties"]).replace("${public.ref}", refs.get("public", ""))
            )
            provider.construct(name, res["type"], props)
            refs["public"] = "istio-ingress/public"

    rec = run(served)
    kinds = [m.kind for m in rec.manifests()]
    assert kinds.index("Gateway") < kinds.index("VirtualService")
    (vs,) = [m for m in rec.manifests() if m.kind == "VirtualService"]
    assert vs.body["spec"]["gateways"] == ["istio-ingress/public"]


def quoted_problems(block: str) -> list[str]:
    """The ``- WHERE: MESSAGE [CODE]`` problems of an error block, with wrapped lines joined."""
    text = " ".join(line.strip() for line in block.splitlines() if not line.startswith(("$", "error:")))
    return [p.strip() for p in text.split("- ") if p.strip() and not p.strip().isdigit()]


def test_the_typo_error_is_what_the_python_example_raises(tmp_path: Path) -> None:
    (code,) = blocks("python")[:1]
    (block,) = [b for b in blocks("text") if "shop.exmple.com" in b]
    cert, key = make_pem(["shop.example.com"])
    (tmp_path / "tls.crt").write_text(cert)
    (tmp_path / "tls.key").write_text(key)
    code = code.replace("/tmp/tls.crt", str(tmp_path / "tls.crt")).replace(
        "/tmp/tls.key", str(tmp_path / "tls.key")
    )
    typo = code.replace('hosts=["shop.example.com"]', 'hosts=["shop.exmple.com"]')
    with pytest.raises(ComponentConfigError) as raised:
        run(lambda: exec(compile(typo, "README.md", "exec"), {}))
    assert quoted_problems(block) == [
        p.strip().removeprefix("- ") for p in str(raised.value).splitlines()[1:]
    ]


def test_the_render_error_is_what_meshgw_render_prints(tmp_path: Path) -> None:
    (block,) = [b for b in blocks("text") if b.startswith("$ meshgw render --stack dev")]
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    config = tmp_path / "stacks" / "Pulumi.dev.yaml"
    text = config.read_text()
    head, routes, tail = text.partition("  meshgw:virtualServices:")  # the first route's hosts
    route_hosts = 'hosts: ["shop.dev.example.com"]'
    assert routes and route_hosts in tail
    tail = tail.replace(route_hosts, 'hosts: ["shop.dev.example.com", "blog.example.com"]', 1)
    config.write_text(head + routes + tail)
    result = CliRunner().invoke(
        app, ["render", "--stack", "dev", "--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    printed = [
        line.strip().removeprefix("- ") for line in result.output.splitlines() if line.startswith("  - ")
    ]
    assert quoted_problems(block.split("$ echo")[0]) == printed


def test_the_check_example_is_what_meshgw_check_prints(tmp_path: Path) -> None:
    (block,) = [b for b in blocks("text") if b.startswith("$ meshgw check out/dev/")]
    quoted = [line for line in block.splitlines()[1:] if line != "..."]
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    out = tmp_path / "out" / "dev"
    runner = CliRunner()
    rendered = runner.invoke(
        app, ["render", "--stack", "dev", "--out", str(out), "--project-dir", str(tmp_path)]
    )
    assert rendered.exit_code == 0, rendered.output
    route = out / "036-virtualservice-shop-shop.yaml"
    obj = yaml.safe_load(route.read_text())
    obj["spec"]["hosts"].append("blog.example.com")
    route.write_text(yaml.safe_dump(obj, sort_keys=False))
    checked = runner.invoke(app, ["check", str(out)])
    assert checked.exit_code == 1
    printed = [line.replace(str(tmp_path / "out"), "out") for line in checked.stdout.splitlines()]
    assert [line for line in printed if line in quoted] == quoted
