"""Istio's own tools over what the project renders and over its test corpus.

- ``istioctl validate -f`` and ``istioctl analyze --use-kube=false`` over every rendered stack and
  every good corpus file: no error-level message.
- For every bad corpus file whose expected code is an Istio code, Istio's analyzers report that
  code on the same object our analysis reports it on, unless the file is listed in
  :data:`ACCEPTED` with the reason.

``istioctl analyze --use-kube=false`` never reads Pods, Services, Secrets, Namespaces or Nodes from
files (``pkg/config/analysis/legacy/util/kuberesource/resources.go``, ``IsDefaultExcluded``), and
skips every analyzer that needs one (``pkg/config/analysis/analyzer.go``, ``RemoveSkipped``): the
gateway selector, port, secret and conflict analyzers, destination hosts, port names, image
``auto``. Against a cluster it reads them from the API server. So the bad corpus, whose faults are
mostly of that kind, is checked with ``istio-analyze -default-resources=false``
(``e2e/analyze/main.go``, built by ``e2e/setup`` from the same Istio source as istioctl): the same
analyzers, fed those kinds from the files as Istio's own analyzer tests do. Each input gets what the
cluster would hold with it (docs/e2e.md): a Pod for each Deployment, istiod's sidecar-injector
webhook, and the API server's defaults on Services (port ``protocol: TCP``, ``targetPort`` =
``port``). The rendered stacks and the good corpus also get a Service for each in-cluster
destination host they route to but do not define. Everything is written next to the report, so every
run can be inspected.

Usage: ``python e2e/istio_checks.py [--out DIR]`` with ``istioctl`` and ``istio-analyze`` on PATH
(``e2e/setup``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
STACKS = ("dev", "staging", "prod")
# Codes of ours that are not Istio's (MGW...) are out of scope for the comparison.
ISTIO_CODE = re.compile(r"IST\d{4}")

ACCEPTED: dict[str, str] = {}
"""Bad corpus files (name -> reason, citing Istio's source) where Istio's analyzers do not report
the file's Istio code on the object and we keep it anyway. Empty: every Istio code of the corpus is
confirmed. A difference that is ours on purpose carries an MGW code instead (docs/checks.md)."""

# istiod's sidecar-injector webhooks as Istio's chart installs them without a revision
# (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml): the injection
# analyzers (IST0146 image auto) read them to decide whether a pod would be injected.
_INJECTOR = "sidecar-injector.istio.io"
INJECTOR_WEBHOOK: dict[str, Any] = {
    "apiVersion": "admissionregistration.k8s.io/v1",
    "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "istio-sidecar-injector"},
    "webhooks": [
        {
            "name": f"{prefix}{_INJECTOR}",
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "namespaceSelector": {"matchExpressions": ns},
            "objectSelector": {"matchExpressions": obj},
        }
        for prefix, ns, obj in (
            (
                "namespace.",
                [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}],
                [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}],
            ),
            (
                "object.",
                [
                    {"key": "istio-injection", "operator": "DoesNotExist"},
                    {"key": "istio.io/rev", "operator": "DoesNotExist"},
                ],
                [
                    {"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]},
                    {"key": "istio.io/rev", "operator": "DoesNotExist"},
                ],
            ),
        )
    ],
}


def api_server_defaults(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``docs`` as the API server stores them, for what the analyzers read: a Service port without
    ``protocol`` is TCP and without ``targetPort`` targets ``port`` (Istio's gateway port analyzer
    only counts TCP ports, ``analyzers/gateway/gateway.go``)."""
    out = []
    for d in docs:
        if d.get("kind") == "Service" and isinstance(d.get("spec"), dict):
            d = {**d, "spec": dict(d["spec"])}
            d["spec"]["ports"] = [
                {"protocol": "TCP", "targetPort": p.get("port"), **p} if isinstance(p, dict) else p
                for p in d["spec"].get("ports") or []
            ]
        out.append(d)
    return out


def istioctl(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["istioctl", *args], capture_output=True, text=True, check=False)


def load_docs(paths: Iterable[Path]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return docs


def cluster_context(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects a cluster running ``docs`` would also hold: Pods and routed-to Services."""
    out: list[dict[str, Any]] = []
    services = {
        (d["metadata"].get("namespace", "default"), d["metadata"]["name"])
        for d in docs
        if d.get("kind") == "Service"
    }
    for d in docs:
        if d.get("kind") == "Deployment":
            tmpl = d["spec"]["template"]
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{d['metadata']['name']}-0",
                        "namespace": d["metadata"].get("namespace", "default"),
                        "labels": dict(tmpl["metadata"].get("labels") or {}),
                        "annotations": {"sidecar.istio.io/status": "{}"},
                    },
                    "spec": {
                        "containers": [{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.32"}]
                    },
                }
            )
    wanted: dict[tuple[str, str], set[int]] = {}
    for d in docs:
        if d.get("kind") != "VirtualService":
            continue
        ns = d["metadata"].get("namespace", "default")
        for block in ("http", "tcp", "tls"):
            for route in d.get("spec", {}).get(block) or []:
                for dest in route.get("route") or []:
                    host = dest.get("destination", {}).get("host", "")
                    parts = host.split(".")
                    if host.endswith(".svc.cluster.local") and len(parts) == 5:
                        key = (parts[1], parts[0])
                    elif len(parts) == 1:
                        key = (ns, host)
                    else:
                        continue
                    port = dest["destination"].get("port", {}).get("number")
                    wanted.setdefault(key, set()).update({port} if port else set())
    for (ns, name), ports in sorted(wanted.items()):
        if (ns, name) in services:
            continue
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "selector": {"app": name},
                    "ports": [{"name": f"http-{p}", "port": p} for p in sorted(ports)]
                    or [{"name": "http", "port": 80}],
                },
            }
        )
    return out


def analyze(paths: list[Path], *, runtime_kinds: bool = False) -> list[dict[str, Any]]:
    """Messages of ``istioctl analyze --use-kube=false --all-namespaces`` over ``paths``; with
    ``runtime_kinds``, of ``istio-analyze``, which also reads Pods, Services and Secrets."""
    if runtime_kinds:
        proc = subprocess.run(
            ["istio-analyze", "-default-resources=false", *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
        )
    else:
        proc = istioctl(
            [
                "analyze",
                "--use-kube=false",
                "--all-namespaces",
                "-o",
                "json",
                "--failure-threshold",
                "Error",
                *map(str, paths),
            ]
        )
    text = proc.stdout.strip()
    try:
        messages = json.loads(text) if text else []
    except json.JSONDecodeError:
        return [
            {"code": "PARSE", "level": "Error", "message": (proc.stdout + proc.stderr)[-2000:], "origin": ""}
        ]
    if proc.returncode not in (0, 79) and not messages:
        return [{"code": "EXIT", "level": "Error", "message": proc.stderr[-2000:], "origin": ""}]
    return list(messages)


def origin(msg: Mapping[str, Any]) -> tuple[str, str, str]:
    """(kind, namespace, name) from istioctl's ``origin`` ("Kind ns/name" or "Kind name.ns")."""
    text = str(msg.get("origin", ""))
    kind, _, ref = text.partition(" ")
    if "/" in ref:
        ns, _, name = ref.partition("/")
    else:
        name, _, ns = ref.partition(".")
    return kind, ns, name


# The one istioctl validate message we disagree with, and why: Istio's own gateway chart names the
# health port `status-port` (manifests/charts/gateway/values.yaml, service.ports), which
# istioctl/pkg/validate/validate.go (validateServicePortPrefix) reports as not following the port
# naming convention. We render the chart's name, and leave appProtocol off LoadBalancer Services
# (render/service.py says why), so this message alone is accepted. docs/e2e.md lists it.
STATUS_PORT_MESSAGE = re.compile(
    r'\* Service/[^:]+: service "[^"]+" port "status-port" does not follow the Istio naming convention[^\n]*'
)


def validate(paths: list[Path]) -> str:
    errors = []
    for path in paths:
        proc = istioctl(["validate", "-f", str(path)])
        if proc.returncode == 0:
            continue
        rest = [
            line
            for line in (proc.stdout + proc.stderr).splitlines()
            if line.strip().startswith("*") and not STATUS_PORT_MESSAGE.search(line)
        ]
        if rest or "Error" not in proc.stderr + proc.stdout:
            errors.append(f"{path.name}: {(proc.stdout + proc.stderr).strip()[-500:]}")
    return "\n".join(errors)


def ours(path: Path) -> list[tuple[str, str, str, str]]:
    """Our findings for a raw YAML file: (code, kind, namespace, name)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pulumi_meshgw", "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = []
    for line in proc.stdout.splitlines():
        d = json.loads(line)
        found.append((d["code"], d.get("kind") or "", d.get("namespace") or "", d.get("name") or ""))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "e2e" / "istio")
    args = parser.parse_args(argv)
    missing = [tool for tool in ("istioctl", "istio-analyze") if shutil.which(tool) is None]
    if missing:
        print(
            f"istio checks: no {', '.join(missing)} on PATH; run e2e/setup and source its env file",
            file=sys.stderr,
        )
        return 2
    out: Path = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    passed, failed, report = 0, 0, {}

    def record(name: str, ok: bool, detail: str = "") -> None:
        nonlocal passed, failed
        passed, failed = passed + ok, failed + (not ok)
        report[name] = {"ok": ok, "detail": detail}
        print(
            f"istio: {'ok  ' if ok else 'FAIL'} {name}{': ' + detail[:1500] if detail and not ok else ''}",
            flush=True,
        )

    # 1. The rendered stacks.
    for stack in STACKS:
        render = out / stack
        proc = subprocess.run(
            [sys.executable, "-m", "pulumi_meshgw", "render", "--stack", stack, "--out", str(render)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            record(f"meshgw render --stack {stack}", False, proc.stderr[-1500:])
            continue
        files = sorted(render.glob("*.yaml"))
        context = out / f"{stack}-context.yaml"
        context.write_text(yaml.safe_dump_all(cluster_context(load_docs(files)), sort_keys=True))
        record(f"istioctl validate: stack {stack} ({len(files)} files)", not (err := validate(files)), err)
        errors = [m for m in analyze([*files, context]) if m.get("level") == "Error"]
        record(f"istioctl analyze: stack {stack}, no error", not errors, json.dumps(errors)[:1500])

    # 2. The good corpus, each file with the shared installs it is checked with in the unit suite.
    shared = sorted((CORPUS / "good").glob("_*.yaml"))
    good = sorted(p for p in (CORPUS / "good").glob("*.yaml") if not p.name.startswith("_"))
    bad_validate = validate(good)
    record(f"istioctl validate: {len(good)} good corpus files", not bad_validate, bad_validate)
    good_errors = {}
    for path in good:
        context = out / f"good-{path.stem}-context.yaml"
        context.write_text(yaml.safe_dump_all(cluster_context(load_docs([path, *shared])), sort_keys=True))
        errors = [m for m in analyze([path, *shared, context]) if m.get("level") == "Error"]
        if errors:
            good_errors[path.name] = errors
    record(
        f"istioctl analyze: {len(good)} good corpus files, no error",
        not good_errors,
        json.dumps(good_errors)[:1500],
    )

    # 3. The bad corpus: where the expected code is Istio's, Istio's analyzers report it on the
    # same object. The file is checked as the API server would store it, with the Pods its
    # Deployments would run and istiod's injector, but no routed-to Services: a missing Service may
    # be the fault itself.
    agree, disagree, accepted, not_istio = [], [], [], []
    for path in sorted((CORPUS / "bad").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        m = re.match(r"# expect: (\S+)", first)
        code = m.group(1) if m else ""
        if not ISTIO_CODE.fullmatch(code):
            not_istio.append(path.name)
            continue
        objects = {(k, ns, n) for c, k, ns, n in ours(path) if c == code}
        docs = load_docs([path])
        stored = out / f"bad-{path.name}"
        stored.write_text(yaml.safe_dump_all(api_server_defaults(docs), sort_keys=False))
        context = out / f"bad-{path.stem}-context.yaml"
        pods = [d for d in cluster_context(docs) if d["kind"] == "Pod"]
        context.write_text(yaml.safe_dump_all([*pods, INJECTOR_WEBHOOK], sort_keys=True))
        found = analyze([stored, context], runtime_kinds=True)
        theirs = {origin(msg) for msg in found if msg.get("code") == code}
        detail = f"{path.name}: {code} ours {sorted(objects)} istio {sorted(theirs)}"
        if objects & theirs:
            agree.append(path.name)
        elif path.name in ACCEPTED:
            accepted.append(f"{detail}: {ACCEPTED[path.name]}")
        else:
            disagree.append(
                detail
                + "".join(
                    f"; {m.get('code')} {m.get('origin')}"
                    for m in found
                    if m.get("code") in ("PARSE", "EXIT")
                )
            )
    stale = sorted(set(ACCEPTED) - {line.split(":")[0] for line in accepted})
    (out / "bad-corpus.json").write_text(
        json.dumps(
            {"agree": agree, "disagree": disagree, "accepted": accepted, "not_istio_codes": not_istio},
            indent=1,
        )
        + "\n"
    )
    print(
        f"istio: bad corpus: {len(agree)} agree, {len(disagree)} disagree, {len(accepted)} accepted, "
        f"{len(not_istio)} with our own codes"
    )
    for line in disagree:
        print(f"istio:   disagree {line}")
    for line in accepted:
        print(f"istio:   accepted {line}")
    record("Istio reports every Istio code of the bad corpus on the same object", not disagree, "")
    record("every accepted difference still occurs", not stale, f"listed in ACCEPTED but agree now: {stale}")
    (out / "report.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"istio checks: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
