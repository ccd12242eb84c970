"""The door of every public component: argument names and shapes, checked before anything runs.

Python reports a misspelt keyword or a wrong shape as a ``TypeError`` from deep inside the
library (``'int' object is not iterable``), or not at all: ``hosts="a.example.com"`` would be read
as the hosts ``a``, ``.``, ``e``... :func:`checked_arguments` binds the call to the signature and
checks each argument's outer shape against its annotation (a list, a mapping, a string, a whole
number, one of the listed classes) and raises one :class:`ComponentConfigError` naming every bad
argument. What is inside a list or mapping is left to the spec models, which report it with its
path (``servers[0].port.number``).
"""

from __future__ import annotations

import collections.abc
import difflib
import functools
import inspect
import os
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import pulumi
import typing_extensions

from ..errors import Problem, show
from ._runtime import ComponentConfigError, in_cluster

__all__ = ["NO_ARGS", "checked_arguments", "cluster_scoped", "with_args"]

F = TypeVar("F", bound=Callable[..., Any])

_SEQUENCES = {list, tuple, collections.abc.Sequence, typing.Sequence}
_MAPPINGS = {dict, collections.abc.Mapping, typing.Mapping}


_INPUT_NAMES = {"Output": pulumi.Output, "T": pulumi.output.T}

NO_ARGS: Any = types.MappingProxyType({})
"""The default of a component's ``args``: no Args object, only keywords (read-only, so shared)."""


def _matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the outer shape of the annotation ``tp``."""
    origin = typing.get_origin(tp)
    if typing_extensions.is_typeddict(tp):  # an Args mapping, or a ready spec model in its place
        return isinstance(value, Mapping) or hasattr(value, "model_dump")
    if tp is Any or isinstance(tp, (TypeVar, typing.ForwardRef, str)):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(tp))
    if origin is typing.Annotated:
        return _matches(value, typing.get_args(tp)[0])
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if tp is None or tp is type(None):
        return value is None
    if origin in _SEQUENCES or tp in _SEQUENCES:
        return isinstance(value, (list, tuple))
    if origin in _MAPPINGS or tp in _MAPPINGS:
        return isinstance(value, Mapping)
    if origin is not None:
        return not isinstance(origin, type) or isinstance(value, origin)
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is Path:
        return isinstance(value, (str, os.PathLike))
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def _describe(tp: Any) -> list[str]:
    """What an annotation accepts, in words (``a list``, ``a string``, ``a Gateway``)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        out: list[str] = []
        for arg in typing.get_args(tp):
            if typing.get_origin(arg) in (pulumi.Output, collections.abc.Awaitable):
                continue  # pulumi.Input's other forms; the plain shape is what a message names
            out.extend(w for w in _describe(arg) if w not in out)
        return out
    if origin is typing.Annotated:
        return _describe(typing.get_args(tp)[0])
    if origin is typing.Literal:
        return [" or ".join(show(a) for a in typing.get_args(tp))]
    if tp is None or tp is type(None):
        return ["None"]
    if origin in _SEQUENCES or tp in _SEQUENCES:
        return ["a list"]
    if origin in _MAPPINGS or tp in _MAPPINGS:
        return ["a mapping"]
    names = {bool: "True or False", int: "a whole number", float: "a number", str: "a string", Path: "a path"}
    if tp in names:
        return [names[tp]]
    if origin is not None:
        return [f"a {getattr(origin, '__name__', 'value')}"]
    return [f"a {getattr(tp, '__name__', 'value')}"]


def _got(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, (bool, int, float)) or value is None:
        return show(value)
    if isinstance(value, (list, tuple, Mapping)):
        return f"{'a mapping' if isinstance(value, Mapping) else 'a list'} {show(value)}"
    return f"a {type(value).__name__}"


def _shape_problem(name: str, value: Any, tp: Any, required: bool = False) -> Problem | None:
    if _matches(value, tp):
        return None
    if isinstance(value, pulumi.Output):
        return Problem(
            name,
            "is an Output; this argument decides which resources the component registers and what "
            "they are named, so it takes a value known when the program runs (docs/inputs.md lists "
            "the arguments that take Outputs)",
            "MGW0100",
        )
    accepted = [w for w in _describe(tp) if not (required and w == "None")]
    text = ", ".join(accepted[:-1]) + (" or " if len(accepted) > 1 else "") + accepted[-1]
    message = f"must be {text}, got {_got(value)}"
    if "a list" in accepted and not isinstance(value, (list, tuple)):
        # A string is iterable, so Python would split it into characters: never do that.
        message += f"; a single item is written as a list: [{show(value)}]"
    return Problem(name, message, "MGW0100")


def _context(args: tuple[Any, ...], kwargs: Mapping[str, Any], qualname: str) -> str:
    owner = args[0] if args and not isinstance(args[0], str) else None
    kind = getattr(owner, "TYPE", None) or qualname.removesuffix(".__init__")
    name = next((a for a in args if isinstance(a, str)), kwargs.get("resource_name", kwargs.get("name")))
    return f"{kind} {name}" if isinstance(name, str) else str(kind)


