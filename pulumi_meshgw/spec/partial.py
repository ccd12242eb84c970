"""Parsing a mesh config item by item, so that one run reports every independent problem.

An item that does not parse (``servers: 50``) is reported, and the stack's other items are still
planned and checked as a whole, so a second, unrelated mistake (a Gateway naming an undeclared
workload, a route to a host nobody serves) comes out in the same run instead of after the first is
fixed. Istio's own validation collects this way too (``pkg/config/validation``: one ``Validation``
value gathers every error of a resource).

What is left out of the cross-object checks is what could be reported wrongly because an item is
missing: every item that refers to a failed item, and, transitively, to an item left out that way.
The references followed are the ones the checks use: a Gateway's ``workload``, a workload's
``address.pool``, an egress destination's ``vipPool``, a route's ``gateways`` and destination
``host`` (whose subsets a DestinationRule defines). A workload that a left-out Gateway names is
not reported as bound by no Gateway (MGW0120). A failed ``meshgw:external`` item leaves out
every item that mentions its name or host. A failed item whose name cannot be read (``name: 5``)
leaves out every item that could refer to one of its kind.

A failed Gateway still has its ``workload`` checked against the declared workloads, as the
planned ones are, since that needs nothing but the two names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, Problem, show
from ._base import SpecModel, parse
from .addressing import AddressPoolSpec
from .egress import EgressGatewaySpec
from .external import ExternalObject
from .names import Ident, matching, resolve_workload, split_ref, unknown_workload
from .resources import DestinationRuleSpec, GatewaySpec, VirtualServiceSpec
from .workload import WorkloadSpec

__all__ = [
    "CONFIG_KEYS",
    "ITEM_MODELS",
    "PartialMesh",
    "duplicate_names",
    "parse_partial",
    "unknown_workload",
]

CONFIG_KEYS: dict[str, str] = {
    "workloads": "workloads",
    "gateways": "gateways",
    "virtualServices": "virtual_services",
    "destinationRules": "destination_rules",
    "egressGateways": "egress_gateways",
    "external": "external",
    "addressPools": "address_pools",
}
"""Config keys (under the ``meshgw`` namespace) and the MeshSpec field each fills."""

ITEM_MODELS: dict[str, type[SpecModel]] = {
    "workloads": WorkloadSpec,
    "gateways": GatewaySpec,
    "virtualServices": VirtualServiceSpec,
    "destinationRules": DestinationRuleSpec,
    "egressGateways": EgressGatewaySpec,
    "external": ExternalObject,
    "addressPools": AddressPoolSpec,
}
"""The spec model of one item of each config key."""

_UNKNOWN = object()
"""The name of a failed item whose name is not a string: it may be anything."""

_ITEM_REF = re.compile(r"(?<![A-Za-z])(" + "|".join(CONFIG_KEYS) + r")\[(\d+)\]")


@dataclass(frozen=True)
class PartialMesh:
    """The items of a mesh config that parsed and depend on no item that did not.

    Attributes:
        fields: MeshSpec field name -> the parsed items kept, in config order.
        positions: Config key -> the config index of each kept item (``positions["gateways"][0]``
            is where ``fields["gateways"][0]`` stands in ``meshgw:gateways``).
        problems: The problems of the items that did not parse, and of the config's shape.
    """

    fields: dict[str, list[Any]] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    consequences: set[tuple[str, str]] = field(default_factory=set)
    """(config path, code) of cross-object problems that only say an item is missing, because
    it was left out: not reported."""

    def config_path(self, text: str) -> str:
        """``text`` (a problem's path or message, about the kept items) with each item reference
        (``gateways[0]``) as it stands in the config (``gateways[2]``)."""

        def moved(m: re.Match[str]) -> str:
            kept = self.positions.get(m.group(1), [])
            index = int(m.group(2))
            return f"{m.group(1)}[{kept[index]}]" if index < len(kept) else m.group(0)

        return _ITEM_REF.sub(moved, text)

    def in_config_terms(self, problems: Sequence[Problem]) -> list[Problem]:
        """``problems`` found on the kept items, with item references as :meth:`config_path` gives."""
        out = [Problem(self.config_path(p.path), self.config_path(p.message), p.code) for p in problems]
        return [p for p in out if (p.path, p.code) not in self.consequences]


def parse_partial(values: Mapping[str, Any]) -> PartialMesh:
    """Parse every item of a mesh config, keeping the ones that parsed and that the cross-object
    checks can be run on without a missing item showing up as a mistake of its own.

    Args:
        values: ``{"workloads": [...], "gateways": [...], ...}`` (config keys without namespace).

    Returns:
        The kept items, where each stands in the config, and every problem found so far.
    """
    if not isinstance(values, Mapping):
        message = f"the mesh config must be a mapping of config keys (got {show(values)})"
        raise ConfigError([Problem("", message, "MGW0100")])
    problems: list[Problem] = []
    for key in sorted((k for k in values if k not in CONFIG_KEYS), key=str):
        problems.append(
            Problem(
                str(key),
                f"unknown config key {show(f'meshgw:{key}')}; known keys: "
                + ", ".join(f"meshgw:{k}" for k in CONFIG_KEYS),
                "MGW0100",
            )
        )
    raw: dict[str, list[Any]] = {}
    parsed: dict[str, dict[int, Any]] = {}
    for key in CONFIG_KEYS:
        items = values.get(key)
        if items is None:
            continue
        if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
            message = f"must be a list of items (got {show(items)}); a single item is written as a list"
            problems.append(Problem(key, message, "MGW0100"))
            continue
        raw[key] = list(items)
        parsed[key] = {}
        for i, item in enumerate(items):
            try:
                parsed[key][i] = parse(ITEM_MODELS[key], item, prefix=(key, i))
            except ConfigError as err:
                problems.extend(err.problems)
    failed = {(key, i) for key, items in raw.items() for i in range(len(items)) if i not in parsed[key]}
    problems.extend(_failed_gateway_references(raw, failed))
    left_out = _dependents(raw, failed)
    partial = PartialMesh(problems=problems, consequences=_unbound_by_left_out(raw, left_out))
    for key, name in CONFIG_KEYS.items():
        kept = [i for i in sorted(parsed.get(key, {})) if (key, i) not in left_out]
        partial.positions[key] = kept
        partial.fields[name] = [parsed[key][i] for i in kept]
    problems.extend(duplicate_names(partial.fields, partial.positions))
    return partial


def _failed_gateway_references(raw: Mapping[str, list[Any]], failed: set[tuple[str, int]]) -> list[Problem]:
    workloads = raw.get("workloads", [])
    if any(n is _UNKNOWN for n in map(_name, workloads)):
        return []  # a workload whose name cannot be read may be the one named
    declared = [_raw_workload_ident(w) for w in workloads]
    out = []
    for i, item in enumerate(raw.get("gateways", [])):
        workload = _field(item, "workload")
        if ("gateways", i) in failed and isinstance(workload, str) and not matching(workload, declared):
            out.append(unknown_workload(i, workload, declared))
    return out


def _raw_workload_ident(item: Any) -> Ident:
    """(namespace, name) of a workload item as written, with the model's defaults."""
    external = _field(item, "external")
    namespace = _field(external, "namespace") if isinstance(external, Mapping) else _field(item, "namespace")
    return (namespace if isinstance(namespace, str) else "istio-ingress", str(_field(item, "name")))


def _dependents(raw: Mapping[str, list[Any]], failed: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The failed items and every item that refers to one of them, transitively."""
    out = set(failed)
    refers: list[tuple[str, str, Callable[[Any], Iterator[str]], Callable[[Any], Any]]] = [
        # (item key, referred key, the references an item makes, the identity of a referred item)
        ("gateways", "workloads", _gateway_workload, _name),
        ("workloads", "addressPools", _workload_pool, _name),
        ("egressGateways", "addressPools", _egress_pools, _name),
        ("virtualServices", "gateways", _route_gateways, _name),
        ("virtualServices", "destinationRules", _route_hosts, _host_label),
    ]
    changed = True
    while changed:
        before = len(out)
        for key, referred, refs, ident in refers:
            gone = {ident(raw[referred][j]) for (k, j) in out if k == referred}
            for i, item in enumerate(raw.get(key, [])):
                if gone and (_UNKNOWN in gone or not gone.isdisjoint(refs(item))):
                    out.add((key, i))
        externals = [_strings(raw["external"][j]) for (k, j) in out if k == "external"]
        if externals:
            for key, items in raw.items():
                out.update((key, i) for i, item in enumerate(items) if _mentions(item, externals))
        changed = len(out) > before
    return out


def _unbound_by_left_out(raw: Mapping[str, list[Any]], out: set[tuple[str, int]]) -> set[tuple[str, str]]:
    """MGW0120 (a workload no Gateway binds) of each workload a left-out Gateway names (or may
    name, its ``workload`` unreadable): the Gateway is missing, not the binding."""
    refs = [_field(raw["gateways"][j], "workload") for (k, j) in out if k == "gateways"]
    unreadable = any(not isinstance(n, str) for n in refs)
    named = [split_ref(n)[1] for n in refs if isinstance(n, str)]
    return {
        (f"workloads[{i}]", "MGW0120")
        for i, w in enumerate(raw.get("workloads", []))
        if unreadable or _name(w) in named
    }


def _field(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else None


def _name(item: Any) -> Any:
    name = _field(item, "name")
    return name if isinstance(name, str) else _UNKNOWN


def _host_label(item: Any) -> Any:
    host = _field(item, "host")
    return host.split(".")[0] if isinstance(host, str) else _UNKNOWN


def _gateway_workload(item: Any) -> Iterator[str]:
    ref = _field(item, "workload")
    if isinstance(ref, str):
        yield split_ref(ref)[1]  # by name: a left-out workload of that name may be the one meant


def _workload_pool(item: Any) -> Iterator[str]:
    pool = _field(_field(item, "address"), "pool")
    if isinstance(pool, str):
        yield pool


def _egress_pools(item: Any) -> Iterator[str]:
    destinations = _field(item, "destinations")
    for d in destinations if isinstance(destinations, list) else []:
        pool = _field(d, "vipPool")
        if isinstance(pool, str):
            yield pool


def _route_gateways(item: Any) -> Iterator[str]:
    """The Gateway names a route binds (``ns/name`` or ``name``), also per rule (``match.gateways``)."""
    for ref in _strings_under(item, "gateways"):
        yield ref.rpartition("/")[2]


def _route_hosts(item: Any) -> Iterator[str]:
    """The first label of each destination host (``reviews`` of ``reviews.prod.svc.cluster.local``)."""
    for rule_key in ("http", "tls", "tcp"):
        for host in _strings_under(_field(item, rule_key), "host"):
            yield host.split(".")[0]


def _strings_under(value: Any, key: str) -> Iterator[str]:
    """Every string at a ``key`` anywhere in ``value`` (as the value, or in a list there)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Mapping):
            for k, item in v.items():
                if k == key and isinstance(item, str):
                    yield item
                elif k == key and isinstance(item, list):
                    yield from (s for s in item if isinstance(s, str))
                else:
                    stack.append(item)
        elif isinstance(v, list):
            stack.extend(v)


def _strings(value: Any) -> set[str]:
    """The strings of a failed external item that others could refer to it by."""
    out: set[str] = set()
    for key in ("name", "host"):
        v = _field(value, key)
        if isinstance(v, str):
            out |= {v, v.split(".")[0]}
    return out or {""}  # unreadable: "" is in every item, so every item is left out


def _mentions(item: Any, names: Sequence[set[str]]) -> bool:
    wanted = set().union(*names)
    if "" in wanted:
        return True
    stack = [item]
    while stack:
        v = stack.pop()
        if isinstance(v, str) and not wanted.isdisjoint({v, v.split(".")[0], v.rpartition("/")[2]}):
            return True
        if isinstance(v, Mapping):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def duplicate_names(
    fields: Mapping[str, Sequence[Any]], positions: Mapping[str, Sequence[int]]
) -> list[Problem]:
    """MGW0101 for two items of one list with one identity, at config positions.

    The identity of an item that becomes a namespaced Kubernetes object is (namespace, name), as
    Kubernetes keys objects of one kind (:mod:`.names`); a Gateway's namespace defaults to its
    workload's, so a Gateway whose workload does not resolve (reported on its own) is left out.
    ``addressPools`` are no Kubernetes objects: their names are unique in the stack.

    Args:
        fields: MeshSpec field name -> its items (:attr:`PartialMesh.fields`, or a MeshSpec's).
        positions: Config key -> the config index of each item (identity for a whole MeshSpec).
    """
    workloads: list[Ident] = [(w.pod_namespace, w.name) for w in fields.get("workloads", [])]

    def gateway(g: GatewaySpec) -> Ident | None:
        if g.namespace is not None:
            return g.namespace, g.name
        found = resolve_workload(0, g.workload, workloads)
        return None if isinstance(found, Problem) else (workloads[found][0], g.name)

    problems: list[Problem] = []
    idents: dict[str, Callable[[Any], Ident | str | None]] = {
        "workloads": lambda w: (w.pod_namespace, w.name),
        "gateways": gateway,
        "virtualServices": lambda v: (v.namespace, v.name),
        "destinationRules": lambda d: (d.namespace, d.name),
        "egressGateways": lambda e: (e.namespace, e.name),
        "addressPools": lambda p: p.name,
    }
    for key, ident in idents.items():
        seen: dict[Ident | str, int] = {}
        for i, item in zip(positions.get(key, []), fields.get(CONFIG_KEYS[key], []), strict=True):
            k = ident(item)
            if k is None:
                continue
            if k in seen:
                scope = "names must be unique" if isinstance(k, str) else "names must be unique per namespace"
                problems.append(
                    Problem(
                        f"{key}[{i}].name",
                        f"{show(k if isinstance(k, str) else '/'.join(k))} is already declared by "
                        f"{key}[{seen[k]}]; {scope}: rename one"
                        + ("" if isinstance(k, str) else " or move it to another namespace"),
                        "MGW0101",
                    )
                )
            seen.setdefault(k, i)
    return problems
