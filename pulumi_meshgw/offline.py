"""Run a Pulumi program in-process, with no CLI, engine or cluster, and render what it registers.

``meshgw render`` evaluates a stack's program under the Pulumi SDK's mock runtime: a mock "engine"
that echoes every resource's inputs back as its outputs. A recording monitor (the supported hook,
``set_mocks(..., monitor=...)``) sees every registration with its parent, dependencies and secrets.
The result is a :class:`Recording`, from which this module derives Kubernetes manifests in apply
order and a resource graph.

Fidelity notes, each checked against pulumi 3.272 (see ``shared/notes/pulumi.md`` for the rest):

* The program runs on its own thread, with a fresh ``contextvars`` context and a fresh event loop,
  so nothing from one run (runtime settings, the root Stack, config) is visible to the next and the
  caller's own event loop is never touched.
* The SDK sends every RPC through the event loop's default executor, a thread pool, so resources
  reach the monitor in an order that varies from run to run. We install an executor that runs one
  RPC at a time and waits for it: the monitor then sees registrations in a reproducible order.
* ``set_mocks`` creates the root Stack and registers its outputs at once, so ``pulumi.export``
  calls made later never reach the monitor. We let ``pulumi.runtime.run_in_stack`` (the entry
  point of the real language host) create and finish the Stack instead.
* The mock does not apply ``additionalSecretOutputs``; the engine does. We do it in the monitor.
* Secrets are replaced by ``"[secret]"`` as the wire format is read; plaintext never enters a
  :class:`Recording`, and the monitor's own copy is dropped when the run ends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import heapq
import inspect
import json
import logging
import os
import re
import runpy
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import pulumi
import yaml

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import resource_pb2

from pulumi_meshgw.errors import MeshgwError, show
from pulumi_meshgw.spec.yaml_input import YamlInputError, load_one

__all__ = [
    "SECRET",
    "UNKNOWN",
    "DuplicateUrnError",
    "LogMessage",
    "Manifest",
    "OfflineError",
    "Project",
    "ProjectError",
    "Recording",
    "RecordingMonitor",
    "RegisteredResource",
    "RenderResult",
    "StackConfig",
    "dump_manifest",
    "find_project",
    "graph",
    "load_project",
    "load_stack_config",
    "normalize_config",
    "run_program",
    "run_stack",
    "write_render",
]

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
        urn: The mock URN. It differs from an engine URN (see the notes); compare by name instead.
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
    """

    project: str
    stack: str
    preview: bool
    resources: tuple[RegisteredResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    secret_outputs: frozenset[str] = frozenset()
    logs: tuple[LogMessage, ...] = ()

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


# --------------------------------------------------------------------------------------------
# Wire format -> plain Python, with secrets masked
# --------------------------------------------------------------------------------------------


def _plain(value: struct_pb2.Value) -> tuple[Any, bool]:
    """Convert one wire value to plain Python; return it and whether it held a secret.

    We read the protobuf ourselves instead of using ``rpc.deserialize_properties``: the SDK moves
    a nested secret's mark up to the enclosing list or map, which would turn a whole Deployment
    ``spec`` into ``"[secret]"`` because one env var is secret. Here only the secret leaf goes.
    """
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return (UNKNOWN if text == _UNKNOWN_WIRE else text), False
    if kind == "number_value":
        number = value.number_value
        # The wire has no integers: replicas=2 arrives as 2.0.
        return (int(number) if number.is_integer() else number), False
    if kind == "bool_value":
        return value.bool_value, False
    if kind == "list_value":
        items = [_plain(item) for item in value.list_value.values]
        return [item for item, _ in items], any(secret for _, secret in items)
    if kind == "struct_value":
        return _plain_struct(value.struct_value)
    return None, False


def _plain_struct(struct: struct_pb2.Struct) -> tuple[Any, bool]:
    fields = struct.fields
    if _SIG_KEY in fields:
        sig = fields[_SIG_KEY].string_value
        if sig == _SECRET_SIG:
            inner = fields["value"] if "value" in fields else None
            if inner is not None and inner.WhichOneof("kind") == "struct_value":
                # A secret map (a Secret's stringData): its keys are not secret, and showing them
                # lets a reviewer see which keys the Secret carries.
                return {key: SECRET for key in sorted(inner.struct_value.fields)}, True
            return SECRET, True
        if sig == _RESOURCE_SIG:
            return fields["urn"].string_value, False
        if sig == _OUTPUT_VALUE_SIG:
            if "secret" in fields and fields["secret"].bool_value:
                return SECRET, True
            return _plain(fields["value"]) if "value" in fields else (UNKNOWN, False)
        # Assets and archives: keep their description (path, uri or text), drop the marker.
    plain, secret_fields = _plain_mapping(struct)
    return plain, bool(secret_fields)


def _plain_mapping(struct: struct_pb2.Struct) -> tuple[dict[str, Any], frozenset[str]]:
    """Convert a top-level property map; return it (keys sorted) and the keys holding secrets.

    Keys are sorted because protobuf map iteration order is not insertion order.
    """
    out: dict[str, Any] = {}
    secret: set[str] = set()
    for key in sorted(struct.fields):
        if key == _SIG_KEY:
            continue
        out[key], is_secret = _plain(struct.fields[key])
        if is_secret:
            secret.add(key)
    return out, frozenset(secret)


def _is_secret_struct(struct: struct_pb2.Struct) -> bool:
    return _SIG_KEY in struct.fields and struct.fields[_SIG_KEY].string_value == _SECRET_SIG


def _wrap_secret_outputs(outputs: struct_pb2.Struct, keys: Iterable[str]) -> None:
    """Mark these output properties secret in place, as the engine does for additionalSecretOutputs."""
    for key in keys:
        if key not in outputs.fields:
            continue
        current = outputs.fields[key]
        if current.HasField("struct_value") and _is_secret_struct(current.struct_value):
            continue
        inner = struct_pb2.Value()
        inner.CopyFrom(current)
        wrapper = struct_pb2.Struct()
        wrapper.fields[_SIG_KEY].string_value = _SECRET_SIG
        wrapper.fields["value"].CopyFrom(inner)
        outputs.fields[key].struct_value.CopyFrom(wrapper)


# --------------------------------------------------------------------------------------------
# Mocks and the recording monitor
# --------------------------------------------------------------------------------------------


def _pem(label: str, what: str) -> str:
    return f"-----BEGIN {label}-----\nOFFLINE PLACEHOLDER: {what}\n-----END {label}-----\n"


class EchoMocks(pulumi.runtime.Mocks):
    """Mocks that echo every resource's inputs back as its outputs.

    Outputs only a provider can compute are left out (the SDK resolves them to None, or to unknown
    in a preview), except for ``pulumi_tls`` keys and certificates, which programs routinely feed
    into Secrets: those get PEM-shaped placeholders outside previews. Nothing is invented for a
    cluster (no LoadBalancer ``status``), so code that needs one sees what an offline run knows.
    """

    def __init__(self, *, preview: bool = False) -> None:
        self._preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        """Return an id and the outputs for a new resource: its inputs, plus placeholders."""
        outputs = dict(args.inputs)
        if not self._preview:
            outputs.update(_placeholder_outputs(args.typ, args.name))
        return (f"{args.name}_id" if args.custom else ""), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """Answer a provider function call with no values: offline, nothing can be looked up."""
        return {}, None


def _placeholder_outputs(type_: str, name: str) -> dict[str, str]:
    if type_ == "tls:index/privateKey:PrivateKey":
        what = f"tls PrivateKey {show(name)}"
        return {
            "privateKeyPem": _pem("PRIVATE KEY", what),
            "privateKeyPemPkcs8": _pem("PRIVATE KEY", what),
            "privateKeyOpenssh": _pem("OPENSSH PRIVATE KEY", what),
            "publicKeyPem": _pem("PUBLIC KEY", what),
            "publicKeyOpenssh": f"ssh-placeholder OFFLINE-PLACEHOLDER {name}\n",
            "publicKeyFingerprintMd5": "offline-placeholder",
            "publicKeyFingerprintSha256": "offline-placeholder",
        }
    if type_ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
        return {"certPem": _pem("CERTIFICATE", f"{type_.rsplit(':', 1)[-1]} {show(name)}")}
    if type_ == "tls:index/certRequest:CertRequest":
        return {"certRequestPem": _pem("CERTIFICATE REQUEST", f"tls CertRequest {show(name)}")}
    return {}


def _provider_urn(reference: str) -> str | None:
    # A provider reference is "<provider urn>::<provider id>"; URNs contain "::" themselves.
    # The default provider is sent as "".
    urn = reference.rpartition("::")[0]
    return urn or None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records every registration with its parent, dependencies and secrets.

    Duplicate URNs raise :class:`DuplicateUrnError` when the run ends (the engine rejects them; the
    mock would keep the last silently), and ``additionalSecretOutputs`` are applied to the mock's
    outputs.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()
        self._registrations: dict[str, RegisteredResource] = {}
        self._outputs: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}
        self._duplicates: list[DuplicateUrnError] = []

    def check(self) -> None:
        """Raise the topmost duplicate URN of the run, if any: the same one on every run.

        Raises:
            DuplicateUrnError: The duplicate with the fewest parent types, then the first URN.
        """
        with self._lock:
            if self._duplicates:
                raise min(self._duplicates, key=lambda d: (d.urn.count("$"), d.urn))

    def _record(
        self,
        request: resource_pb2.RegisterResourceRequest | resource_pb2.ReadResourceRequest,
        urn: str,
        **fields: Any,
    ) -> None:
        """Record a registration at the next index; note a URN seen before (see :meth:`check`)."""
        with self._lock:
            if urn in self._registrations:
                first = self._registrations[urn]
                self._duplicates.append(
                    DuplicateUrnError(urn, request.type, request.name, first.parent, request.parent or None)
                )
                return
            self._registrations[urn] = RegisteredResource(
                index=len(self._registrations),
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                provider=_provider_urn(request.provider),
                **fields,
            )

    def RegisterResource(
        self, request: resource_pb2.RegisterResourceRequest
    ) -> resource_pb2.RegisterResourceResponse:
        """Record the registration, let the mock answer it, and mark secret outputs."""
        inputs, secret_fields = _plain_mapping(request.object)
        property_dependencies = {
            key: frozenset(deps.urns) for key, deps in sorted(request.propertyDependencies.items())
        }
        self._record(
            request,
            self.make_urn(request.parent, request.type, request.name),
            custom=request.custom,
            remote=request.remote,
            inputs=inputs,
            secret_fields=secret_fields,
            dependencies=frozenset(request.dependencies).union(*property_dependencies.values()),
            property_dependencies=property_dependencies,
        )
        response = cast(
            resource_pb2.RegisterResourceResponse,
            super().RegisterResource(request),  # type: ignore[no-untyped-call]
        )
        if request.additionalSecretOutputs:
            _wrap_secret_outputs(response.object, request.additionalSecretOutputs)
        return response

    def ReadResource(self, request: resource_pb2.ReadResourceRequest) -> resource_pb2.ReadResourceResponse:
        """Record a ``.get()`` read; it is in the graph but never rendered."""
        inputs, secret_fields = _plain_mapping(request.properties)
        self._record(
            request,
            self.make_urn(request.parent, request.type, request.name),
            custom=True,
            read=True,
            inputs=inputs,
            secret_fields=secret_fields,
            dependencies=frozenset(request.dependencies),
        )
        return cast(
            resource_pb2.ReadResourceResponse,
            super().ReadResource(request),  # type: ignore[no-untyped-call]
        )

    def RegisterResourceOutputs(self, request: resource_pb2.RegisterResourceOutputsRequest) -> Any:
        """Record what a component (or the Stack) registered as outputs; the last call wins."""
        with self._lock:
            self._outputs[request.urn] = _plain_mapping(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def recording(
        self, *, project: str, stack: str, preview: bool, logs: Sequence[LogMessage] = ()
    ) -> Recording:
        """Freeze what was recorded so far into a :class:`Recording`."""
        with self._lock:
            registrations = list(self._registrations.values())
            outputs = dict(self._outputs)
        resources = tuple(
            replace(r, outputs=outputs[r.urn][0]) if r.urn in outputs else r for r in registrations
        )
        stack_urn = next((r.urn for r in resources if r.is_stack), "")
        stack_outputs, secret_outputs = outputs.get(stack_urn, ({}, frozenset()))
        return Recording(
            project=project,
            stack=stack,
            preview=preview,
            resources=resources,
            outputs=stack_outputs,
            secret_outputs=secret_outputs,
            logs=tuple(logs),
        )

    def scrub(self) -> None:
        """Forget everything, including the mock's outputs, which hold secrets in plaintext.

        The SDK's settings outlive the run: ``ContextProperty`` makes the last value set in a fresh
        context its process-wide default, so this monitor stays referenced until the next run.
        Emptying it is the only way to make sure no plaintext outlives the run.
        """
        with self._lock:
            self.resources.clear()
            self._registrations.clear()
            self._duplicates.clear()
            self._outputs.clear()


# --------------------------------------------------------------------------------------------
# Running a program
# --------------------------------------------------------------------------------------------

_P = ParamSpec("_P")
_T = TypeVar("_T")


class _OneAtATimeExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each submitted call on its one worker thread and returns only when it is done.

    The SDK issues every RPC with ``run_in_executor(None, ...)``. With the default thread pool the
    monitor receives them in a different order on each run; with this executor the RPCs happen
    in the order the event loop issues them, which is reproducible. The calls still run on another
    thread because the mock monitor drives coroutines with ``_sync_await``, which must not pump the
    program's own event loop re-entrantly.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="meshgw-offline-rpc")

    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> concurrent.futures.Future[_T]:
        """Run ``fn`` on the worker thread and wait for it; return its finished future."""
        future = super().submit(fn, *args, **kwargs)
        concurrent.futures.wait([future])
        return future


def _close_thread_event_loop() -> None:
    # The monitor creates an event loop on the RPC thread (for _sync_await); close it with the run.
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running():
        loop.close()
    asyncio.set_event_loop(None)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[LogMessage] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(LogMessage(record.levelname.lower(), record.getMessage()))


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # Outputs that depend on a failed one fail too and are never awaited. The first failure is
    # re-raised to the caller already, so "exception was never retrieved" goes to debug only.
    _log.debug("event loop: %s", context.get("message"), exc_info=context.get("exception"))


# set_mocks only creates (and immediately finishes) a root Stack when there is none.
_NOT_A_STACK: Any = object()


@contextlib.contextmanager
def _without_env(*names: str) -> Iterator[None]:
    """Hide environment variables for the duration of a run.

    The SDK falls back to ``PULUMI_CONFIG`` for keys the explicit config lacks. The real CLI always
    overwrites that variable with the stack's config, so a value left in the user's shell must not
    leak into an offline run either.
    """
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _configure_runtime(
    monitor: RecordingMonitor,
    logger: logging.Logger,
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    root_directory: str | None,
) -> None:
    token = pulumi_settings.ROOT.set(_NOT_A_STACK)
    try:
        pulumi.runtime.set_mocks(
            monitor.mocks,
            project=project,
            stack=stack,
            preview=preview,
            logger=logger,
            monitor=monitor,
            organization="organization",  # what the CLI passes for self-managed backends
        )
    finally:
        pulumi_settings.ROOT.reset(token)
    # set_mocks configures a partial Settings bag; reset the rest so nothing a previous run (or the
    # caller) left in the shared defaults is reused, above all the set of pending Output tasks.
    settings = pulumi_settings.SETTINGS
    settings.outputs = set()
    settings.lock = threading.Lock()
    settings.root_directory = root_directory
    settings.parallel = None
    settings.legacy_apply_enabled = os.getenv("PULUMI_ENABLE_LEGACY_APPLY", "false") == "true"
    settings.package_refs = {}
    settings.base_providers_by_ref = {}
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))


