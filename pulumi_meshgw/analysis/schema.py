"""Schema validation of rendered manifests, as strict as the Kubernetes API server or stricter.

Every object is first checked for the envelope every Kubernetes object needs: a non-empty string
``apiVersion`` (``<group>/<version>`` or, for the core group, ``<version>``) and ``kind``, and a
``metadata`` mapping with a non-empty string ``name``. Then, by API group:

Istio kinds (group ``istio.io`` or ``*.istio.io``), code ``IST0106`` (Istio's
SchemaValidationError):
    The whole object is validated against the ``openAPIV3Schema`` of its group/version/kind in the
    vendored Istio CRDs (``pulumi_meshgw/schemas/istio/openapi.json``, generated from
    ``crd-all.gen.yaml``) with a JSON Schema Draft 7 validator. OpenAPI 3.0 schemas are a
    Draft 4/5 dialect; of Draft 7 and 2020-12, Draft 7 is the closer one (same ``items``
    semantics, no ``$ref`` changes). Each schema is converted once, and the validator cached, per
    group/version/kind, applying Kubernetes structural-schema semantics:

    * ``x-kubernetes-int-or-string: true`` means integer or string (its companion ``anyOf`` is
      dropped, so a bad value yields one clear error rather than two);
    * ``nullable: true`` admits ``null``; everywhere else ``null`` is a type error;
    * strict mode: an object schema without ``additionalProperties`` and without
      ``x-kubernetes-preserve-unknown-fields: true`` rejects undeclared fields. The API server
      would silently prune them, which always means a bug in the renderer, so each one is an
      error listing the allowed field names. Map schemas (``additionalProperties: {...}``) are
      left alone, and ``x-kubernetes-preserve-unknown-fields`` subtrees accept anything undeclared;
    * at the root, ``apiVersion``, ``kind`` and ``metadata`` are declared implicitly, as the API
      server does; ``metadata`` is not validated beyond the envelope check above.

    An Istio group/version/kind that the CRDs do not serve (a typo in ``apiVersion`` or ``kind``,
    or a version that is not served, e.g. ``networking.istio.io/v2``) is itself an error whose
    message lists what is served.

    Two of these rules are the API server's alone, and are reported as ``MGW0106`` (the API
    server's rejection), not IST0106, because ``istioctl analyze`` and istiod do not apply them: a
    group/version/kind the CRDs do not serve (istioctl reads only the kinds it knows and skips the
    rest, so it reports nothing), and two members of one proto ``oneof`` set together (the CRD's
    ``oneOf``; Istio reads the spec with jsonpb, ``pkg/util/protomarshal`` ``ApplyJSON``, which
    sets the fields one after another in descriptor order, so one member silently replaces the
    other and Istio's validation never sees both). The API server rejects both on apply.

Core Kubernetes kinds (every other group), code ``MGW0106``:
    Validated in strict mode (unknown fields are errors) against the Kubernetes
    :data:`KUBERNETES_VERSION` OpenAPI schemas that the ``kubernetes-validate`` package ships.
    That package is a dev dependency and is imported lazily; when it is not installed, core
    objects only get the envelope check. Its ``validate()`` re-reads 1.4 MB of JSON per call and
    stops at the first error, so this module reads the schema files once and caches one
    Draft 2020-12 validator per kind, collecting every error. A version of a built-in kind that
    this Kubernetes version does not serve (``apps/v1beta1`` Deployment) is an error, as is an
    unknown kind in a built-in group without a dot (``v1``, ``apps``, ``batch``...), because no
    CRD can live there.

Other kinds (e.g. cert-manager's ``cert-manager.io/v1`` Certificate, Gateway API kinds) have no
schema here: they get only the envelope check.

The CRDs' ``x-kubernetes-validations`` (CEL rules) of Istio kinds are evaluated by
:mod:`.crd_rules` (code ``MGW0109``) and appended to the object's diagnostics.

Not checked (documented gaps):
    * ``format`` (``date-time``, ``byte``...), as in JSON Schema by default, except ``int32`` in
      Istio kinds, whose range Istio's proto parse enforces; explicit ``minimum``/``maximum``
      bounds are checked.
    * Whole-number floats (``80.0``) count as integers, as in JSON Schema and the API server.

Validation is pure and deterministic: the result depends only on the object, the vendored schemas
and the installed ``kubernetes-validate`` data. Diagnostics for one object are sorted by path
(array indices numerically) then message, and :func:`validate_manifests` keeps input order.
This module never imports Pulumi.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft7Validator, Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import best_match

from pulumi_meshgw.errors import format_path, show

from .crd_rules import crd_rule_diagnostics
from .diagnostics import Diagnostic, Level

__all__ = [
    "CORE_SCHEMA_CODE",
    "ISTIO_SCHEMA_CODE",
    "KUBERNETES_VERSION",
    "validate_manifest",
    "validate_manifests",
]

KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes version whose schemas core objects are validated against.

It must be one that the installed ``kubernetes-validate`` ships (1.25 to 1.37 in
kubernetes-validate 1.37). Older is stricter: fields added in later releases are rejected.
"""

