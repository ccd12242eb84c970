"""Admission differential: ``meshgw check``'s per-object errors against Istio's webhook validation.

Generates ``--count`` single objects with ``e2e/admission_corpus.py`` (seeded), writes them in
batches to one YAML stream each, and asks two questions per object:

- Istio: does ``istioctl validate -f`` reject it? That command runs, per object, what istiod's
  validating webhook runs: the strict proto parse of ``spec`` (unknown fields and wrong types are
  errors, ``pkg/config/model.go`` ``ApplyJSONStrict``), a check of the top-level fields, and the
  kind's ``ValidateConfig`` (``pkg/config/validation/...``). Errors come back as
  ``Kind/namespace/name: message``; Istio's warnings are printed apart and are not rejections.
  It does not apply the CRD's OpenAPI schema or its CEL rules: those are the API server's.
  ``--referential`` is on by default and hidden in this Istio version; nothing is passed.
- meshgw: does it report an error-level finding on the object from its per-object checks
  (:func:`pulumi_meshgw.analysis.schema.validate_manifest`, which includes the CRD's CEL rules,
  and :func:`pulumi_meshgw.analysis.admission.admission_diagnostics`)?

Prints a confusion matrix per kind and per mutated field path, every disagreement with the
object's mutations, Istio's message and ours, and exits 1 when a disagreement is not explained by
:data:`ACCEPTED` (a rule with its reason; docs/checks.md lists them).

    python e2e/admission_diff.py --istioctl PATH --count N --seed S [--json OUT] [--expected OUT]
        [--apiserver]

``--apiserver`` sends the objects accepted as the CRD's rules to a real kube-apiserver (the
machinery of ``e2e/apiserver/run``, after ``e2e/apiserver/setup``) and fails if it accepts one.
``--expected`` stores, per object, Istio's verdict (for the unit suite's sample,
``tests/corpus/admission/expected.json``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from admission_corpus import Sample, generate, write

from pulumi_meshgw.analysis.admission import admission_diagnostics
from pulumi_meshgw.analysis.diagnostics import Diagnostic, Level
from pulumi_meshgw.analysis.schema import validate_manifest

BATCH = 500
_ERROR = re.compile(r"^\s*\* (?P<kind>[A-Za-z]+)/(?P<ns>[^/]*)/(?P<name>[^:]+): (?P<message>.*)$")


@dataclass(frozen=True)
class Accepted:
    """A class of disagreement that is right on purpose, with its reason."""

    reason: str
    matches: Callable[[Sample, list[Diagnostic]], bool]


def _api_server_only(sample: Sample, ours: list[Diagnostic]) -> bool:
    """Every error of ours is a rule of the CRD (its OpenAPI schema or its CEL rules), which the
    API server enforces before the webhook is called."""
    crd = {(d.path, d.message) for d in validate_manifest(sample.obj)}
    return bool(ours) and all((d.path, d.message) in crd for d in ours)


def _omitted_mode(sample: Sample, ours: list[Diagnostic]) -> bool:
    """Our only errors are MGW0102 (and the CRD's own rules)."""
    crd = {(d.path, d.message) for d in validate_manifest(sample.obj)}
    return any(d.code == "MGW0102" for d in ours) and all(
        d.code == "MGW0102" or (d.path, d.message) in crd for d in ours
    )


OMITTED_MODE = Accepted(
    "MGW0102: a Gateway server with certificate fields and no tls.mode. Istio reads the mode as "
    "PASSTHROUGH and only warns (IST0133, validateTLSOptions); the certificate is never served and "
    "the server's HTTP routes never apply, so meshgw makes it an error (docs/checks.md)",
    _omitted_mode,
)
CRD_RULES = Accepted(
    "meshgw rejects what the CRD's OpenAPI schema (IST0106/MGW0106: pattern, length, bounds, "
    "oneOf) or its CEL rules (MGW0109) reject: the API server refuses the object before Istio's "
    "webhook runs (--apiserver sends them to a real kube-apiserver), and istioctl validate "
    "applies neither",
    _api_server_only,
)
ACCEPTED: list[Accepted] = [CRD_RULES, OMITTED_MODE]


def digest(samples: list[Sample]) -> str:
    """The SHA-256 of the samples' YAML stream: a stored verdict file belongs to exactly these."""
    stream = yaml.safe_dump_all([s.obj for s in samples], sort_keys=True)
    return hashlib.sha256(stream.encode()).hexdigest()


def meshgw_errors(obj: dict[str, Any]) -> list[Diagnostic]:
    """Error-level findings of meshgw's per-object checks on ``obj``."""
    found = validate_manifest(obj) + admission_diagnostics(obj)
    return [d for d in found if d.level is Level.ERROR]


def istio_errors(istioctl: str, path: Path) -> dict[tuple[str, str, str], str]:
    """``(kind, namespace, name) -> message`` for every object ``istioctl validate`` rejects."""
    proc = subprocess.run(
        [istioctl, "validate", "-f", str(path)], capture_output=True, text=True, check=False
    )
    out: dict[tuple[str, str, str], str] = {}
    errors = False  # warnings ('"file" has warnings:') come first, then 'Error: N errors occurred:'
    for line in proc.stderr.splitlines():
        errors = errors or line.startswith("Error:")
        m = _ERROR.match(line)
        if m and errors:
            key = (m["kind"], m["ns"], m["name"])
            out[key] = f"{out[key]}; {m['message']}" if key in out else m["message"]
    if proc.returncode != 0 and not out:
        raise SystemExit(f"istioctl validate failed ({proc.returncode}):\n{proc.stderr}")
    return out


def run(istioctl: str, samples: list[Sample]) -> list[dict[str, Any]]:
    """Each sample's verdicts: ``istio`` and ``meshgw`` reject (bool) with the messages."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="meshgw-admission-") as tmp:
        for start in range(0, len(samples), BATCH):
            batch = samples[start : start + BATCH]
            path = Path(tmp) / f"batch-{start:06d}.yaml"
            write(batch, path)
            rejected = istio_errors(istioctl, path)
            for s in batch:
                ours = meshgw_errors(s.obj)
                theirs = rejected.get((s.kind, s.obj["metadata"]["namespace"], s.name))
                rows.append(
                    {
                        "name": s.name,
                        "kind": s.kind,
                        "mutations": s.mutations,
                        "fields": s.fields,
                        "istio": theirs is not None,
                        "istio_message": theirs or "",
                        "meshgw": bool(ours),
                        "meshgw_messages": [f"{d.code} {d.path}: {d.message}" for d in ours],
                        "accepted": next(
                            (a.reason for a in ACCEPTED if theirs is None and a.matches(s, ours)), ""
                        ),
                    }
                )
    return rows


def api_server_check(samples: list[Sample], rows: list[dict[str, Any]]) -> list[str]:
    """Send each object accepted as "the CRD's rules refuse it" to a real kube-apiserver
    (``e2e/apiserver/run``: etcd and kube-apiserver on loopback, the vendored CRDs, server-side
    dry-run apply) and return the ones it accepts: each would make that accepted difference wrong."""
    loader = importlib.machinery.SourceFileLoader(
        "apiserver_run", str(Path(__file__).parent / "apiserver" / "run")
    )
    spec = importlib.util.spec_from_loader("apiserver_run", loader)
    assert spec is not None
    server = importlib.util.module_from_spec(spec)
    sys.modules["apiserver_run"] = server
    loader.exec_module(server)
    crd = {r["name"] for r in rows if r["accepted"] == CRD_RULES.reason}
    items = [server.Item(s.name, s.obj) for s in samples if s.name in crd]
    cluster = server.Cluster(Path(tempfile.mkdtemp(prefix="meshgw-apiserver-")))
    try:
        server.start(cluster)
        server.install_crds(cluster)
        server.create_namespaces(cluster, items)
        results = server.dry_run_all(cluster, items)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.work, ignore_errors=True)
    print(
        f"admission: the kube-apiserver rejects {sum(r['outcome'] == 'rejected' for r in results)} of "
        f"the {len(items)} objects accepted as the CRD's rules"
    )
    return [r["source"] for r in results if r["outcome"] != "rejected"]


def _matrix(
    rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], list[str]]
) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        cell = {
            (True, True): "both",
            (False, False): "neither",
            (True, False): "only_istio",
            (False, True): "only_meshgw",
        }
        for k in key(row):
            out[k][cell[row["istio"], row["meshgw"]]] += 1
    return dict(sorted(out.items()))


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The agreement numbers, the matrices and the disagreements of ``rows``."""
    agree = sum(r["istio"] == r["meshgw"] for r in rows)
    disagreements = [r for r in rows if r["istio"] != r["meshgw"]]
    open_ = [r for r in disagreements if not r["accepted"]]
    return {
        "objects": len(rows),
        "agree": agree,
        "agreement": round(agree / len(rows), 4) if rows else 1.0,
        "accepted": len(disagreements) - len(open_),
        "open": len(open_),
        "by_kind": _matrix(rows, lambda r: [r["kind"]]),
        "by_field": _matrix(
            rows, lambda r: [f"{r['kind']} {f}" for f in r["fields"]] or [f"{r['kind']} (valid)"]
        ),
        "disagreements": disagreements,
    }


def _print(result: dict[str, Any]) -> None:
    cols = ("both", "neither", "only_istio", "only_meshgw")
    for title, matrix in (("kind", result["by_kind"]), ("field", result["by_field"])):
        print(f"\n{'by ' + title:<64} {'both':>6} {'neither':>8} {'istio':>6} {'meshgw':>7}")
        for k, c in matrix.items():
            print(f"{k:<64} " + " ".join(f"{c[col]:>{w}}" for col, w in zip(cols, (6, 8, 6, 7), strict=True)))
    for r in result["disagreements"]:
        tag = "ACCEPTED" if r["accepted"] else "OPEN"
        side = "only Istio rejects" if r["istio"] else "only meshgw rejects"
        print(f"\n{tag} {r['kind']} {r['name']}: {side}; mutations {r['mutations']}")
        if r["istio_message"]:
            print(f"  istio: {r['istio_message']}")
        for m in r["meshgw_messages"]:
            print(f"  meshgw: {m}")
    print(
        f"\nadmission: {result['objects']} objects, {result['agree']} agree ({result['agreement']:.2%}), "
        f"{result['accepted']} accepted differences, {result['open']} open"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--istioctl", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--expected", type=Path, help="store Istio's verdict per object here")
    parser.add_argument(
        "--apiserver",
        action="store_true",
        help="check the CRD-rule differences against a real kube-apiserver",
    )
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    samples = generate(args.count, args.seed)
    rows = run(args.istioctl, samples)
    result = report(rows)
    _print(result)
    print(f"admission: {time.monotonic() - t0:.1f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.expected:
        stored = {
            "command": "python e2e/admission_diff.py --istioctl PATH "
            f"--count {args.count} --seed {args.seed} --expected {args.expected}",
            "digest": digest(samples),
            "istio_rejects": {r["name"]: r["istio"] for r in rows},
        }
        args.expected.write_text(json.dumps(stored, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    wrong = api_server_check(samples, rows) if args.apiserver else []
    for name in wrong:
        print(f"WRONG {name}: accepted as the CRD's rules, but the kube-apiserver accepts it")
    return 1 if result["open"] or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
