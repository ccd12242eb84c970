"""Reading a stack's ``meshgw:*`` config into a Mesh: what ``stacks/__main__.py`` calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from ..errors import ConfigError, Problem, show
from ..spec.mesh import CONFIG_KEYS, MeshSpec
from ._arguments import checked_arguments
from ._runtime import ComponentConfigError
from .mesh import Mesh

__all__ = ["NAMESPACE", "mesh_from_config", "read_mesh_config"]

NAMESPACE = "meshgw"


def _all_keys() -> set[str]:
    return set(CONFIG.get()) | set(get_config_env())


def read_mesh_config() -> MeshSpec:
    """Validate the ``meshgw:*`` keys of the running stack.

    Keys in the namespace that are neither mesh keys nor named by a ``certificate.config`` source
    are errors: a misspelt ``meshgw:gateway`` would otherwise be ignored without a word.

    Raises:
        ComponentConfigError: every problem, each with its config path.
    """
    values, problems = _config_values()
    spec = None
    if values:
        try:
            spec = MeshSpec.from_config(values)
        except ConfigError as err:
            problems.extend(err.problems)
    if problems or spec is None:
        raise ComponentConfigError(problems, context=f"stack {pulumi.get_stack()}")
    return spec


def _config_values() -> tuple[dict[str, Any], list[Problem]]:
    """The structured ``meshgw:*`` values of the running stack, and the problems of the config's
    shape: a value that is not structured, no mesh key at all, a key the namespace does not
    have."""
    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in CONFIG_KEYS:
        raw = config.get(key)
        if raw is None:
            continue
        try:
            values[key] = json.loads(raw)
        except json.JSONDecodeError:
            problems.append(
                Problem(key, f"must be a list (structured config), got the string {show(raw)}", "MGW0100")
            )
    if not values and not problems:
        problems.append(_declares_nothing())
    referenced = _referenced_keys(values)
    for full in sorted(_all_keys()):
        ns, _, key = full.partition(":")
        if ns == NAMESPACE and key not in CONFIG_KEYS and full not in referenced:
            problems.append(
                Problem(
                    key,
                    f"unknown config key {show(full)}; known keys: "
                    + ", ".join(f"{NAMESPACE}:{k}" for k in CONFIG_KEYS)
                    + " (and secret keys named by a certificate.config source)",
                    "MGW0100",
                )
            )
    return values, problems


def _declares_nothing() -> Problem:
    """The problem of a stack with no ``meshgw:*`` key, naming the likeliest mistake.

    Rendering such a stack would register nothing and succeed, which hides a stack file whose
    settings are in the wrong place.
    """
    keys = sorted(_all_keys())
    project = pulumi.get_project()
    misplaced = sorted(
        full for full in keys if full.partition(":")[0] != NAMESPACE and full.partition(":")[2] in CONFIG_KEYS
    )
    if misplaced:
        hint = (
            f"found {', '.join(show(k) for k in misplaced)}: keys without a namespace belong to the "
            f"project ({show(project)}); write them as "
            + ", ".join(f"'{NAMESPACE}:{k.partition(':')[2]}'" for k in misplaced)
        )
    elif keys:
        hint = f"the config has only {', '.join(show(k) for k in keys[:5])}"
    else:
        hint = (
            "the stack file has no config at all: are the settings indented under 'config:', and is "
            "the file the one for this stack?"
        )
    known = ", ".join(f"{NAMESPACE}:{k}" for k in CONFIG_KEYS)
    return Problem("", f"the stack declares nothing to build ({known} are all unset); {hint}", "MGW0100")


def _referenced_keys(values: Any) -> set[str]:
    """The full stack config keys every ``certificate.config`` source in the config names (``cert``,
    ``key``, ``ca``; ``project:key`` when the key has no namespace, as
    :func:`~.workload._secret_config` reads it). The raw values are searched, so the keys of an item
    that does not parse are not reported unknown on top of its own problem."""
    project = pulumi.get_project()
    keys: set[str] = set()
    stack: list[tuple[Any, Any]] = [(None, values)]
    while stack:
        parent, value = stack.pop()
        if isinstance(value, dict):
            source = value.get("config") if parent == "certificate" else None
            if isinstance(source, dict):
                named = (source.get(k) for k in ("cert", "key", "ca"))
                keys |= {k if ":" in k else f"{project}:{k}" for k in named if isinstance(k, str) and k}
            stack.extend(value.items())
        elif isinstance(value, list):
            stack.extend((None, v) for v in value)
    return keys


@checked_arguments
def mesh_from_config(
    name: str = "mesh", *, base_dir: Path | None = None, opts: pulumi.ResourceOptions | None = None
) -> Mesh:
    """Build the whole mesh of the running stack from its ``meshgw:*`` config.

    This is the entry point of a config-driven program (``stacks/__main__.py``,
    ``examples/config/__main__.py``): one call reads, checks and registers everything.

    Args:
        name: The Mesh component's Pulumi name. Default: ``mesh``.
        base_dir: Where relative certificate file paths resolve. Default: the working directory.
        opts: Pulumi options of the Mesh (``depends_on`` an Istio install, say). Default: none.

    Raises:
        ComponentConfigError: every problem of the config, each with its config path; also when
            the stack declares nothing (no ``meshgw:*`` key), naming the likely mistake.
    """
    values, problems = _config_values()
    return Mesh(name, spec=values, base_dir=base_dir, opts=opts, _problems=problems)
