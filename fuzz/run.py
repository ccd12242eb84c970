"""Run the crash fuzzer (fuzz/harness.py) for many cases and report escapes, hangs and
nondeterminism.

Usage: python -m fuzz.run [--cases 10000] [--minutes 0] [--every 50] [--out fuzz/results.json]
       [--entry stack|check|api ...]

The cases are split evenly over the three ways in (stack file, ``meshgw check`` YAML, Python API).
Every ``--every``-th stack file and check input is run again in two fresh processes with different
``PYTHONHASHSEED`` values, and the three outputs must be the same bytes. ``--minutes`` stops early
(the report says how many cases ran). Exit status 1 when anything escaped.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.harness import (
    ROOT,
    api_calls,
    check_files,
    run_api,
    run_check_file,
    run_diff_file,
    run_stack_file,
    stack_files,
)

# A replay imports the library before the input's deadline starts: a cold start (pydantic models,
# schemas, the Pulumi SDK) takes seconds on a loaded machine, and a replay that ran out of time on
# it printed nothing, which read as a different output. A replay that escapes says so instead.
_REPLAY = (
    "import sys; import pulumi_meshgw.cli; from fuzz import harness; "
    "o = getattr(harness, sys.argv[1])(sys.stdin.buffer.read()); "
    "print(o.output if o.escape is None else 'ESCAPE IN REPLAY: ' + o.escape, end='')"
)


def _keep(value: Any) -> str:
    """The whole input, so that a reported case can be replayed: base64 for bytes, else repr."""
    return "base64:" + base64.b64encode(value).decode() if isinstance(value, bytes) else repr(value)


class _OutOfTime(Exception):
    pass


def _replay(entry: str, data: bytes, seed: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _REPLAY, entry],
        input=data,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    return result.stdout.decode(errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--minutes", type=float, default=0.0)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "fuzz" / "results.json")
    parser.add_argument(
        "--entry",
        choices=["stack", "check", "api", "diff"],
        action="append",
        help="Only these (default: stack, check and api; diff on request).",
    )
    args = parser.parse_args()
    stop_at = time.monotonic() + args.minutes * 60 if args.minutes else float("inf")
    report: dict[str, Any] = {"cases": 0, "escapes": [], "hangs": 0, "nondeterministic": [], "replayed": 0}
    per_entry: dict[str, int] = {}
    started = time.monotonic()

    def campaign(
        name: str, strategy: st.SearchStrategy[Any], run: Callable[[Any], Any], replay: str | None
    ) -> None:
        count = 0

        @settings(
            max_examples=args.cases // 3,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def one(value: Any) -> None:
            nonlocal count
            if time.monotonic() > stop_at:
                raise _OutOfTime
            count += 1
            outcome = run(value)
            if outcome.escape is not None:
                report["hangs"] += outcome.escape.startswith("hang")
                report["escapes"].append({"entry": name, "input": _keep(value), "escape": outcome.escape})
            elif replay is not None and count % args.every == 0:
                report["replayed"] += 1
                outputs = {outcome.output, *(_replay(replay, value, seed) for seed in ("1", "4242"))}
                if len(outputs) > 1:
                    report["nondeterministic"].append(
                        {"entry": name, "input": _keep(value), "outputs": sorted(outputs)}
                    )

        try:
            one()
        except _OutOfTime:
            pass
        per_entry[name] = count
        report["cases"] += count

    entries = set(args.entry or ["stack", "check", "api"])
    if "stack" in entries:
        campaign("stack file -> meshgw render", stack_files, run_stack_file, "run_stack_file")
    if "check" in entries:
        campaign("YAML -> meshgw check", check_files, run_check_file, "run_check_file")
    if "api" in entries:
        campaign("Python API", api_calls(), run_api, None)
    if "diff" in entries:
        campaign("YAML -> meshgw diff", check_files, run_diff_file, "run_diff_file")
    report["per_entry"] = per_entry
    report["seconds"] = round(time.monotonic() - started)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: (len(v) if isinstance(v, list) else v) for k, v in report.items()}))
    return 1 if report["escapes"] or report["nondeterministic"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
