"""The meshgw component package from Pulumi YAML, through the real CLI and language host.

1. **The Pulumi YAML language host.** ``e2e/multilang/yaml-configmap`` (one ConfigMap) runs with
   ``pulumi up``: the CLI finds ``pulumi-language-yaml`` (built by ``e2e/setup``) on PATH, and the
   kubernetes provider writes the ConfigMap with ``renderYamlToDirectory``.
2. **The component provider is there.** ``bin/pulumi-resource-meshgw`` runs the provider module
   (``$MESHGW_PROVIDER_MODULE``, default ``pulumi_meshgw.provider``) with this Python. If the module
   is absent the part stops here and fails, naming what is missing.
3. **Its schema has what the program uses.** ``pulumi package get-schema bin/pulumi-resource-meshgw``
   lists ``meshgw:index:IngressGateway`` and ``meshgw:index:VirtualService`` as components, with
   every input the YAML program sets and the ``ref`` output it reads.
4. **Pulumi YAML and Python write the same manifests.** ``e2e/multilang/yaml/Pulumi.yaml`` (an
   ingress gateway with an HTTPS server, and a VirtualService bound to it) and the Python program
   ``e2e/multilang/python/__main__.py`` each run ``pulumi up`` with ``renderYamlToDirectory`` and
   the same secret certificate config; their manifests must be equal, object for object and field
   for field (Secret values included: the certificate is the same). A second preview of the YAML
   stack shows no change.

The Python program runs through the Automation API's inline runtime (the Python language host
cannot be built here, docs/e2e.md); the YAML program runs as a user would run it, with
``pulumi up`` in its folder.

Usage: ``python e2e/multilang.py [--out DIR]``, with ``e2e/setup``'s environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import shutil
import sys
from pathlib import Path

import yaml
from engine import PASSPHRASE, _cert_and_key, cli, first_difference, load_manifests
from part import REPO, Part, start
from pulumi import automation as auto

PROGRAMS = REPO / "e2e" / "multilang"
PLUGIN_DIR = REPO / "bin"
PLUGIN = PLUGIN_DIR / "pulumi-resource-meshgw"
PROVIDER_MODULE = os.environ.get("MESHGW_PROVIDER_MODULE", "pulumi_meshgw.provider")
HOSTS = ["shop.example.com"]
# What the YAML program passes to each component, and the output it reads: the schema must have them.
USED = {
    "meshgw:index:IngressGateway": ({"namespace", "exposure", "servers"}, {"ref"}),
    "meshgw:index:VirtualService": ({"namespace", "hosts", "gateways", "http"}, set()),
}


def new_project(src: Path, work: Path, stack: str = "dev") -> Path:
    """Copy a program folder to ``work``, log in to a file backend there and create ``stack``."""
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, work)
    (work / "state").mkdir()
    cli(["login", f"file://{work / 'state'}"], work)
    cli(["stack", "init", stack, "--secrets-provider", "passphrase"], work)
    cli(["config", "set", "kubernetes:renderYamlToDirectory", str(work / "rendered")], work)
    return work


def set_certificate(work: Path, cert: str, key: str) -> None:
    # From standard input, as a user pipes a PEM file: never on a command line (ps shows it).
    cli(["config", "set", "--secret", "shopCert"], work, stdin=cert)
    cli(["config", "set", "--secret", "shopKey"], work, stdin=key)


def yaml_host(part: Part) -> bool:
    """Step 1: the YAML language host runs the smallest program."""
    host = shutil.which("pulumi-language-yaml")
    if not part.check(
        "pulumi-language-yaml is on PATH",
        host is not None,
        "run e2e/setup and source its env file (it builds github.com/pulumi/pulumi-yaml)",
    ):
        return False
    work = new_project(PROGRAMS / "yaml-configmap", part.out / "yaml-configmap")
    part.timed("yaml-configmap up", lambda: cli(["up", "--yes"], work))
    written = load_manifests((work / "rendered").rglob("*.yaml"))
    expected = {
        ("ConfigMap", "default", "settings"): {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"language": "yaml"},
        }
    }
    return part.check(
        f"a Pulumi YAML program runs (language host {host}) and writes its ConfigMap",
        written == expected,
        f"wrote {written}",
    )


def provider_present(part: Part) -> bool:
    """Step 2: the component provider module exists; else say exactly what is missing."""
    try:
        found = importlib.util.find_spec(PROVIDER_MODULE) is not None
    except ModuleNotFoundError:  # a parent package is missing
        found = False
    return part.check(
        f"the meshgw component provider module {PROVIDER_MODULE} is installed",
        found,
        f"MISSING: no module {PROVIDER_MODULE!r} in {sys.executable}. {PLUGIN.relative_to(REPO)} runs "
        f"`python -m {PROVIDER_MODULE} <engine-address>` (the SDK's component provider host serving the "
        "components with typed Args); until it exists no program in another language can use the "
        "package. Set MESHGW_PROVIDER_MODULE if it lives under another name.",
    )


def schema_has_what_the_program_uses(part: Part) -> bool:
    """Step 3: ``pulumi package get-schema`` on the plugin, against what the YAML program uses."""
    text = part.timed("get-schema", lambda: cli(["package", "get-schema", str(PLUGIN)], part.out))
    schema = json.loads(text)
    (part.out / "schema.json").write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    problems = []
    for token, (inputs, outputs) in USED.items():
        res = (schema.get("resources") or {}).get(token)
        if res is None:
            problems.append(f"{token}: not in the schema")
            continue
        if not res.get("isComponent"):
            problems.append(f"{token}: not a component")
        missing_in = sorted(inputs - set(res.get("inputProperties") or {}))
        missing_out = sorted(outputs - set(res.get("properties") or {}))
        problems += [f"{token}: no input {n!r}" for n in missing_in]
        problems += [f"{token}: no output {n!r}" for n in missing_out]
    return part.check(
        f"the schema of package {schema.get('name')!r} has the components, inputs and outputs the "
        "YAML program uses",
        schema.get("name") == "meshgw" and not problems,
        "; ".join(problems) or f"package name {schema.get('name')!r}",
    )


def run_yaml(part: Part, cert: str, key: str) -> Path:
    work = new_project(PROGRAMS / "yaml", part.out / "yaml")
    project = yaml.safe_load((work / "Pulumi.yaml").read_text())
    project["packages"] = {"meshgw": str(PLUGIN_DIR)}
    (work / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    set_certificate(work, cert, key)
    part.timed("yaml up", lambda: cli(["up", "--yes"], work))
    again = part.timed("yaml second preview", lambda: _preview_changes(work))
    part.check("a second preview of the YAML stack shows no change", not again, str(again))
    return work / "rendered"


def _preview_changes(work: Path) -> dict[str, int]:
    summary = json.loads(cli(["preview", "--json"], work)).get("changeSummary") or {}
    return {k: v for k, v in summary.items() if k != "same" and v}


def run_python(part: Part, cert: str, key: str) -> Path:
    src = part.out / "python-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(PROGRAMS / "python", src)
    (src / "Pulumi.yaml").write_text("name: meshgw-multilang\nruntime: python\n")
    work = new_project(src, part.out / "python")
    set_certificate(work, cert, key)
    program = work / "__main__.py"
    ws = auto.LocalWorkspace(
        work_dir=str(work),
        program=lambda: runpy.run_path(str(program), run_name="__main__"),
        env_vars={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        pulumi_command=auto.PulumiCommand(skip_version_check=True),
    )
    stack = auto.Stack.select("dev", ws)
    part.timed("python up", lambda: stack.up(color="never"))
    return work / "rendered"


def compare(part: Part, from_yaml: Path, from_python: Path) -> None:
    a = load_manifests(from_yaml.rglob("*.yaml"))
    b = load_manifests(from_python.rglob("*.yaml"))
    part.check(
        f"the same {len(b)} objects from Pulumi YAML and Python",
        bool(b) and set(a) == set(b),
        f"only from YAML: {sorted(set(a) - set(b))}; only from Python: {sorted(set(b) - set(a))}",
    )
    diffs = []
    for k in sorted(set(a) & set(b)):
        found = first_difference(a[k], b[k], names=("YAML", "Python"))
        if found:
            diffs.append(f"{'/'.join(k)} {found}")
    part.check("every object equal, field for field", not diffs, "; ".join(diffs[:5]))


def main(argv: list[str] | None = None) -> int:
    part = start("multilang", __doc__.splitlines()[0], argv)
    if part is None:
        return 2
    # The plugin runs the provider with this interpreter: the project's venv.
    os.environ["MESHGW_PYTHON"] = sys.executable
    if yaml_host(part) and provider_present(part) and schema_has_what_the_program_uses(part):
        cert, key = _cert_and_key(HOSTS)
        compare(part, run_yaml(part, cert, key), run_python(part, cert, key))
    return part.finish()


if __name__ == "__main__":
    raise SystemExit(main())
