"""Checks of EnvoyFilters that the CRD schema cannot make: ``patch.value`` is free-form there
(``x-kubernetes-preserve-unknown-fields``), so a misspelled Envoy field passes the API server and
then fails in istiod's webhook (istio/istio#45748) or, worse, NACKs the listener on every gateway pod.

- **MGW0601** (error): a field in a patch value that the Envoy message it belongs to does not have,
  or a value of the wrong JSON shape, checked against :data:`ENVOY_MESSAGES`: an allow-list of the
  Envoy messages and fields this library emits (HTTP filters, the cache and local rate limit
  configs, per-virtual-host ``FilterConfig``), each verified against Envoy's protos for the proxy
  range in :data:`~pulumi_meshgw.constants.ENVOY_FILTER_PROXY_VERSION`. An ``@type`` the list does
  not know is reported too, so a new message is added here deliberately, never by accident.
- **IST0106** (error): an ``Any`` (``typed_config``, ``typed_per_filter_config`` values,
  ``FilterConfig.config``) without ``@type``, the one shape fault Istio itself rejects here: it reads
  patch values with jsonpb (``pkg/config/xds/xds.go``, ``BuildXDSObjectFromStruct``, called by
  ``pkg/config/validation/envoyfilter/envoyfilter.go``, ``validateEnvoyFilter``), which fails with
  "Any JSON doesn't have '@type'" at any depth, so ``istioctl analyze`` reports IST0106 on the
  EnvoyFilter and istiod's webhook refuses it.
- **MGW0602** (warning): a patch of a relative or merge operation without ``match.proxy.proxyVersion``:
  such a patch lands on every proxy version, including ones that lack the filter.
- **IST0151** (warning): a relative patch (``INSERT_BEFORE``/``INSERT_AFTER``/``INSERT_FIRST``) in
  an EnvoyFilter whose ``priority`` is unset or 0, which Istio's analyzer reports the same way: the
  order against other EnvoyFilters is then undefined and may change on upgrade.

Pure: no Pulumi, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import show
from ._access import key_of, mapping, text
from .diagnostics import Diagnostic, Level

__all__ = ["ENVOY_MESSAGES", "check_envoy_filter", "check_envoy_filters", "check_typed_config"]

_TYPE_PREFIX = "type.googleapis.com/"
_ALLOW_LIST_CODE = "MGW0601"
_NO_TYPE_CODE = "IST0106"
_Problem = tuple[str, str, str]
"""(code, path, message)."""


@dataclass(frozen=True)
class _F:
    """One field: its JSON shape (``string``, ``uint32``, ``bool``, ``duration``, ``enum``,
    ``message``, ``any``, ``map``), the message or enum values it refers to, and whether it repeats."""

    shape: str
    ref: str | frozenset[str] | None = None
    repeated: bool = False


_PERCENT_DENOMINATORS = frozenset({"HUNDRED", "TEN_THOUSAND", "MILLION"})
_APPEND_ACTIONS = frozenset(
    {"APPEND_IF_EXISTS_OR_ADD", "ADD_IF_ABSENT", "OVERWRITE_IF_EXISTS_OR_ADD", "OVERWRITE_IF_EXISTS"}
)

ENVOY_MESSAGES: dict[str, dict[str, _F]] = {
    # Patch values: an HTTP filter (HTTP_FILTER) and the part of a virtual host we merge.
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter": {
        "name": _F("string"),
        "typed_config": _F("any"),
        "disabled": _F("bool"),
    },
    "envoy.config.route.v3.VirtualHost": {
        "typed_per_filter_config": _F("map", "any"),
    },
    "envoy.config.route.v3.FilterConfig": {
        "config": _F("any"),
        "disabled": _F("bool"),
        "is_optional": _F("bool"),
    },
    # The cache filter and its in-memory storage.
    "envoy.extensions.filters.http.cache.v3.CacheConfig": {
        "typed_config": _F("any"),
        "allowed_vary_headers": _F("message", "envoy.type.matcher.v3.StringMatcher", repeated=True),
        "max_body_bytes": _F("uint32"),
    },
    "envoy.extensions.http.cache.simple_http_cache.v3.SimpleHttpCacheConfig": {},
    "envoy.type.matcher.v3.StringMatcher": {
        "exact": _F("string"),
        "prefix": _F("string"),
        "suffix": _F("string"),
        "contains": _F("string"),
        "ignore_case": _F("bool"),
    },
    # The local rate limit filter.
    "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit": {
        "stat_prefix": _F("string"),
        "token_bucket": _F("message", "envoy.type.v3.TokenBucket"),
        "filter_enabled": _F("message", "envoy.config.core.v3.RuntimeFractionalPercent"),
        "filter_enforced": _F("message", "envoy.config.core.v3.RuntimeFractionalPercent"),
        "response_headers_to_add": _F("message", "envoy.config.core.v3.HeaderValueOption", repeated=True),
        "status": _F("message", "envoy.type.v3.HttpStatus"),
    },
    "envoy.type.v3.TokenBucket": {
        "max_tokens": _F("uint32"),
        "tokens_per_fill": _F("uint32"),
        "fill_interval": _F("duration"),
    },
    "envoy.config.core.v3.RuntimeFractionalPercent": {
        "runtime_key": _F("string"),
        "default_value": _F("message", "envoy.type.v3.FractionalPercent"),
    },
    "envoy.type.v3.FractionalPercent": {
        "numerator": _F("uint32"),
        "denominator": _F("enum", _PERCENT_DENOMINATORS),
    },
    "envoy.config.core.v3.HeaderValueOption": {
        "header": _F("message", "envoy.config.core.v3.HeaderValue"),
        "append_action": _F("enum", _APPEND_ACTIONS),
    },
    "envoy.config.core.v3.HeaderValue": {
        "key": _F("string"),
        "value": _F("string"),
    },
    "envoy.type.v3.HttpStatus": {
        "code": _F("uint32"),
    },
}
"""Allow-list: Envoy message (full name) -> the fields this library may set, with their shapes."""

_PATCH_VALUE_TYPE = {
    "HTTP_FILTER": "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
    "VIRTUAL_HOST": "envoy.config.route.v3.VirtualHost",
}
_RELATIVE = frozenset({"INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"})


def _is_duration(v: Any) -> bool:
    if not isinstance(v, str) or not v.endswith("s"):
        return False
    try:
        return float(v[:-1]) >= 0
    except ValueError:
        return False


def _check_value(value: Any, f: _F, path: str, out: list[_Problem]) -> None:
    if f.repeated:
        if not isinstance(value, list):
            out.append((_ALLOW_LIST_CODE, path, f"must be a list, got {type(value).__name__}"))
            return
        single = _F(f.shape, f.ref)
        for i, item in enumerate(value):
            _check_value(item, single, f"{path}[{i}]", out)
        return
    shape = f.shape
    if shape == "string" and not isinstance(value, str):
        out.append((_ALLOW_LIST_CODE, path, f"must be a string, got {show(value)}"))
    elif shape == "bool" and not isinstance(value, bool):
        out.append((_ALLOW_LIST_CODE, path, f"must be true or false, got {show(value)}"))
    elif shape == "uint32" and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4_294_967_295
    ):
        out.append((_ALLOW_LIST_CODE, path, f"must be an unsigned 32-bit integer, got {show(value)}"))
    elif shape == "duration" and not _is_duration(value):
        example = "(e.g. '1s', '0.500s')"
        out.append(
            (
                _ALLOW_LIST_CODE,
                path,
                f"must be a protobuf JSON duration in seconds {example}, got {show(value)}",
            )
        )
    elif shape == "enum" and value not in (f.ref or frozenset()):
        allowed = ", ".join(sorted(f.ref or ()))
        out.append((_ALLOW_LIST_CODE, path, f"{show(value)} is not one of {allowed}"))
    elif shape == "message":
        _check_message(value, str(f.ref), path, out)
    elif shape == "any":
        _check_any(value, path, out)
    elif shape == "map":
        if not isinstance(value, Mapping):
            out.append((_ALLOW_LIST_CODE, path, f"must be a map, got {type(value).__name__}"))
            return
        for k, v in value.items():
            _check_value(v, _F(str(f.ref)), f"{path}.{k}", out)


def _check_message(value: Any, type_name: str, path: str, out: list[_Problem]) -> None:
    fields = ENVOY_MESSAGES.get(type_name)
    if fields is None:
        out.append((_ALLOW_LIST_CODE, path, f"message {type_name} is not in the verified allow-list"))
        return
    if not isinstance(value, Mapping):
        out.append(
            (_ALLOW_LIST_CODE, path, f"must be a {type_name.rsplit('.', 1)[-1]} object, got {show(value)}")
        )
        return
    for k, v in value.items():
        if k == "@type":
            continue
        f = fields.get(k)
        sub = f"{path}.{k}" if path else k
        if f is None:
            known = ", ".join(sorted(fields)) or "none"
            out.append(
                (_ALLOW_LIST_CODE, sub, f"{type_name} has no field {show(k)} (fields verified here: {known})")
            )
            continue
        _check_value(v, f, sub, out)


def _check_any(value: Any, path: str, out: list[_Problem]) -> None:
    if not isinstance(value, Mapping):
        out.append((_ALLOW_LIST_CODE, path, f"must be an object with an '@type', got {show(value)}"))
        return
    type_url = value.get("@type")
    if type_url is None:
        out.append(
            (
                _NO_TYPE_CODE,
                path,
                "an Any without '@type', which Istio cannot read (jsonpb: \"Any JSON doesn't have "
                "'@type'\"): istiod rejects the EnvoyFilter, or drops the patch where no webhook runs; "
                f"set '@type' to '{_TYPE_PREFIX}<message>'",
            )
        )
        return
    if not isinstance(type_url, str) or not type_url.startswith(_TYPE_PREFIX):
        out.append(
            (_ALLOW_LIST_CODE, f"{path}.@type", f"must be '{_TYPE_PREFIX}<message>', got {show(type_url)}")
        )
        return
    _check_message(value, type_url.removeprefix(_TYPE_PREFIX), path, out)


def check_typed_config(value: Any, type_name: str) -> list[tuple[str, str]]:
    """Check one Envoy message in proto-JSON form against :data:`ENVOY_MESSAGES`.

    Args:
        value: The message as plain data (``@type`` allowed at its top).
        type_name: Its full message name (``envoy.type.v3.TokenBucket``).

    Returns:
        (path, message) pairs, empty when every field is known and well shaped.
    """
    out: list[_Problem] = []
    _check_message(value, type_name, "", out)
    return [(p, m) for _, p, m in out]


def check_envoy_filter(obj: Mapping[str, Any]) -> list[Diagnostic]:
    """MGW0601, IST0106, MGW0602 and IST0151 for one EnvoyFilter (any other object: no findings)."""
    if obj.get("kind") != "EnvoyFilter":
        return []
    key = key_of(obj)
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return []
    out: list[Diagnostic] = []
    priority = spec.get("priority") or 0
    patches = spec.get("configPatches")
    for i, cp in enumerate(patches if isinstance(patches, list) else []):
        if not isinstance(cp, Mapping):
            continue
        base = f"spec.configPatches[{i}]"
        patch = mapping(cp.get("patch"))
        match = mapping(cp.get("match"))
        operation = text(patch.get("operation"))
        if operation in _RELATIVE and not priority:
            out.append(
                Diagnostic(
                    "IST0151",
                    Level.WARNING,
                    key[0],
                    key[1],
                    key[2],
                    f"{base}.patch.operation",
                    f"{operation} is relative to other filters but the EnvoyFilter has no priority, so "
                    "its order against other EnvoyFilters is undefined; set spec.priority",
                )
            )
        proxy = mapping(match.get("proxy"))
        if operation is not None and not proxy.get("proxyVersion"):
            out.append(
                Diagnostic(
                    "MGW0602",
                    Level.WARNING,
                    key[0],
                    key[1],
                    key[2],
                    f"{base}.match.proxy.proxyVersion",
                    "no proxyVersion match: the patch applies to every proxy version, including ones "
                    "whose Envoy lacks the filter or fields it sets; match the verified versions",
                )
            )
        type_name = _PATCH_VALUE_TYPE.get(str(cp.get("applyTo")))
        value = patch.get("value")
        if type_name is None or value is None:
            continue
        found: list[_Problem] = []
        _check_message(value, type_name, f"{base}.patch.value", found)
        out.extend(Diagnostic(c, Level.ERROR, key[0], key[1], key[2], p, m) for c, p, m in found)
    return out


def check_envoy_filters(objs: Iterable[Mapping[str, Any]]) -> list[Diagnostic]:
    """:func:`check_envoy_filter` over many objects, in order."""
    return [d for o in objs for d in check_envoy_filter(o)]
