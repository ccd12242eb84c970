"""What every end-to-end part script shares: its command line, its output folder, and its report.

A part prints each check as it runs (``e2e: ok   <part>: <check>``), times its steps, and writes
``out/e2e/<part>-report.json`` with both; it exits 1 if any check failed, 2 if the tools are not
on PATH.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


class Part:
    """One part's checks and timings; ``out`` is its own folder under ``out/e2e``."""

    def __init__(self, name: str, out: Path) -> None:
        self.name = name
        self.out = out
        self.checks: list[tuple[str, bool, str]] = []
        self.timings: dict[str, float] = {}

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        mark = "ok  " if ok else "FAIL"
        print(f"e2e: {mark} {self.name}: {name}{': ' + detail if detail and not ok else ''}", flush=True)
        return ok

    def timed(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.monotonic()
        try:
            return fn()
        finally:
            self.timings[name] = round(time.monotonic() - start, 1)

    def finish(self) -> int:
        """Write the report and return the exit status: 1 if any check failed or none ran."""
        failed = [c for c in self.checks if not c[1]]
        report = {"timings_s": self.timings, "checks": self.checks}
        text = json.dumps(report, indent=1, sort_keys=True) + "\n"
        (self.out.parent / f"{self.name}-report.json").write_text(text)
        passed = len(self.checks) - len(failed)
        print(f"e2e {self.name}: {passed} passed, {len(failed)} failed; timings (s): {self.timings}")
        return 1 if failed or not self.checks else 0


def start(name: str, description: str, argv: list[str] | None) -> Part | None:
    """Parse ``--out``, check that ``pulumi`` is on PATH, and empty the part's folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "e2e")
    args = parser.parse_args(argv)
    if shutil.which("pulumi") is None:
        print("e2e: no pulumi on PATH; run e2e/setup and source its env file", file=sys.stderr)
        return None
    out = (args.out / name).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return Part(name, out)
