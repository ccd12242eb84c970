"""Analysis findings as config problems: schema checks of free-form content, and diagnostics
mapped back to the config paths of the items that produced the objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..analysis.diagnostics import Diagnostic, Level
from ..analysis.schema import validate_manifest
from ..errors import Problem, format_path
from ..render._meta import Manifest
from ..spec.workload import WorkloadSpec

__all__ = ["diagnostics_to_problems", "has_free_form", "object_problems", "schema_diagnostics", "sub_path"]


def sub_path(prefix: str, sub: Sequence[str | int]) -> str:
    tail = format_path(sub)
    return f"{prefix}.{tail}" if prefix else tail


_SPEC_SHAPED = frozenset({"Gateway", "VirtualService", "DestinationRule"})


def schema_diagnostics(manifests: Sequence[Manifest]) -> list[Diagnostic]:
    """Schema-check objects that carry free-form user content (overrides, traffic policy blocks).

    Fully typed objects are not re-checked: their spec models already are the schema, and skipping
    them keeps preview time proportional to what users can get wrong.
    """
    return [d for m in manifests for d in validate_manifest(m)]


def diagnostics_to_problems(
    diags: Sequence[Diagnostic], paths: Mapping[tuple[str, str, str], str]
) -> tuple[list[Problem], list[Problem]]:
    """Split diagnostics into (errors, warnings) as Problems, with config paths where known.

    ``paths`` maps (kind, namespace, name) to the config path of the item that produced the object.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for d in diags:
        base = paths.get((d.kind, d.namespace, d.name))
        if base is not None and d.kind in _SPEC_SHAPED:
            # These items are Istio specs plus metadata, so spec.x in the object is x in the config.
            sub = d.path.removeprefix("spec.").removeprefix("spec")
            path = f"{base}.{sub}" if sub else base
        elif base is not None:
            path = f"{base}: {d.kind} {d.path}".strip()
        else:
            path = f"{d.kind} {d.object_ref} {d.path}".strip()
        (errors if d.level is Level.ERROR else warnings).append(Problem(path, d.message, d.code))
    return errors, warnings


def has_free_form(w: WorkloadSpec) -> bool:
    return bool(w.overrides or w.tolerations or w.affinity)


def object_problems(prefix: str, diags: Sequence[Diagnostic]) -> tuple[list[Problem], list[Problem]]:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for d in diags:
        where = f"{d.kind} {d.object_ref} {d.path}".strip()
        p = Problem(f"{prefix}: {where}" if prefix else where, d.message, d.code)
        (errors if d.level is Level.ERROR else warnings).append(p)
    return errors, warnings
