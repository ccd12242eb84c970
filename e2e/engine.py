"""The real Pulumi engine against ``meshgw render``: one stack at a time, no cluster.

For each stack this:

1. copies the project (Pulumi.yaml and stacks/) into a work directory, logs in to a local file
   backend there, creates the stack with the passphrase secrets provider, and sets the secret config
   with ``pulumi config set --secret``;
2. runs ``pulumi preview`` and ``pulumi up --yes`` with the kubernetes provider's
   ``renderYamlToDirectory``, so the provider writes the manifests instead of applying them;
3. asserts that those manifests equal ``meshgw render``'s for the same stack file, object for
   object (apart from the differences listed in :data:`DOCUMENTED_DIFFERENCES`); that the engine
   created every resource after its dependencies in ``graph.json``; that no secret plaintext is in
   the exported state or in the command output; that a second preview shows no change; that a
   one-route change previews as exactly one update and is exactly one line in ``meshgw diff``
   between the stack file before and after; and that ``pulumi destroy`` deletes routes before the
   Gateways they bind.

Then one inline program (:func:`components_program`) checks what the mock runtime cannot: a
``transforms`` option given to an ``IngressGateway`` reaches every child (each rendered object of
the component carries the transform's label), with the component's namespace taken from a
``Namespace`` resource's Output (docs/inputs.md).

The program runs through the Python SDK's own language runtime server (the one the Automation API
uses for inline programs): the real CLI connects to it with ``--client``. See docs/e2e.md for why.

Usage: ``python e2e/engine.py [--stacks dev,staging,prod] [--out DIR] [--no-components]``; the tools come from
``e2e/setup``'s environment (``pulumi`` on PATH, ``PULUMI_HOME`` with the provider installed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi import automation as auto

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "meshgw-e2e-passphrase"

# What the two engines legitimately write differently. Each entry: (kind or "*", dotted path, why).
DOCUMENTED_DIFFERENCES: tuple[tuple[str, str, str], ...] = (
    (
        "Secret",
        "data",
        "meshgw render writes every Secret value as [secret]; the provider writes the real value "
        "(renderYamlToDirectory output is cluster input). Compared by key set.",
    ),
    (
        "Secret",
        "stringData",
        "as data: the provider moves stringData into base64 data; compared by key set.",
    ),
    (
        "Secret",
        "metadata.annotations[meshgw.dev/certificate-*, meshgw.dev/ca-*]",
        "a certificate from secret stack config cannot be read offline, so meshgw render writes its "
        "fingerprint and expiry as ''; the provider has the real ones. Compared by key.",
    ),
)


CERT_FACTS_PREFIX = "meshgw.dev/c"  # meshgw.dev/certificate-*, meshgw.dev/ca-*


@dataclass
class Check:
    """One assertion's outcome, for the report."""

    stack: str
    name: str
    ok: bool
    detail: str = ""


@dataclass
class StackRun:
    stack: str
    work: Path
    checks: list[Check] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(self.stack, name, ok, detail))
        mark = "ok  " if ok else "FAIL"
        print(f"e2e: {mark} {self.stack}: {name}{': ' + detail if detail and not ok else ''}", flush=True)


