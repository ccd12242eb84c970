"""``pip install .`` (no extras) is enough for ``meshgw render`` and ``meshgw check``: the render path
imports no package that only the ``dev`` extra installs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

from .conftest import ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "offline_project"

# Runs in a fresh interpreter: every import of a dev-only module fails, as on a plain install, and
# is recorded; then `meshgw render` and `meshgw check` run.
_PROGRAM = """
import importlib.abc, json, sys
BLOCKED = set(json.loads(sys.argv[1]))
tried = []
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            tried.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, Block())
from pulumi_meshgw.cli import app
codes = []
for args in (["render", "-s", "dev", "-o", sys.argv[3], "-C", sys.argv[2]], ["check", sys.argv[3]]):
    try:
        app(args, prog_name="meshgw", standalone_mode=False)
        codes.append(0)
    except SystemExit as exit:
        codes.append(exit.code)
print(json.dumps({"codes": codes, "tried": sorted(set(tried))}))
"""


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def dev_only_modules() -> set[str]:
    """Top-level modules of the distributions the ``dev`` extra adds to the plain install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev = _requirement_names(project["optional-dependencies"]["dev"])
    dev -= _requirement_names(project["dependencies"])
    modules = set()
    for module, dists in packages_distributions().items():
        if any(d.lower().replace("_", "-") in dev for d in dists):
            modules.add(module)
    return modules


def test_the_dev_extra_is_known() -> None:
    # The blocked set must really hold the test tools, or the check below proves nothing.
    assert {"pytest", "hypothesis", "moto", "kubernetes_validate"} <= dev_only_modules()


def test_render_and_check_need_no_dev_only_package(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM, json.dumps(sorted(dev_only_modules())), str(FIXTURE), str(out)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["codes"] == [0, 0], result.stderr
    assert (out / "graph.json").is_file()
    # Core-object schemas are optional (the `schemas` extra); nothing else may even be tried.
    assert set(report["tried"]) <= {"kubernetes_validate"}
