"""Reading a stack's ``meshgw:*`` config into a Mesh: what ``stacks/__main__.py`` calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from ..errors import ConfigError, Problem
from ..spec.istio import CertificateSource
from ..spec.mesh import CONFIG_KEYS, MeshSpec
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
                Problem(key, f"must be a list (structured config), got the string {raw!r}", "MGW0100")
            )
    try:
        spec = MeshSpec.from_config(values) if not problems else None
    except ConfigError as err:
        problems.extend(err.problems)
        spec = None
    referenced = _referenced_keys(spec) if spec is not None else set()
    for full in sorted(_all_keys()):
        ns, _, key = full.partition(":")
        if ns == NAMESPACE and key not in CONFIG_KEYS and key not in referenced:
            problems.append(
                Problem(
                    key,
                    f"unknown config key {full!r}; known keys: "
                    + ", ".join(f"{NAMESPACE}:{k}" for k in CONFIG_KEYS)
                    + " (and secret keys named by a certificate.config source)",
                    "MGW0100",
                )
            )
    if problems or spec is None:
        raise ComponentConfigError(problems, context=f"stack {pulumi.get_stack()}")
    return spec


def _referenced_keys(spec: MeshSpec) -> set[str]:
    keys: set[str] = set()
    for gw in spec.gateways:
        for s in gw.servers:
            keys |= _config_keys(s.tls.certificate if s.tls else None)
    for egress in spec.egress_gateways:
        for d in egress.destinations:
            keys |= _config_keys(d.origination.certificate if d.origination else None)
    return keys


def _config_keys(src: CertificateSource | None) -> set[str]:
    """The stack config keys (without the namespace) a ``certificate.config`` source names."""
    if src is None or src.config is None:
        return set()
    return {k.rpartition(":")[2] for k in (src.config.cert, src.config.key, src.config.ca) if k}


def mesh_from_config(name: str = "mesh", *, base_dir: Path | None = None) -> Mesh:
    """Build the whole mesh of the running stack from its config."""
    return Mesh(name, read_mesh_config(), base_dir=base_dir)
