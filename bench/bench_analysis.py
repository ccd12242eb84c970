"""Analysis time: ``analyze_manifests`` over G gateways and H hosts, against the floor of parsing the
same YAML.

A mesh is generated as YAML text and then timed, in the same process:

- floor:   ``yaml.load_all`` with libyaml's ``CSafeLoader`` (what ``meshgw check`` uses) over the
           text, i.e. what any tool must pay to read the input at all;
- full:    ``analyze_manifests(objects)``: schema, admission rules, cross-object and egress checks;
- checks:  ``analyze_manifests(objects, schema=False)``: everything but schema validation.

The mesh: G/10 gateway workloads (Deployment + LoadBalancer Service); G Gateways spread over them,
each with an HTTPS server for H/G explicit hosts (its own certificate Secret) and an HTTP redirect
server for a wildcard of its own; one VirtualService per host, bound to its Gateway and routing to
one of H/10 backend Services, with a subset from one of H/10 DestinationRules. Every check runs and
finds nothing, which is the common case and the one that must stay fast.

Near-linear means: 10x the size costs about 10x the time, and the ratio to the floor stays flat.
Usage: python bench/bench_analysis.py [--sizes 10x1000 100x10000] [--repeat 3]
Writes bench/results/analysis.json. Timings are never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pulumi_meshgw.analysis import analyze_manifests

RESULTS = Path(__file__).parent / "results" / "analysis.json"
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def generate(gateways: int, hosts: int, workloads: int | None = None) -> list[dict[str, Any]]:
    """The objects of a mesh with ``gateways`` Gateways serving ``hosts`` hosts in total, on
    ``workloads`` gateway workloads (default: one per ten Gateways)."""
    workloads = workloads or max(1, gateways // 10)
    per_gateway = hosts // gateways
    backends = max(1, hosts // 10)
    objs: list[dict[str, Any]] = []
    for w in range(workloads):
        ns, labels = f"ingress-{w}", {"istio": f"ingress-{w}", "app": f"ingress-{w}"}
        pod = {**labels, "sidecar.istio.io/inject": "true"}
        objs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"ingress-{w}", "namespace": ns},
                "spec": {
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": pod},
                        "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
                    },
                },
            }
        )
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"ingress-{w}", "namespace": ns},
                "spec": {
                    "type": "LoadBalancer",
                    "externalTrafficPolicy": "Local",
                    "selector": labels,
                    "ports": [
                        {"name": "http", "port": 80, "targetPort": 80},
                        {"name": "https", "port": 443, "targetPort": 443},
                    ],
                },
            }
        )
    for b in range(backends):
        ns = f"team-{b % 50}"
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"app-{b}", "namespace": ns},
                "spec": {"selector": {"app": f"app-{b}"}, "ports": [{"name": "http", "port": 8080}]},
            }
        )
        objs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "DestinationRule",
                "metadata": {"name": f"app-{b}", "namespace": ns},
                "spec": {
                    "host": f"app-{b}.{ns}.svc.cluster.local",
                    "subsets": [
                        {"name": "v1", "labels": {"version": "v1"}},
                        {"name": "v2", "labels": {"version": "v2"}},
                    ],
                },
            }
        )
    for g in range(gateways):
        w = g % workloads
        ns = f"ingress-{w}"
        names = [f"app-{i}.g{g}.example.com" for i in range(per_gateway)]
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"gw-{g}-cert", "namespace": ns},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "", "tls.key": ""},
            }
        )
        objs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "Gateway",
                "metadata": {"name": f"gw-{g}", "namespace": ns},
                "spec": {
                    "selector": {"istio": f"ingress-{w}", "app": f"ingress-{w}"},
                    "servers": [
                        {
                            "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                            "hosts": names,
                            "tls": {"mode": "SIMPLE", "credentialName": f"gw-{g}-cert"},
                        },
                        {
                            "port": {"number": 80, "name": "http", "protocol": "HTTP"},
                            "hosts": [f"*.g{g}.example.com"],
                            "tls": {"httpsRedirect": True},
                        },
                    ],
                },
            }
        )
        for i, host in enumerate(names):
            b = (g * per_gateway + i) % backends
            backend = f"app-{b}.team-{b % 50}.svc.cluster.local"
            objs.append(
                {
                    "apiVersion": "networking.istio.io/v1",
                    "kind": "VirtualService",
                    "metadata": {"name": f"route-{g}-{i}", "namespace": f"team-{b % 50}"},
                    "spec": {
                        "hosts": [host],
                        "gateways": [f"{ns}/gw-{g}"],
                        "http": [
                            {
                                "match": [{"uri": {"prefix": "/api"}}],
                                "route": [
                                    {
                                        "destination": {
                                            "host": backend,
                                            "subset": "v1",
                                            "port": {"number": 8080},
                                        },
                                        "weight": 90,
                                    },
                                    {
                                        "destination": {
                                            "host": backend,
                                            "subset": "v2",
                                            "port": {"number": 8080},
                                        },
                                        "weight": 10,
                                    },
                                ],
                                "timeout": "10s",
                            },
                            {
                                "route": [
                                    {
                                        "destination": {
                                            "host": backend,
                                            "subset": "v1",
                                            "port": {"number": 8080},
                                        }
                                    }
                                ]
                            },
                        ],
                    },
                }
            )
    return objs


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _parse(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=LOADER))


def measure(gateways: int, hosts: int, workloads: int | None, repeat: int) -> dict[str, Any]:
    """Best of ``repeat`` for each of floor, analysis and analysis without schema, run in turn so
    that all three see the same machine load."""
    text = yaml.dump_all(generate(gateways, hosts, workloads), Dumper=DUMPER, sort_keys=False)
    floor = full = checks = float("inf")
    parsed: list[Any] = _parse(text)
    found: list[Any] = []
    for _ in range(repeat):
        t, parsed = _timed(_parse, text)
        floor = min(floor, t)
        t, found = _timed(analyze_manifests, parsed)
        full = min(full, t)
        t, _ = _timed(analyze_manifests, parsed, schema=False)
        checks = min(checks, t)
    return {
        "gateways": gateways,
        "hosts": hosts,
        "workloads": workloads or max(1, gateways // 10),
        "objects": len(parsed),
        "yaml_bytes": len(text),
        "findings": len(found),
        "parse_s": round(floor, 3),
        "analysis_s": round(full, 3),
        "analysis_no_schema_s": round(checks, 3),
        "ratio": round(full / floor, 2),
        "ratio_no_schema": round(checks / floor, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["10x1000", "100x10000", "100x10000x1"],
        help="GATEWAYSxHOSTS[xWORKLOADS]; the default adds the crowded case: every host on one workload",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        g, h, *w = (int(x) for x in size.split("x"))
        results.append(measure(g, h, w[0] if w else None, args.repeat))
    head = ("gateways", "hosts", "workloads", "objects", "parse", "analysis", "ratio", "no-schema", "ratio")
    print(" ".join(f"{h:>9}" for h in head))
    for r in results:
        row = [r["gateways"], r["hosts"], r["workloads"], r["objects"], f"{r['parse_s']:.2f}s"]
        row += [f"{r['analysis_s']:.2f}s", f"{r['ratio']:.2f}", f"{r['analysis_no_schema_s']:.2f}s"]
        row.append(f"{r['ratio_no_schema']:.2f}")
        print(" ".join(f"{c:>9}" for c in row))
    scaling = []
    for small, big in itertools.pairwise(results):
        if (big["gateways"], big["hosts"]) == (small["gateways"], small["hosts"]):
            continue  # the same size, spread differently: compare the rows, not a factor
        scaling.append(
            {
                "from": f"{small['gateways']}x{small['hosts']}",
                "to": f"{big['gateways']}x{big['hosts']}",
                "objects_factor": round(big["objects"] / small["objects"], 2),
                "parse_factor": round(big["parse_s"] / small["parse_s"], 2),
                "analysis_factor": round(big["analysis_s"] / small["analysis_s"], 2),
                "analysis_no_schema_factor": round(
                    big["analysis_no_schema_s"] / small["analysis_no_schema_s"], 2
                ),
            }
        )
        s = scaling[-1]
        print(
            f"scaling {s['from']} -> {s['to']}: objects x{s['objects_factor']}, parse x{s['parse_factor']}, "
            f"analysis x{s['analysis_factor']}, no-schema x{s['analysis_no_schema_factor']}"
        )
    report = {
        "benchmark": "analyze_manifests over G gateways and H hosts vs parsing the same YAML (CSafeLoader)",
        "python": platform.python_version(),
        "pyyaml_libyaml": LOADER is not yaml.SafeLoader,
        "machine": platform.machine(),
        "repeat": args.repeat,
        "results": results,
        "scaling": scaling,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
