"""The CI recipe (examples/ci/): the shell script run for real on a git repository, with the
comment-posting step and the Pulumi CLI replaced by local commands; the GitHub workflows read as
data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, copy_project, git

SCRIPT = ROOT / "examples" / "ci" / "meshgw-pr-review.sh"
WORKFLOWS = ROOT / "examples" / "ci" / "github"
MARKER = "<!-- meshgw-pr-review -->"
BIN = Path(sys.executable).parent

WEIGHTS_BEFORE = "              weight: 90\n"
WEIGHTS_AFTER = "              weight: 80\n"


def stub(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


def run_script(project: Path, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    poster = stub(tmp_path / "post.sh", f'cp "$1" {tmp_path / "posted.md"}\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MESHGW_", "PULUMI_ACCESS"))}
    clean["PATH"] = f"{tmp_path / 'bin'}:{BIN}:{clean['PATH']}"
    clean.update(
        MESHGW_PROJECT_DIR=str(project),
        MESHGW_OUT=str(tmp_path / "out"),
        MESHGW_POST_COMMAND=str(poster),
        **env,
    )
    return subprocess.run(["bash", str(SCRIPT)], env=clean, capture_output=True, text=True, check=False)


def repository(tmp_path: Path) -> Path:
    """The dev stack committed on origin/main, then a canary weight changed in the working tree."""
    project = copy_project(tmp_path)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-qm", "base")
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    stack = project / "stacks" / "Pulumi.dev.yaml"
    text = stack.read_text()
    assert text.count(WEIGHTS_BEFORE) == 1
    stack.write_text(text.replace(WEIGHTS_BEFORE, WEIGHTS_AFTER).replace("weight: 10\n", "weight: 20\n"))
    return project


@pytest.mark.slow
def test_one_comment_with_check_diff_and_preview_for_every_stack(tmp_path: Path) -> None:
    """Two stacks in one run (each run renders several times, so one run covers both cases): dev
    with a canary change, and a stack that does not render, which fails the run after the
    comment is posted."""
    project = repository(tmp_path)
    dev = project / "stacks" / "Pulumi.dev.yaml"
    broken = dev.read_text().replace(
        'hosts: ["admin.dev.internal.example.com"]\n      gateways',
        'hosts: ["admn.dev.internal.example.com"]\n      gateways',
    )
    assert broken != dev.read_text()
    (project / "stacks" / "Pulumi.broken.yaml").write_text(broken)
    (tmp_path / "bin").mkdir()
    # A stand-in for the Pulumi CLI: the script must call `pulumi preview --diff` for each stack.
    stub(tmp_path / "bin" / "pulumi", 'echo "pulumi $*"\n')
    result = run_script(project, tmp_path, MESHGW_PREVIEW="1")
    assert result.returncode == 1, result.stdout + result.stderr
    comment = (tmp_path / "posted.md").read_text()
    assert comment.startswith(MARKER + "\n## Mesh review\n")
    assert "Compared with `origin/main`. Stacks: broken dev." in comment
    broken_part, dev_part = comment.split("### Stack `dev`")
    assert "**meshgw check**: " in dev_part
    assert (
        "~ shop.dev.example.com on istio-ingress/public: /api → shop:8080 v1 80% / v2 20% "
        "(was shop:8080 v1 90% / v2 10%)\n" in dev_part
    )
    assert "pulumi preview --diff --non-interactive --stack dev" in dev_part
    assert "**meshgw render failed**" in broken_part and "IST0132" in broken_part
    assert "**meshgw diff failed**" in broken_part
    # Nothing is printed when a post command takes the comment.
    assert MARKER not in result.stdout


def test_github_workflows_run_the_script_and_post_one_comment() -> None:
    review = yaml.safe_load((WORKFLOWS / "meshgw-pr-review.yml").read_text())
    comment = yaml.safe_load((WORKFLOWS / "meshgw-pr-comment.yml").read_text())
    steps = review["jobs"]["review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0, "meshgw diff --base needs the base branch"
    assert any(s.get("run") == "bash ci/meshgw-pr-review.sh" for s in steps)
    assert review["jobs"]["review"]["env"]["MESHGW_POST_COMMAND"] == ":"
    assert review["permissions"] == {"contents": "read"}
    # YAML 1.1 reads the key `on` as True.
    assert comment[True]["workflow_run"]["workflows"] == [review["name"]]
    script = comment["jobs"]["comment"]["steps"][1]["with"]["script"]
    assert f"const marker = '{MARKER}';" in script
    assert "updateComment" in script and "createComment" in script
    assert MARKER in SCRIPT.read_text()