def _run_on_this_thread(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    root_directory: str | None,
) -> Recording:
    monitor = RecordingMonitor(EchoMocks(preview=preview))
    collector = _LogCollector()
    # A logger outside the logging tree: the program's messages go to the Recording, not to
    # whatever handlers the caller configured.
    logger = logging.Logger("pulumi_meshgw.offline.program", logging.INFO)
    logger.addHandler(collector)

    def entry() -> Awaitable[None] | None:
        result = program()
        return cast("Awaitable[None]", result) if inspect.isawaitable(result) else None

    loop = asyncio.new_event_loop()
    executor = _OneAtATimeExecutor()
    loop.set_default_executor(executor)
    loop.set_exception_handler(_quiet_loop_errors)
    asyncio.set_event_loop(loop)
    try:
        _configure_runtime(
            monitor,
            logger,
            project=project,
            stack=stack,
            preview=preview,
            config=config,
            secret_keys=secret_keys,
            root_directory=root_directory,
        )
        # run_in_stack is what the language host runs: it creates the Stack, runs the program,
        # registers the exports, then waits for every RPC and Output. It re-raises the program's
        # own exception object.
        loop.run_until_complete(pulumi.runtime.run_in_stack(entry))
        monitor.check()
        return monitor.recording(project=project, stack=stack, preview=preview, logs=collector.messages)
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        executor.submit(_close_thread_event_loop)
        executor.shutdown(wait=True)
        asyncio.set_event_loop(None)
        loop.close()
        monitor.scrub()


