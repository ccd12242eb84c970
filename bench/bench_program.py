"""Program time: one ingress gateway with N bound routes, against the floor of raw registration.

Both programs run in the same process, under the same in-process mock engine (`run_program`):

- ours:  IngressGateway + N VirtualService components (validate, render, check, register);
- floor: the very objects `ours` emitted, registered as plain pulumi_kubernetes resources
         (CustomResource for Istio kinds, typed classes for core kinds), with no validation.

The ratio ours/floor is what the library costs on top of Pulumi itself. Target: <= 1.5 at
N = 1000 and N = 4000. Usage: python bench/bench_program.py [--sizes 1000 4000] [--repeat 3]
Writes bench/results/program.json. Timings are never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import platform
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi_kubernetes as k8s

from pulumi_meshgw import IngressGateway, VirtualService
from pulumi_meshgw.offline import run_program, runner

RESULTS = Path(__file__).parent / "results" / "program.json"

SERVERS = [
    {
        "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["*.example.com"],
        "tls": {"mode": "SIMPLE", "certificate": {"certManager": {"issuerRef": {"name": "letsencrypt"}}}},
    },
]


def ours(n: int) -> Callable[[], None]:
    def program() -> None:
        gw = IngressGateway("public", exposure="public", servers=SERVERS)
        for i in range(n):
            VirtualService(
                f"route-{i}",
                namespace=f"team-{i % 20}",
                hosts=[f"app-{i}.example.com"],
                gateways=[gw.gateway],
                http=[
                    {
                        "match": [{"uri": {"prefix": "/api"}}],
                        "route": [{"destination": {"host": f"app-{i}", "port": {"number": 8080}}}],
                        "timeout": "10s",
                        "retries": {"attempts": 2, "perTryTimeout": "3s"},
                    },
                    {"route": [{"destination": {"host": f"app-{i}", "port": {"number": 8080}}}]},
                ],
            )

    return program


_CORE = {
    ("v1", "Namespace"): lambda n, o: k8s.core.v1.Namespace(n, metadata=o["metadata"]),
    ("v1", "ServiceAccount"): lambda n, o: k8s.core.v1.ServiceAccount(n, metadata=o["metadata"]),
    ("v1", "Service"): lambda n, o: k8s.core.v1.Service(n, metadata=o["metadata"], spec=o["spec"]),
    ("rbac.authorization.k8s.io/v1", "Role"): lambda n, o: k8s.rbac.v1.Role(
        n, metadata=o["metadata"], rules=o["rules"]
    ),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): lambda n, o: k8s.rbac.v1.RoleBinding(
        n, metadata=o["metadata"], role_ref=o["roleRef"], subjects=o["subjects"]
    ),
    ("apps/v1", "Deployment"): lambda n, o: k8s.apps.v1.Deployment(n, metadata=o["metadata"], spec=o["spec"]),
    ("autoscaling/v2", "HorizontalPodAutoscaler"): lambda n, o: k8s.autoscaling.v2.HorizontalPodAutoscaler(
        n, metadata=o["metadata"], spec=o["spec"]
    ),
    ("policy/v1", "PodDisruptionBudget"): lambda n, o: k8s.policy.v1.PodDisruptionBudget(
        n, metadata=o["metadata"], spec=o["spec"]
    ),
}


def floor(objects: list[Mapping[str, Any]]) -> Callable[[], None]:
    def program() -> None:
        for i, obj in enumerate(objects):
            name = f"o{i}"
            make = _CORE.get((obj["apiVersion"], obj["kind"]))
            if make is not None:
                make(name, obj)
            else:
                k8s.apiextensions.CustomResource(
                    name,
                    api_version=obj["apiVersion"],
                    kind=obj["kind"],
                    metadata=obj["metadata"],
                    spec=obj.get("spec"),
                )

    return program


def timed(program: Callable[[], None]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    rec = run_program(program, project="bench", stack="bench")
    return time.perf_counter() - start, rec


@contextlib.contextmanager
def gc_mode(mode: str) -> Iterator[None]:
    """``engine``: as ``meshgw render`` runs (young-generation threshold raised for the run).
    ``default``: CPython's default collector settings, as inside a plain ``pulumi up``."""
    if mode == "engine":
        yield
        return
    saved = runner._fewer_gc_passes
    runner._fewer_gc_passes = contextlib.nullcontext  # type: ignore[assignment]
    try:
        yield
    finally:
        runner._fewer_gc_passes = saved  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--gc", choices=["engine", "default"], nargs="+", default=["engine", "default"])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        _, rec = timed(ours(n))
        objects = [dict(m.body) for m in rec.manifests()]
        del rec
        for mode in args.gc:
            ours_times, floor_times = [], []
            with gc_mode(mode):
                for _ in range(args.repeat):  # interleaved, so drift affects both alike
                    t, _ = timed(ours(n))
                    ours_times.append(t)
                    t, _ = timed(floor(objects))
                    floor_times.append(t)
            row = {
                "routes": n,
                "gc": mode,
                "objects": len(objects),
                "ours_s": round(min(ours_times), 3),
                "floor_s": round(min(floor_times), 3),
                "ratio": round(min(ours_times) / min(floor_times), 3),
            }
            rows.append(row)
            print(
                f"N={n:>5}  gc={mode:<8} objects={row['objects']:>5}  ours={row['ours_s']:>7.3f}s  "
                f"floor={row['floor_s']:>7.3f}s  ratio={row['ratio']:.2f}",
                flush=True,
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "program time, 1 gateway + N routes, in-process mock engine",
                "python": platform.python_version(),
                "pulumi": importlib.metadata.version("pulumi"),
                "pulumi_kubernetes": importlib.metadata.version("pulumi-kubernetes"),
                "machine": platform.machine(),
                "repeat": args.repeat,
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
