"""The CRDs' CEL validation rules (``x-kubernetes-validations``), evaluated in-process.

The vendored Istio CRDs carry 345 CEL rules that the API server enforces when an object is
created and that JSON Schema cannot express: durations of at least 1 ms, ports in 1-65535, mutually
exclusive fields (``credentialName`` and ``credentialNames``), ServiceEntry resolution against its
endpoints and addresses, Unix-socket addresses, URL schemes. This module evaluates them as the API
server does (``k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel``), so a violation fails
``meshgw check`` and preview instead of ``pulumi up``:

* a rule at a schema node is evaluated with ``self`` bound to the value at that node, for every
  value present in the object (each item of a list, each value of a map); absent optional fields
  are not evaluated, and a value whose JSON type differs from the node's type is left to the
  schema validation (:mod:`.schema`), which reports it;
* the message is the rule's ``message``, or ``failed rule: <rule>`` when it has none, as the API
  server words it; the path is the node's;
* transition rules (those reading ``oldSelf``) only apply to updates; the vendored CRDs have none.

The rules use CEL's standard library plus three Kubernetes extensions, provided here with the
semantics the API server gives them: ``isURL``/``url(...).getScheme()`` (Go's
``url.ParseRequestURI``, ``k8s.io/apiserver/pkg/cel/library/urls.go``) and the strings extension's
``substring`` (``cel-go/ext/strings.go``). Where the API server stops on an evaluation error
(``url()`` of a string that is not a URL, a ``substring`` out of range), the function here yields
``null``, so the rule is false and its message is reported: the object is rejected either way.
Durations are read with Go's ``time.ParseDuration`` rules before the rule sees them.

Code ``MGW0109`` (error): the API server rejects the object. ``istioctl analyze`` does not run
these rules (it validates with Istio's Go code), so the finding does not carry an Istio code.

The evaluator is the ``common-expression-language`` package (CEL in Rust, with Python bindings):
a maintained implementation of the CEL spec, about 20 µs per rule.

This module never imports Pulumi.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import cel

from ..errors import format_path
from .diagnostics import Diagnostic, Level

__all__ = ["CRD_RULE_CODE", "crd_rule_diagnostics"]

CRD_RULE_CODE = "MGW0109"
"""Code of a failed ``x-kubernetes-validations`` rule: the API server rejects the object."""

_Path = tuple[str | int, ...]
_DURATION_RULE = "duration(self)"


def crd_rule_diagnostics(obj: Mapping[str, Any], schema: Mapping[str, Any]) -> list[Diagnostic]:
    """Evaluate every CEL rule of ``schema`` (an ``openAPIV3Schema``) over ``obj``.

    Args:
        obj: A Kubernetes object as plain JSON-like data.
        schema: The ``openAPIV3Schema`` of the object's group/version/kind, with its
            ``x-kubernetes-validations``.

    Returns:
        One error-level diagnostic per failed rule and value, in walk order (fields in schema
        order, list items in order).
    """
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    kind, namespace, name = obj.get("kind"), metadata.get("namespace"), metadata.get("name")
    return [
        Diagnostic(
            code=CRD_RULE_CODE,
            level=Level.ERROR,
            kind=kind if isinstance(kind, str) else "",
            namespace=namespace if isinstance(namespace, str) else "",
            name=name if isinstance(name, str) else "",
            path=format_path(path),
            message=message,
        )
        for path, message in _walk(schema, obj, ())
    ]


def _walk(node: Mapping[str, Any], value: Any, path: _Path) -> Iterator[tuple[_Path, str]]:
    if value is None or not _type_matches(node, value):
        return
    for rule in node.get("x-kubernetes-validations") or ():
        if isinstance(rule, Mapping) and isinstance(rule.get("rule"), str) and "oldSelf" not in rule["rule"]:
            message = _evaluate(rule, value)
            if message is not None:
                yield path, message
    properties = node.get("properties")
    if isinstance(properties, Mapping) and isinstance(value, Mapping):
        for field, sub in properties.items():
            if field in value and isinstance(sub, Mapping):
                yield from _walk(sub, value[field], (*path, field))
    items = node.get("items")
    if isinstance(items, Mapping) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(items, item, (*path, i))
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping) and isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(additional, item, (*path, str(key)))


def _type_matches(node: Mapping[str, Any], value: Any) -> bool:
    if node.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    expected = node.get("type")
    if expected == "object":
        return isinstance(value, Mapping)
    if expected == "array":
        return isinstance(value, list)
    if expected == "string":
        return isinstance(value, str)
    if expected == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or _whole_float(value)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    return True


def _whole_float(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer()


def _evaluate(rule: Mapping[str, Any], value: Any) -> str | None:
    """The rule's failure message, or ``None`` when the value satisfies it."""
    source: str = rule["rule"]
    message = rule.get("message") if isinstance(rule.get("message"), str) else None
    failed = message or f"failed rule: {source.strip()}"
    if _DURATION_RULE in source and isinstance(value, str):
        nanoseconds = go_duration(value)
        if nanoseconds is None:
            return f"{failed} (invalid duration {value!r}: use a number with a unit, e.g. 1.5s or 300ms)"
        value = f"{nanoseconds}ns"
    context = cel.Context(variables={"self": _to_cel(value)}, functions=_FUNCTIONS)
    try:
        result = _program(source).execute(context)
    except (
        RuntimeError,
        ValueError,
        TypeError,
        LookupError,
    ) as err:  # the API server rejects on an error too
        return f"{failed} (the rule could not be evaluated: {err})"
    return None if result is True else failed


