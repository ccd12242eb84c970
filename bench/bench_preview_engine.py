"""`pulumi preview` under the real engine: 1 gateway with N routes, ours against the raw floor.

- ours:  IngressGateway + N VirtualService components (bench_program.ours);
- floor: the very objects `ours` emits, registered as plain pulumi_kubernetes resources
         (bench_program.floor): what a program without this library would register.

Both run as inline programs through the real Pulumi CLI (e2e/setup builds it), against a local
file backend, with the kubernetes provider's renderYamlToDirectory, so no cluster is needed. Each
size runs ours and floor alternately; the best wall time of each is kept, and the ratio is
ours/floor. Usage (after `e2e/setup` and sourcing its env file):

    python bench/bench_preview_engine.py [--sizes 1000] [--repeat 3]

Writes bench/results/preview-engine.json. Timings are never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pulumi import automation as auto

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._results import write_results
from bench.bench_program import floor, ours, timed

RESULTS = Path(__file__).parent / "results" / "preview-engine.json"
PASSPHRASE = "bench"


def _stack(work: Path, name: str, program: Callable[[], None]) -> auto.Stack:
    env = {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "PULUMI_BACKEND_URL": f"file://{work / 'state'}"}
    (work / "state").mkdir(parents=True, exist_ok=True)
    ws = auto.LocalWorkspace(
        work_dir=str(work),
        program=program,
        env_vars=env,
        project_settings=auto.ProjectSettings(name="bench", runtime="python"),
        pulumi_command=auto.PulumiCommand(skip_version_check=True),
    )
    os.environ.update(env)
    subprocess.run(
        ["pulumi", "stack", "init", name, "--secrets-provider", "passphrase", "--non-interactive"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    stack = auto.Stack.select(name, ws)
    stack.set_config("kubernetes:renderYamlToDirectory", auto.ConfigValue(str(work / "rendered")))
    return stack


def _preview_seconds(stack: auto.Stack) -> float:
    start = time.perf_counter()
    stack.preview(color="never")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("pulumi") is None:
        print("no pulumi on PATH: run e2e/setup and source its env file", file=sys.stderr)
        return 2
    cli = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=True).stdout.strip()
    rows = []
    for n in args.sizes:
        _, rec = timed(ours(n))  # the objects ours emits, for the floor
        objects = [dict(m.body) for m in rec.manifests()]
        del rec
        with tempfile.TemporaryDirectory(prefix="meshgw-bench-") as tmp:
            stacks = {
                "ours": _stack(Path(tmp) / "ours", "ours", ours(n)),
                "floor": _stack(Path(tmp) / "floor", "floor", floor(objects)),
            }
            times: dict[str, list[float]] = {"ours": [], "floor": []}
            for _ in range(args.repeat):  # interleaved, so drift affects both alike
                for which, stack in stacks.items():
                    times[which].append(_preview_seconds(stack))
        row = {
            "routes": n,
            "objects": len(objects),
            "ours_s": round(min(times["ours"]), 2),
            "floor_s": round(min(times["floor"]), 2),
            "ratio": round(min(times["ours"]) / min(times["floor"]), 3),
            "all_s": {k: [round(t, 2) for t in v] for k, v in times.items()},
        }
        rows.append(row)
        print(
            f"N={n:>5} objects={row['objects']:>5} ours={row['ours_s']:>7.2f}s "
            f"floor={row['floor_s']:>7.2f}s ratio={row['ratio']:.2f}",
            flush=True,
        )
    write_results(
        RESULTS,
        "pulumi preview wall time, real engine, 1 gateway + N routes",
        rows,
        pulumi_cli=cli,
        pulumi=importlib.metadata.version("pulumi"),
        pulumi_kubernetes=importlib.metadata.version("pulumi-kubernetes"),
        repeat=args.repeat,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
