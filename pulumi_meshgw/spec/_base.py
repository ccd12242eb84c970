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

from ..errors import ConfigError, Problem, format_path

__all__ = [
    "NestedProblems",
    "SpecModel",
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


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def dns_label(value: str, what: str = "name") -> str:
    """Validate a DNS-1123 label (Kubernetes names of namespaces, Istio Gateways, ports)."""
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(
            f"{what} {value!r} is not a DNS-1123 label: use at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


def dns_subdomain(value: str, what: str = "name") -> str:
    """Validate a DNS-1123 subdomain (most Kubernetes object names)."""
    if len(value) > 253 or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(
            f"{what} {value!r} is not a valid Kubernetes name: use lowercase letters, digits, '-' and '.', "
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


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problems_from_validation_error(
    err: ValidationError, model: type[BaseModel], prefix: Sequence[str | int] = ()
) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems that name the config path, the value and a fix."""
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = [p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        # Union members show up as extra loc entries named after the member type; drop them.
        loc = [p for p in loc if not (isinstance(p, str) and p[:1].isupper() and p not in ("Deployment",))]
        path = format_path([*prefix, *loc])
        kind = e["type"]
        value = e.get("input")
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
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            msg = f"unknown field {field!r}{guess}{hint}"
        elif kind == "missing":
            msg = f"required field {loc[-1]!r} is missing" if loc else "required value is missing"
        elif kind in ("literal_error", "enum"):
            choices = str(e["msg"]).removeprefix("Input should be ")
            msg = f"{_short(value)} is not allowed; use {choices}"
        elif kind == "value_error":
            msg = str(e["msg"]).removeprefix("Value error, ")
        else:
            msg = f"{e['msg']} (got {_short(value)})"
        problems.append(Problem(path, msg, "MGW0100"))
    return problems


def parse(model: type[M], data: Any, prefix: Sequence[str | int] = ()) -> M:
    """Validate ``data`` into ``model``, raising ConfigError with config paths on failure."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(problems_from_validation_error(err, model, prefix)) from None
