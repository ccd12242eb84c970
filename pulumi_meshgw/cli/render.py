"""``meshgw render``: run a stack's program offline and write its manifests and resource graph."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import pulumi
import typer
from rich.console import Console
from rich.table import Table

from pulumi_meshgw.analysis import Diagnostic, Level, MeshIndex, analyze_manifests
from pulumi_meshgw.errors import ConfigError, MeshgwError, headline
from pulumi_meshgw.offline import Recording, RenderResult, run_stack, write_render
from pulumi_meshgw.plan import declare_external
from pulumi_meshgw.spec.mesh import CONFIG_KEYS, MeshSpec

__all__ = ["analyze", "render_command"]

# Errors that mean "the input is wrong", shown as one red message without a traceback. RunError is
# what the Pulumi language host itself prints that way (a missing `pulumi config` value, say).
USER_ERRORS: tuple[type[BaseException], ...] = (MeshgwError, pulumi.RunError)


def analyze(
    manifests: Sequence[Mapping[str, Any]], config: Mapping[str, str] | None = None
) -> list[Diagnostic]:
    """Analyse rendered manifests as the stack's program saw them.

    The stack's ``meshgw:external`` items and external workloads are declared first (as ``Mesh``
    and ``plan_mesh`` declare them), so a Secret, Gateway or workload the stack declares but does
    not manage is not reported missing.

    Args:
        manifests: The Kubernetes objects as plain dicts, in apply order.
        config: The stack's config (full keys, JSON-encoded structured values). Default: none.

    Returns:
        The findings, in the engine's order.
    """
    index = MeshIndex()
    spec = _mesh_spec(config or {})
    if spec is not None:
        declare_external(index, spec)
    return analyze_manifests(manifests, index=index)


def _mesh_spec(config: Mapping[str, str]) -> MeshSpec | None:
    """The ``meshgw:*`` config as a spec, or None when the stack has none, or one the program
    could not have accepted (it would have failed before anything rendered)."""
    values: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        raw = config.get(f"meshgw:{key}")
        if raw is None:
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            return None
    if not values:
        return None
    try:
        return MeshSpec.from_config(values)
    except ConfigError:
        return None


def render_command(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for the manifests and graph.json.", file_okay=False),
    ],
    stack_file: Annotated[
        Path | None,
        typer.Argument(
            help="A Pulumi.<stack>.yaml file; the project is the nearest Pulumi.yaml above it.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", "-s", help="The stack to render (Pulumi.<stack>.yaml).", show_default=False),
    ] = None,
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project-dir",
            "-C",
            help="The directory of Pulumi.yaml. Default: the current directory.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a stack's program offline and write one YAML file per object plus graph.json.

    Nothing is deployed: the program runs under Pulumi's mock runtime, so values only a provider
    or cluster knows stay unset, and secrets are written as "\\[secret]".
    """
    if (stack_file is None) == (stack is None):
        raise typer.BadParameter(
            "give either a stack file (PATH/Pulumi.<stack>.yaml) or --stack NAME", param_hint="STACK_FILE"
        )
    errors = Console(stderr=True, highlight=False)
    try:
        recording = run_stack(project_dir, stack, stack_file)
        try:
            result = write_render(recording, out)
        except OSError as error:
            # A path that is a file, or no permission: the user's to fix, not a bug. (An OSError
            # from the program itself is a bug in the program and keeps its traceback.)
            raise MeshgwError(f"cannot write the render to {out}: {error.strerror or error}") from None
    except USER_ERRORS as error:
        errors.print(headline(error), style="red", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    for message in recording.logs:
        style = "red" if message.severity == "error" else "yellow"
        errors.print(f"{message.severity}: {message.message}", style=style, markup=False, soft_wrap=True)
    findings = analyze([dict(m.body) for m in result.manifests], recording.config)
    _print_summary(Console(highlight=False), recording, result, findings)
    # An error printed means exit 1, whether it came from the program's log or the analysis.
    if any(m.severity == "error" for m in recording.logs) or any(f.level is Level.ERROR for f in findings):
        raise typer.Exit(1)


def _print_summary(
    console: Console, recording: Recording, result: RenderResult, findings: Sequence[Diagnostic]
) -> None:
    console.print(f"project {recording.project}, stack {recording.stack}", markup=False)
    console.print(
        f"{len(recording.resources)} resources registered, {len(result.manifests)} manifests "
        f"written to {result.out_dir}",
        markup=False,
    )
    if result.removed:
        console.print(f"removed {len(result.removed)} stale file(s) of an earlier render", markup=False)
    counts = Counter(m.kind for m in result.manifests)
    if counts:
        table = Table("kind", "count")
        for kind, count in sorted(counts.items()):
            table.add_row(kind, str(count))
        console.print(table)
    if findings:
        console.print(f"{len(findings)} finding(s):", markup=False)
        for finding in findings:
            # One line per finding, never wrapped: CI logs are grepped by code and object.
            console.print(f"  - {finding}", markup=False, soft_wrap=True)
