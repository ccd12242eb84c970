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
5. **The README's Pulumi YAML example** (the ``resources:`` block under "Other languages") runs
   with ``pulumi up`` and writes the Python program's manifests.
6. **TypeScript writes the same manifests.** ``gensdk`` (e2e/gensdk: Pulumi's Node.js SDK
   generator) writes the typed SDK ``@pulumi/meshgw`` from the schema of step 3; ``tsc`` compiles
   it and ``e2e/multilang/typescript/index.ts`` (strict), and ``e2e/node/inline-up.js`` runs the
   program with the Node.js Automation API as an inline program under the real CLI. Its manifests
   must equal the Python program's, and its ``gateway`` output ``istio-ingress/public``; the same
   program with a port number as a string must not compile.
8. **Go writes the same manifests.** ``gensdk -language go`` writes the Go SDK;
   ``e2e/multilang/go/main.go`` (the same program, and a Go Automation API inline-program runner,
   which needs no pulumi-language-go) is built against it and run under the real CLI, with the same
   checks as TypeScript.
7. **The README's TypeScript example** is compiled and run the same way, with the same check.

The README's examples make their certificate with ``selfSigned: {}``, which needs the pulumi-tls
provider (not buildable here, docs/e2e.md); the tier puts the secret config certificate of the
other programs in its place, the one change it makes to them.

The Python and TypeScript programs run through the Automation API's inline runtime (the Python and
Node.js language hosts cannot be built here, docs/e2e.md); the YAML programs run as a user would
run them, with ``pulumi up`` in their folder.

Usage: ``python e2e/multilang.py [--out DIR]``, with ``e2e/setup``'s environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from engine import PASSPHRASE, _cert_and_key, cli, first_difference, load_manifests
from part import REPO, Part, start
from pulumi import automation as auto

PROGRAMS = REPO / "e2e" / "multilang"
PLUGIN_DIR = REPO / "bin"
PLUGIN = PLUGIN_DIR / "pulumi-resource-meshgw"
PROVIDER_MODULE = os.environ.get("MESHGW_PROVIDER_MODULE", "pulumi_meshgw.provider")
HOSTS = ["shop.example.com"]
README = REPO / "README.md"
NODE_MODULES = os.environ.get("MESHGW_NODE_MODULES", "")
# The README's examples make a self-signed certificate (the pulumi-tls provider, not buildable
# here); the tier gives them the certificate from secret config the other programs use. The same
# text in YAML flow style and in TypeScript.
SELF_SIGNED = re.compile(r"selfSigned: \{\}")
FROM_CONFIG = 'config: { cert: "shopCert", key: "shopKey" }'
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


