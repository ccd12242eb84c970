"""Tests of ``meshgw render``: output, exit codes, messages and the analysis hook."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pulumi_meshgw.analysis import Diagnostic, Level
from pulumi_meshgw.cli import app
from pulumi_meshgw.cli import render as render_module

FIXTURE = Path(__file__).parent / "fixtures" / "offline_project"
CORPUS_CONFIG = Path(__file__).parent / "corpus" / "good_config"
FILES = [
    "001-namespace-cluster-apps.yaml",
    "002-serviceaccount-apps-shop.yaml",
    "003-secret-apps-shop-tls.yaml",
    "004-deployment-apps-shop.yaml",
    "005-service-apps-shop.yaml",
    "006-gateway-apps-shop.yaml",
    "graph.json",
]

runner = CliRunner()


def rendered(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_render_by_stack_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    threshold = gc.get_threshold()
    result = runner.invoke(
        app, ["render", "--stack", "dev", "--out", str(out), "--project-dir", str(FIXTURE)]
    )
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == threshold  # the command tunes the GC only while it runs
    assert list(rendered(out)) == FILES
    assert "project fixture, stack dev" in result.stdout
    assert "8 resources registered, 6 manifests written to" in result.stdout
    for kind in ("Deployment", "Gateway", "Namespace", "Secret", "ServiceAccount"):
        assert kind in result.stdout
    # The secure value cannot be decrypted offline: the user is told, on stderr.
    [warning] = [line for line in result.stderr.splitlines() if "fixture:tlsKey" in line]
    assert warning.startswith("warning: Pulumi.dev.yaml: secure config values") and warning.endswith(
        "[MGW0004]"
    )


def test_render_by_stack_file_gives_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_name, by_file = tmp_path / "by-name", tmp_path / "by-file"
    monkeypatch.chdir(FIXTURE)  # --project-dir defaults to the current directory
    assert runner.invoke(app, ["render", "--stack", "dev", "--out", str(by_name)]).exit_code == 0
    monkeypatch.chdir(tmp_path)  # the project is found from the file, not the cwd
    result = runner.invoke(
        app, ["render", str(FIXTURE / "stacks" / "Pulumi.dev.yaml"), "--out", str(by_file)]
    )
    assert result.exit_code == 0, result.output
    assert rendered(by_file) == rendered(by_name)


def test_config_error_is_one_red_message_and_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["render", str(FIXTURE / "stacks" / "Pulumi.bad.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "error: fixture: 1 problem in the mesh configuration" in result.stderr
    assert "items: list at least one host [MGW0001]" in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_missing_stack_lists_available_stacks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "-s", "prod", "-o", str(tmp_path), "-C", str(FIXTURE)])
    assert result.exit_code == 1
    assert "stack 'prod' has no settings file Pulumi.prod.yaml" in result.stderr
    assert result.stderr.rstrip().endswith("stacks with a settings file there: bad, dev [MGW0003]")


def test_missing_project_is_exit_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "out"), "-C", str(tmp_path)])
    assert result.exit_code == 1 and "no Pulumi.yaml" in result.stderr


def test_unwritable_output_is_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(blocker / "out"), "-C", str(FIXTURE)])
    assert result.exit_code == 1 and "cannot write the render" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["render", "--out", "x"],  # no stack
        ["render", str(FIXTURE / "stacks" / "Pulumi.dev.yaml"), "--stack", "dev", "--out", "x"],  # both
        ["render", "--stack", "dev"],  # no --out
        ["render", "--stack", "dev", "--out", "x", "--bogus"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output


def _mesh_project(tmp_path: Path, config: dict[str, Any]) -> Path:
    """A project whose program is the repository's stack program, with ``config`` as meshgw:*."""
    project = tmp_path / "project"
    (project / "prog").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: p\nruntime: python\nmain: prog\n")
    (project / "prog" / "__main__.py").write_text(
        "from pulumi_meshgw.components.stack import mesh_from_config\nmesh_from_config('mesh')\n"
    )
    stack = {"config": {f"meshgw:{k}": v for k, v in config.items()}}
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    return project


def test_render_analyses_with_the_stacks_external_declarations(tmp_path: Path) -> None:
    """The Secret and the Service of ``external`` are declared, as the program declared them: no
    false "undeclared Secret" (and the analysis runs on plain dicts)."""
    config = yaml.safe_load((CORPUS_CONFIG / "secure-ingress-simple.yaml").read_text())
    project = _mesh_project(tmp_path, config)
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path / "out"), "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "finding" not in result.stdout, result.stdout


def test_render_sees_external_workloads_and_exits_1_on_errors(tmp_path: Path) -> None:
    config: dict[str, Any] = {
        "workloads": [
            {"name": "shared", "external": {"namespace": "istio-system", "labels": {"istio": "shared"}}}
        ],
        "gateways": [
            {
                "name": "gw",
                "workload": "shared",
                "namespace": "web",
                "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}],
            }
        ],
    }
    project = _mesh_project(tmp_path, config)
    out = str(tmp_path / "out")
    result = runner.invoke(app, ["render", "-s", "dev", "-o", out, "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "IST0101" not in result.stdout  # the Gateway selects the declared external workload


@pytest.mark.parametrize(("level", "code"), [(Level.ERROR, 1), (Level.WARNING, 0)])
def test_render_exits_1_when_it_prints_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: Level, code: int
) -> None:
    finding = Diagnostic("IST0101", level, "Gateway", "web", "gw", "spec.selector", "matches nothing")
    monkeypatch.setattr(render_module, "analyze", lambda manifests, config: [finding])
    result = runner.invoke(app, ["render", "-s", "dev", "-o", str(tmp_path), "-C", str(FIXTURE)])
    assert result.exit_code == code, result.output
    assert (
        "1 finding(s):" in result.stdout
        and "Gateway web/gw spec.selector: matches nothing [IST0101]" in result.stdout
    )


def test_python_dash_m_is_byte_for_byte_stable_across_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pulumi_meshgw",
                "render",
                "-s",
                "dev",
                "-o",
                str(out),
                "-C",
                str(FIXTURE),
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        outputs.append(rendered(out))
    assert list(outputs[0]) == FILES
    assert outputs[0] == outputs[1]
