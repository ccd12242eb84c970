"""Helpers for testing your own Pulumi programs and components offline.

Run a program under the mock runtime and assert on what it registered::

    from pulumi_meshgw import testing

    def program():
        IngressGateway("public", namespace="istio-ingress", servers=[...])

    def test_gateway_is_applied_after_its_deployment():
        rec = testing.run(program, config={"gateways": [{"name": "public"}]}, stack="dev")
        kinds = [m.kind for m in rec.manifests()]
        assert kinds.index("Deployment") < kinds.index("Gateway")
        assert rec.by_name("public-tls").secret_fields == {"stringData"}

A program that raises (``pulumi_meshgw.errors.ConfigError``, say) raises the same exception
object from :func:`run`, so ``pytest.raises`` works as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pulumi_meshgw.offline import (
    SECRET,
    DuplicateUrnError,
    Manifest,
    Recording,
    RegisteredResource,
    dump_manifest,
    graph,
    normalize_config,
    run_program,
    run_stack,
    write_render,
)

__all__ = [
    "SECRET",
    "DuplicateUrnError",
    "Manifest",
    "Recording",
    "RegisteredResource",
    "dump_manifest",
    "graph",
    "run",
    "run_program",
    "run_stack",
    "write_render",
]


def run(
    program: Callable[[], object],
    *,
    config: Mapping[str, object] | None = None,
    secret_keys: Iterable[str] = (),
    stack: str = "test",
    project: str = "meshgw",
    preview: bool = False,
    root_directory: str | Path | None = None,
) -> Recording:
    """Run ``program`` under the mock runtime and return what it registered.

    Config is given as in a stack file: keys without a namespace get ``<project>:``, and
    non-string values (lists, maps, numbers) are JSON-encoded for ``Config().require_object``.

    Args:
        program: Creates resources when called with no arguments.
        config: Config keys to values.
        secret_keys: Keys (with or without the namespace) that ``require_secret`` should treat
            as secret; their values never appear in the returned Recording.
        stack: The stack name, for ``pulumi.get_stack()``.
        project: The project name: ``pulumi.get_project()`` and the default config namespace.
        preview: Run as a preview (outputs the mock does not echo stay unknown).
        root_directory: What ``pulumi.get_root_directory()`` returns.

    Returns:
        The :class:`Recording`, with secrets as ``"[secret]"``.

    Raises:
        BaseException: Whatever the program raised, as the same object.
    """
    values, secure = normalize_config(project, config or {})
    secrets = {key if ":" in key else f"{project}:{key}" for key in secret_keys} | secure
    return run_program(
        program,
        project=project,
        stack=stack,
        config=values,
        secret_keys=secrets,
        preview=preview,
        root_directory=root_directory,
    )
