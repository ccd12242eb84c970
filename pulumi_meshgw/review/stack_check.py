"""``meshgw check`` over a Pulumi stack's resources: what the policy pack (``policypack/``) runs.

A stack-level policy sees every resource of the stack at once, with its type token, its properties
and its URN. Every Kubernetes object among them (typed resources such as ``kubernetes:core/v1:
Service``, and ``CustomResource`` s such as ``kubernetes:networking.istio.io/v1:VirtualService``,
whether our components made them or the program did) becomes a manifest, and the whole set goes
through :func:`~pulumi_meshgw.analysis.analyze_manifests`, so cross-object checks (a route whose
host no gateway serves, a secret in the wrong namespace) work as in ``meshgw check``. Each finding
comes back with the URN of the resource it is about.

This module is pure: resources are duck-typed (``resource_type``, ``props``, ``urn``, ``name``, as
``pulumi_policy.PolicyResource`` has them), so it runs without the policy SDK.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from ..analysis import Diagnostic, Level, MeshIndex, analyze_manifests
from ..analysis._access import CLUSTER_SCOPED_KINDS, key_of, mapping
from ..spec._base import problems_from_validation_error
from ..spec.external import ExternalObject

__all__ = ["StackFinding", "StackResource", "manifest_of", "stack_findings"]

UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine marks a string unknown during a preview (the same in every Pulumi SDK)."""
_UNKNOWNS = frozenset(
    {
        UNKNOWN_WIRE,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
"""Every unknown sentinel the policy SDK knows (``pulumi_policy/proxy.py``)."""
_PROXIES = frozenset({"_ListProxy", "_DictProxy"})
"""The policy SDK's unknown-checking wrappers (``pulumi_policy.proxy``): reading an unknown through
one raises, so the wrapped container is read instead, under the key the SDK itself uses."""

_TYPE = re.compile(r"^kubernetes:(?P<module>[^:]+):(?P<kind>[A-Za-z0-9]+)$")
# Types of the kubernetes package that are not objects to apply: Helm releases, and the
# components that expand YAML, Kustomize and Helm charts (their children are listed on their own).
_NOT_OBJECTS = frozenset({"helm.sh", "yaml", "kustomize"})
_SECRET_KINDS = frozenset({"Secret"})
_DROPPED = ("status",)
"""Fields a controller writes; they are not part of the desired state the checks are about."""
_SERVER_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
"""Metadata the API server fills in; the properties a policy sees are outputs, so they carry it."""


class StackResource(Protocol):
    """What the analysis reads of a resource (``pulumi_policy.PolicyResource`` has it)."""

    @property
    def resource_type(self) -> str: ...

    @property
    def props(self) -> Mapping[str, Any]: ...

    @property
    def urn(self) -> str: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class StackFinding:
    """A finding about a stack resource.

    Attributes:
        level: Error, warning or info, as ``meshgw check`` reports it.
        message: ``CODE Kind namespace/name path: message``.
        urn: The resource it is about, or None for a finding about the configuration itself.
        code: The ``IST``/``MGW`` code.
    """

    level: Level
    message: str
    urn: str | None
    code: str


def _plain(value: Any) -> Any:
    """``value`` as plain JSON: unknowns as "[unknown]", SDK wrappers unwrapped, whole numbers int.

    The engine sends properties as a protobuf ``Struct``, where every number is a double; a
    Kubernetes integer field (a port, a replica count) arrives as ``443.0`` and is ``443`` again.
    """
    if type(value).__name__ in _PROXIES:
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str) and value in _UNKNOWNS:
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if hasattr(value, "value") and type(value).__name__ == "Secret":
        return _plain(value.value)
    return value


def manifest_of(resource_type: str, props: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The Kubernetes object a Pulumi resource applies, or None if it is not one.

    Args:
        resource_type: The type token, ``kubernetes:<group>/<version>:<Kind>`` (``core/v1`` is
            apiVersion ``v1``).
        props: The resource's properties.
        name: The Pulumi resource name, used when ``metadata.name`` is not known.

    Returns:
        The object with ``apiVersion`` and ``kind`` from the token, ``metadata.namespace``
        ``default`` when a namespaced object names none (as the provider applies it), ``status``
        and server-filled metadata (``uid``, ``resourceVersion``, ...) dropped, and Secret values
        masked as ``[secret]``.
    """
    match = _TYPE.match(resource_type)
    if match is None:
        return None
    module, kind = match["module"], match["kind"]
    group, _, version = module.rpartition("/")
    if group in _NOT_OBJECTS or kind.endswith(("Patch", "List")):
        return None
    body = {k: v for k, v in _plain(props).items() if k not in _DROPPED}
    body["apiVersion"] = version if group in ("core", "") else module
    body["kind"] = kind
    meta = {k: v for k, v in mapping(body.get("metadata")).items() if k not in _SERVER_METADATA}
    meta.setdefault("name", name)
    if kind not in CLUSTER_SCOPED_KINDS and not meta.get("namespace"):
        meta["namespace"] = "default"
    body["metadata"] = meta
    if kind in _SECRET_KINDS:
        for field in ("data", "stringData"):
            if isinstance(body.get(field), Mapping):
                body[field] = dict.fromkeys(body[field], "[secret]")
    return body


def _declare(index: MeshIndex, external: Sequence[Any]) -> list[StackFinding]:
    out: list[StackFinding] = []
    for i, item in enumerate(external):
        try:
            index.declare(ExternalObject.model_validate(item))
        except ValidationError as err:
            for p in problems_from_validation_error(err, ExternalObject, ("external", i), item):
                out.append(
                    StackFinding(Level.ERROR, f"{p.code} policy config {p.path}: {p.message}", None, p.code)
                )
    return out


def _message(d: Diagnostic) -> str:
    subject = " ".join(part for part in (d.kind, d.object_ref) if part)
    where = f" {d.path}" if d.path else ""
    return f"{d.code} {subject}{where}: {d.message}"


def stack_findings(resources: Iterable[StackResource], *, external: Sequence[Any] = ()) -> list[StackFinding]:
    """Run ``meshgw check``'s analysis over a stack's Kubernetes resources.

    Args:
        resources: Every resource of the stack; the ones that are not Kubernetes objects (the
            Stack, providers, components, other clouds) are skipped.
        external: Objects that exist outside the stack (another team's Gateway, a cert-manager
            Secret), in the shape of ``meshgw:external`` items (``docs/checks.md``), so references
            to them are not reported as missing.

    Returns:
        The findings in the analysis order, each with the URN of its resource.
    """
    index = MeshIndex()
    findings = _declare(index, external)
    objects: list[dict[str, Any]] = []
    urns: dict[tuple[str, str, str], str] = {}
    for r in resources:
        body = manifest_of(r.resource_type, r.props, r.name)
        if body is None:
            continue
        objects.append(body)
        urns.setdefault(key_of(body), r.urn)
    for d in analyze_manifests(objects, index=index):
        findings.append(StackFinding(d.level, _message(d), urns.get((d.kind, d.namespace, d.name)), d.code))
    return findings