@contextlib.contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Collect young objects less often while a program runs; restore the setting after.

    A run allocates a few hundred thousand tasks, futures and Outputs, most of them alive until
    the end. With CPython's default threshold (700) the collector rescans that growing heap so
    often that collection, not the program, dominates: a 4,000-resource program took 10.9 s
    instead of 7.1 s with 50,000 (pulumi 3.272, Python 3.11). Every offline run (``meshgw
    render``, tests, benchmarks) gets the same setting, so their timings compare like with like.
    """
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], 50_000), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    root_directory: str | os.PathLike[str] | None = None,
) -> Recording:
    """Run a Pulumi program under the mock runtime and return what it registered.

    The program runs on a new thread with a fresh event loop and ``contextvars`` context, so runs
    are independent and the caller may itself be inside an event loop. The call returns once every
    registration, Output and RPC has finished.

    Args:
        program: Called once, with no arguments, inside the Pulumi runtime; it creates resources.
            It may return an awaitable, which is awaited.
        project: The project name (``pulumi.get_project()``, the default config namespace).
        stack: The stack name (``pulumi.get_stack()``).
        config: Full config keys (``meshgw:gateways``) to string values; structured values
            JSON-encoded, as the CLI passes them in ``PULUMI_CONFIG``.
        secret_keys: The config keys that are secret.
        preview: Run as ``pulumi preview``: outputs the mocks do not echo stay unknown, and
            ``apply`` callbacks on them never run.
        root_directory: What ``pulumi.get_root_directory()`` returns (the Pulumi.yaml directory).

    Returns:
        The recording, with secrets replaced by ``"[secret]"``.

    Raises:
        DuplicateUrnError: If two resources share a URN.
        BaseException: Whatever the program raised, directly or in an ``apply``: the same object,
            not wrapped.
    """
    config = dict(config or {})
    bad = sorted(key for key, value in config.items() if not isinstance(value, str))
    if bad:
        raise TypeError(f"config values must be strings (JSON-encode structured values): {', '.join(bad)}")
    outcome: list[Recording | BaseException] = []

    def work() -> None:
        try:
            outcome.append(
                _run_on_this_thread(
                    program,
                    project=project,
                    stack=stack,
                    preview=preview,
                    config=config,
                    secret_keys=sorted(set(secret_keys)),
                    root_directory=os.fspath(root_directory) if root_directory is not None else None,
                )
            )
        except BaseException as error:  # handed to the caller's thread unchanged
            outcome.append(error)

    thread = threading.Thread(target=work, name="meshgw-offline", daemon=True)
    with _without_env("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"), _fewer_gc_passes():
        thread.start()
        thread.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        try:
            raise result
        finally:
            del result, outcome  # break the frame <-> exception reference cycle
    return result


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


def _sorted_plain(value: Any) -> Any:
    """Sort map keys at every level and drop None map values (unset, for kubectl)."""
    if isinstance(value, Mapping):
        return {key: _sorted_plain(value[key]) for key in sorted(value) if value[key] is not None}
    if isinstance(value, list):
        return [_sorted_plain(item) for item in value]
    return value


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


# --------------------------------------------------------------------------------------------
# Pulumi.yaml and stack files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """A Pulumi project, read from its ``Pulumi.yaml``.

    Attributes:
        directory: The directory holding Pulumi.yaml.
        file: The Pulumi.yaml path.
        name: The project name (the default config namespace).
        runtime: The runtime name (``python``).
        main: The program directory or file, relative to ``directory`` (``main``, default ".").
        stack_config_dir: Where the stack files live, relative to ``directory`` (default ".").
        config: The project-level ``config:`` block, as written.
    """

    directory: Path
    file: Path
    name: str
    runtime: str
    main: str = "."
    stack_config_dir: str = "."
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stack_dir(self) -> Path:
        """The directory of the ``Pulumi.<stack>.yaml`` files."""
        return (self.directory / self.stack_config_dir).resolve()

    @property
    def program_file(self) -> Path:
        """The file the Python language host runs: ``<main>/__main__.py``, or ``main`` if a file."""
        main = (self.directory / self.main).resolve()
        return main if main.is_file() else main / "__main__.py"

    def stack_file(self, stack: str) -> Path:
        """The settings file of a stack (``org/project/dev`` uses ``Pulumi.dev.yaml``)."""
        return self.stack_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"

    def available_stacks(self) -> list[str]:
        """The stacks that have a settings file, sorted."""
        if not self.stack_dir.is_dir():
            return []
        names = {_stack_name_from_file(p) for p in self.stack_dir.iterdir() if p.is_file()}
        return sorted(name for name in names if name)


@dataclass(frozen=True)
class StackConfig:
    """A stack's configuration, ready for :func:`run_program`.

    Attributes:
        project: The project it belongs to.
        name: The stack name.
        file: The ``Pulumi.<stack>.yaml`` path.
        config: Full keys to string values; project defaults included.
        secret_keys: Keys whose values were ``secure:``; offline, their value is ``"[secret]"``.
        warnings: Things in the file an offline run cannot honour.
    """

    project: Project
    name: str
    file: Path
    config: Mapping[str, str]
    secret_keys: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()


# The top-level keys of a Pulumi.<stack>.yaml (the CLI's workspace.ProjectStack); anything else is
# most likely config written without its 'config:' parent, which the CLI would ignore.
_STACK_FILE_KEYS = frozenset({"config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt"})


def _stack_name_from_file(path: Path) -> str | None:
    match = re.fullmatch(r"Pulumi\.(?P<stack>.+)\.ya?ml", path.name)
    return match["stack"] if match else None


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file as Pulumi's YAML 1.2 config; return the data and the root node.

    Raises:
        ProjectError: If it cannot be read or is not plain YAML data (see
            :mod:`pulumi_meshgw.spec.yaml_input`); the message has the file and line.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ProjectError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return load_one(data, str(path), yaml12=True)
    except YamlInputError as error:
        raise ProjectError(str(error)) from None


def _raw_scalars(root: yaml.Node | None, section: str) -> dict[str, str]:
    """The source text of the scalar values directly under ``section``.

    The CLI reads a top-level config value into a Go string first, which keeps a scalar exactly
    as written (``1.50``, ``0x1F``, ``yes``); only maps and lists are decoded and re-encoded.
    """
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key_node, value_node in root.value:
        if key_node.value == section and isinstance(value_node, yaml.MappingNode):
            return {
                str(k.value): ("" if v.tag == "tag:yaml.org,2002:null" else str(v.value))
                for k, v in value_node.value
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            }
    return {}


def _find_project_file(directory: Path) -> Path | None:
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_project(project_dir: Path | str) -> Project:
    """Read ``Pulumi.yaml`` (or ``Pulumi.yml``) in ``project_dir``.

    Raises:
        ProjectError: If there is no such file, it is malformed, or it is not a Python project.
    """
    directory = Path(project_dir).resolve()
    file = _find_project_file(directory)
    if file is None:
        raise ProjectError(f"no Pulumi.yaml in {directory}: pass the project directory (--project-dir)")
    data, _ = _read_yaml(file)
    if not isinstance(data, dict):
        raise ProjectError(f"{file}: expected a mapping with at least 'name' and 'runtime'")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{file}: 'name' is missing")
    runtime = data.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ProjectError(f"{file}: runtime is {show(runtime_name)}; only Python programs can run offline")
    main, stack_config_dir = data.get("main", "."), data.get("stackConfigDir", ".")
    for key, value in (("main", main), ("stackConfigDir", stack_config_dir)):
        if not isinstance(value, str):
            raise ProjectError(f"{file}: '{key}' must be a path, got {show(value)}")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{file}: 'config' must be a mapping")
    return Project(directory, file, name, runtime_name, main, stack_config_dir, config)


def find_project(start: Path | str) -> Project:
    """Load the nearest project at or above ``start`` (a directory or a file in it).

    Raises:
        ProjectError: If no Pulumi.yaml is found up to the filesystem root.
    """
    here = Path(start).resolve()
    for directory in [here, *here.parents] if here.is_dir() else list(here.parents):
        if _find_project_file(directory) is not None:
            return load_project(directory)
    raise ProjectError(f"no Pulumi.yaml in {here} or any directory above it")


def _config_string(value: Any) -> str:
    # The CLI keeps a top-level scalar as written and passes objects and lists as compact JSON
    # with sorted keys (Go's encoding/json), which the SDK's require_object decodes.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(_go_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _go_numbers(value: Any) -> Any:
    # Go's encoding/json writes the float64 2.0 as 2, which the program then decodes as an int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def _mask_secure(value: Any) -> tuple[Any, bool]:
    """Replace every ``{secure: <ciphertext>}`` inside a value by the placeholder."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return SECRET, True
        items = {str(k): _mask_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, list):
        masked = [_mask_secure(v) for v in value]
        return [v for v, _ in masked], any(s for _, s in masked)
    return value, False


