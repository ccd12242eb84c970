"""The resource graph of a recording (``graph.json``): every resource with its parent and
dependencies."""

from __future__ import annotations

from typing import Any

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from .recording import Recording, RegisteredResource, _sorted_plain


def graph(recording: Recording) -> dict[str, Any]:
    """Describe every registered resource as plain JSON-ready data.

    Resources are listed as a tree walk: the Stack, then each resource followed by its children,
    siblings sorted by type and name. Registration order is not used: it can change between runs.

    Each entry has ``type``, ``name``, ``kind`` and ``namespace`` (Kubernetes objects only, else
    None), ``parent`` (the parent's name), ``dependencies`` (sorted names), ``file`` (the
    manifest's file name) and ``custom``.
    """
    files = {m.resource.urn: m for m in recording.manifests()}
    names = {r.urn: r.name for r in recording.resources}
    children: dict[str | None, list[RegisteredResource]] = {}
    for resource in recording.resources:
        children.setdefault(resource.parent, []).append(resource)
    walk: list[RegisteredResource] = []
    stack = sorted(children.get(None, []), key=lambda r: (r.type, r.name), reverse=True)
    while stack:
        node = stack.pop()
        walk.append(node)
        stack.extend(sorted(children.get(node.urn, []), key=lambda r: (r.type, r.name), reverse=True))
    seen = {r.urn for r in walk}
    walk.extend(r for r in recording.resources if r.urn not in seen)  # parents never registered
    entries = []
    for resource in walk:
        manifest = files.get(resource.urn)
        entries.append(
            {
                "type": resource.type,
                "name": resource.name,
                "kind": manifest.kind if manifest else None,
                "namespace": manifest.namespace if manifest else None,
                "parent": names.get(resource.parent) if resource.parent else None,
                "dependencies": sorted({names[urn] for urn in resource.dependencies if urn in names}),
                "file": manifest.filename if manifest else None,
                "custom": resource.custom,
            }
        )
    return {
        "project": recording.project,
        "stack": recording.stack,
        "outputs": _sorted_plain(dict(recording.outputs)),
        "resources": entries,
    }
