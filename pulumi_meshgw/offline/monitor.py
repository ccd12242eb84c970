"""The Pulumi wire format read into plain Python with secrets masked, the echoing mocks, and the
monitor that records every registration."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, cast

import pulumi

# The project has no protobuf stubs (types-protobuf); struct_pb2 is used for its two classes.
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

from pulumi_meshgw.errors import show

from .recording import (
    _OUTPUT_VALUE_SIG,
    _RESOURCE_SIG,
    _SECRET_SIG,
    _SIG_KEY,
    _UNKNOWN_WIRE,
    SECRET,
    UNKNOWN,
    DuplicateUrnError,
    LogMessage,
    Recording,
    RegisteredResource,
)

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

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the engine would give: the parent's whole type chain, ``A$B$C`` (the SDK's
        mock keeps only the last parent type), so URNs and the alias URNs the SDK computes from
        them compare as they do in a real update."""
        chain = parent.split("::")[2] if parent else ""
        if chain and chain != "pulumi:pulumi:Stack":  # the engine leaves the Stack out of the chain
            type_ = f"{chain}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def GetDeploymentInfo(self, request: Any) -> Any:
        """The mock's features, less alias specs: the SDK then computes every alias URN itself,
        those a child inherits from its parents' aliases included, and sends them as URNs, which
        the recording keeps (the engine derives the same URNs from specs)."""
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        features = [
            f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)

    def _inherited_aliases(self, request: resource_pb2.RegisterResourceRequest) -> list[str]:
        """The alias URNs a child takes from its parent's, as the engine derives them
        (``inheritedChildAlias`` in pkg/resource/deploy: a child whose name starts with the
        parent's name takes the alias's name in its place)."""
        with self._lock:
            parent = self._registrations.get(request.parent)
        if parent is None:
            return []
        out = []
        for alias in parent.aliases:
            name = request.name
            if name.startswith(parent.name):
                name = alias.rsplit("::", 1)[1] + name[len(parent.name) :]
            out.append(self.make_urn(alias, request.type, name))
        return out

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
            aliases=tuple(sorted({*request.aliasURNs, *self._inherited_aliases(request)})),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
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
