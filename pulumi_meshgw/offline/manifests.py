"""Kubernetes manifests from a recording, in apply order, and writing a render to a folder."""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from pulumi_meshgw.errors import show

from .graph import graph
from .recording import (
    _RENDERED_FILE,
    _YAML_WIDTH,
    GRAPH_FILE,
    Manifest,
    OfflineError,
    Recording,
    RegisteredResource,
    _metadata,
    _sorted_plain,
)

# --------------------------------------------------------------------------------------------
# Apply order and manifests
# --------------------------------------------------------------------------------------------


_KIND_RANK = {
    kind: i
    for i, kind in enumerate(
        [
            "CustomResourceDefinition",
            "Namespace",
            "ResourceQuota",
            "LimitRange",
            "PriorityClass",
            "ServiceAccount",
            "ClusterRole",
            "Role",
            "ClusterRoleBinding",
            "RoleBinding",
            "ConfigMap",
            "Secret",
            "Certificate",
            "Deployment",
            "DaemonSet",
            "StatefulSet",
            "Service",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "PeerAuthentication",
            "Gateway",
            "ServiceEntry",
            "DestinationRule",
            "VirtualService",
            "Sidecar",
            "RequestAuthentication",
            "AuthorizationPolicy",
            "Telemetry",
            "EnvoyFilter",
        ]
    )
}
"""Tie-break order for objects that are ready at the same time (dependencies always come first)."""


