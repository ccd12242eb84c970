"""The release: one version everywhere, a wheel that carries what an install needs, and a
CHANGELOG section for the version. ``.ci/release-check`` installs the sdist and the wheel into
clean venvs and renders the dev stack with each (docs/package.md)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

import pulumi_meshgw

from .conftest import ROOT


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pulumi_meshgw.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", pulumi_meshgw.__version__)


def test_the_changelog_has_a_section_for_the_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(
        rf"^## \[{re.escape(pulumi_meshgw.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M
    )
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{pulumi_meshgw.__version__}]")


def test_the_wheel_carries_the_package_the_plugin_and_the_entry_points(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == f"pulumi_meshgw-{pulumi_meshgw.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"pulumi_meshgw-{pulumi_meshgw.__version__}.dist-info"
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
        metadata = zf.read(f"{info}/METADATA").decode()
    assert {
        "pulumi_meshgw/py.typed",
        "pulumi_meshgw/provider/PulumiPlugin.yaml",
        "pulumi_meshgw/provider/__main__.py",
        "pulumi_meshgw/components/args.py",
    } <= names
    assert any(n.startswith("pulumi_meshgw/schemas/") for n in names)
    assert "meshgw = pulumi_meshgw.cli:main" in entry_points
    assert "pulumi-resource-meshgw = pulumi_meshgw.provider.__main__:main" in entry_points
    assert f"Version: {pulumi_meshgw.__version__}" in metadata
