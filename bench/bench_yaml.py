"""Stack file load time: the pure-Python YAML loader the stack reader used before, against
:func:`pulumi_meshgw.spec.yaml_input.load_one` (libyaml's parser plus the plain-data checks).

A stack file of about 900 KB is generated (``meshgw:virtualServices`` with routes, plus the
gateways they bind) and read, in the same process, alternately by:

- before:  ``yaml.SafeLoader`` with Pulumi's YAML 1.2 scalar rules, the loader the offline engine
           used before it shared one reader with ``meshgw check``;
- after:   ``load_one(data, yaml12=True)``: UTF-8 and NUL checks, libyaml's parser, the tag,
           duplicate-key, depth and alias-expansion checks, then construction.

Both must give the same value; the ratio before/after is the figure reported in docs/performance.md.
Usage: python bench/bench_yaml.py [--kb 900] [--repeat 3]
Writes bench/results/yaml.json. Timings are never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path
from typing import Any

import yaml

from pulumi_meshgw.spec.yaml_input import load_one

RESULTS = Path(__file__).parent / "results" / "yaml.json"


class _Before(yaml.SafeLoader):
    """The stack-file loader as it was: pure Python, YAML 1.2 booleans and integers."""


_Before.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Before.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Before.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|0|[1-9][0-9_]*)$"),
    list("-+0123456789"),
)


def stack_file(kb: int) -> bytes:
    """A ``Pulumi.<stack>.yaml`` of about ``kb`` kilobytes, in the block style people write."""
    gateways = [
        {
            "name": f"gw-{g}",
            "workload": "public",
            "servers": [
                {
                    "port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                    "hosts": [f"*.g{g}.example.com"],
                    "tls": {"mode": "SIMPLE", "certificate": {"selfSigned": {}}},
                }
            ],
        }
        for g in range(20)
    ]
    routes: list[dict[str, Any]] = []
    config = {
        "meshgw:workloads": [{"name": "public", "namespace": "istio-ingress", "exposure": "public"}],
        "meshgw:gateways": gateways,
        "meshgw:virtualServices": routes,
    }
    i = 0
    while len(yaml.safe_dump({"config": config}, sort_keys=False)) < kb * 1000:
        for _ in range(100):
            routes.append(
                {
                    "name": f"route-{i}",
                    "namespace": f"app-{i % 50}",
                    "hosts": [f"svc-{i}.g{i % 20}.example.com"],
                    "gateways": [f"istio-ingress/gw-{i % 20}"],
                    "http": [
                        {
                            "match": [{"uri": {"prefix": f"/api/v{i % 3}"}}],
                            "route": [
                                {
                                    "destination": {
                                        "host": f"svc-{i}.app-{i % 50}.svc.cluster.local",
                                        "port": {"number": 8080},
                                    }
                                }
                            ],
                            "timeout": "5s",
                        }
                    ],
                }
            )
            i += 1
    return yaml.safe_dump({"config": config}, sort_keys=False).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kb", type=int, default=900)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = stack_file(args.kb)
    before_s: list[float] = []
    after_s: list[float] = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        before = yaml.load(data.decode(), Loader=_Before)
        before_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        after, _ = load_one(data, "bench.yaml", yaml12=True)
        after_s.append(time.perf_counter() - t)
        assert before == after, "the two loaders must read the same value"
    result = {
        "bytes": len(data),
        "before_s": round(min(before_s), 3),
        "after_s": round(min(after_s), 3),
        "ratio": round(min(before_s) / min(after_s), 1),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "python": platform.python_version(),
        "pyyaml": yaml.__version__,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
