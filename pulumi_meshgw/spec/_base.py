"""Shared base for spec models, and the translation of pydantic errors into ConfigError.

Config is written in Istio's own vocabulary (camelCase, as in the Istio API reference), so every
model serialises by camelCase alias. Python callers may use either the snake_case attribute names or
the camelCase aliases. Unknown keys are errors: a typo that Kubernetes would silently prune becomes a
404 in production.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import ConfigError, Problem, format_path, show

__all__ = [
    "NestedProblems",
    "SpecModel",
    "describe_pydantic_error",
    "dns_label",
    "dns_subdomain",
    "parse",
    "problems_from_validation_error",
]

M = TypeVar("M", bound=BaseModel)


class SpecModel(BaseModel):
    """Base of every spec model: frozen, camelCase aliases, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=to_camel,
        frozen=True,
        validate_default=True,
        arbitrary_types_allowed=True,
        use_attribute_docstrings=True,
    )

    def dump(self) -> dict[str, Any]:
        """The model as Istio-shaped JSON: camelCase keys, unset and None fields dropped."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude_unset=False, mode="python")


class NestedProblems(ValueError):
    """Raised by a model validator that found several problems at paths below the model."""

    def __init__(self, items: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
        self.items = list(items)
        super().__init__("; ".join(f"{format_path(p)}: {m}" for p, m in self.items))


_DNS_LABEL = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS_SUBDOMAIN = re.compile(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


def dns_label(value: str, what: str = "name") -> str:
    """Validate a DNS-1123 label (Kubernetes names of namespaces, Istio Gateways, ports)."""
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"{what} {show(value)} is not a DNS-1123 label: use at most 63 lowercase letters, digits and "
            f"'-', "
            "starting and ending with a letter or digit"
        )
    return value


def dns_subdomain(value: str, what: str = "name") -> str:
    """Validate a DNS-1123 subdomain (most Kubernetes object names)."""
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"{what} {show(value)} is not a valid Kubernetes name: use lowercase letters, digits, '-' "
            f"and '.', "
            "starting and ending with a letter or digit"
        )
    return value


def _unwrap(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(_unwrap(arg))
        return out
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    return [tp]


def _allowed_fields(model: type[BaseModel], loc: Sequence[str | int]) -> list[str] | None:
    """Follow ``loc`` through the model's annotations to the model that rejected an extra key."""
    candidates: list[Any] = [model]
    for part in loc:
        nxt: list[Any] = []
        for cand in candidates:
            for tp in _unwrap(cand):
                origin = get_origin(tp)
                if isinstance(part, int) and origin in (list, tuple, Sequence):
                    nxt.extend(get_args(tp)[:1])
                elif isinstance(part, str) and origin in (dict, Mapping):
                    args = get_args(tp)
                    if args:
                        nxt.append(args[-1])
                elif isinstance(part, str) and isinstance(tp, type) and issubclass(tp, BaseModel):
                    for name, field in tp.model_fields.items():
                        if part in (field.alias, name):
                            nxt.append(field.annotation)
        candidates = nxt
    for cand in candidates:
        for tp in _unwrap(cand):
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                return sorted(f.alias or n for n, f in tp.model_fields.items())
    return None


_TYPE_WORDS: dict[str, str] = {
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "iterable_type": "must be a list",
    "string_type": "must be a string",
    "string_unicode": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "is too large a number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "none_required": "must be null",
    "is_instance_of": "has the wrong type",
    "callable_type": "has the wrong type",
}
"""Pydantic's error types in the project's words; the rest are worded in :func:`describe_pydantic_error`."""

_BOUND_WORDS = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
    "multiple_of": "a multiple of {multiple_of}",
}


