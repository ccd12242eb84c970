"""The code-quality gates run as part of the test command: lint, format, types, layering, docs.

Each is the real tool on the whole tree, so `pytest` alone is what CI needs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*cmd: str) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"


@pytest.mark.parametrize(
    "cmd",
    [
        ("ruff", "check", "pulumi_meshgw", "tests", "stacks", "bench"),
        ("ruff", "format", "--check", "pulumi_meshgw", "tests", "stacks", "bench"),
        ("lint-imports",),
        ("mypy",),
    ],
    ids=["ruff", "ruff-format", "import-layers", "mypy-strict"],
)
def test_tool(cmd: tuple[str, ...]) -> None:
    run(str(BIN / cmd[0]), *cmd[1:])


def test_config_reference_is_current() -> None:
    run(sys.executable, "-m", "pulumi_meshgw.spec.reference", "--check")


def test_vendored_schema_index_is_current() -> None:
    run(sys.executable, "-m", "pulumi_meshgw.schemas._generate", "--check")