def normalize_config(project: str, config: Mapping[str, Any]) -> tuple[dict[str, str], frozenset[str]]:
    """Turn a stack file's ``config:`` mapping into what the CLI hands a program.

    Keys without a namespace get ``<project>:``. Non-string values are JSON-encoded. Encrypted
    ``{secure: ...}`` values, which cannot be decrypted offline, become ``"[secret]"`` and their
    keys are returned as secret.

    Args:
        project: The project name.
        config: Keys to values as read from YAML (or given by a test).

    Returns:
        The config map and the secret keys.
    """
    out: dict[str, str] = {}
    secret: set[str] = set()
    for raw_key, raw_value in config.items():
        key = str(raw_key)
        if ":" not in key:
            key = f"{project}:{key}"
        value, is_secret = _mask_secure(raw_value)
        out[key] = _config_string(value)
        if is_secret:
            secret.add(key)
    return out, frozenset(secret)


def _project_defaults(project: Project) -> dict[str, Any]:
    """Values the project file gives every stack: schema defaults and plain values."""
    defaults: dict[str, Any] = {}
    for key, spec in project.config.items():
        full = str(key) if ":" in str(key) else f"{project.name}:{key}"
        if isinstance(spec, dict) and ("value" in spec or "default" in spec):
            defaults[full] = spec["value"] if "value" in spec else spec["default"]
        elif not isinstance(spec, dict):
            defaults[full] = spec
    return defaults


