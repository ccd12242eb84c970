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

from ..errors import Problem, show
from ._runtime import ComponentConfigError

__all__ = ["checked_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

_SEQUENCES = {list, tuple, collections.abc.Sequence, typing.Sequence}
_MAPPINGS = {dict, collections.abc.Mapping, typing.Mapping}


def _matches(value: Any, tp: Any) -> bool:
    """Whether ``value`` has the outer shape of the annotation ``tp``."""
    origin = typing.get_origin(tp)
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


def _shape_problem(name: str, value: Any, tp: Any) -> Problem | None:
    if _matches(value, tp):
        return None
    accepted = _describe(tp)
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
        return typing.get_type_hints(func, include_extras=True)

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
            for name, value in bound.arguments.items():
                param = signature.parameters[name]
                if name == "self" or name not in hints() or param.kind is param.VAR_KEYWORD:
                    continue
                tp = hints()[name]
                values = value if param.kind is param.VAR_POSITIONAL else (value,)
                for item in values:
                    problem = _shape_problem(name, item, tp)
                    if problem is not None:
                        problems.append(problem)
        if problems:
            raise ComponentConfigError(problems, context=_context(args, kwargs, func.__qualname__))
        return func(*args, **kwargs)

    return cast(F, wrapper)