def _apply_order(
    resources: Sequence[RegisteredResource], by_urn: Mapping[str, RegisteredResource]
) -> list[RegisteredResource]:
    """Order the Kubernetes objects so that every object comes after what it depends on.

    A resource depends on its recorded dependencies, its explicit provider, its custom ancestors
    and everything its ancestors depend on (a child registers only once its parent has, and the
    parent waits for its own dependencies; the SDK does not copy them into the child's request).
    A dependency on a local component means all its custom (or remote) descendants, as in the
    SDK. Dependencies through resources that are not manifests (tls keys, providers, components)
    are followed through. Ties go to the earlier registration.
    """
    children: dict[str, list[RegisteredResource]] = {}
    for resource in resources:
        if resource.parent:
            children.setdefault(resource.parent, []).append(resource)

    def expand(urn: str) -> set[str]:
        """A dependency on a component is a dependency on its custom descendants."""
        target = by_urn.get(urn)
        if target is None:
            return set()
        if not target.is_component:
            return {urn}
        found: set[str] = set()
        queue = list(children.get(urn, ()))
        while queue:
            child = queue.pop()
            if child.is_component:
                queue.extend(children.get(child.urn, ()))
            else:
                found.add(child.urn)
        return found

    inherited: dict[str, frozenset[str]] = {}

    def from_ancestors(resource: RegisteredResource) -> frozenset[str]:
        """What a resource waits for through its parent chain (memoised, iterative)."""
        chain: list[RegisteredResource] = []
        node: RegisteredResource | None = resource
        while node is not None and node.urn not in inherited:
            chain.append(node)
            node = by_urn.get(node.parent) if node.parent else None
        for child in reversed(chain):
            parent = by_urn.get(child.parent) if child.parent else None
            if parent is None:
                inherited[child.urn] = frozenset()
                continue
            deps = inherited[parent.urn] | parent.dependencies
            inherited[child.urn] = deps | {parent.urn} if parent.custom else deps
        return inherited[resource.urn]

    direct: dict[str, frozenset[str]] = {}
    for resource in resources:
        raw = set(resource.dependencies) | from_ancestors(resource)
        if resource.provider:
            raw.add(resource.provider)
        expanded: set[str] = set()
        for urn in raw:
            expanded |= expand(urn)
        expanded.discard(resource.urn)
        direct[resource.urn] = frozenset(expanded)

    objects = {r.urn for r in resources if r.kubernetes_type is not None}
    through: dict[str, frozenset[str]] = {}  # objects reachable from a non-object node

    def object_deps(urn: str, visiting: frozenset[str] = frozenset()) -> frozenset[str]:
        found: set[str] = set()
        for dep in direct.get(urn, frozenset()):
            if dep in objects:
                found.add(dep)
            elif dep in through:
                found |= through[dep]
            elif dep not in visiting:
                reach = object_deps(dep, visiting | {dep})
                through[dep] = reach
                found |= reach
        return frozenset(found)

    edges = {urn: object_deps(urn) for urn in objects}
    waiting_on = {urn: len(deps) for urn, deps in edges.items()}
    dependents: dict[str, list[str]] = {}
    for urn, deps in edges.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(urn)

    def rank(urn: str) -> tuple[int, str, str, int]:
        # Among objects whose dependencies are all applied: kubectl-style kind order, then
        # namespace and name. Never the registration order alone: the SDK resolves Outputs in an
        # order that can change between runs, and the files must not.
        res = by_urn[urn]
        kind = res.kubernetes_type
        meta = _metadata(res.inputs)
        return (
            _KIND_RANK.get(kind[1] if kind else "", len(_KIND_RANK)),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or res.name),
            res.index,
        )

    ready = [(*rank(urn), urn) for urn, count in waiting_on.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[RegisteredResource] = []
    while ready:
        *_, urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for dependent in dependents.get(urn, ()):
            waiting_on[dependent] -= 1
            if waiting_on[dependent] == 0:
                heapq.heappush(ready, (*rank(dependent), dependent))
    if len(ordered) != len(objects):
        stuck = sorted(by_urn[urn].name for urn, count in waiting_on.items() if count > 0)
        raise OfflineError(f"the Kubernetes objects depend on each other in a cycle: {', '.join(stuck)}")
    return ordered


def _manifest_body(resource: RegisteredResource) -> dict[str, Any]:
    identity = resource.kubernetes_type
    if identity is None:
        raise ValueError(f"{resource.type} {show(resource.name)} is not a Kubernetes object")
    api_version, kind = identity
    rest = _sorted_plain({k: v for k, v in resource.inputs.items() if k not in ("apiVersion", "kind")})
    body: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    if "metadata" in rest:
        body["metadata"] = rest.pop("metadata")
    body.update(rest)
    return body


class _ManifestDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings (PEM, scripts) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def dump_manifest(body: Mapping[str, Any]) -> str:
    """Serialise one object as YAML, keeping the key order of ``body`` (see :class:`Manifest`)."""
    return yaml.dump(
        dict(body),
        Dumper=_ManifestDumper,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        width=_YAML_WIDTH,
    )


@dataclass(frozen=True)
class RenderResult:
    """What :func:`write_render` wrote.

    Attributes:
        out_dir: The output directory.
        manifests: The objects written, in apply order.
        graph_file: The path of ``graph.json``.
        removed: Names of files from an earlier render that were deleted.
    """

    out_dir: Path
    manifests: tuple[Manifest, ...]
    graph_file: Path
    removed: tuple[str, ...]

    @property
    def files(self) -> list[Path]:
        """Every file written: the manifests in apply order, then graph.json."""
        return [self.out_dir / m.filename for m in self.manifests] + [self.graph_file]


def write_render(recording: Recording, out_dir: Path | str) -> RenderResult:
    """Write one YAML file per Kubernetes object and ``graph.json`` into ``out_dir``.

    Files of an earlier render (``NNN-*.yaml`` and ``graph.json``) are removed first; no other file
    is touched. Everything is computed before anything is deleted. The same recording always gives
    the same bytes.

    Raises:
        OfflineError: If the dependencies form a cycle.
        OSError: If the directory cannot be written.
    """
    out = Path(out_dir)
    manifests = tuple(recording.manifests())
    contents = {m.filename: dump_manifest(m.body) for m in manifests}
    graph_text = json.dumps(graph(recording), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    removed = []
    for path in sorted(out.iterdir()):
        if path.is_file() and (path.name == GRAPH_FILE or _RENDERED_FILE.match(path.name)):
            path.unlink()
            removed.append(path.name)
    for filename, text in contents.items():
        (out / filename).write_bytes(text.encode("utf-8"))
    graph_file = out / GRAPH_FILE
    graph_file.write_bytes(graph_text.encode("utf-8"))
    stale = tuple(name for name in removed if name not in contents and name != GRAPH_FILE)
    return RenderResult(out, manifests, graph_file, stale)