def readme_block(language: str, marker: str) -> str:
    """The one fenced ``language`` block of the README that contains ``marker``."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    found = [b for b in blocks if marker in b]
    if len(found) != 1:
        raise SystemExit(f"e2e: README.md has {len(found)} {language} blocks with {marker!r}, expected 1")
    return str(found[0])


def with_config_certificate(part: Part, name: str, text: str) -> str | None:
    """``text`` with its one ``selfSigned: {}`` replaced by the secret config certificate."""
    out, n = SELF_SIGNED.subn(FROM_CONFIG, text)
    ok = part.check(
        f"{name}: its one self-signed certificate is replaced by the config one",
        n == 1,
        f"{n} occurrences of 'selfSigned: {{}}'",
    )
    return out if ok else None


def run_readme_yaml(part: Part, cert: str, key: str) -> Path | None:
    example = readme_block("yaml", "meshgw:index:IngressGateway")
    text = with_config_certificate(part, "the README's Pulumi YAML example", example)
    if text is None:
        return None
    src = part.out / "readme-yaml-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    project = {"name": "meshgw-readme", "runtime": "yaml", "packages": {"meshgw": str(PLUGIN_DIR)}}
    project.update(yaml.safe_load(text))
    (src / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    work = new_project(src, part.out / "readme-yaml")
    set_certificate(work, cert, key)
    part.timed("readme yaml up", lambda: cli(["up", "--yes"], work))
    return work / "rendered"


# --- TypeScript -------------------------------------------------------------------------------

# The program's own code is checked strictly against the SDK's declarations; skipLibCheck skips
# re-checking the declaration files themselves (@pulumi/pulumi's, Node's, the SDK's, compiled
# strictly just before), which is most of tsc's time: 9.0 s -> 2.8 s, as the generated SDK's own
# tsconfig does.
TSCONFIG = {
    "compilerOptions": {
        "outDir": "bin",
        "target": "ES2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "strict": True,
        "skipLibCheck": True,
        "types": ["node"],
    },
    "files": ["index.ts"],
}


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a tool; fail the part with its output if it fails."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"e2e: {' '.join(args[:3])} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def tsc(project: Path) -> list[str]:
    return ["node", str(Path(NODE_MODULES) / "typescript" / "bin" / "tsc"), "-p", str(project)]


def node_tools(part: Part) -> bool:
    missing = [tool for tool in ("node", "gensdk") if shutil.which(tool) is None]
    if not (NODE_MODULES and (Path(NODE_MODULES) / "@pulumi" / "pulumi").is_dir()):
        missing.append("MESHGW_NODE_MODULES (a node_modules with @pulumi/pulumi and typescript)")
    return part.check(
        "node, gensdk and the npm packages are there",
        not missing,
        f"missing: {', '.join(missing)}; run e2e/setup (it needs npm) and source its env file",
    )


def typescript_sdk(part: Part) -> Path:
    """Generate ``@pulumi/meshgw`` from the schema of step 3 and compile it; returns the folder
    whose ``node_modules`` holds it beside the cache's packages (linked, never copied)."""
    root = part.out / "typescript"
    modules = root / "node_modules"
    (modules / "@pulumi").mkdir(parents=True)
    cache = Path(NODE_MODULES)
    for entry in cache.iterdir():
        if entry.name != "@pulumi":
            (modules / entry.name).symlink_to(entry)
    for entry in (cache / "@pulumi").iterdir():
        (modules / "@pulumi" / entry.name).symlink_to(entry)
    sdk = root / "sdk"
    part.timed(
        "gensdk", lambda: run(["gensdk", "-schema", str(part.out / "schema.json"), "-out", str(sdk)], root)
    )
    inputs = (sdk / "types" / "input.ts").read_text()
    doubled = sorted({m for f in sdk.rglob("*.ts") for m in re.findall(r"\w+ArgsArgs", f.read_text())})
    part.check(
        "the generated SDK names the input types <Type>Args (ServerArgs, ServerTLSArgs), never "
        "<Type>ArgsArgs",
        "export interface ServerArgs {" in inputs
        and "export interface ServerTLSArgs {" in inputs
        and not doubled,
        f"doubled: {doubled}",
    )
    part.timed("tsc sdk", lambda: run(tsc(sdk), root))
    # The generated code reads its version from the package.json beside the compiled files.
    shutil.copy(sdk / "package.json", sdk / "bin" / "package.json")
    (modules / "@pulumi" / "meshgw").symlink_to(sdk / "bin")
    shutil.copy(REPO / "e2e" / "node" / "inline-up.js", root / "inline-up.js")
    return root


def inline_env(work: Path) -> dict[str, str]:
    """The environment of an Automation API runner for the stack made in ``work``."""
    return {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        # The CLI is v3.274.0; the npm SDK is 3.276.0.
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        # The engine finds the package's plugin on PATH, as the generated SDKs ask for it.
        "PATH": f"{PLUGIN_DIR}{os.pathsep}{os.environ['PATH']}",
    }


def run_typescript(part: Part, root: Path, name: str, source: str, cert: str, key: str) -> tuple[Path, Any]:
    """Compile ``source`` (an ``index.ts``) with tsc and run it as an inline program under the real
    CLI; returns the rendered folder and the stack's outputs."""
    src = part.out / f"{name}-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    (src / "index.ts").write_text(source)
    (src / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=1) + "\n")
    (src / "Pulumi.yaml").write_text("name: meshgw-multilang\nruntime: nodejs\n")
    work = new_project(src, root / name)
    set_certificate(work, cert, key)
    part.timed(f"{name} tsc", lambda: run(tsc(work), work))
    args = ["node", str(root / "inline-up.js"), str(work), "dev", str(work / "bin" / "index.js")]
    out = part.timed(f"{name} up", lambda: run(args, work, inline_env(work)))
    return work / "rendered", json.loads(out.splitlines()[-1])["outputs"]


def wrong_type_is_refused(part: Part, root: Path, program: str) -> None:
    """The SDK's types are real: the program with a port number as a string does not compile."""
    bad = root / "wrong-type"
    bad.mkdir()
    (bad / "index.ts").write_text(program.replace("number: 443", 'number: "443"', 1))
    (bad / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=1) + "\n")
    proc = subprocess.run(tsc(bad), cwd=bad, capture_output=True, text=True, check=False)
    part.check(
        "tsc refuses the TypeScript program with a port number given as a string (TS2322)",
        proc.returncode != 0 and "error TS2322" in proc.stdout and "Input<number>" in proc.stdout,
        f"exit {proc.returncode}: {proc.stdout[-500:]}",
    )


def typescript(part: Part, python: Path, cert: str, key: str) -> None:
    """Steps 6 and 7: the TypeScript twin and the README's TypeScript example."""
    root = typescript_sdk(part)
    twin = (PROGRAMS / "typescript" / "index.ts").read_text()
    wrong_type_is_refused(part, root, twin)
    readme = with_config_certificate(
        part, "the README's TypeScript example", readme_block("typescript", '"@pulumi/meshgw"')
    )
    programs = [("typescript", "TypeScript", twin)]
    if readme is not None:
        programs.append(("readme-typescript", "the README's TypeScript", readme))
    for name, label, source in programs:
        rendered, outputs = run_typescript(part, root, name, source, cert, key)
        part.check(
            f"{label} program's output gateway is istio-ingress/public",
            outputs.get("gateway") == "istio-ingress/public",
            f"outputs {outputs}",
        )
        compare(part, label, rendered, "Python", python)