def checked_arguments(func: F) -> F:
    """Check a public function's arguments against its signature and annotations first.

    Raises:
        ComponentConfigError: an unknown keyword (with the closest known one), a missing required
            argument, too many positional arguments, or an argument of the wrong shape, each
            named by the argument.
    """
    signature = inspect.signature(func)
    names = [
        n
        for n, p in signature.parameters.items()
        if n != "self" and not n.startswith("_") and p.kind is not p.VAR_KEYWORD
    ]
    # A function with **fields passes other keywords on to its spec model, which names them.
    open_keywords = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())

    @functools.cache
    def hints() -> dict[str, Any]:
        # pulumi.Input[T] names "Output[T]" as a string, which the function's module may not define.
        return typing.get_type_hints(func, localns=_INPUT_NAMES, include_extras=True)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        problems: list[Problem] = []
        for key in kwargs:
            if key not in signature.parameters and not open_keywords:
                close = difflib.get_close_matches(key, names, n=1)
                guess = f"did you mean {show(close[0])}? " if close else ""
                problems.append(
                    Problem(key, f"unknown argument; {guess}known arguments: {', '.join(names)}", "MGW0100")
                )
        # The known arguments are checked too, so a misspelt keyword does not hide a wrong shape.
        known = {k: v for k, v in kwargs.items() if k in signature.parameters or open_keywords}
        try:
            bound = signature.bind(*args, **known)
        except TypeError as err:
            missing = [
                n
                for n, p in signature.parameters.items()
                if p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                and n not in kwargs
            ][len(args) :]
            problems.extend(Problem(n, "required argument is missing", "MGW0100") for n in missing)
            if not problems:
                problems.append(Problem("", f"cannot call it that way: {err}", "MGW0100"))
        else:
            if bound.arguments.get("spec") is None:  # with_args: given as keyword or in args
                required = getattr(wrapper, "required", ())
                missing = [n for n in required if bound.arguments.get(n) is None]
                problems.extend(Problem(n, "required argument is missing", "MGW0100") for n in missing)
            for name, value in bound.arguments.items():
                param = signature.parameters[name]
                if name == "self" or name not in hints() or param.kind is param.VAR_KEYWORD:
                    continue
                tp = hints()[name]
                values = value if param.kind is param.VAR_POSITIONAL else (value,)
                for item in values:
                    problem = _shape_problem(name, item, tp, name in getattr(wrapper, "required", ()))
                    if problem is not None:
                        problems.append(problem)
        if problems:
            raise ComponentConfigError(problems, context=_context(args, kwargs, func.__qualname__))
        return func(*args, **kwargs)

    return cast(F, wrapper)


_TWICE = "given both in args and as a keyword; give it once"


def with_args(*, required: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Let a component take its ``*Args`` object (``Gateway("x", GatewayArgs(...))``, or ``args=``)
    as well as keywords: the Args' items become keywords, so both forms meet the same checks.

    A ready spec model in the ``args`` place (``GatewayWorkload("w", WorkloadSpec(...))``, as
    earlier releases took it) is passed on as ``spec``.

    Args:
        required: Arguments that must be given one way or the other, unless ``spec`` is
            (:func:`checked_arguments` reports them with the other argument problems).

    Raises:
        ComponentConfigError: ``args`` is not a mapping, an argument is given both ways, or a
            required one is missing (MGW0100).
    """

    def decorate(func: F) -> F:
        func.required = required  # type: ignore[attr-defined]  # checked_arguments says "must be a list"

        @functools.wraps(func)
        def wrapper(
            self: Any, resource_name: str, args: Any = NO_ARGS, opts: Any = None, **kwargs: Any
        ) -> Any:
            problems: list[Problem] = []
            if hasattr(args, "model_dump"):  # a spec model (pydantic), the earlier positional form
                if "spec" in kwargs:
                    problems.append(Problem("spec", _TWICE, "MGW0100"))
                kwargs["spec"] = args
            elif not isinstance(args, Mapping):
                what = getattr(typing.get_type_hints(func).get("args"), "__name__", "Args")
                problems.append(Problem("args", f"must be a {what} (a mapping), got {_got(args)}", "MGW0100"))
            else:
                for key, value in args.items():
                    if key in kwargs:
                        problems.append(Problem(str(key), _TWICE, "MGW0100"))
                    kwargs[str(key)] = value
            if problems:
                kind = getattr(self, "TYPE", None) or type(self).__name__
                raise ComponentConfigError(problems, context=f"{kind} {resource_name}")
            with in_cluster(opts):  # the registry of the cluster the options select
                return func(self, resource_name, opts=opts, **kwargs)

        return cast(F, wrapper)

    return decorate


def cluster_scoped(func: F) -> F:
    """Build a component whose ``__init__`` is ``(self, name, args, opts, ...)`` into the cluster
    its ``opts`` select (what :func:`with_args` does for the others)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opts = kwargs.get("opts", args[3] if len(args) > 3 else None)
        with in_cluster(opts if isinstance(opts, pulumi.ResourceOptions) else None):
            return func(*args, **kwargs)

    return cast(F, wrapper)
