"""The analysis engine: every check over a set of manifests, in one call.

:func:`analyze_manifests` is what ``meshgw check``, ``meshgw render`` and the tests run. It takes
any Kubernetes and Istio objects, ours or a user's, and runs, per object and then across objects:

1. schema validation against the vendored Istio CRDs and the Kubernetes OpenAPI schemas
   (:mod:`.schema`; IST0106, MGW0106), and the CRDs' CEL rules (:mod:`.crd_rules`; MGW0109, left
   out where an admission rule below reports the same path);
2. Istio's admission rules that the schemas do not enforce, and DNS-1123 names (:mod:`.admission`;
   IST0106, IST0133, MGW0106);
3. the cross-object analyzers of :mod:`.analyzers` (one module per concern: gateway,
   virtualservice, destinationrule, serviceentry, authz, injection), over one
   :class:`~.index.MeshIndex` built once per input, and the policy ports of :mod:`.policy_ports`
   (MGW0208);
4. the egress-gateway consistency checks (:mod:`.egress`; MGW0301-MGW0306);
5. checks that need the whole set at once: the same object twice (MGW0107), and egress client
   namespaces left without a lock-down (MGW0203).

``docs/checks.md`` documents every code with an example and the fix. Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ._access import Key, Manifest, api_group, key_of, mapping, seq
from .admission import admission_diagnostics
from .crd_rules import CRD_RULE_CODE
from .diagnostics import Diagnostic, Level
from .egress import check_egress_consistency
from .envoy_filter import check_envoy_filters
from .index import ISTIO_NETWORKING_GROUP, MeshIndex, gateway_ref
from .policy_ports import check_policy_ports
from .schema import validate_manifest

__all__ = ["analyze_manifests"]


def analyze_manifests(
    objs: Iterable[Mapping[str, Any]], *, index: MeshIndex | None = None, schema: bool = True
) -> list[Diagnostic]:
    """Run every check over ``objs`` and return the findings.

    Args:
        objs: Kubernetes and Istio objects as plain data, in apply order. Anything else (a list, a
            string, a malformed object) is reported, never raised.
        index: An index that already holds objects declared elsewhere (external Gateways, Services,
            Secrets, workloads); ``objs`` are added to it. Default: a fresh index for which ``objs``
            are the whole input (``hosts_complete``: a destination host that names no Service or
            ServiceEntry among them is IST0101, as in ``istioctl analyze``).
        schema: Validate each object against its schema. Turning it off skips the most expensive
            step when the objects are known to be well formed (rendered by this library).

    Returns:
        The diagnostics, without duplicates, ordered by the position of the object they are about
        (objects in input order), then by path and code.
    """
    items = list(objs)
    manifests = [o for o in items if isinstance(o, Mapping)]
    position: dict[Key, int] = {}
    for i, obj in enumerate(manifests):
        position.setdefault(key_of(obj), i)

    found: list[Diagnostic] = []
    malformed: set[int] = set()  # ids of objects with schema errors
    for obj in items:
        per_object = validate_manifest(obj) if schema else []
        structural = [d for d in per_object if d.code != CRD_RULE_CODE]
        if structural and isinstance(obj, Mapping):
            malformed.add(id(obj))
        covered = [d.path for d in structural]
        admission = [d for d in admission_diagnostics(obj) if not _covered(d.path, covered)]
        found.extend(structural)
        found.extend(admission)
        # A CRD rule that Istio's webhook rule already reports at the same path adds nothing.
        reported = {d.path for d in admission}
        found.extend(d for d in per_object if d.code == CRD_RULE_CODE and d.path not in reported)
    found.extend(_duplicates(manifests))

    # The input boundary: only objects with a well-typed envelope reach the cross-object checks.
    # The others were reported above by the schema (or are reported here when it is off).
    admitted = [o for o in manifests if _envelope_ok(o)]
    if not schema:
        found.extend(d for o in manifests if not _envelope_ok(o) for d in validate_manifest(o))
    idx = index
    if idx is None:
        idx = MeshIndex()
        idx.hosts_complete = True
    idx.add(admitted)  # everything first, so that references may point forward
    found.extend(idx.check(admitted))
    found.extend(check_policy_ports(idx, admitted))
    found.extend(_egress(admitted, malformed if schema else None))
    found.extend(_client_lockdown(admitted))
    found.extend(check_envoy_filters(admitted))

    unique = list(dict.fromkeys(found))
    last = len(manifests)
    return sorted(
        unique,
        key=lambda d: (
            position.get((d.kind, d.namespace, d.name), last),
            _path_key(d.path),
            d.code,
            d.message,
        ),
    )


def _envelope_ok(obj: Manifest) -> bool:
    """Whether ``obj`` has what every cross-object check reads without looking: string
    ``apiVersion`` and ``kind``, a ``metadata`` mapping with a string ``name`` (and ``namespace``
    when given), string-keyed ``labels``, and a ``spec`` that is a mapping when present."""
    meta = obj.get("metadata")
    if not (isinstance(obj.get("apiVersion"), str) and isinstance(obj.get("kind"), str)):
        return False
    if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str):
        return False
    if meta.get("namespace") is not None and not isinstance(meta.get("namespace"), str):
        return False
    labels = meta.get("labels")
    if labels is not None and not (isinstance(labels, Mapping) and all(isinstance(k, str) for k in labels)):
        return False
    spec = obj.get("spec")
    return spec is None or (isinstance(spec, Mapping) and all(isinstance(k, str) for k in spec))


def _covered(path: str, schema_paths: list[str]) -> bool:
    """Whether the schema already reported a problem at, above or below ``path``."""
    for s in schema_paths:
        if path == s or not s or not path:
            return True
        if path.startswith(s) and path[len(s)] in ".[":
            return True
        if s.startswith(path) and s[len(path)] in ".[":
            return True
    return False


def _path_key(path: str) -> tuple[tuple[int, int, str], ...]:
    parts: list[tuple[int, int, str]] = []
    for chunk in path.replace("]", "").split("."):
        name, *indices = chunk.split("[")
        if name:
            parts.append((1, 0, name))
        parts.extend((0, int(i), "") if i.isascii() and i.isdecimal() else (1, 0, i) for i in indices)
    return tuple(parts)


def _duplicates(manifests: list[Manifest]) -> list[Diagnostic]:
    """MGW0107: the same object (group, kind, namespace, name) more than once."""
    seen: dict[tuple[str, Key], int] = {}
    out: list[Diagnostic] = []
    for i, obj in enumerate(manifests):
        key = key_of(obj)
        if not key[0] or not key[2]:
            continue  # the schema reports objects without kind or name
        ident = (api_group(obj), key)
        if ident in seen:
            out.append(
                Diagnostic(
                    "MGW0107",
                    Level.ERROR,
                    *key,
                    "metadata.name",
                    f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]} is defined more than once (first as "
                    f"object {seen[ident] + 1} of the input, again as object {i + 1}); the later one "
                    "silently replaces the earlier on apply. Rename one, or merge them",
                )
            )
        seen.setdefault(ident, i)
    return out


def _egress(manifests: list[Manifest], malformed: set[int] | None) -> list[Diagnostic]:
    """The egress consistency checks (:mod:`.egress`). They read the shapes the schema guarantees,
    so they only see Istio objects without schema errors."""
    candidates = [m for m in manifests if _istio(m)]
    if malformed is not None:
        return check_egress_consistency([m for m in candidates if id(m) not in malformed])
    try:
        return check_egress_consistency(candidates)
    except (AttributeError, TypeError, KeyError, ValueError):
        # Not schema-checked, and malformed: validate now and retry with the well-formed objects.
        # A second failure would be a bug in the checks and propagates.
        return check_egress_consistency([m for m in candidates if not validate_manifest(m)])


def _istio(obj: Manifest) -> bool:
    return api_group(obj).endswith("istio.io")


def _client_lockdown(manifests: list[Manifest]) -> list[Diagnostic]:
    """MGW0203: a namespace that an egress route serves, with nothing that keeps its pods from
    leaving directly (no REGISTRY_ONLY Sidecar, no egress NetworkPolicy)."""
    gateways: set[tuple[str, str]] = set()
    sidecars: set[str] = set()
    policies: set[str] = set()
    routes: list[Manifest] = []
    for obj in manifests:
        kind, ns, name = key_of(obj)
        group = api_group(obj)
        spec = mapping(obj.get("spec"))
        if group == ISTIO_NETWORKING_GROUP and kind == "Gateway":
            gateways.add((ns, name))
        elif group == ISTIO_NETWORKING_GROUP and kind == "VirtualService":
            routes.append(obj)
        elif group == ISTIO_NETWORKING_GROUP and kind == "Sidecar":
            mode = mapping(spec.get("outboundTrafficPolicy")).get("mode")
            if mode == "REGISTRY_ONLY" and not spec.get("workloadSelector"):
                sidecars.add(ns)
        elif group == "networking.k8s.io" and kind == "NetworkPolicy":
            types = seq(spec.get("policyTypes"))
            everyone = not mapping(mapping(spec.get("podSelector")).get("matchLabels")) and not seq(
                mapping(spec.get("podSelector")).get("matchExpressions")
            )
            if everyone and ("Egress" in types or "egress" in spec):
                policies.add(ns)
    out: list[Diagnostic] = []
    for vs in routes:
        key = key_of(vs)
        spec = mapping(vs.get("spec"))
        refs = [r for r in seq(spec.get("gateways")) if isinstance(r, str)]
        if "mesh" not in refs:
            continue
        via = []
        for ref in refs:
            target = gateway_ref(ref, key[1])
            if ref != "mesh" and target in gateways:
                via.append(target)
        if not via:
            continue
        export_to = spec.get("exportTo")
        clients = sorted(
            {key[1] if e == "." else e for e in seq(export_to) if isinstance(e, str) and e != "*"}
            - {ns for ns, _ in via}
        )
        hosts = ", ".join(h for h in seq(spec.get("hosts")) if isinstance(h, str))
        for ns in clients:
            missing = []
            if ns not in sidecars:
                missing.append("namespace-wide Sidecar with outboundTrafficPolicy REGISTRY_ONLY")
            if ns not in policies:
                missing.append("NetworkPolicy that restricts egress for every pod")
            if not missing:
                continue
            out.append(
                Diagnostic(
                    "MGW0203",
                    Level.WARNING,
                    *key,
                    "spec.exportTo",
                    f"namespace {ns} reaches {hosts} through egress gateway "
                    f"{', '.join(f'{g[0]}/{g[1]}' for g in via)}, but has no {' and no '.join(missing)}; "
                    "Istio cannot force traffic through an egress gateway by itself, so its pods can "
                    "still connect directly. Add both to the namespace",
                )
            )
    return out
