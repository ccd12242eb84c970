"""Names of config items, unique per kind and namespace as in Kubernetes, and references to them.

Workloads, Gateways, egress gateways, VirtualServices and DestinationRules become namespaced
Kubernetes objects, whose names Kubernetes requires unique per kind and namespace only
(https://kubernetes.io/docs/concepts/overview/working-with-objects/names/). So two items of one
list may share a name in different namespaces; two with one name in one namespace are MGW0101.
``addressPools`` are no Kubernetes objects: their names are unique in the stack.

A reference to a workload (``gateways[].workload``) is ``name`` or ``namespace/name``. A bare name
that matches exactly one workload means that one, so every config written before names could be
shared means what it meant. A bare name that matches several is MGW0103, naming the candidates:
never a silent pick. One that matches none is IST0101.

Where the items are keyed by name (the ``Mesh`` component's attributes, outputs and Pulumi child
names, :class:`~pulumi_meshgw.plan.model.MeshPlan`'s maps), the key of an item is its bare name
when no other item of its list has that name, and ``namespace/name`` when several share it
(:func:`item_keys`): a stack whose names are unique keeps its keys and its Pulumi names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..errors import Problem, show

__all__ = [
    "Ident",
    "ambiguous_reference",
    "item_keys",
    "matching",
    "resolve_workload",
    "split_ref",
    "unknown_workload",
]

Ident = tuple[str, str]
"""(namespace, name) of an item: what Kubernetes keys an object of one kind by."""


def split_ref(ref: str) -> tuple[str | None, str]:
    """``namespace/name`` as (namespace, name); a bare ``name`` as (None, name)."""
    namespace, sep, name = ref.rpartition("/")
    return (namespace if sep else None), name


def matching(ref: str, declared: Sequence[Ident]) -> list[int]:
    """The positions in ``declared`` that ``ref`` (``name`` or ``namespace/name``) can mean."""
    namespace, name = split_ref(ref)
    return [i for i, (ns, n) in enumerate(declared) if n == name and namespace in (None, ns)]


def item_keys(idents: Sequence[Ident]) -> list[str]:
    """The key of each item, in order: its bare name when no other item has that name, else
    ``namespace/name``. Unique names keep the keys they had before names could be shared."""
    count = Counter(name for _, name in idents)
    return [name if count[name] == 1 else f"{ns}/{name}" for ns, name in idents]


def unknown_workload(index: int, name: str, declared: Sequence[Ident]) -> Problem:
    """IST0101 at ``gateways[index].workload``: it names a workload ``meshgw:workloads`` lacks."""
    keys = sorted(item_keys(declared))
    known = f"declared: {', '.join(keys)}" if keys else "it declares none"
    return Problem(
        f"gateways[{index}].workload",
        f"workload {show(name)} is not declared in meshgw:workloads ({known}); declare it there, or "
        "name a declared one",
        "IST0101",
    )


def ambiguous_reference(
    path: str, ref: str, what: str, key: str, candidates: Sequence[tuple[int, Ident]]
) -> Problem:
    """MGW0103 at ``path``: the bare name ``ref`` matches several items of ``key`` (``workloads``),
    given as (position, ident); the fix is the ``namespace/name`` form."""
    found = ", ".join(f"{ns}/{n} ({key}[{i}])" for i, (ns, n) in candidates)
    forms = " or ".join(show(f"{ns}/{n}") for _, (ns, n) in candidates)
    return Problem(
        path,
        f"{what} {show(ref)} is declared in several namespaces: {found}; names are unique per "
        f"namespace only, so write the one meant as namespace/name: {forms}",
        "MGW0103",
    )


def resolve_workload(index: int, ref: str, declared: Sequence[Ident]) -> int | Problem:
    """The position in ``declared`` (the workloads' idents) that ``gateways[index].workload`` names,
    or its problem: IST0101 when none matches, MGW0103 when a bare name matches several."""
    found = matching(ref, declared)
    if len(found) == 1:
        return found[0]
    if not found:
        return unknown_workload(index, ref, declared)
    candidates = [(i, declared[i]) for i in found]
    return ambiguous_reference(f"gateways[{index}].workload", ref, "workload", "workloads", candidates)