ISTIO_SCHEMA_CODE = "IST0106"
"""Code of schema errors in Istio objects (``istioctl analyze``'s SchemaValidationError)."""

CORE_SCHEMA_CODE = "MGW0106"
"""Code of schema errors in every other object (core Kubernetes kinds and the envelope)."""

_OPENAPI_JSON = Path(__file__).resolve().parent.parent / "schemas" / "istio" / "openapi.json"
_VALUE_MAX_CHARS = 80

_PathParts = tuple[str | int, ...]


@dataclass(frozen=True)
class _Finding:
    path: _PathParts
    message: str
    api_server_only: bool = False
    """A rule of the API server (the CRD) that Istio's own validation does not apply: reported as
    :data:`CORE_SCHEMA_CODE`, since ``istioctl analyze`` does not report it (docs/checks.md)."""


def validate_manifest(obj: Mapping[str, Any]) -> list[Diagnostic]:
    """Validate one rendered object against the schema of its kind.

    Args:
        obj: A Kubernetes object as plain JSON-like data (dicts, lists, strings, numbers, booleans,
            ``None``), with ``apiVersion``, ``kind``, ``metadata`` and usually ``spec``.

    Returns:
        Every problem found, as error-level diagnostics sorted by path then message; empty if the
        object is valid, or if its kind has no known schema and its envelope is fine.
    """
    if not isinstance(obj, Mapping):
        return [
            Diagnostic(
                code=CORE_SCHEMA_CODE,
                level=Level.ERROR,
                kind="",
                namespace="",
                name="",
                path="",
                message=f"a manifest must be a mapping, got {_type_name(obj)} {_fmt(obj)}",
            )
        ]
    if not isinstance(obj, dict):
        obj = dict(obj)
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    gv = _split_api_version(api_version) if isinstance(api_version, str) else None
    is_istio = gv is not None and _is_istio_group(gv[0])

    envelope = _check_envelope(obj)
    findings = list(envelope)
    if gv is not None and isinstance(kind, str) and kind:
        group, version = gv
        body = (
            _validate_istio(obj, group, version, kind)
            if is_istio
            else _validate_core(obj, group, version, kind)
        )
        # The envelope check already reported a broken metadata; do not repeat it from the schema.
        covered = [f.path for f in envelope]
        findings += [f for f in body if not any(f.path[: len(p)] == p for p in covered)]
    diagnostics = _to_diagnostics(obj, ISTIO_SCHEMA_CODE if is_istio else CORE_SCHEMA_CODE, findings)
    if is_istio and gv is not None and isinstance(kind, str):
        schema = _istio_index().get(f"{gv[0]}/{gv[1]}/{kind}")
        if isinstance(schema, Mapping):  # the CRD's CEL rules, as the API server runs them
            diagnostics += crd_rule_diagnostics(obj, schema)
    return diagnostics