def cli(args: list[str], cwd: Path, *, stdin: str | None = None) -> str:
    """Run the real ``pulumi`` CLI; fail with its output if it fails."""
    proc = subprocess.run(
        ["pulumi", "--non-interactive", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"e2e: pulumi {' '.join(args[:3])} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


# --- the dev stack's certificates -------------------------------------------------------------

SELF_SIGNED = re.compile(r"^(?P<indent>\s*)selfSigned: \{\}\s*$", re.MULTILINE)


def _cert_and_key(hosts: Iterable[str]) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    names = sorted(set(hosts))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def swap_self_signed(stack_file: Path) -> list[str]:
    """Replace each ``selfSigned: {}`` by secret stack config (``config: {cert, key}``).

    The pulumi-tls provider cannot be built here (docs/e2e.md), so the stack's self-signed
    certificates become certificates from secret config, which is also the path this tier must
    prove keeps secrets encrypted. Returns the config key names, in order.
    """
    text = stack_file.read_text()
    keys: list[str] = []

    def repl(m: re.Match[str]) -> str:
        n = len(keys) // 2
        keys.extend([f"e2eCert{n}", f"e2eKey{n}"])
        return f"{m['indent']}config: {{cert: e2eCert{n}, key: e2eKey{n}}}"

    stack_file.write_text(SELF_SIGNED.sub(repl, text))
    return keys


def _hosts_of(config: Mapping[str, Any]) -> list[str]:
    hosts: list[str] = []
    for gw in config.get("meshgw:gateways") or []:
        for server in gw.get("servers") or []:
            hosts += [h.split("/")[-1] for h in server.get("hosts") or []]
    for egress in config.get("meshgw:egressGateways") or []:
        hosts += [d["host"] for d in egress.get("destinations") or []]
    return [h for h in hosts if "*" not in h] or ["example.com"]


# --- the run ----------------------------------------------------------------------------------


def prepare(stack: str, root: Path) -> StackRun:
    work = root / stack
    shutil.rmtree(work, ignore_errors=True)
    (work / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", work / "Pulumi.yaml")
    for item in (REPO / "stacks").iterdir():
        if item.name.startswith("Pulumi.") and item.name != f"Pulumi.{stack}.yaml":
            continue
        if item.is_dir():
            shutil.copytree(item, work / "stacks" / item.name)
        else:
            shutil.copy(item, work / "stacks" / item.name)
    run = StackRun(stack, work)
    stack_file = work / "stacks" / f"Pulumi.{stack}.yaml"
    keys = swap_self_signed(stack_file)
    config = yaml.safe_load(stack_file.read_text())["config"]
    (work / "state").mkdir()
    cli(["login", f"file://{work / 'state'}"], work)
    cli(["stack", "init", stack, "--secrets-provider", "passphrase"], work)
    for cert_key, key_key in zip(keys[::2], keys[1::2], strict=True):
        cert, key = _cert_and_key(_hosts_of(config))
        # From standard input, as a user pipes a PEM file: never on a command line (ps shows it).
        cli(["config", "set", "--secret", cert_key], work, stdin=cert)
        cli(["config", "set", "--secret", key_key], work, stdin=key)
        run.secrets += [key, cert]
    cli(["config", "set", "kubernetes:renderYamlToDirectory", str(work / "rendered")], work)
    return run


def workspace_stack(run: StackRun) -> auto.Stack:
    program_file = run.work / "stacks" / "__main__.py"

    def program() -> None:
        runpy.run_path(str(program_file), run_name="__main__")

    ws = auto.LocalWorkspace(
        work_dir=str(run.work),
        program=program,
        env_vars={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        pulumi_command=auto.PulumiCommand(skip_version_check=True),
    )
    return auto.Stack.select(run.stack, ws)


class Events:
    """The engine's step events, in the order the engine reported them."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # (phase, op, urn)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            md = event.resource_pre_event.metadata
            self.items.append(("start", str(md.op.value if hasattr(md.op, "value") else md.op), md.urn))
        elif event.res_outputs_event is not None:
            md = event.res_outputs_event.metadata
            self.items.append(("done", str(md.op.value if hasattr(md.op, "value") else md.op), md.urn))

    def position(self, phase: str, op: str) -> dict[str, int]:
        return {urn: i for i, (p, o, urn) in enumerate(self.items) if p == phase and o == op}


def _timed(run: StackRun, name: str, fn: Callable[[], Any]) -> Any:
    start = time.monotonic()
    try:
        return fn()
    finally:
        run.timings[name] = round(time.monotonic() - start, 1)


def _urn_key(urn: str) -> tuple[str, str]:
    """(type, name) of a URN: the type is the last segment of the type chain."""
    qualified, name = urn.split("::")[2], urn.split("::")[3]
    return qualified.split("$")[-1], name


def load_manifests(paths: Iterable[Path]) -> dict[tuple[str, str, str], dict[str, Any]]:
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted(paths):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc:
                continue
            meta = doc.get("metadata") or {}
            key = (doc["kind"], meta.get("namespace") or "", meta["name"])
            if key in out:
                raise SystemExit(f"e2e: {key} written twice ({path})")
            out[key] = doc
    return out


def _normalise(doc: dict[str, Any]) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    if doc.get("kind") == "Secret":
        keys = sorted({*(doc.pop("data", None) or {}), *(doc.pop("stringData", None) or {})})
        doc["dataKeys"] = keys
        annotations = doc.get("metadata", {}).get("annotations") or {}
        for key in annotations:
            if key.startswith(CERT_FACTS_PREFIX):
                annotations[key] = "<certificate fact>"
    return doc


def first_difference(
    a: Any, b: Any, path: str = "", names: tuple[str, str] = ("render", "provider")
) -> str | None:
    """The first path at which ``a`` and ``b`` differ, told with ``names`` for the two sides."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {names[0] if key in a else names[1]}"
            found = first_difference(a[key], b[key], f"{path}.{key}", names)
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items in {names[0]}, {len(b)} in {names[1]}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{i}]", names)
            if found:
                return found
        return None
    return None if a == b else f"{path}: {names[0]} {a!r} != {names[1]} {b!r}"


def compare_manifests(run: StackRun, offline_dir: Path) -> None:
    real = load_manifests((run.work / "rendered").rglob("*.yaml"))
    offline = load_manifests(offline_dir.glob("*.yaml"))
    only_offline = sorted(set(offline) - set(real))
    only_real = sorted(set(real) - set(offline))
    run.check(
        f"the same {len(offline)} objects from both engines",
        not only_offline and not only_real,
        f"only in meshgw render: {only_offline}; only from the provider: {only_real}",
    )
    diffs = []
    for key in sorted(set(real) & set(offline)):
        found = first_difference(_normalise(offline[key]), _normalise(real[key]))
        if found:
            diffs.append(f"{'/'.join(key)} {found}")
    run.check("every object equal, field for field", not diffs, "; ".join(diffs[:5]))


def check_order(run: StackRun, graph: Mapping[str, Any], events: Events) -> None:
    started = events.position("start", "create")
    done = events.position("done", "create")
    by_key = {_urn_key(urn): urn for urn in started}
    resources = {(r["type"], r["name"]): r for r in graph["resources"]}
    names = {r["name"]: r for r in graph["resources"]}
    bad, edges = [], 0
    for (typ, name), res in resources.items():
        urn = by_key.get((typ, name))
        if urn is None:
            continue
        for dep_name in res["dependencies"]:
            dep = names.get(dep_name)
            dep_urn = by_key.get((dep["type"], dep_name)) if dep else None
            if dep_urn is None or not dep["custom"]:
                continue
            edges += 1
            if done.get(dep_urn, 10**9) > started[urn]:
                bad.append(f"{name} started before {dep_name} was created")
    missing = sorted(k for k in resources if k not in by_key and k[0] != "pulumi:pulumi:Stack")
    run.check(
        f"creation order respects all {edges} dependency edges of graph.json",
        not bad and edges > 0 and not missing,
        "; ".join(bad[:5]) + (f" not created: {missing[:5]}" if missing else ""),
    )


def check_no_plaintext(run: StackRun, texts: Mapping[str, str]) -> None:
    needles = []
    for secret in run.secrets:
        body = [ln for ln in secret.splitlines() if ln and not ln.startswith("-----")]
        needles += body[:2]
    leaks = [
        where
        for where, text in texts.items()
        if any(n in text for n in needles) or "PRIVATE KEY-----" in text
    ]
    run.check(
        f"no secret plaintext in {', '.join(texts)} ({len(run.secrets)} secret values)",
        not leaks,
        f"found in {leaks}",
    )


def check_destroy_order(run: StackRun, manifests: Mapping[tuple[str, str, str], Any], events: Events) -> None:
    started = events.position("start", "delete")
    done = events.position("done", "delete")
    bad, pairs = [], 0
    urn_of_object = _object_urns(run)
    for (kind, ns, name), doc in manifests.items():
        if kind != "VirtualService":
            continue
        vs_urn = urn_of_object.get((kind, ns, name))
        for ref in doc.get("spec", {}).get("gateways") or []:
            if ref == "mesh":
                continue
            gw_ns, _, gw_name = ref.rpartition("/")
            gw_key = ("Gateway", gw_ns or ns, gw_name)
            gw_urn = urn_of_object.get(gw_key)
            if gw_urn is None or vs_urn is None:
                continue
            pairs += 1
            if done.get(vs_urn, 10**9) > started.get(gw_urn, -1):
                bad.append(f"Gateway {gw_ns}/{gw_name} deleted before VirtualService {ns}/{name}")
    run.check(
        f"destroy deletes all {pairs} bound routes before their Gateways",
        not bad and pairs > 0,
        "; ".join(bad[:5]),
    )


_OBJECT_URNS: dict[str, dict[tuple[str, str, str], str]] = {}


def _object_urns(run: StackRun) -> dict[tuple[str, str, str], str]:
    return _OBJECT_URNS[run.stack]


def record_object_urns(run: StackRun, exported: Mapping[str, Any]) -> None:
    """Map each Kubernetes object (kind, namespace, name) to its URN, from the exported state."""
    out: dict[tuple[str, str, str], str] = {}
    for res in exported["deployment"].get("resources") or []:
        outputs = res.get("outputs") or {}
        kind = outputs.get("kind")
        meta = outputs.get("metadata") or {}
        if res.get("custom") and kind and isinstance(meta, dict) and "name" in meta:
            out[(kind, meta.get("namespace") or "", meta["name"])] = res["urn"]
    _OBJECT_URNS[run.stack] = out


def one_route_change(run: StackRun) -> tuple[Path, str]:
    """Change one route's timeout in the stack file; return the file and the config path."""
    stack_file = run.work / "stacks" / f"Pulumi.{run.stack}.yaml"
    config = yaml.safe_load(stack_file.read_text())["config"]
    for i, vs in enumerate(config.get("meshgw:virtualServices") or []):
        if vs.get("http"):
            return stack_file, f"meshgw:virtualServices[{i}].http[0].timeout"
    raise SystemExit(f"e2e: stack {run.stack} has no http route to change")


def check_meshgw_diff(run: StackRun, base: Path, head: Path, out: Path) -> None:
    """``meshgw diff`` between the stack file before and after the one-route change: one line."""

    def diff(*fmt: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "pulumi_meshgw", "diff", *fmt, str(base), str(head)]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    start = time.monotonic()
    text, as_json = diff(), diff("--format", "json")
    run.timings["meshgw diff (twice)"] = round(time.monotonic() - start, 1)
    (out / "one-route-change.meshgw-diff").write_text(text.stdout)
    if text.returncode != 0 or as_json.returncode != 0:
        run.check(
            "meshgw diff succeeds on the one-route change",
            False,
            text.stderr[-2000:] + as_json.stderr[-2000:],
        )
        return
    changes = json.loads(as_json.stdout)
    line = changes["changes"][0]["line"] if len(changes["changes"]) == 1 else ""
    run.check(
        "the one-route change is one line in meshgw diff",
        not changes["flags"]
        and [(c["section"], c["op"]) for c in changes["changes"]] == [("routes", "~")]
        and text.stdout.splitlines() == ["Routes:", line, "1 change"]
        and "timeout 7s" in line,
        text.stdout,
    )


def check_shared_name(run: StackRun, ws_stack: auto.Stack) -> None:
    """A second Gateway with the first one's name, in another namespace: legal (names are unique
    per namespace). On a stack deployed with unique names, the preview may create the new objects
    and update the workload's Service, but must not replace or delete any Kubernetes object: the
    renamed Gateway components (``namespace/name`` keys) keep their children's URNs, and the first
    keeps its state through an alias. (A second *workload* of one name would get the same selector
    labels, which Istio matches across namespaces: the analysis rightly reports the overlap.)"""
    stack_file = run.work / "stacks" / f"Pulumi.{run.stack}.yaml"
    before = stack_file.read_text()
    doc = yaml.safe_load(before)
    config = doc["config"]
    gateway = config["meshgw:gateways"][0]
    config["meshgw:gateways"].append(
        {
            "name": gateway["name"],
            "namespace": f"{gateway['name']}-e2e",
            "workload": gateway["workload"],
            "servers": [
                {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["e2e.example.com"]}
            ],
        }
    )
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        events = Events()
        preview = _timed(run, "shared-name preview", lambda: ws_stack.preview(color="never", on_event=events))
    finally:
        stack_file.write_text(before)
    touched = sorted(
        f"{op} {urn}"
        for _, op, urn in events.items
        if "$kubernetes:" in urn and any(word in op for word in ("delete", "replace"))
    )
    run.check(
        "a second Gateway of one name in another namespace replaces and deletes nothing",
        not touched and bool(preview.change_summary.get("create")),
        "; ".join(touched[:5]) + f" {preview.change_summary}",
    )


def run_stack(stack: str, root: Path, out: Path) -> StackRun:
    run = prepare(stack, root)
    ws_stack = workspace_stack(run)
    outputs: dict[str, str] = {}

    preview = _timed(run, "preview", lambda: ws_stack.preview(color="never"))
    outputs["first preview"] = preview.stdout
    run.check("pulumi preview succeeds", True)

    up_events = Events()
    up = _timed(run, "up", lambda: ws_stack.up(color="never", on_event=up_events, show_secrets=False))
    outputs["pulumi up"] = up.stdout
    created = up.summary.resource_changes or {}
    run.check(
        f"pulumi up --yes created {created.get('create', 0)} resources", up.summary.result == "succeeded"
    )

    offline = out / stack / "meshgw-render"
    shutil.rmtree(offline, ignore_errors=True)
    start = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulumi_meshgw",
            "render",
            str(run.work / "stacks" / f"Pulumi.{stack}.yaml"),
            "--out",
            str(offline),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    run.timings["meshgw render"] = round(time.monotonic() - start, 1)
    run.check("meshgw render succeeds on the same stack file", proc.returncode == 0, proc.stderr[-2000:])
    compare_manifests(run, offline)
    graph = json.loads((offline / "graph.json").read_text())
    check_order(run, graph, up_events)

    exported = json.loads(cli(["stack", "export"], run.work))
    record_object_urns(run, exported)
    outputs["exported state"] = json.dumps(exported)

    again = _timed(run, "second preview", lambda: ws_stack.preview(color="never"))
    changes = {k: v for k, v in again.change_summary.items() if k != "same"}
    run.check("a second preview with no change reports no changes", not changes, str(changes))
    outputs["second preview"] = again.stdout
    check_shared_name(run, ws_stack)

    stack_file, path = one_route_change(run)
    base = out / stack / "one-route-base"
    shutil.rmtree(base, ignore_errors=True)
    shutil.copytree(run.work / "stacks", base / "stacks")  # the project before the change
    shutil.copy(run.work / "Pulumi.yaml", base / "Pulumi.yaml")
    cli(["config", "set", "--path", path, "7s"], run.work)
    check_meshgw_diff(run, base / "stacks" / stack_file.name, stack_file, out / stack)
    diff = _timed(run, "one-route preview", lambda: ws_stack.preview(color="never", diff=True))
    changes = {k: v for k, v in diff.change_summary.items() if k != "same"}
    run.check(f"a one-route change ({path}) previews as one update", changes == {"update": 1}, str(changes))
    (out / stack).mkdir(parents=True, exist_ok=True)
    (out / stack / "one-route-change.diff").write_text(diff.stdout)
    outputs["one-route preview"] = diff.stdout
    cli(["config", "rm", "--path", path], run.work)

    check_no_plaintext(run, outputs)

    real = load_manifests((run.work / "rendered").rglob("*.yaml"))
    down_events = Events()
    _timed(run, "destroy", lambda: ws_stack.destroy(color="never", on_event=down_events, show_secrets=False))
    check_destroy_order(run, real, down_events)
    return run


TRANSFORM_LABEL = ("meshgw.dev/transformed", "yes")


def _label_transform(args: Any) -> Any:
    """A transform as a user registers one: a label on every Kubernetes object it sees."""
    import pulumi

    if not args.type_.startswith("kubernetes:"):
        return None
    props = dict(args.props)
    meta = dict(props.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), TRANSFORM_LABEL[0]: TRANSFORM_LABEL[1]}
    props["metadata"] = meta
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


def components_program() -> None:
    """An IngressGateway whose namespace is another resource's Output, with a transform given to
    the component, and a route bound to it: what a Pulumi user writes."""
    import pulumi
    import pulumi_kubernetes as k8s

    from pulumi_meshgw import IngressGateway, VirtualService

    ns = k8s.core.v1.Namespace("edge", metadata={"name": "edge"})
    gw = IngressGateway(
        "public",
        exposure="cluster",
        namespace=ns.metadata.name,
        servers=[{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["shop.example.com"]}],
        workload={"createNamespace": False},
        opts=pulumi.ResourceOptions(transforms=[_label_transform]),
    )
    route = [{"route": [{"destination": {"host": "shop.shop.svc.cluster.local", "port": {"number": 8080}}}]}]
    VirtualService("shop", namespace="shop", hosts=["shop.example.com"], gateways=[gw.gateway], http=route)
    pulumi.export("ref", gw.ref)


def run_components(root: Path) -> StackRun:
    """``transforms`` on a component reach every child, and an Output namespace renders, under
    ``pulumi up`` (the mock runtime does not call transforms)."""
    run = StackRun("components", root / "components")
    shutil.rmtree(run.work, ignore_errors=True)
    (run.work / "state").mkdir(parents=True)
    (run.work / "Pulumi.yaml").write_text("name: meshgw-components\nruntime: python\n")
    cli(["login", f"file://{run.work / 'state'}"], run.work)
    cli(["stack", "init", run.stack, "--secrets-provider", "passphrase"], run.work)
    cli(["config", "set", "kubernetes:renderYamlToDirectory", str(run.work / "rendered")], run.work)
    ws = auto.LocalWorkspace(
        work_dir=str(run.work),
        program=components_program,
        env_vars={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE},
        pulumi_command=auto.PulumiCommand(skip_version_check=True),
    )
    stack = auto.Stack.select(run.stack, ws)
    up = _timed(run, "up", lambda: stack.up(color="never"))
    run.check(
        "pulumi up of a program with an Output namespace and a transform", up.summary.result == "succeeded"
    )
    rendered = load_manifests((run.work / "rendered").rglob("*.yaml"))
    children = {k: v for k, v in rendered.items() if k[1] == "edge"}
    unlabeled = sorted(
        f"{k[0]} {k[1]}/{k[2]}"
        for k, doc in children.items()
        if (doc.get("metadata", {}).get("labels") or {}).get(TRANSFORM_LABEL[0]) != TRANSFORM_LABEL[1]
    )
    kinds = sorted({k[0] for k in children})
    run.check(
        f"the component's transform labelled each of its {len(children)} children ({', '.join(kinds)})",
        bool(children) and "Gateway" in kinds and "Deployment" in kinds and not unlabeled,
        f"not labelled: {unlabeled}",
    )
    others = [k for k, doc in rendered.items() if k[1] != "edge" and TRANSFORM_LABEL[0] in str(doc)]
    run.check("objects outside the component are not transformed", not others, str(others))
    run.check("the ref output holds the namespace's value", up.outputs["ref"].value == "edge/public")
    _timed(run, "destroy", lambda: stack.destroy(color="never"))
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", default="dev,staging,prod")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "e2e")
    parser.add_argument("--no-components", action="store_true", help="skip the components program")
    args = parser.parse_args(argv)
    if shutil.which("pulumi") is None:
        print("e2e: no pulumi on PATH; run e2e/setup and source its env file", file=sys.stderr)
        return 2
    out = args.out.resolve()
    root = out / "work"
    runs = [run_stack(s, root, out) for s in args.stacks.split(",") if s]
    if not args.no_components:
        runs.append(run_components(root))
    failed = [c for r in runs for c in r.checks if not c.ok]
    report = {
        r.stack: {"timings_s": r.timings, "checks": [[c.name, c.ok, c.detail] for c in r.checks]}
        for r in runs
    }
    (out / "engine-report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    total = sum(len(r.checks) for r in runs)
    print(f"e2e engine: {total - len(failed)} passed, {len(failed)} failed")
    for r in runs:
        print(f"e2e engine: {r.stack} timings (s): {r.timings}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