def describe_pydantic_error(e: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ``ValidationError.errors()``) in the project's own words.

    No pydantic wording or model class name reaches a user: the type of the error picks the
    sentence, and the value is shown with :func:`~pulumi_meshgw.errors.show`.

    Args:
        e: The error item: ``type``, ``loc``, ``msg``, ``input`` and ``ctx``.

    Returns:
        What is wrong and what is expected, ending with the value that was given.
    """
    kind = str(e.get("type", ""))
    value = e.get("input")
    ctx = e.get("ctx") or {}
    got = f" (got {show(value)})"
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind] + got
    if kind in _BOUND_WORDS:
        return "must be " + _BOUND_WORDS[kind].format(**{k: show(v) for k, v in ctx.items()}) + got
    if kind in ("string_too_short", "too_short"):
        unit = "character" if kind.startswith("string") else "item"
        n = ctx.get("min_length", 1)
        return f"needs at least {n} {unit}{'s' if n != 1 else ''}{got}"
    if kind in ("string_too_long", "too_long"):
        unit = "character" if kind.startswith("string") else "item"
        n = ctx.get("max_length", 0)
        return f"allows at most {n} {unit}{'s' if n != 1 else ''}{got}"
    if kind == "string_pattern_mismatch":
        return f"does not match the pattern {show(ctx.get('pattern', ''))}{got}"
    if kind in ("literal_error", "enum"):
        # ctx["expected"] lists our own values ("'SIMPLE', 'MUTUAL' or 'PASSTHROUGH'").
        return f"{show(value)} is not allowed; use {ctx.get('expected', 'one of the documented values')}"
    if kind == "missing":
        return "required value is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        return str(e.get("msg", "")).removeprefix("Value error, ")
    if kind == "assertion_error":
        return str(e.get("msg", "")).removeprefix("Assertion failed, ")
    if kind.startswith("union_tag"):
        return f"has no recognised kind{got}"
    return f"is not a valid value{got}"


def _internal(part: Any) -> bool:
    """Whether a pydantic location entry is pydantic's own (a union member such as ``list[Server]``
    or ``Server``, a validator ``function-after[...]``) rather than a key or index of the input."""
    return isinstance(part, str) and ("[" in part or part.startswith("function-") or part[:1].isupper())


def _config_loc(loc: Sequence[Any], data: Any) -> list[Any]:
    """The config path of a pydantic location: the entries that are keys or indexes of ``data``,
    followed down the input, and the ones that name no input but are not pydantic's own (a missing
    field). A user key that looks like pydantic's (``a[0]``, ``Hosts``) is kept, because it is in
    the input."""
    out: list[Any] = []
    here: Any = data
    for part in loc:
        if isinstance(here, Mapping) and part in here:
            out.append(part)
            here = here[part]
        elif isinstance(here, (list, tuple)) and isinstance(part, int) and -len(here) <= part < len(here):
            out.append(part)
            here = here[part]
        elif not _internal(part) or part == "Deployment":
            out.append(part)
            here = None
    return out


_NO_DATA = object()


def problems_from_validation_error(
    err: ValidationError, model: type[BaseModel], prefix: Sequence[str | int] = (), data: Any = _NO_DATA
) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems that name the config path, the value and a fix.

    Args:
        err: The error.
        model: The model that was validated (for the fields allowed where a key is unknown).
        prefix: The config path of the validated value. Default: none.
        data: The validated value, so that keys that look like pydantic's own location entries
            (``a[0]``) are told from them. Default: not given (such keys are dropped from paths).
    """
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = _config_loc(e["loc"], None if data is _NO_DATA else data)
        path = format_path([*prefix, *loc])
        kind = e["type"]
        err_obj = (e.get("ctx") or {}).get("error")
        if isinstance(err_obj, NestedProblems):
            for sub, msg in err_obj.items:
                problems.append(Problem(format_path([*prefix, *loc, *sub]), msg, "MGW0100"))
            continue
        if kind == "extra_forbidden":
            field = loc[-1] if loc else "?"
            allowed = _allowed_fields(model, loc[:-1])
            hint = f"; allowed here: {', '.join(allowed)}" if allowed else ""
            close = difflib.get_close_matches(str(field), allowed or [], n=1)
            guess = f" (did you mean {show(close[0])}?)" if close else ""
            msg = f"unknown field {show(field)}{guess}{hint}"
        elif kind == "missing":
            msg = f"required field {show(loc[-1])} is missing" if loc else "required value is missing"
        else:
            msg = describe_pydantic_error(e)
        problems.append(Problem(path, msg, "MGW0100"))
    return problems


def parse(model: type[M], data: Any, prefix: Sequence[str | int] = ()) -> M:
    """Validate ``data`` into ``model``, raising ConfigError with config paths on failure."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(problems_from_validation_error(err, model, prefix, data)) from None
