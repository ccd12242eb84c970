"""Differential test: ``meshgw check`` against ``istioctl analyze --use-kube=false``.

Generates ``--count`` configurations with ``e2e/corpus.py`` (seeded), writes them in batches to
a scratch directory (each configuration in namespaces and with gateway labels of its own, so a
batch is analysed in one run of each tool), runs both tools on each batch, and compares the
findings as (code, kind, namespace, name) on the codes both tools emit over the whole run.

    python e2e/differential.py --istioctl PATH --count N --seed S [--json OUT]

Prints precision (of meshgw's findings, the share istioctl also reports) and recall (of
istioctl's findings, the share meshgw also reports), and every disagreement; exits 1 below
precision 0.98 or recall 0.95. docs/checks.md lists the known disagreements with their reasons.
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


def istioctl_findings(istioctl: str, directory: Path) -> set[Finding]:
    """What ``istioctl analyze --use-kube=false -o json`` reports on every file of ``directory``."""
    proc = subprocess.run(
        [
            istioctl,
            "analyze",
            "--use-kube=false",
            "--all-namespaces",
            "-o",
            "json",
            str(directory),  # a directory is read recursively
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    text = proc.stdout.strip()
    if not text.startswith("["):
        raise SystemExit(f"istioctl analyze failed ({proc.returncode}):\n{proc.stderr or proc.stdout}")
    out: set[Finding] = set()
    for message in json.loads(text):
        origin = _ORIGIN.match(str(message.get("origin", "")))
        if origin is None:
            continue
        out.add((message["code"], origin["kind"], origin["ns"] or "", origin["name"]))
    return out


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


def compare(ours: set[Finding], theirs: set[Finding]) -> dict[str, Any]:
    """Precision and recall on the codes both tools emit, and the disagreements."""
    common = {f[0] for f in ours} & {f[0] for f in theirs}
    ours_c = {f for f in ours if f[0] in common}
    theirs_c = {f for f in theirs if f[0] in common}
    both = ours_c & theirs_c
    return {
        "codes": sorted(common),
        "precision": len(both) / len(ours_c) if ours_c else 1.0,
        "recall": len(both) / len(theirs_c) if theirs_c else 1.0,
        "agreed": len(both),
        "only_meshgw": sorted(ours_c - theirs_c),
        "only_istioctl": sorted(theirs_c - ours_c),
    }


def _case_of(configs: list[Config]) -> dict[str, str]:
    return {c.ident: c.case for c in configs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--istioctl", required=True, help="Path of the istioctl binary.")
    parser.add_argument("--count", type=int, default=2000, help="How many configurations.")
    parser.add_argument("--seed", type=int, default=1, help="The corpus seed.")
    parser.add_argument("--json", type=Path, help="Write the comparison as JSON here.")
    args = parser.parse_args(argv)

    if not Path(args.istioctl).is_file():
        parser.error(f"--istioctl {args.istioctl}: no such file (build istioctl first)")
    configs = generate(args.count, args.seed)
    ours: set[Finding] = set()
    theirs: set[Finding] = set()
    seconds = {"istioctl": 0.0, "meshgw": 0.0}
    with tempfile.TemporaryDirectory(prefix="meshgw-differential-") as scratch:
        for i, batch in enumerate(batches(configs, BATCH)):
            directory = Path(scratch) / f"batch-{i:03d}"
            write(batch, directory)
            start = time.perf_counter()
            theirs |= istioctl_findings(args.istioctl, directory)
            seconds["istioctl"] += time.perf_counter() - start
            start = time.perf_counter()
            ours |= meshgw_findings(directory)
            seconds["meshgw"] += time.perf_counter() - start
    result = compare(ours, theirs)
    result["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    cases = _case_of(configs)
    by_case = Counter(
        cases.get(f[2].split("-")[0], "?") for f in result["only_meshgw"] + result["only_istioctl"]
    )
    result.update(count=args.count, seed=args.seed, disagreements_by_case=dict(sorted(by_case.items())))
    print(f"configs: {args.count} (seed {args.seed}); codes compared: {', '.join(result['codes'])}")
    print(
        f"agreed: {result['agreed']}; only meshgw: {len(result['only_meshgw'])}; only istioctl: "
        f"{len(result['only_istioctl'])}"
    )
    print(
        f"precision: {result['precision']:.4f} (>= {PRECISION}); recall: {result['recall']:.4f} (>= {RECALL})"
    )
    for case, n in sorted(by_case.items()):
        print(f"  disagreements in case {case}: {n}")
    for f in result["only_meshgw"][:20]:
        print(f"  only meshgw:   {' '.join(f)}")
    for f in result["only_istioctl"][:20]:
        print(f"  only istioctl: {' '.join(f)}")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2, default=list) + "\n", encoding="utf-8")
    return 0 if result["precision"] >= PRECISION and result["recall"] >= RECALL else 1


if __name__ == "__main__":
    sys.exit(main())
