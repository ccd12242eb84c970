"""What a run recorded: resources with parents, dependencies and secrets; the errors of the
offline engine; and the placeholders that stand for secret and unknown values."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from pulumi_meshgw.errors import MeshgwError, show

SECRET = "[secret]"
"""What a secret value becomes in a Recording, a manifest, graph.json and offline stack config."""

UNKNOWN = "[unknown]"
"""What a value that is unknown during a preview becomes."""

GRAPH_FILE = "graph.json"

# Wire-format markers of the Pulumi resource protocol (pulumi/runtime/rpc.py; the same values in
# every SDK). They are protocol constants, so we match on them instead of importing SDK privates.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

_STACK_TYPE = "pulumi:pulumi:Stack"
_K8S_TYPE = re.compile(r"\Akubernetes:(?P<module>[^:]+):(?P<kind>[A-Za-z0-9]+)\Z")
# Custom resources of the kubernetes package that are not Kubernetes objects (helm.sh/v3:Release)
# or are remote components (yaml/v2, kustomize/v2, helm.sh/v4) and never have a body to apply.
_NOT_OBJECT_GROUPS = frozenset({"helm.sh", "yaml", "kustomize"})
_RENDERED_FILE = re.compile(r"\A\d{3,}-.+\.yaml\Z")
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
# Wide enough that PyYAML never folds a long string over two lines: folded scalars are valid YAML
# but make one-field changes show up as multi-line diffs.
_YAML_WIDTH = 1 << 20

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class OfflineError(MeshgwError):
    """The offline engine cannot do what was asked (bad project, duplicate resource, cycle)."""


class ProjectError(OfflineError):
    """A ``Pulumi.yaml`` or ``Pulumi.<stack>.yaml`` file is missing or cannot be used."""


class DuplicateUrnError(OfflineError):
    """Two resources share a URN. The mock runtime would silently keep the last; the engine fails.

    The run finishes first and the error names the topmost duplicate (the fewest parent types,
    then the URN in text order), so the same program gives the same message on every run, and it
    names the component each of the two declarations was made under.

    Attributes:
        urn: The URN registered twice (a mock URN; see the module notes).
    """

    code = "MGW0101"  # two things of one kind with one name, as in config

    def __init__(
        self, urn: str, type_: str, name: str, first_parent: str | None, second_parent: str | None
    ) -> None:
        self.urn = urn
        where = (
            f"first under {_describe_urn(first_parent)}, again under {_describe_urn(second_parent)}"
            if first_parent != second_parent
            else f"both under {_describe_urn(first_parent)}"
        )
        super().__init__(
            f"duplicate resource URN {show(urn)}: a {type_} named {show(name)} is declared twice ({where}); "
            "a URN holds the parent's type but not its name, so give the resources unique names "
            "(prefix child names with the component's name)"
        )


def _describe_urn(urn: str | None) -> str:
    """``<type> 'name'`` of a URN, or ``the stack`` for none."""
    if not urn:
        return "the stack"
    head, _, name = urn.rpartition("::")
    return f"{head.rpartition('::')[2].rpartition('$')[2]} {show(name)}"


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogMessage:
    """A message the program logged through ``pulumi.log`` (or the SDK logged for it).

    Attributes:
        severity: ``info``, ``warning`` or ``error``.
        message: The text.
    """

    severity: str
    message: str


@dataclass(frozen=True)
class RegisteredResource:
    """One resource registration, as the engine would have seen it.

    Attributes:
        index: Position in registration order, from 0 (the Stack).
        urn: The URN, as the engine forms it (the parent's whole type chain).
        type: The type token, e.g. ``kubernetes:apps/v1:Deployment``.
        name: The Pulumi resource name.
        parent: The parent's URN, or None for the Stack.
        custom: True for provider-managed resources, False for components and the Stack.
        remote: True for multi-language (remote) components; their children are never registered.
        inputs: The inputs with camelCase wire names, secrets replaced by ``"[secret]"`` and
            integral numbers as ints. Keys are sorted.
        dependencies: URNs this resource depends on: ``depends_on`` plus every property dependency.
        property_dependencies: The dependency URNs per input property.
        secret_fields: Top-level input fields holding a secret anywhere inside them.
        provider: The URN of an explicit provider, or None for the default provider.
        read: True when read with ``.get()`` (it exists outside the program; never rendered).
        outputs: What a component passed to ``register_outputs`` (secrets replaced).
        aliases: The URNs this resource was known by before (its own ``aliases`` and those it
            inherits from its parents'), as the engine matches them against the state.
        protect: Whether ``protect`` is set (given or inherited from the parent).
        retain_on_delete: Whether ``retain_on_delete`` is set.
    """

    index: int
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: Mapping[str, Any]
    dependencies: frozenset[str] = frozenset()
    property_dependencies: Mapping[str, frozenset[str]] = field(default_factory=dict)
    secret_fields: frozenset[str] = frozenset()
    remote: bool = False
    provider: str | None = None
    read: bool = False
    outputs: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False

    @property
    def has_secrets(self) -> bool:
        """Whether any input holds a secret."""
        return bool(self.secret_fields)

    @property
    def is_stack(self) -> bool:
        """Whether this is the root ``pulumi:pulumi:Stack`` resource."""
        return self.type == _STACK_TYPE

    @property
    def is_component(self) -> bool:
        """Whether this is a local component (its children are registered too)."""
        return not self.custom and not self.remote

    @cached_property
    def kubernetes_type(self) -> tuple[str, str] | None:
        """``(apiVersion, kind)`` if this resource is a Kubernetes object to apply, else None.

        The apiVersion comes from the type token's module: ``core/v1`` is ``v1``, any other
        ``<group>/<version>`` stays as it is. Patch resources (``DeploymentPatch``) send the
        patched kind in their inputs, which differs from the token's kind; they are not objects.
        """
        if not self.custom or self.read:
            return None
        match = _K8S_TYPE.match(self.type)
        if match is None:
            return None
        module, kind = match["module"], match["kind"]
        group, _, version = module.rpartition("/")
        if group in _NOT_OBJECT_GROUPS:
            return None
        declared_kind = self.inputs.get("kind")
        if isinstance(declared_kind, str) and declared_kind != kind:
            return None
        api_version = version if group in ("core", "") else module
        return api_version, kind


@dataclass(frozen=True)
class Manifest:
    """A Kubernetes object to apply, in apply order.

    Attributes:
        order: 1-based position in apply order.
        filename: ``NNN-<kind>-<namespace or cluster>-<name>.yaml``.
        resource: The registration it comes from.
        body: The object: ``apiVersion``, ``kind``, ``metadata`` first, then the other keys sorted;
            nested keys sorted; None values dropped; secrets as ``"[secret]"``.
    """

    order: int
    filename: str
    resource: RegisteredResource
    body: Mapping[str, Any]

    @property
    def api_version(self) -> str:
        """The object's apiVersion."""
        return str(self.body["apiVersion"])

    @property
    def kind(self) -> str:
        """The object's kind."""
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        """``metadata.name``, or the Pulumi name when the provider would auto-name the object."""
        value = _metadata(self.body).get("name")
        return value if isinstance(value, str) else self.resource.name

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace``, or None when it is not set."""
        value = _metadata(self.body).get("namespace")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Recording:
    """Everything one program run registered, with no plaintext secrets.

    Attributes:
        project: The project name the program ran under.
        stack: The stack name the program ran under.
        preview: Whether it ran as a preview (unknown outputs stay unknown).
        resources: Every registration, in registration order; the Stack is first.
        outputs: The stack outputs (``pulumi.export``), secrets as ``"[secret]"``.
        secret_outputs: Names of the stack outputs that were secret.
        logs: Messages logged at info level and above.
        config: The stack's config the program ran with (full keys), secret values as
            ``"[secret]"``; empty when the program ran without a stack file.
    """

    project: str
    stack: str
    preview: bool
    resources: tuple[RegisteredResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    logs: tuple[LogMessage, ...] = ()
    config: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def _by_urn(self) -> dict[str, RegisteredResource]:
        return {r.urn: r for r in self.resources}

    def by_urn(self, urn: str) -> RegisteredResource:
        """Return the resource with this URN.

        Raises:
            KeyError: If no resource has it.
        """
        return self._by_urn[urn]

    def by_name(self, name: str, type_: str | None = None) -> RegisteredResource:
        """Return the one resource with this Pulumi name (and type, if given).

        Args:
            name: The Pulumi resource name.
            type_: A type token, to choose between resources of different types sharing a name.

        Raises:
            KeyError: If there is none, or more than one.
        """
        found = [r for r in self.resources if r.name == name and type_ in (None, r.type)]
        if len(found) != 1:
            what = f"{show(name)}" + (f" of type {type_}" if type_ else "")
            if not found:
                raise KeyError(f"no resource named {what}")
            raise KeyError(f"{len(found)} resources named {what}: " + ", ".join(r.type for r in found))
        return found[0]

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """Return the resources of this type token, in registration order."""
        return [r for r in self.resources if r.type == type_]

    def parent_of(self, resource: RegisteredResource) -> RegisteredResource | None:
        """Return the parent of a resource, or None for the Stack."""
        return self._by_urn.get(resource.parent) if resource.parent else None

    def manifests(self) -> list[Manifest]:
        """Return the Kubernetes objects in apply order.

        Raises:
            OfflineError: If the dependencies form a cycle.
        """
        return list(self._manifests)

    @cached_property
    def _manifests(self) -> tuple[Manifest, ...]:
        # The apply order lives with the manifest writer, which imports this module.
        from .manifests import _apply_order, _manifest_body

        ordered = _apply_order(self.resources, self._by_urn)
        width = max(3, len(str(len(ordered))))
        out: list[Manifest] = []
        for position, resource in enumerate(ordered, start=1):
            body = _manifest_body(resource)
            name = _metadata(body).get("name")
            namespace = _metadata(body).get("namespace")
            filename = "-".join(
                (
                    f"{position:0{width}d}",
                    _safe_filename_part(str(body["kind"]).lower()),
                    _safe_filename_part(namespace if isinstance(namespace, str) else "cluster"),
                    _safe_filename_part(name if isinstance(name, str) else resource.name),
                )
            )
            out.append(Manifest(position, f"{filename}.yaml", resource, body))
        return tuple(out)


def _metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _safe_filename_part(text: str) -> str:
    return _UNSAFE_FILENAME_CHARS.sub("_", text) or "_"


def _sorted_plain(value: Any) -> Any:
    """Sort map keys at every level and drop None map values (unset, for kubectl)."""
    if isinstance(value, Mapping):
        return {key: _sorted_plain(value[key]) for key in sorted(value) if value[key] is not None}
    if isinstance(value, list):
        return [_sorted_plain(item) for item in value]
    return value
