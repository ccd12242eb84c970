"""The code-quality gates run as part of the test command: lint, format, types, layering, docs.

Each is the real tool on the whole tree, so `pytest` alone is what CI needs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*cmd: str) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"


# Every folder of Python the project ships or runs: linted and formatted alike.
LINTED = ("pulumi_meshgw", "tests", "stacks", "bench", "policypack", "e2e", "examples", "fuzz")


@pytest.mark.parametrize(
    "cmd",
    [
        ("ruff", "check", *LINTED),
        ("ruff", "format", "--check", *LINTED),
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


def test_every_code_is_in_the_checks_index() -> None:
    # docs/checks.md is the one index of every check: each code the package reports is listed there.
    source = "\n".join(p.read_text() for p in sorted((ROOT / "pulumi_meshgw").rglob("*.py")))
    codes = set(re.findall(r"""["']((?:MGW|IST)\d{4})["']""", source))
    listed = set(re.findall(r"\b(?:MGW|IST)\d{4}\b", (ROOT / "docs" / "checks.md").read_text()))
    assert codes, "no codes found: the pattern no longer matches the source"
    assert sorted(codes - listed) == [], "codes missing from docs/checks.md"
