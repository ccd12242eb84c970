"""The README's examples are code: the Python example runs under the mock engine, and the config
examples validate against the spec models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

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