def load_stack_config(
    project: Project | None = None,
    stack_name: str | None = None,
    stack_file: Path | str | None = None,
) -> StackConfig:
    """Read a stack's settings file and return its config as the CLI would pass it.

    Give either ``stack_name`` (the file is ``Pulumi.<stack>.yaml`` in the project's
    ``stackConfigDir``) or ``stack_file`` (the stack name comes from the file name; without a
    ``project``, the nearest Pulumi.yaml above the file is used).

    Project-level ``config:`` values and schema defaults apply unless the stack sets the key.

    Raises:
        ProjectError: If the file is missing (the message lists the stacks that exist), is
            malformed (with its line), or a declared project key has no value.
    """
    if (stack_name is None) == (stack_file is None):
        raise ValueError("give exactly one of stack_name and stack_file")
    if stack_file is not None:
        path = Path(stack_file).resolve()
        name = _stack_name_from_file(path)
        if name is None:
            raise ProjectError(f"{path}: a stack file must be named Pulumi.<stack>.yaml")
        if not path.is_file():
            raise ProjectError(f"stack file {path} does not exist")
        project = project or find_project(path.parent)
    else:
        if project is None:
            raise ValueError("stack_name needs a project")
        name = cast(str, stack_name)
        path = project.stack_file(name)
        if not path.is_file():
            stacks = project.available_stacks()
            listed = ", ".join(stacks) if stacks else "none"
            raise ProjectError(
                f"stack {show(name)} has no settings file {path.name} in {project.stack_dir}; "
                f"stacks with a settings file there: {listed}"
            )
    data, root = _read_yaml(path)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping with a 'config:' section")
    misplaced = sorted(str(k) for k in data if str(k) not in _STACK_FILE_KEYS)
    if misplaced:
        raise ProjectError(
            f"{path}: {', '.join(show(k) for k in misplaced)} "
            f"{'is not a stack file setting' if len(misplaced) == 1 else 'are not stack file settings'}"
            f" (those are {', '.join(sorted(_STACK_FILE_KEYS))}); config keys go indented under 'config:'"
        )
    stack_values = data.get("config") or {}
    if not isinstance(stack_values, dict):
        raise ProjectError(f"{path}: 'config' must be a mapping of keys to values")
    stack_values = {**stack_values, **_raw_scalars(root, "config")}
    merged = _project_defaults(project)
    merged.update({(k if ":" in str(k) else f"{project.name}:{k}"): v for k, v in stack_values.items()})
    missing = sorted(
        f"{project.name}:{key}"
        for key, spec in project.config.items()
        if ":" not in str(key)
        and isinstance(spec, dict)
        and "type" in spec
        and f"{project.name}:{key}" not in merged
    )
    if missing:
        raise ProjectError(f"stack {show(name)} is missing configuration values: {', '.join(missing)}")
    config, secret_keys = normalize_config(project.name, merged)
    warnings = []
    if data.get("environment"):
        warnings.append(
            f"{path.name}: 'environment' (Pulumi ESC) cannot be resolved offline; its values are not set"
        )
    if secret_keys:
        warnings.append(
            "secure config values cannot be decrypted offline and read as "
            f"{show(SECRET)}: {', '.join(sorted(secret_keys))}"
        )
    return StackConfig(project, name, path, config, secret_keys, tuple(warnings))


