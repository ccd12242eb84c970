"""Differential test: ``meshgw check`` against Istio's analyzers (``istioctl analyze``).

Generates ``--count`` configurations with ``e2e/corpus.py`` (seeded), writes them in batches to
a scratch directory (each configuration in namespaces and with gateway labels of its own, so a
batch is analysed in one run of each tool), runs the tools on each batch, and compares the
findings as (code, kind, namespace, name) over the whole run, on Istio's codes that meshgw
implements (``compare``).

    python e2e/differential.py --analyzer PATH --istioctl PATH --count N --seed S [--json OUT]

The reference is ``istio-analyze`` (``e2e/analyze``): Istio's analyzers as ``istioctl analyze``
runs them against a cluster holding exactly the files' objects. ``istioctl analyze
--use-kube=false`` itself does not read Pods, Services, Secrets, Namespaces or Nodes from files,
so it skips every analyzer that needs one (IST0101 on selectors, credentials and destination
hosts, IST0145, IST0162, IST0118, ...; docs/e2e.md). It still runs on every batch, as a check that
the reference is Istio's code: everything istioctl reports, istio-analyze reports too.

Prints, per code, how many findings both report, only meshgw, only Istio; precision (of meshgw's
findings, the share Istio also reports) and recall (of Istio's findings, the share meshgw also
reports) and every disagreement. Exits 1 below precision 0.98 or recall 0.95, or when istioctl
reports a finding the reference does not. docs/checks.md lists the known disagreements with
their reasons.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Config, Finding, batches, generate, write

PRECISION, RECALL = 0.98, 0.95
BATCH = 250
_ORIGIN = re.compile(r"^(?P<kind>\S+) (?:(?P<ns>[^/\s]+)/)?(?P<name>[^\s]+)")


def _messages(command: list[str]) -> set[Finding]:
    """The findings of an ``istioctl analyze -o json``-style run, as (code, kind, ns, name)."""
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    text = proc.stdout.strip()
    if not text.startswith("["):
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{proc.stderr or proc.stdout}")
    out: set[Finding] = set()
    for message in json.loads(text):
        origin = _ORIGIN.match(str(message.get("origin", "")))
        if origin is None:
            continue
        out.add((message["code"], origin["kind"], origin["ns"] or "", origin["name"]))
    return out


def istioctl_findings(istioctl: str, directory: Path) -> set[Finding]:
    """What ``istioctl analyze --use-kube=false`` reports on every file of ``directory``."""
    # A directory is read recursively; --all-namespaces, or only `default` is reported.
    return _messages(
        [istioctl, "analyze", "--use-kube=false", "--all-namespaces", "-o", "json", str(directory)]
    )


def reference_findings(analyzer: str, directory: Path) -> set[Finding]:
    """What Istio's analyzers report on ``directory`` with its Pods, Services and Secrets read
    (``e2e/analyze/main.go``)."""
    return _messages([analyzer, str(directory)])


def meshgw_findings(directory: Path) -> set[Finding]:
    """What ``meshgw check --format json`` reports on ``directory``."""
    proc = subprocess.run(
        [sys.executable, "-m", "pulumi_meshgw", "check", "--format", "json", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    out: set[Finding] = set()
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            if d.get("kind"):
                out.add((d["code"], d["kind"], d.get("namespace") or "", d["name"]))
    return out


def implemented() -> set[str]:
    """Istio's codes that meshgw's analyzers may emit (each declares its codes)."""
    from pulumi_meshgw.analysis.analyzers import ANALYZERS

    return {c for a in ANALYZERS for c in a.codes if c.startswith("IST")}


def compare(ours: set[Finding], theirs: set[Finding], codes: set[str] | None = None) -> dict[str, Any]:
    """Precision and recall over the compared codes, the disagreements, and per code (of either
    tool) how many findings both, only meshgw and only Istio report.

    Compared are the Istio codes meshgw reports, and those Istio reports that are among ``codes``
    (what meshgw implements; default: what both reported). So an Istio code that meshgw emits and
    Istio never does counts against precision, and one meshgw implements but never reports counts
    against recall; meshgw's own MGW codes and Istio codes it does not implement are listed only.
    """
    reported = {f[0] for f in ours}
    implemented_codes = reported & {f[0] for f in theirs} if codes is None else codes
    common = {c for c in reported if c.startswith("IST")} | ({f[0] for f in theirs} & implemented_codes)
    ours_c = {f for f in ours if f[0] in common}
    theirs_c = {f for f in theirs if f[0] in common}
    both = ours_c & theirs_c
    per_code = {
        code: {
            "compared": code in common,
            "agreed": sum(1 for f in ours & theirs if f[0] == code),
            "only_meshgw": sum(1 for f in ours - theirs if f[0] == code),
            "only_istio": sum(1 for f in theirs - ours if f[0] == code),
        }
        for code in sorted({f[0] for f in ours | theirs})
    }
    return {
        "codes": sorted(common),
        "precision": len(both) / len(ours_c) if ours_c else 1.0,
        "recall": len(both) / len(theirs_c) if theirs_c else 1.0,
        "agreed": len(both),
        "per_code": per_code,
        "only_meshgw": sorted(ours_c - theirs_c),
        "only_istio": sorted(theirs_c - ours_c),
    }


def report(result: dict[str, Any]) -> list[str]:
    """The lines ``main`` prints: the per-code table, the totals, and every disagreement."""
    lines = [f"{'code':8} {'agreed':>7} {'only meshgw':>12} {'only Istio':>11}"]
    for code, n in result["per_code"].items():
        note = "" if n["compared"] else "  (not compared: not an Istio code meshgw implements)"
        lines.append(f"{code:8} {n['agreed']:7d} {n['only_meshgw']:12d} {n['only_istio']:11d}{note}")
    lines.append(
        f"agreed: {result['agreed']}; only meshgw: {len(result['only_meshgw'])}; only Istio: "
        f"{len(result['only_istio'])}"
    )
    lines.append(
        f"precision: {result['precision']:.4f} (>= {PRECISION}); recall: {result['recall']:.4f} (>= {RECALL})"
    )
    lines += [f"  only meshgw: {' '.join(f)}" for f in result["only_meshgw"]]
    lines += [f"  only Istio:  {' '.join(f)}" for f in result["only_istio"]]
    return lines


def _case_of(configs: list[Config]) -> dict[str, str]:
    return {c.ident: c.case for c in configs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--analyzer", required=True, help="Path of istio-analyze (e2e/setup builds it).")
    parser.add_argument("--istioctl", required=True, help="Path of the istioctl binary.")
    parser.add_argument("--count", type=int, default=2000, help="How many configurations.")
    parser.add_argument("--seed", type=int, default=1, help="The corpus seed.")
    parser.add_argument("--json", type=Path, help="Write the comparison as JSON here.")
    args = parser.parse_args(argv)

    for flag in ("analyzer", "istioctl"):
        if not Path(getattr(args, flag)).is_file():
            parser.error(f"--{flag} {getattr(args, flag)}: no such file (run e2e/setup first)")
    wall = time.perf_counter()
    configs = generate(args.count, args.seed)
    ours: set[Finding] = set()
    theirs: set[Finding] = set()
    file_mode: set[Finding] = set()
    seconds = {"istio-analyze": 0.0, "istioctl": 0.0, "meshgw": 0.0}
    with tempfile.TemporaryDirectory(prefix="meshgw-differential-") as scratch:
        for i, batch in enumerate(batches(configs, BATCH)):
            directory = Path(scratch) / f"batch-{i:03d}"
            write(batch, directory)
            for name, run, into in (
                ("istio-analyze", lambda d: reference_findings(args.analyzer, d), theirs),
                ("istioctl", lambda d: istioctl_findings(args.istioctl, d), file_mode),
                ("meshgw", meshgw_findings, ours),
            ):
                start = time.perf_counter()
                into |= run(directory)
                seconds[name] += time.perf_counter() - start
    result = compare(ours, theirs, implemented())
    unfaithful = sorted(file_mode - theirs)
    cases = _case_of(configs)
    by_case = Counter(
        cases.get(f[2].split("-")[0], "?") for f in result["only_meshgw"] + result["only_istio"]
    )
    result.update(
        count=args.count,
        seed=args.seed,
        seconds={
            **{k: round(v, 2) for k, v in seconds.items()},
            "wall": round(time.perf_counter() - wall, 2),
        },
        istioctl_file_mode={"findings": len(file_mode), "not_in_reference": unfaithful},
        disagreements_by_case=dict(sorted(by_case.items())),
    )
    print(f"configs: {args.count} (seed {args.seed}); codes compared: {', '.join(result['codes'])}")
    print("\n".join(report(result)))
    for case, n in sorted(by_case.items()):
        print(f"  disagreements in case {case}: {n}")
    print(
        f"istioctl --use-kube=false: {len(file_mode)} findings, {len(unfaithful)} of them not reported by "
        "istio-analyze" + "".join(f"\n  {' '.join(f)}" for f in unfaithful)
    )
    print("seconds: " + ", ".join(f"{k} {v}" for k, v in result["seconds"].items()))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=list) + "\n", encoding="utf-8")
    ok = result["precision"] >= PRECISION and result["recall"] >= RECALL and not unfaithful
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
