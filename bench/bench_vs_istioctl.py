"""`meshgw check` against `istioctl analyze --use-kube=false` on the same files.

The inputs are bench_analysis's generated meshes (G gateways, H hosts), written once as one YAML
file each. Both tools run as the commands a user runs, in separate processes, alternately, so
both see the same machine load; the best wall time of each is kept and the ratio is
meshgw/istioctl (below 1: we are faster). istioctl is built by e2e/setup.

Usage: python bench/bench_vs_istioctl.py [--sizes 10x1000 100x10000] [--repeat 3] [--istioctl PATH]
Writes bench/results/vs-istioctl.json. Timings are never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._results import write_results
from bench.bench_analysis import DUMPER, generate

RESULTS = Path(__file__).parent / "results" / "vs-istioctl.json"


def _wall(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, proc


def measure(istioctl: str, gateways: int, hosts: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="meshgw-bench-") as tmp:
        path = Path(tmp) / f"mesh-{gateways}x{hosts}.yaml"
        objects = generate(gateways, hosts)
        path.write_text(yaml.dump_all(objects, Dumper=DUMPER, sort_keys=False))
        ours_cmd = [sys.executable, "-m", "pulumi_meshgw", "check", str(path)]
        theirs_cmd = [istioctl, "analyze", "--use-kube=false", str(path)]
        ours, theirs = float("inf"), float("inf")
        for _ in range(repeat):
            t, ours_proc = _wall(ours_cmd)
            ours = min(ours, t)
            t, theirs_proc = _wall(theirs_cmd)
            theirs = min(theirs, t)
        return {
            "gateways": gateways,
            "hosts": hosts,
            "objects": len(objects),
            "yaml_bytes": path.stat().st_size,
            "meshgw_check_s": round(ours, 2),
            "istioctl_analyze_s": round(theirs, 2),
            "ratio": round(ours / theirs, 2),
            "meshgw_exit": ours_proc.returncode,
            "istioctl_exit": theirs_proc.returncode,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["10x1000", "100x10000"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--istioctl", default=shutil.which("istioctl"))
    args = parser.parse_args(argv)
    if not args.istioctl:
        print("no istioctl: run e2e/setup and source its env file, or pass --istioctl", file=sys.stderr)
        return 2
    version = subprocess.run(
        [args.istioctl, "version", "--remote=false"], capture_output=True, text=True
    ).stdout
    rows = []
    for size in args.sizes:
        g, h = (int(x) for x in size.split("x"))
        row = measure(args.istioctl, g, h, args.repeat)
        rows.append(row)
        print(
            f"{g}x{h}: objects={row['objects']} meshgw check={row['meshgw_check_s']}s "
            f"istioctl analyze={row['istioctl_analyze_s']}s ratio={row['ratio']}",
            flush=True,
        )
    write_results(
        RESULTS,
        "meshgw check vs istioctl analyze --use-kube=false, same file, wall time",
        rows,
        istioctl=version.strip(),
        repeat=args.repeat,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