def validate_manifests(objs: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
    """Validate many rendered objects.

    Args:
        objs: Kubernetes objects as plain JSON-like data (see :func:`validate_manifest`).

    Returns:
        The diagnostics of each object in input order, each object's sorted by path then message.
    """
    return [diagnostic for obj in objs for diagnostic in validate_manifest(obj)]


# --- envelope ---------------------------------------------------------------------------------


def _split_api_version(api_version: str) -> tuple[str, str] | None:
    """Split ``group/version`` (``("", version)`` for the core group); ``None`` if malformed."""
    parts = api_version.split("/")
    if len(parts) == 1 and parts[0]:
        return "", parts[0]
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    return None


def _is_istio_group(group: str) -> bool:
    return group == "istio.io" or group.endswith(".istio.io")


def _check_envelope(obj: Mapping[str, Any]) -> list[_Finding]:
    findings: list[_Finding] = []
    for field in ("apiVersion", "kind"):
        if field not in obj:
            findings.append(_Finding((field,), f'missing required field "{field}"'))
        elif not isinstance(obj[field], str) or not obj[field]:
            findings.append(
                _Finding((field,), f"expected a non-empty string, got {_describe_value(obj[field])}")
            )
    api_version = obj.get("apiVersion")
    if isinstance(api_version, str) and api_version and _split_api_version(api_version) is None:
        findings.append(
            _Finding(
                ("apiVersion",),
                f'invalid apiVersion "{api_version}"; expected "<group>/<version>" or "<version>"',
            )
        )
    if "metadata" not in obj:
        findings.append(_Finding(("metadata",), 'missing required field "metadata"'))
        return findings
    metadata = obj["metadata"]
    if not isinstance(metadata, Mapping):
        findings.append(_Finding(("metadata",), f"expected object, got {_describe_value(metadata)}"))
    elif "name" not in metadata:
        findings.append(_Finding(("metadata", "name"), 'missing required field "name"'))
    elif not isinstance(metadata["name"], str) or not metadata["name"]:
        findings.append(
            _Finding(
                ("metadata", "name"), f"expected a non-empty string, got {_describe_value(metadata['name'])}"
            )
        )
    return findings


# --- Istio ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _istio_index() -> Mapping[str, Any]:
    """The vendored ``<group>/<version>/<Kind>`` -> ``openAPIV3Schema`` index."""
    with _OPENAPI_JSON.open(encoding="utf-8") as f:
        index: dict[str, Any] = json.load(f)
    return index


@functools.lru_cache(maxsize=1)
def _istio_served() -> Mapping[tuple[str, str], tuple[str, ...]]:
    """(group, kind) -> served versions, most preferred first."""
    served: dict[tuple[str, str], list[str]] = {}
    for key in _istio_index():
        group, version, kind = key.split("/")
        served.setdefault((group, kind), []).append(version)
    return {gk: tuple(sorted(versions, key=_version_priority)) for gk, versions in sorted(served.items())}


def _version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key in Kubernetes version priority: GA, then beta, then alpha, newest first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if match is None:
        return (3, 0, 0, version)
    stability = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    return (stability, -int(match.group(1)), -int(match.group(3) or 0), version)


def _validate_istio(obj: Mapping[str, Any], group: str, version: str, kind: str) -> list[_Finding]:
    key = f"{group}/{version}/{kind}"
    if key not in _istio_index():
        return [_unknown_istio_gvk(group, version, kind)]
    if _istio_verdict(key).is_valid(obj):
        return []
    return [finding for error in _istio_validator(key).iter_errors(obj) for finding in _describe(error)]


def _unknown_istio_gvk(group: str, version: str, kind: str) -> _Finding:
    served = _istio_served()
    if (group, kind) in served:
        versions = ", ".join(served[group, kind])
        return _Finding(
            ("apiVersion",),
            f"{group}/{version} does not serve {kind}; served versions: {versions}",
            api_server_only=True,
        )
    elsewhere = ", ".join(f"{g}/{v}" for (g, k), versions in served.items() if k == kind for v in versions)
    hint = f"; {kind} is served as {elsewhere}" if elsewhere else ""
    groups = sorted({g for g, _ in served})
    if group not in groups:
        return _Finding(
            ("apiVersion",),
            f'unknown Istio API group "{group}"; known groups: {", ".join(groups)}{hint}',
            api_server_only=True,
        )
    kinds = ", ".join(sorted(k for g, k in served if g == group))
    return _Finding(
        ("kind",), f'unknown kind "{kind}" in {group}; known kinds: {kinds}{hint}', api_server_only=True
    )


@functools.cache
def _go_pattern(pattern: str) -> re.Pattern[str]:
    """A schema ``pattern`` as Go's RE2 reads it, where ``$`` is the end of the text.

    Python's ``$`` also matches before a trailing newline, so ``name: "public\\n"`` would pass a
    pattern that Kubernetes rejects. An unescaped ``$`` outside a character class becomes ``\\Z``.
    """
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            out.append(ch)
            in_class = True
        else:
            out.append("\\Z" if ch == "$" else ch)
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _go_pattern(pattern).search(instance):
        yield ValidationError(f"{show(instance)} does not match the pattern {show(pattern)}")


def _int32(validator: Any, fmt: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """``format: int32``: Istio reads the spec into its proto, whose int32 fields refuse a larger
    number ("cannot unmarshal number ... into Go value of type int32", ``ApplyJSONStrict``)."""
    if fmt == "int32" and validator.is_type(instance, "integer") and not -(2**31) <= instance < 2**31:
        yield ValidationError(f"{instance} is out of the int32 range -2147483648..2147483647")


# The two drafts, with the pattern keyword read as Kubernetes reads it (RE2: `$` is the true end);
# Istio's schemas also with their int32 fields' range.
_Draft7 = validators.extend(Draft7Validator, {"pattern": _pattern, "format": _int32})
_Draft202012 = validators.extend(Draft202012Validator, {"pattern": _pattern})


@functools.cache
def _istio_validator(key: str) -> Draft7Validator:
    schema = _structural_to_jsonschema(_istio_index()[key])
    properties = schema.setdefault("properties", {})
    for implicit in ("apiVersion", "kind", "metadata"):  # checked by _check_envelope
        properties.setdefault(implicit, {})
    validator: Draft7Validator = _Draft7(schema)
    return validator


@functools.cache
def _istio_verdict(key: str) -> Any:
    """A compiled validator of the same schema as :func:`_istio_validator`, for the verdict only.

    jsonschema-rs decides valid or not about 40 times faster than jsonschema; only an invalid
    object goes on to jsonschema, whose errors give the paths and messages. Its regexes read
    ``$`` as the end of the text, as RE2 and :func:`_go_pattern` do. The unit suite checks that
    both agree on every object of the test corpora (``tests/test_schema_verdict.py``).
    """
    schema = _with_int32_bounds(_istio_validator(key).schema)
    return jsonschema_rs.Draft7Validator(schema, validate_formats=False)


_INT32 = (-(2**31), 2**31 - 1)


def _with_int32_bounds(node: Any) -> Any:
    """``node`` with each ``format: int32`` also written as the bounds :func:`_int32` checks, for
    a validator that reads no formats."""
    if isinstance(node, list):
        return [_with_int32_bounds(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _with_int32_bounds(value) for key, value in node.items()}
    if node.get("format") == "int32":
        out["minimum"] = max(node.get("minimum", _INT32[0]), _INT32[0])
        out["maximum"] = min(node.get("maximum", _INT32[1]), _INT32[1])
    return out


_INT_OR_STRING_BRANCHES = ({"type": "integer"}, {"type": "string"})


def _structural_to_jsonschema(node: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a Kubernetes structural schema to plain JSON Schema with strict unknown fields.

    Only the structural skeleton (``properties``, ``items``, ``additionalProperties``) is
    rewritten; value validations (``oneOf``/``anyOf``/``allOf``/``not``) cannot declare fields in
    a structural schema, so they are kept as they are.
    """
    out = {k: v for k, v in node.items() if k not in ("description", "nullable", "x-kubernetes-validations")}
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and all(branch in _INT_OR_STRING_BRANCHES for branch in any_of):
            del out["anyOf"]
    if node.get("nullable"):
        declared = out.get("type")
        if isinstance(declared, str):
            out["type"] = [declared, "null"]
        elif isinstance(declared, list) and "null" not in declared:
            out["type"] = [*declared, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if isinstance(node.get("properties"), Mapping):
        out["properties"] = {name: _structural_to_jsonschema(sub) for name, sub in node["properties"].items()}
    if isinstance(node.get("items"), Mapping):
        out["items"] = _structural_to_jsonschema(node["items"])
    if isinstance(node.get("additionalProperties"), Mapping):
        out["additionalProperties"] = _structural_to_jsonschema(node["additionalProperties"])
    if (
        node.get("type") == "object"
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


# --- core Kubernetes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _CoreCatalog:
    definitions: Mapping[str, Any]
    """Every definition in kubernetes-validate's strict ``_definitions.json`` (its ``$defs``)."""
    kinds: Mapping[tuple[str, str, str], str]
    """(group, version, kind) of each top-level kind -> its definition name."""


@functools.lru_cache(maxsize=1)
def _core_catalog() -> _CoreCatalog | None:
    """Load the strict Kubernetes schemas once; ``None`` if kubernetes-validate is not installed.

    Raises:
        RuntimeError: kubernetes-validate is installed but does not ship :data:`KUBERNETES_VERSION`.
    """
    try:
        import kubernetes_validate  # noqa: F401  (only its data files are used)
    except ImportError:
        return None
    directory = (
        importlib.resources.files("kubernetes_validate")
        .joinpath("kubernetes-json-schema")
        .joinpath(f"v{KUBERNETES_VERSION}-local-strict")
    )
    definitions_file = directory.joinpath("_definitions.json")
    if not definitions_file.is_file():
        raise RuntimeError(
            f"the installed kubernetes-validate has no schemas for Kubernetes {KUBERNETES_VERSION}; "
            "upgrade it (pip install -U kubernetes-validate)"
        )
    definitions: dict[str, Any] = json.loads(definitions_file.read_text(encoding="utf-8"))["$defs"]
    kinds: dict[tuple[str, str, str], str] = {}
    for name, definition in definitions.items():
        gvks = definition.get("x-kubernetes-group-version-kind")
        properties = definition.get("properties", {})
        # Shared types such as DeleteOptions list many GVKs; top-level kinds list exactly one.
        if isinstance(gvks, list) and len(gvks) == 1 and "kind" in properties and "apiVersion" in properties:
            gvk = gvks[0]
            kinds.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)
    return _CoreCatalog(definitions=definitions, kinds=kinds)


@functools.cache
def _core_validator(definition: str) -> Draft202012Validator:
    catalog = _core_catalog()
    assert catalog is not None  # only called after a catalog lookup succeeded
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": catalog.definitions,
        "$ref": f"#/$defs/{definition}",
    }
    validator: Draft202012Validator = _Draft202012(schema)
    return validator


@functools.cache
def _core_verdict(definition: str) -> Any:
    """The verdict-only twin of :func:`_core_validator` (see :func:`_istio_verdict`)."""
    return jsonschema_rs.Draft202012Validator(_core_validator(definition).schema, validate_formats=False)


def _validate_core(obj: Mapping[str, Any], group: str, version: str, kind: str) -> list[_Finding]:
    catalog = _core_catalog()
    if catalog is None:
        return []
    definition = catalog.kinds.get((group, version, kind))
    if definition is not None:
        if _core_verdict(definition).is_valid(obj):
            return []
        return [
            finding for error in _core_validator(definition).iter_errors(obj) for finding in _describe(error)
        ]
    k8s = ".".join(KUBERNETES_VERSION.split(".")[:2])
    served = sorted(
        (_api_version(g, v) for g, v, k in catalog.kinds if g == group and k == kind),
        key=lambda av: _version_priority(av.rsplit("/", 1)[-1]),
    )
    if served:
        return [
            _Finding(
                ("apiVersion",),
                f"{_api_version(group, version)} does not serve {kind} in Kubernetes {k8s}; "
                f"served: {', '.join(served)}",
            )
        ]
    if "." not in group and any(g == group for g, _, _ in catalog.kinds):
        # Groups without a dot are built in: no CRD can add kinds to them.
        return [
            _Finding(("kind",), f'unknown kind "{kind}" in {_api_version(group, version)} (Kubernetes {k8s})')
        ]
    return []


def _api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


# --- messages ---------------------------------------------------------------------------------


def _describe(error: ValidationError) -> list[_Finding]:
    """Turn one jsonschema error into findings with a path and a message naming the value."""
    path: _PathParts = tuple(error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}

    if keyword == "additionalProperties" and expected is False and isinstance(instance, Mapping):
        allowed = list(schema.get("properties", {}))
        allowed_text = ", ".join(allowed) if allowed else "none"
        return [
            _Finding((*path, str(name)), f'unknown field "{name}"; allowed: {allowed_text}')
            for name in instance
            if name not in allowed
        ]
    if keyword == "required" and isinstance(instance, Mapping):
        return [
            _Finding((*path, str(name)), f'missing required field "{name}"')
            for name in expected
            if name not in instance
        ]
    if keyword == "type":
        return [_Finding(path, f"expected {_types_text(expected)}, got {_describe_value(instance)}")]
    if keyword == "enum":
        allowed_values = ", ".join(_plain(value) for value in expected if value is not None)
        return [_Finding(path, f"{_fmt(instance)} is not an allowed value; allowed: {allowed_values}")]
    if keyword in ("oneOf", "anyOf"):
        return _describe_alternatives(error, path)
    message = _simple_message(keyword, expected, instance)
    return [_Finding(path, message if message is not None else error.message)]


def _describe_alternatives(error: ValidationError, path: _PathParts) -> list[_Finding]:
    instance = error.instance
    exclusive = _exclusive_fields(error.validator_value)
    if exclusive is not None and isinstance(instance, Mapping):
        present = [name for name in exclusive if name in instance]
        if len(present) > 1:
            message = f"only one of {', '.join(exclusive)} may be set; found {', '.join(present)}"
            return [_Finding(path, message, api_server_only=True)]
    context: Sequence[ValidationError] = error.context or []
    if context and all(sub.validator == "type" for sub in context):
        types: list[str] = []
        for sub in context:
            for name in _as_list(sub.validator_value):
                if name != "null" and name not in types:
                    types.append(name)
        return [_Finding(path, f"expected {' or '.join(types)}, got {_describe_value(instance)}")]
    best = best_match(context) if context else None
    if best is not None:
        return _describe(best)
    return [_Finding(path, error.message)]


def _exclusive_fields(branches: Any) -> list[str] | None:
    """Field names of Istio's "at most one of" pattern, else ``None``.

    The pattern is ``oneOf: [{not: {anyOf: [{required: [a]}, {required: [b]}]}}, {required: [a]},
    {required: [b]}]``: either none of the fields is set, or exactly one is.
    """
    if not isinstance(branches, list) or len(branches) < 2:
        return None
    names: list[str] = []
    for branch in branches[1:]:
        required = branch.get("required") if isinstance(branch, Mapping) else None
        if not (isinstance(required, list) and len(required) == 1 and set(branch) == {"required"}):
            return None
        names.append(str(required[0]))
    return names


def _simple_message(keyword: str, expected: Any, instance: Any) -> str | None:
    if keyword == "minimum":
        return f"{_fmt(instance)} is less than the minimum {expected}"
    if keyword == "maximum":
        return f"{_fmt(instance)} is greater than the maximum {expected}"
    if keyword == "minLength":
        return f"{_fmt(instance)} is shorter than the minimum length {expected}"
    if keyword == "maxLength":
        return f"{_fmt(instance)} (length {len(instance)}) is longer than the maximum length {expected}"
    if keyword == "pattern":
        return f"{_fmt(instance)} does not match the pattern {json.dumps(expected)}"
    if keyword in ("minItems", "maxItems"):
        bound = "at least" if keyword == "minItems" else "at most"
        return f"{len(instance)} item(s); expected {bound} {expected}"
    if keyword in ("minProperties", "maxProperties"):
        bound = "at least" if keyword == "minProperties" else "at most"
        return f"{len(instance)} entries; expected {bound} {expected}"
    return None


def _types_text(types: Any) -> str:
    names = [name for name in _as_list(types) if name != "null"] or ["null"]
    return " or ".join(str(name) for name in names)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def _fmt(value: Any) -> str:
    """A scalar as (possibly shortened) JSON, e.g. ``"80"`` for a string, ``80`` for a number; a
    mapping or list through the bounded printer (:func:`~pulumi_meshgw.errors.show`)."""
    if isinstance(value, str):
        value = value if len(value) <= _VALUE_MAX_CHARS else value[: _VALUE_MAX_CHARS - 3] + "..."
    if value is None or isinstance(value, (str, bool, int, float)):
        return json.dumps(value, ensure_ascii=False)
    return show(value, _VALUE_MAX_CHARS - 3)


def _describe_value(value: Any) -> str:
    return f"{_type_name(value)} {_fmt(value)}" if value is not None else "null"


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else _fmt(value)


# --- results ----------------------------------------------------------------------------------


def _to_diagnostics(obj: Mapping[str, Any], code: str, findings: Iterable[_Finding]) -> list[Diagnostic]:
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    kind, namespace, name = obj.get("kind"), metadata.get("namespace"), metadata.get("name")
    return [
        Diagnostic(
            code=CORE_SCHEMA_CODE if finding.api_server_only else code,
            level=Level.ERROR,
            kind=kind if isinstance(kind, str) else "",
            namespace=namespace if isinstance(namespace, str) else "",
            name=name if isinstance(name, str) else "",
            path=format_path(finding.path),
            message=finding.message,
        )
        for finding in sorted(set(findings), key=_sort_key)
    ]


def _sort_key(finding: _Finding) -> tuple[tuple[tuple[int, int, str], ...], str]:
    parts = tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in finding.path)
    return parts, finding.message