@contextlib.contextmanager
def _program_directory(directory: Path) -> Iterator[None]:
    """Run with ``directory`` as cwd and first on sys.path, as the language host does.

    Afterwards restore both and forget modules imported from ``directory``, so the next program
    (perhaps another project with its own ``helpers.py``) does not get this one's.
    """
    saved_cwd, saved_path = os.getcwd(), list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, str(directory))
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules.get(name), "__file__", None)
            if module_file and Path(module_file).resolve().is_relative_to(directory):
                del sys.modules[name]


def run_stack(
    project_dir: Path | str | None = None,
    stack_name: str | None = None,
    stack_file: Path | str | None = None,
    *,
    preview: bool = False,
) -> Recording:
    """Run a project's program for one stack, offline.

    Loads Pulumi.yaml and the stack file, then runs ``<main>/__main__.py`` with ``runpy`` as
    ``__main__``, with the main directory as cwd and first on sys.path for the whole run.

    Args:
        project_dir: The directory of Pulumi.yaml. Default: found above ``stack_file``, or the
            current directory.
        stack_name: The stack, when ``stack_file`` is not given.
        stack_file: A ``Pulumi.<stack>.yaml`` file, instead of ``stack_name``.
        preview: Run as a preview (see :func:`run_program`).

    Returns:
        The recording; the stack file's warnings come first in its ``logs``.

    Raises:
        ProjectError: If the project or stack cannot be loaded.
        BaseException: Whatever the program raised, unchanged.
    """
    if project_dir is not None:
        project = load_project(project_dir)
    elif stack_file is not None:
        project = find_project(Path(stack_file).resolve().parent)
    else:
        project = load_project(Path.cwd())
    stack = load_stack_config(project, stack_name, stack_file)
    program_file = project.program_file
    if not program_file.is_file():
        raise ProjectError(f"{project.file}: the program {program_file} does not exist (see 'main')")

    def program() -> None:
        runpy.run_path(str(program_file), run_name="__main__")

    with _program_directory(program_file.parent):
        recording = run_program(
            program,
            project=project.name,
            stack=stack.name,
            config=stack.config,
            secret_keys=stack.secret_keys,
            preview=preview,
            root_directory=project.directory,
        )
    warnings = tuple(LogMessage("warning", text) for text in stack.warnings)
    return replace(recording, logs=warnings + recording.logs)