@functools.cache
def _program(source: str) -> cel.Program:
    return cel.compile(source)


def _to_cel(value: Any) -> Any:
    """Plain data with whole floats as integers (JSON has one number type; the schema says int)."""
    if isinstance(value, Mapping):
        return {str(k): _to_cel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cel(v) for v in value]
    if _whole_float(value):
        return int(value)
    return value


# --- Go's time.ParseDuration -----------------------------------------------------------------

_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_UNITS["h"] = 60 * _UNITS["m"]
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")


def go_duration(text: str) -> int | None:
    """Nanoseconds of a Go duration (``1h2m3.5s``, ``300ms``, ``-1.5h``, ``0``), else ``None``.

    Follows ``time.ParseDuration``: an optional sign, then one or more decimal numbers each with a
    unit (``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``, ``h``); no spaces, no exponent; ``0``
    alone needs no unit.
    """
    rest = text
    sign = 1
    if rest[:1] in ("-", "+"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total = 0
    position = 0
    while position < len(rest):
        match = _DURATION_PART.match(rest, position)
        if match is None:
            return None
        whole, fraction, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not fraction:
            return None
        scale = _UNITS[unit]
        total += int(whole or "0") * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
        position = match.end()
    return sign * total


# --- Kubernetes' CEL library ------------------------------------------------------------------

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _parse_request_uri(text: str) -> str | None:
    """The scheme of ``text`` as Go's ``url.ParseRequestURI`` reads it, or ``None`` if it refuses.

    ParseRequestURI takes an absolute URI (``scheme:...``) or an absolute path (``/...``), with no
    fragment handling, no ASCII control characters, a valid port and valid ``%`` escapes.
    """
    if not text or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return None
    if text == "*":
        return ""
    scheme = ""
    rest = text
    colon = text.find(":")
    if colon == 0:
        return None  # "missing protocol scheme"
    if colon > 0 and _SCHEME.fullmatch(text[:colon]):
        scheme, rest = text[:colon].lower(), text[colon + 1 :]
    rest = rest.split("?", 1)[0]
    if not rest.startswith("/"):
        return scheme if scheme else None  # opaque ("mailto:x") or "invalid URI for request"
    if scheme and rest.startswith("//"):
        authority, _, path = rest[2:].partition("/")
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            if "]" not in host:
                return None
            port = host[host.index("]") + 1 :]
            if port and not re.fullmatch(r":\d*", port):
                return None
        elif ":" in host:
            port = host.rpartition(":")[2]
            if not port.isdigit() and port != "":
                return None
        rest = "/" + path
    if re.search(r"%(?![0-9A-Fa-f]{2})", rest):
        return None
    return scheme


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and _parse_request_uri(text) is not None


def _url(text: Any) -> dict[str, Any] | None:
    scheme = _parse_request_uri(text) if isinstance(text, str) else None
    return None if scheme is None else {"scheme": scheme}


def _get_scheme(url: Any) -> str | None:
    return url.get("scheme") if isinstance(url, Mapping) else None


def _substring(text: Any, start: Any, end: Any = None) -> str | None:
    """``cel-go``'s ``ext.Strings`` substring, by code point; ``null`` where cel-go errors."""
    if not isinstance(text, str) or not isinstance(start, int):
        return None
    stop = len(text) if end is None else end
    if not isinstance(stop, int) or start < 0 or stop > len(text) or start > stop:
        return None
    return text[start:stop]


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isURL": _is_url,
    "url": _url,
    "getScheme": _get_scheme,
    "substring": _substring,
}
