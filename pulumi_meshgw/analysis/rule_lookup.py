"""Which DestinationRule a proxy uses for a host: Istio's lookup path, as a pure index.

After ``pilot/pkg/model/push_context.go`` (``setDestinationRules``, ``destinationRule``,
``getExportedDestinationRuleFromNamespace``) and ``pilot/pkg/model/destination_rule.go``
(``mergeDestinationRule``): a proxy in namespace ``client`` takes the rule for a host from its own
namespace first, then from the host's namespace (a Service's, or the ServiceEntry's), then from the
root namespace, each only if exported to it; rules of one namespace for one host and with the same
``exportTo`` merge (subsets concatenated, the first rule's traffic policy kept, first by creation
time then name), rules of different namespaces never do. In each namespace the exact host wins over
the most specific wildcard host (``MostSpecificHostMatch``). A rule with a ``workloadSelector``
applies only to the pods it selects, in its own namespace, and for them comes before the rest
(``pilot/pkg/model/sidecar.go``, ``SidecarScope.DestinationRule``); it is used when the proxy's
labels are known (a gateway's pods).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._access import Key, Manifest, key_of, labels, mapping, seq, text
from .hosts import fqdn, host_matches

__all__ = ["ROOT_NAMESPACE", "RuleIndex", "RuleInfo", "visible"]

ROOT_NAMESPACE = "istio-system"
"""Istio's default root namespace: policies there apply mesh-wide."""


def visible(export_to: Any, own: str) -> set[str] | None:
    """The namespaces an ``exportTo`` list makes an object visible in; None means all."""
    if export_to is None:
        return None
    names = {own if e == "." else e for e in seq(export_to) if isinstance(e, str)}
    return None if "*" in names or not names else names


@dataclass
class RuleInfo:
    """One DestinationRule (or several of one namespace merged) as the lookup path reads it."""

    key: Key
    export_to: set[str] | None  # None: every namespace
    subsets: set[str]
    spec: Mapping[str, Any] = field(default_factory=dict)
    """The first rule's spec: its traffic policy is the merged rule's."""
    subset_specs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    merged: list[Key] = field(default_factory=list)

    def visible_in(self, namespace: str) -> bool:
        """Whether a proxy in ``namespace`` may use it: ``exportTo`` unset or ``*``, or naming that
        namespace (``.`` is the rule's own); a rule exported only elsewhere is not visible even in
        its own namespace (``setDestinationRules``)."""
        return self.export_to is None or namespace in self.export_to

    def private(self) -> bool:
        return self.export_to == {self.key[1]}


def _order(obj: Manifest) -> tuple[str, str, str]:
    meta = mapping(obj.get("metadata"))
    return (
        text(meta.get("creationTimestamp")) or "",
        text(meta.get("name")) or "",
        text(meta.get("namespace")) or "",
    )


def _info(obj: Manifest) -> RuleInfo:
    spec = mapping(obj.get("spec"))
    info = RuleInfo(key_of(obj), {key_of(obj)[1]}, set(), spec, merged=[key_of(obj)])
    for raw in seq(spec.get("subsets")):
        name = text(mapping(raw).get("name"))
        if name and name not in info.subset_specs:
            info.subset_specs[name] = mapping(raw)
            info.subsets.add(name)
    return info


class RuleIndex:
    """DestinationRules without a workload selector, by FQDN host and namespace."""

    def __init__(self) -> None:
        self._raw: dict[tuple[str, str], list[Manifest]] = defaultdict(list)  # (host, ns) -> rules
        self._cache: dict[tuple[str, str], list[RuleInfo]] = {}
        self._wildcards: dict[str, set[str]] = defaultdict(set)  # ns -> wildcard hosts
        self._namespaces: dict[str, set[str]] = defaultdict(set)  # host -> namespaces with rules
        # (host, ns) -> (matchLabels, rule) of the rules with a workload selector
        self._selected: dict[tuple[str, str], list[tuple[dict[str, str], Manifest]]] = defaultdict(list)

    def add(self, obj: Manifest) -> None:
        """Index one DestinationRule (anything else, or one without a host, is ignored)."""
        spec = mapping(obj.get("spec"))
        host = text(spec.get("host"))
        if not host:
            return
        ns = key_of(obj)[1]
        full = fqdn(host, ns)
        selector = labels(mapping(spec.get("workloadSelector")).get("matchLabels"))
        if mapping(spec.get("workloadSelector")):
            self._selected[(full, ns)].append((selector, obj))
            return
        self._raw[(full, ns)].append(obj)
        self._namespaces[full].add(ns)
        self._cache.pop((full, ns), None)
        if full.startswith("*"):
            self._wildcards[ns].add(full)

    def in_namespace(self, host: str, ns: str) -> list[RuleInfo]:
        """The merged rules of ``ns`` for ``host`` exactly, first-created first."""
        cached = self._cache.get((host, ns))
        if cached is not None:
            return cached
        out: list[RuleInfo] = []
        for obj in sorted(self._raw.get((host, ns), []), key=_order):
            spec = mapping(obj.get("spec"))
            export = visible(spec.get("exportTo"), ns)
            subsets = {text(mapping(s).get("name")): mapping(s) for s in seq(spec.get("subsets"))}
            same = next((r for r in out if r.export_to == export), None)
            if same is None:
                same = RuleInfo(key_of(obj), export, set(), spec)
                out.append(same)
            same.merged.append(key_of(obj))
            for name, body in subsets.items():
                if name and name not in same.subset_specs:
                    same.subset_specs[name] = body
                    same.subsets.add(name)
        self._cache[(host, ns)] = out
        return out

    def all_for(self, host: str) -> list[RuleInfo]:
        """Every rule for ``host`` exactly, in any namespace."""
        return [r for ns in sorted(self._namespaces.get(host, ())) for r in self.in_namespace(host, ns)]

    def _match(self, host: str, ns: str, keep: Callable[[RuleInfo], bool]) -> list[RuleInfo]:
        """``MostSpecificHostMatch`` over the rules of ``ns`` that ``keep`` admits to the index."""
        exact = [r for r in self.in_namespace(host, ns) if keep(r)]
        if exact:
            return exact
        for pattern in sorted((p for p in self._wildcards.get(ns, ()) if host_matches(p, host)), key=len)[
            ::-1
        ]:
            found = [r for r in self.in_namespace(pattern, ns) if keep(r)]
            if found:
                return found
        return []

    def lookup(
        self, host: str, client: str, homes: Sequence[str], pod: Mapping[str, str] | None = None
    ) -> RuleInfo | None:
        """The rule a proxy in namespace ``client`` (with pod labels ``pod``, when known) uses for
        ``host`` (an FQDN), given the namespaces the host belongs to (``homes``; Istio takes the
        service's one), or None (``PushContext.destinationRule``)."""
        if pod is not None:
            chosen = sorted(
                (
                    o
                    for sel, o in self._selected.get((host, client), [])
                    if all(pod.get(k) == v for k, v in sel.items())
                ),
                key=_order,
            )
            if chosen:
                return _info(chosen[0])
        if client != ROOT_NAMESPACE:
            local = self._match(host, client, lambda r: r.visible_in(client))
        else:  # the root namespace's own proxies look at its private rules first
            local = self._match(host, client, RuleInfo.private)
        if local:
            return local[0]
        for ns in (*homes[:1], ROOT_NAMESPACE):
            # The exported index of ns: its most specific match, then exportTo against the client.
            found = self._match(host, ns, lambda r: not r.private())
            exported = [r for r in found if r.visible_in(client)]
            if exported:
                return exported[0]
        return None