# --- Go ---------------------------------------------------------------------------------------

GO_ENV = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
# The generated SDK's import path (the codegen's default: the schema names none) and its module.
GO_SDK_MODULE = "example.com/pulumi-meshgw/sdk"


def pulumi_version() -> str:
    """The CLI's version pin (e2e/versions.env): the Go SDK version the Go program builds with."""
    found = re.search(
        r"^PULUMI_CLI_VERSION=(\S+)$", (REPO / "e2e" / "versions.env").read_text(), re.MULTILINE
    )
    assert found, "e2e/versions.env has no PULUMI_CLI_VERSION"
    return found[1]


def go_program(part: Part, python: Path, cert: str, key: str) -> None:
    """Step 8: the Go twin, built against the Go SDK generated from the schema, run as a Go
    Automation API inline program under the real CLI."""
    if not part.check(
        "go is on PATH", shutil.which("go") is not None, "the Go program needs the Go toolchain"
    ):
        return
    root = part.out / "go"
    sdk = root / "sdk"
    schema = str(part.out / "schema.json")
    part.timed(
        "gensdk go",
        lambda: run(["gensdk", "-language", "go", "-schema", schema, "-out", str(sdk / "go")], part.out),
    )
    version = pulumi_version()
    (sdk / "go.mod").write_text(
        f"module {GO_SDK_MODULE}\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi/sdk/v3 {version}\n"
    )
    (root / "go.mod").write_text(
        f"module meshgw.e2e/multilang-go\n\ngo 1.26\n\nrequire (\n\t{GO_SDK_MODULE} v0.0.0\n"
        f"\tgithub.com/pulumi/pulumi/sdk/v3 {version}\n)\n\nreplace {GO_SDK_MODULE} => ./sdk\n"
    )
    shutil.copy(PROGRAMS / "go" / "main.go", root / "main.go")
    env = {**os.environ, **GO_ENV}

    def build() -> None:
        run(["go", "mod", "tidy"], sdk, env)
        run(["go", "mod", "tidy"], root, env)
        run(["go", "build", "-o", str(root / "multilang-go"), "."], root, env)

    part.timed("go build", build)
    src = part.out / "go-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir()
    (src / "Pulumi.yaml").write_text("name: meshgw-multilang\nruntime: go\n")
    work = new_project(src, part.out / "go-stack")
    set_certificate(work, cert, key)
    out = part.timed("go up", lambda: run([str(root / "multilang-go"), str(work)], work, inline_env(work)))
    outputs = json.loads(out.splitlines()[-1])["outputs"]
    part.check(
        "Go program's output gateway is istio-ingress/public",
        outputs.get("gateway") == "istio-ingress/public",
        f"outputs {outputs}",
    )
    compare(part, "Go", work / "rendered", "Python", python)


def compare(part: Part, a_name: str, a_dir: Path, b_name: str, b_dir: Path) -> None:
    a = load_manifests(a_dir.rglob("*.yaml"))
    b = load_manifests(b_dir.rglob("*.yaml"))
    part.check(
        f"the same {len(b)} objects from {a_name} and {b_name}",
        bool(b) and set(a) == set(b),
        f"only from {a_name}: {sorted(set(a) - set(b))}; only from {b_name}: {sorted(set(b) - set(a))}",
    )
    diffs = []
    for k in sorted(set(a) & set(b)):
        found = first_difference(a[k], b[k], names=(a_name, b_name))
        if found:
            diffs.append(f"{'/'.join(k)} {found}")
    part.check(
        f"every object equal, field for field ({a_name} and {b_name})", not diffs, "; ".join(diffs[:5])
    )


def main(argv: list[str] | None = None) -> int:
    part = start("multilang", __doc__.splitlines()[0], argv)
    if part is None:
        return 2
    # The plugin runs the provider with this interpreter: the project's venv.
    os.environ["MESHGW_PYTHON"] = sys.executable
    if yaml_host(part) and provider_present(part) and schema_has_what_the_program_uses(part):
        cert, key = _cert_and_key(HOSTS)
        python = run_python(part, cert, key)
        compare(part, "Pulumi YAML", run_yaml(part, cert, key), "Python", python)
        readme_yaml = run_readme_yaml(part, cert, key)
        if readme_yaml is not None:
            compare(part, "the README's Pulumi YAML", readme_yaml, "Python", python)
        if node_tools(part):
            typescript(part, python, cert, key)
        go_program(part, python, cert, key)
    return part.finish()


if __name__ == "__main__":
    raise SystemExit(main())
