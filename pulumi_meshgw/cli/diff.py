"""``meshgw diff BASE HEAD``: what a change does for traffic, route by route.

BASE and HEAD are each one of:

- a folder of manifests (a ``meshgw render`` output, or any Kubernetes/Istio YAML), or a YAML file;
- a stack file ``Pulumi.<stack>.yaml``, rendered offline first, as ``meshgw render`` does.

Or compare a stack with a git revision: ``meshgw diff --stack prod --base origin/main`` renders the
working tree's ``prod`` stack as HEAD and the same project at ``origin/main`` as BASE. The project
at the revision is read with ``git archive`` into a temporary folder (the stack file and the files
it names, such as CA bundles, as they were at that revision), and rendered with the same offline
renderer. A stack file that does not exist at the revision is an empty BASE (everything is new).

Nothing needs a cluster or credentials, so it runs on pull requests from forks. The output is
empty, and the exit status 0, when nothing changes for traffic. Errors (a bad path, a stack that
does not render, an unknown revision) print one message and exit 1.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pulumi_meshgw.analysis import Level, validate_manifests
from pulumi_meshgw.cli.check import attribute, load_paths
from pulumi_meshgw.cli.render import USER_ERRORS
from pulumi_meshgw.errors import MeshgwError, headline
from pulumi_meshgw.offline import find_project, load_project, run_stack
from pulumi_meshgw.review import DiffFormat, diff_views, format_diff, mesh_view

__all__ = ["diff_command", "load_side"]

_STACK_FILE = re.compile(r"^Pulumi\.[^.]+\.ya?ml$")


def _render(stack_file: Path, project_dir: Path | None = None) -> list[Mapping[str, Any]]:
    recording = run_stack(project_dir, None, stack_file)
    for message in recording.logs:
        if message.severity == "error":
            raise MeshgwError(f"{stack_file}: {message.message}")
    return [dict(m.body) for m in recording.manifests()]


def load_side(path: Path) -> list[Mapping[str, Any]]:
    """The objects of one side of the diff: a stack file rendered offline, or YAML read as is.

    Args:
        path: A ``Pulumi.<stack>.yaml`` file, a YAML file or a folder of them.

    Returns:
        The objects.

    Raises:
        MeshgwError: If the path is missing, a file cannot be parsed, or the stack does not render.
    """
    if path.is_file() and _STACK_FILE.match(path.name):
        return _render(path)
    loaded = load_paths([path])
    # Traffic is described from objects of the right shape only: a field of the wrong type (a
    # rule's `from` that is a mapping) is the schema error `meshgw check` reports, not a guess.
    malformed = [d for d in validate_manifests(loaded.objects) if d.level is Level.ERROR]
    for where, problem in [*loaded.findings, *attribute(malformed, loaded)][:1]:
        line = f":{where.line}" if where.line else ""
        subject = " ".join(x for x in (problem.kind, problem.object_ref, problem.path) if x)
        failure = MeshgwError(f"{where.file}{line}: {subject + ': ' if subject else ''}{problem.message}")
        failure.code = problem.code
        raise failure
    return loaded.objects


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise MeshgwError("--base needs git on PATH") from None


def _render_at_revision(stack: str, revision: str, project_dir: Path, tmp: Path) -> list[Mapping[str, Any]]:
    """Render ``stack`` of the project in ``project_dir`` as it was at ``revision``."""
    project = load_project(project_dir)
    top = _git(["rev-parse", "--show-toplevel"], project.directory)
    if top.returncode != 0:
        raise MeshgwError(f"--base {revision}: {project.directory} is not in a git repository")
    root = Path(top.stdout.decode().strip()).resolve()
    rel = project.directory.resolve().relative_to(root)
    in_project = project.stack_file(stack).resolve().relative_to(project.directory.resolve())
    stack_rel = (rel / in_project).as_posix()
    if _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root).returncode != 0:
        raise MeshgwError(
            f"--base {revision}: git knows no such revision; fetch it first "
            "(in CI: a full clone, e.g. actions/checkout with fetch-depth: 0)"
        )
    if _git(["cat-file", "-e", f"{revision}:{stack_rel}"], root).returncode != 0:
        return []  # the stack is new in HEAD: everything is added
    archive = _git(["archive", "--format=tar", revision, "--", rel.as_posix()], root)
    if archive.returncode != 0:
        raise MeshgwError(f"--base {revision}: git archive failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # The "data" filter refuses absolute paths and links out of the folder (Python >= 3.10.12).
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp, filter="data")
        else:  # pragma: no cover - older 3.10 patch releases; git archive writes no such members
            tar.extractall(tmp)
    return _render(tmp / rel / in_project, tmp / rel)


def diff_command(
    base: Annotated[
        Path | None,
        typer.Argument(
            help="Before: a folder or file of manifests, or a Pulumi.<stack>.yaml.", show_default=False
        ),
    ] = None,
    head: Annotated[
        Path | None,
        typer.Argument(
            help="After: a folder or file of manifests, or a Pulumi.<stack>.yaml.", show_default=False
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack", "-s", help="Compare this stack of the working tree with --base.", show_default=False
        ),
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option(
            "--base", "-b", help="The git revision to compare --stack with (origin/main).", show_default=False
        ),
    ] = None,
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project-dir",
            "-C",
            help="The directory of Pulumi.yaml, for --stack. Default: the current directory.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="text, markdown (a PR comment) or json.", case_sensitive=False),
    ] = DiffFormat.text,
) -> None:
    """Show what changes for traffic between two configs: hosts, routes, TLS, egress, policy.

    Security-relevant changes come first. Prints nothing and exits 0 when nothing changes.
    """
    by_paths = base is not None or head is not None
    by_stack = stack is not None or revision is not None
    if (
        by_paths == by_stack
        or (by_paths and (base is None or head is None))
        or (by_stack and not (stack and revision))
    ):
        raise typer.BadParameter(
            "give BASE and HEAD, or --stack NAME with --base REVISION", param_hint="BASE HEAD"
        )
    errors = Console(stderr=True, highlight=False)
    try:
        if base is not None and head is not None:
            before, after = load_side(base), load_side(head)
        else:
            assert stack is not None and revision is not None
            directory = (project_dir or Path.cwd()).resolve()
            project = load_project(directory) if project_dir else find_project(directory)
            after = _render(project.stack_file(stack), project.directory)
            with tempfile.TemporaryDirectory(prefix="meshgw-diff-") as tmp:
                before = _render_at_revision(stack, revision, project.directory, Path(tmp))
    except USER_ERRORS as error:
        errors.print(headline(error), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    typer.echo(format_diff(diff_views(mesh_view(before), mesh_view(after)), output_format), nl=False)
