"""``meshgw diff`` on the command line: folders, stack files, a stack against a git revision."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pulumi_meshgw.cli import app

from .conftest import GOLDEN, copy_project, git

BASE = GOLDEN / "diff" / "base.yaml"
runner = CliRunner()

CANARY_BEFORE = """\
              weight: 90
            - destination: {host: shop.shop.svc.cluster.local, subset: v2, port: {number: 8080}}
              weight: 10"""
CANARY_AFTER = """\
              weight: 50
            - destination: {host: shop.shop.svc.cluster.local, subset: v2, port: {number: 8080}}
              weight: 50"""


def test_unchanged_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    copy = tmp_path / "same.yaml"
    copy.write_text(BASE.read_text())
    for output_format in ("text", "markdown", "json"):
        result = runner.invoke(app, ["diff", "--format", output_format, str(BASE), str(copy)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""


def test_folders_and_json(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    (before / "mesh.yaml").write_text(BASE.read_text())
    (after / "mesh.yaml").write_text(BASE.read_text().replace("timeout: 10s", "timeout: 20s"))
    result = runner.invoke(app, ["diff", "-f", "json", str(before), str(after)])
    assert result.exit_code == 0, result.output
    assert [c["line"] for c in json.loads(result.stdout)["changes"]] == [
        "~ shop.example.com on istio-ingress/public: /api | /v1/api → shop:8080 v1 100%; timeout 20s "
        "(was timeout 10s)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere", str(BASE)], "nowhere: no such file or folder"),
        ([str(BASE)], "give BASE and HEAD, or --stack NAME with --base REVISION"),
        (["--stack", "dev"], "give BASE and HEAD, or --stack NAME with --base REVISION"),
    ],
)
def test_bad_arguments_exit_with_a_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["diff", *args])
    assert result.exit_code in (1, 2)
    assert message in " ".join(result.output.replace("│", " ").split())


def test_unparsable_side_is_an_error_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [\n")
    result = runner.invoke(app, ["diff", str(BASE), str(bad)])
    assert result.exit_code == 1
    assert f"error: {bad}:2: malformed YAML" in result.stderr


@pytest.mark.slow
def test_stack_against_a_git_revision_and_as_stack_files(tmp_path: Path) -> None:
    """The dev stack in the working tree against the committed one: one changed route, one line.
    Then the same two stack files given directly."""
    project = copy_project(tmp_path)
    stack = project / "stacks" / "Pulumi.dev.yaml"
    assert CANARY_BEFORE in stack.read_text()
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "base")
    committed = tmp_path / "committed" / "Pulumi.dev.yaml"
    committed.parent.mkdir()
    shutil.copy(stack, committed)
    stack.write_text(stack.read_text().replace(CANARY_BEFORE, CANARY_AFTER))

    result = runner.invoke(app, ["diff", "--stack", "dev", "--base", "HEAD", "-C", str(project)])
    assert result.exit_code == 0, result.output
    expected = (
        "Routes:\n"
        "~ shop.dev.example.com on istio-ingress/public: /api → shop:8080 v1 50% / v2 50% "
        "(was shop:8080 v1 90% / v2 10%)\n"
        "1 change\n"
    )
    assert result.stdout == expected

    # The committed file sits outside any project: give it the same project by placing it in it.
    (project / "stacks" / "Pulumi.before.yaml").write_text(committed.read_text())
    result = runner.invoke(
        app,
        ["diff", str(project / "stacks" / "Pulumi.before.yaml"), str(project / "stacks" / "Pulumi.dev.yaml")],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == expected

    unknown = runner.invoke(app, ["diff", "--stack", "dev", "--base", "no-such-branch", "-C", str(project)])
    assert unknown.exit_code == 1
    assert "git knows no such revision" in unknown.stderr


@pytest.mark.slow
def test_a_stack_new_at_head_is_all_added(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    git(project, "init", "-q")
    git(project, "commit", "-q", "--allow-empty", "-m", "empty")
    result = runner.invoke(app, ["diff", "--stack", "dev", "--base", "HEAD", "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert (
        "! host newly on an internet-facing gateway: shop.dev.example.com on istio-ingress/public"
        in result.stdout
    )
    assert all(line[0] in "!+" for line in result.stdout.splitlines()[:-1] if not line.endswith(":"))
